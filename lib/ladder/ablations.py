"""Ablations: accuracy per tier as a function of the SFT data, P = f(C, N, L, S), and the study's findings.

A panel stage (notebook 60_ablations). It reads every experiment's curate params (``params.json`` of its
curate stage) to place the experiment on the study's axes (N = n, L = length, S = style, C = category,
plus source, similarity and trace verbosity); a released model evaluated without a curate stage (by hub id, or
in a folder of the study's lm-eval logs) takes its axes from ``data/released_models.yaml``
(:mod:`ladder.released_models`), and an experiment holding several models (a log folder) is analysed model by
model. It finds which axis each SFT experiment varies relative to the reference setting (the most common value
of each axis among SFT experiments, or ``reference_experiment``), and joins that with the graded samples and the
tiers stage's ``questions.csv``. Models trained by this run and released models never share a comparison group
(column ``origin``): a reproduction and the released model of the same data sit side by side, not averaged.
It then computes avg@n and cov@n per experiment x tier with CIs (``ladder.metrics``), paired differences between
the values of each axis (``ladder.contrasts``), the log-linear
scaling fit of accuracy on log10 N (statsmodels OLS), the length, style and category comparisons, potential vs
stability (cov@n - avg@n), the step decomposition (benchmark ``synthetic_steps``) and one sentence per study
finding, computed from those numbers with the study's thresholds as params.

Usage::

    from ladder import ablations
    params = ablations.AblationsParams(benchmark="synthetic")
    data = ablations.load_ablation_inputs(inputs, params)     # inputs: experiment -> {stage -> folder}
    analysis = ablations.analyse_ablations(data, params)
    analysis.findings                                         # finding, study_says, this_run, holds
    ablations.write_ablation_report(analysis, "out/")          # CSVs and PNGs
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import seaborn as sns
import statsmodels.api as sm
from matplotlib.figure import Figure
from pydantic import Field, field_validator

from ladder import benchmarks, contrasts, metrics, plots, released_models, schema, tiers
from ladder.params import PANEL, StageParams, StageReference

TIER_ORDER = tiers.TIER_ORDER
ALL_TIERS = tiers.ALL_TIERS
# Axis name -> CurateParams field. The first four are the study's P = f(C, N, L, S).
AXES = {"N": "n", "L": "length", "S": "style", "C": "category", "source": "source", "similarity": "similarity",
        "verbosity": "synthetic_verbosity"}  # fmt: skip
# Axes that change together with the compared one by construction: the study's style axis is s1 (s1K) vs s1.1
# (s1K-1.1), two sources.
COMPANIONS = {"S": ("source",)}
COMPARED_AXES = ("N", "L", "S", "C", "similarity")
# Order of each axis's values in paired contrasts: each contrast is a later value minus an earlier one.
VALUE_ORDER = ("short", "normal", "long", "gemini", "r1", "dissimilar", "none", "similar")
HOLDS = ("yes", "no", "inconclusive", "not testable")  # inconclusive: a paired CI straddles the claim


class AblationsError(ValueError):
    """Input the ablation analysis cannot use: missing folders or files, unknown questions, bad params."""


class AblationsParams(StageParams):
    """Parameters of the panel stage ``ablations`` (notebook 60_ablations)."""

    benchmark: str = "aime24"  # benchmark whose graded rows are analysed (tiers from the tiers stage)
    steps_benchmark: str = "synthetic_steps"  # benchmark of one-question-per-step rows (step decomposition)
    tier_column: Literal["study_tier", "rule_tier"] = "study_tier"  # column of the tiers stage's questions.csv
    base_models: list[str] = []  # base experiments/models (not SFT); empty: the tiers stage's base_models
    released_models: str = "data/released_models.yaml"  # axes of released models evaluated without curate; "": none
    reference_experiment: str = ""  # experiment whose axes are the reference setting; "": most common values
    mixed_categories: list[str] = ["diverse", "all"]  # categories that are mixes: equal on the C axis ("mix")
    step_pairs: dict[str, str] = {}  # steps experiment -> end-to-end experiment; {}: from the sample params
    unequal_n: Literal["error", "truncate"] = "error"  # unequal samples per question: fail, or first n_min
    confidence: float = 0.95  # two-sided level of every CI (metrics, paired differences, the scaling slope)
    medium_target: float = 0.9  # finding 1: study: at least 90% on Medium
    medium_min_n: int = 500  # finding 1: study: at least 500 normal or long R1 trajectories
    stability_tiers: list[str] = ["medium", "hard"]  # finding 2: tiers where potential and stability are compared
    coverage_min: float = 0.85  # finding 2: study: cov@8 about 90 (comparable to R1)
    stability_gap: float = 0.2  # finding 2: study: avg@8 lags cov@8 by more than 20 points
    scaling_tier: str = "hard"  # finding 3: tier whose accuracy is fitted on log10 N
    scaling_min_slope: float = 0.0  # finding 3: accuracy must rise by more than this per tenfold N
    scaling_min_sizes: int = Field(3, ge=2)  # finding 3: distinct sizes N needed (two points always fit a line)
    scaling_ci_above: bool = False  # finding 3: also require the slope's CI (when there is one) above that
    plateau: float = 0.65  # finding 3: study: Hard plateaus near 65% (reported beside the fit, not tested)
    category_center: float = 0.55  # finding 4: study: overall accuracy 55 +- 4% across categories
    category_tolerance: float = 0.04  # finding 4: half the max - min spread of categories must stay within this
    step_tiers: list[str] = ["hard"]  # finding 5: tiers of the parent questions in the step decomposition
    step_gap: float = 0.2  # finding 5: mean step accuracy must exceed end-to-end accuracy by at least this
    product_tolerance: float = 0.15  # finding 5: |end-to-end - product of step accuracies| within this
    exh_max: float = 0.0  # finding 6: study: every SFT-only model scores 0% on Exh

    @field_validator("base_models", "mixed_categories", "stability_tiers", "step_tiers", mode="before")
    @classmethod
    def _split_commas(cls, value):
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("medium_target", "coverage_min", "stability_gap", "plateau", "category_center",
                     "category_tolerance", "step_gap", "product_tolerance", "exh_max", "confidence")  # fmt: skip
    @classmethod
    def _fraction(cls, value: float) -> float:
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"thresholds are accuracies in [0, 1], got {value}")
        return value


# ---------------------------------------------------------------- loading


@dataclass
class AblationInputs:
    """What the analysis reads, checked: axes per experiment, graded rows, tiers, step rows and their pairing.

    The unit of analysis is the experiment, or the model where one experiment holds several (a folder of lm-eval
    logs): such rows carry the model name in the ``experiment`` column.
    """

    axes: pd.DataFrame  # experiment_axes.csv: one row per experiment with known axes
    graded: pd.DataFrame  # rows of params.benchmark, with an `experiment` column
    steps: pd.DataFrame  # rows of params.steps_benchmark, with an `experiment` column (maybe empty)
    tier_of: dict[str, str]  # question -> tier (params.tier_column of questions.csv)
    step_pairs: dict[str, str]  # steps experiment -> end-to-end experiment
    notes: list[str] = field(default_factory=list)
    roles: dict[str, str] = field(default_factory=dict)  # experiment -> base | sft | other


def _read_params_json(folder: Path) -> dict:
    path = folder / "params.json"
    if not path.is_file():
        raise AblationsError(f"{path}: no such file (every stage folder has one; was the stage run?)")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise AblationsError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(data.get("params"), dict):
        raise AblationsError(f"{path}: no 'params' mapping (expected the runner's params.json)")
    return data["params"]


def _most_common(values: pd.Series):
    # Ties go to the value seen first, so the reference does not depend on pandas' sort of mixed types.
    counts = values.value_counts(sort=False)
    return counts.index[int(np.argmax(counts.to_numpy()))]


def experiment_axes(
    curate_params: Mapping[str, Mapping], base: list[str], reference_experiment: str = "",
    mixed_categories: Sequence[str] = ("diverse", "all"), released: Mapping[str, str] | None = None,
) -> pd.DataFrame:  # fmt: skip
    """One row per experiment with known curate params: its value on every axis, role, and the axes it varies.

    ``varies`` lists the axes (``+``-joined) whose value differs from the reference setting: the most common
    value of each axis among SFT experiments, or ``reference_experiment``'s values. Categories in
    ``mixed_categories`` count as one value ("mix") when deciding what varies. ``released`` maps experiments
    whose params come from the released-models table to the hub id: their ``origin`` is "released", the
    others' "this run".
    """
    released = dict(released or {})
    rows = []
    for experiment, values in curate_params.items():
        missing = [f for f in AXES.values() if f not in values]
        if missing:
            raise AblationsError(f"experiment {experiment!r}: curate params lack {', '.join(missing)}")
        row = {"experiment": experiment, "role": "base" if experiment in base else "sft"}
        row.update({axis: values[name] for axis, name in AXES.items()})
        row["origin"] = "released" if experiment in released else "this run"
        row["axes_from"] = f"released model {released[experiment]}" if experiment in released else "curate stage"
        rows.append(row)
    columns = ["experiment", "role", *AXES, "C_group", "origin", "axes_from", "varies", "is_reference"]
    if not rows:
        return pd.DataFrame(columns=columns)
    table = pd.DataFrame(rows)
    table["N"] = table["N"].astype(int)
    table["C_group"] = table["C"].where(~table["C"].isin(list(mixed_categories)), "mix")
    sft = table[table["role"] == "sft"]
    keys = [a for a in AXES if a != "C"] + ["C_group"]
    if reference_experiment:
        if reference_experiment not in set(table["experiment"]):
            raise AblationsError(f"reference_experiment {reference_experiment!r} has no curate stage; experiments "
                                 f"with one: {', '.join(table['experiment'])}")  # fmt: skip
        reference = table.set_index("experiment").loc[reference_experiment, keys].to_dict()
    elif sft.empty:
        reference = {}
    else:
        reference = {k: _most_common(sft[k]) for k in keys}
    varies = []
    for _, row in table.iterrows():
        differ = [("C" if k == "C_group" else k) for k in keys if reference and row[k] != reference[k]]
        differ = [a for a in AXES if a in differ]
        varies.append("+".join(differ) if differ else ("reference" if reference else ""))
    table["varies"] = varies
    table["is_reference"] = table["varies"].eq("reference") & table["role"].eq("sft")
    return table[columns]


def _step_partner(steps_exp: str, sample_folder: str | None, revisions: Mapping[str, set[str]]) -> str | None:
    # The steps experiment samples another experiment's model: `model: "@sft_x/train/model"` in its sample params.
    if sample_folder:
        ref = StageReference.parse(_read_params_json(Path(sample_folder)).get("model"))
        if ref is not None:
            return ref.experiment
    own = revisions.get(steps_exp, set()) - {""}
    same = [exp for exp, revs in revisions.items() if exp != steps_exp and own & revs]
    return same[0] if len(same) == 1 else None


def _per_model_units(exp: str, frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    # One experiment, one model is the runner's shape; a folder of lm-eval logs ingested by one grade stage
    # holds the whole panel, and each model is its own unit of analysis, named by the model.
    models = frame["model"].astype(str).unique()
    if len(models) <= 1:
        return {exp: frame}
    return {model: rows.assign(experiment=model) for model, rows in frame.groupby(frame["model"].astype(str))}


def load_ablation_inputs(inputs: Mapping[str, Mapping[str, str]], params: AblationsParams) -> AblationInputs:
    """Read and check everything the analysis needs (fast; no bootstrap): curate params, graded tables, tiers.

    ``inputs`` is the runner's experiment -> {stage -> folder}; ``inputs["_panel"]["tiers"]`` is the tiers
    stage's folder. Errors name the experiment and the file. Axes come from each experiment's curate stage,
    else from ``params.released_models`` by model name.
    """
    panel = dict(inputs.get(PANEL, {}))
    experiments = {exp: dict(stages) for exp, stages in inputs.items() if exp != PANEL}
    if "tiers" not in panel:
        raise AblationsError("inputs['_panel'] has no 'tiers' folder: add tiers to the profile's panel list "
                             "before ablations (panel: [tiers, ablations])")  # fmt: skip
    tiers_dir = Path(panel["tiers"])
    questions_csv = tiers_dir / "questions.csv"
    if not questions_csv.is_file():
        raise AblationsError(f"{questions_csv}: no such file (the tiers stage writes it)")
    questions = pd.read_csv(questions_csv, dtype={"question_id": str}, keep_default_na=False)
    if params.tier_column not in questions.columns or "question_id" not in questions.columns:
        raise AblationsError(f"{questions_csv}: needs columns question_id and {params.tier_column}; "
                             f"has {', '.join(questions.columns)}")  # fmt: skip
    tier_of = {q: t for q, t in zip(questions["question_id"], questions[params.tier_column], strict=True) if t}
    if not tier_of:
        raise AblationsError(f"{questions_csv}: column {params.tier_column} is empty (no study lists for this "
                             f"benchmark? use tier_column rule_tier)")  # fmt: skip
    base = list(params.base_models)
    if not base and (tiers_dir / "params.json").is_file():
        base = list(_read_params_json(tiers_dir).get("base_models", []))

    table = released_models.load_released_models(params.released_models) if params.released_models else {}

    frames, revisions, notes = [], {}, []
    curate: dict[str, dict] = {}
    released: dict[str, str] = {}
    model_of: dict[str, str] = {}
    for exp, st in experiments.items():
        if "curate" in st:
            curate[exp] = _read_params_json(Path(st["curate"]))
        if "grade" not in st:
            continue
        frame = schema.read_table(Path(st["grade"]) / "graded.parquet", graded=True)
        frame = frame[frame["benchmark"].isin([params.benchmark, params.steps_benchmark])]
        if frame.empty:
            notes.append(f"{exp}: no graded rows of {params.benchmark} or {params.steps_benchmark}")
            continue
        units = _per_model_units(exp, frame.assign(experiment=exp))
        if len(units) > 1:
            notes.append(f"{exp}: {len(units)} models in one experiment, analysed one by one (experiment = model)")
            if "curate" in st:
                curate.update({unit: curate[exp] for unit in units})
                del curate[exp]
        for unit, rows in units.items():
            if unit in model_of or (unit != exp and unit in experiments):
                raise AblationsError(f"experiment {exp!r}: model {unit!r} is also the name of another experiment "
                                     f"or model of this run; rename one (sample.model_name)")  # fmt: skip
            model_of[unit] = str(rows["model"].iloc[0])
            revisions[unit] = set(rows["model_revision"].dropna().astype(str))
            frames.append(rows)
            found = released_models.find(table, model_of[unit]) if unit not in curate else None
            if found is not None:
                curate[unit] = found[1].curate.model_dump(mode="json")
                released[unit] = found[0]
    if released:
        notes.append(f"axes of {len(released)} released model(s) from {params.released_models}: "
                     f"{', '.join(sorted(set(released.values())))}")  # fmt: skip
    base_units = [u for u in [*experiments, *model_of] if u in base or model_of.get(u) in base]
    axes = experiment_axes(curate, base_units, params.reference_experiment, params.mixed_categories, released)
    axis_role = dict(zip(axes["experiment"], axes["role"], strict=True))
    roles = {u: "base" if u in base_units else axis_role.get(u, "other") for u in model_of}
    if not frames:
        raise AblationsError(f"no experiment has graded rows of benchmark {params.benchmark!r} (experiments: "
                             f"{', '.join(experiments) or 'none'})")  # fmt: skip
    rows = pd.concat(frames, ignore_index=True)
    rows["question_id"] = rows["question_id"].astype(str)
    graded = rows[rows["benchmark"] == params.benchmark]
    steps = rows[rows["benchmark"] == params.steps_benchmark]
    if graded.empty:
        raise AblationsError(f"no experiment has graded rows of benchmark {params.benchmark!r}, only of "
                             f"{params.steps_benchmark!r} (set ablations.benchmark)")  # fmt: skip
    unknown_base = sorted(set(params.base_models) - set(experiments) - set(graded["model"].astype(str)))
    if unknown_base:
        raise AblationsError(f"base_models {unknown_base} are neither experiments nor models of this run "
                             f"(experiments: {', '.join(experiments)})")  # fmt: skip
    for exp, sub in graded.groupby("experiment", sort=False):
        unknown = sorted(set(sub["question_id"]) - set(tier_of))
        if unknown:
            raise AblationsError(f"experiment {exp!r}: question(s) {', '.join(unknown[:10])} have no tier in "
                                 f"{questions_csv}")  # fmt: skip
    pairs = dict(params.step_pairs)
    for exp in steps["experiment"].unique():
        if exp not in pairs:
            partner = _step_partner(exp, experiments.get(exp, {}).get("sample"), revisions)
            if partner is None:
                notes.append(f"{exp}: step rows but no end-to-end experiment found; set step_pairs")
                continue
            pairs[exp] = partner
    for exp, partner in pairs.items():
        if partner not in set(graded["experiment"]):
            raise AblationsError(f"step_pairs: {exp!r} -> {partner!r}, but {partner!r} has no graded rows of "
                                 f"{params.benchmark}")  # fmt: skip
    return AblationInputs(axes, graded, steps, tier_of, pairs, notes, roles)


# ---------------------------------------------------------------- per experiment x tier


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
    columns = ["axis", "group", "value", "experiment", "model", "tier", "avg@n", "avg@n_ci_low", "avg@n_ci_high",
               "cov@n", "cov@n_ci_low", "cov@n_ci_high", "gap"]  # fmt: skip
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
        row = {"tier": tier, "n_points": len(sub), "n_sizes": int(np.unique(x).size), "n_min": int(sizes.min()),
               "n_max": int(sizes.max()), "slope": math.nan, "slope_ci_low": math.nan,
               "slope_ci_high": math.nan, "intercept": math.nan, "r2": math.nan, "p_value": math.nan}  # fmt: skip
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
        rows.append({"tier": tier, "n_categories": len(means), "min": means.min(), "max": means.max(),
                     "spread": means.max() - means.min(), "mean": means.mean(), "worst": means.idxmin(),
                     "best": means.idxmax()})  # fmt: skip
    return pd.DataFrame(rows, columns=["tier", "n_categories", "min", "max", "spread", "mean", "worst", "best"])


def step_decomposition(data: AblationInputs) -> pd.DataFrame:
    """One row per decomposed question: each step's accuracy, their mean, min and product, and end-to-end accuracy.

    Step question ids are ``<parent>.<step>``; the end-to-end accuracy is the paired experiment's accuracy on
    the parent question of the main benchmark.
    """
    columns = ["experiment", "end_to_end_experiment", "parent_id", "tier", "n_steps", "step_accuracy",
               "mean_step", "min_step", "product", "end_to_end"]  # fmt: skip
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
            rows.append({"experiment": exp, "end_to_end_experiment": partner, "parent_id": parent,
                         "tier": data.tier_of.get(parent, ""), "n_steps": len(steps),
                         "step_accuracy": " ".join(f"{v:.3f}" for v in steps), "mean_step": steps.mean(),
                         "min_step": steps.min(), "product": float(np.prod(steps.to_numpy())),
                         "end_to_end": float(e2e.get(parent, math.nan))})  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


# ---------------------------------------------------------------- findings


# The study's findings in its own terms (docs: STUDY.md "Findings to reproduce"); the thresholds that test them
# in this run are params, so a profile can move them without misquoting the study.
STUDY_SAYS = {
    1: "Easy -> Medium needs R1 long CoT: >= 500 normal or long R1 trajectories reach >= 90% on Medium in any "
    "category; fewer, shorter or Gemini-style trajectories do not",
    2: "small-SFT models reach cov@8 comparable to R1 (geometry-trained: about 90%) while avg@8 lags by more than "
    "20 points: instability, not missing ability",
    3: "Hard-tier accuracy grows about logarithmically with SFT data size and plateaus near 65% (10K-20K)",
    4: "across categories overall accuracy stays within 55 +- 4%; AIME-similar 1K beats random 1K on Hard by a few "
    "points (about 34% vs 28%), less than doubling the random set does",
    5: "Hard questions fail through compounding step errors: each sub-step is solved often (87-100%), the whole "
    "rarely (12.5%); end-to-end success is roughly the product of step successes",
    6: "Exh questions need an unconventional strategy; every SFT-only model scores 0% on them",
}


def _pct(x: float) -> str:
    return f"{x * 100:.0f}%" if pd.notna(x) else "n/a"


def _points(x: float) -> str:
    return f"{x * 100:.0f} points" if pd.notna(x) else "n/a"


def _finding(number: int, name: str, study: str, this_run: str, holds: bool | str | None) -> dict:
    """One row of findings.csv; ``holds``: yes, no, inconclusive (a paired CI straddles the claim) or not testable."""
    if holds is None:
        verdict = "not testable"
    elif isinstance(holds, str):
        verdict = holds
    else:
        verdict = "yes" if holds else "no"
    return {"finding": f"{number}. {name}", "study_says": study, "this_run": this_run, "holds": verdict}


def _contrast_rows(table: pd.DataFrame, axis: str, tier: str, metric: str = "avg@n") -> pd.DataFrame:
    if table.empty:
        return table
    return table[(table["axis"] == axis) & (table["tier"] == tier) & (table["metric"] == metric)]


def _contrast_text(row: Mapping) -> str:
    return f"{row['value']} - {row['versus']} {contrasts.describe(row)}"


def _tier_values(accuracy: pd.DataFrame, tier: str, role: str = "sft") -> pd.Series:
    rows = accuracy[(accuracy["tier"] == tier) & (accuracy["role"] == role)]
    return rows.set_index("experiment")["avg@n"]


def _long_r1(axes: pd.DataFrame, params: AblationsParams) -> pd.Series:
    """Finding 1's condition per experiment: >= medium_min_n normal or long R1 trajectories."""
    return (axes["S"] == "r1") & (axes["N"] >= params.medium_min_n) & axes["L"].isin(["normal", "long"])


