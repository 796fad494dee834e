"""How this run tests each of the study's six findings: one rule per finding, thresholds from the claims file.

A rule reads the ablations analysis (:class:`ladder.ablations.AblationAnalysis`) and returns a
:class:`RuleResult`: a sentence of this run's numbers and a verdict, ``yes``, ``no``, ``inconclusive`` or ``not
testable``. Every rule gives its verdict by the one rule of :mod:`ladder.findings.verdicts`: each part of the
claim is an interval against the study's bar (a model's accuracy CI against a level, so "k of m models reach 90%"
counts a model by its CI; every comparison, such as qualifying vs not, N vs 2N, best vs worst category, cov@n vs
avg@n, by the paired CI of a difference on the same questions, :mod:`ladder.contrasts`): yes when the intervals
support the claim, no only when they exclude it, inconclusive otherwise, and the sentence then says which interval
straddles which bar. ``not testable`` means the run lacks the experiments.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd

from ladder import contrasts, metrics
from ladder.benchmarks import ALL_TIERS, TIER_ORDER
from ladder.findings import claims as c
from ladder.findings.verdicts import Check, check, every, pct, said, signed, some, tally

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


def _result(this_run: str, holds: Check | None) -> RuleResult:
    """``holds`` None: not testable; else the verdict of the checks, its reason closing the sentence."""
    if holds is None:
        return RuleResult(this_run, "not testable")
    return RuleResult(this_run[:-1] + said(holds) + "." if this_run.endswith(".") else this_run, holds.verdict)


def points(x: float) -> str:
    """A difference of accuracies in whole points, ``n/a`` when missing."""
    return f"{x * 100:.0f} points" if pd.notna(x) else "n/a"


def _contrast_rows(table: pd.DataFrame, axis: str, tier: str, metric: str = "avg@n") -> pd.DataFrame:
    if table.empty:
        return table
    return table[(table["axis"] == axis) & (table["tier"] == tier) & (table["metric"] == metric)]


def _contrast_text(row: Mapping) -> str:
    return f"{row['value']} - {row['versus']} {contrasts.describe(row)}"


def tier_rows(accuracy: pd.DataFrame, tier: str, role: str = "sft") -> pd.DataFrame:
    """The accuracy rows on ``tier`` of the experiments in ``role`` (avg@n and its CI), indexed by experiment."""
    return accuracy[(accuracy["tier"] == tier) & (accuracy["role"] == role)].set_index("experiment")


def tier_values(accuracy: pd.DataFrame, tier: str, role: str = "sft") -> pd.Series:
    """avg@n on ``tier`` of the experiments in ``role``, indexed by experiment."""
    return tier_rows(accuracy, tier, role)["avg@n"]


def _level(rows: pd.DataFrame, experiment: str, tier: str, **claim: float) -> Check:
    """One experiment's avg@n on a tier against a level, read off its CI (a count's "reaches 90%" per model)."""
    row = rows.loc[experiment]
    return check(f"{experiment}'s {tier} avg@n", row["avg@n_ci_low"], row["avg@n_ci_high"], **claim)


def long_r1(axes: pd.DataFrame, min_n: int) -> pd.Series:
    """Finding 1's condition per experiment: at least ``min_n`` normal or long R1 trajectories."""
    return (axes["S"] == "r1") & (axes["N"] >= min_n) & axes["L"].isin(["normal", "long"])


def _qualifies(axes: pd.DataFrame, experiments: str, min_n: int) -> bool:
    """Whether every experiment of a contrast side (comma-separated names) meets :func:`long_r1`."""
    rows = axes[axes["experiment"].isin([e.strip() for e in experiments.split(",")])]
    return bool(not rows.empty and long_r1(rows, min_n).all())


