"""The ablations' numbers: accuracy per experiment x tier, like-for-like axis comparisons and their paired
differences, the log-linear scaling fit on N, the category spread and the step decomposition.

Models trained by this run and released models never share a comparison group (column ``origin``): a
reproduction and the released model of the same data sit side by side, not averaged. The study's findings are
read off these tables by :mod:`ladder.findings`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm

from ladder import benchmarks, contrasts, corrections, metrics, tiers
from ladder.ablations.axes import AXES, COMPANIONS, COMPARED_AXES, VALUE_ORDER
from ladder.ablations.inputs import AblationInputs
from ladder.ablations.params import AblationsError, AblationsParams
from ladder.strategies.traces import SYNTHETIC_BENCHMARKS


def experiment_outcomes(data: AblationInputs, params: AblationsParams) -> dict[str, metrics.Outcomes]:
    """Each experiment's (or model's) graded samples as :class:`ladder.metrics.Outcomes`."""
    out = {}
    for exp, rows in data.graded.groupby("experiment", sort=False):
        by_model = metrics.outcomes_from_graded(rows, unequal_n=params.unequal_n, source=f"experiment {exp!r}")
        if len(by_model) != 1:
            raise AblationsError(f"experiment {exp!r} holds several models ({', '.join(by_model)}); one expected")
        out[str(exp)] = next(iter(by_model.values()))
    return out


def accuracy_by_tier(
    data: AblationInputs, params: AblationsParams, outcomes: Mapping[str, metrics.Outcomes] | None = None
) -> pd.DataFrame:
    """One row per experiment (model) x tier and 'all': avg@n, cov@n and maj@n with CIs (``ladder.metrics``).

    ``gap`` = cov@n - avg@n: what the model can solve (potential) minus what it solves reliably (stability),
    with its paired CI (``gap_ci_low``, ``gap_ci_high``: both metrics on the same questions and samples).
    """
    outcomes = outcomes if outcomes is not None else experiment_outcomes(data, params)
    metric_params = tiers.TiersParams(ks=[], confidence=params.confidence)
    frames = []
    for exp, oc in outcomes.items():
        table = tiers.tier_metrics({oc.model: oc}, data.tier_of, metric_params)
        gaps = [
            metrics.paired_difference(sub, sub, "cov@n", params.confidence, second_metric="avg@n")
            for sub in (_tier_subset(oc, data.tier_of, tier) for tier in table["tier"])
        ]
        table["gap_ci_low"] = [g.ci_low for g in gaps]
        table["gap_ci_high"] = [g.ci_high for g in gaps]
        frames.append(table.assign(experiment=exp))
    table = pd.concat(frames, ignore_index=True)
    table["gap"] = table["cov@n"] - table["avg@n"]
    table["role"] = [data.roles.get(exp, "other") for exp in table["experiment"]]
    first = ["experiment", "model", "role", "tier"]
    return table[first + [c for c in table.columns if c not in first]]


def _tier_subset(oc: metrics.Outcomes, tier_of: Mapping[str, str], tier: str) -> metrics.Outcomes:
    return oc.subset(benchmarks.tier_questions(oc.question_ids, tier_of, tier))


def axis_comparison(accuracy: pd.DataFrame, axes: pd.DataFrame, axis: str) -> pd.DataFrame:
    """SFT experiments that differ only in ``axis`` (and its companions), one row per experiment x tier.

    Experiments are grouped by their values on every other axis (``group`` says which); only groups with at
    least two values of ``axis`` are kept, so each group is a like-for-like comparison.
    """
    if axis not in COMPARED_AXES:
        raise AblationsError(f"axis {axis!r}: expected one of {', '.join(COMPARED_AXES)}")
    sft = axes[axes["role"] == "sft"]
    fixed = [a for a in AXES if a not in (axis, "C", *COMPANIONS.get(axis, ()))]
    if axis != "C":
        fixed.append("C_group")
    fixed.append("origin")  # a reproduction and the released model of the same data are compared, not pooled
    out = []
    for key, members in sft.groupby(fixed, sort=False, dropna=False):
        if members[axis].nunique() < 2:
            continue
        label = ", ".join(f"{a.replace('_group', '')}={v}" for a, v in zip(fixed, key, strict=True))
        out.append(members.assign(axis=axis, value=members[axis].astype(str), group=label))
    columns = [
        "axis",
        "group",
        "value",
        "experiment",
        "model",
        "tier",
        "avg@n",
        "avg@n_ci_low",
        "avg@n_ci_high",
        "cov@n",
        "cov@n_ci_low",
        "cov@n_ci_high",
        "gap",
    ]
    if not out:
        return pd.DataFrame(columns=columns)
    members = pd.concat(out, ignore_index=True)[["axis", "group", "value", "experiment"]]
    table = members.merge(accuracy, on="experiment", how="inner")
    return table[columns]


def main_group(comparison: pd.DataFrame) -> pd.DataFrame:
    """The rows of the comparison group with the most distinct values (then the most experiments)."""
    if comparison.empty:
        return comparison
    size = comparison.groupby("group", sort=False).agg(values=("value", "nunique"), exps=("experiment", "nunique"))
    best = size.sort_values(["values", "exps"], ascending=False, kind="stable").index[0]
    return comparison[comparison["group"] == best]


# ---------------------------------------------------------------- scaling with N


def scaling_fit(comparison: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Per tier: OLS of avg@n on log10 N over the N comparison's main group; slope per tenfold N with its CI."""
    group = main_group(comparison)
    rows = []
    for tier, sub in group.groupby("tier", sort=False):
        sizes = sub["value"].astype(int).to_numpy()
        x, y = np.log10(sizes), sub["avg@n"].to_numpy(dtype=float)
        row = {
            "tier": tier,
            "n_points": len(sub),
            "n_sizes": int(np.unique(x).size),
            "n_min": int(sizes.min()),
            "n_max": int(sizes.max()),
            "slope": math.nan,
            "slope_ci_low": math.nan,
            "slope_ci_high": math.nan,
            "intercept": math.nan,
            "r2": math.nan,
            "p_value": math.nan,
        }
        if np.unique(x).size >= 2:
            fit = sm.OLS(y, sm.add_constant(x)).fit()
            # R^2 is undefined when every point has the same accuracy (e.g. 0% on Exh throughout)
            r2 = float(fit.rsquared) if fit.centered_tss > 0 else math.nan
            row.update(intercept=float(fit.params[0]), slope=float(fit.params[1]), r2=r2)
            if fit.df_resid > 0:
                low, high = fit.conf_int(alpha=1 - confidence)[1]
                row.update(slope_ci_low=float(low), slope_ci_high=float(high), p_value=float(fit.pvalues[1]))
        rows.append(row)
    table = pd.DataFrame(rows)
    if not table.empty:
        table["group"] = group["group"].iloc[0]
    return table


