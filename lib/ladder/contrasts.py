"""Paired comparisons: one model (or group of replicate experiments) minus another, per tier, on the same questions.

Every comparison the book draws is a difference on the same questions: SFT vs base per tier (notebook
50_tiers), long vs short, R1 vs Gemini, N vs 2N, similar vs random data (notebook 60_ablations). Each row here
is such a difference with its own paired interval (:func:`ladder.metrics.paired_difference`), and
:func:`verdict` reads a claim off that interval instead of off two separate intervals.

Usage::

    from ladder import contrasts
    table = contrasts.sft_vs_base(outcomes, tier_of, ["s1.1-32B"], ["Qwen2.5-32B-Instruct"])
    contrasts.verdict(row["ci_low"], row["ci_high"], above=0.0)      # "yes" | "no" | "inconclusive"
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ladder import benchmarks, metrics

COLUMNS = [
    "first",
    "second",
    "tier",
    "metric",
    "first_value",
    "second_value",
    "difference",
    "ci_low",
    "ci_high",
    "n_questions",
]


def pool(outcomes: Sequence[metrics.Outcomes], name: str) -> metrics.Outcomes:
    """Replicates (e.g. seeds of one setting) as one model: their samples side by side per question.

    Every member is cut to the smallest n and to the questions all members have. Only correctness is pooled
    (the replicates' answers are not matched), so maj@k of a pool means "more than half correct".
    """
    if len(outcomes) == 1:
        return outcomes[0]
    ids = [q for q in outcomes[0].question_ids if all(q in oc.question_ids for oc in outcomes[1:])]
    n = min(oc.n for oc in outcomes)
    correct = np.hstack([oc.subset(ids).correct[:, :n] for oc in outcomes])
    return metrics.outcomes_from_arrays(correct, model=name, question_ids=ids)


def tier_differences(
    first: metrics.Outcomes,
    second: metrics.Outcomes,
    tier_of: Mapping[str, str],
    metric_names: Sequence[str] = ("avg@n", "cov@n"),
    confidence: float = metrics.DEFAULT_CONFIDENCE,
) -> pd.DataFrame:
    """``first`` minus ``second`` per tier and over all questions, for each metric: one row each (``COLUMNS``)."""
    shared = [q for q in first.question_ids if q in set(second.question_ids)]
    rows = []
    for tier in [*benchmarks.tiers_present({q: tier_of[q] for q in shared if q in tier_of}), benchmarks.ALL_TIERS]:
        ids = benchmarks.tier_questions(shared, tier_of, tier)
        if not ids:
            continue
        a, b = first.subset(ids), second.subset(ids)
        for name in metric_names:
            res = metrics.paired_difference(a, b, name, confidence)
            rows.append(
                {
                    "first": first.model,
                    "second": second.model,
                    "tier": tier,
                    "metric": name,
                    "first_value": float(metrics.question_values(a, name).mean()),
                    "second_value": float(metrics.question_values(b, name).mean()),
                    "difference": res.statistic,
                    "ci_low": res.ci_low,
                    "ci_high": res.ci_high,
                    "n_questions": len(ids),
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def sft_vs_base(
    outcomes: Mapping[str, metrics.Outcomes],
    tier_of: Mapping[str, str],
    sft_models: Sequence[str],
    base_models: Sequence[str],
    metric_names: Sequence[str] = ("avg@n", "cov@n"),
    confidence: float = metrics.DEFAULT_CONFIDENCE,
) -> pd.DataFrame:
    """Each SFT model minus each base model, per tier (notebook 50_tiers): what SFT changed, with paired CIs."""
    frames = [
        tier_differences(outcomes[sft], outcomes[base], tier_of, metric_names, confidence)
        for sft in sft_models
        for base in base_models
        if sft in outcomes and base in outcomes
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)


Bar = float | tuple[float, float]


def verdict(
    ci_low: float,
    ci_high: float,
    above: Bar | None = None,
    below: Bar | None = None,
    *,
    at_least: Bar | None = None,
    at_most: Bar | None = None,
    between: tuple[float, float] | None = None,
) -> str:
    """The book's one verdict rule: whether an interval shows a claim about a bar: yes, no or inconclusive.

    Exactly one claim: ``above`` / ``at_least`` (the value exceeds / reaches the bar), ``below`` / ``at_most``
    (it stays under / at most at the bar), or ``between`` (it lies in the band ``(low, high)``). ``yes`` when the
    whole interval is on the claimed side, ``no`` when the whole interval is on the other side, ``inconclusive``
    when it straddles the bar or is missing. A bar that is itself an estimate is given as its interval
    ``(low, high)``: the claim then needs the two intervals apart (yes, or no), else it is inconclusive.
    """
    claims = {"above": above, "below": below, "at_least": at_least, "at_most": at_most, "between": between}
    given = [(side, bar) for side, bar in claims.items() if bar is not None]
    if len(given) != 1:
        raise ValueError("give exactly one of above=, below=, at_least=, at_most= or between=")
    side, bar = given[0]
    lo, hi = bar if isinstance(bar, tuple) else (bar, bar)
    if any(pd.isna(v) for v in (ci_low, ci_high, lo, hi)):
        return "inconclusive"
    eps = 1e-12  # accuracies are sums of fractions: 0.9 reached as 0.8999999999999999 still reaches 0.9
    holds, fails = {
        "above": (ci_low > hi, ci_high <= lo),
        "at_least": (ci_low >= hi - eps, ci_high < lo - eps),
        "below": (ci_high < lo, ci_low >= hi),
        "at_most": (ci_high <= lo + eps, ci_low > hi + eps),
        "between": (lo - eps <= ci_low and ci_high <= hi + eps, ci_high < lo - eps or ci_low > hi + eps),
    }[side]
    return "yes" if holds else ("no" if fails else "inconclusive")


def combine(verdicts: Sequence[str]) -> str:
    """All of several claims: no if any is no, else inconclusive if any is, else yes (yes for none)."""
    if "no" in verdicts:
        return "no"
    return "inconclusive" if "inconclusive" in verdicts else "yes"


def paired_values(
    first: Sequence[float], second: Sequence[float], confidence: float = metrics.DEFAULT_CONFIDENCE
) -> tuple[float, float, float]:
    """Mean of ``first`` minus mean of ``second`` (per-question values in [0, 1], same questions in the same
    order), with the paired interval of :func:`ladder.metrics.paired_difference`: (difference, ci_low, ci_high).

    For tables that hold per-question fractions rather than samples, e.g. a decomposed question's mean step
    accuracy beside its end-to-end accuracy.
    """
    a, b = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    if len(a) != len(b) or len(a) == 0:
        raise ValueError(f"paired values need the same questions: {len(a)} vs {len(b)} values")
    diff, low, high, _ = metrics.paired_interval(a, b, confidence)
    return diff, low, high


def describe(row: Mapping, scale: float = 100.0) -> str:
    """One difference as text: ``+12 points (95% CI +3 to +21)``."""
    return (
        f"{row['difference'] * scale:+.0f} points (CI {row['ci_low'] * scale:+.0f} to {row['ci_high'] * scale:+.0f})"
    )


# value minus versus (values of the axis), e.g. L: long minus short; the experiments pooled on each side.
AXIS_COLUMNS = ["axis", "group", "value", "versus", "experiments", "versus_experiments", *COLUMNS]


def axis_contrasts(
    outcomes: Mapping[str, metrics.Outcomes],
    comparison: pd.DataFrame,
    tier_of: Mapping[str, str],
    value_order: Sequence[str] | None = None,
    metric_names: Sequence[str] = ("avg@n", "cov@n"),
    confidence: float = metrics.DEFAULT_CONFIDENCE,
) -> pd.DataFrame:
    """Every pair of values within each like-for-like group of one axis (e.g. long minus short), per tier.

    ``comparison`` has columns axis, group, value, experiment (``ladder.ablations.axis_comparison``);
    ``outcomes`` maps experiment -> its outcomes. Experiments with the same value (replicate seeds) are pooled
    (:func:`pool`). Values are ordered by ``value_order`` (others after, sorted; numbers numerically) and each
    pair is later minus earlier: the larger N, the longer trace, R1 over Gemini.
    """
    frames = []
    if comparison.empty:
        return pd.DataFrame(columns=AXIS_COLUMNS)
    members = comparison[["axis", "group", "value", "experiment"]].drop_duplicates()
    for (axis, group), rows in members.groupby(["axis", "group"], sort=False):
        by_value = rows.groupby("value", sort=False)["experiment"].agg(list).to_dict()
        values = sorted(by_value, key=lambda v: _value_key(v, value_order))
        for i, low in enumerate(values):
            for high in values[i + 1 :]:
                first = pool([outcomes[e] for e in by_value[high]], f"{axis}={high}")
                second = pool([outcomes[e] for e in by_value[low]], f"{axis}={low}")
                table = tier_differences(first, second, tier_of, metric_names, confidence)
                table.insert(0, "versus_experiments", ", ".join(by_value[low]))
                table.insert(0, "experiments", ", ".join(by_value[high]))
                table.insert(0, "versus", low)
                table.insert(0, "value", high)
                table.insert(0, "group", group)
                table.insert(0, "axis", axis)
                frames.append(table)
    return pd.concat(frames, ignore_index=True)[AXIS_COLUMNS] if frames else pd.DataFrame(columns=AXIS_COLUMNS)


def _value_key(value: str, order: Sequence[str] | None):
    if order and value in order:
        return (0, list(order).index(value), 0.0, "")
    try:
        return (1, 0, float(value), "")
    except ValueError:
        return (2, 0, 0.0, str(value))
