"""Sources of SFT trajectories: loaders with schema checks, and the trajectory pool built from each.

Every source loads with the real Hugging Face ``datasets`` code, from the hub by dataset name or from
a local parquet/jsonl file or folder (offline); the same code path either way. Each source turns its
rows into a :class:`ladder.sft_pool.Pool`: one usable trajectory per problem, with the count of rows left
after each filter. Sources are looked up in :data:`SOURCES` ("module:function", imported lazily), so a new source
(the laptop profile's ``ladder.synthetic_corpus``) plugs in by providing ``curation_pool(params) -> Pool``.

Usage::

    from ladder.curate.sources import build_pool
    pool = build_pool(CurateParams(local_path="openr1.parquet"))
    pool.frame  # POOL_COLUMNS, one row per problem
    pool.steps  # [{"step": "loaded", "unit": "problems", "rows": 93733}, ...]
"""

from __future__ import annotations

import hashlib
import importlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ladder.curate.params import CurateParams, resolve_cache_dir
from ladder.sft_pool import POOL_COLUMNS, PROBLEM_TYPE_TO_CATEGORY, THINK_CLOSE, THINK_OPEN, Pool, format_assistant

HUB_NAMES = {
    "openr1": "open-r1/OpenR1-Math-220k",
    "s1k": "simplescaling/s1K",
    "s1k-1.1": "simplescaling/s1K-1.1",
}

# Columns each source must have (the ones curation reads): name -> "str" | "list" | "list?" (list or null).
OPENR1_COLUMNS = {
    "problem": "str",
    "answer": "str",
    "problem_type": "str",
    "question_type": "str",
    "source": "str",
    "uuid": "str",
    "is_reasoning_complete": "list",
    "generations": "list",
    "correctness_math_verify": "list",
    "correctness_llama": "list?",
    "finish_reasons": "list?",
}
S1K_COLUMNS = {
    "question": "str",
    "solution": "str",
    "cot_type": "str",
    "thinking_trajectories": "list",
    "attempt": "str",
}
S1K11_COLUMNS = {
    "question": "str",
    "solution": "str",
    "cot_type": "str",
    "gemini_thinking_trajectory": "str",
    "gemini_attempt": "str",
    "deepseek_thinking_trajectory": "str",
    "deepseek_attempt": "str",
}
# Answers that mark a question without a checkable final answer (NuminaMath-1.5 conventions).
NON_ANSWERS = {"", "proof", "notfound", "none"}


class CurationError(ValueError):
    """Bad curation input: names the file, column, row or param that is wrong."""


def text_id(text: str) -> str:
    """Stable id of a problem statement (sha256 of the whitespace-normalised text, 16 hex digits)."""
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()[:16]


def seeded_key(seed: int, *parts: object) -> str:
    """A pseudo-random sort key that depends only on the seed and the row's identity, never on row order."""
    return hashlib.blake2b(":".join(map(str, (seed, *parts))).encode(), digest_size=8).hexdigest()


# --- loading -----------------------------------------------------------------------------------------


def _local_files(path: Path) -> tuple[str, list[Path]]:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in (".parquet", ".jsonl", ".json"))
        if not files:
            raise CurationError(f"{path}: folder has no .parquet, .jsonl or .json files")
    elif path.is_file():
        files = [path]
    else:
        raise CurationError(f"{path}: no such file or folder (param local_path)")
    kinds = {"parquet" if p.suffix == ".parquet" else "json" for p in files}
    if len(kinds) > 1:
        raise CurationError(f"{path}: mixes parquet and json files; keep one format per source")
    return kinds.pop(), files


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_schema(features: Mapping[str, Any], columns: Mapping[str, str], where: str) -> None:
    """Raise naming every missing column, and any column whose type is not the expected one (list vs scalar)."""
    from datasets import LargeList, List, Value  # datasets: over a second to import; the synthetic source needs none

    missing = [c for c in columns if c not in features]
    if missing:
        close = {c: [f for f in features if f.lower().replace("-", "_") == c] for c in missing}
        hints = "".join(f" ('{c}' looks renamed to '{v[0]}')" for c, v in close.items() if v)
        raise CurationError(f"{where}: missing column(s) {', '.join(missing)}{hints}; found {', '.join(features)}")
    for name, kind in columns.items():
        feature = features[name]
        is_list = isinstance(feature, (List, LargeList, list))
        is_null = isinstance(feature, Value) and feature.dtype == "null"
        is_text = isinstance(feature, Value) and feature.dtype in ("string", "large_string")
        if kind.startswith("list"):
            ok, expected = is_list or (kind == "list?" and is_null), "a list per row"
        else:
            ok, expected = is_text or is_null, "text"
        if not ok:
            raise CurationError(f"{where}: column '{name}' should hold {expected}, found {feature}")


