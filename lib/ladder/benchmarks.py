"""Benchmark registry: problems, answers, canonical question ids and the study's AIME24 tier lists.

Every benchmark has a name, a loader (Hugging Face hub by default, or a local jsonl/json/parquet/csv
file) and, where the project states one, an id registry in ``data/<name>.csv``. AIME questions are
keyed by (year, contest I/II, problem number); every foreign numbering (AI-MO ids, row positions of
``HuggingFaceH4/aime_2024``, lm-evaluation-harness doc ids, "2024-I-1" ids, AoPS urls, the problem
text) is mapped onto the canonical id through that key, never through a row position alone.

Canonical ids: AIME24 = the AI-MO id ("60".."89"); AIME25 = the MathArena ``problem_idx`` ("1".."30");
MATH-500 = its ``unique_id`` ("test/precalculus/807.json").

Usage::

    from ladder import benchmarks
    frame = benchmarks.load_benchmark("aime24")                        # hub
    frame = benchmarks.load_benchmark("aime24", "../shared/data/aime24.jsonl")
    benchmarks.canonical_question_id("aime24", "lm_eval_aime_2024", 5)   # -> "65"
    benchmarks.canonical_question_id("aime24", "aime_id", "2024-I-1")    # -> "60"
    benchmarks.study_tiers()["62"]                                      # -> "exh"
    benchmarks.register_benchmark("synthetic", my_loader)               # laptop profile
"""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ladder import paths

TIER_ORDER = ("easy", "medium", "hard", "exh")
ALL_TIERS = "all"  # the pseudo-tier of every question (a row of tiers.csv, a column of contrasts)


def tiers_present(tier_of: Mapping[str, str]) -> list[str]:
    """The tiers that occur in ``tier_of`` (question -> tier): the study's order first, any others after, sorted."""
    present = set(tier_of.values())
    return [t for t in TIER_ORDER if t in present] + sorted(present - set(TIER_ORDER))


def tier_questions(question_ids, tier_of: Mapping[str, str], tier: str) -> list[str]:
    """The ids of ``question_ids`` in ``tier`` (all of them for :data:`ALL_TIERS`), in the given order."""
    return [q for q in question_ids if tier == ALL_TIERS or tier_of.get(q) == tier]


TIERS_FILE = "aime24_tiers.yaml"
# Columns every loader returns; benchmark-specific metadata follows.
BENCHMARK_COLUMNS = ("question_id", "problem", "answer")


class BenchmarkError(ValueError):
    """Unknown benchmark or id, a problem file that does not match the registry, or an ambiguous mapping."""


Loader = Callable[[Path | None], pd.DataFrame]


@dataclass(frozen=True)
class Benchmark:
    """One registered benchmark: how to load it and, optionally, its id registry (one row per question)."""

    name: str
    loader: Loader
    description: str = ""
    registry: pd.DataFrame | None = field(default=None, compare=False, repr=False)
    integer_answers: bool = False  # AIME-style: answers are integers 0..999
    # source format -> registry column holding that format's id
    id_formats: Mapping[str, str] = field(default_factory=dict)
    native_id_column: str | None = None  # registry column of a numeric ``id`` found in the source's rows


_REGISTRY: dict[str, Benchmark] = {}


def register_benchmark(
    name: str,
    loader: Loader,
    *,
    description: str = "",
    registry: pd.DataFrame | None = None,
    integer_answers: bool = False,
    id_formats: Mapping[str, str] | None = None,
    native_id_column: str | None = None,
    replace: bool = False,
) -> Benchmark:
    """Add a benchmark. ``loader(path)`` returns a frame with at least question_id, problem, answer (strings)."""
    if name in _REGISTRY and not replace:
        raise BenchmarkError(f"benchmark '{name}' is already registered; pass replace=True to override it")
    if registry is not None:
        _check_columns(registry, ("question_id", "answer"), f"id registry of '{name}'")
    bench = Benchmark(
        name=name,
        loader=loader,
        description=description,
        registry=registry,
        integer_answers=integer_answers,
        id_formats={"canonical": "question_id", **(id_formats or {})},
        native_id_column=native_id_column,
    )
    _REGISTRY[name] = bench
    return bench


