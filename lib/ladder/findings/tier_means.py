"""The study's tier means per model group (its Figure 1) beside this run's, with differences and CIs.

Notebook 50_tiers shows :func:`tiers_vs_study`: per model group (base, small-scale SFT, large; the tiers stage's
roles) and tier, the study's mean avg@8 from the claims file and this run's, the difference and a CI of this run's
value. A group this run does not have gets rows that say so, never a silent gap.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ladder import benchmarks, metrics
from ladder.findings.claims import STUDY_BENCHMARK, TIER_COLUMNS, StudyClaims, load_claims
from ladder.tiers import TierAnalysis


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
            rows.append(
                {
                    "group": group,
                    "tier": tier,
                    "this_run": res.statistic,
                    "ci_low": res.ci_low,
                    "ci_high": res.ci_high,
                    "models": ", ".join(present),
                    "n_questions": len(ids),
                    "n": n,
                    "note": note,
                }
            )
    columns = ["group", "tier", "this_run", "ci_low", "ci_high", "models", "n_questions", "n", "note"]
    return pd.DataFrame(rows, columns=columns)


def compare_tier_means(
    this_run: pd.DataFrame, roles: Mapping[str, Sequence[str]], claims: StudyClaims, benchmark: str = "aime24"
) -> pd.DataFrame:
    """The study's tier means beside ``this_run`` (from :func:`group_tier_means`, groups named as in the study).

    ``roles`` maps each role (base_models, sft_models, reference_models) to this run's models. One row per study
    group x tier: study value, this run's value, difference (this run - study), CI of this run's value, and
    whether the study's value lies inside it. A group this run lacks gets rows saying so.
    """
    rows = []
    by_key = this_run.set_index(["group", "tier"]) if not this_run.empty else None
    for name, group in claims.tier_means.items():
        members = list(roles.get(group.role, []))
        for tier in TIER_COLUMNS:
            if tier not in group.values:
                continue
            row = {
                "group": group.label,
                "tier": tier,
                "study": group.values[tier],
                "read_off": group.read_off,
                "this_run": math.nan,
                "difference": math.nan,
                "ci_low": math.nan,
                "ci_high": math.nan,
                "study_in_ci": pd.NA,
                "models": ", ".join(members),
                "note": "",
            }
            if not members:
                row["note"] = f"no {group.role} in this run (the study's group: {', '.join(group.models)})"
            elif by_key is None or (name, tier) not in by_key.index:
                row["note"] = "none of these models has questions of this tier in this run"
            else:
                got = by_key.loc[(name, tier)]
                row.update(
                    this_run=got["this_run"],
                    ci_low=got["ci_low"],
                    ci_high=got["ci_high"],
                    difference=got["this_run"] - group.values[tier],
                    models=got["models"],
                    note=got["note"],
                )
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
    claims: StudyClaims | None = None,
) -> pd.DataFrame:
    """Notebook 50_tiers: the study's tier means per model group vs this run's, with differences and CIs.

    Groups are the tiers stage's roles (base_models, sft_models, reference_models); tiers are the ones the
    analysis used (``analysis.tier_of``); the CI level is the stage's. With ``out_dir`` the table
    is also written there as ``study_tier_means.csv``.
    """
    claims = claims or load_claims()
    p = analysis.params
    roles = {"base_models": p.base_models, "sft_models": p.sft_models, "reference_models": p.reference_models}
    groups = {name: roles[g.role] for name, g in claims.tier_means.items() if roles[g.role]}
    rows = graded[graded["model"].astype(str).isin(analysis.accuracy.columns)]
    if "benchmark" in rows.columns:
        rows = rows[rows["benchmark"].astype(str) == p.benchmark]
    rows = rows.assign(question_id=rows["question_id"].astype(str), model=rows["model"].astype(str))
    this_run = group_tier_means(rows, analysis.tier_of, groups, p.confidence)
    table = compare_tier_means(this_run, roles, claims, p.benchmark)
    if out_dir is not None:
        table.to_csv(Path(out_dir) / "study_tier_means.csv", index=False)
    return table
