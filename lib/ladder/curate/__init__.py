"""Data curation: the study's SFT datasets as declarative params, P = f(C, N, L, S).

Submodules: ``params`` (CurateParams), ``sources`` (OpenR1-Math-220k / s1K / s1K-1.1 loaders and pools,
source registry; every source returns a ``ladder.sft_pool.Pool``), ``decontam`` (n-gram overlap with
benchmarks), ``pool_cache`` (the decontaminated pool, cached by content), ``lengths`` (token counts, cached),
``similarity`` (embeddings vs anchor questions), ``select`` (category quotas, length, similarity, random),
``stage`` (the stage function and its files), ``card`` (the dataset card's tables and figures), ``cache``
(the per-text value cache behind lengths and similarity). Schema-faithful example rows of the real sources,
for tests and benchmarks, are in ``tests/curate_examples.py``.

Usage::

    from ladder.curate import CurateParams, curate_stage
    result = curate_stage(CurateParams(category="geometry", n=1000, seed=1), "runs/geometry")
"""

from ladder.curate.params import CurateParams
from ladder.curate.sources import CurationError, build_pool
from ladder.curate.stage import CurationResult, curate_stage
from ladder.sft_pool import Pool

__all__ = ["CurateParams", "CurationError", "CurationResult", "Pool", "build_pool", "curate_stage"]
