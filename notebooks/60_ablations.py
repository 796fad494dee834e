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
# # 60 Ablations: P = f(C, N, L, S), what the SFT data buys per tier, and the study's findings

# %% tags=["parameters"]
output_dir: str = "runs/ablations"  # runner: folder this stage writes into
inputs: dict = {}  # runner: experiment -> {stage -> folder}; "_panel" -> {"tiers": folder}
profile: str = "laptop"  # runner: the profile being run
benchmark: str = "aime24"  # benchmark whose graded rows are analysed (tiers from the tiers stage)
steps_benchmark: str = "synthetic_steps"  # benchmark of one-question-per-step rows (step decomposition)
tier_column: str = "study_tier"  # column of the tiers stage's questions.csv (study_tier | rule_tier)
base_models: list = []  # base experiments/models (not SFT); empty: the tiers stage's base_models
released_models: str = "data/released_models.yaml"  # axes of released models evaluated without curate; "": none
reference_experiment: str = ""  # experiment whose axes are the reference setting; "": most common values
mixed_categories: list = ["diverse", "all"]  # categories that are mixes: equal on the C axis ("mix")
step_pairs: dict = {}  # steps experiment -> end-to-end experiment; {}: from the sample params
unequal_n: str = "error"  # unequal samples per question: fail, or first n_min (error | truncate)
confidence: float = 0.95  # two-sided level of every CI (metrics, paired differences, the scaling slope)
claims: str = "data/study_claims.yaml"  # the study's findings with the thresholds that test them (ladder.findings)

# %%
# %matplotlib inline
from ladder import ablations, display, findings
from ladder.params import from_namespace

params = from_namespace(ablations.AblationsParams, globals())
display.parameters_box(params, output_dir)

# %% [markdown]
# ## The study's findings in this run

# %%
data = ablations.load_ablation_inputs(inputs, params)
analysis = ablations.analyse_ablations(data, params)
claims = findings.load_claims(params.claims)
results = findings.evaluate(analysis, claims)
display.table(findings.findings_table(results))

# %% [markdown]
# One row per finding of the study (`data/study_claims.yaml`): the verdict, the study's words, this run's numbers,
# and the study's published numbers beside this run's. Every part of a finding is read off an interval, never a
# point estimate: a model's level against the study's bar by its CI (a count such as "k of m reach 90%" counts the
# models whose CI clears the bar), and every comparison (R1 vs Gemini, long vs short, N vs 2N, best vs worst
# category, cov@n vs avg@n) as a paired difference on the same questions with its own CI. `holds` is yes (the
# intervals support the claim), no (they exclude it), inconclusive (one straddles it; the sentence says which) or
# not testable. For a published number, "agrees" means a bound met, or the study's value within the stated
# tolerance or this run's CI.
#
# ## N: accuracy against data size
# OLS of avg@n on log10 N per tier over SFT experiments that differ only in N; the slope is in accuracy per
# tenfold N, with its CI (none with only two sizes).

# %%
ablations.plot_accuracy_vs_n(analysis, out_dir=output_dir)

# %%
display.table(analysis.scaling)

# %% [markdown]
# ## L: short, normal and long trajectories

# %%
ablations.plot_axis_bars(analysis, "L", out_dir=output_dir)

# %% [markdown]
# ## S: R1-style against Gemini-style trajectories

# %%
ablations.plot_axis_bars(analysis, "S", out_dir=output_dir)

# %% [markdown]
# ## C: spread across categories
# Per tier: the lowest and highest category mean (replicate seeds averaged) and max - min.

# %%
ablations.plot_category_spread(analysis, out_dir=output_dir, claims=claims)

# %%
display.table(analysis.categories, percent_columns=["min", "max", "spread", "mean"])

# %% [markdown]
# ## Accuracy per experiment and tier
# avg@n (stability) and cov@n (potential: any of the first n samples correct, as the study), with CIs for the
# population of questions like each tier's (`ladder.metrics`); `gap` = cov@n - avg@n with its paired CI.

# %%
display.tier_grid(analysis.accuracy, "avg@n", row="experiment")

# %%
display.table(analysis.accuracy, source="accuracy_by_tier.csv")

