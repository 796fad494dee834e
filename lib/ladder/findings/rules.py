"""How this run tests each of the study's six findings: one rule per finding, thresholds from the claims file.

A rule reads the ablations analysis (:class:`ladder.ablations.AblationAnalysis`) and returns a
:class:`RuleResult`: a sentence of this run's numbers and a verdict, ``yes``, ``no``, ``inconclusive`` (a
paired CI straddles the claim) or ``not testable``. Levels are compared with the study's bars as point estimates,
as the study reports them; every comparison (qualifying vs not, N vs 2N, best vs worst category, cov@n vs avg@n)
is read off the paired CI of a difference on the same questions (:mod:`ladder.contrasts`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd

from ladder import contrasts
from ladder.benchmarks import ALL_TIERS, TIER_ORDER
from ladder.findings import claims as c

VERDICTS = ("yes", "no", "inconclusive", "not testable")


class AblationAnalysis(Protocol):
    """What the rules read: the tables of :class:`ladder.ablations.AblationAnalysis` (named here, not imported,
    so that the ablations stage can call the engine without an import cycle)."""

    params: Any  # AblationsParams: confidence, steps_benchmark
    axes: pd.DataFrame
    accuracy: pd.DataFrame
    comparisons: dict[str, pd.DataFrame]
    contrasts: pd.DataFrame
    scaling: pd.DataFrame
    categories: pd.DataFrame
    steps: pd.DataFrame
    strategies: pd.DataFrame  # the strategies stage's strategy_by_tier.csv (empty without that stage)
    exh_strategies: pd.DataFrame  # its exh_strategy_match.csv


@dataclass(frozen=True)
class RuleResult:
    """What a rule found: this run's numbers in a sentence, and the verdict."""

    this_run: str
    verdict: str


def _result(this_run: str, holds: bool | str | None) -> RuleResult:
    if holds is None:
        return RuleResult(this_run, "not testable")
    if isinstance(holds, str):
        return RuleResult(this_run, holds)
    return RuleResult(this_run, "yes" if holds else "no")


def pct(x: float) -> str:
    """An accuracy as a whole percentage, ``n/a`` when missing."""
    return f"{x * 100:.0f}%" if pd.notna(x) else "n/a"


def points(x: float) -> str:
    """A difference of accuracies in whole points, ``n/a`` when missing."""
    return f"{x * 100:.0f} points" if pd.notna(x) else "n/a"


def _contrast_rows(table: pd.DataFrame, axis: str, tier: str, metric: str = "avg@n") -> pd.DataFrame:
    if table.empty:
        return table
    return table[(table["axis"] == axis) & (table["tier"] == tier) & (table["metric"] == metric)]


def _contrast_text(row: Mapping) -> str:
    return f"{row['value']} - {row['versus']} {contrasts.describe(row)}"


def tier_values(accuracy: pd.DataFrame, tier: str, role: str = "sft") -> pd.Series:
    """avg@n on ``tier`` of the experiments in ``role``, indexed by experiment."""
    rows = accuracy[(accuracy["tier"] == tier) & (accuracy["role"] == role)]
    return rows.set_index("experiment")["avg@n"]


def long_r1(axes: pd.DataFrame, min_n: int) -> pd.Series:
    """Finding 1's condition per experiment: at least ``min_n`` normal or long R1 trajectories."""
    return (axes["S"] == "r1") & (axes["N"] >= min_n) & axes["L"].isin(["normal", "long"])


def _qualifies(axes: pd.DataFrame, experiments: str, min_n: int) -> bool:
    """Whether every experiment of a contrast side (comma-separated names) meets :func:`long_r1`."""
    rows = axes[axes["experiment"].isin([e.strip() for e in experiments.split(",")])]
    return bool(not rows.empty and long_r1(rows, min_n).all())


