"""The ablations' figures: accuracy against N, bars per axis value, the category spread, potential vs stability,
and the step decomposition. Each is drawn from an :class:`AblationAnalysis` and saved as PNG when given a folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from ladder import plots
from ladder.ablations.analysis import AblationAnalysis, main_group
from ladder.benchmarks import ALL_TIERS, TIER_ORDER
from ladder.findings.claims import StudyClaims


def plot_accuracy_vs_n(analysis: AblationAnalysis, out_dir: str | Path | None = None) -> Figure:
    """avg@n per tier against N (log scale) for the N comparison, with CIs and the log-linear fit per tier."""
    group = main_group(analysis.comparisons["N"])
    if group.empty:
        return plots.empty_figure("no experiments differ only in N", out_dir, "accuracy_vs_n")
    fig = Figure(figsize=(6.5, 4.2), layout="constrained")
    ax = fig.subplots()
    for tier in plots.tiers_in(group):
        sub = group[group["tier"] == tier]
        x = sub["value"].astype(float).to_numpy()
        y = sub["avg@n"].to_numpy() * 100
        err = plots.error_bars(sub)
        color = plots.TIER_COLORS.get(tier, "#333333")
        ax.errorbar(x, y, yerr=err, fmt="o", color=color, capsize=2, label=plots.TIER_LABELS.get(tier, tier))
        fit = analysis.scaling[analysis.scaling["tier"] == tier]
        if not fit.empty and pd.notna(fit["slope"].iloc[0]):
            grid = np.geomspace(x.min(), x.max(), 50)
            ax.plot(
                grid,
                (fit["intercept"].iloc[0] + fit["slope"].iloc[0] * np.log10(grid)) * 100,
                color=color,
                lw=1.2,
                ls="--",
            )
    ax.set_xscale("log")
    ax.set_ylim(-3, 105)
    ax.set_xlabel("SFT trajectories N (log scale)")
    ax.set_ylabel("avg@n (%)")
    ax.set_title("avg@n per tier vs data size N; dashed: OLS on log10 N")
    ax.legend(fontsize=8, loc="best")
    plots.save_figure(fig, out_dir, "accuracy_vs_n")
    return fig


def plot_axis_bars(analysis: AblationAnalysis, axis: str, out_dir: str | Path | None = None) -> Figure:
    """Bars of avg@n per tier for each value of ``axis`` (e.g. L: short/normal/long, S: r1/gemini) with CIs."""
    group = main_group(analysis.comparisons[axis])
    name = f"axis_{axis}"
    if group.empty:
        return plots.empty_figure(f"no experiments differ only in {axis}", out_dir, name)
    tiers_here = plots.tiers_in(group)
    bars = group.groupby(["value", "experiment"], sort=False).size().index.tolist()
    width = 0.8 / max(len(bars), 1)
    fig = Figure(
        figsize=(max(6.0, 1.4 * len(tiers_here) + 0.2 * len(bars) * len(tiers_here)), 4.0), layout="constrained"
    )
    ax = fig.subplots()
    palette = sns.color_palette("tab10" if len(bars) <= 10 else "husl", len(bars))
    for i, (value, exp) in enumerate(bars):
        sub = group[(group["value"] == value) & (group["experiment"] == exp)].set_index("tier").reindex(tiers_here)
        y = sub["avg@n"].to_numpy() * 100
        err = plots.error_bars(sub)
        x = np.arange(len(tiers_here)) - 0.4 + width * (i + 0.5)
        ax.bar(x, y, width, yerr=err, capsize=2, color=palette[i], label=f"{axis}={value} ({exp})")
    ax.set_xticks(np.arange(len(tiers_here)), [plots.TIER_LABELS.get(t, t) for t in tiers_here])
    ax.set_ylim(0, 105)
    ax.set_ylabel("avg@n (%)")
    ax.set_title(f"{axis} axis: {group['group'].iloc[0]}")
    ax.legend(fontsize=8)
    plots.save_figure(fig, out_dir, name)
    return fig


def plot_category_spread(
    analysis: AblationAnalysis, out_dir: str | Path | None = None, claims: StudyClaims | None = None
) -> Figure:
    """Overall avg@n per category (replicates as dots, mean as bar); with ``claims``, the band of the study's
    curation finding (center +- tolerance)."""
    group = main_group(analysis.comparisons["C"])
    if group.empty:
        return plots.empty_figure("no experiments differ only in category", out_dir, "category_spread")
    rows = group[group["tier"] == ALL_TIERS]
    means = rows.groupby("value")["avg@n"].mean().sort_values()
    fig = Figure(figsize=(max(5.0, 0.9 * len(means) + 2), 4.0), layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(means))
    ax.bar(x, means.to_numpy() * 100, color="#9ecae1")
    for i, value in enumerate(means.index):
        sub = rows[rows["value"] == value]
        y = sub["avg@n"].to_numpy() * 100
        err = plots.error_bars(sub)
        ax.errorbar(np.full(len(sub), i), y, yerr=err, fmt="o", color="#08519c", capsize=2)
    band = next((f.thresholds for f in claims.findings if f.rule == "curation"), None) if claims else None
    if band is not None:
        mid, tol = band.center * 100, band.tolerance * 100
        ax.axhspan(mid - tol, mid + tol, color="#fdae6b", alpha=0.3, label=f"study: {mid:.0f} +- {tol:.0f}%")
    ax.axhline(means.mean() * 100, color="#333333", lw=1, ls="--", label="this run: mean")
    ax.set_xticks(x, list(means.index), rotation=30, ha="right")
    ax.set_ylim(0, 105)
    ax.set_ylabel("overall avg@n (%)")
    ax.set_title(f"Category spread: {(means.max() - means.min()) * 100:.1f} points (max - min)")
    ax.legend(fontsize=8)
    plots.save_figure(fig, out_dir, "category_spread")
    return fig


def plot_stability(analysis: AblationAnalysis, out_dir: str | Path | None = None) -> Figure:
    """Potential (cov@n) against stability (avg@n) per experiment, one panel per tier (ladder.plots)."""
    fig = plots.plot_potential_vs_stability(analysis.accuracy.assign(model=analysis.accuracy["experiment"]))
    plots.save_figure(fig, out_dir, "ablation_potential_vs_stability")
    return fig


def plot_steps(analysis: AblationAnalysis, out_dir: str | Path | None = None) -> Figure:
    """End-to-end accuracy against the product of step accuracies per decomposed question (diagonal: equal)."""
    steps = analysis.steps
    if steps.empty:
        return plots.empty_figure("no step decomposition in this run", out_dir, "step_decomposition")
    fig = Figure(figsize=(5.0, 4.2), layout="constrained")
    ax = fig.subplots()
    ax.plot([0, 100], [0, 100], color="#999999", lw=0.8, ls="--")
    for tier in [t for t in TIER_ORDER if t in set(steps["tier"])] or [""]:
        sub = steps[steps["tier"] == tier]
        ax.scatter(
            sub["product"] * 100,
            sub["end_to_end"] * 100,
            color=plots.TIER_COLORS.get(tier, "#333333"),
            label=plots.TIER_LABELS.get(tier, tier or "untiered"),
        )
        ax.scatter(sub["product"] * 100, sub["mean_step"] * 100, marker="_", color="#333333")
    ax.set_xlim(-3, 103)
    ax.set_ylim(-3, 103)
    ax.set_xlabel("product of step accuracies (%)")
    ax.set_ylabel("end-to-end accuracy (%); dash: mean step")
    ax.set_title("Step decomposition")
    ax.legend(fontsize=8)
    plots.save_figure(fig, out_dir, "step_decomposition")
    return fig


def plot_corrections(analysis: AblationAnalysis, out_dir: str | Path | None = None) -> Figure:
    """Per model: the share of its steps written wrong, and the share of those its trace corrected (95% CI)."""
    table = analysis.corrections
    if table.empty:
        return plots.empty_figure("correction rates are read on the mini-ladder's traces only", out_dir, "corrections")
    table = table.sort_values("role", key=lambda role: role.ne("base"), kind="stable")  # base first, then as run
    fig = Figure(figsize=(7.5, 3.6), layout="constrained")
    left, right = fig.subplots(1, 2, sharey=True)
    y = np.arange(len(table))
    left.barh(y, table["wrong_share"] * 100, color="#bdbdbd")
    left.set_xlabel("steps written wrong (%)")
    rate = table["correction_rate"] * 100
    err = np.vstack([rate - table["ci_low"] * 100, table["ci_high"] * 100 - rate])  # matplotlib refuses one below 0
    right.errorbar(rate, y, xerr=err, fmt="o", color="#08519c", capsize=2)
    for i, wrong in enumerate(table["wrong"]):
        right.annotate(f"{wrong} wrong", (102, i), fontsize=7, va="center", annotation_clip=False)
    right.set_xlim(-3, 103)
    right.set_xlabel("wrong steps corrected (%), 95% CI")
    left.set_yticks(y, list(table["experiment"]))
    left.invert_yaxis()
    fig.suptitle("After a wrong step: does the trace notice it and redo it?")
    plots.save_figure(fig, out_dir, "corrections")
    return fig