def load_rows(source: str, params: CurateParams, columns: Mapping[str, str]):
    """Load a source's rows as a ``datasets.Dataset`` (hub name or ``params.local_path``) after a schema check.

    Returns ``(dataset, info)`` where ``info`` names the dataset, config, revision and files (with sha256).
    """
    from datasets import load_dataset  # datasets: over a second to import; the synthetic source needs none

    name = HUB_NAMES[source]
    config = params.config if source == "openr1" else None
    if params.local_path:
        kind, files = _local_files(Path(params.local_path))
        # datasets copies local files into Arrow; keep those copies beside our other caches, not in ~/.cache.
        arrow_cache = resolve_cache_dir(params) / "datasets"
        dataset = load_dataset(kind, data_files=[str(p) for p in files], split="train", cache_dir=str(arrow_cache))
        where = str(params.local_path)
        info = {
            "dataset": name,
            "config": config,
            "local_path": str(params.local_path),
            "files": [{"path": str(p), "sha256": _sha256_file(p)} for p in files],
        }
    else:
        try:
            dataset = load_dataset(name, config, split="train", revision=params.revision or None)
        except (OSError, ValueError) as exc:  # offline, unknown revision, no access
            raise CurationError(
                f"cannot load {name} ({config or 'default'}) from the Hugging Face hub: {exc}. "
                f"Download it once online, or set param local_path to a parquet/jsonl copy"
            ) from exc
        where = f"{name} ({config or 'default'})"
        # The hub commit appears as a 40-hex folder in the datasets cache path.
        cached = [f["filename"] for f in dataset.cache_files]
        commits = {part for f in cached for part in Path(f).parts if re.fullmatch(r"[0-9a-f]{40}", part)}
        info = {
            "dataset": name,
            "config": config,
            "revision": params.revision or "latest",
            "resolved_revision": sorted(commits)[0] if commits else "",
            "fingerprint": dataset._fingerprint,
        }
    check_schema(dataset.features, columns, where)
    info["rows"] = dataset.num_rows
    return dataset.select_columns(list(columns)), info


# --- OpenR1-Math-220k -----------------------------------------------------------------------------


def _generation_flags(table, where: str) -> pd.DataFrame:
    """One row per (problem row, generation) with its flags, computed in Arrow without copying the texts.

    Every list column must have as many entries as ``generations`` on each row (a null Llama-judge or
    finish-reason list means "no verdict"); otherwise the error names the row, uuid and column.
    """
    n_gen = pc.list_value_length(table["generations"]).fill_null(0).to_numpy()
    first = np.concatenate([[0], np.cumsum(n_gen)[:-1]]).astype(np.int64)
    total = int(n_gen.sum())

    def flags(column: str, test) -> np.ndarray:
        values = table[column]
        out = np.zeros(total, dtype=bool)
        if pa.types.is_null(values.type):  # null on every row: no verdicts at all
            return out
        lengths = pc.list_value_length(values)
        valid = pc.is_valid(lengths).to_numpy(zero_copy_only=False)
        bad = valid & (lengths.fill_null(0).to_numpy() != n_gen)
        if OPENR1_COLUMNS[column] == "list":
            bad |= ~valid
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            entries = "null" if not valid[row] else f"{lengths[row].as_py()} entries"
            raise CurationError(
                f"{where}: row {row} (uuid {table['uuid'][row].as_py()}): column '{column}' has "
                f"{entries} but 'generations' has {n_gen[row]}"
            )
        out[np.repeat(valid, n_gen)] = test(pc.list_flatten(values)).fill_null(False).to_numpy(zero_copy_only=False)
        return out

    def is_true(array):
        return pc.equal(array, True)

    return pd.DataFrame(
        {
            "row": np.repeat(np.arange(len(table)), n_gen),
            "flat_idx": np.arange(total),
            "generation_idx": np.arange(total) - np.repeat(first, n_gen),
            "math_verify": flags("correctness_math_verify", is_true),
            "llama": flags("correctness_llama", is_true),
            "complete": flags("is_reasoning_complete", is_true),
            "has_think_close": flags("generations", lambda a: pc.match_substring(a, THINK_CLOSE)),
            "stop": flags("finish_reasons", lambda a: pc.equal(a, "stop")),
        }
    )


