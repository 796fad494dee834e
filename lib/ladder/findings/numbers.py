"""The study's published numbers beside this run's: one function per quantity a number of the claims file names.

Each quantity reads this run's matching value off the ablations analysis: a :class:`Value` (with a CI where the
value is one experiment's), or a string saying why this run cannot compute it. :func:`compare` then puts the
study's number beside it and says whether they agree: a bound (at_least / at_most) met, or an approximate value
within the stated tolerance, else inside this run's CI (NA without a CI).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from ladder.findings import claims as c
from ladder.findings.rules import AblationAnalysis, long_r1, pct, strategy_rows


@dataclass(frozen=True)
class Value:
    """This run's value of a quantity, its CI (NaN where it has none), where it comes from and a note."""

    this_run: float
    ci_low: float = math.nan
    ci_high: float = math.nan
    source: str = ""
    note: str = ""


def _row_value(rows: pd.DataFrame, pick: Literal["min", "max"], column: str = "avg@n", note: str = "") -> Value:
    row = rows.loc[rows[column].idxmin() if pick == "min" else rows[column].idxmax()]
    low = row.get(f"{column}_ci_low", math.nan)
    high = row.get(f"{column}_ci_high", math.nan)
    return Value(float(row[column]), float(low), float(high), str(row["experiment"]), note)


def _mean_value(rows: pd.DataFrame, note: str = "") -> Value:
    if len(rows) == 1:
        return _row_value(rows, "max", note=note)
    joined = ", ".join(rows["experiment"].astype(str))
    note = "; ".join(filter(None, [note, f"mean of {len(rows)} experiments, no joint CI"]))
    return Value(float(rows["avg@n"].mean()), source=joined, note=note)


def _sft(analysis: AblationAnalysis) -> pd.DataFrame:
    return analysis.accuracy[analysis.accuracy["role"] == "sft"]


def medium_r1_500plus(analysis: AblationAnalysis, number: c.StudyNumber, claim: c.FindingClaim) -> Value | str:
    """Lowest Medium avg@n among SFT experiments meeting finding 1's condition (its ``min_n``)."""
    axes, min_n = analysis.axes, claim.thresholds.min_n
    ok = axes[(axes["role"] == "sft") & long_r1(axes, min_n)]
    sft = _sft(analysis)
    rows = sft[(sft["tier"] == number.tier) & sft["experiment"].isin(ok["experiment"])]
    return (
        _row_value(rows, "min") if not rows.empty else f"no SFT experiment with >= {min_n} normal/long R1 trajectories"
    )


def stability_gap(analysis: AblationAnalysis, number: c.StudyNumber, claim: c.FindingClaim) -> Value | str:
    """Largest cov@n - avg@n of an SFT experiment in finding 2's tiers, with its paired CI."""
    sft = _sft(analysis)
    rows = sft[sft["tier"].isin(claim.thresholds.tiers)]
    if rows.empty:
        return "no SFT experiment with questions in the stability tiers"
    return _row_value(rows, "max", "gap", note="cov@n - avg@n of one model, with its paired CI")


def hard_plateau(analysis: AblationAnalysis, number: c.StudyNumber, claim: c.FindingClaim) -> Value | str:
    """avg@n on the number's tier of the SFT experiment(s) with the largest N."""
    sized = analysis.axes[analysis.axes["role"] == "sft"]
    if sized.empty:
        return "no SFT experiment with a curate stage"
    largest = sized[sized["N"] == sized["N"].max()]["experiment"]
    sft = _sft(analysis)
    rows = sft[(sft["tier"] == number.tier) & sft["experiment"].isin(largest)]
    return _mean_value(rows, f"N = {int(sized['N'].max())}") if not rows.empty else "no Hard questions"


def model_tier(analysis: AblationAnalysis, number: c.StudyNumber, claim: c.FindingClaim) -> Value | str:
    """avg@n on the number's tier of the named model."""
    acc = analysis.accuracy
    rows = acc[(acc["model"].astype(str) == number.model) & (acc["tier"] == number.tier)]
    return _row_value(rows, "max") if not rows.empty else f"{number.model} is not in this run"


def category_overall(analysis: AblationAnalysis, number: c.StudyNumber, claim: c.FindingClaim) -> Value | str:
    """Mean overall avg@n across the category comparison's categories."""
    cats = analysis.categories
    rows = cats[cats["tier"] == "all"] if not cats.empty else cats
    if rows.empty or rows["n_categories"].iloc[0] < 2:
        return "fewer than two categories of otherwise equal SFT data"
    r = rows.iloc[0]
    note = f"spread {r['min'] * 100:.0f}%..{r['max'] * 100:.0f}% (study: +- {number.tolerance * 100:.0f} points)"
    return Value(float(r["mean"]), source=f"{r['n_categories']} categories", note=note)


def similarity_tier(analysis: AblationAnalysis, number: c.StudyNumber, claim: c.FindingClaim) -> Value | str:
    """avg@n on the number's tier of the similarity comparison's experiments with the number's similarity."""
    comparison = analysis.comparisons.get("similarity", pd.DataFrame())
    if len(comparison):
        comparison = comparison[(comparison["value"] == number.similarity) & (comparison["tier"] == number.tier)]
    return (
        _mean_value(comparison) if not comparison.empty else "no similarity comparison (similar vs random) in this run"
    )


