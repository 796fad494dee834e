"""Params of the grade stage: the one place each default of grading lives (notebook 40, ``ladder grade``)."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import Field

from ladder.params import StageParams


class GradeParams(StageParams):
    """Params of the grade stage (notebook 40_grade)."""

    benchmark: str = "aime24"  # benchmark in ladder.benchmarks whose answers are the golds of ingested files
    benchmark_path: str = ""  # local problem file of the benchmark; empty: the Hugging Face hub where needed
    inputs: list[str] = []  # result files to ingest when no sample stage precedes, i.e. input_dir is empty
    input_format: Literal["lm-eval", "lighteval", "skythought", "ladder"] = "lm-eval"  # format of `inputs`
    drop_unknown: bool = False  # leave out ingested rows whose question is not in the benchmark; False: error
    model: str = ""  # model name for ingested rows; empty: from the files, else the experiment name
    math_verify_timeout_s: int = Field(
        5, ge=1
    )  # per-sample Math-Verify timeout for parsing and for comparing, seconds
    judge: str = ""  # LLM judge for answers the rules cannot read, openai:MODEL; empty: off, the default
    cross_check_samples: int = Field(
        500, ge=0
    )  # integer-rule samples also graded by Math-Verify to find disagreements; 0: off
    unfinished_think: Literal["incorrect", "last_answer"] = (
        "incorrect"  # <think> never closed: incorrect | last_answer
    )
    examples_per_reason: int = Field(2, ge=0)  # examples shown per reason in the notebook
    seed: int = 0  # seed for choosing cross-checked samples and examples


# The rules for a <think> block never closed, as the param `unfinished_think` accepts them.
UNFINISHED_THINK_RULES: tuple[str, ...] = get_args(GradeParams.model_fields["unfinished_think"].annotation)
