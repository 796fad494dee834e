"""Grading: extract each sample's final answer and decide whether it is correct (stage 40_grade, ``ladder grade``).

Usage::

    from ladder.grade import grade_frame
    graded = grade_frame(samples)            # samples: ladder.schema.SAMPLE_COLUMNS

Modules: ``params`` (GradeParams), ``rules`` (the grading rules: extraction, AIME integer rule, Math-Verify,
truncated and unfinished samples, the cross-check), ``verify`` (Math-Verify with a timeout), ``judge`` (the
optional LLM judge), ``report`` (tables of the notebook), ``stage`` (the stage, its input, and the
``ladder grade`` command). Answer extraction itself is :mod:`ladder.answers`; reading other harnesses' result
files is :mod:`ladder.ingest`.
"""

from ladder.grade.judge import Judge, make_judge
from ladder.grade.params import GradeParams
from ladder.grade.report import (
    grade_examples,
    grader_disagreements,
    preview,
    reason_counts,
    truncated_or_unfinished,
    truncation_summary,
    unfinished_summary,
)
from ladder.grade.rules import grade_frame, grade_sample
from ladder.grade.stage import add_cli, grade_stage
from ladder.grade.verify import math_verify_equal

__all__ = [
    "GradeParams",
    "Judge",
    "add_cli",
    "grade_examples",
    "grade_frame",
    "grade_sample",
    "grade_stage",
    "grader_disagreements",
    "make_judge",
    "math_verify_equal",
    "preview",
    "reason_counts",
    "truncated_or_unfinished",
    "truncation_summary",
    "unfinished_summary",
]