def step_whole(analysis: AblationAnalysis, number: c.StudyNumber, claim: c.FindingClaim) -> Value | str:
    """Mean end-to-end accuracy of the decomposed questions of finding 5's tiers."""
    steps = analysis.steps
    rows = steps[steps["tier"].isin(claim.thresholds.tiers)] if not steps.empty else steps
    if rows.empty:
        return "no step decomposition in this run"
    return Value(
        float(rows["end_to_end"].mean()),
        source=f"{len(rows)} decomposed questions",
        note=f"mean step accuracy {rows['mean_step'].mean() * 100:.0f}%",
    )


def sft_tier_max(analysis: AblationAnalysis, number: c.StudyNumber, claim: c.FindingClaim) -> Value | str:
    """Highest avg@n on the number's tier among SFT experiments."""
    sft = _sft(analysis)
    rows = sft[sft["tier"] == number.tier]
    return _row_value(rows, "max") if not rows.empty else f"no SFT experiment with {number.tier.title()} questions"


def strategy_similarity(analysis: AblationAnalysis, number: c.StudyNumber, claim: c.FindingClaim) -> Value | str:
    """Lowest SFT model's mean strategy similarity to the reference on the number's tier, on the judge's 1-5 scale
    (the exact measure's 0-1 mapped as 1 + 4x, as the claims file's bars are)."""
    measure, rows = strategy_rows(analysis, number.tier)
    if not measure:
        return "no judge and no exact strategies in this run (the embedding proxy is not a verdict)"
    row = rows.loc[rows["similarity"].idxmin()]
    scale = (lambda x: float(x)) if measure == "judge" else (lambda x: 1.0 + 4.0 * float(x))
    note = "judge score" if measure == "judge" else "exact measure mapped to 1-5 (1 + 4x)"
    return Value(scale(row["similarity"]), scale(row["ci_low"]), scale(row["ci_high"]), str(row["model"]), note)


QUANTITIES: dict[str, Callable[[AblationAnalysis, c.StudyNumber, c.FindingClaim], Value | str]] = {
    "medium_r1_500plus": medium_r1_500plus,
    "stability_gap": stability_gap,
    "hard_plateau": hard_plateau,
    "model_tier": model_tier,
    "category_overall": category_overall,
    "similarity_tier": similarity_tier,
    "step_whole": step_whole,
    "sft_tier_max": sft_tier_max,
    "strategy_similarity": strategy_similarity,
}


@dataclass(frozen=True)
class NumberCheck:
    """One published number of the study beside this run's value: difference, CI and whether they agree."""

    finding: int
    key: str
    text: str
    study: float
    comparison: str
    this_run_is: str
    this_run: float = math.nan
    difference: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    agrees: object = pd.NA
    source: str = ""
    note: str = ""
    unit: str = "fraction"  # fraction (shown as %) or score (a judge's 1-5)

    def show(self, value: float) -> str:
        """``value`` in this number's unit: "12%", or "4.2" for a score."""
        if self.unit == "score":
            return f"{value:.1f}" if pd.notna(value) else "n/a"
        return pct(value)

    def row(self) -> dict:
        """The row of ``study_findings.csv``."""
        return {
            "finding": self.finding,
            "key": self.key,
            "study_says": self.text,
            "study": self.study,
            "kind": self.comparison,
            "this_run": self.this_run,
            "difference": self.difference,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "agrees": self.agrees,
            "from": self.source,
            "this_run_is": self.this_run_is,
            "note": self.note,
        }


def _agrees(number: c.StudyNumber, got: Value) -> object:
    if number.comparison == "at_least":
        return bool(got.this_run >= number.value - 1e-12)
    if number.comparison == "at_most":
        return bool(got.this_run <= number.value + 1e-12)
    if number.tolerance:
        return bool(abs(got.this_run - number.value) <= number.tolerance + 1e-12)
    if math.isnan(got.ci_low):
        return pd.NA
    return bool(got.ci_low - 1e-12 <= number.value <= got.ci_high + 1e-12)


def compare(analysis: AblationAnalysis, number: c.StudyNumber, claim: c.FindingClaim) -> NumberCheck:
    """The study's ``number`` beside this run's value of its quantity."""
    if number.quantity not in QUANTITIES:
        raise c.ClaimsError(
            f"number {number.key!r} of finding {claim.id}: unknown quantity {number.quantity!r} "
            f"(known: {', '.join(QUANTITIES)})"
        )
    got = QUANTITIES[number.quantity](analysis, number, claim)
    base = {
        "finding": claim.id,
        "key": number.key,
        "text": number.text,
        "study": number.value,
        "comparison": number.comparison,
        "this_run_is": number.this_run,
        "unit": number.unit,
    }
    if isinstance(got, str):
        return NumberCheck(**base, note=got)
    return NumberCheck(
        **base,
        this_run=got.this_run,
        difference=got.this_run - number.value,
        ci_low=got.ci_low,
        ci_high=got.ci_high,
        agrees=_agrees(number, got),
        source=got.source,
        note=got.note,
    )