def _qualifies(axes: pd.DataFrame, experiments: str, params: AblationsParams) -> bool:
    """Whether every experiment of a contrast side (comma-separated names) meets :func:`_long_r1`."""
    rows = axes[axes["experiment"].isin([e.strip() for e in experiments.split(",")])]
    return bool(not rows.empty and _long_r1(rows, params).all())


def finding_medium(accuracy: pd.DataFrame, axes: pd.DataFrame, params: AblationsParams,
                   pairs: pd.DataFrame | None = None) -> dict:  # fmt: skip
    """Finding 1: >= medium_min_n normal/long R1 trajectories reach medium_target on Medium; the others do not.

    The levels are compared with the study's bar as point estimates, as the study reports them; the
    comparison (qualifying minus not qualifying, like for like, on Medium) is read off paired CIs: the finding
    holds when every such difference is above 0, and is inconclusive when one straddles 0.
    """
    study = STUDY_SAYS[1]
    medium = _tier_values(accuracy, "medium")
    sft = axes[(axes["role"] == "sft") & axes["experiment"].isin(medium.index)]
    if medium.empty or sft.empty:
        return _finding(1, "Easy -> Medium needs R1 long CoT", study, "no SFT experiment with Medium questions", None)
    qualifies = _long_r1(sft, params)
    good, other = sft.loc[qualifies, "experiment"], sft.loc[~qualifies, "experiment"]
    if good.empty:
        return _finding(
            1,
            "Easy -> Medium needs R1 long CoT",
            study,
            f"no SFT experiment has >= {params.medium_min_n} normal/long R1 trajectories",
            None,
        )
    reach = medium[good] >= params.medium_target
    text = (f"{int(reach.sum())}/{len(good)} experiments with >= {params.medium_min_n} normal/long R1 trajectories "
            f"reach {_pct(params.medium_target)} on Medium (lowest {_pct(medium[good].min())}, "
            f"{medium[good].idxmin()})")  # fmt: skip
    levels_hold = bool(reach.all())
    if not other.empty:
        other_reach = medium[other] >= params.medium_target
        text += (f"; {int(other_reach.sum())}/{len(other)} with fewer, shorter or Gemini-style trajectories do "
                 f"(highest {_pct(medium[other].max())}, {medium[other].idxmax()})")  # fmt: skip
        levels_hold = levels_hold and not bool(other_reach.any())
    verdicts = []
    if pairs is not None and not pairs.empty:
        rows = pairs[(pairs["tier"] == "medium") & (pairs["metric"] == "avg@n") & (pairs["axis"] != "C")]
        rows = rows[[_qualifies(axes, r["experiments"], params) and not _qualifies(axes, r["versus_experiments"],
                     params) for _, r in rows.iterrows()]]  # fmt: skip
        if not rows.empty:
            text += "; paired differences on Medium: " + ", ".join(_contrast_text(r) for _, r in rows.iterrows())
            verdicts = [contrasts.verdict(r["ci_low"], r["ci_high"], above=0.0) for _, r in rows.iterrows()]
    holds = "no" if not levels_hold else contrasts.combine(verdicts)
    return _finding(1, "Easy -> Medium needs R1 long CoT", study, text + ".", holds)


