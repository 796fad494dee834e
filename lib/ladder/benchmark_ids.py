"""What a benchmark is, and how a question of it is identified whatever numbering a source uses.

A :class:`Benchmark` has a name, a loader and, where the project states one, an id registry (``data/<name>.csv``,
one row per question). AIME questions are keyed by (year, contest I/II, problem number); every foreign numbering
(AI-MO ids, row positions of ``HuggingFaceH4/aime_2024``, lm-evaluation-harness doc ids, "2024-I-1" ids, AoPS
urls, the problem text) is mapped onto the canonical id through that key, never through a row position alone.
The registry by name and the loaders are ``ladder.benchmarks`` and ``ladder.benchmark_loaders``.

Usage::

    from ladder.benchmark_ids import map_question_id
    map_question_id(bench, "lm_eval_aime_2024", 5)      # -> "65" for the aime24 Benchmark
"""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd


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


def new_benchmark(
    name: str,
    loader: Loader,
    *,
    description: str = "",
    registry: pd.DataFrame | None = None,
    integer_answers: bool = False,
    id_formats: Mapping[str, str] | None = None,
    native_id_column: str | None = None,
) -> Benchmark:
    """A :class:`Benchmark` whose id formats include ``canonical``; a registry without its columns is an error."""
    if registry is not None:
        check_columns(registry, ("question_id", "answer"), f"id registry of '{name}'")
    return Benchmark(
        name=name,
        loader=loader,
        description=description,
        registry=registry,
        integer_answers=integer_answers,
        id_formats={"canonical": "question_id", **(id_formats or {})},
        native_id_column=native_id_column,
    )


def check_columns(frame: pd.DataFrame, columns: tuple[str, ...], where: str) -> None:
    """Raise naming ``where``, the missing columns and the ones it has."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise BenchmarkError(
            f"{where}: missing column(s) {', '.join(missing)}; has {', '.join(map(str, frame.columns))}"
        )


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
        (
            (difflib.SequenceMatcher(None, squeeze(p), target).ratio(), str(qid))
            for qid, p in zip(problems["question_id"], problems["problem"], strict=True)
        ),
        reverse=True,
    )
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


def map_question_id(
    bench: Benchmark,
    source_format: str,
    raw_id_or_doc: Any,
    problems: pd.DataFrame | None = None,
) -> str:
    """Map a foreign question id (or a whole source row, ``source_format="doc"``) of ``bench`` onto its canonical id.

    The formats are those of ``ladder.benchmarks.canonical_question_id``, which looks the benchmark up by name.
    """
    benchmark = bench.name
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
# A source checked against the id registry


def _answers_equal(a: Any, b: Any, integer: bool) -> bool:
    if integer:
        try:
            return int(str(a).strip()) == int(str(b).strip())
        except ValueError:
            return False
    return str(a).strip() == str(b).strip()


def registered_frame(bench: Benchmark, raw: pd.DataFrame, where: str) -> pd.DataFrame:
    """Map a source's rows onto the registry's canonical ids and check them against it (every question once,
    answers equal to the registry's); the registry's metadata columns follow, the source's answer and, when the
    source has one, its worked solution."""
    name = bench.name
    reg = bench.registry
    assert reg is not None
    check_columns(raw, ("answer",), where)
    text_col = next((c for c in _TEXT_KEYS if c in raw.columns), None)
    if text_col is None:
        raise BenchmarkError(f"{where}: no problem text column (one of {', '.join(_TEXT_KEYS)})")
    rows = []
    for position, doc in enumerate(raw.to_dict("records")):
        try:
            qid = map_question_id(bench, "doc", doc)
        except BenchmarkError as exc:
            raise BenchmarkError(f"{where}: row {position}: {exc}") from None
        expected = reg.loc[reg["question_id"] == qid, "answer"].iloc[0]
        if not _answers_equal(doc["answer"], expected, bench.integer_answers):
            raise BenchmarkError(
                f"{where}: row {position} (question {qid}): answer {doc['answer']!r} differs from the registry's {expected!r}"
            )
        row = {"question_id": qid, "problem": str(doc[text_col]), "source_answer": str(doc["answer"])}
        if isinstance(doc.get("solution"), str):  # AI-MO's worked solutions: the strategy stage's reference
            row["solution"] = doc["solution"]
        rows.append(row)
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
            *(["solution"] if "solution" in frame.columns else []),
        ]
    ]
