"""Figures of the book, one function each, every one returning a matplotlib Figure.

Figures are built on ``matplotlib.figure.Figure`` rather than pyplot, so they hold no global state
(a loop of plots leaks nothing), show exactly once when a notebook cell returns them, and save with
any backend. Pass ``out_dir`` to also save the figure as ``out_dir/<name>.png``.

Usage::

    from ladder import plots, tiers
    analysis = tiers.analyse_panel(graded, params)
    plots.plot_tier_ladder(analysis.accuracy, analysis.tier_of, out_dir="runs/x")   # the study's Figure 1 (right)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ladder import benchmarks

TIER_ORDER = benchmarks.TIER_ORDER
TIER_LABELS = {"easy": "Easy", "medium": "Medium", "hard": "Hard", "exh": "Exh", "all": "All"}
TIER_COLORS = {"easy": "#4daf4a", "medium": "#377eb8", "hard": "#ff7f00", "exh": "#e41a1c", "all": "#777777"}
DPI = 120  # PNG resolution of saved figures


def save_figure(fig: Figure, out_dir: str | Path | None, name: str) -> Path | None:
    """Save ``fig`` as ``out_dir/name.png`` (no-op when ``out_dir`` is None or empty); returns the path."""
    if not out_dir:
        return None
    path = Path(out_dir) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI)
    return path


def empty_figure(message: str, out_dir: str | Path | None, name: str) -> Figure:
    """A figure that says why there is nothing to draw, saved like any other (the book never shows a blank)."""
    fig = Figure(figsize=(6, 2), layout="constrained")
    ax = fig.subplots()
    ax.text(0.5, 0.5, message, ha="center", va="center")
    ax.set_axis_off()
    save_figure(fig, out_dir, name)
    return fig


def question_order(accuracy: pd.DataFrame, tier_of: Mapping[str, str]) -> list[str]:
    """Questions sorted by tier (easy -> exh), then by mean accuracy over the panel, highest first."""
    tiers = benchmarks.tiers_present(tier_of)
    mean = accuracy.mean(axis=1)
    keyed = [(tiers.index(tier_of[q]), -mean[q], str(q)) for q in accuracy.index]
    return [q for *_, q in sorted(keyed)]


def _tier_bands(ax, order: Sequence[str], tier_of: Mapping[str, str], label_y: float | None = None) -> None:
    """Shade each tier's run of questions along x and write its name at the top."""
    start = 0
    for i in range(1, len(order) + 1):
        if i == len(order) or tier_of[order[i]] != tier_of[order[start]]:
            tier = tier_of[order[start]]
            ax.axvspan(start - 0.5, i - 0.5, color=TIER_COLORS.get(tier, "#999999"), alpha=0.12, lw=0)
            if label_y is not None:
                ax.text(
                    (start + i - 1) / 2, label_y, TIER_LABELS.get(tier, tier), ha="center", va="bottom", fontsize=9
                )
            start = i


def plot_tier_ladder(
    accuracy: pd.DataFrame,
    tier_of: Mapping[str, str],
    groups: Mapping[str, Sequence[str]] | None = None,
    title: str = "Accuracy per question, sorted within tiers",
    out_dir: str | Path | None = None,
) -> Figure:
    """The study's Figure 1 (right): avg@n per question, questions sorted within tier bands, one line per model.

    ``accuracy`` is questions x models (avg@n). With ``groups`` (name -> models) each line is a group's
    mean; models in no group keep a line of their own.
    """
    order = question_order(accuracy, tier_of)
    lines = accuracy.loc[order]
    if groups:
        grouped = set(m for members in groups.values() for m in members)
        columns = {name: lines[list(members)].mean(axis=1) for name, members in groups.items()}
        columns.update({m: lines[m] for m in lines.columns if m not in grouped})
        lines = pd.DataFrame(columns)
    fig = Figure(figsize=(question_axis_width(len(order)), 4.2), layout="constrained")
    ax = fig.subplots()
    _tier_bands(ax, order, tier_of, label_y=1.03)
    x = np.arange(len(order))
    for name in lines.columns:
        ax.plot(
            x,
            lines[name].to_numpy() * 100,
            marker="o",
            ms=3.5 if len(order) <= MAX_LABELLED else 2,
            lw=1.4,
            label=str(name),
        )
    label_questions(ax, order)
    ax.set_xlim(-0.5, len(order) - 0.5)
    ax.set_ylim(-3, 112)
    ax.set_xlabel("question (sorted within tier)")
    ax.set_ylabel("avg@n (%)")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper right", ncols=2 if lines.shape[1] > 6 else 1, framealpha=0.9)
    save_figure(fig, out_dir, "tier_ladder")
    return fig


