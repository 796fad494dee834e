"""The grading rules: one sample (:func:`grade_sample`) or a whole samples table (:func:`grade_frame`).

Rules, in order:

1. Extraction (:func:`ladder.answers.extract_answer`): the last complete ``\\boxed{}``/``\\fbox{}``, else
   the last "Answer:" line or "the answer is" phrase, else the last bold number (``**73**``). Text after a closing
   ``</think>`` is searched first; an answer found only inside a think block (closed or never closed) is
   extracted and flagged ``in_think`` (a never-closed block is graded ``unfinished``, see below). The answer
   is normalised: ``\\text{}``, ``$``, units, degree and percent signs, thousands separators, ``x =``
   prefixes and leading zeros go.
2. AIME integer rule (grader ``aime_int``): when the gold and the extracted answer are both integers,
   compare them as integers. This decides almost every AIME sample without calling Math-Verify.
3. Math-Verify (grader ``math_verify``, :mod:`ladder.grade.verify`) for everything else, with a per-sample
   timeout (reason ``timeout`` when it fires, ``unparsable`` when it cannot read the answer).
4. Optional LLM judge (grader ``judge``, off by default, :mod:`ladder.grade.judge`): a callable asked about
   samples the rules could not read (``no_answer``, ``unparsable``, ``timeout``), as the study did with gpt-4o-mini.

Truncated samples (``finish_reason == "length"``) are always graded incorrect with reason
``truncated``; ``answer_matches`` still says whether their extracted answer equals the gold.

Unfinished samples: a response that opens a think block (``<think>``) and never closes it (``</think>``)
has no final answer, whatever its finish reason (stop, unknown, none); lm-eval logs record no finish reason,
so there an unclosed think block is the only trace of a cut. They are flagged ``unfinished`` and, by
default (param ``unfinished_think="incorrect"``), graded incorrect with reason ``unfinished``, the judge not
asked; ``answer_matches`` still says whether the last answer inside the block equals the gold.
``unfinished_think="last_answer"`` grades that last answer instead (reason ``ok``/``wrong`` as usual; the flag
stays). ``finish_reason == "length"`` takes precedence: such a sample is ``truncated``, never ``unfinished``.
Every truncation summary counts unfinished samples with the truncated ones (``truncated_or_unfinished``).

Cross-check: :func:`grade_frame` also has Math-Verify grade up to ``cross_check_samples`` integer-rule samples
(column ``math_verify_correct``), so that the notebook can show where the two graders disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ladder import schema
from ladder.answers import ExtractedAnswer, extract_answer, is_unfinished, normalize_answer, parse_integer
from ladder.grade.judge import Judge
from ladder.grade.params import UNFINISHED_THINK_RULES
from ladder.grade.verify import math_verify_equal


@dataclass(frozen=True)
class SampleGrade:
    """The verdict on one sample."""

    extracted: ExtractedAnswer | None
    answer_matches: bool  # the extracted answer equals the gold (ignores truncation and unclosed think blocks)
    correct: bool  # answer_matches and not truncated (nor unfinished, unless the last_answer rule)
    grader: str  # aime_int | math_verify | judge | none
    reason: str  # ok | wrong | no_answer | truncated | unfinished | timeout | unparsable | error | no_gold
    unfinished: bool = False  # a <think> block opened and never closed, finish reason not "length"


def _check_unfinished_think(rule: str) -> None:
    if rule not in UNFINISHED_THINK_RULES:
        raise ValueError(f"unfinished_think '{rule}': expected one of {', '.join(UNFINISHED_THINK_RULES)}")


def grade_sample(
    response: str | None,
    gold: str | None,
    finish_reason: str | None = "stop",
    *,
    math_verify_timeout_s: int = 5,
    judge: Judge | None = None,
    problem: str = "",
    unfinished_think: str = "incorrect",
) -> SampleGrade:
    """Grade one response against its gold answer with the rules of the module docstring.

    ``unfinished_think``: ``"incorrect"`` (a response whose think block never closes has no final answer:
    reason ``unfinished``) or ``"last_answer"`` (grade the last answer inside the block; still flagged).
    """
    _check_unfinished_think(unfinished_think)
    extracted = extract_answer(response)
    truncated = finish_reason == "length"
    unfinished = is_unfinished(response, finish_reason)
    no_final_answer = truncated or (unfinished and unfinished_think == "incorrect")
    if gold is None or pd.isna(gold) or not str(gold).strip():
        return SampleGrade(extracted, False, False, "none", "no_gold", unfinished)
    gold = str(gold).strip()
    matches, grader, status = False, "none", "no_answer"
    if extracted is not None:
        gold_int = parse_integer(normalize_answer(gold))
        answer_int = parse_integer(extracted.normalized)
        if gold_int is not None and answer_int is not None:
            matches, grader, status = answer_int == gold_int, "aime_int", "ok"
        else:
            matches, status = math_verify_equal(gold, extracted, math_verify_timeout_s)
            grader = "math_verify"
    if judge is not None and status != "ok" and not no_final_answer:
        verdict = judge(problem, gold, response or "", extracted)
        if verdict is not None:
            matches, grader, status = bool(verdict), "judge", "ok"
    if truncated:
        reason = "truncated"
    elif no_final_answer:
        reason = "unfinished"
    elif status == "ok":
        reason = "ok" if matches else "wrong"
    else:
        reason = status
    return SampleGrade(extracted, matches, matches and not no_final_answer, grader, reason, unfinished)


def grade_frame(
    samples: pd.DataFrame,
    *,
    math_verify_timeout_s: int = 5,
    judge: Judge | None = None,
    cross_check_samples: int = 0,
    seed: int = 0,
    problems: pd.DataFrame | None = None,
    unfinished_think: str = "incorrect",
) -> pd.DataFrame:
    """Grade every row of a samples table; returns it with :data:`ladder.schema.GRADED_COLUMNS` added.

    Extra columns: ``answer_matches`` (extracted == gold, whatever the truncation), ``extraction_method``,
    ``answer_in_think`` and ``math_verify_correct`` (Math-Verify's verdict on up to ``cross_check_samples``
    integer-rule samples, chosen with ``seed``; <NA> elsewhere), used by
    :func:`ladder.grade.tables.grader_disagreements`. ``problems`` (question_id -> problem) is only needed by a
    judge. ``unfinished_think``: the rule for responses whose think block never closes, see :func:`grade_sample`.
    """
    _check_unfinished_think(unfinished_think)
    samples = schema.conform_samples(samples, "<samples to grade>")
    problem_of = dict(zip(problems["question_id"], problems["problem"], strict=True)) if problems is not None else {}
    columns = ("response", "gold", "finish_reason", "question_id")
    grades = [
        grade_sample(
            response,
            gold,
            finish,
            math_verify_timeout_s=math_verify_timeout_s,
            judge=judge,
            problem=problem_of.get(qid, ""),
            unfinished_think=unfinished_think,
        )
        for response, gold, finish, qid in zip(*(samples[c].tolist() for c in columns), strict=True)
    ]
    out = samples.copy()
    out["extracted_answer"] = [g.extracted.normalized if g.extracted else None for g in grades]
    out["correct"] = [g.correct for g in grades]
    out["grader"] = [g.grader for g in grades]
    out["reason"] = [g.reason for g in grades]
    out["truncated"] = out["finish_reason"] == "length"
    out["unfinished"] = [g.unfinished for g in grades]
    out["answer_matches"] = [g.answer_matches for g in grades]
    out["extraction_method"] = [g.extracted.method if g.extracted else None for g in grades]
    out["answer_in_think"] = [bool(g.extracted and g.extracted.in_think) for g in grades]
    out["math_verify_correct"] = pd.array([pd.NA] * len(out), dtype="boolean")
    if cross_check_samples > 0:
        integer_rows = np.flatnonzero((out["grader"] == "aime_int").to_numpy())
        rng = np.random.default_rng(seed)
        chosen = rng.choice(integer_rows, size=min(cross_check_samples, len(integer_rows)), replace=False)
        column = out.columns.get_loc("math_verify_correct")
        for row in sorted(chosen.tolist()):
            extracted = grades[row].extracted
            equal, status = math_verify_equal(
                str(out.iat[row, out.columns.get_loc("gold")]), extracted, math_verify_timeout_s
            )
            if status == "ok":
                out.iat[row, column] = equal
    return schema.conform_graded(out, "<graded>")
