"""Trajectory length in tokens under the target model's tokenizer, batched and cached.

Counting runs the tokenizer's Rust batch encoder (``encode_batch_fast``: no offsets) over chunks of
texts, and stores each count under (tokenizer fingerprint, text hash), so a second curation of the
same pool, or of a pool that shares most texts, counts almost nothing.

Usage::

    from ladder.curate.lengths import count_tokens
    n_tokens = count_tokens(texts, "Qwen/Qwen2.5-32B-Instruct", cache_dir="runs/_cache/curate")
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from ladder.curate.cache import TextValueCache, text_hashes
from ladder.tiny_model import resolve

CHUNK = 2048  # texts per batch call: large enough to amortise the call, small enough for memory


@lru_cache(maxsize=4)
def load_tokenizer(name: str):
    """A tokenizer by local path or hub id (``HF_HUB_OFFLINE=1`` works once it is cached)."""
    from transformers import AutoTokenizer  # transformers: seconds to import, only when a tokenizer is loaded

    try:
        return AutoTokenizer.from_pretrained(resolve(name))
    except OSError as exc:
        raise ValueError(f"param tokenizer: cannot load '{name}' (a local folder or a cached hub id): {exc}") from exc


def tokenizer_fingerprint(tokenizer) -> str:
    """Hash of the tokenizer's full definition (vocab, merges, normalisers), so a changed tokenizer never hits."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    text = backend.to_str() if backend is not None else repr(sorted(tokenizer.get_vocab().items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@contextlib.contextmanager
def _rust_parallelism() -> Iterator[None]:
    # The runner turns tokenizers' thread pool off for notebooks (fork safety); counting a whole pool is the one
    # place it pays (about 1.6x on 2 cores), and nothing forks while it runs.
    saved = os.environ.get("TOKENIZERS_PARALLELISM")
    os.environ["TOKENIZERS_PARALLELISM"] = "true"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("TOKENIZERS_PARALLELISM", None)
        else:
            os.environ["TOKENIZERS_PARALLELISM"] = saved


def _count(tokenizer, texts: Sequence[str]) -> np.ndarray:
    with _rust_parallelism():
        return _count_batched(tokenizer, texts)


def _count_batched(tokenizer, texts: Sequence[str]) -> np.ndarray:
    backend = getattr(tokenizer, "backend_tokenizer", None)
    counts = np.empty(len(texts), dtype=np.int64)
    for start in range(0, len(texts), CHUNK):
        chunk = list(texts[start : start + CHUNK])
        if backend is not None:
            encoded = backend.encode_batch_fast(chunk, add_special_tokens=False)
            counts[start : start + len(chunk)] = [len(e.ids) for e in encoded]
        else:
            ids = tokenizer(chunk, add_special_tokens=False)["input_ids"]
            counts[start : start + len(chunk)] = [len(i) for i in ids]
    return counts


def count_tokens(texts: Sequence[str], tokenizer: str, cache_dir: str | Path | None = None) -> np.ndarray:
    """Number of tokens of each text under ``tokenizer`` (no special tokens), served from the cache when present."""
    tok = load_tokenizer(tokenizer)
    if cache_dir is None:
        return _count(tok, texts)
    cache = TextValueCache(cache_dir, "tokens", tokenizer_fingerprint(tok))
    hashes = text_hashes(texts)
    found, cached = cache.get(hashes)
    counts = cached if cached is not None else np.zeros(len(texts), dtype=np.int64)
    todo = np.flatnonzero(~found)
    if len(todo):
        fresh = _count(tok, [texts[i] for i in todo])
        counts[todo] = fresh
        cache.put(hashes[todo], fresh)
    return counts