def medium(analysis: AblationAnalysis, t: c.MediumThresholds) -> RuleResult:
    """Finding 1: >= min_n normal/long R1 trajectories reach ``target`` on Medium; the others do not.

    Holds when the levels do and every like-for-like difference (qualifying minus not, on Medium) has its CI
    above 0; inconclusive when one straddles 0.
    """
    accuracy, axes, pairs = analysis.accuracy, analysis.axes, analysis.contrasts
    values = tier_values(accuracy, "medium")
    sft = axes[(axes["role"] == "sft") & axes["experiment"].isin(values.index)]
    if values.empty or sft.empty:
        return _result("no SFT experiment with Medium questions", None)
    qualifies = long_r1(sft, t.min_n)
    good, other = sft.loc[qualifies, "experiment"], sft.loc[~qualifies, "experiment"]
    if good.empty:
        return _result(f"no SFT experiment has >= {t.min_n} normal/long R1 trajectories", None)
    reach = values[good] >= t.target
    text = (
        f"{int(reach.sum())}/{len(good)} experiments with >= {t.min_n} normal/long R1 trajectories "
        f"reach {pct(t.target)} on Medium (lowest {pct(values[good].min())}, {values[good].idxmin()})"
    )
    levels_hold = bool(reach.all())
    if not other.empty:
        other_reach = values[other] >= t.target
        text += (
            f"; {int(other_reach.sum())}/{len(other)} with fewer, shorter or Gemini-style trajectories do "
            f"(highest {pct(values[other].max())}, {values[other].idxmax()})"
        )
        levels_hold = levels_hold and not bool(other_reach.any())
    verdicts = []
    if not pairs.empty:
        rows = pairs[(pairs["tier"] == "medium") & (pairs["metric"] == "avg@n") & (pairs["axis"] != "C")]
        keep = [
            _qualifies(axes, r["experiments"], t.min_n) and not _qualifies(axes, r["versus_experiments"], t.min_n)
            for _, r in rows.iterrows()
        ]
        rows = rows[keep]
        if not rows.empty:
            text += "; paired differences on Medium: " + ", ".join(_contrast_text(r) for _, r in rows.iterrows())
            verdicts = [contrasts.verdict(r["ci_low"], r["ci_high"], above=0.0) for _, r in rows.iterrows()]
    holds = "no" if not levels_hold else contrasts.combine(verdicts)
    return _result(text + ".", holds)


def stability(analysis: AblationAnalysis, t: c.StabilityThresholds) -> RuleResult:
    """Finding 2: some SFT experiment has cov@n >= coverage_min with avg@n lagging by more than ``gap``.

    The lag is a paired difference (cov@n - avg@n of one model on the same questions): yes when its CI is above
    ``gap`` in some cell, inconclusive when the best cell's CI straddles it.
    """
    accuracy = analysis.accuracy
    rows = accuracy[(accuracy["role"] == "sft") & accuracy["tier"].isin(t.tiers)]
    if rows.empty:
        return _result(f"no SFT experiment has questions in {', '.join(t.tiers)}", None)
    covered = rows[rows["cov@n"] >= t.coverage_min]
    verdicts = [contrasts.verdict(r["gap_ci_low"], r["gap_ci_high"], above=t.gap) for _, r in covered.iterrows()]
    holds = "yes" if "yes" in verdicts else ("inconclusive" if "inconclusive" in verdicts else "no")
    top = rows.loc[rows["gap"].idxmax()]
    text = (
        f"largest cov@n - avg@n gap: {points(top['gap'])} (CI {points(top['gap_ci_low'])} to "
        f"{points(top['gap_ci_high'])}; {top['experiment']}, {top['tier']}: cov@{top['n']} {pct(top['cov@n'])}, "
        f"avg@{top['n']} {pct(top['avg@n'])}); {verdicts.count('yes')} of {len(rows)} SFT experiment x tier cells "
        f"have cov@n >= {pct(t.coverage_min)} and a gap whose paired CI is above {points(t.gap)}."
    )
    return _result(text, holds)


def scaling(analysis: AblationAnalysis, t: c.ScalingThresholds) -> RuleResult:
    """Finding 3: accuracy of ``tier`` grows with log10 N (slope above ``min_slope``).

    With a slope above it, the verdict is the paired CI of the largest N minus the smallest on that tier (same
    questions): yes above 0, inconclusive when it straddles 0.
    """
    fit, pairs = analysis.scaling, analysis.contrasts
    row = fit[fit["tier"] == t.tier] if not fit.empty else fit
    if row.empty or pd.isna(row["slope"].iloc[0]) or row["n_sizes"].iloc[0] < t.min_sizes:
        sizes = int(row["n_sizes"].iloc[0]) if not row.empty else 0
        return _result(f"{sizes} data size(s) of otherwise equal SFT experiments; the fit needs {t.min_sizes}", None)
    r = row.iloc[0]
    ci = (
        f"{r['slope_ci_low'] * 100:+.1f} to {r['slope_ci_high'] * 100:+.1f}"
        if pd.notna(r["slope_ci_low"])
        else "no CI with two sizes"
    )
    top = r["intercept"] + r["slope"] * math.log10(r["n_max"])
    text = (
        f"slope {r['slope'] * 100:+.1f} points per tenfold N ({analysis.params.confidence:.0%} CI {ci}; "
        f"{r['n_sizes']} sizes {r['n_min']}..{r['n_max']}, R^2 {r['r2']:.2f}); fitted accuracy at N={r['n_max']} is "
        f"{pct(top)} (study's plateau {pct(t.plateau)}); holds when the slope exceeds {t.min_slope * 100:+.1f} points."
    )
    ci_above = pd.notna(r["slope_ci_low"]) and r["slope_ci_low"] > t.min_slope
    if pd.notna(r["slope_ci_low"]) and not ci_above:
        text = text[:-1] + f" (the CI reaches {t.min_slope * 100:+.1f}: not significant)."
    if r["slope"] <= t.min_slope or (t.ci_above and not ci_above):
        return _result(text, "no")
    holds = "yes"
    rows = _contrast_rows(pairs, "N", t.tier)
    rows = rows[rows["group"] == r["group"]] if not rows.empty and "group" in r else rows
    if not rows.empty:
        widest = rows.loc[max(rows.index, key=lambda i: (float(rows.at[i, "value"]), -float(rows.at[i, "versus"])))]
        text = text[:-1] + (
            f"; on the same questions, N={widest['value']} minus N={widest['versus']}: {contrasts.describe(widest)}."
        )
        holds = contrasts.verdict(widest["ci_low"], widest["ci_high"], above=0.0)
    return _result(text, holds)


