"""A disk cache of one value per text (token counts, embeddings), keyed by a model fingerprint and text hash.

Curation measures every trajectory of a ~94k-problem pool under a tokenizer and embeds every question;
each experiment of a profile reuses the same pool, so values are stored once per (model, text). Written
by hand because the libraries at hand cache whole function calls (joblib.Memory) or whole datasets
(datasets fingerprints), not values per text, which is what lets a slightly different pool reuse
almost everything. Parts are written atomically (temp file + rename); concurrent writers only add
parts, never rewrite them.

Usage::

    cache = TextValueCache(cache_dir, kind="tokens", model_key=tokenizer_fingerprint)
    hashes = text_hashes(texts)
    found, values = cache.get(hashes)
    cache.put(hashes[~found], computed)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ladder import store


def text_hashes(texts: Iterable[str]) -> np.ndarray:
    """16-byte blake2b digest of each text, as a numpy array of ``S16``."""
    return np.array([hashlib.blake2b(t.encode(), digest_size=16).digest() for t in texts], dtype="S16")


class TextValueCache:
    """Values (a number or a vector per text) stored under ``root/kind/model_key/part-*.npz``."""

    def __init__(self, root: str | Path, kind: str, model_key: str):
        self.dir = Path(root) / kind / model_key

    def _load(self) -> tuple[np.ndarray, np.ndarray | None]:
        keys, values = [], []
        for part in sorted(self.dir.glob("part-*.npz")):
            with np.load(part, allow_pickle=False) as data:
                keys.append(data["keys"])
                values.append(data["values"])
        if not keys:
            return np.array([], dtype="S16"), None
        return np.concatenate(keys), np.concatenate(values)

    def get(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """``(found, values)``: a bool mask over ``hashes`` and the cached values (rows where not found are 0)."""
        keys, values = self._load()
        found = np.zeros(len(hashes), dtype=bool)
        if values is None or not len(hashes):
            return found, None
        order = np.argsort(keys)
        keys, values = keys[order], values[order]
        pos = np.clip(np.searchsorted(keys, hashes), 0, len(keys) - 1)
        found = keys[pos] == hashes
        out = np.zeros((len(hashes), *values.shape[1:]), dtype=values.dtype)
        out[found] = values[pos[found]]
        return found, out

    def put(self, hashes: np.ndarray, values: np.ndarray) -> None:
        """Store values for ``hashes`` as a new part file."""
        if not len(hashes):
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256(hashes.tobytes()).hexdigest()[:16]
        store.atomic_write(self.dir / f"part-{name}.npz", lambda tmp: np.savez(tmp, keys=hashes, values=values))