# ---------------------------------------------------------------- categories, stability, steps


def category_spread(comparison: pd.DataFrame) -> pd.DataFrame:
    """Per tier: the spread of avg@n across categories (replicates averaged): min, max, max - min, best, worst."""
    group = main_group(comparison)
    rows = []
    for tier, sub in group.groupby("tier", sort=False):
        means = sub.groupby("value")["avg@n"].mean()
        rows.append(
            {
                "tier": tier,
                "n_categories": len(means),
                "min": means.min(),
                "max": means.max(),
                "spread": means.max() - means.min(),
                "mean": means.mean(),
                "worst": means.idxmin(),
                "best": means.idxmax(),
            }
        )
    return pd.DataFrame(rows, columns=["tier", "n_categories", "min", "max", "spread", "mean", "worst", "best"])


def step_decomposition(data: AblationInputs) -> pd.DataFrame:
    """One row per decomposed question: each step's accuracy, their mean, min and product, and end-to-end accuracy.

    Step question ids are ``<parent>.<step>``; the end-to-end accuracy is the paired experiment's accuracy on
    the parent question of the main benchmark.
    """
    columns = [
        "experiment",
        "end_to_end_experiment",
        "parent_id",
        "tier",
        "n_steps",
        "step_accuracy",
        "mean_step",
        "min_step",
        "product",
        "end_to_end",
    ]
    rows = []
    for exp, sub in data.steps.groupby("experiment", sort=False):
        partner = data.step_pairs.get(exp)
        if partner is None:
            continue
        e2e = data.graded[data.graded["experiment"] == partner].groupby("question_id")["correct"].mean()
        acc = sub.groupby("question_id")["correct"].mean()
        parents = acc.groupby(acc.index.str.rsplit(".", n=1).str[0], sort=False)
        for parent, steps in parents:
            steps = steps.loc[sorted(steps.index, key=lambda q: int(q.rsplit(".", 1)[1]))]
            rows.append(
                {
                    "experiment": exp,
                    "end_to_end_experiment": partner,
                    "parent_id": parent,
                    "tier": data.tier_of.get(parent, ""),
                    "n_steps": len(steps),
                    "step_accuracy": " ".join(f"{v:.3f}" for v in steps),
                    "mean_step": steps.mean(),
                    "min_step": steps.min(),
                    "product": float(np.prod(steps.to_numpy())),
                    "end_to_end": float(e2e.get(parent, math.nan)),
                }
            )
    return pd.DataFrame(rows, columns=columns)