def curation(analysis: AblationAnalysis, t: c.CurationThresholds) -> RuleResult:
    """Finding 4: overall accuracy across categories within +- ``tolerance``; similar data gains < doubling N.

    The spread is read off the paired CI of the best minus the worst category over all questions: within the
    tolerance when the CI stays below 2 x tolerance, inconclusive when it straddles it. The AIME-similar gain on
    Hard is a paired difference too (similar minus random data), compared with the gain the fitted slope gives
    for doubling N.
    """
    spread, fit, pairs = analysis.categories, analysis.scaling, analysis.contrasts
    overall = spread[spread["tier"] == ALL_TIERS] if not spread.empty else spread
    if overall.empty or overall["n_categories"].iloc[0] < 2:
        return _result("fewer than two categories of otherwise equal SFT data", None)
    r = overall.iloc[0]
    text = (
        f"overall avg@n across {r['n_categories']} categories spans {pct(r['min'])} ({r['worst']}) to "
        f"{pct(r['max'])} ({r['best']}), i.e. {pct(r['mean'])} +- {pct(r['spread'] / 2)}"
    )
    verdicts = ["yes" if r["spread"] / 2 <= t.tolerance + 1e-12 else "no"]
    rows = _contrast_rows(pairs, "C", ALL_TIERS)
    best_worst = rows[rows[["value", "versus"]].isin([r["best"], r["worst"]]).all(axis=1)] if len(rows) else rows
    if not best_worst.empty:
        row = best_worst.iloc[0]
        sign = 1.0 if row["value"] == r["best"] else -1.0
        low, high = sorted([sign * row["ci_low"], sign * row["ci_high"]])
        text += (
            f"; best minus worst, paired: {sign * row['difference'] * 100:+.0f} points (CI {low * 100:+.0f} "
            f"to {high * 100:+.0f})"
        )
        verdicts = [contrasts.verdict(low, high, below=2 * t.tolerance + 1e-12)]
    similar = _contrast_rows(pairs, "similarity", "hard")
    similar = similar[(similar["value"] == "similar") & (similar["versus"] == "none")] if len(similar) else similar
    hard_fit = fit[fit["tier"] == "hard"] if not fit.empty else fit
    if not similar.empty:
        row = similar.iloc[0]
        text += f"; AIME-similar data vs random on Hard, paired: {contrasts.describe(row)}"
        if not hard_fit.empty and pd.notna(hard_fit["slope"].iloc[0]):
            doubling = hard_fit["slope"].iloc[0] * math.log10(2)
            text += f", doubling N: {doubling * 100:+.1f} points"
            verdicts.append(contrasts.verdict(row["ci_low"], row["ci_high"], below=doubling))
    text += f"; holds when the categories stay within +- {points(t.tolerance)} of their midpoint"
    return _result(text + ".", contrasts.combine(verdicts))


def steps(analysis: AblationAnalysis, t: c.StepsThresholds) -> RuleResult:
    """Finding 5: steps solved far more often than the whole (``gap``), the whole about the product of steps."""
    table = analysis.steps
    rows = table[table["tier"].isin(t.tiers) & table["end_to_end"].notna()] if not table.empty else table
    if rows.empty:
        return _result(
            f"no step decomposition of {', '.join(t.tiers)} questions "
            f"(sample the {analysis.params.steps_benchmark} benchmark with an SFT model)",
            None,
        )
    step, whole, product = rows["mean_step"].mean(), rows["end_to_end"].mean(), rows["product"].mean()
    holds = bool(step - whole >= t.gap and abs(whole - product) <= t.product_tolerance)
    text = (
        f"over {len(rows)} decomposed {'/'.join(t.tiers)} questions: steps solved {pct(step)} of the "
        f"time on average, the whole {pct(whole)}, product of step accuracies {pct(product)}; holds when steps "
        f"beat the whole by >= {points(t.gap)} and the whole is within {points(t.product_tolerance)} of the product."
    )
    return _result(text, holds)


