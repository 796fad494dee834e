"""This run vs the study: the study's published numbers beside the ones this run computed.

The study's numbers live in ``data/study_numbers.yaml`` (tier means per model group, read off the paper's
Figure 1, and the numbers behind its six findings). Two tables put them beside this run's:

* :func:`tiers_vs_study` (notebook 50_tiers): per model group (base, small-scale SFT, large) and tier, the
  study's mean avg@8 and this run's, the difference and a CI of this run's value;
* :func:`findings_vs_study` (notebook 60_ablations): each finding's number (e.g. Hard plateau 65%, QwQ 71% on
  Hard, 0% on Exh) and the matching value of this run, where the run has the experiments to compute it.

A group or finding this run cannot compute gets a row that says why, never a silent gap.

Usage::

    from ladder import study
    study.tiers_vs_study(graded, analysis)        # graded panel and tiers.analyse_panel(...) result
    study.findings_vs_study(ablation_analysis)     # ablations.analyse_ablations(...) result
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from ladder import benchmarks, metrics, paths
from ladder.params import load_yaml_model

if TYPE_CHECKING:
    from ladder.ablations import AblationAnalysis
    from ladder.tiers import TierAnalysis

STUDY_NUMBERS_FILE = paths.ROOT / "data" / "study_numbers.yaml"
TIER_COLUMNS = ("easy", "medium", "hard", "exh", "all")
STUDY_BENCHMARK = "aime24"


class StudyGroup(BaseModel):
    """One model group of the study's Figure 1 and its tier means."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    label: str
    role: Literal["base_models", "sft_models", "reference_models"]  # the tiers stage's role holding this group
    models: list[str]
    read_off: Literal["figure", "text"]
    values: dict[Literal["easy", "medium", "hard", "exh", "all"], float]


class StudyFinding(BaseModel):
    """One number behind a finding of the study."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str
    finding: int
    text: str
    value: float
    kind: Literal["approx", "at_least", "at_most"]
    this_run: str
    tier: str = ""
    model: str = ""
    tolerance: float = 0.0


class StudyNumbers(BaseModel):
    """The contents of ``data/study_numbers.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    source: str
    tier_means: dict[str, StudyGroup]
    findings: list[StudyFinding]


class StudyError(ValueError):
    """The study numbers file is malformed, or the inputs cannot be compared with it."""


def load_study_numbers(path: str | Path | None = None) -> StudyNumbers:
    """Read and validate the study's numbers (``data/study_numbers.yaml``); errors name the file and key."""
    return load_yaml_model(Path(path) if path else STUDY_NUMBERS_FILE, StudyNumbers, StudyError)


# ---------------------------------------------------------------- tier means per group


