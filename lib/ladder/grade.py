"""Grading: extract each sample's final answer and decide whether it is correct.

Rules, in order:

1. Extraction (:func:`extract_answer`, in ``ladder.answers``): the last complete ``\\boxed{}``/``\\fbox{}``, else
   the last "Answer:" line or "the answer is" phrase, else the last bold number (``**73**``). Text after a closing
   ``</think>`` is searched first; an answer found only inside a think block (closed or never closed) is
   extracted and flagged ``in_think`` (a never-closed block is graded ``unfinished``, see below). The answer
   is normalised: ``\\text{}``, ``$``, units, degree and percent signs, thousands separators, ``x =``
   prefixes and leading zeros go.
2. AIME integer rule (grader ``aime_int``): when the gold and the extracted answer are both integers,
   compare them as integers. This decides almost every AIME sample without calling Math-Verify.
3. Math-Verify (grader ``math_verify``) for everything else, with a per-sample timeout (reason
   ``timeout`` when it fires, ``unparsable`` when it cannot read the answer).
4. Optional LLM judge (grader ``judge``, off by default): a callable asked about samples the rules
   could not read (``no_answer``, ``unparsable``, ``timeout``), as the study did with gpt-4o-mini.

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

Usage::

    from ladder.grade import grade_frame, extract_answer
    graded = grade_frame(samples)            # samples: ladder.schema.SAMPLE_COLUMNS
    extract_answer("... so the answer is \\boxed{073}.").normalized   # -> "73"

Command line: ``ladder grade samples.parquet --out graded.parquet``.
"""

from __future__ import annotations

import argparse
import functools
import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from ladder import benchmarks, ingest, schema
from ladder.answers import (
    ExtractedAnswer,
    extract_answer,
    is_unfinished,
    normalize_answer,
    parse_integer,
)
from ladder.params import StageParams

# --------------------------------------------------------------------------------------------------
# Params


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
        "incorrect"  # <think> never closed: incorrect (reason unfinished) | last_answer (grade its last answer)
    )
    examples_per_reason: int = Field(2, ge=0)  # examples shown per reason in the notebook
    seed: int = 0  # seed for choosing cross-checked samples and examples


UNFINISHED_THINK_RULES = ("incorrect", "last_answer")  # the grade param unfinished_think


# --------------------------------------------------------------------------------------------------
# Math-Verify

# Math-Verify logs every timeout and parse failure as a warning; they are recorded per sample as reasons instead.
logging.getLogger("math_verify").setLevel(logging.ERROR)


@functools.lru_cache(maxsize=4096)
def _parse_gold(gold: str, timeout_s: int):
    from math_verify import parse

    return parse(f"\\boxed{{{gold}}}", parsing_timeout=timeout_s)


def math_verify_equal(gold: str, answer: ExtractedAnswer, timeout_s: int = 5) -> tuple[bool, str]:
    """Compare with Math-Verify; returns (equal, status) with status ok | unparsable | timeout | error."""
    from math_verify import parse, verify
    from math_verify.errors import TimeoutException

    if threading.current_thread() is not threading.main_thread():
        # Math-Verify's timeouts use SIGALRM, which only the main thread may set; without it a sample could hang.
        return False, "error"
    text = f"\\boxed{{{answer.text}}}" if answer.method in ("boxed", "fbox") else answer.text
    # Math-Verify turns its own timeouts into "no parse" / False and logs them; a call that ran for the whole
    # timeout is how we tell a timeout from a plain mismatch without making every other error fatal.
    started = time.monotonic()
    try:
        gold_parsed = _parse_gold(gold, timeout_s)
        predicted = parse(text, parsing_timeout=timeout_s)
        if not gold_parsed or not predicted:
            return False, "timeout" if time.monotonic() - started >= timeout_s else "unparsable"
        started = time.monotonic()
        equal = bool(verify(gold_parsed, predicted, timeout_seconds=timeout_s))
        if not equal and time.monotonic() - started >= timeout_s:
            return False, "timeout"
        if not equal and all(isinstance(item, str) for item in predicted):
            return False, "unparsable"  # only Math-Verify's raw-string fallback: it could not read the answer
        return equal, "ok"
    except TimeoutException:
        return False, "timeout"
    except Exception:  # pathological LaTeX: record it on the sample, never crash the whole frame
        return False, "error"