def strategy_rows(analysis: AblationAnalysis, tier: str) -> tuple[str, pd.DataFrame]:
    """The deciding strategy measure (judge, else exact; the proxy decides nothing) and the SFT models' rows of
    the strategies table on ``tier``; ("", empty) when neither was measured."""
    table = analysis.strategies
    if table is None or table.empty:
        return "", pd.DataFrame()
    for measure in ("judge", "exact"):
        rows = table[(table["measure"] == measure) & (table["role"] == "sft") & (table["tier"] == tier)]
        rows = rows[rows["similarity"].notna()]
        if not rows.empty:
            return measure, rows
    return "", pd.DataFrame()


def _strategy_verdict(analysis: AblationAnalysis, t: c.ExhThresholds) -> tuple[str, str | None]:
    measure, rows = strategy_rows(analysis, t.strategy_tier)
    if not measure:
        table = analysis.strategies
        proxy = table[(table["measure"] == "proxy") & (table["tier"] == t.strategy_tier)] if len(table) else table
        said = f" (the embedding proxy, not a verdict: {proxy['similarity'].mean():.2f})" if len(proxy) else ""
        return f"strategy similarity not measured: no judge and no exact strategies{said}", None
    bar = t.judge_min if measure == "judge" else t.exact_min
    verdicts = [contrasts.verdict(r["ci_low"], r["ci_high"], above=bar - 1e-12) for _, r in rows.iterrows()]
    low = rows.loc[rows["similarity"].idxmin()]
    reference = str(rows["reference"].iloc[0]) if "reference" in rows else ""
    whose = "the reference solutions'" if reference in ("", "solution") else f"{reference}'s"
    text = (
        f"{verdicts.count('yes')}/{len(rows)} SFT models' {t.strategy_tier.title()} strategies are at least {bar:g} "
        f"similar to {whose} ({measure} measure; lowest {low['similarity']:.2f}, CI {low['ci_low']:.2f} to "
        f"{low['ci_high']:.2f}, {low['model']})"
    )
    return text, contrasts.combine(verdicts)


def _intended_verdict(analysis: AblationAnalysis, t: c.ExhThresholds) -> tuple[str, str | None]:
    table = analysis.exh_strategies
    rows = table[(table["role"] == "sft") & table["n_intended"].notna()] if table is not None and len(table) else None
    if rows is None or rows.empty:
        return (
            "whether a sample follows the intended Exh strategy is not measured (needs exact strategies or a judge)",
            None,
        )
    share = rows["n_intended"].sum() / rows["n_samples"].sum()
    text = (
        f"{int(rows['n_intended'].sum())} of {int(rows['n_samples'].sum())} SFT samples on Exh follow the intended "
        f"strategy ({rows['measure'].iloc[0]} measure)"
    )
    return text, "yes" if share <= t.intended_max + 1e-12 else "no"


def exh(analysis: AblationAnalysis, t: c.ExhThresholds) -> RuleResult:
    """Finding 6: every SFT experiment stays at or below ``max`` on Exh; SFT models follow the reference's
    strategies on ``strategy_tier`` (each model's CI above the bar: the judge's ``judge_min``, else the exact
    measure's ``exact_min``); no more than ``intended_max`` of their Exh samples follow the intended strategy.

    The strategy parts come from the strategies stage; a part it did not measure is said so and left out.
    """
    accuracy = analysis.accuracy
    values = tier_values(accuracy, "exh")
    if values.empty:
        return _result("no SFT experiment has Exh questions", None)
    easier = accuracy[(accuracy["role"] == "sft") & accuracy["tier"].isin(TIER_ORDER[:-1])]["avg@n"]
    if easier.empty or easier.max() <= t.max:
        # Zero on Exh says nothing when the models solve nothing else either.
        return _result(f"SFT experiments score at most {pct(t.max)} on every tier: uninformative", None)
    holds = bool((values <= t.max + 1e-12).all())
    parts = [
        f"{int((values <= t.max + 1e-12).sum())}/{len(values)} SFT experiments score <= {pct(t.max)} "
        f"on Exh (highest {pct(values.max())}, {values.idxmax()})"
    ]
    verdicts = ["yes" if holds else "no"]
    for text, verdict in (_strategy_verdict(analysis, t), _intended_verdict(analysis, t)):
        parts.append(text)
        if verdict is not None:
            verdicts.append(verdict)
    return _result("; ".join(parts) + ".", contrasts.combine(verdicts))


RULES: dict[str, Callable[[AblationAnalysis, object], RuleResult]] = {
    "medium": medium,
    "stability": stability,
    "scaling": scaling,
    "curation": curation,
    "steps": steps,
    "exh": exh,
}
