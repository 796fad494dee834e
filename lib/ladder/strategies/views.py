"""Compact views of the strategy tables for the notebook: the measures side by side, one question per tier as each
model solved it, and the Exh match per model. The full tables are the CSV files (``ladder.strategies.stage``)."""

from __future__ import annotations

import pandas as pd

from ladder.benchmarks import ALL_TIERS, TIER_ORDER
from ladder.strategies.analysis import StrategyAnalysis


def side_by_side(analysis: StrategyAnalysis) -> pd.DataFrame:
    """One row per model x tier, one column per measure: similarity to the reference with its CI ("0.99
    (0.85-1.00)"), and the exact measure's share of samples with the reference's very strategy."""
    table = analysis.by_tier
    if table.empty:
        return pd.DataFrame()
    cells = table.assign(
        cell=[
            f"{s:.2f} ({lo:.2f}-{hi:.2f})" if pd.notna(s) else ""
            for s, lo, hi in zip(table["similarity"], table["ci_low"], table["ci_high"], strict=True)
        ]
    )
    wide = cells.pivot_table(index=["model", "role", "tier"], columns="measure", values="cell", aggfunc="first")
    wide = wide[[m for m in analysis.measures if m in wide.columns]]
    if "exact" in analysis.measures:
        exact = cells[cells["measure"] == "exact"].set_index(["model", "role", "tier"])
        wide["exact: same strategy"] = exact["same_share"].map(lambda x: f"{x:.0%}" if pd.notna(x) else "")
    wide = wide.reset_index()
    wide["tier"] = pd.Categorical(wide["tier"], [*TIER_ORDER, ALL_TIERS], ordered=True)
    wide = wide.sort_values(["model", "tier"], kind="stable").astype({"tier": str})
    return wide.set_index(["model", "role", "tier"]).rename_axis(columns=None)


def strategy_examples(analysis: StrategyAnalysis, per_tier: int = 1) -> pd.DataFrame:
    """The first ``per_tier`` questions of each tier, one column each (headed by the true chain), one row per model:
    the exact strategy of the model's first sample, marked "(correct)" when its answer was right."""
    samples = analysis.samples
    if samples.empty:
        return samples
    first = samples[samples["sample_idx"] == samples["sample_idx"].min()]
    picked = [
        q for tier in TIER_ORDER for q in sorted(first.loc[first["tier"] == tier, "question_id"].unique())[:per_tier]
    ]
    rows = first[first["question_id"].isin(picked)]
    headers = {
        q: f"{tier} {q}: {chain}"
        for q, tier, chain in zip(rows["question_id"], rows["tier"], rows["chain"], strict=True)
    }
    cells = rows.assign(
        header=rows["question_id"].map(headers),
        cell=[
            f"{s or '(none)'}{' (correct)' if c else ''}"
            for s, c in zip(rows["strategy"], rows["correct"], strict=True)
        ],
    )
    wide = cells.pivot_table(index="model", columns="header", values="cell", aggfunc="first")
    return wide[[headers[q] for q in picked]].rename_axis(index="model", columns=None)


def exh_summary(analysis: StrategyAnalysis) -> pd.DataFrame:
    """Per model, over the Exh questions: samples, correct ones, samples following the intended strategy, and the
    proxy's mean similarity to it."""
    match = analysis.exh_match
    if match.empty:
        return match
    return match.groupby(["model", "role", "measure"], sort=False).agg(
        questions=("question_id", "nunique"),
        samples=("n_samples", "sum"),
        correct=("n_correct", "sum"),
        intended=("n_intended", lambda x: x.sum(min_count=1)),
        proxy_similarity=("proxy_similarity", "mean"),
    )
