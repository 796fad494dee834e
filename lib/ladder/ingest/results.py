"""Result files of any known format -> one samples table (:func:`read_results`), and the ``ladder ingest`` command.

The format's reader (:data:`FORMATS`) yields raw samples; their questions are mapped onto the benchmark's
canonical ids, checked against its answers and for duplicate keys, and ``gold`` is set to the registry's answer.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd

from ladder import benchmarks, schema
from ladder.answers import normalize_answer, parse_integer
from ladder.ingest.lighteval import read_lighteval
from ladder.ingest.lm_eval import read_lm_eval
from ladder.ingest.raw import IngestError, RawSample
from ladder.ingest.skythought import read_skythought
from ladder.stage_cli import run_command

Reader = Callable[[Path, "str | None"], Iterator[RawSample]]
FORMATS: dict[str, Reader] = {"lm-eval": read_lm_eval, "lighteval": read_lighteval, "skythought": read_skythought}
KNOWN_FORMATS = (*FORMATS, "ladder")

# File names each format writes, used when a folder is given (e.g. an lm-eval --output_path, a subfolder per model).
FOLDER_PATTERNS = {
    "lm-eval": "samples_*.jsonl",
    "lighteval": "details_*.parquet",
    "skythought": "*.json",
    "ladder": "*.parquet",
}


def _sha16(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _resolve(raw: list[RawSample], benchmark: str, problems: pd.DataFrame | None) -> tuple[list[str], list[str]]:
    """Canonical id of each sample ("" where unknown) and one message per unknown question."""
    ids, failures = [], []
    cache: dict[tuple[str, int], str] = {}
    for sample in raw:
        key = (sample.id_format, id(sample.question))  # every sample of a doc shares one question object
        if key not in cache:
            try:
                try:
                    cache[key] = benchmarks.canonical_question_id(benchmark, "doc", sample.question, problems)
                except benchmarks.BenchmarkError:
                    fallback = sample.extra.get("_doc_id")
                    if sample.id_format == "doc" or fallback is None:
                        raise
                    cache[key] = benchmarks.canonical_question_id(benchmark, sample.id_format, fallback)
            except benchmarks.BenchmarkError as exc:
                failures.append(f"{sample.where}: {exc}")
                cache[key] = ""
        ids.append(cache[key])
    return ids, failures


def _listing(failures: list[str]) -> str:
    more = f"\n  (and {len(failures) - 5} more)" if len(failures) > 5 else ""
    return "\n  " + "\n  ".join(failures[:5]) + more


def _check_against_answers(raw: list[RawSample], ids: list[str], answers: dict[str, str], benchmark: str) -> None:
    """Every id must be a question of the benchmark, and a file's own integer answer must equal the registry's:
    a mismatch means the rows were mapped onto the wrong questions (wrong benchmark or numbering)."""
    for sample, qid in zip(raw, ids, strict=True):
        if qid not in answers:
            raise IngestError(f"{sample.where}: question id {qid!r} is not a question of benchmark '{benchmark}'")
        if sample.source_gold is None or sample.sample_idx != 0:
            continue
        theirs, ours = (
            parse_integer(normalize_answer(sample.source_gold)),
            parse_integer(normalize_answer(answers[qid])),
        )
        if theirs is not None and ours is not None and theirs != ours:
            raise IngestError(
                f"{sample.where}: the file's answer {sample.source_gold!r} differs from {benchmark} question {qid}'s "
                f"answer {answers[qid]!r}: are these results of another benchmark, or numbered differently?"
            )


def _check_unique(raw: list[RawSample], ids: list[str]) -> None:
    """No two samples share a (model, question_id, sample_idx) key; the error names both places."""
    seen: dict[tuple[str, str, int], str] = {}
    for sample, qid in zip(raw, ids, strict=True):
        key = (sample.model, qid, sample.sample_idx)
        if key in seen:
            raise IngestError(
                f"{sample.where}: duplicate sample (model={key[0]!r}, question_id={key[1]!r}, sample_idx={key[2]}); "
                f"first at {seen[key]}. Several runs of one model need distinct --model names."
            )
        seen[key] = sample.where


def expand_paths(paths: list, fmt: str) -> list[Path]:
    """Files named directly, plus the result files of format ``fmt`` found under any folder named (sorted)."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(path.rglob(FOLDER_PATTERNS[fmt]))
            if not found:
                raise IngestError(f"{path}: folder holds no {fmt} files ({FOLDER_PATTERNS[fmt]})")
            files.extend(found)
        else:
            files.append(path)
    return files