# --------------------------------------------------------------------------------------------------
# Grading

Judge = Callable[[str, str, str, "ExtractedAnswer | None"], "bool | None"]
"""judge(problem, gold, response, extracted) -> True/False, or None when it cannot decide."""


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
    integer-rule samples, chosen with ``seed``; <NA> elsewhere), used by :func:`grader_disagreements`.
    ``problems`` (question_id -> problem) is only needed by a judge. ``unfinished_think``: the rule for responses
    whose think block never closes, see :func:`grade_sample`.
    """
    _check_unfinished_think(unfinished_think)
    samples = schema.conform_samples(samples, "<samples to grade>")
    problem_of = dict(zip(problems["question_id"], problems["problem"], strict=True)) if problems is not None else {}
    grades = [
        grade_sample(
            response, gold, finish,
            math_verify_timeout_s=math_verify_timeout_s, judge=judge, problem=problem_of.get(qid, ""),
            unfinished_think=unfinished_think,
        )
        for response, gold, finish, qid in zip(
            samples["response"].tolist(), samples["gold"].tolist(), samples["finish_reason"].tolist(),
            samples["question_id"].tolist(), strict=True,
        )
    ]  # fmt: skip
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


def grader_disagreements(graded: pd.DataFrame) -> pd.DataFrame:
    """Samples where two graders disagree on the extracted answer: our rule vs Math-Verify's cross-check,
    and ours vs the source harness's own verdict (``source_correct``, kept by ingest) where present."""
    columns = ["model", "question_id", "sample_idx", "gold", "extracted_answer", "grader", "other_grader",
               "ours", "theirs", "response_tail"]  # fmt: skip
    parts = []
    for other, label in (("math_verify_correct", "math_verify"), ("source_correct", "source")):
        if other not in graded.columns:
            continue
        theirs = graded[other].astype("boolean")
        mask = theirs.notna() & (theirs != graded["answer_matches"].astype("boolean"))
        rows = graded.loc[mask.fillna(False).to_numpy()]
        if len(rows):
            parts.append(
                rows.assign(
                    other_grader=label,
                    ours=rows["answer_matches"].astype(bool),
                    theirs=rows[other].astype(bool),
                    response_tail=rows["response"].astype(str).str[-200:],
                )[columns]
            )
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)


def preview(graded: pd.DataFrame, rows: int = 5) -> pd.DataFrame:
    """The first graded rows with the columns a reader checks: keys, gold, extracted answer, verdict."""
    columns = ["model", "question_id", "sample_idx", "gold", "extracted_answer", "correct", "grader", "reason",
               "finish_reason", "n_tokens"]  # fmt: skip
    return graded[columns].head(rows)


def reason_counts(graded: pd.DataFrame) -> pd.DataFrame:
    """Counts of samples per model x (grader, reason), with their share of the model's samples."""
    counts = graded.groupby(["model", "grader", "reason"], observed=True).size().rename("n").reset_index()
    counts["share"] = counts["n"] / counts.groupby("model")["n"].transform("sum")
    return counts.sort_values(["model", "n"], ascending=[True, False], ignore_index=True)


def _unfinished(graded: pd.DataFrame) -> pd.Series:
    """The ``unfinished`` flag; False throughout for frames graded before it existed."""
    if "unfinished" not in graded.columns:
        return pd.Series(False, index=graded.index)
    return graded["unfinished"].astype("boolean").fillna(False).astype(bool)


def truncated_or_unfinished(graded: pd.DataFrame) -> pd.Series:
    """Samples without a final answer because they were cut: ``truncated`` (finish reason "length") or
    ``unfinished`` (a think block never closed). Every truncation count and rate is of this."""
    return graded["truncated"].astype(bool) | _unfinished(graded)