MAX_LABELLED = 60  # questions along an axis that still get one label each (AIME's 30; the mini-ladder has 144)


def question_axis_width(n_questions: int, per_question: float = 0.28, margin: float = 2.0) -> float:
    """Figure width (inches) for one mark per question: wider with more questions, within 7 to 15 inches, so
    that 168 questions do not make a strip the page shrinks to a line."""
    return min(15.0, max(7.0, per_question * n_questions + margin))


def label_questions(ax, order: Sequence[str]) -> None:
    """Each question's id under its mark, up to :data:`MAX_LABELLED` questions; beyond, only the rank is marked."""
    if len(order) <= MAX_LABELLED:
        ax.set_xticks(np.arange(len(order)), [str(q) for q in order], rotation=90, fontsize=8)


def sorted_within_tiers(values: pd.Series, tier_of: Mapping[str, str]) -> pd.Series:
    """One model's avg@n with the questions of each tier sorted highest first, tiers in the study's order: the
    order the study draws each of Figure 1's lines in (a position along x is a rank within the tier)."""
    tiers = benchmarks.tiers_present(tier_of)
    keyed = sorted((tiers.index(tier_of[q]), -float(v), str(q)) for q, v in values.items())
    return pd.Series([-v for _, v, _ in keyed], index=[q for *_, q in keyed], dtype=float)


def plot_ladder_panels(
    accuracy: pd.DataFrame,
    tier_of: Mapping[str, str],
    base_models: Sequence[str] = (),
    models: Sequence[str] = (),
    columns: int = 4,
    out_dir: str | Path | None = None,
) -> Figure:
    """The ladder as small multiples: one panel per model (``models`` present in ``accuracy``, default every model
    that is not a base), its avg@n per question with the base's beneath it (grey), each line sorted within tiers as
    the study draws them (one segment per tier), tier bands shaded."""
    bases = [m for m in base_models if m in accuracy.columns]
    models = [m for m in models if m in accuracy.columns] or [m for m in accuracy.columns if m not in bases]
    models = models or list(accuracy.columns)
    rows, width = math.ceil(len(models) / columns), min(columns, len(models))
    fig = Figure(figsize=(2.6 * width + 0.6, 1.9 * rows + 0.9), layout="constrained")
    axes = fig.subplots(rows, width, sharex=True, sharey=True, squeeze=False).ravel()
    order = sorted_within_tiers(accuracy.iloc[:, 0], tier_of).index.tolist()  # the tiers' runs along x
    segments = [[i for i, q in enumerate(order) if tier_of[q] == t] for t in benchmarks.tiers_present(tier_of)]

    def draw(ax, values: pd.Series, **style) -> None:
        y = sorted_within_tiers(values, tier_of).to_numpy() * 100
        for run in segments:
            ax.plot(run, y[run], **style)

    for ax, model in zip(axes, models, strict=False):
        _tier_bands(ax, order, tier_of)
        for base in bases:
            draw(ax, accuracy[base], color="#888888", lw=1.2)
        draw(ax, accuracy[model], color="#1f4e9c", lw=1.6, marker="o", ms=2)
        ax.set_title(str(model), fontsize=9)
        ax.set_xlim(-0.5, len(order) - 0.5)
        ax.set_ylim(-3, 103)
        ax.set_xticks([])
    for ax in axes[len(models) :]:
        ax.set_axis_off()
    for ax in axes[::width]:
        ax.set_ylabel("avg@n (%)", fontsize=8)
    handles = [
        *(
            Patch(color=TIER_COLORS.get(t, "#999999"), alpha=0.3, label=TIER_LABELS.get(t, t))
            for t in benchmarks.tiers_present(tier_of)
        ),
        Line2D([], [], color="#1f4e9c", lw=1.6, label="the panel's model"),
        *([Line2D([], [], color="#888888", lw=1.2, label="base: " + ", ".join(bases))] if bases else []),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=8, frameon=False)
    fig.suptitle("Each model against the base, questions sorted within tiers", fontsize=10)
    save_figure(fig, out_dir, "tier_ladder_panels")
    return fig