def read_results(
    paths: list,
    fmt: str,
    model: str | None = None,
    benchmark: str = "aime24",
    *,
    benchmark_path: str | Path | None = None,
    default_model: str | None = None,
    drop_unknown: bool = False,
) -> pd.DataFrame:
    """Read result files of format ``fmt`` into one samples table (:data:`ladder.schema.SAMPLE_COLUMNS`).

    ``model`` overrides the model name found in the files (``default_model`` only fills in where the files
    name none). Question ids are mapped onto ``benchmark``'s canonical ids and ``gold`` set to its answers;
    ``benchmark_path`` (a local problem file) enables fuzzy problem-text matching. Errors name the file and
    line: malformed input, unknown question ids, duplicate (model, question, sample) rows. ``drop_unknown``
    leaves out (with a warning naming them) rows whose question is not in the benchmark instead.
    """
    if fmt not in KNOWN_FORMATS:
        raise IngestError(f"unknown format '{fmt}'. Known formats: {', '.join(KNOWN_FORMATS)}")
    files = expand_paths(paths, fmt)
    if not files:
        raise IngestError(f"no {fmt} files given")
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        raise IngestError(f"no such file(s): {', '.join(missing)}")
    benchmarks.get_benchmark(benchmark)  # an unknown benchmark fails before reading anything
    if fmt == "ladder":
        frames = [schema.read_table(p) for p in files]
        out = pd.concat(frames, ignore_index=True)
        if model:
            out["model"] = model
        return schema.conform_samples(out, ", ".join(map(str, files)))
    raw = [sample for path in files for sample in FORMATS[fmt](path, model)]
    if not raw:
        raise IngestError(f"{', '.join(map(str, files))}: no samples found")
    if default_model and not model:
        for sample in raw:
            sample.model = sample.model or default_model
    problems = benchmarks.load_benchmark(benchmark, benchmark_path) if benchmark_path else None
    question_ids, failures = _resolve(raw, benchmark, problems)
    if failures and not drop_unknown:
        raise IngestError(
            f"unknown question(s) for benchmark '{benchmark}' (pass drop_unknown=True / --drop-unknown to leave "
            f"them out, e.g. the other years of lm-eval's `aime` task):{_listing(failures)}"
        )
    if failures:
        warnings.warn(
            f"left out {len(failures)} question(s) that are not in benchmark '{benchmark}':{_listing(failures)}",
            stacklevel=2,
        )
        kept = [i for i, qid in enumerate(question_ids) if qid]
        raw, question_ids = [raw[i] for i in kept], [question_ids[i] for i in kept]
        if not raw:
            raise IngestError(f"no sample of {', '.join(map(str, files))} is a question of benchmark '{benchmark}'")
    answers = benchmarks.benchmark_answers(benchmark, benchmark_path)
    _check_against_answers(raw, question_ids, answers, benchmark)
    _check_unique(raw, question_ids)
    frame = pd.DataFrame(
        {
            "model": [s.model for s in raw],
            "model_revision": "",
            "benchmark": benchmark,
            "question_id": question_ids,
            "sample_idx": [s.sample_idx for s in raw],
            "prompt": [s.prompt for s in raw],
            "prompt_hash": [_sha16(s.prompt) for s in raw],
            "response": [s.response for s in raw],
            "n_tokens": pd.array([s.n_tokens for s in raw], dtype="Int64"),
            "finish_reason": [s.finish_reason if s.finish_reason in ("stop", "length") else "unknown" for s in raw],
            "seed": pd.array([s.seed for s in raw], dtype="Int64"),
            "temperature": [s.temperature if s.temperature is not None else float("nan") for s in raw],
            "top_p": [s.top_p if s.top_p is not None else float("nan") for s in raw],
            "max_new_tokens": pd.array([s.max_new_tokens for s in raw], dtype="Int64"),
            "backend": f"ingest:{fmt}",
            "backend_version": "",
            "gold": [answers[qid] for qid in question_ids],
            "source_gold": [s.source_gold for s in raw],
            "source_correct": pd.array([s.source_correct for s in raw], dtype="boolean"),
            "source_file": [s.where for s in raw],
        }
    )
    return schema.conform_samples(frame, ", ".join(map(str, files)))


# --------------------------------------------------------------------------------------------------
# Command line


def _cli(args: argparse.Namespace) -> int:
    def body() -> None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame = read_results(
                args.files,
                args.format,
                model=args.model,
                benchmark=args.benchmark,
                benchmark_path=args.benchmark_path,
                drop_unknown=args.drop_unknown,
            )
        for warning in caught:
            print(f"ladder ingest: warning: {warning.message}", file=sys.stderr)
        schema.write_table(frame, args.out)
        per_model = frame.groupby("model").agg(questions=("question_id", "nunique"), samples=("sample_idx", "size"))
        print(per_model.to_string())
        print(f"wrote {len(frame)} samples to {args.out}")

    return run_command("ingest", body, (IngestError, benchmarks.BenchmarkError, schema.SchemaError))


def add_cli(subparsers) -> None:
    """``ladder ingest --format FORMAT FILE... --out samples.parquet [--model NAME] [--benchmark aime24]``."""
    parser = subparsers.add_parser("ingest", help="read other harnesses' results into a samples parquet file")
    parser.add_argument("--format", required=True, choices=KNOWN_FORMATS, help="format of the files")
    parser.add_argument("files", nargs="+", type=Path, help="result files")
    parser.add_argument("--out", type=Path, required=True, help="samples parquet to write")
    parser.add_argument("--model", default=None, help="model name (default: from the files)")
    parser.add_argument("--benchmark", default="aime24", help="benchmark of the questions (default aime24)")
    parser.add_argument("--benchmark-path", default=None, help="local problem file, for fuzzy text matching")
    parser.add_argument(
        "--drop-unknown", action="store_true", help="leave out questions not in the benchmark (default: error)"
    )
    parser.set_defaults(func=_cli)
