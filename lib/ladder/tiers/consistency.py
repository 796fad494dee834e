"""How ladder-like a panel is: does a model that solves a harder question also solve the easier ones?

Per-model consistency, Loevinger's H (with a bootstrap CI over models) and Guttman's reproducibility.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Consistency:
    """How ladder-like the panel's solved sets are, given an order of the questions from easy to hard."""

    per_model: pd.DataFrame  # model -> solved, pairs, violations, consistency
    summary: pd.DataFrame  # statistic -> value, ci_low, ci_high, method


def ladder_consistency(
    solved: pd.DataFrame,
    rank: Mapping[str, float],
    n_bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Consistency:
    """Guttman-style consistency of a solved matrix (questions x models, bool) with an easy -> hard ``rank``.

    A pair (i easier than j, by ``rank``; same-rank pairs are skipped) is a Guttman error for a model that
    solves j but not i. Per model: consistency = 1 - errors / pairs whose harder question it solves
    ("when it solves a harder question, how often it also solves the easier one"). Panel: Loevinger's H =
    1 - sum errors / sum errors expected if solving were independent across questions (1 = a perfect
    ladder, 0 = no ladder), with a bootstrap CI over models; Guttman's reproducibility = 1 - cells that
    differ from the ideal pattern of each model's score / all cells. Hand-written: no maintained Python
    package computes Mokken scalability (R's `mokken` does).
    """
    x = solved.to_numpy(dtype=float).T  # models x questions
    ranks = np.array([rank[q] for q in solved.index], dtype=float)
    harder = ranks[None, :] > ranks[:, None]  # harder[i, j]: j harder than i

    def errors(mat: np.ndarray) -> np.ndarray:
        # (..., M, Q) -> (..., M) count of pairs i<j (by rank) with j solved, i failed.
        return np.einsum("...mi,...mj,ij->...m", 1 - mat, mat, harder)

    def loevinger(mat: np.ndarray) -> np.ndarray:
        p = mat.mean(axis=-2)  # (..., Q) share of models solving
        m = mat.shape[-2]
        expected = m * np.einsum("...i,...j,ij->...", 1 - p, p, harder)
        observed = errors(mat).sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return 1.0 - observed / expected

    per_error = errors(x)
    pairs = np.einsum("mj,ij->m", x, harder)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_consistency = 1.0 - per_error / pairs
    per_model = pd.DataFrame(
        {
            "solved": x.sum(axis=1).astype(int),
            "pairs": pairs.astype(int),
            "violations": per_error.astype(int),
            "consistency": per_consistency,
        },
        index=pd.Index(solved.columns, name="model"),
    )
    h = float(loevinger(x))
    h_low = h_high = math.nan
    if n_bootstrap > 0 and x.shape[0] > 1:
        rng = np.random.default_rng(seed)
        boot = x[rng.integers(0, x.shape[0], size=(n_bootstrap, x.shape[0]))]
        values = loevinger(boot)
        values = values[np.isfinite(values)]
        if values.size:
            h_low, h_high = np.quantile(values, [(1 - confidence) / 2, (1 + confidence) / 2])
    # Guttman reproducibility: ideal pattern for score s = the s easiest questions (ties: most solved first).
    order = np.lexsort((-x.mean(axis=0), ranks))
    scores = x.sum(axis=1).astype(int)
    ideal = (np.arange(x.shape[1])[None, :] < scores[:, None]).astype(float)
    rep = 1.0 - np.abs(x[:, order] - ideal).sum() / x.size
    summary = pd.DataFrame(
        [
            (
                "loevinger_h",
                h,
                float(h_low),
                float(h_high),
                f"1 - observed/expected Guttman errors; {confidence:.0%} bootstrap CI over models ({n_bootstrap}, seed {seed})",
            ),
            (
                "guttman_reproducibility",
                float(rep),
                math.nan,
                math.nan,
                "1 - cells differing from the ideal pattern of each model's score / all cells",
            ),
            (
                "mean_model_consistency",
                float(np.nanmean(per_consistency)) if np.isfinite(per_consistency).any() else math.nan,
                math.nan,
                math.nan,
                "mean over models of 1 - violations / pairs",
            ),
        ],
        columns=["statistic", "value", "ci_low", "ci_high", "method"],
    ).set_index("statistic")
    return Consistency(per_model, summary)
