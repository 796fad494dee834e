"""The whole tier analysis of a panel: tiers, IRT, consistency, per model x tier metrics and SFT - base.

:func:`analyse_panel` builds a :class:`TierAnalysis` (everything the tier report shows); :func:`calibration`
reads it against the benchmark's own tiers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from ladder import benchmarks, contrasts, metrics
from ladder.benchmarks import ALL_TIERS, TIER_ORDER
from ladder.tiers.consistency import Consistency, ladder_consistency
from ladder.tiers.irt import IrtFit, fit_irt
from ladder.tiers.panel import accuracy_matrix, files_of, question_accuracy, select_panel
from ladder.tiers.params import ROLES, TiersError, TiersParams
from ladder.tiers.rules import compare_tiers, reference_tiers, rule_tiers


@dataclass
class TierAnalysis:
    """Everything the tier report shows; built by :func:`analyse_panel`, written by :func:`save_tier_tables`."""

    params: TiersParams
    accuracy: pd.DataFrame  # questions x models, avg@n
    question_accuracy: pd.DataFrame  # model x question rows with Wilson CIs
    tier_of: dict[str, str]  # question -> tier used for tiers.csv and the figures (tier_source)
    comparison: pd.DataFrame | None  # study vs rule tiers per question (None without roles or study lists)
    irt: IrtFit
    consistency: Consistency
    questions: pd.DataFrame  # questions.csv
    tiers: pd.DataFrame  # tiers.csv
    sft_vs_base: pd.DataFrame  # sft_vs_base.csv: paired differences per tier (ladder.contrasts)
    groups: dict[str, list[str]] = field(default_factory=dict)  # role group -> models, for the figures
    notes: list[str] = field(default_factory=list)

    @property
    def line_groups(self) -> dict[str, list[str]] | None:
        """Groups for the ladder figure's lines (params.ladder_lines == "group"), else None: a line per model."""
        return self.groups if self.params.ladder_lines == "group" and self.groups else None


def tier_metrics(
    outcomes: Mapping[str, metrics.Outcomes], tier_of: Mapping[str, str], params: TiersParams
) -> pd.DataFrame:
    """One row per model x tier (and 'all'): avg@n, cov@n, cov@k, pass@k, maj@n, each with CI columns.

    The CIs are :func:`ladder.metrics.mean_interval`: for the population of questions like this tier's."""
    names = ["avg@n", "cov@n", *[f"cov@{k}" for k in params.ks], *[f"pass@{k}" for k in params.ks], "maj@n"]
    tier_names = benchmarks.tiers_present(tier_of)
    rows = []
    for model, oc in outcomes.items():
        for tier in [*tier_names, ALL_TIERS]:
            ids = benchmarks.tier_questions(oc.question_ids, tier_of, tier)
            if not ids:
                continue
            suite = metrics.metric_suite(oc.subset(ids), names, confidence=params.confidence)
            row = {"model": model, "tier": tier, "n_questions": len(ids), "n": oc.n}
            for name, res in suite.items():
                row[name], row[f"{name}_ci_low"], row[f"{name}_ci_high"] = res.statistic, res.ci_low, res.ci_high
            rows.append(row)
    return pd.DataFrame(rows)


def _drop_missing_role_models(graded: pd.DataFrame, params: TiersParams) -> tuple[TiersParams, list[str]]:
    """With ``missing_role_models: drop``, remove role members absent from the panel (e.g. a run of a subset of
    the profile's experiments); returns the params to use and the names left out."""
    if params.missing_role_models != "drop":
        return params, []
    rows = graded[graded["benchmark"].astype(str) == params.benchmark] if "benchmark" in graded.columns else graded
    present = set(rows["model"].astype(str))
    dropped = sorted({m for role in ROLES for m in getattr(params, role) if m not in present})
    update = {role: [m for m in getattr(params, role) if m in present] for role in ROLES}
    return params.model_copy(update=update), dropped