def plot_accuracy_heatmap(
    accuracy: pd.DataFrame, tier_of: Mapping[str, str] | None = None, out_dir: str | Path | None = None
) -> Figure:
    """Model x question heatmap of avg@n; questions sorted within tiers, tier boundaries marked."""
    order = question_order(accuracy, tier_of) if tier_of else list(accuracy.index)
    data = accuracy.loc[order].T * 100
    fig = Figure(
        figsize=(question_axis_width(len(order), 0.3, 3.0), max(2.5, 0.35 * len(data) + 1.5)), layout="constrained"
    )
    ax = fig.subplots()
    sns.heatmap(data, ax=ax, vmin=0, vmax=100, cmap="viridis", cbar_kws={"label": "avg@n (%)"}, linewidths=0.2)
    if tier_of:
        bounds = [i for i in range(1, len(order)) if tier_of[order[i]] != tier_of[order[i - 1]]]
        for b in bounds:
            ax.axvline(b, color="white", lw=2.5)
        starts = [0, *bounds]
        ends = [*bounds, len(order)]
        for s, e in zip(starts, ends, strict=True):
            tier = tier_of[order[s]]
            ax.text((s + e) / 2, -0.15, TIER_LABELS.get(tier, tier), ha="center", va="bottom", fontsize=9)
    ax.set_xlabel("question")
    ax.set_ylabel("model")
    save_figure(fig, out_dir, "accuracy_heatmap")
    return fig


def tiers_in(table: pd.DataFrame, include_all: bool = True) -> list[str]:
    """The study's tiers (and 'all') present in a table's ``tier`` column, in the study's order."""
    present = set(table["tier"])
    order = (*TIER_ORDER, benchmarks.ALL_TIERS)
    return [t for t in order if t in present and (include_all or t != benchmarks.ALL_TIERS)]


def _tier_rows(tier_table: pd.DataFrame, include_all: bool) -> pd.DataFrame:
    tiers = tiers_in(tier_table, include_all)
    return tier_table[tier_table["tier"].isin(tiers)], tiers


def plot_tier_accuracy(
    tier_table: pd.DataFrame, metric: str = "avg@n", include_all: bool = True, out_dir: str | Path | None = None
) -> Figure:
    """Per-tier bars of ``metric`` for each model, with the table's CIs as error bars (tiers.csv rows)."""
    rows, tiers = _tier_rows(tier_table, include_all)
    models = list(dict.fromkeys(rows["model"]))
    width = 0.8 / max(len(models), 1)
    fig = Figure(figsize=(max(6.0, 1.2 * len(tiers) + 0.15 * len(models) * len(tiers)), 4.0), layout="constrained")
    ax = fig.subplots()
    palette = sns.color_palette("tab10" if len(models) <= 10 else "husl", len(models))
    for i, model in enumerate(models):
        sub = rows[rows["model"] == model].set_index("tier").reindex(tiers)
        value = sub[metric].to_numpy() * 100
        err = np.vstack([value - sub[f"{metric}_ci_low"] * 100, sub[f"{metric}_ci_high"] * 100 - value])
        x = np.arange(len(tiers)) - 0.4 + width * (i + 0.5)
        ax.bar(x, value, width, yerr=np.nan_to_num(err), capsize=2, color=palette[i], label=str(model))
    ax.set_xticks(np.arange(len(tiers)), [TIER_LABELS.get(t, t) for t in tiers])
    ax.set_ylim(0, 105)
    ax.set_ylabel(f"{metric} (%)")
    ax.set_title(f"{metric} per tier with {'CIs' if rows[f'{metric}_ci_low'].notna().any() else 'no CIs'}")
    ax.legend(fontsize=8, ncols=2 if len(models) > 6 else 1)
    save_figure(fig, out_dir, "tier_accuracy")
    return fig


