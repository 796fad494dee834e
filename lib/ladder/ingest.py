"""Ingest other harnesses' outputs into the samples table (:data:`ladder.schema.SAMPLE_COLUMNS`).

Formats:

- ``lm-eval``: lm-evaluation-harness ``--log_samples`` files ``samples_<task>_<date>.jsonl``. One line per
  doc and filter; ``resps`` holds every response of the doc (``repeats: K`` gives ``[[r1, ..., rK]]``),
  ``arguments`` the prompt and generation kwargs (``{"gen_args_0": {"arg_0": prompt, "arg_1": kwargs}}``, or
  ``[[prompt, kwargs]]`` in older versions). Lines of other filters repeat the same responses and are
  read once. The question comes from ``doc`` (url, "2024-I-1" id, problem text), else from ``doc_id``
  for the tasks whose numbering is registered (``aime``, ``aime_2024``).
- ``lighteval``: details parquet. New layout: columns ``doc`` (query, choices, gold_index, ...),
  ``model_response`` (text: list of responses, output_tokens) and ``metric``; old layout: ``example``,
  ``full_prompt``, ``predictions``, ``gold``, ``metrics``, ``specifics``.
- ``skythought``: SkyThought ``results.json``: {key: {problem fields, prompt, responses: [{content,
  correctness, ...}], token_usages: [{completion_tokens, ...}]}}; older files key ``responses`` and
  ``token_usages`` by temperature.
- ``ladder``: our own samples parquet.

Whatever the source numbering, ``question_id`` is the benchmark's canonical id (the AI-MO id for
AIME24) and ``gold`` the registry's answer. The source's own verdict, where it has one per sample, is
kept as ``source_correct`` so grading can report where graders disagree.

Usage::

    from ladder.ingest import read_results
    samples = read_results(["out/Qwen__QwQ-32B/samples_aime24_nofigures_2025-01-01T00-00-00.jsonl"], "lm-eval")

Command line: ``ladder ingest --format lm-eval FILE... --out samples.parquet [--model NAME]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ladder import benchmarks, schema
from ladder.answers import normalize_answer, parse_integer


class IngestError(ValueError):
    """A results file that cannot be read as the named format; the message names the file and line."""


@dataclass
class RawSample:
    """One response as a reader found it, before question ids and golds are resolved."""

    where: str  # "file:line" or "file: record KEY", for error messages
    model: str
    question: Any  # a doc mapping, or a raw id interpreted with id_format
    sample_idx: int
    response: str
    prompt: str = ""
    id_format: str = "doc"
    n_tokens: int | None = None
    finish_reason: str = "unknown"
    temperature: float | None = None
    top_p: float | None = None
    max_new_tokens: int | None = None
    seed: int | None = None
    source_gold: str | None = None
    source_correct: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _sha16(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _require(record: Any, key: str, where: str) -> Any:
    if not isinstance(record, dict):
        raise IngestError(f"{where}: expected a JSON object, got {type(record).__name__}")
    if key not in record:
        raise IngestError(f"{where}: missing field '{key}' (fields: {', '.join(map(str, record)) or 'none'})")
    return record[key]


def _as_float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _as_int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _verdict(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    return None


# --------------------------------------------------------------------------------------------------
# lm-evaluation-harness

# lm-eval tasks whose doc_id numbering is registered (doc fields are tried first in every task).
LM_EVAL_TASK_ID_FORMATS = {"aime": "lm_eval_aime", "aime_2024": "lm_eval_aime_2024"}
_LM_EVAL_NAME = re.compile(r"^samples_(?P<task>.+?)(?:_(?P<date>\d{4}-\d{2}-\d{2}T[\d\-.:]+))?\.jsonl$")


def _lm_eval_model(path: Path) -> str:
    """Model name from a results_*.json beside the samples file, else from the folder name (org__model)."""
    for results in sorted(path.parent.glob("results_*.json"), reverse=True):
        try:
            data = json.loads(results.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        name = data.get("model_name") or ""
        args = str((data.get("config") or {}).get("model_args") or "")
        match = re.search(r"pretrained=([^,]+)", args)
        if name or match:
            return name or match.group(1)
    return path.parent.name.replace("__", "/")


def _lm_eval_arguments(arguments: Any, where: str) -> tuple[str, dict[str, Any]]:
    if isinstance(arguments, dict) and arguments:  # {"gen_args_0": {"arg_0": prompt, "arg_1": kwargs}}
        first = arguments.get("gen_args_0") or next(iter(arguments.values()))
        if isinstance(first, dict):
            prompt, kwargs = first.get("arg_0", ""), first.get("arg_1", {})
        else:
            raise IngestError(f"{where}: field 'arguments' has an unknown layout")
    elif isinstance(arguments, list) and arguments:  # [[prompt, kwargs], ...]
        first = arguments[0]
        prompt = first[0] if isinstance(first, list) and first else ""
        kwargs = first[1] if isinstance(first, list) and len(first) > 1 else {}
    else:
        return "", {}
    if isinstance(prompt, list):  # chat-formatted prompts are logged as message lists
        prompt = json.dumps(prompt, ensure_ascii=False)
    return str(prompt), kwargs if isinstance(kwargs, dict) else {}


def read_lm_eval(path: Path, model: str | None) -> Iterator[RawSample]:
    """Samples of one lm-evaluation-harness ``samples_*.jsonl`` file (several responses per doc with repeats)."""
    match = _LM_EVAL_NAME.match(path.name)
    task = match.group("task") if match else ""
    model = model or _lm_eval_model(path)
    seen: dict[Any, tuple[str, list[str]]] = {}
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise IngestError(f"{where}: not valid JSON: {exc.msg} (column {exc.colno})") from None
            doc_id = _require(record, "doc_id", where)
            resps = _require(record, "resps", where)
            if not isinstance(resps, list) or not all(isinstance(r, list) for r in resps):
                raise IngestError(f"{where}: field 'resps' must be a list of lists of responses, got {resps!r:.80}")
            responses = [r for request in resps for r in request]
            if not all(isinstance(r, str) for r in responses):
                raise IngestError(f"{where}: field 'resps' holds non-text responses (a loglikelihood task?)")
            if doc_id in seen:
                first_where, first_responses = seen[doc_id]
                if first_responses == responses:  # the same doc under another filter
                    continue
                raise IngestError(
                    f"{where}: doc_id {doc_id} appears again with other responses (first at {first_where})"
                )
            seen[doc_id] = (where, responses)
            prompt, kwargs = _lm_eval_arguments(record.get("arguments"), where)
            doc = record.get("doc")
            question: Any = doc if isinstance(doc, dict) and doc else doc_id
            id_format = LM_EVAL_TASK_ID_FORMATS.get(task, "doc")
            temperature = _as_float(kwargs.get("temperature"))
            if temperature is None and kwargs.get("do_sample") is False:
                temperature = 0.0
            metric = next((record[m] for m in record.get("metrics", ["exact_match"]) if m in record), None)
            for index, response in enumerate(responses):
                yield RawSample(
                    where=where, model=model, question=question, sample_idx=index, response=response, prompt=prompt,
                    id_format=id_format, temperature=temperature, top_p=_as_float(kwargs.get("top_p")),
                    max_new_tokens=_as_int(kwargs.get("max_gen_toks") or kwargs.get("max_new_tokens")),
                    seed=_as_int(kwargs.get("seed")), source_gold=None if record.get("target") is None else str(record["target"]),
                    # lm-eval scores one filtered response per doc: a per-sample verdict only without repeats
                    source_correct=_verdict(metric) if len(responses) == 1 else None,
                    extra={"_doc_id": doc_id},
                )  # fmt: skip


# --------------------------------------------------------------------------------------------------
# lighteval


def _lighteval_model(path: Path) -> str:
    parts = path.parts
    if "details" in parts:
        start = len(parts) - 1 - parts[::-1].index("details") + 1
        middle = list(parts[start:-1])
        if middle and re.match(r"^\d{4}-\d{2}-\d{2}", middle[-1]):  # details/<org>/<model>/<timestamp>/file
            middle = middle[:-1]
        if middle:
            return "/".join(middle)
    return path.parent.parent.name


def _plain(value: Any) -> Any:
    """parquet structs and lists come back as numpy arrays; make them plain Python."""
    if hasattr(value, "tolist") and not isinstance(value, str | bytes):
        return _plain(value.tolist())
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def read_lighteval(path: Path, model: str | None) -> Iterator[RawSample]:
    """Samples of one lighteval details parquet file, new (doc/model_response/metric) or old (predictions) layout."""
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a broken file
        raise IngestError(f"{path}: not a readable parquet file: {exc}") from exc
    model = model or _lighteval_model(path)
    columns = set(frame.columns)
    if {"doc", "model_response"} <= columns:
        layout = "new"
    elif "predictions" in columns and ("example" in columns or "full_prompt" in columns):
        layout = "old"
    else:
        raise IngestError(
            f"{path}: not a lighteval details file: expected columns doc+model_response (new layout) or "
            f"example/full_prompt+predictions (old layout); found {', '.join(map(str, frame.columns))}"
        )
    for row_number, row in enumerate(frame.to_dict("records")):
        where = f"{path}: row {row_number}"
        if layout == "new":
            doc, response = _plain(row["doc"]) or {}, _plain(row["model_response"]) or {}
            if not isinstance(doc, dict) or not isinstance(response, dict):
                raise IngestError(f"{where}: columns 'doc' and 'model_response' must be structs")
            texts = _require(response, "text", where)
            # Reasoning models served through an API return the thinking apart (`reasonings`, aligned with `text`);
            # put it back in front so extraction sees what the model wrote, in order.
            reasonings = response.get("reasonings") or []
            if isinstance(texts, list) and any(isinstance(r, str) and r for r in reasonings):
                texts = [
                    f"<think>{reasonings[i]}</think>\n\n{t}" if i < len(reasonings) and reasonings[i] else t
                    for i, t in enumerate(texts)
                ]
            tokens = response.get("output_tokens") or []
            choices, gold_index = doc.get("choices") or [], doc.get("gold_index")
            gold_index = gold_index[0] if isinstance(gold_index, list) and gold_index else gold_index
            gold = choices[gold_index] if isinstance(gold_index, int) and 0 <= gold_index < len(choices) else None
            question: Any = {**(doc.get("specific") or {}), **{k: v for k, v in doc.items() if k != "specific"}}
            prompt = str(response.get("input") or doc.get("query") or "")
            metric = _plain(row.get("metric")) or {}
        else:
            texts = _plain(row["predictions"])
            tokens = _plain(row.get("cont_tokens")) or []
            golds = _plain(row.get("gold")) or []
            gold = golds[0] if isinstance(golds, list) and golds else golds or None
            question = {**(_plain(row.get("specifics")) or {}), "query": row.get("example") or row.get("full_prompt")}
            prompt = str(row.get("full_prompt") or row.get("example") or "")
            metric = _plain(row.get("metrics")) or {}
        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise IngestError(f"{where}: responses must be a list of strings, got {texts!r:.80}")
        metric_values = [v for v in metric.values()] if isinstance(metric, dict) else []
        for index, text in enumerate(texts):
            n_tokens = len(tokens[index]) if index < len(tokens) and isinstance(tokens[index], list) else None
            yield RawSample(
                where=where, model=model, question=question, sample_idx=index, response=text, prompt=prompt,
                n_tokens=n_tokens, source_gold=None if gold is None else str(gold),
                source_correct=_verdict(metric_values[0]) if len(texts) == 1 and len(metric_values) == 1 else None,
            )  # fmt: skip


# --------------------------------------------------------------------------------------------------
# SkyThought


def _skythought_model(path: Path) -> str:
    summary = path.with_name("summary.json")
    if summary.is_file():
        try:
            config = json.loads(summary.read_text()).get("configuration") or {}
            found = config.get("model") or (config.get("model_config") or {}).get("model_id")
            if found:
                return str(found)
        except (OSError, json.JSONDecodeError, AttributeError):
            pass
    return path.parent.name


def read_skythought(path: Path, model: str | None) -> Iterator[RawSample]:
    """Samples of one SkyThought ``results.json`` (responses as a list, or keyed by temperature in older files)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise IngestError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(data, dict):
        raise IngestError(f"{path}: expected a JSON object keyed by problem, got {type(data).__name__}")
    model = model or _skythought_model(path)
    for key, record in data.items():
        where = f"{path}: record '{key}'"
        responses = _require(record, "responses", where)
        usages = record.get("token_usages") or []
        if isinstance(responses, dict):  # older files: {temperature: [responses]}
            groups = [(_as_float(t), responses[t], (usages or {}).get(t, []) if isinstance(usages, dict) else [])
                      for t in sorted(responses, key=lambda t: float(t))]  # fmt: skip
        else:
            groups = [(None, responses, usages)]
        question = {k: v for k, v in record.items() if k not in ("responses", "token_usages", "input_conversation")}
        index = 0
        for temperature, entries, token_usages in groups:
            if not isinstance(entries, list):
                raise IngestError(f"{where}: field 'responses' must be a list, got {type(entries).__name__}")
            for position, entry in enumerate(entries):
                content = entry.get("content") if isinstance(entry, dict) else entry
                if not isinstance(content, str):
                    raise IngestError(f"{where}: response {position} has no text 'content'")
                usage = token_usages[position] if position < len(token_usages) else {}
                yield RawSample(
                    where=where, model=model, question=question, sample_idx=index, response=content,
                    prompt=str(record.get("prompt") or ""), temperature=temperature,
                    n_tokens=_as_int(usage.get("completion_tokens")) if isinstance(usage, dict) else None,
                    finish_reason=str(entry.get("finish_reason") or "unknown") if isinstance(entry, dict) else "unknown",
                    source_gold=None if record.get("answer") is None else str(record["answer"]),
                    source_correct=_verdict(entry.get("correctness")) if isinstance(entry, dict) else None,
                )  # fmt: skip
                index += 1


