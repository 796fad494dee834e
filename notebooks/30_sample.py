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
# # 30 Sample: n responses per benchmark question from one model

# %% tags=["parameters"]
output_dir: str = "runs/scratch/30_sample"  # injected by the runner
input_dir: str = ""  # injected by the runner ("" when sampling is the experiment's first stage)
experiment: str = "scratch"  # injected by the runner
profile: str = "scratch"  # injected by the runner
model: str = ""  # hub id or local path; ignored when a train stage precedes (input_dir/model exists)
revision: str = "main"  # hub revision (branch, tag or commit) when `model` is a hub id
model_name: str = ""  # name written to the `model` column; "" means the experiment name
backend: str = "hf"  # hf: transformers generate; vllm: offline LLM; openai: a server
benchmark: str = "aime24"  # benchmark name in ladder.benchmarks
benchmark_path: str = ""  # local benchmark file; "" loads it from the hub
question_ids: list = []  # subset of question ids to sample; [] means every question
prompt_template: str = "raw"  # raw (study: problem text) | boxed (step by step + \boxed{}) | text with {problem}
apply_chat_template: bool = True  # wrap the prompt in the model tokenizer's chat template as a user turn
n: int = 8  # samples per question
temperature: float = 1.0  # sampling temperature; 0 means greedy
top_p: float = 1.0  # nucleus sampling p
max_new_tokens: int = 32768  # generation budget per sample; hitting it gives finish_reason "length"
seed: int = 0  # base seed; each (question, sample) gets its own seed derived from it
batch_size: int = 16  # hf, vllm: requests per generate() call, saved after each; sets the numerics
dtype: str = "auto"  # weights dtype (study: float32 on vLLM) (auto | float32 | bfloat16 | float16)
device: str = "auto"  # hf: auto (cuda if available) | cpu | cuda | cuda:N
cpu_threads: int = 0  # hf, vllm on CPU: threads; 0: the engine's default (1 is fastest for tiny models)
tensor_parallel_size: int = 1  # vllm: devices (GPUs) per engine
data_parallel_size: int = 1  # vllm: engines, each on tensor_parallel_size devices, each sampling a share
max_model_len: int = 0  # vllm: context length; 0 means longest prompt + max_new_tokens
gpu_memory_utilization: float = 0.9  # vllm on GPU: share of GPU memory it may take (CPU: sized by batch)
openai_base_url: str = "http://127.0.0.1:8000/v1"  # openai: server URL up to /v1
openai_api: str = "completions"  # completions: template applied here; chat: by server
openai_model: str = ""  # openai: model name the server knows; "" means `model`
openai_api_key_env: str = "OPENAI_API_KEY"  # openai: name of the env var holding the key (never the key itself)
concurrency: int = 8  # openai: requests in flight at once
max_retries: int = 5  # openai: retries per request (exponential backoff) on timeouts, 429 and 5xx
request_timeout_s: float = 600.0  # openai: seconds before one request is abandoned (then retried)

# %%
from ladder import display, sample
from ladder.params import from_namespace

params = from_namespace(sample.SampleParams, globals())
display.parameters_box(params, output_dir)

# %% [markdown]
# ## Lengths and truncation

# %% tags=["log"]
samples = sample.sample_stage(params, input_dir, output_dir, experiment)

# %%
display.table(sample.truncation_table(samples))

# %%
sample.token_length_figure(samples, out_dir=output_dir)

# %% [markdown]
# Generated tokens per sample, stacked by how the sample ended (an unclosed think block counts as unfinished); bars
# at the dashed line are truncated. `truncated`: the share of samples that hit `max_new_tokens`; `unfinished`: they
# stopped inside a `<think>` block that never closed (the grade stage scores both as cut), with a 95% Wilson
# interval. A high rate means the budget, not the model, decides many answers: raise `max_new_tokens` before
# reading accuracies. The stage resumes from `samples.jsonl` when this folder holds the same request and refuses a
# folder sampled with other settings (the engine's log is in `notebook.ipynb`).

# %% [markdown]
# ## What was sampled
# Model and revision (a hub commit, or `local:` + a fingerprint of the checkpoint files), engine and version,
# sampling settings, questions and samples per question.

# %%
display.table(sample.settings_table(samples))

# %% [markdown]
# ## Engine
# What generated the rows: the engine and its version, the device it ran on, and every argument it was given
# (vLLM on a CPU gets the settings that make per-request seeds safe; see `ladder.sample.vllm_backend`).

# %%
display.table(sample.engine_table(sample.read_engine(output_dir)))

# %% [markdown]
# ## Examples
# Sample 0 of the first questions, responses shortened for display (the full text is in `samples.parquet`).

# %%
display.table(sample.examples_table(samples, k=3))

# %% [markdown]
# <details><summary>Files</summary>
#
# **Reads** the trained model in `input_dir/model/` when a train stage precedes, else `model` (hub id or local
# path), and the benchmark questions (`benchmark`, or the local file `benchmark_path`).
# **Writes** `output_dir/samples.parquet` (one row per question x sample, schema `ladder.schema.SAMPLE_COLUMNS`:
# response, n_tokens, finish_reason, seed, settings), `request.json` (what this run is), `samples.jsonl`
# (rows as they were produced; a re-run into the same folder resumes from it) and `token_lengths.png`.
#
# Each (question, sample) has its own seed, derived from (`seed`, question id, sample index), so a resumed run
# produces the rows of an uninterrupted one. A sample that hit `max_new_tokens` has `finish_reason` "length":
# the grade stage scores it as truncated, never as a finished answer.
#
# </details>
