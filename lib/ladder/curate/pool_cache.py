"""The decontaminated pool of a source, cached on disk: built once, reused by every experiment that shares it.

The study's 46 datasets draw on a handful of pools (one per source, seed and filter setting); building
one from OpenR1-Math-220k (load, filter ~300k generations, decontaminate ~94k problems) takes a
minute or more, selecting from it seconds. The cache key covers everything the pool depends on: the
source's identity (file sha256 or datasets fingerprint), the params that shape the pool, the benchmark
questions, and the source code of the modules that build it, so an edit to a filter never reuses an old pool.

Usage::

    pool, removed = clean_pool(params, benchmarks, cache_dir)
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import shutil
from pathlib import Path

import pandas as pd

from ladder import sft_pool
from ladder.curate import decontam, sources
from ladder.curate import params as params_module
from ladder.curate.decontam import find_contamination
from ladder.curate.params import CurateParams
from ladder.curate.sources import build_pool, source_fingerprint
from ladder.params import params_hash
from ladder.sft_pool import Pool

POOL_CACHE_VERSION = 1  # bump to invalidate every cached pool
POOL_PARAMS = (
    "source",
    "local_path",
    "config",
    "revision",
    "style",
    "use_llama_judge",
    "seed",
    "decontaminate",
    "ngram",
)


def _code_hash() -> str:
    text = "".join(inspect.getsource(m) for m in (sources, sft_pool, decontam, params_module))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _benchmarks_hash(benchmarks: dict[str, pd.DataFrame]) -> str:
    blob = json.dumps(
        {k: list(zip(v["question_id"], v["problem"], strict=True)) for k, v in sorted(benchmarks.items())}
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def pool_key(params: CurateParams, benchmarks: dict[str, pd.DataFrame]) -> str | None:
    """Cache key of the decontaminated pool, or None when the source cannot be identified (no caching)."""
    fingerprint = source_fingerprint(params)
    if fingerprint is None:
        return None
    shaping = {name: getattr(params, name) for name in POOL_PARAMS}
    return params_hash(
        {
            "version": POOL_CACHE_VERSION,
            "source": fingerprint,
            "params": shaping,
            "benchmarks": _benchmarks_hash(benchmarks),
            "code": _code_hash(),
        },
        length=20,
    )


def _build(params: CurateParams, benchmarks: dict[str, pd.DataFrame]) -> tuple[Pool, pd.DataFrame]:
    pool = build_pool(params)
    frame = pool.frame
    decontam_sets = {name: benchmarks[name] for name in params.decontaminate}
    removed = find_contamination(frame["problem_id"], frame["problem"], decontam_sets, n=params.ngram)
    pool.frame = frame[~frame["problem_id"].isin(removed["problem_id"])].reset_index(drop=True)
    against = ", ".join(params.decontaminate) or "nothing"
    pool.record(f"decontaminated ({params.ngram}-gram vs {against})", len(pool.frame))
    return pool, removed


def clean_pool(
    params: CurateParams, benchmarks: dict[str, pd.DataFrame], cache_dir: Path | None
) -> tuple[Pool, pd.DataFrame]:
    """The source's pool after filters and decontamination, and what decontamination removed; cached by content."""
    key = pool_key(params, benchmarks) if cache_dir is not None else None
    if key is None:
        return _build(params, benchmarks)
    folder = Path(cache_dir) / "pools" / key
    if (folder / "meta.json").is_file():
        meta = json.loads((folder / "meta.json").read_text())
        pool = Pool(frame=pd.read_parquet(folder / "pool.parquet"), steps=meta["steps"], source=meta["source"])
        return pool, pd.read_parquet(folder / "removed.parquet")
    pool, removed = _build(params, benchmarks)
    tmp = folder.with_name(f".{key}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    pool.frame.to_parquet(tmp / "pool.parquet", index=False)
    removed.to_parquet(tmp / "removed.parquet", index=False)
    (tmp / "meta.json").write_text(json.dumps({"steps": pool.steps, "source": pool.source}, default=str))
    try:
        tmp.rename(folder)
    except OSError:  # another run stored the same pool first
        shutil.rmtree(tmp, ignore_errors=True)
    return pool, removed
