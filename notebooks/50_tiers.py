# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.0
#   kernelspec:
#     display_name: ladder
#     language: python
#     name: ladder
# ---

# %% [markdown]
# # 50 Tiers: which questions each model solves, how reliably, and in which tier

# %% tags=["parameters"]
output_dir: str = "runs/tiers"  # runner: folder this stage writes into
inputs: dict = {}  # runner: experiment -> {stage -> folder}; experiments with a "grade" stage are read
profile: str = "laptop"  # runner: the profile being run
benchmark: str = "aime24"  # benchmark to analyse; graded rows of other benchmarks are left out
graded_files: list = []  # graded parquet files added to the panel (results from elsewhere; repo-relative)
models: list = []  # panel members to analyse; empty: every model in the graded tables
base_models: list = []  # role "base": their mean avg@n > easy_threshold makes a question easy
sft_models: list = []  # role "small-scale SFT": mean avg@n > medium_threshold makes it medium
reference_models: list = []  # other panel members (large-scale post-training, tools): a group of their own
exh_models: list = []  # models whose samples the exh rule reads (exh_rule); empty: the whole panel
easy_threshold: float = 0.5  # study: base model above 50% -> easy
medium_threshold: float = 0.5  # study: small-scale SFT models above 50% -> medium
exh_threshold: float = 0.1  # study: below 10% across all models -> exh
exh_rule: str = "panel_mean"  # exh: panel_mean (samples pooled) | every_model
tier_source: str = "study"  # tiers for tiers.csv and figures: the benchmark's own, or rules (study | rule)
tier_version: str = ""  # version of the study's lists in data/aime24_tiers.yaml; empty: the file's default
ks: list = [2, 4]  # k of cov@k (first k samples) and unbiased pass@k, beside avg@n, cov@n, maj@n
unequal_n: str = "error"  # unequal samples per question: fail, or use the first n_min (error | truncate)
n_bootstrap: int = 1000  # resamples of the bootstrap over models of Loevinger's H (0: no CI)
confidence: float = 0.95  # two-sided level of every CI
seed: int = 0  # seed of that bootstrap: same seed, same tables
irt_model: str = "rasch"  # item response model for question difficulty (rasch | 2pl)
irt_prior_sd: float = 3.0  # sd (logits) of the normal prior on abilities and difficulties; keeps 0/n finite
solve_threshold: float = 0.5  # ladder consistency: a model solves a question when its avg@n is at least this
ladder_lines: str = "model"  # Figure 1: one line per model, or per role group
missing_role_models: str = "error"  # a role model not in the panel: stop, or leave it out (error | drop)

# %%
# %matplotlib inline
from ladder import display, findings, plots, tiers
from ladder.params import from_namespace

params = from_namespace(tiers.TiersParams, globals())
display.parameters_box(params, output_dir)

# %% [markdown]
# ## Per model and tier: avg@n with its 95% CI

# %%
graded = tiers.load_panel(inputs, params.graded_files)
analysis = tiers.analyse_panel(graded, params)
display.tier_grid(analysis.tiers, "avg@n")

# %% [markdown]
# ## The ladder
# The study's Figure 1 (right): avg@n per question, sorted within tiers; a line that stays high further to the
# right solves harder questions. Below it, the same lines one model at a time, each against the base.

# %%
plots.plot_tier_ladder(analysis.accuracy, analysis.tier_of, analysis.line_groups, out_dir=output_dir)

# %%
plots.plot_ladder_panels(
    analysis.accuracy,
    analysis.tier_of,
    params.base_models,
    params.sft_models + params.reference_models,
    out_dir=output_dir,
)

# %% [markdown]
# ## Potential: cov@n per model and tier
# Any of the first n samples correct: what a model *can* solve, beside avg@n (how reliably it does).

# %%
display.tier_grid(analysis.tiers, "cov@n")

# %% [markdown]
# **What the CIs are about.** A tier's questions are taken as a sample of questions like them, and each
# question's n answers as a sample of the model's answers: a CI is for the model's expected score on such
# questions, both sources of noise included (not only the sampling noise on these exact questions). Method: a
# Wilson interval over questions with the effective sample size (`ladder.metrics.mean_interval`); its 95%
# covers 93-97% of the time on simulated panels of 12 and 30 questions with n = 8 (`ladder.coverage`,
# `make bench`). A tier of 4 questions gets a wide interval, as it should. cov@k is the study's coverage (any of
# the *first* k samples correct); pass@k is the unbiased estimator 1 - C(n-c, k)/C(n, k). Every metric with its CI,
# per model and tier (`tiers.csv`):