def truncation_summary(graded: pd.DataFrame) -> pd.DataFrame:
    """Per model: samples, accuracy, truncation rate, unknown finish reasons, extraction failures, answers in think.

    ``truncated_or_unfinished`` is the truncation rate: cut at the token limit (``truncated``) or with a think block
    never closed (``unfinished``, the only trace of a cut in logs without finish reasons), shown apart as well.
    """
    flags = pd.DataFrame(
        {
            "model": graded["model"],
            "accuracy": graded["correct"].astype(bool),
            "truncated_or_unfinished": truncated_or_unfinished(graded),
            "truncated": graded["truncated"].astype(bool),
            "unfinished": _unfinished(graded),
            "truncated_but_matching": (graded["truncated"] & graded["answer_matches"]).astype(bool),
            "finish_reason_unknown": graded["finish_reason"] == "unknown",
            "no_answer": graded["reason"] == "no_answer",
            "answer_in_think": graded["answer_in_think"].astype(bool),
        }
    )
    by_model = flags.groupby("model", observed=True)
    return by_model.size().rename("samples").to_frame().join(by_model.mean()).reset_index()


def unfinished_summary(graded: pd.DataFrame) -> pd.DataFrame:
    """Per model: how the ``unfinished_think`` rule changes the score.

    Columns: ``samples``; ``unfinished`` (think block opened and never closed, not cut at the token limit);
    ``unfinished_with_answer`` (of those, an answer was found, almost always inside the block);
    ``unfinished_matching`` (of those, the answer equals the gold); ``accuracy_incorrect`` and
    ``accuracy_last_answer``: accuracy under each rule (``incorrect``, the default: unfinished samples count as
    wrong; ``last_answer``: their last answer is graded), whichever rule ``graded`` was graded with;
    ``accuracy_change``: the second minus the first.
    """
    unfinished = _unfinished(graded)
    matches = graded["answer_matches"].astype(bool)
    settled = graded["correct"].astype(bool) & ~unfinished  # the same under both rules
    flags = pd.DataFrame(
        {
            "model": graded["model"],
            "unfinished": unfinished,
            "unfinished_with_answer": unfinished & graded["extracted_answer"].notna(),
            "unfinished_matching": unfinished & matches,
            "accuracy_incorrect": settled,
            "accuracy_last_answer": settled | (unfinished & matches),
        }
    )
    by_model = flags.groupby("model", observed=True, sort=True)
    counts = by_model[["unfinished", "unfinished_with_answer", "unfinished_matching"]].sum().astype(int)
    rates = by_model[["accuracy_incorrect", "accuracy_last_answer"]].mean()
    out = by_model.size().rename("samples").to_frame().join(counts).join(rates)
    out["accuracy_change"] = out["accuracy_last_answer"] - out["accuracy_incorrect"]
    return out.reset_index()


def grade_examples(graded: pd.DataFrame, per_reason: int = 2, seed: int = 0) -> pd.DataFrame:
    """A few graded samples per reason (seeded), with the end of each response, for reading."""
    shuffled = graded.sample(frac=1.0, random_state=seed)
    picked = shuffled.groupby("reason", observed=True, sort=True).head(per_reason).sort_values("reason", kind="stable")
    picked = picked.assign(response_tail=picked["response"].astype(str).str[-300:])
    columns = ["reason", "model", "question_id", "sample_idx", "gold", "extracted_answer", "extraction_method",
               "grader", "finish_reason", "response_tail"]  # fmt: skip
    return picked[columns].reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# Judge


def openai_judge(model: str = "gpt-4o-mini", base_url: str | None = None) -> Judge:
    """An LLM judge through any OpenAI-compatible server: asks whether the response's final answer equals the gold.

    The model's reply is only compared with the words YES/NO; it is never executed.
    """
    from openai import OpenAI

    client = OpenAI(base_url=base_url) if base_url else OpenAI()

    def judge(problem: str, gold: str, response: str, extracted: ExtractedAnswer | None) -> bool | None:
        prompt = (
            "Decide whether the final answer of the RESPONSE equals the REFERENCE answer of the PROBLEM. "
            "Reply with exactly YES or NO.\n\n"
            f"PROBLEM:\n{problem}\n\nREFERENCE: {gold}\n\nRESPONSE (end):\n{response[-4000:]}"
        )
        reply = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": prompt}], temperature=0, max_tokens=3
        )
        word = (reply.choices[0].message.content or "").strip().upper()
        return True if word.startswith("YES") else False if word.startswith("NO") else None

    return judge