def finding_stability(accuracy: pd.DataFrame, params: AblationsParams) -> dict:
    """Finding 2: some SFT experiment has cov@n >= coverage_min with avg@n lagging by more than stability_gap.

    The lag is a paired difference (cov@n - avg@n of one model on the same questions): yes when its CI is above
    stability_gap in some cell, inconclusive when the best cell's CI straddles it.
    """
    study = STUDY_SAYS[2]
    rows = accuracy[(accuracy["role"] == "sft") & accuracy["tier"].isin(params.stability_tiers)]
    if rows.empty:
        return _finding(2, "potential vs stability", study,
                        f"no SFT experiment has questions in {', '.join(params.stability_tiers)}", None)  # fmt: skip
    covered = rows[rows["cov@n"] >= params.coverage_min]
    verdicts = [contrasts.verdict(r["gap_ci_low"], r["gap_ci_high"], above=params.stability_gap)
                for _, r in covered.iterrows()]  # fmt: skip
    holds = "yes" if "yes" in verdicts else ("inconclusive" if "inconclusive" in verdicts else "no")
    top = rows.loc[rows["gap"].idxmax()]
    text = (
        f"largest cov@n - avg@n gap: {_points(top['gap'])} (CI {_points(top['gap_ci_low'])} to "
        f"{_points(top['gap_ci_high'])}; {top['experiment']}, {top['tier']}: cov@{top['n']} {_pct(top['cov@n'])}, "
        f"avg@{top['n']} {_pct(top['avg@n'])}); {verdicts.count('yes')} of {len(rows)} SFT experiment x tier cells "
        f"have cov@n >= {_pct(params.coverage_min)} and a gap whose paired CI is above {_points(params.stability_gap)}."
    )
    return _finding(2, "potential vs stability", study, text, holds)