# Benchmarks defined by other ladder modules, registered on first use so that importing this module stays light:
# name -> "module:function" returning the benchmark frame (the stage hash follows such strings, see
# ``ladder.store``). The module may also register the name itself.
_DEFERRED: dict[str, str] = {
    "synthetic": "ladder.synthetic:evaluation_set",
    "synthetic_steps": "ladder.synthetic:step_questions",
    "synthetic_worked": "ladder.synthetic:worked_evaluation_set",
}


def _register_deferred(name: str) -> None:
    import importlib

    module_name, function = _DEFERRED[name].split(":")
    module = importlib.import_module(module_name)
    if name in _REGISTRY:
        return
    build = getattr(module, function)

    def loader(path: Path | None) -> pd.DataFrame:
        return read_local_table(path) if path is not None else build()

    register_benchmark(name, loader, description=f"{module_name}.{function}()", integer_answers=True)


def known_benchmarks() -> list[str]:
    """Names of the registered benchmarks (and of those other ladder modules define)."""
    return sorted(set(_REGISTRY) | set(_DEFERRED))


def get_benchmark(name: str) -> Benchmark:
    """The registered benchmark ``name``; an unknown name lists the known ones."""
    if name not in _REGISTRY and name in _DEFERRED:
        _register_deferred(name)
    if name not in _REGISTRY:
        close = difflib.get_close_matches(name, list(_REGISTRY), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise BenchmarkError(f"unknown benchmark '{name}'{hint}. Known benchmarks: {', '.join(known_benchmarks())}")
    return _REGISTRY[name]


def load_benchmark(name: str, path: str | Path | None = None) -> pd.DataFrame:
    """Problems of benchmark ``name``: from the Hugging Face hub, or from a local file when ``path`` is given.

    Returns one row per question with string columns ``question_id``, ``problem``, ``answer`` and the
    benchmark's metadata (``year``, ``contest``, ``number``, ``study_tier`` for AIME24, ...). A local file
    is checked against the id registry: every question present once, answers equal to the registry's.
    """
    bench = get_benchmark(name)
    frame = bench.loader(Path(path) if path is not None else None)
    where = str(path) if path is not None else f"{name} (hub)"
    _check_columns(frame, BENCHMARK_COLUMNS, where)
    frame = frame.copy()
    for column in BENCHMARK_COLUMNS:
        frame[column] = frame[column].astype(str)
    dup = frame["question_id"].duplicated()
    if dup.any():
        raise BenchmarkError(f"{where}: question id(s) {sorted(set(frame.loc[dup, 'question_id']))} appear twice")
    return frame.reset_index(drop=True)


def id_registry(name: str) -> pd.DataFrame:
    """The benchmark's id registry (one row per question; ids, answers, metadata); empty if it has none."""
    bench = get_benchmark(name)
    return bench.registry.copy() if bench.registry is not None else pd.DataFrame(columns=["question_id", "answer"])


def benchmark_answers(name: str, path: str | Path | None = None) -> dict[str, str]:
    """question_id -> reference answer; from the id registry when there is one, else from the loader."""
    bench = get_benchmark(name)
    if bench.registry is not None and path is None:
        return dict(zip(bench.registry["question_id"], bench.registry["answer"], strict=True))
    frame = load_benchmark(name, path)
    return dict(zip(frame["question_id"], frame["answer"], strict=True))


# --------------------------------------------------------------------------------------------------
# Tier lists


@cache
def _tier_file() -> dict[str, Any]:
    path = paths.DATA_DIR / TIERS_FILE
    with path.open() as handle:
        return yaml.safe_load(handle)


def tier_lists(version: str | None = None) -> dict[str, list[str]]:
    """The study's AIME24 tier lists (tier -> AI-MO ids as strings) of ``version`` (default: the file's default)."""
    data = _tier_file()
    version = version or data["default"]
    if version not in data["versions"]:
        raise BenchmarkError(
            f"{paths.DATA_DIR / TIERS_FILE}: no tier version '{version}'. Known: {', '.join(data['versions'])}"
        )
    tiers = data["versions"][version]["tiers"]
    return {tier: [str(i) for i in tiers[tier]] for tier in TIER_ORDER}


def study_tiers(version: str | None = None) -> dict[str, str]:
    """AI-MO id -> the study's tier (easy | medium | hard | exh)."""
    return {qid: tier for tier, ids in tier_lists(version).items() for qid in ids}


# --------------------------------------------------------------------------------------------------
# Canonical ids


def problem_hash(text: str) -> str:
    """sha256[:16] of a problem text normalised for joining (NFKC, lower case, no whitespace or ``$``)."""
    normalised = re.sub(r"[\s$]", "", unicodedata.normalize("NFKC", str(text)).lower())
    return hashlib.sha256(normalised.encode()).hexdigest()[:16]


_AIME_ID = re.compile(
    r"(\d{4})\s*[-_ ]?\s*(?:AIME\s*[-_ ]?\s*)?(II|I)\s*[-_ ]?\s*(?:Problem\s*[-_ ]?\s*)?(\d{1,2})$", re.I
)
_AIME_URL = re.compile(r"(\d{4})_AIME_(II|I)_Problems/Problem_(\d{1,2})", re.I)
# Fields of a row (doc) that may identify an AIME question, by kind.
_URL_KEYS = ("url", "url_derived", "link", "source_url")
_AIME_ID_KEYS = ("ID", "aime_id", "problem_id", "id")
_YEAR_KEYS = ("year", "Year")
_CONTEST_KEYS = ("contest", "Contest", "part", "Part", "exam", "Exam")
_NUMBER_KEYS = ("number", "Number", "problem_number", "Problem Number", "problem_num")
_TEXT_KEYS = ("problem", "Problem", "question", "Question", "query", "example", "prompt")
_NATIVE_ID_KEYS = ("id", "problem_idx")


def _aime_key_from_text(value: Any, pattern: re.Pattern[str]) -> tuple[int, str, int] | None:
    if not isinstance(value, str):
        return None
    match = pattern.search(value.strip())
    if not match:
        return None
    return int(match.group(1)), match.group(2).upper(), int(match.group(3))


def _first(doc: Mapping[str, Any], keys: tuple[str, ...]) -> tuple[str, Any] | None:
    for key in keys:
        if key in doc and doc[key] is not None and not (isinstance(doc[key], float) and pd.isna(doc[key])):
            return key, doc[key]
    return None


_LOOKUPS: dict[tuple[int, str], dict[str, str]] = {}


def _registry_lookup(bench: Benchmark, column: str, value: Any) -> str | None:
    reg = bench.registry
    if reg is None or column not in reg.columns:
        return None
    key = (id(reg), column)
    if key not in _LOOKUPS:  # value -> canonical id, for values that name exactly one question
        counts = reg[column].astype(str).value_counts()
        unique = reg[reg[column].astype(str).isin(counts[counts == 1].index)]
        _LOOKUPS[key] = dict(zip(unique[column].astype(str), unique["question_id"].astype(str), strict=True))
    return _LOOKUPS[key].get(str(value).strip())


def _key_lookup(bench: Benchmark, key: tuple[int, str, int]) -> str | None:
    reg = bench.registry
    if reg is None or not {"year", "contest", "number"} <= set(reg.columns):
        return None
    year, contest, number = key
    hits = reg.loc[(reg["year"] == year) & (reg["contest"] == contest) & (reg["number"] == number), "question_id"]
    return str(hits.iloc[0]) if len(hits) == 1 else None


def _text_candidates(bench: Benchmark, text: str, problems: pd.DataFrame | None) -> str | None:
    # The text may sit inside a prompt template (lighteval's query, lm-eval's "Question: ...\nAnswer:"): try
    # the whole text, then every run of paragraphs, against the registry's problem hashes.
    paragraphs = str(text).split("\n\n")
    pieces = [str(text)] + [
        "\n\n".join(paragraphs[i:j]) for i in range(len(paragraphs)) for j in range(i + 1, len(paragraphs) + 1)
    ]
    for piece in pieces[:200]:
        for candidate in (piece, re.sub(r"^\s*(?:question|problem)\s*:\s*|\s*answer\s*:\s*$", "", piece, flags=re.I)):
            if found := _registry_lookup(bench, "problem_hash", problem_hash(candidate)):
                return found
    if problems is None or problems.empty:
        return None
    # The text may be wrapped in a prompt template (lighteval's query) or carry small edits (Maxwell-Jia's
    # fixed AIME24 texts): find the one problem contained in it, else the one clearly closest to it.
    squeeze = lambda s: re.sub(r"[\s$]", "", unicodedata.normalize("NFKC", str(s)).lower())  # noqa: E731
    target = squeeze(text)
    contained = [
        qid for qid, p in zip(problems["question_id"], problems["problem"], strict=True) if squeeze(p) in target
    ]
    if len(contained) == 1:
        return str(contained[0])
    scores = sorted(
        ((difflib.SequenceMatcher(None, squeeze(p), target).ratio(), str(qid))
         for qid, p in zip(problems["question_id"], problems["problem"], strict=True)),
        reverse=True,
    )  # fmt: skip
    if scores and scores[0][0] >= 0.9 and (len(scores) == 1 or scores[0][0] - scores[1][0] >= 0.1):
        return scores[0][1]
    return None


def _from_doc(bench: Benchmark, doc: Mapping[str, Any], problems: pd.DataFrame | None) -> str:
    strong: dict[str, str] = {}  # which field -> id it points to
    if (hit := _first(doc, _URL_KEYS)) and (key := _aime_key_from_text(hit[1], _AIME_URL)):
        if qid := _key_lookup(bench, key):
            strong[hit[0]] = qid
    for name in _AIME_ID_KEYS:
        if name in doc and (key := _aime_key_from_text(doc[name], _AIME_ID)) and (qid := _key_lookup(bench, key)):
            strong[name] = qid
    year, contest, number = _first(doc, _YEAR_KEYS), _first(doc, _CONTEST_KEYS), _first(doc, _NUMBER_KEYS)
    if contest and number:
        contest_key = _aime_key_from_text(f"{contest[1]}-{number[1]}", _AIME_ID)  # contest "2024-I" carries the year
        if contest_key is None and year:
            contest_key = _aime_key_from_text(f"{year[1]}-{contest[1]}-{number[1]}", _AIME_ID)
        if contest_key and (qid := _key_lookup(bench, contest_key)):
            strong[f"{contest[0]}/{number[0]}"] = qid
    for name in ("question_id", "unique_id"):
        if name in doc and (qid := _registry_lookup(bench, "question_id", doc[name])):
            strong[name] = qid
    if bench.registry is None:  # no registry: the loader's own ids are canonical
        for name in ("question_id", "unique_id", "id"):
            if name in doc and doc[name] is not None:
                return str(doc[name])
    if len(set(strong.values())) > 1:
        raise BenchmarkError(f"{bench.name}: fields of one row point to different questions: {strong}")
    if strong:
        return next(iter(strong.values()))
    text = _first(doc, _TEXT_KEYS)
    if text and (by_text := _text_candidates(bench, text[1], problems)):
        return by_text
    # Last resort: a bare numeric id, read in the numbering of the benchmark's usual source (AI-MO for aime24).
    if bench.native_id_column and (hit := _first(doc, _NATIVE_ID_KEYS)) and str(hit[1]).strip().isdigit():
        if qid := _registry_lookup(bench, bench.native_id_column, hit[1]):
            return qid
    fields = ", ".join(sorted(map(str, doc)))
    raise BenchmarkError(
        f"{bench.name}: cannot identify the question of a row with fields [{fields}]: no url, 'YYYY-I-N' id, "
        "(year, contest, number), known id or matching problem text"
    )


def canonical_question_id(
    benchmark: str,
    source_format: str,
    raw_id_or_doc: Any,
    problems: pd.DataFrame | None = None,
) -> str:
    """Map a foreign question id (or a whole source row, ``source_format="doc"``) onto the canonical id.

    ``source_format`` names the numbering, e.g. for aime24: ``canonical``/``ai_mo`` (60..89),
    ``h4_aime_2024`` (rows 0..29), ``lm_eval_aime`` (doc ids 0..89), ``lm_eval_aime_2024`` (0..29),
    ``aime_id``/``lm_eval_aime24`` ("2024-I-1"), ``url`` (AoPS), ``problem`` (problem text), ``doc`` (a row
    dict: url, "YYYY-I-N" id, year/contest/number, problem text, native id). AIME ids join through
    (year, contest, number). ``problems`` (a loaded benchmark) enables fuzzy text matching.
    """
    bench = get_benchmark(benchmark)
    if isinstance(raw_id_or_doc, Mapping):
        return _from_doc(bench, raw_id_or_doc, problems)
    if source_format == "doc":
        raise BenchmarkError(f"{benchmark}: source_format 'doc' needs a row mapping, got {raw_id_or_doc!r}")
    value = raw_id_or_doc
    if source_format == "problem":
        qid = _text_candidates(bench, str(value), problems)
        if qid is None:
            raise BenchmarkError(f"{benchmark}: no question matches the problem text {str(value)[:80]!r}...")
        return qid
    if source_format in ("url", "aime_id", "lm_eval_aime24", "maxwell_jia"):
        pattern = _AIME_URL if source_format == "url" else _AIME_ID
        key = _aime_key_from_text(value, pattern)
        qid = _key_lookup(bench, key) if key else None
        if qid is None:
            raise BenchmarkError(f"{benchmark}: {source_format} {value!r} names no question of this benchmark")
        return qid
    if source_format not in bench.id_formats:
        known = ", ".join(
            [*bench.id_formats, "url", "problem", "doc"] + (["aime_id"] if bench.integer_answers else [])
        )
        raise BenchmarkError(f"{benchmark}: unknown id format '{source_format}'. Known formats: {known}")
    column = bench.id_formats[source_format]
    if bench.registry is None:
        return str(value)
    qid = _registry_lookup(bench, column, value)
    if qid is None:
        values = bench.registry[column].astype(str).tolist()
        span = f"{values[0]}..{values[-1]}" if len(values) > 3 else ", ".join(values)
        raise BenchmarkError(f"{benchmark}: {source_format} id {value!r} is not a question of it (known: {span})")
    return qid


# --------------------------------------------------------------------------------------------------
# Loaders


def _check_columns(frame: pd.DataFrame, columns: tuple[str, ...], where: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise BenchmarkError(
            f"{where}: missing column(s) {', '.join(missing)}; has {', '.join(map(str, frame.columns))}"
        )


def read_local_table(path: Path) -> pd.DataFrame:
    """Read a jsonl, json, parquet or csv file of problems; a parse error names the file (and line for jsonl)."""
    if not path.is_file():
        raise BenchmarkError(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".jsonl":
            import json

            rows = []
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise BenchmarkError(f"{path}:{number}: not valid JSON: {exc.msg}") from None
            return pd.DataFrame(rows)
        if suffix == ".json":
            return pd.read_json(path)
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix == ".csv":
            return pd.read_csv(path, dtype=str)
    except BenchmarkError:
        raise
    except Exception as exc:  # pandas/pyarrow raise many types; name the file whatever it was
        raise BenchmarkError(f"{path}: cannot read: {exc}") from exc
    raise BenchmarkError(f"{path}: unsupported file type '{suffix}'; use .jsonl, .json, .parquet or .csv")


def _hub_frame(repo: str, split: str) -> pd.DataFrame:
    import datasets

    datasets.disable_progress_bars()
    return datasets.load_dataset(repo, split=split).to_pandas()


def _answers_equal(a: Any, b: Any, integer: bool) -> bool:
    if integer:
        try:
            return int(str(a).strip()) == int(str(b).strip())
        except ValueError:
            return False
    return str(a).strip() == str(b).strip()


def _registered_frame(name: str, raw: pd.DataFrame, where: str) -> pd.DataFrame:
    """Map a source's rows onto the registry's canonical ids and check them against it."""
    bench = get_benchmark(name)
    reg = bench.registry
    assert reg is not None
    _check_columns(raw, ("answer",), where)
    text_col = next((c for c in _TEXT_KEYS if c in raw.columns), None)
    if text_col is None:
        raise BenchmarkError(f"{where}: no problem text column (one of {', '.join(_TEXT_KEYS)})")
    rows = []
    for position, doc in enumerate(raw.to_dict("records")):
        try:
            qid = canonical_question_id(name, "doc", doc)
        except BenchmarkError as exc:
            raise BenchmarkError(f"{where}: row {position}: {exc}") from None
        expected = reg.loc[reg["question_id"] == qid, "answer"].iloc[0]
        if not _answers_equal(doc["answer"], expected, bench.integer_answers):
            raise BenchmarkError(
                f"{where}: row {position} (question {qid}): answer {doc['answer']!r} differs from the registry's {expected!r}"
            )
        rows.append({"question_id": qid, "problem": str(doc[text_col]), "source_answer": str(doc["answer"])})
    frame = pd.DataFrame(rows)
    dup = frame["question_id"].duplicated()
    if dup.any():
        raise BenchmarkError(f"{where}: question(s) {sorted(set(frame.loc[dup, 'question_id']))} appear twice")
    missing = sorted(set(reg["question_id"]) - set(frame["question_id"]), key=lambda s: (len(s), s))
    if missing:
        raise BenchmarkError(f"{where}: missing question(s) {', '.join(missing)} of {name}")
    meta = reg.drop(columns=["problem_hash"], errors="ignore")
    return meta.merge(frame, on="question_id", how="left")[
        [
            "question_id",
            "problem",
            "answer",
            *[c for c in meta.columns if c not in ("question_id", "answer")],
            "source_answer",
        ]
    ]


def _load_registry_csv(filename: str) -> pd.DataFrame:
    frame = pd.read_csv(paths.DATA_DIR / filename, dtype=str, keep_default_na=False)
    for column in ("year", "number"):
        frame[column] = frame[column].astype(int)
    return frame


def _aime24_loader(path: Path | None) -> pd.DataFrame:
    if path is None:
        raw = _hub_frame("AI-MO/aimo-validation-aime", "train")
        raw = raw[raw["url"].str.contains("2024_AIME")]
        where = "AI-MO/aimo-validation-aime (hub)"
    else:
        raw, where = read_local_table(path), str(path)
        if "url" in raw.columns and len(raw) > 30:  # the whole AI-MO file (2022-2024): keep 2024
            raw = raw[raw["url"].astype(str).str.contains("2024_AIME")]
    return _registered_frame("aime24", raw.reset_index(drop=True), where)


def _aime25_loader(path: Path | None) -> pd.DataFrame:
    if path is None:
        raw, where = _hub_frame("MathArena/aime_2025", "train"), "MathArena/aime_2025 (hub)"
    else:
        raw, where = read_local_table(path), str(path)
    return _registered_frame("aime25", raw, where)


def _math500_loader(path: Path | None) -> pd.DataFrame:
    if path is None:
        raw, where = _hub_frame("HuggingFaceH4/MATH-500", "test"), "HuggingFaceH4/MATH-500 (hub)"
    else:
        raw, where = read_local_table(path), str(path)
    _check_columns(raw, ("unique_id", "problem", "answer"), where)
    frame = raw.rename(columns={"unique_id": "question_id"})
    return frame[
        ["question_id", "problem", "answer", *[c for c in frame.columns if c in ("subject", "level", "solution")]]
    ]


def _register_builtins() -> None:
    register_benchmark(
        "aime24",
        _aime24_loader,
        description="AIME 2024 (30 questions), ids = AI-MO/aimo-validation-aime ids 60..89",
        registry=_load_registry_csv("aime24.csv"),
        integer_answers=True,
        id_formats={
            "ai_mo": "ai_mo_row",
            "h4_aime_2024": "h4_aime_2024_row",
            "lm_eval_aime": "lm_eval_aime_doc_id",
            "lm_eval_aime_2024": "lm_eval_aime_2024_doc_id",
            "simplescaling": "ai_mo_row",  # simplescaling/aime24_nofigures and _figures reuse the AI-MO ids
        },
        native_id_column="ai_mo_row",
    )
    register_benchmark(
        "aime25",
        _aime25_loader,
        description="AIME 2025 (30 questions), ids = MathArena/aime_2025 problem_idx 1..30",
        registry=_load_registry_csv("aime25.csv"),
        integer_answers=True,
        id_formats={"matharena": "matharena_problem_idx"},
        native_id_column="matharena_problem_idx",
    )
    register_benchmark(
        "math500",
        _math500_loader,
        description="MATH-500 (HuggingFaceH4/MATH-500 test split), ids = unique_id",
    )


_register_builtins()