# %%
display.table(analysis.tiers, source="tiers.csv")

# %% [markdown]
# ## What SFT changed: SFT minus base, per tier
# Each SFT model's avg@n and cov@n minus each base model's, on the same questions. The CI is paired: questions
# both models find easy or hard cancel, so it is narrower than comparing the two models' own CIs by eye. A CI
# above 0 says SFT unlocked questions of that tier.

# %%
display.table(analysis.sft_vs_base, percent_columns=["first_value", "second_value", "difference"])

# %% [markdown]
# ## Per question
# Each model's avg@n per question, questions sorted within tiers; the table beneath has the study's tier, the
# rule-based tier on this panel and IRT difficulty (logits, with CI).

# %%
plots.plot_accuracy_heatmap(analysis.accuracy, analysis.tier_of, out_dir=output_dir)

# %%
display.table(analysis.questions, source="questions.csv")

# %% [markdown]
# ## The panel
# One row per model: questions, samples per question (n_min = n_max, or the analysis stops), accuracy. Notes:
# anything the analysis had to decide (truncated samples per question, skipped rule-based tiering).

# %%
display.table(tiers.panel_summary(graded))

# %%
display.notes(analysis.notes)

# %% [markdown]
# ## Calibration: does the panel span the ladder?
# Per tier of the benchmark's own lists (for the synthetic mini-ladder: its levels by construction), the mean
# avg@n of the base and small-SFT models and the best model. The study's panel has the base above 50% on Easy and
# every model below 10% on Exh; the check column says whether this panel does too.

# %%
display.table(tiers.calibration(analysis))

# %% [markdown]
# ## This run vs the study
# The study's mean avg@8 per model group and tier (base, small-scale SFT, large; read off its Figure 1, in
# `data/study_claims.yaml`) beside this run's mean avg@n of the models in the same role, the difference (this run
# minus the study) and the CI of this run's value. A group this run does not have says so.

# %%
display.table(
    findings.tiers_vs_study(graded, analysis, out_dir=output_dir), percent_columns=["study", "this_run", "difference"]
)

# %% [markdown]
# ## Rules vs the study's lists
# Questions where the study's rules, applied to this panel, give another tier than the published lists
# (the paper set its lists partly by hand: id 70 is Hard although its small-SFT mean is about 0.69). Exh is read
# as the study applied it: accuracy over all the exh models' samples pooled (`panel_mean`) below `exh_threshold`;
# with `exh_rule: every_model` each model must stay below it (`panel_max`), which on the study's panel moves
# ids 62 and 89 to Hard.

# %%
display.table(tiers.disagreements(analysis.comparison))

# %% [markdown]
# ## IRT: model abilities
# The same fit as the per-question difficulties above.

# %%
display.table(analysis.irt.models)

# %%
plots.plot_irt_difficulty(analysis.questions, analysis.tier_of, out_dir=output_dir)

# %% [markdown]
# ## Ladder consistency
# When a model solves a harder question, does it also solve the easier ones?

# %%
display.table(analysis.consistency.summary)

# %%
display.table(analysis.consistency.per_model)

# %% [markdown]
# ## Per-tier bars and potential vs stability
# Potential (cov@n) against stability (avg@n): points far above the diagonal are questions a model can solve
# but does not solve reliably.

# %%
plots.plot_tier_accuracy(analysis.tiers, out_dir=output_dir)

# %%
plots.plot_potential_vs_stability(analysis.tiers, out_dir=output_dir)

# %% [markdown]
# ## Files written

# %%
display.files_written(tiers.save_tier_tables(analysis, output_dir))

# %% [markdown]
# <details><summary>Files</summary>
#
# **Reads** every experiment's graded samples (`inputs[experiment]["grade"]/graded.parquet`) and any
# `graded_files` (results graded elsewhere, e.g. `ladder ingest` + `ladder grade` on lm-eval sample logs).
# **Writes** into `output_dir`: `questions.csv` (one row per question: the study's tier, the rule-based tier,
# IRT difficulty with CI, per-model accuracy), `tiers.csv` (one row per model x tier: avg@n, cov@n, cov@k,
# unbiased pass@k, maj@n with CIs), `sft_vs_base.csv` (each SFT model minus each base model per tier, with paired
# CIs), the side tables (`tier_comparison.csv`, `irt_models.csv`, `consistency*.csv`, `question_accuracy.csv`,
# `study_tier_means.csv`: this run vs the study) and the figures as PNG.
#
# </details>