def finding_scaling(fit: pd.DataFrame, params: AblationsParams, pairs: pd.DataFrame | None = None) -> dict:
    """Finding 3: accuracy of scaling_tier grows with log10 N (slope above scaling_min_slope).

    With a slope above it, the verdict is the paired CI of the largest N minus the smallest on that tier (same
    questions): yes above 0, inconclusive when it straddles 0."""
    study = STUDY_SAYS[3]
    row = fit[fit["tier"] == params.scaling_tier] if not fit.empty else fit
    if row.empty or pd.isna(row["slope"].iloc[0]) or row["n_sizes"].iloc[0] < params.scaling_min_sizes:
        sizes = int(row["n_sizes"].iloc[0]) if not row.empty else 0
        return _finding(3, "log-linear scaling with N", study,
                        f"{sizes} data size(s) of otherwise equal SFT experiments; the fit needs "
                        f"{params.scaling_min_sizes}", None)  # fmt: skip
    r = row.iloc[0]
    ci = (f"{r['slope_ci_low'] * 100:+.1f} to {r['slope_ci_high'] * 100:+.1f}" if pd.notna(r["slope_ci_low"])
          else "no CI with two sizes")  # fmt: skip
    top = r["intercept"] + r["slope"] * math.log10(r["n_max"])
    text = (f"slope {r['slope'] * 100:+.1f} points per tenfold N ({params.confidence:.0%} CI {ci}; {r['n_sizes']} "
            f"sizes {r['n_min']}..{r['n_max']}, R^2 {r['r2']:.2f}); fitted accuracy at N={r['n_max']} is "
            f"{_pct(top)} (study's plateau {_pct(params.plateau)}); holds when the slope exceeds "
            f"{params.scaling_min_slope * 100:+.1f} points.")  # fmt: skip
    ci_above = pd.notna(r["slope_ci_low"]) and r["slope_ci_low"] > params.scaling_min_slope
    if pd.notna(r["slope_ci_low"]) and not ci_above:
        text = text[:-1] + f" (the CI reaches {params.scaling_min_slope * 100:+.1f}: not significant)."
    if r["slope"] <= params.scaling_min_slope or (params.scaling_ci_above and not ci_above):
        return _finding(3, "log-linear scaling with N", study, text, "no")
    holds = "yes"
    rows = _contrast_rows(pairs, "N", params.scaling_tier) if pairs is not None else pd.DataFrame()
    rows = rows[rows["group"] == r["group"]] if not rows.empty and "group" in r else rows
    if not rows.empty:
        widest = rows.loc[[max(rows.index, key=lambda i: (float(rows.at[i, "value"]),
                                                          -float(rows.at[i, "versus"])))]].iloc[0]  # fmt: skip
        text = text[:-1] + (f"; on the same questions, N={widest['value']} minus N={widest['versus']}: "
                            f"{contrasts.describe(widest)}.")  # fmt: skip
        holds = contrasts.verdict(widest["ci_low"], widest["ci_high"], above=0.0)
    return _finding(3, "log-linear scaling with N", study, text, holds)