def openr1_pool(params: CurateParams) -> Pool:
    """OpenR1-Math-220k -> one correct, complete, finished R1 trajectory per answerable problem."""
    dataset, info = load_rows("openr1", params, OPENR1_COLUMNS)
    where = info.get("local_path") or info["dataset"]
    pool = Pool(frame=pd.DataFrame(columns=POOL_COLUMNS), source=info)
    table = dataset.with_format("arrow")[:]
    scalars = [c for c, kind in OPENR1_COLUMNS.items() if kind == "str"]
    frame = table.select(scalars).to_pandas()
    pool.record("loaded", len(frame))
    unique = ~frame["uuid"].duplicated(keep="first")
    pool.record("unique uuid", int(unique.sum()))
    answer = frame["answer"].fillna("").str.strip().str.lower()
    keep = (unique & (frame["question_type"] != "proof") & ~answer.isin(NON_ANSWERS)).to_numpy()
    pool.record("answerable (no proofs, has an answer)", int(keep.sum()))

    # Flags for every row (row numbers in errors are the file's), then only the kept rows' generations; the
    # table itself is never filtered, which would copy every generation text (gigabytes for the real data).
    gens = _generation_flags(table, where)
    gens = gens[keep[gens["row"].to_numpy()]]
    pool.record("generations", len(gens), unit="generations")
    correct = gens["math_verify"] | (gens["llama"] if params.use_llama_judge else False)
    gens = gens[correct]
    judge = " (math-verify or llama judge)" if params.use_llama_judge else " (math-verify)"
    pool.record("correct" + judge, len(gens), unit="generations")
    gens = gens[gens["complete"] & gens["has_think_close"]]
    pool.record("reasoning complete", len(gens), unit="generations")
    gens = gens[gens["stop"]]
    pool.record("finished (finish_reason == stop)", len(gens), unit="generations")

    problem_ids = frame["uuid"].to_numpy()[gens["row"].to_numpy()]
    keys = [seeded_key(params.seed, p, i) for p, i in zip(problem_ids, gens["generation_idx"], strict=True)]
    chosen = gens.assign(problem_id=problem_ids, _key=keys).sort_values(["problem_id", "_key"])
    chosen = chosen.drop_duplicates("problem_id").reset_index(drop=True)
    texts = pc.take(pc.list_flatten(table["generations"]), pa.array(chosen["flat_idx"].to_numpy()))
    parts = pd.Series(texts.to_pylist(), dtype=object).str.partition(THINK_CLOSE)
    thinking = parts[0].str.replace(THINK_OPEN, "", n=1, regex=False)
    rows = frame.iloc[chosen["row"].to_numpy()].reset_index(drop=True)
    # A row without problem_type is uncategorised, as NuminaMath's "Other".
    category = rows["problem_type"].fillna("Other").map(PROBLEM_TYPE_TO_CATEGORY)
    unknown = category.isna()
    if unknown.any():
        bad = sorted(rows.loc[unknown, "problem_type"].unique().tolist())
        raise CurationError(
            f"{where}: column 'problem_type' has value(s) {bad} outside {', '.join(PROBLEM_TYPE_TO_CATEGORY)}"
        )
    pool.frame = pd.DataFrame(
        {
            "problem_id": chosen["problem_id"],
            "problem": rows["problem"],
            "answer": rows["answer"],
            "category": category,
            "origin": rows["source"],
            "generation_idx": chosen["generation_idx"].astype("int64"),
            "assistant": [format_assistant(t, f) for t, f in zip(thinking, parts[2], strict=True)],
        }
    )
    pool.record("problems with a usable trajectory (one each)", len(pool.frame))
    return pool


