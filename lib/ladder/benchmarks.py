"""Benchmark registry: problems, answers, canonical question ids and the study's AIME24 tier lists.

Every benchmark has a name, a loader (Hugging Face hub by default, or a local jsonl/json/parquet/csv
file; ``ladder.benchmark_loaders``) and, where the project states one, an id registry in ``data/<name>.csv``
through which every foreign numbering maps onto the canonical id (``ladder.benchmark_ids``). This module is
the one to import: the registry by name, loading and checking a benchmark, ids, answers, and the tiers.

Canonical ids: AIME24 = the AI-MO id ("60".."89"); AIME25 = the MathArena ``problem_idx`` ("1".."30");
MATH-500 = its ``unique_id`` ("test/precalculus/807.json").

Usage::

    from ladder import benchmarks
    frame = benchmarks.load_benchmark("aime24")                        # hub
    frame = benchmarks.load_benchmark("aime24", "tests/fixtures/benchmarks/aime24.jsonl")  # local file
    benchmarks.canonical_question_id("aime24", "lm_eval_aime_2024", 5)   # -> "65"
    benchmarks.canonical_question_id("aime24", "aime_id", "2024-I-1")    # -> "60"
    benchmarks.study_tiers()["62"]                                      # -> "exh"
    benchmarks.register_benchmark("synthetic", my_loader)               # laptop profile
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ladder import paths
from ladder.benchmark_ids import (
    Benchmark,
    BenchmarkError,
    Loader,
    check_columns,
    map_question_id,
    new_benchmark,
    problem_hash,
)
from ladder.benchmark_loaders import GENERATED, builtin_benchmarks, generated_benchmark, read_local_table

__all__ = [
    "ALL_TIERS",
    "BENCHMARK_COLUMNS",
    "TIERS_FILE",
    "TIER_ORDER",
    "Benchmark",
    "BenchmarkError",
    "Loader",
    "benchmark_answers",
    "canonical_question_id",
    "get_benchmark",
    "id_registry",
    "known_benchmarks",
    "load_benchmark",
    "problem_hash",
    "read_local_table",
    "register_benchmark",
    "study_tiers",
    "tier_lists",
    "tier_questions",
    "tiers_present",
]

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

_REGISTRY: dict[str, Benchmark] = dict(builtin_benchmarks())


def register_benchmark(name: str, loader: Loader, *, replace: bool = False, **details: Any) -> Benchmark:
    """Add a benchmark. ``loader(path)`` returns a frame with at least question_id, problem, answer (strings).

    ``details`` are :func:`ladder.benchmark_ids.new_benchmark`'s: description, registry (the id registry),
    integer_answers, id_formats, native_id_column. A registered name needs ``replace=True``.
    """
    if name in _REGISTRY and not replace:
        raise BenchmarkError(f"benchmark '{name}' is already registered; pass replace=True to override it")
    _REGISTRY[name] = new_benchmark(name, loader, **details)
    return _REGISTRY[name]


def known_benchmarks() -> list[str]:
    """Names of the registered benchmarks (and of those other ladder modules generate)."""
    return sorted(set(_REGISTRY) | set(GENERATED))


def get_benchmark(name: str) -> Benchmark:
    """The registered benchmark ``name``; an unknown name lists the known ones."""
    if name not in _REGISTRY and name in GENERATED:
        _REGISTRY[name] = generated_benchmark(name)
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
    check_columns(frame, BENCHMARK_COLUMNS, where)
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


def canonical_question_id(
    benchmark: str,
    source_format: str,
    raw_id_or_doc: Any,
    problems: pd.DataFrame | None = None,
) -> str:
    """Map a foreign question id (or a whole source row, ``source_format="doc"``) of ``benchmark`` onto its canonical id.

    ``source_format`` names the numbering, e.g. for aime24: ``canonical``/``ai_mo`` (60..89),
    ``h4_aime_2024`` (rows 0..29), ``lm_eval_aime`` (doc ids 0..89), ``lm_eval_aime_2024`` (0..29),
    ``aime_id``/``lm_eval_aime24`` ("2024-I-1"), ``url`` (AoPS), ``problem`` (problem text), ``doc`` (a row
    dict: url, "YYYY-I-N" id, year/contest/number, problem text, native id). AIME ids join through
    (year, contest, number). ``problems`` (a loaded benchmark) enables fuzzy text matching.
    """
    return map_question_id(get_benchmark(benchmark), source_format, raw_id_or_doc, problems)