def finding_curation(
    spread: pd.DataFrame, fit: pd.DataFrame, params: AblationsParams, pairs: pd.DataFrame | None = None
) -> dict:
    """Finding 4: overall accuracy across categories within +- category_tolerance; similar data gains < doubling.

    The spread is read off the paired CI of the best minus the worst category over all questions: within the
    tolerance when the CI stays below 2 x category_tolerance, inconclusive when it straddles it. The
    AIME-similar gain on Hard is a paired difference too (similar minus random data), compared with the gain
    the fitted slope gives for doubling N.
    """
    study = STUDY_SAYS[4]
    overall = spread[spread["tier"] == ALL_TIERS] if not spread.empty else spread
    if overall.empty or overall["n_categories"].iloc[0] < 2:
        return _finding(
            4, "curation buys little", study, "fewer than two categories of otherwise equal SFT data", None
        )
    r = overall.iloc[0]
    text = (f"overall avg@n across {r['n_categories']} categories spans {_pct(r['min'])} ({r['worst']}) to "
            f"{_pct(r['max'])} ({r['best']}), i.e. {_pct(r['mean'])} +- {_pct(r['spread'] / 2)}")  # fmt: skip
    verdicts = ["yes" if r["spread"] / 2 <= params.category_tolerance + 1e-12 else "no"]
    rows = _contrast_rows(pairs, "C", ALL_TIERS) if pairs is not None else pd.DataFrame()
    best_worst = rows[rows[["value", "versus"]].isin([r["best"], r["worst"]]).all(axis=1)] if len(
        rows) else rows  # fmt: skip
    if not best_worst.empty:
        row = best_worst.iloc[0]
        sign = 1.0 if row["value"] == r["best"] else -1.0
        low, high = sorted([sign * row["ci_low"], sign * row["ci_high"]])
        text += (f"; best minus worst, paired: {sign * row['difference'] * 100:+.0f} points (CI {low * 100:+.0f} "
                 f"to {high * 100:+.0f})")  # fmt: skip
        verdicts = [contrasts.verdict(low, high, below=2 * params.category_tolerance + 1e-12)]
    similar = _contrast_rows(pairs, "similarity", "hard") if pairs is not None else pd.DataFrame()
    similar = similar[(similar["value"] == "similar") & (similar["versus"] == "none")] if len(
        similar) else similar  # fmt: skip
    hard_fit = fit[fit["tier"] == "hard"] if not fit.empty else fit
    if not similar.empty:
        row = similar.iloc[0]
        text += f"; AIME-similar data vs random on Hard, paired: {contrasts.describe(row)}"
        if not hard_fit.empty and pd.notna(hard_fit["slope"].iloc[0]):
            doubling = hard_fit["slope"].iloc[0] * math.log10(2)
            text += f", doubling N: {doubling * 100:+.1f} points"
            verdicts.append(contrasts.verdict(row["ci_low"], row["ci_high"], below=doubling))
    text += f"; holds when the categories stay within +- {_points(params.category_tolerance)} of their midpoint"
    return _finding(4, "curation buys little", study, text + ".", contrasts.combine(verdicts))


