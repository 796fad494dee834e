"""The curate stage: params -> ``dataset.parquet`` (chat messages) + ``manifest.json`` + the card's tables.

Order of work: benchmarks and tokenizer are loaded first (a bad name fails in seconds), then the
source's pool (``sources``) and decontamination (``decontam``), both cached by content
(``pool_cache``), category quotas (too large an n fails here), token counts (``lengths``, cached),
the length/similarity/random rule (``select``), and the files below, written atomically.

Files in ``output_dir``:
- ``dataset.parquet``: column ``messages`` = [{role: user, content: problem}, {role: assistant,
  content: "<think>\\n...\\n</think>\\n\\nanswer"}], one row per trajectory.
- ``selection.parquet``: the same rows (same order) with problem_id, category, origin, n_tokens, similarity.
- ``pool_lengths.parquet``: every pool problem's category, n_tokens and whether it was selected.
- ``decontamination.parquet``: the pool problems removed, with the benchmark question and shared n-gram.
- ``manifest.json``: params, seed, source (name, revision or file hashes), rows after each filter,
  token-length statistics, category counts, content hash. No timestamps: same params -> same bytes.

Usage::

    from ladder.curate import CurateParams, curate_stage
    result = curate_stage(CurateParams(local_path="openr1.parquet", tokenizer="runs/tiny/model"), "runs/x")
    result.manifest["content_hash"]
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ladder import __version__, store
from ladder.benchmarks import load_benchmark
from ladder.curate.lengths import count_tokens, load_tokenizer, tokenizer_fingerprint
from ladder.curate.params import CurateParams, resolve_cache_dir
from ladder.curate.pool_cache import clean_pool
from ladder.curate.select import ALL, category_quotas, select_rows
from ladder.curate.similarity import nearest_rank, similarity_matrix
from ladder.curate.sources import CurationError

MANIFEST_VERSION = 1


@dataclass
class CurationResult:
    """What the curate stage wrote, as frames for the dataset card."""

    output_dir: Path
    selection: pd.DataFrame  # one row per trajectory of dataset.parquet, same order, plus `messages`
    pool_lengths: pd.DataFrame  # problem_id, category, n_tokens, selected
    removed: pd.DataFrame  # decontamination: ladder.curate.decontam.REMOVED_COLUMNS
    filters: pd.DataFrame  # step, unit, rows, dropped
    manifest: dict[str, Any]


def load_benchmarks(params: CurateParams) -> dict[str, pd.DataFrame]:
    """The decontamination benchmarks (and the anchor benchmark), from ``benchmark_files`` or the hub."""
    unknown = sorted(set(params.benchmark_files) - set(params.decontaminate) - {params.anchor_benchmark})
    if unknown:
        raise CurationError(f"param benchmark_files: {unknown} is neither in decontaminate nor the anchor benchmark")
    names = list(params.decontaminate)
    if params.similarity != "none" and params.anchor_benchmark not in names:
        names.append(params.anchor_benchmark)
    return {name: load_benchmark(name, params.benchmark_files.get(name)) for name in names}


def anchor_questions(params: CurateParams, benchmark: pd.DataFrame) -> pd.DataFrame:
    """The anchor benchmark's questions in ``anchor_tiers`` (column ``study_tier``)."""
    if "study_tier" not in benchmark.columns:
        raise CurationError(f"anchor_benchmark '{params.anchor_benchmark}' has no tiers (column study_tier)")
    known = set(benchmark["study_tier"].dropna())
    bad = sorted(set(params.anchor_tiers) - known)
    if bad:
        raise CurationError(
            f"param anchor_tiers: unknown tier(s) {bad}; {params.anchor_benchmark} has {sorted(known)}"
        )
    return benchmark[benchmark["study_tier"].isin(params.anchor_tiers)].reset_index(drop=True)


def token_stats(n_tokens: pd.Series) -> dict[str, float]:
    """count, mean, std, min, p10, median, p90, max of token lengths."""
    values = np.asarray(n_tokens, dtype=np.float64)
    if not len(values):
        return {"count": 0}
    q = np.percentile(values, [10, 50, 90])
    return {
        "count": int(len(values)),
        "mean": round(float(values.mean()), 2),
        "std": round(float(values.std()), 2),
        "min": int(values.min()),
        "p10": round(float(q[0]), 2),
        "median": round(float(q[1]), 2),
        "p90": round(float(q[2]), 2),
        "max": int(values.max()),
    }


def to_messages(problem: str, assistant: str) -> list[dict[str, str]]:
    """One SFT example in chat format."""
    return [{"role": "user", "content": problem}, {"role": "assistant", "content": assistant}]


def content_hash(messages: list[list[dict[str, str]]]) -> str:
    """sha256 of the dataset's canonical JSON lines (independent of the parquet writer)."""
    digest = hashlib.sha256()
    for row in messages:
        digest.update(json.dumps(row, sort_keys=True, ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def write_dataset(messages: list[list[dict[str, str]]], path: Path) -> Path:
    """Write the chat dataset as parquet with one column ``messages`` (list of {role, content})."""
    message_type = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))
    table = pa.table({"messages": pa.array(messages, type=message_type)})
    return store.atomic_write(path, lambda tmp: pq.write_table(table, tmp))