# --- s1K and s1K-1.1 -------------------------------------------------------------------------------


def s1k_pool(params: CurateParams) -> Pool:
    """simplescaling/s1K: Gemini Flash Thinking traces (``thinking_trajectories[0]`` + ``attempt``)."""
    dataset, info = load_rows("s1k", params, S1K_COLUMNS)
    frame = dataset.to_pandas()
    pool = Pool(frame=pd.DataFrame(columns=POOL_COLUMNS), source=info)
    pool.record("loaded", len(frame))
    thinking = frame["thinking_trajectories"].map(lambda v: v[0] if v is not None and len(v) else None)
    return _s1_pool(pool, frame, thinking, frame["attempt"])


def s1k11_pool(params: CurateParams) -> Pool:
    """simplescaling/s1K-1.1: the same questions with DeepSeek-R1 traces (style r1) or Gemini traces (style gemini)."""
    dataset, info = load_rows("s1k-1.1", params, S1K11_COLUMNS)
    frame = dataset.to_pandas()
    pool = Pool(frame=pd.DataFrame(columns=POOL_COLUMNS), source=info)
    pool.record("loaded", len(frame))
    prefix = "deepseek" if params.style == "r1" else "gemini"
    return _s1_pool(pool, frame, frame[f"{prefix}_thinking_trajectory"], frame[f"{prefix}_attempt"])


def _s1_pool(pool: Pool, frame: pd.DataFrame, thinking: pd.Series, attempt: pd.Series) -> Pool:
    has_trace = thinking.notna() & thinking.astype("string").str.strip().ne("") & attempt.notna()
    frame, thinking, attempt = frame[has_trace], thinking[has_trace], attempt[has_trace]
    pool.record("has a trace and an attempt", len(frame))
    out = pd.DataFrame(
        {
            "problem_id": [text_id(q) for q in frame["question"]],
            "problem": frame["question"].to_numpy(),
            "answer": frame["solution"].to_numpy(),
            "category": frame["cot_type"].to_numpy(),
            "origin": frame["cot_type"].to_numpy(),
            "generation_idx": np.zeros(len(frame), dtype="int64"),
            "assistant": [format_assistant(t, a) for t, a in zip(thinking, attempt, strict=True)],
        }
    )
    pool.frame = out.drop_duplicates("problem_id").sort_values("problem_id", ignore_index=True)
    pool.record("problems with a usable trajectory (one each)", len(pool.frame))
    return pool


# --- identity of a source, for caches ---------------------------------------------------------------


def source_fingerprint(params: CurateParams) -> dict[str, Any] | None:
    """What identifies the source's rows: file hashes (local) or the datasets fingerprint (hub); None if unknown.

    Loading from the hub is cheap once the dataset is in the local datasets cache (memory-mapped Arrow).
    """
    if params.source not in HUB_NAMES:
        return None
    if params.local_path:
        _, files = _local_files(Path(params.local_path))
        return {"files": [_sha256_file(p) for p in files]}
    columns = {"openr1": OPENR1_COLUMNS, "s1k": S1K_COLUMNS, "s1k-1.1": S1K11_COLUMNS}[params.source]
    _, info = load_rows(params.source, params, columns)
    return {"hub": info["dataset"], "config": info["config"], "fingerprint": info["fingerprint"]}


# --- registry --------------------------------------------------------------------------------------

# source name -> "module:function" taking CurateParams and returning a Pool (imported when used).
SOURCES = {
    "openr1": "ladder.curate.sources:openr1_pool",
    "s1k": "ladder.curate.sources:s1k_pool",
    "s1k-1.1": "ladder.curate.sources:s1k11_pool",
    "synthetic": "ladder.synthetic_corpus:curation_pool",
}


def build_pool(params: CurateParams) -> Pool:
    """Load ``params.source`` and build its pool; the pool's columns are checked against POOL_COLUMNS."""
    target = SOURCES[params.source]
    module_name, _, function = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise CurationError(f"source '{params.source}' needs {target}, which is not available: {exc}") from exc
    pool = getattr(module, function)(params)
    missing = [c for c in POOL_COLUMNS if c not in pool.frame.columns]
    if missing:
        raise CurationError(f"source '{params.source}' ({target}) returned a pool without column(s) {missing}")
    return pool