def finding_steps(steps: pd.DataFrame, params: AblationsParams) -> dict:
    """Finding 5: steps solved far more often than the whole (step_gap), whole ~ product of steps."""
    study = STUDY_SAYS[5]
    rows = steps[steps["tier"].isin(params.step_tiers) & steps["end_to_end"].notna()] if not steps.empty else steps
    if rows.empty:
        return _finding(5, "step errors compound", study,
                        f"no step decomposition of {', '.join(params.step_tiers)} questions "
                        f"(sample the {params.steps_benchmark} benchmark with an SFT model)", None)  # fmt: skip
    step, whole, product = rows["mean_step"].mean(), rows["end_to_end"].mean(), rows["product"].mean()
    holds = bool(step - whole >= params.step_gap and abs(whole - product) <= params.product_tolerance)
    text = (f"over {len(rows)} decomposed {'/'.join(params.step_tiers)} questions: steps solved {_pct(step)} of the "
            f"time on average, the whole {_pct(whole)}, product of step accuracies {_pct(product)}; holds when steps "
            f"beat the whole by >= {_points(params.step_gap)} and the whole is within "
            f"{_points(params.product_tolerance)} of the product.")  # fmt: skip
    return _finding(5, "step errors compound", study, text, holds)


def finding_exh(accuracy: pd.DataFrame, params: AblationsParams) -> dict:
    """Finding 6: every SFT experiment stays at or below exh_max on Exh (strategy similarity is not tested)."""
    study = STUDY_SAYS[6]
    exh = _tier_values(accuracy, "exh")
    if exh.empty:
        return _finding(6, "Exh stays out of reach", study, "no SFT experiment has Exh questions", None)
    easier = accuracy[(accuracy["role"] == "sft") & accuracy["tier"].isin(TIER_ORDER[:-1])]["avg@n"]
    if easier.empty or easier.max() <= params.exh_max:
        # Zero on Exh says nothing when the models solve nothing else either.
        return _finding(
            6,
            "Exh stays out of reach",
            study,
            f"SFT experiments score at most {_pct(params.exh_max)} on every tier: uninformative",
            None,
        )
    holds = bool((exh <= params.exh_max + 1e-12).all())
    text = (
        f"{int((exh <= params.exh_max + 1e-12).sum())}/{len(exh)} SFT experiments score <= {_pct(params.exh_max)} "
        f"on Exh (highest {_pct(exh.max())}, {exh.idxmax()}); strategy similarity needs a judge, not tested."
    )
    return _finding(6, "Exh stays out of reach", study, text, holds)