def analyse_panel(graded: pd.DataFrame, params: TiersParams) -> TierAnalysis:
    """Run the whole tier analysis on a panel's graded rows (checks everything before the bootstrap)."""
    params, dropped = _drop_missing_role_models(graded, params)
    graded = select_panel(graded, params)
    outcomes = metrics.outcomes_from_graded(graded, unequal_n=params.unequal_n, source=files_of(graded))
    too_big = [(m, oc.n) for m, oc in outcomes.items() if max(params.ks, default=0) > oc.n]
    if too_big:
        raise TiersError(f"ks={params.ks} but model(s) have fewer samples per question: {too_big}")
    notes = [f"{m}: {note}" for m, oc in outcomes.items() for note in oc.notes]
    if dropped:
        notes.append(f"left out of their roles, not in this panel (missing_role_models 'drop'): {', '.join(dropped)}")
    accuracy = accuracy_matrix(outcomes)
    study = reference_tiers(params.benchmark, params.tier_version)
    comparison = None
    if params.base_models and params.sft_models:
        comparison = compare_tiers(study, rule_tiers(accuracy, params, {m: oc.n for m, oc in outcomes.items()}))
    else:
        notes.append("rule-based tiering skipped: give base_models and sft_models (CLI --base-models, --sft-models)")
    if params.tier_source == "study":
        if not study:
            raise TiersError(
                f"tier_source 'study' but {params.benchmark!r} has no study tier lists; use tier_source rule"
            )
        tier_of = {q: study[q] for q in accuracy.index}
    else:
        if comparison is None:
            raise TiersError("tier_source 'rule' needs base_models and sft_models")
        tier_of = comparison["rule_tier"].to_dict()

    counts = pd.DataFrame(
        {m: pd.Series(oc.correct.sum(axis=1), index=list(oc.question_ids)) for m, oc in outcomes.items()}
    ).loc[accuracy.index]
    trials = pd.DataFrame({m: oc.n for m, oc in outcomes.items()}, index=accuracy.index)
    irt = fit_irt(counts, trials, params.irt_model, params.irt_prior_sd, params.confidence)
    rank = {q: TIER_ORDER.index(t) if t in TIER_ORDER else len(TIER_ORDER) for q, t in tier_of.items()}
    consistency = ladder_consistency(
        accuracy >= params.solve_threshold, rank, params.n_bootstrap, params.confidence, params.seed
    )

    questions = pd.DataFrame(index=accuracy.index)
    questions["study_tier"] = [study.get(q, "") for q in accuracy.index]
    questions["rule_tier"] = comparison["rule_tier"] if comparison is not None else ""
    questions["agree"] = comparison["agree"] if comparison is not None else pd.NA
    questions["irt_difficulty"] = irt.questions["difficulty"]
    questions["irt_ci_low"] = irt.questions["ci_low"]
    questions["irt_ci_high"] = irt.questions["ci_high"]
    if params.irt_model == "2pl":
        questions["irt_discrimination"] = irt.questions["discrimination"]
    questions["mean_accuracy"] = accuracy.mean(axis=1)
    for model in accuracy.columns:
        questions[f"acc_{model}"] = accuracy[model]
    groups = {
        name: list(members)
        for name, members in (
            ("base", params.base_models),
            ("small SFT", params.sft_models),
            ("reference", params.reference_models),
        )
        if members
    }
    return TierAnalysis(
        params=params,
        accuracy=accuracy,
        question_accuracy=question_accuracy(outcomes, params.confidence),
        tier_of=tier_of,
        comparison=comparison,
        irt=irt,
        consistency=consistency,
        questions=questions.reset_index(),
        tiers=tier_metrics(outcomes, tier_of, params),
        sft_vs_base=contrasts.sft_vs_base(
            outcomes, tier_of, params.sft_models, params.base_models, confidence=params.confidence
        ),
        groups=groups,
        notes=notes,
    )


def calibration(analysis: TierAnalysis) -> pd.DataFrame:
    """How the panel spans the benchmark's own tiers (for the synthetic ladder: its levels by construction).

    One row per reference tier: the mean avg@n of the base models, of the small-SFT models, and the best model,
    and for the easiest and hardest tier whether the panel spans the ladder as the study's does (base above
    ``easy_threshold`` on the easiest tier; every model below ``exh_threshold`` on the hardest).
    """
    questions = analysis.questions.set_index("question_id")["study_tier"].astype(str)
    present = [t for t in TIER_ORDER if t in set(questions)]
    if not present:
        return pd.DataFrame(columns=["tier", "n_questions", "base", "small SFT", "best model", "check"])
    rows = []
    for tier in present:
        ids = questions.index[questions == tier]
        acc = analysis.accuracy.loc[ids]
        row = {"tier": tier, "n_questions": len(ids)}
        for group, members in (("base", analysis.params.base_models), ("small SFT", analysis.params.sft_models)):
            row[group] = acc[members].mean(axis=1).mean() if members else float("nan")
        means = acc.mean()
        row["best model"] = f"{means.idxmax()} {means.max():.2f}"
        row["check"] = ""
        if tier == present[0] and analysis.params.base_models:
            ok = row["base"] > analysis.params.easy_threshold
            row["check"] = f"base above {analysis.params.easy_threshold:.0%}: {'yes' if ok else 'no'}"
        if tier == present[-1]:
            ok = means.max() < analysis.params.exh_threshold
            row["check"] = f"every model below {analysis.params.exh_threshold:.0%}: {'yes' if ok else 'no'}"
        rows.append(row)
    return pd.DataFrame(rows)