# %% [markdown]
# ## Potential vs stability
# cov@n against avg@n per experiment and tier: points far above the diagonal can solve a tier's questions
# but do not solve them reliably.

# %%
ablations.plot_stability(analysis, out_dir=output_dir)

# %% [markdown]
# ## Paired differences
# Every pair of values of each axis within a like-for-like group (the later value minus the earlier: larger N,
# longer traces, R1 over Gemini, similar over random data), per tier, for avg@n and cov@n. Experiments with the
# same value (seeds) are pooled. A CI above 0 says the later value helps on that tier's questions.

# %%
display.table(analysis.contrasts, percent_columns=["first_value", "second_value", "difference"])

# %% [markdown]
# ## Step decomposition
# For experiments that sampled the one-question-per-step benchmark: each step's accuracy, their mean and
# product, against the end-to-end accuracy of the same model on the whole question.

# %%
ablations.plot_steps(analysis, out_dir=output_dir)

# %%
display.table(analysis.steps, source="step_decomposition.csv")

# %% [markdown]
# ## After a wrong step: does the trace correct it?
# The mechanism the study credits R1-style traces with, read from the sampled text (`ladder.corrections`, the
# mini-ladder only): per model, the share of written steps whose arithmetic is wrong, and of those the share the
# trace corrected (its re-check says "not", then it redoes the step right), with a 95% Wilson interval;
# `false_alarm_rate`: right steps flagged as wrong. Traces without re-checks (plain steps, Gemini) cannot correct.

# %%
ablations.plot_corrections(analysis, out_dir=output_dir)

# %%
display.table(
    analysis.corrections,
    percent_columns=["wrong_share", "correction_rate", "false_alarm_rate"],
    source="corrections.csv",
)

# %% [markdown]
# ## The experiments on the axes
# One row per experiment with known curate params: N, L, S, C, source, similarity, trace verbosity, its role
# (base or SFT), `origin` and `axes_from` (its curate stage, or the released model it is), and `varies`: the
# axes on which it differs from the reference setting. Notes: anything the analysis had to decide (experiments
# without rows, steps without a partner).

# %%
display.table(data.axes)

# %%
display.notes(analysis.notes)

# %% [markdown]
# ## Files written

# %%
display.files_written(ablations.save_ablation_tables(analysis, output_dir, results))

# %% [markdown]
# <details><summary>Files</summary>
#
# **Reads** every experiment's curate params (`inputs[experiment]["curate"]/params.json`: size N, length L,
# style S, category C, source, similarity; for a released model evaluated without a curate stage, its row of
# `released_models`, by default `data/released_models.yaml`), its graded samples
# (`inputs[experiment]["grade"]/graded.parquet`), the tiers stage's `questions.csv` (`inputs["_panel"]["tiers"]`)
# and, when the profile runs it, the strategies stage's `strategy_by_tier.csv` and `exh_strategy_match.csv`
# (`inputs["_panel"]["strategies"]`: finding 6).
# **Writes** into `output_dir`: `experiment_axes.csv` (each experiment's position on the axes and the axis it
# varies relative to the reference setting), `accuracy_by_tier.csv` (avg@n and cov@n with CIs per
# experiment x tier), `axis_<N|L|S|C|similarity>.csv` (like-for-like comparisons), `contrasts.csv` (paired
# differences between the values of each axis, per tier), `scaling_fit.csv` (OLS of
# accuracy on log10 N), `category_spread.csv`, `step_decomposition.csv`, `findings.csv`, `study_findings.csv` (this
# run's numbers beside the study's), and the figures as PNG.
#
# The reference setting is the most common value of each axis among the SFT experiments (or
# `reference_experiment`'s); an axis comparison groups SFT experiments equal on every other axis and of the same
# origin (trained by this run, or released). An experiment holding several models (a folder of the study's
# lm-eval logs) is analysed model by model: its rows carry the model's name as `experiment`.
# Every sentence of the findings table is computed from this run's numbers by `ladder.findings`, with the study's
# claims and the thresholds that test them read from `claims` (`data/study_claims.yaml`; point it at a copy to move
# a bar).
#
# </details>