def medium(analysis: AblationAnalysis, t: c.MediumThresholds) -> RuleResult:
    """Finding 1: >= min_n normal/long R1 trajectories reach ``target`` on Medium; the others do not.

    Each experiment counts by its CI: it reaches the target when its lower bound does, stays below when its upper
    bound is below, else it is undecided. Holds when every qualifying experiment reaches it, every other stays
    below, and every like-for-like difference (qualifying minus not, on Medium) has its paired CI above 0.
    """
    accuracy, axes, pairs = analysis.accuracy, analysis.axes, analysis.contrasts
    rows = tier_rows(accuracy, "medium")
    values = rows["avg@n"]
    sft = axes[(axes["role"] == "sft") & axes["experiment"].isin(values.index)]
    if values.empty or sft.empty:
        return _result("no SFT experiment with Medium questions", None)
    qualifies = long_r1(sft, t.min_n)
    good, other = sft.loc[qualifies, "experiment"], sft.loc[~qualifies, "experiment"]
    if good.empty:
        return _result(f"no SFT experiment has >= {t.min_n} normal/long R1 trajectories", None)
    checks = [_level(rows, e, "Medium", at_least=t.target) for e in good]
    reach, below, undecided = tally(checks)
    text = (
        f"{reach}/{len(good)} experiments with >= {t.min_n} normal/long R1 trajectories reach {pct(t.target)} on "
        f"Medium by their CI ({below} below, {undecided} undecided; lowest {pct(values[good].min())}, "
        f"{values[good].idxmin()})"
    )
    if not other.empty:
        stay = [_level(rows, e, "Medium", below=t.target) for e in other]
        below, reach, undecided = tally(stay)
        text += (
            f"; {reach}/{len(other)} with fewer, shorter or Gemini-style trajectories do ({below} below, "
            f"{undecided} undecided; highest {pct(values[other].max())}, {values[other].idxmax()})"
        )
        checks += stay
    if not pairs.empty:
        diffs = pairs[(pairs["tier"] == "medium") & (pairs["metric"] == "avg@n") & (pairs["axis"] != "C")]
        keep = [
            _qualifies(axes, r["experiments"], t.min_n) and not _qualifies(axes, r["versus_experiments"], t.min_n)
            for _, r in diffs.iterrows()
        ]
        diffs = diffs[keep]
        if not diffs.empty:
            text += "; paired differences on Medium: " + ", ".join(_contrast_text(r) for _, r in diffs.iterrows())
            checks += [
                check(
                    f"{r['value']} - {r['versus']} on Medium", r["ci_low"], r["ci_high"], signed, " points", above=0.0
                )
                for _, r in diffs.iterrows()
            ]
    return _result(text + ".", every(checks))


def stability(analysis: AblationAnalysis, t: c.StabilityThresholds) -> RuleResult:
    """Finding 2: some SFT experiment has cov@n >= coverage_min with avg@n lagging by more than ``gap``.

    Per experiment x tier cell, cov@n's CI must be at or above ``coverage_min`` and the lag, a paired difference
    (cov@n - avg@n of one model on the same questions), must have its CI above ``gap``: yes when some cell shows
    both, no when every cell's intervals rule one of them out, else inconclusive.
    """
    accuracy = analysis.accuracy
    rows = accuracy[(accuracy["role"] == "sft") & accuracy["tier"].isin(t.tiers)]
    if rows.empty:
        return _result(f"no SFT experiment has questions in {', '.join(t.tiers)}", None)
    rows = rows.sort_values("gap", ascending=False, kind="stable")  # the widest gaps' intervals are named first
    cells = [
        every(
            [
                check(
                    f"{r['experiment']} {r['tier']} cov@n",
                    r["cov@n_ci_low"],
                    r["cov@n_ci_high"],
                    at_least=t.coverage_min,
                ),
                check(
                    f"{r['experiment']} {r['tier']} cov@n - avg@n",
                    r["gap_ci_low"],
                    r["gap_ci_high"],
                    signed,
                    " points",
                    above=t.gap,
                ),
            ]
        )
        for _, r in rows.iterrows()
    ]
    top = rows.loc[rows["gap"].idxmax()]
    text = (
        f"largest cov@n - avg@n gap: {points(top['gap'])} (CI {points(top['gap_ci_low'])} to "
        f"{points(top['gap_ci_high'])}; {top['experiment']}, {top['tier']}: cov@{top['n']} {pct(top['cov@n'])}, "
        f"avg@{top['n']} {pct(top['avg@n'])}); {tally(cells)[0]} of {len(rows)} SFT experiment x tier cells "
        f"have a cov@n CI at or above {pct(t.coverage_min)} and a gap whose paired CI is above {points(t.gap)}."
    )
    none = f"in every cell cov@n's CI is below {pct(t.coverage_min)} or the gap's CI is at or below {points(t.gap)}"
    return _result(text, some(cells, none))


def _per_tenfold(x: float) -> str:
    return f"{x * 100:+.1f}" if pd.notna(x) else "n/a"