def correction_rates(data: AblationInputs, params: AblationsParams) -> pd.DataFrame:
    """Per experiment: after a wrong step, how often its traces notice and redo it (``ladder.corrections``).

    Read on the mini-ladder's step traces only (their steps are equations that can be judged); empty elsewhere."""
    if params.benchmark not in SYNTHETIC_BENCHMARKS or data.graded.empty:
        return pd.DataFrame()
    rows = data.graded[data.graded["benchmark"] == params.benchmark]
    table = corrections.correction_table(rows, by="experiment", confidence=params.confidence)
    table.insert(1, "role", table["experiment"].map(data.roles).fillna("other"))
    return table


@dataclass
class AblationAnalysis:
    """Everything the ablations report shows; built by :func:`analyse_ablations`."""

    params: AblationsParams
    axes: pd.DataFrame  # experiment_axes.csv
    accuracy: pd.DataFrame  # accuracy_by_tier.csv
    comparisons: dict[str, pd.DataFrame]  # axis -> like-for-like comparison rows (axis_<X>.csv)
    contrasts: pd.DataFrame  # contrasts.csv: paired differences between the values of each axis, per tier
    scaling: pd.DataFrame  # scaling_fit.csv
    categories: pd.DataFrame  # category_spread.csv
    steps: pd.DataFrame  # step_decomposition.csv
    notes: list[str] = field(default_factory=list)
    strategies: pd.DataFrame = field(default_factory=pd.DataFrame)  # the strategies stage's strategy_by_tier.csv
    exh_strategies: pd.DataFrame = field(default_factory=pd.DataFrame)  # its exh_strategy_match.csv
    corrections: pd.DataFrame = field(default_factory=pd.DataFrame)  # corrections.csv (mini-ladder only)


def analyse_ablations(data: AblationInputs, params: AblationsParams) -> AblationAnalysis:
    """Compute every table of the ablations report from checked inputs (:func:`load_ablation_inputs`)."""
    outcomes = experiment_outcomes(data, params)
    accuracy = accuracy_by_tier(data, params, outcomes)
    comparisons = {axis: axis_comparison(accuracy, data.axes, axis) for axis in COMPARED_AXES}
    members = [c for c in comparisons.values() if not c.empty]
    pairs = contrasts.axis_contrasts(
        outcomes,
        pd.concat(members) if members else pd.DataFrame(),
        data.tier_of,
        VALUE_ORDER,
        confidence=params.confidence,
    )
    scaling = scaling_fit(comparisons["N"], params.confidence)
    categories = category_spread(comparisons["C"])
    steps = step_decomposition(data)
    notes = list(data.notes)
    if data.axes.empty:
        notes.append("no experiment has a curate stage: axes unknown, axis comparisons empty")
    return AblationAnalysis(
        params,
        data.axes,
        accuracy,
        comparisons,
        pairs,
        scaling,
        categories,
        steps,
        notes,
        data.strategies,
        data.exh_strategies,
        correction_rates(data, params),
    )