def _write_frame(frame: pd.DataFrame, path: Path) -> Path:
    return store.atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))


def curate_stage(params: CurateParams, output_dir: str | Path) -> CurationResult:
    """Build the SFT dataset described by ``params`` into ``output_dir`` and return the card's frames."""
    with warnings.catch_warnings():
        # tqdm.auto warns on import inside a kernel without ipywidgets; progress bars are off anyway.
        warnings.filterwarnings("ignore", message="IProgress not found")
        return _curate(params, Path(output_dir))


def _curate(params: CurateParams, output_dir: Path) -> CurationResult:
    cache_dir = resolve_cache_dir(params)
    benchmarks = load_benchmarks(params)
    anchors = anchor_questions(params, benchmarks[params.anchor_benchmark]) if params.similarity != "none" else None
    tokenizer_id = tokenizer_fingerprint(load_tokenizer(params.tokenizer))

    pool, removed = clean_pool(params, benchmarks, cache_dir)
    frame = pool.frame
    quotas = category_quotas(frame["category"].value_counts().to_dict(), params.category, params.n)
    frame = frame.assign(n_tokens=count_tokens(frame["assistant"].tolist(), params.tokenizer, cache_dir))
    candidates = frame if ALL in quotas else frame[frame["category"].isin(list(quotas))].reset_index(drop=True)
    pool.record(f"category {params.category}", len(candidates))
    if anchors is not None:
        sims = similarity_matrix(
            candidates["problem"].tolist(), anchors["problem"].tolist(), params.embedder, cache_dir
        )
        candidates = candidates.assign(similarity=sims.max(axis=1), best_rank=nearest_rank(sims))
    chosen = select_rows(candidates, quotas, params.length, params.similarity, params.seed)
    rule = params.similarity if params.similarity != "none" else params.length
    pool.record(f"selected n={params.n} ({rule})", len(chosen))

    messages = [to_messages(p, a) for p, a in zip(chosen["problem"], chosen["assistant"], strict=True)]
    output_dir.mkdir(parents=True, exist_ok=True)
    write_dataset(messages, output_dir / "dataset.parquet")
    keep = ["problem_id", "category", "origin", "generation_idx", "n_tokens", "answer"]
    if anchors is not None:
        keep += ["similarity", "best_rank"]
    selection = chosen[keep].reset_index(drop=True)
    _write_frame(selection, output_dir / "selection.parquet")
    pool_lengths = frame[["problem_id", "category", "n_tokens"]].assign(
        selected=frame["problem_id"].isin(chosen["problem_id"])
    )
    _write_frame(pool_lengths, output_dir / "pool_lengths.parquet")
    _write_frame(removed, output_dir / "decontamination.parquet")

    filters = pd.DataFrame(pool.steps)
    filters["dropped"] = (filters["rows"].shift(1) - filters["rows"]).where(
        filters["unit"].eq(filters["unit"].shift(1))
    )
    filters["dropped"] = filters["dropped"].astype("Int64")
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "ladder_version": __version__,
        "params": store.portable(params.model_dump(mode="json"), output_dir),
        "seed": params.seed,
        "source": pool.source,
        "filters": pool.steps,
        "quotas": quotas,
        "rows": len(messages),
        "categories": selection["category"].value_counts().sort_index().to_dict(),
        "decontamination": {
            "ngram": params.ngram,
            "benchmarks": list(params.decontaminate),
            "removed": len(removed),
            "removed_by_benchmark": removed["benchmark"].value_counts().sort_index().to_dict(),
        },
        "token_lengths": {
            "tokenizer": store.portable(params.tokenizer, output_dir),
            "tokenizer_fingerprint": tokenizer_id,
            "dataset": token_stats(selection["n_tokens"]),
            "pool": token_stats(frame["n_tokens"]),
        },
        "content_hash": content_hash(messages),
        "files": ["dataset.parquet", "selection.parquet", "pool_lengths.parquet", "decontamination.parquet"],
    }
    if anchors is not None:
        manifest["similarity"] = {
            "rule": params.similarity,
            "embedder": params.embedder,
            "anchor_benchmark": params.anchor_benchmark,
            "anchor_tiers": list(params.anchor_tiers),
            "anchor_ids": anchors["question_id"].tolist(),
            "mean_similarity_selected": round(float(selection["similarity"].mean()), 4),
            "mean_similarity_candidates": round(float(candidates["similarity"].mean()), 4),
        }
    store.write_json(output_dir / "manifest.json", manifest)
    return CurationResult(
        output_dir=output_dir,
        selection=selection.assign(messages=messages),
        pool_lengths=pool_lengths,
        removed=removed,
        filters=filters,
        manifest=manifest,
    )