# ---------------------------------------------------------------- the whole analysis


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
    findings: pd.DataFrame  # findings.csv
    notes: list[str] = field(default_factory=list)


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
    findings = pd.DataFrame([
        finding_medium(accuracy, data.axes, params, pairs),
        finding_stability(accuracy, params),
        finding_scaling(scaling, params, pairs),
        finding_curation(categories, scaling, params, pairs),
        finding_steps(steps, params),
        finding_exh(accuracy, params),
    ])  # fmt: skip
    notes = list(data.notes)
    if data.axes.empty:
        notes.append("no experiment has a curate stage: axes unknown, axis comparisons empty")
    return AblationAnalysis(
        params, data.axes, accuracy, comparisons, pairs, scaling, categories, steps, findings, notes
    )


# ---------------------------------------------------------------- figures


def _empty_figure(message: str, out_dir, name: str) -> Figure:
    fig = Figure(figsize=(6, 2), layout="constrained")
    ax = fig.subplots()
    ax.text(0.5, 0.5, message, ha="center", va="center")
    ax.set_axis_off()
    plots.save_figure(fig, out_dir, name)
    return fig


def plot_accuracy_vs_n(analysis: AblationAnalysis, out_dir: str | Path | None = None) -> Figure:
    """avg@n per tier against N (log scale) for the N comparison, with CIs and the log-linear fit per tier."""
    group = main_group(analysis.comparisons["N"])
    if group.empty:
        return _empty_figure("no experiments differ only in N", out_dir, "accuracy_vs_n")
    fig = Figure(figsize=(6.5, 4.2), layout="constrained")
    ax = fig.subplots()
    for tier in plots.tiers_in(group):
        sub = group[group["tier"] == tier]
        x = sub["value"].astype(float).to_numpy()
        y = sub["avg@n"].to_numpy() * 100
        err = plots.error_bars(sub)
        color = plots.TIER_COLORS.get(tier, "#333333")
        ax.errorbar(x, y, yerr=err, fmt="o", color=color, capsize=2,
                    label=plots.TIER_LABELS.get(tier, tier))  # fmt: skip
        fit = analysis.scaling[analysis.scaling["tier"] == tier]
        if not fit.empty and pd.notna(fit["slope"].iloc[0]):
            grid = np.geomspace(x.min(), x.max(), 50)
            ax.plot(grid, (fit["intercept"].iloc[0] + fit["slope"].iloc[0] * np.log10(grid)) * 100, color=color,
                    lw=1.2, ls="--")  # fmt: skip
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
        return _empty_figure(f"no experiments differ only in {axis}", out_dir, name)
    tiers_here = plots.tiers_in(group)
    bars = group.groupby(["value", "experiment"], sort=False).size().index.tolist()
    width = 0.8 / max(len(bars), 1)
    fig = Figure(figsize=(max(6.0, 1.4 * len(tiers_here) + 0.2 * len(bars) * len(tiers_here)), 4.0),
                 layout="constrained")  # fmt: skip
    ax = fig.subplots()
    palette = sns.color_palette("tab10" if len(bars) <= 10 else "husl", len(bars))
    for i, (value, exp) in enumerate(bars):
        sub = group[(group["value"] == value) & (group["experiment"] == exp)].set_index("tier").reindex(tiers_here)
        y = sub["avg@n"].to_numpy() * 100
        err = plots.error_bars(sub)
        x = np.arange(len(tiers_here)) - 0.4 + width * (i + 0.5)
        ax.bar(x, y, width, yerr=err, capsize=2, color=palette[i],
               label=f"{axis}={value} ({exp})")  # fmt: skip
    ax.set_xticks(np.arange(len(tiers_here)), [plots.TIER_LABELS.get(t, t) for t in tiers_here])
    ax.set_ylim(0, 105)
    ax.set_ylabel("avg@n (%)")
    ax.set_title(f"{axis} axis: {group['group'].iloc[0]}")
    ax.legend(fontsize=8)
    plots.save_figure(fig, out_dir, name)
    return fig