def scaling(analysis: AblationAnalysis, t: c.ScalingThresholds) -> RuleResult:
    """Finding 3: accuracy of ``tier`` grows with log10 N: the slope's CI above ``min_slope``, and the paired CI
    of the largest N minus the smallest on that tier (same questions) above 0."""
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
        f"{pct(top)} (study's plateau {pct(t.plateau)}); holds when the slope's CI is above "
        f"{t.min_slope * 100:+.1f} points."
    )
    checks = [
        check(
            "the slope",
            r["slope_ci_low"],
            r["slope_ci_high"],
            _per_tenfold,
            " points per tenfold N",
            above=t.min_slope,
        )
    ]
    rows = _contrast_rows(pairs, "N", t.tier)
    rows = rows[rows["group"] == r["group"]] if not rows.empty and "group" in r else rows
    if not rows.empty:
        widest = rows.loc[max(rows.index, key=lambda i: (float(rows.at[i, "value"]), -float(rows.at[i, "versus"])))]
        text = text[:-1] + (
            f"; on the same questions, N={widest['value']} minus N={widest['versus']}: {contrasts.describe(widest)}."
        )
        name = f"N={widest['value']} minus N={widest['versus']} on {t.tier.title()}"
        checks.append(check(name, widest["ci_low"], widest["ci_high"], signed, " points", above=0.0))
    return _result(text, every(checks))


