"""The strategy report's figures: similarity to the reference per tier (one panel per measure, side by side),
the proxy against the exact measure pair by pair, and diversity against cov@n. Saved as PNG when given a folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import seaborn as sns
from matplotlib.figure import Figure

from ladder import plots
from ladder.strategies.analysis import MEASURES, StrategyAnalysis


def plot_similarity_by_tier(analysis: StrategyAnalysis, out_dir: str | Path | None = None) -> Figure:
    """Each model's mean strategy similarity to the reference per tier, with CIs; one panel per measure."""
    table = analysis.by_tier[analysis.by_tier["role"] != "reference"]
    if table.empty:
        return plots.empty_figure("no pairs with the reference", out_dir, "strategy_similarity")
    measures = [m for m in analysis.measures if m in set(table["measure"])]
    tiers_here = plots.tiers_in(table)
    models = list(dict.fromkeys(table["model"]))
    palette = sns.color_palette("tab10" if len(models) <= 10 else "husl", len(models))
    fig = Figure(figsize=(4.2 * len(measures) + 1.8, 3.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(measures), sharey=False))
    width = 0.8 / max(len(models), 1)
    for ax, measure in zip(axes, measures, strict=True):
        sub = table[table["measure"] == measure]
        _, what, low, high = MEASURES[measure]
        for i, model in enumerate(models):
            rows = sub[sub["model"] == model].set_index("tier").reindex(tiers_here)
            x = np.arange(len(tiers_here)) + (i - (len(models) - 1) / 2) * width
            y = rows["similarity"].to_numpy(dtype=float)
            err = np.vstack([y - rows["ci_low"].to_numpy(dtype=float), rows["ci_high"].to_numpy(dtype=float) - y])
            ax.errorbar(x, y, yerr=np.nan_to_num(err), fmt="o", ms=3, capsize=1.5, color=palette[i], label=model)
        ax.set_xticks(range(len(tiers_here)), [plots.TIER_LABELS.get(t, t) for t in tiers_here])
        ax.set_ylim(low - 0.05 * (high - low), high + 0.05 * (high - low))
        ax.set_title(f"{measure}: {what}", fontsize=9)
        ax.set_ylabel(f"similarity to {analysis.reference_name}")
    axes[-1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    plots.save_figure(fig, out_dir, "strategy_similarity")
    return fig


def plot_proxy_vs_exact(analysis: StrategyAnalysis, out_dir: str | Path | None = None) -> Figure:
    """The proxy's cosine against the exact operation-sequence similarity, one point per pair, per tier."""
    if "exact" not in analysis.measures:
        return plots.empty_figure(
            "no exact strategies (only the synthetic mini-ladder has them)", out_dir, "proxy_vs_exact"
        )
    pairs = analysis.pairs.dropna(subset=["exact_similarity", "proxy_similarity"])
    tiers_here = plots.tiers_in(pairs, include_all=False)
    fig = Figure(figsize=(3.0 * len(tiers_here), 3.2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(tiers_here), sharey=True))
    jitter = np.random.default_rng(0).uniform(-0.015, 0.015, len(pairs))  # fixed seed: the same figure every run
    pairs = pairs.assign(x=pairs["exact_similarity"] + jitter)
    for ax, tier in zip(axes, tiers_here, strict=True):
        sub = pairs[pairs["tier"] == tier]
        same = sub["exact_same"].astype(bool)
        ax.scatter(sub.loc[~same, "x"], sub.loc[~same, "proxy_similarity"], s=4, alpha=0.3, label="different")
        ax.scatter(sub.loc[same, "x"], sub.loc[same, "proxy_similarity"], s=4, alpha=0.3, label="same strategy")
        ax.set_title(plots.TIER_LABELS.get(tier, tier))
        ax.set_xlabel("exact similarity")
    axes[0].set_ylabel("proxy (embedding cosine)")
    axes[-1].legend(fontsize=7, markerscale=3)
    plots.save_figure(fig, out_dir, "proxy_vs_exact")
    return fig


def plot_diversity_vs_coverage(analysis: StrategyAnalysis, out_dir: str | Path | None = None) -> Figure:
    """Within-model strategy diversity against cov@n, one point per model x tier; one panel per measure."""
    table = analysis.by_tier[(analysis.by_tier["role"] != "reference") & (analysis.by_tier["tier"] != "all")]
    if table.empty:
        return plots.empty_figure("no within-model pairs", out_dir, "diversity_vs_coverage")
    measures = [m for m in analysis.measures if m in set(table["measure"])]
    fig = Figure(figsize=(3.6 * len(measures) + 1.2, 3.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(measures), sharey=True))
    for ax, measure in zip(axes, measures, strict=True):
        sub = table[table["measure"] == measure]
        for tier in plots.tiers_in(sub, include_all=False):
            rows = sub[sub["tier"] == tier]
            ax.scatter(
                rows["diversity"],
                rows["cov@n"] * 100,
                s=18,
                color=plots.TIER_COLORS.get(tier, "#333333"),
                label=plots.TIER_LABELS.get(tier, tier),
            )
        ax.set_xlabel(f"diversity ({measure})")
        ax.set_title(measure, fontsize=9)
    axes[0].set_ylabel("cov@n (%)")
    axes[-1].legend(fontsize=7)
    plots.save_figure(fig, out_dir, "diversity_vs_coverage")
    return fig
