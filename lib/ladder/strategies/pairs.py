"""The pairs of solutions whose strategies are compared, and the two measures that need no judge.

Three kinds of pair, per model x question:

* ``reference``: sample i of the model against the reference's sample i (cycling when the reference has fewer;
  a reference solution is one text per question), for i < ``pairs_per_question``;
* ``within``: sample i against sample i + 1 (cyclically) of the same model: how diverse its strategies are
  (the reference model's own pairs too);
* ``intended``: each sample of an Exh question against the question's intended strategy (synthetic: its true
  chain; AIME: ``data/aime24_exh_strategies.yaml``).

Measures: ``exact`` (synthetic benchmarks: the operation sequences, ``ladder.strategies.exact``) and ``proxy``
(cosine similarity of the reasoning traces' sentence embeddings: the MiniLM model curation ships, a long trace
embedded in pieces, or TF-IDF; a proxy for strategy, since it also sees wording). The judge's scores are joined on
by ``ladder.strategies.analysis``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ladder.curate.similarity import embed_minilm
from ladder.strategies.exact import SEPARATOR, same_strategy, strategy_similarity
from ladder.strategies.inputs import StrategyInputs
from ladder.strategies.params import SOLUTION, StrategiesParams

PAIR_IDS = ["kind", "model", "role", "question_id", "tier", "first_key", "second_key"]  # what a pair is
PAIR_COLUMNS = [*PAIR_IDS, "exact_similarity", "exact_same", "proxy_similarity"]  # and its measures
INTENDED = "intended"  # the model name of the intended-strategy texts


def sample_key(model: str, sample_idx: int) -> str:
    """How a pair names one solution: ``model#sample_idx``."""
    return f"{model}#{int(sample_idx)}"


def _strategy(cell: str) -> tuple[str, ...]:
    return tuple(cell.split(SEPARATOR)) if cell else ()


def _pair(kind: str, first: pd.Series, second: pd.Series) -> dict:
    return {
        "kind": kind,
        "model": first["model"],
        "role": first["role"],
        "question_id": first["question_id"],
        "tier": first["tier"],
        "first_key": sample_key(first["model"], first["sample_idx"]),
        "second_key": sample_key(second["model"], second["sample_idx"]),
    }


def build_pairs(data: StrategyInputs, params: StrategiesParams, intended: pd.DataFrame) -> pd.DataFrame:
    """Every pair to compare (without measures), in a fixed order: reference, within, then intended pairs.

    ``intended`` holds one row per Exh question with an intended strategy (SAMPLE_COLUMNS, model ``intended``).
    """
    rows: list[dict] = []
    reference = {q: g.reset_index(drop=True) for q, g in data.reference.groupby("question_id", sort=False)}
    targets = {q: g.iloc[0] for q, g in intended.groupby("question_id", sort=False)} if len(intended) else {}
    own = data.samples
    if data.reference_name != SOLUTION:
        own = pd.concat([own, data.reference], ignore_index=True)  # the reference model's diversity too
    for (_, question), group in own.groupby(["model", "question_id"], sort=False):
        group = group.reset_index(drop=True)
        n, count = len(group), min(len(group), params.pairs_per_question)
        ref = reference.get(question)
        if ref is not None and (group["role"].iloc[0] != "reference"):
            rows += [_pair("reference", group.iloc[i], ref.iloc[i % len(ref)]) for i in range(count)]
        if n >= 2:
            rows += [_pair("within", group.iloc[i], group.iloc[(i + 1) % n]) for i in range(count if n > 2 else 1)]
        if question in targets and group["role"].iloc[0] != "reference":
            rows += [_pair(INTENDED, group.iloc[i], targets[question]) for i in range(n)]
    return pd.DataFrame(rows, columns=PAIR_IDS)


def texts_by_key(*frames: pd.DataFrame, column: str = "trace") -> dict[tuple[str, str], str]:
    """(question_id, ``model#sample_idx``) -> ``column`` over the given sample frames."""
    out: dict[tuple[str, str], str] = {}
    for frame in frames:
        keys = zip(frame["question_id"], map(sample_key, frame["model"], frame["sample_idx"]), strict=True)
        out.update(zip(keys, frame[column].astype(str), strict=True))
    return out


CHUNK_CHARS = 500  # MiniLM reads 256 word pieces; 500 characters of these traces are about 200 of them


def chunks(text: str, size: int = CHUNK_CHARS) -> list[str]:
    """``text`` in consecutive pieces of at most ``size`` characters, cut between words (one piece when short)."""
    pieces, current = [], ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > size:
            pieces.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    return [*pieces, current] if current or not pieces else pieces


def _trace_vectors(texts: list[str], embedder: str, cache_dir: str | Path | None) -> np.ndarray:
    if embedder == "tfidf":
        from sklearn.feature_extraction.text import TfidfVectorizer  # scikit-learn: over a second to import

        return TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit_transform(texts).toarray()
    # MiniLM truncates at 256 word pieces, which would leave a long R1 trace its opening only: each trace is
    # embedded in pieces, and its vector is the normalised mean of theirs.
    pieces = [chunks(t) for t in texts]
    unique = sorted({c for p in pieces for c in p})
    index = {c: i for i, c in enumerate(unique)}
    vectors = embed_minilm(unique, cache_dir).astype(np.float64)
    means = np.array([vectors[[index[c] for c in p]].mean(axis=0) for p in pieces])
    return means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)


def proxy_similarity(
    first: Sequence[str], second: Sequence[str], embedder: str, cache_dir: str | Path | None = None
) -> np.ndarray:
    """Cosine similarity of each (first[i], second[i]) trace pair's embeddings (each distinct text embedded once)."""
    unique = sorted(set(first) | set(second))
    if not unique:
        return np.zeros(0)
    vectors = _trace_vectors(unique, embedder, cache_dir)
    index = {text: i for i, text in enumerate(unique)}
    a = vectors[[index[t] for t in first]]
    b = vectors[[index[t] for t in second]]
    return np.round(np.einsum("ij,ij->i", a, b), 6)


def measure_pairs(
    pairs: pd.DataFrame, data: StrategyInputs, intended: pd.DataFrame, params: StrategiesParams, cache_dir: Path
) -> pd.DataFrame:
    """``pairs`` with the exact measure (synthetic benchmarks; NaN elsewhere) and the proxy's cosine similarity."""
    frames = (data.samples, data.reference, intended)
    strategies = texts_by_key(*frames, column="strategy")
    traces = texts_by_key(*frames)
    out = pairs.copy()
    firsts_at = list(zip(out["question_id"], out["first_key"], strict=True))
    seconds_at = list(zip(out["question_id"], out["second_key"], strict=True))
    if data.exact:
        firsts = [_strategy(strategies[k]) for k in firsts_at]
        seconds = [_strategy(strategies[k]) for k in seconds_at]
        out["exact_similarity"] = [strategy_similarity(a, b) for a, b in zip(firsts, seconds, strict=True)]
        out["exact_same"] = [same_strategy(a, b) for a, b in zip(firsts, seconds, strict=True)]
    else:
        out["exact_similarity"], out["exact_same"] = np.nan, pd.NA
    out["proxy_similarity"] = proxy_similarity(
        [traces[k] for k in firsts_at], [traces[k] for k in seconds_at], params.embedder, cache_dir
    )
    return out[PAIR_COLUMNS]