def error_bars(rows: pd.DataFrame, metric: str = "avg@n") -> np.ndarray:
    """Error bar lengths (in %, 2 x len(rows), never negative, 0 where a CI is missing) from ``metric``'s CI columns."""
    value = rows[metric].to_numpy(dtype=float) * 100
    err = np.vstack(
        [
            value - rows[f"{metric}_ci_low"].to_numpy(dtype=float) * 100,
            rows[f"{metric}_ci_high"].to_numpy(dtype=float) * 100 - value,
        ]
    )
    return np.nan_to_num(np.clip(err, 0, None))


def _ci_err(row: pd.Series, metric: str):
    """Error bar lengths (in %) of ``metric`` from its CI columns; None without CI."""
    low, high = row[f"{metric}_ci_low"], row[f"{metric}_ci_high"]
    if pd.isna(low):
        return None
    return [[max(row[metric] - low, 0) * 100], [max(high - row[metric], 0) * 100]]


def plot_potential_vs_stability(
    tier_table: pd.DataFrame, potential: str = "cov@n", stability: str = "avg@n", out_dir: str | Path | None = None
) -> Figure:
    """avg@n (stability, x) against cov@n (potential, y) per model, one panel per tier; gap = instability."""
    rows, tiers = _tier_rows(tier_table, include_all=False)
    fig = Figure(figsize=(3.2 * max(len(tiers), 1) + 1.5, 3.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, max(len(tiers), 1), sharey=True))
    models = list(dict.fromkeys(rows["model"]))
    palette = dict(zip(models, sns.color_palette("tab10" if len(models) <= 10 else "husl", len(models)), strict=True))
    for ax, tier in zip(axes, tiers, strict=False):
        sub = rows[rows["tier"] == tier]
        ax.plot([0, 100], [0, 100], color="#999999", lw=0.8, ls="--")
        for _, r in sub.iterrows():
            ax.errorbar(
                r[stability] * 100,
                r[potential] * 100,
                xerr=_ci_err(r, stability),
                yerr=_ci_err(r, potential),
                fmt="o",
                ms=5,
                color=palette[r["model"]],
                label=str(r["model"]),
                elinewidth=0.8,
            )
        ax.set_title(TIER_LABELS.get(tier, tier), color=TIER_COLORS.get(tier, "black"))
        ax.set_xlim(-3, 103)
        ax.set_ylim(-3, 103)
        ax.set_xlabel(f"{stability} (%) stability")
    axes[0].set_ylabel(f"{potential} (%) potential")
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside right upper", fontsize=8)
    save_figure(fig, out_dir, "potential_vs_stability")
    return fig


def plot_irt_difficulty(
    questions: pd.DataFrame, tier_of: Mapping[str, str] | None = None, out_dir: str | Path | None = None
) -> Figure:
    """IRT difficulty per question with its CI, questions sorted by difficulty, coloured by tier.

    ``questions`` has columns question_id, irt_difficulty, irt_ci_low, irt_ci_high (questions.csv).
    """
    table = questions.sort_values("irt_difficulty").reset_index(drop=True)
    fig = Figure(figsize=(question_axis_width(len(table)), 3.8), layout="constrained")
    ax = fig.subplots()
    for tier in benchmarks.tiers_present(tier_of) if tier_of else [None]:
        sub = table if tier is None else table[table["question_id"].map(tier_of) == tier]
        ax.errorbar(
            sub.index,
            sub["irt_difficulty"],
            yerr=[sub["irt_difficulty"] - sub["irt_ci_low"], sub["irt_ci_high"] - sub["irt_difficulty"]],
            fmt="o",
            ms=4,
            capsize=2,
            color=TIER_COLORS.get(tier, "#333333") if tier else "#333333",
            label=TIER_LABELS.get(tier, tier) if tier else None,
        )
    label_questions(ax, list(table["question_id"].astype(str)))
    ax.set_xlabel("question (sorted by difficulty)")
    ax.set_ylabel("difficulty (logits)")
    ax.set_title("IRT difficulty with CIs")
    if tier_of:
        ax.legend(fontsize=8, title="tier")
    save_figure(fig, out_dir, "irt_difficulty")
    return fig
