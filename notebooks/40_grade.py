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
# # 40 Grade: extract each sample's answer and decide whether it is correct

# %% tags=["parameters"]
output_dir: str = "runs/scratch/40_grade"  # injected by the runner
input_dir: str = ""  # injected by the runner
experiment: str = "scratch"  # injected by the runner
profile: str = "scratch"  # injected by the runner
benchmark: str = "aime24"  # benchmark in ladder.benchmarks whose answers are the golds of ingested files
benchmark_path: str = ""  # local problem file of the benchmark; empty: the Hugging Face hub where needed
inputs: list = []  # result files to ingest when no sample stage precedes, i.e. input_dir is empty
input_format: str = "lm-eval"  # format of `inputs` (lm-eval | lighteval | skythought | ladder)
drop_unknown: bool = False  # leave out ingested rows whose question is not in the benchmark; False: error
model: str = ""  # model name for ingested rows; empty: from the files, else the experiment name
math_verify_timeout_s: int = 5  # per-sample Math-Verify timeout for parsing and for comparing, seconds
judge: str = ""  # LLM judge for answers the rules cannot read, openai:MODEL; empty: off, the default
cross_check_samples: int = 500  # integer-rule samples also graded by Math-Verify to find disagreements; 0: off
unfinished_think: str = "incorrect"  # <think> never closed: incorrect | last_answer
examples_per_reason: int = 2  # examples shown per reason in the notebook
seed: int = 0  # seed for choosing cross-checked samples and examples

# %%
from ladder import display, grade
from ladder.params import from_namespace

params = from_namespace(grade.GradeParams, globals())
display.parameters_box(params, output_dir)

# %% [markdown]
# ## Grading outcomes: which rule decided, and why

# %%
graded = grade.grade_stage(params, input_dir, output_dir, experiment)
display.table(grade.reason_counts(graded))

# %% [markdown]
# `grader`: `aime_int` (integer comparison), `math_verify`, `judge`, `none` (nothing to compare).
# `reason`: `ok`, `wrong`, `no_answer` (no final answer found), `truncated`, `unfinished` (think block never
# closed), `unparsable`, `timeout`, `error`.
#
# ## Truncation and extraction failures
# Shares of each model's samples. `truncated_or_unfinished`: the truncation rate, cut at the token limit
# (`truncated`) or with a `<think>` block never closed (`unfinished`), each also shown apart;
# `truncated_but_matching`: cut at the token limit although the answer found so far equals the gold (graded
# incorrect, as the study's protocol demands); `finish_reason_unknown`: the source did not say (lm-eval and
# lighteval logs do not), so only an unclosed think block reveals a cut there; `answer_in_think`: the answer was
# only found inside a `<think>` block.

# %%
display.table(grade.truncation_summary(graded))

# %% [markdown]
# ## Unclosed think blocks: what the `unfinished_think` rule changes
# Counts per model: samples whose `<think>` block never closed (not cut at the token limit), how many of them
# hold an answer, and how many of those answers equal the gold; then the accuracy under each rule (`incorrect`,
# the default, and `last_answer`) and the change. This run used the rule in `unfinished_think`.

# %%
display.table(grade.unfinished_summary(graded))

# %% [markdown]
# ## Where graders disagree
# Our verdict on the extracted answer against Math-Verify's on up to `cross_check_samples` integer-rule samples,
# and against the source harness's own per-sample verdict (ingested files that record one). Empty: no
# disagreement.

# %%
display.table(grade.grader_disagreements(graded))

# %% [markdown]
# ## The first graded rows

# %%
display.table(grade.preview(graded))

# %% [markdown]
# ## Examples per reason
# The end of a few responses per reason (seeded), to check the rules by eye.

# %%
display.table(grade.grade_examples(graded, per_reason=params.examples_per_reason, seed=params.seed))

# %% [markdown]
# <details><summary>Files</summary>
#
# **Reads** `input_dir/samples.parquet` (the sample stage's output), or, when no sample stage precedes
# (`input_dir` is ""), the result files named in `inputs` (lm-evaluation-harness sample logs, lighteval details,
# SkyThought results or our own samples), ingested with their questions mapped onto canonical ids.
# **Writes** `output_dir/graded.parquet`: the samples plus `extracted_answer`, `correct`, `grader`, `reason`,
# `truncated`, `unfinished` (schema `ladder.schema.GRADED_COLUMNS`).
#
# Rules: the last `\boxed{}` / `\fbox{}`, else the last "Answer:" line, else the last bold number; the AIME
# integer rule when gold and answer are integers, Math-Verify (with a per-sample timeout) otherwise; samples cut
# at the token limit (`finish_reason == "length"`) are incorrect with reason `truncated`. A response whose
# `<think>` block never closes has no final answer either (the only trace of a cut in lm-eval logs, which record
# no finish reason): flagged `unfinished` and, unless `unfinished_think` is `last_answer`, incorrect with reason
# `unfinished`. An LLM judge is off unless `judge` names one.
#
# </details>