def plot_category_spread(analysis: AblationAnalysis, out_dir: str | Path | None = None) -> Figure:
    """Overall avg@n per category (replicates as dots, mean as bar) with the study's band center +- tolerance."""
    group = main_group(analysis.comparisons["C"])
    if group.empty:
        return _empty_figure("no experiments differ only in category", out_dir, "category_spread")
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
        ax.errorbar(np.full(len(sub), i), y, yerr=err, fmt="o", color="#08519c",
                    capsize=2)  # fmt: skip
    mid, tol = analysis.params.category_center * 100, analysis.params.category_tolerance * 100
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
        return _empty_figure("no step decomposition in this run", out_dir, "step_decomposition")
    fig = Figure(figsize=(5.0, 4.2), layout="constrained")
    ax = fig.subplots()
    ax.plot([0, 100], [0, 100], color="#999999", lw=0.8, ls="--")
    for tier in [t for t in TIER_ORDER if t in set(steps["tier"])] or [""]:
        sub = steps[steps["tier"] == tier]
        ax.scatter(sub["product"] * 100, sub["end_to_end"] * 100, color=plots.TIER_COLORS.get(tier, "#333333"),
                   label=plots.TIER_LABELS.get(tier, tier or "untiered"))  # fmt: skip
        ax.scatter(sub["product"] * 100, sub["mean_step"] * 100, marker="_", color="#333333")
    ax.set_xlim(-3, 103)
    ax.set_ylim(-3, 103)
    ax.set_xlabel("product of step accuracies (%)")
    ax.set_ylabel("end-to-end accuracy (%); dash: mean step")
    ax.set_title("Step decomposition")
    ax.legend(fontsize=8)
    plots.save_figure(fig, out_dir, "step_decomposition")
    return fig


# ---------------------------------------------------------------- writing


def save_ablation_tables(analysis: AblationAnalysis, out_dir: str | Path) -> dict[str, Path]:
    """Write experiment_axes.csv, accuracy_by_tier.csv, contrasts.csv, axis_<X>.csv, scaling_fit.csv, category_spread.csv,
    step_decomposition.csv and findings.csv into ``out_dir``; returns name -> path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = {"experiment_axes": analysis.axes, "accuracy_by_tier": analysis.accuracy, "contrasts": analysis.contrasts,
              "scaling_fit": analysis.scaling, "category_spread": analysis.categories,
              "step_decomposition": analysis.steps, "findings": analysis.findings,
              **{f"axis_{axis}": table for axis, table in analysis.comparisons.items()}}  # fmt: skip
    written = {}
    for name, frame in tables.items():
        written[name] = out / f"{name}.csv"
        frame.to_csv(written[name], index=False)
    return written


def save_ablation_figures(analysis: AblationAnalysis, out_dir: str | Path) -> dict[str, Path]:
    """Draw every figure of the ablations report and save each as PNG into ``out_dir``."""
    out = Path(out_dir)
    plot_accuracy_vs_n(analysis, out)
    plot_axis_bars(analysis, "L", out)
    plot_axis_bars(analysis, "S", out)
    plot_category_spread(analysis, out)
    plot_stability(analysis, out)
    plot_steps(analysis, out)
    names = ["accuracy_vs_n", "axis_L", "axis_S", "category_spread", "ablation_potential_vs_stability",
             "step_decomposition"]  # fmt: skip
    return {name: out / f"{name}.png" for name in names}


def write_ablation_report(analysis: AblationAnalysis, out_dir: str | Path) -> dict[str, Path]:
    """Write every table (CSV) and figure (PNG) of the report into ``out_dir``; returns name -> path."""
    return {**save_ablation_tables(analysis, out_dir), **save_ablation_figures(analysis, out_dir)}
