"""The grade stage (notebook 40_grade) and the ``ladder grade SAMPLES --out GRADED`` command.

The stage reads ``input_dir/samples.parquet`` (the sample stage's output) or, when no sample stage precedes
(``input_dir`` is ""), ingests the result files named in params ``inputs`` (:mod:`ladder.ingest`); it grades them
(:func:`ladder.grade.rules.grade_frame`) with the rules of :class:`ladder.grade.params.GradeParams` and writes
``output_dir/graded.parquet``. The command grades one samples file with the same params, given as
``--params FILE``, one flag per param (``--math-verify-timeout-s 10``, ``--cross-check-samples 0``) or ``--set``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from ladder import benchmarks, ingest, schema
from ladder.grade.judge import Judge, make_judge
from ladder.grade.params import GradeParams
from ladder.grade.report import reason_counts
from ladder.grade.rules import grade_frame
from ladder.stage_cli import add_params_options, params_from_args, run_command


def load_stage_samples(params: GradeParams, input_dir: str | Path, experiment: str = "") -> pd.DataFrame:
    """The samples to grade: ``input_dir/samples.parquet``, or ``params.inputs`` ingested when input_dir is ""."""
    if str(input_dir):
        return schema.read_table(Path(input_dir) / "samples.parquet")
    if not params.inputs:
        raise ValueError("grade: no input: input_dir is empty (no sample stage precedes) and params 'inputs' is empty")
    return ingest.read_results(
        params.inputs,
        params.input_format,
        model=params.model or None,
        benchmark=params.benchmark,
        benchmark_path=params.benchmark_path or None,
        default_model=experiment or None,
        drop_unknown=params.drop_unknown,
    )


def grade_samples(samples: pd.DataFrame, params: GradeParams, judge: Judge | None) -> pd.DataFrame:
    """Grade a samples table with the rules of ``params``; ``judge`` (:func:`make_judge` of ``params.judge``),
    when on, is shown the problem texts of ``params.benchmark``."""
    problems = None
    if judge is not None:
        problems = benchmarks.load_benchmark(params.benchmark, params.benchmark_path or None)
    return grade_frame(
        samples,
        math_verify_timeout_s=params.math_verify_timeout_s,
        judge=judge,
        cross_check_samples=params.cross_check_samples,
        seed=params.seed,
        problems=problems,
        unfinished_think=params.unfinished_think,
    )


def grade_stage(
    params: GradeParams, input_dir: str | Path, output_dir: str | Path, experiment: str = ""
) -> pd.DataFrame:
    """The whole stage: load (or ingest) the samples, grade them, write ``output_dir/graded.parquet``."""
    judge = make_judge(params.judge)  # a bad judge spec fails before any grading
    samples = load_stage_samples(params, input_dir, experiment)
    graded = grade_samples(samples, params, judge)
    schema.write_table(graded, Path(output_dir) / "graded.parquet")
    return graded


# --------------------------------------------------------------------------------------------------
# Command line


def _cli(args: argparse.Namespace) -> int:
    def body() -> None:
        params = params_from_args(args, "grade")
        judge = make_judge(params.judge)
        graded = grade_samples(schema.read_table(args.samples), params, judge)
        schema.write_table(graded, args.out)
        print(reason_counts(graded).to_string(index=False))
        print(f"wrote {len(graded)} graded samples to {args.out}")

    return run_command("grade", body)


def add_cli(subparsers) -> None:
    """``ladder grade SAMPLES --out GRADED [--params FILE] [--<param> VALUE ...] [--set KEY=VALUE ...]``."""
    parser = subparsers.add_parser(
        "grade", help="grade a samples parquet file (answer extraction, AIME rule, Math-Verify)"
    )
    parser.add_argument("samples", type=Path, help="samples parquet (ladder.schema.SAMPLE_COLUMNS)")
    parser.add_argument("--out", type=Path, required=True, help="graded parquet to write")
    add_params_options(parser, "grade")
    parser.set_defaults(func=_cli)