def group_tier_means(
    graded: pd.DataFrame,
    tier_of: Mapping[str, str],
    groups: Mapping[str, Sequence[str]],
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Mean avg@n of each group of models per tier (and 'all'), with a CI (``ladder.metrics.mean_interval``).

    A group's samples are pooled per question (models side by side, each cut to the group's smallest n), so the
    point estimate is the mean of the models' avg@n and the CI is over questions of the pooled per-question
    accuracies. Models absent from ``graded`` are left out and named in ``note``.
    """
    outcomes = metrics.outcomes_from_graded(graded, unequal_n="truncate")
    rows = []
    for group, members in groups.items():
        present = [m for m in members if m in outcomes]
        missing = [m for m in members if m not in outcomes]
        note = f"not in this run: {', '.join(missing)}" if missing else ""
        if not present:
            continue
        qids = sorted(set.intersection(*(set(outcomes[m].question_ids) for m in present)))
        n = min(outcomes[m].n for m in present)
        if len({outcomes[m].n for m in present}) > 1:
            note = "; ".join(filter(None, [note, f"models cut to the group's smallest n = {n}"]))
        pooled = np.hstack([outcomes[m].subset(qids).correct[:, :n] for m in present])
        group_oc = metrics.outcomes_from_arrays(pooled, model=group, question_ids=qids)
        for tier in TIER_COLUMNS:
            ids = benchmarks.tier_questions(qids, tier_of, tier)
            if not ids:
                continue
            res = metrics.metric_suite(group_oc.subset(ids), ["avg@n"], confidence=confidence)["avg@n"]
            rows.append({"group": group, "tier": tier, "this_run": res.statistic, "ci_low": res.ci_low,
                         "ci_high": res.ci_high, "models": ", ".join(present), "n_questions": len(ids),
                         "n": n, "note": note})  # fmt: skip
    columns = ["group", "tier", "this_run", "ci_low", "ci_high", "models", "n_questions", "n", "note"]
    return pd.DataFrame(rows, columns=columns)


def compare_tier_means(
    this_run: pd.DataFrame, roles: Mapping[str, Sequence[str]], numbers: StudyNumbers, benchmark: str = "aime24"
) -> pd.DataFrame:
    """The study's tier means beside ``this_run`` (from :func:`group_tier_means`, groups named as in the study).

    ``roles`` maps each role (base_models, sft_models, reference_models) to this run's models. One row per study
    group x tier: study value, this run's value, difference (this run - study), CI of this run's value, and
    whether the study's value lies inside it. A group this run lacks gets rows saying so.
    """
    rows = []
    by_key = this_run.set_index(["group", "tier"]) if not this_run.empty else None
    for name, group in numbers.tier_means.items():
        members = list(roles.get(group.role, []))
        for tier in TIER_COLUMNS:
            if tier not in group.values:
                continue
            row = {"group": group.label, "tier": tier, "study": group.values[tier],
                   "read_off": group.read_off, "this_run": math.nan, "difference": math.nan, "ci_low": math.nan,
                   "ci_high": math.nan, "study_in_ci": pd.NA, "models": ", ".join(members), "note": ""}  # fmt: skip
            if not members:
                row["note"] = f"no {group.role} in this run (the study's group: {', '.join(group.models)})"
            elif by_key is None or (name, tier) not in by_key.index:
                row["note"] = "none of these models has questions of this tier in this run"
            else:
                got = by_key.loc[(name, tier)]
                row.update(this_run=got["this_run"], ci_low=got["ci_low"], ci_high=got["ci_high"],
                           difference=got["this_run"] - group.values[tier], models=got["models"],
                           note=got["note"])  # fmt: skip
                if not math.isnan(got["ci_low"]):
                    row["study_in_ci"] = bool(got["ci_low"] - 1e-12 <= group.values[tier] <= got["ci_high"] + 1e-12)
            if benchmark != STUDY_BENCHMARK:
                comparable = f"the study's numbers are for {STUDY_BENCHMARK}, this run's benchmark is {benchmark}"
                row["note"] = "; ".join(filter(None, [row["note"], comparable]))
            rows.append(row)
    return pd.DataFrame(rows)


def tiers_vs_study(
    graded: pd.DataFrame,
    analysis: TierAnalysis,
    out_dir: str | Path | None = None,
    numbers: StudyNumbers | None = None,
) -> pd.DataFrame:
    """Notebook 50_tiers: the study's tier means per model group vs this run's, with differences and CIs.

    Groups are the tiers stage's roles (base_models, sft_models, reference_models); tiers are the ones the
    analysis used (``analysis.tier_of``); the CI level is the stage's. With ``out_dir`` the table
    is also written there as ``study_tier_means.csv``.
    """
    numbers = numbers or load_study_numbers()
    p = analysis.params
    roles = {"base_models": p.base_models, "sft_models": p.sft_models, "reference_models": p.reference_models}
    groups = {name: roles[g.role] for name, g in numbers.tier_means.items() if roles[g.role]}
    rows = graded[graded["model"].astype(str).isin(analysis.accuracy.columns)]
    if "benchmark" in rows.columns:
        rows = rows[rows["benchmark"].astype(str) == p.benchmark]
    rows = rows.assign(question_id=rows["question_id"].astype(str), model=rows["model"].astype(str))
    this_run = group_tier_means(rows, analysis.tier_of, groups, p.confidence)
    table = compare_tier_means(this_run, roles, numbers, p.benchmark)
    if out_dir is not None:
        table.to_csv(Path(out_dir) / "study_tier_means.csv", index=False)
    return table


# ---------------------------------------------------------------- findings


def _value(value: float, ci_low: float = math.nan, ci_high: float = math.nan, source: str = "", note: str = ""):
    return {"this_run": float(value), "ci_low": float(ci_low), "ci_high": float(ci_high), "from": source,
            "note": note}  # fmt: skip


def _row_value(rows: pd.DataFrame, pick: Literal["min", "max"], column: str = "avg@n", note: str = "") -> dict:
    row = rows.loc[rows[column].idxmin() if pick == "min" else rows[column].idxmax()]
    low = row.get(f"{column}_ci_low", math.nan)
    high = row.get(f"{column}_ci_high", math.nan)
    return _value(row[column], low, high, str(row["experiment"]), note)


def _mean_value(rows: pd.DataFrame, note: str = "") -> dict:
    if len(rows) == 1:
        return _row_value(rows, "max", note=note)
    joined = ", ".join(rows["experiment"].astype(str))
    return _value(rows["avg@n"].mean(), source=joined,
                  note="; ".join(filter(None, [note, f"mean of {len(rows)} experiments, no joint CI"])))  # fmt: skip


def finding_value(finding: StudyFinding, analysis: AblationAnalysis) -> dict | str:
    """This run's value for one finding's number (a dict), or why it cannot be computed (a string)."""
    acc, axes = analysis.accuracy, analysis.axes
    sft = acc[acc["role"] == "sft"]
    key = finding.key
    if key == "medium_r1_500plus":
        ok = axes[
            (axes["role"] == "sft") & (axes["S"] == "r1") & (axes["N"] >= 500) & axes["L"].isin(["normal", "long"])
        ]
        rows = sft[(sft["tier"] == "medium") & sft["experiment"].isin(ok["experiment"])]
        return (
            _row_value(rows, "min") if not rows.empty else "no SFT experiment with >= 500 normal/long R1 trajectories"
        )
    if key == "stability_gap":
        rows = sft[sft["tier"].isin(analysis.params.stability_tiers)]
        if rows.empty:
            return "no SFT experiment with questions in the stability tiers"
        return _row_value(rows, "max", "gap", note="cov@n - avg@n of one model, with its paired CI")
    if key == "hard_plateau":
        sized = axes[axes["role"] == "sft"]
        if sized.empty:
            return "no SFT experiment with a curate stage"
        largest = sized[sized["N"] == sized["N"].max()]["experiment"]
        rows = sft[(sft["tier"] == finding.tier) & sft["experiment"].isin(largest)]
        return _mean_value(rows, f"N = {int(sized['N'].max())}") if not rows.empty else "no Hard questions"
    if key == "qwq_hard":
        rows = acc[(acc["model"].astype(str) == finding.model) & (acc["tier"] == finding.tier)]
        return _row_value(rows, "max") if not rows.empty else f"{finding.model} is not in this run"
    if key == "category_overall":
        cats = analysis.categories
        rows = cats[cats["tier"] == "all"] if not cats.empty else cats
        if rows.empty or rows["n_categories"].iloc[0] < 2:
            return "fewer than two categories of otherwise equal SFT data"
        r = rows.iloc[0]
        return _value(r["mean"], source=f"{r['n_categories']} categories",
                      note=f"spread {r['min'] * 100:.0f}%..{r['max'] * 100:.0f}% (study: +- 4 points)")  # fmt: skip
    if key in ("similar_hard", "random_hard"):
        comparison = analysis.comparisons.get("similarity", pd.DataFrame())
        value = "similar" if key == "similar_hard" else "none"
        rows = (
            comparison[(comparison["value"] == value) & (comparison["tier"] == finding.tier)]
            if len(comparison)
            else comparison
        )
        return _mean_value(rows) if not rows.empty else "no similarity comparison (similar vs random) in this run"
    if key == "step_whole":
        steps = analysis.steps
        rows = steps[steps["tier"].isin(analysis.params.step_tiers)] if not steps.empty else steps
        if rows.empty:
            return "no step decomposition in this run"
        return _value(rows["end_to_end"].mean(), source=f"{len(rows)} decomposed questions",
                      note=f"mean step accuracy {rows['mean_step'].mean() * 100:.0f}%")  # fmt: skip
    if key == "sft_exh":
        rows = sft[sft["tier"] == finding.tier]
        return _row_value(rows, "max") if not rows.empty else "no SFT experiment with Exh questions"
    return f"no rule to compute '{key}' from this run"


def _agrees(finding: StudyFinding, got: dict) -> object:
    value = got["this_run"]
    if finding.kind == "at_least":
        return bool(value >= finding.value - 1e-12)
    if finding.kind == "at_most":
        return bool(value <= finding.value + 1e-12)
    if finding.tolerance:
        return bool(abs(value - finding.value) <= finding.tolerance + 1e-12)
    if math.isnan(got["ci_low"]):
        return pd.NA
    return bool(got["ci_low"] - 1e-12 <= finding.value <= got["ci_high"] + 1e-12)


def findings_vs_study(
    analysis: AblationAnalysis, out_dir: str | Path | None = None, numbers: StudyNumbers | None = None
) -> pd.DataFrame:
    """Notebook 60_ablations: each number behind the study's findings beside this run's, with CI and difference.

    ``agrees``: for a bound (at_least / at_most), whether this run satisfies it; for an approximate value,
    whether it lies within the stated tolerance, else inside this run's CI (NA without a CI). With ``out_dir``
    the table is also written there as ``study_findings.csv``.
    """
    numbers = numbers or load_study_numbers()
    rows = []
    for f in numbers.findings:
        got = finding_value(f, analysis)
        row = {"finding": f.finding, "key": f.key, "study_says": f.text, "study": f.value, "kind": f.kind,
               "this_run_is": f.this_run}  # fmt: skip
        if isinstance(got, str):
            row.update(this_run=math.nan, difference=math.nan, ci_low=math.nan, ci_high=math.nan, agrees=pd.NA,
                       **{"from": ""}, note=got)  # fmt: skip
        else:
            row.update(got, difference=got["this_run"] - f.value, agrees=_agrees(f, got))
        rows.append(row)
    columns = ["finding", "key", "study_says", "study", "kind", "this_run", "difference", "ci_low", "ci_high",
               "agrees", "from", "this_run_is", "note"]  # fmt: skip
    table = pd.DataFrame(rows)[columns]
    if out_dir is not None:
        table.to_csv(Path(out_dir) / "study_findings.csv", index=False)
    return table