def make_judge(spec: str) -> Judge | None:
    """Judge from a params string: "" = off, "openai:MODEL" = :func:`openai_judge` (OPENAI_BASE_URL honoured)."""
    if not spec:
        return None
    kind, _, model = spec.partition(":")
    if kind != "openai" or not model:
        raise ValueError(f"judge '{spec}': expected '' (off) or 'openai:MODEL', e.g. openai:gpt-4o-mini")
    return openai_judge(model)


# --------------------------------------------------------------------------------------------------
# Stage


def load_stage_samples(params: GradeParams, input_dir: str | Path, experiment: str = "") -> pd.DataFrame:
    """The samples to grade: ``input_dir/samples.parquet``, or ``params.inputs`` ingested when input_dir is ""."""

    if str(input_dir):
        return schema.read_table(Path(input_dir) / "samples.parquet")
    if not params.inputs:
        raise ValueError("grade: no input: input_dir is empty (no sample stage precedes) and params 'inputs' is empty")
    return ingest.read_results(
        params.inputs, params.input_format, model=params.model or None, benchmark=params.benchmark,
        benchmark_path=params.benchmark_path or None, default_model=experiment or None,
        drop_unknown=params.drop_unknown,
    )  # fmt: skip


def grade_stage(
    params: GradeParams, input_dir: str | Path, output_dir: str | Path, experiment: str = ""
) -> pd.DataFrame:
    """The whole stage: load (or ingest) the samples, grade them, write ``output_dir/graded.parquet``."""
    judge = make_judge(params.judge)  # a bad judge spec fails before any grading
    samples = load_stage_samples(params, input_dir, experiment)
    problems = None
    if judge is not None:
        problems = benchmarks.load_benchmark(params.benchmark, params.benchmark_path or None)
    graded = grade_frame(
        samples, math_verify_timeout_s=params.math_verify_timeout_s, judge=judge,
        cross_check_samples=params.cross_check_samples, seed=params.seed, problems=problems,
        unfinished_think=params.unfinished_think,
    )  # fmt: skip
    schema.write_table(graded, Path(output_dir) / "graded.parquet")
    return graded


# --------------------------------------------------------------------------------------------------
# CLI


def _cli(args: argparse.Namespace) -> int:
    try:
        samples = schema.read_table(args.samples)
        graded = grade_frame(
            samples,
            math_verify_timeout_s=args.timeout,
            judge=make_judge(args.judge),
            cross_check_samples=args.cross_check,
            unfinished_think=args.unfinished_think,
        )
        schema.write_table(graded, args.out)
        summary = reason_counts(graded)
        print(summary.to_string(index=False))
        print(f"wrote {len(graded)} graded samples to {args.out}")
        return 0
    except (ValueError, OSError) as exc:
        print(f"ladder grade: error: {exc}", file=sys.stderr)
        return 2


def add_cli(subparsers) -> None:
    """``ladder grade SAMPLES --out GRADED``."""
    parser = subparsers.add_parser(
        "grade", help="grade a samples parquet file (answer extraction, AIME rule, Math-Verify)"
    )
    parser.add_argument("samples", type=Path, help="samples parquet (ladder.schema.SAMPLE_COLUMNS)")
    parser.add_argument("--out", type=Path, required=True, help="graded parquet to write")
    parser.add_argument("--timeout", type=int, default=5, help="Math-Verify timeout per sample, seconds")
    parser.add_argument("--judge", default="", help="optional LLM judge, 'openai:MODEL' (default off)")
    parser.add_argument("--cross-check", type=int, default=0, help="integer-rule samples also checked by Math-Verify")
    parser.add_argument(
        "--unfinished-think", choices=UNFINISHED_THINK_RULES, default="incorrect",
        help="a response whose <think> never closes: incorrect (reason unfinished, the default) or last_answer",
    )  # fmt: skip
    parser.set_defaults(func=_cli)