# --------------------------------------------------------------------------------------------------
# Dispatch

Reader = Callable[[Path, "str | None"], Iterator[RawSample]]
FORMATS: dict[str, Reader] = {"lm-eval": read_lm_eval, "lighteval": read_lighteval, "skythought": read_skythought}
KNOWN_FORMATS = (*FORMATS, "ladder")


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


# File names each format writes, used when a folder is given (e.g. an lm-eval --output_path with one subfolder per model).
FOLDER_PATTERNS = {
    "lm-eval": "samples_*.jsonl",
    "lighteval": "details_*.parquet",
    "skythought": "*.json",
    "ladder": "*.parquet",
}


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
    seen: dict[tuple[str, str, int], str] = {}
    for sample, qid in zip(raw, question_ids, strict=True):
        key = (sample.model, qid, sample.sample_idx)
        if key in seen:
            raise IngestError(
                f"{sample.where}: duplicate sample (model={key[0]!r}, question_id={key[1]!r}, sample_idx={key[2]}); "
                f"first at {seen[key]}. Several runs of one model need distinct --model names."
            )
        seen[key] = sample.where
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


def _cli(args: argparse.Namespace) -> int:
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame = read_results(args.files, args.format, model=args.model, benchmark=args.benchmark,
                                 benchmark_path=args.benchmark_path, drop_unknown=args.drop_unknown)  # fmt: skip
        for warning in caught:
            print(f"ladder ingest: warning: {warning.message}", file=sys.stderr)
        schema.write_table(frame, args.out)
        per_model = frame.groupby("model").agg(questions=("question_id", "nunique"), samples=("sample_idx", "size"))
        print(per_model.to_string())
        print(f"wrote {len(frame)} samples to {args.out}")
        return 0
    except (IngestError, benchmarks.BenchmarkError, schema.SchemaError) as exc:
        print(f"ladder ingest: error: {exc}", file=sys.stderr)
        return 2


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