def curation(analysis: AblationAnalysis, t: c.CurationThresholds) -> RuleResult:
    """Finding 4: overall accuracy across categories within +- ``tolerance``; similar data gains < doubling N.

    The spread is read off the paired CI of the best minus the worst category over all questions: within the
    tolerance when the CI is at most 2 x tolerance (no paired CI: inconclusive). The AIME-similar gain on Hard
    is a paired difference too (similar minus random data), compared with the gain the fitted slope gives for
    doubling N, with its CI: it holds when the two intervals are apart with the similar gain below.
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
    low = high = math.nan
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
    checks = [check("best minus worst category", low, high, signed, " points", at_most=2 * t.tolerance)]
    similar = _contrast_rows(pairs, "similarity", "hard")
    similar = similar[(similar["value"] == "similar") & (similar["versus"] == "none")] if len(similar) else similar
    hard_fit = fit[fit["tier"] == "hard"] if not fit.empty else fit
    if not similar.empty:
        row = similar.iloc[0]
        text += f"; AIME-similar data vs random on Hard, paired: {contrasts.describe(row)}"
        if not hard_fit.empty and pd.notna(hard_fit["slope"].iloc[0]):
            doubling = [hard_fit[k].iloc[0] * math.log10(2) for k in ("slope", "slope_ci_low", "slope_ci_high")]
            text += f", doubling N: {doubling[0] * 100:+.1f} points (CI {_signed_span(doubling[1], doubling[2])})"
            name = "AIME-similar minus random on Hard"
            checks.append(
                check(name, row["ci_low"], row["ci_high"], signed, " points", below=(doubling[1], doubling[2]))
            )
    text += f"; holds when the categories stay within +- {points(t.tolerance)} of their midpoint"
    return _result(text + ".", every(checks))


def _signed_span(low: float, high: float) -> str:
    return f"{low * 100:+.1f} to {high * 100:+.1f}" if pd.notna(low) else "n/a"


def steps(analysis: AblationAnalysis, t: c.StepsThresholds) -> RuleResult:
    """Finding 5: steps solved far more often than the whole (``gap``), the whole about the product of steps.

    Both are paired differences over the decomposed questions (:func:`ladder.contrasts.paired_values`): steps
    minus the whole with its CI at or above ``gap``, the whole minus the product with its CI inside
    +- ``product_tolerance``.
    """
    table = analysis.steps
    rows = table[table["tier"].isin(t.tiers) & table["end_to_end"].notna()] if not table.empty else table
    if rows.empty:
        return _result(
            f"no step decomposition of {', '.join(t.tiers)} questions "
            f"(sample the {analysis.params.steps_benchmark} benchmark with an SFT model)",
            None,
        )
    step, whole, product = rows["mean_step"].mean(), rows["end_to_end"].mean(), rows["product"].mean()
    confidence = analysis.params.confidence
    gap = contrasts.paired_values(rows["mean_step"], rows["end_to_end"], confidence)
    off = contrasts.paired_values(rows["end_to_end"], rows["product"], confidence)
    text = (
        f"over {len(rows)} decomposed {'/'.join(t.tiers)} questions: steps solved {pct(step)} of the "
        f"time on average, the whole {pct(whole)}, product of step accuracies {pct(product)}; paired, steps minus "
        f"the whole {gap[0] * 100:+.0f} points (CI {gap[1] * 100:+.0f} to {gap[2] * 100:+.0f}), the whole minus "
        f"the product {off[0] * 100:+.0f} points (CI {off[1] * 100:+.0f} to {off[2] * 100:+.0f}); holds when steps "
        f"beat the whole by >= {points(t.gap)} and the whole is within {points(t.product_tolerance)} of the product."
    )
    tol = t.product_tolerance
    checks = [
        check("steps minus the whole", gap[1], gap[2], signed, " points", at_least=t.gap),
        check("the whole minus the product", off[1], off[2], signed, " points", between=(-tol, tol)),
    ]
    return _result(text, every(checks))


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


def _strategy_verdict(analysis: AblationAnalysis, t: c.ExhThresholds) -> tuple[str, Check | None]:
    measure, rows = strategy_rows(analysis, t.strategy_tier)
    if not measure:
        table = analysis.strategies
        proxy = table[(table["measure"] == "proxy") & (table["tier"] == t.strategy_tier)] if len(table) else table
        proxy_text = f" (the embedding proxy, not a verdict: {proxy['similarity'].mean():.2f})" if len(proxy) else ""
        return f"strategy similarity not measured: no judge and no exact strategies{proxy_text}", None
    bar = t.judge_min if measure == "judge" else t.exact_min
    checks = [
        check(f"{r['model']}'s {measure} similarity", r["ci_low"], r["ci_high"], _score, at_least=bar)
        for _, r in rows.iterrows()
    ]
    low = rows.loc[rows["similarity"].idxmin()]
    reference = str(rows["reference"].iloc[0]) if "reference" in rows else ""
    whose = "the reference solutions'" if reference in ("", "solution") else f"{reference}'s"
    text = (
        f"{tally(checks)[0]}/{len(rows)} SFT models' {t.strategy_tier.title()} strategies are at least {bar:g} "
        f"similar to {whose} ({measure} measure; lowest {low['similarity']:.2f}, CI {low['ci_low']:.2f} to "
        f"{low['ci_high']:.2f}, {low['model']})"
    )
    return text, every(checks)


def _score(x: float) -> str:
    return f"{x:.2f}" if pd.notna(x) else "n/a"


def _intended_verdict(analysis: AblationAnalysis, t: c.ExhThresholds) -> tuple[str, Check | None]:
    table = analysis.exh_strategies
    rows = table[(table["role"] == "sft") & table["n_intended"].notna()] if table is not None and len(table) else None
    if rows is None or rows.empty:
        return (
            "whether a sample follows the intended Exh strategy is not measured (needs exact strategies or a judge)",
            None,
        )
    found, total = int(rows["n_intended"].sum()), int(rows["n_samples"].sum())
    low, high = (float(v) for v in metrics.proportion_ci(found, total, analysis.params.confidence))
    text = f"{found} of {total} SFT samples on Exh follow the intended strategy ({rows['measure'].iloc[0]} measure)"
    return text, check("the share of SFT samples on Exh following it", low, high, at_most=t.intended_max)


def exh(analysis: AblationAnalysis, t: c.ExhThresholds) -> RuleResult:
    """Finding 6: every SFT experiment stays at or below ``max`` on Exh (each by its CI); SFT models follow the
    reference's strategies on ``strategy_tier`` (each model's CI at or above the bar: the judge's ``judge_min``,
    else the exact measure's ``exact_min``); no more than ``intended_max`` of their Exh samples follow the
    intended strategy (the share's Wilson CI).

    The strategy parts come from the strategies stage; a part it did not measure is said so and left out.
    """
    accuracy = analysis.accuracy
    rows = tier_rows(accuracy, "exh")
    values = rows["avg@n"]
    if values.empty:
        return _result("no SFT experiment has Exh questions", None)
    easier = accuracy[(accuracy["role"] == "sft") & accuracy["tier"].isin(TIER_ORDER[:-1])]["avg@n"]
    if easier.empty or easier.max() <= t.max:
        # Zero on Exh says nothing when the models solve nothing else either.
        return _result(f"SFT experiments score at most {pct(t.max)} on every tier: uninformative", None)
    checks = [_level(rows, e, "Exh", at_most=t.max) for e in values.index]
    stay, above, undecided = tally(checks)
    parts = [
        f"{stay}/{len(values)} SFT experiments score <= {pct(t.max)} on Exh by their CI ({above} above, "
        f"{undecided} undecided; highest {pct(values.max())}, {values.idxmax()})"
    ]
    verdicts = [every(checks)]
    for text, verdict in (_strategy_verdict(analysis, t), _intended_verdict(analysis, t)):
        parts.append(text)
        if verdict is not None:
            verdicts.append(verdict)
    return _result("; ".join(parts) + ".", every(verdicts))


RULES: dict[str, Callable[[AblationAnalysis, object], RuleResult]] = {
    "medium": medium,
    "stability": stability,
    "scaling": scaling,
    "curation": curation,
    "steps": steps,
    "exh": exh,
}
