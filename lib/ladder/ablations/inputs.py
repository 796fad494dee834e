"""What the ablations read, checked: each experiment's axes, its graded rows, the tiers, the step rows.

Axes come from each experiment's curate stage (``params.json``), or for a released model evaluated without one
(by hub id, or in a folder of the study's lm-eval logs) from ``data/released_models.yaml``
(:mod:`ladder.released_models`). An experiment holding several models (a log folder) is analysed model by model.
Errors name the experiment and the file, before any analysis runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ladder import released_models, schema
from ladder.ablations.axes import experiment_axes
from ladder.ablations.params import AblationsError, AblationsParams
from ladder.params import PANEL, StageReference


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
    strategies: pd.DataFrame = field(default_factory=pd.DataFrame)  # the strategies stage's strategy_by_tier.csv
    exh_strategies: pd.DataFrame = field(default_factory=pd.DataFrame)  # its exh_strategy_match.csv


def _strategy_tables(panel: Mapping[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    # The strategies stage runs before this one when the profile lists it; without it, finding 6's strategy parts
    # say they were not measured.
    if "strategies" not in panel:
        return pd.DataFrame(), pd.DataFrame()
    tables = []
    for name in ("strategy_by_tier", "exh_strategy_match"):
        path = Path(panel["strategies"]) / f"{name}.csv"
        if not path.is_file():
            raise AblationsError(f"{path}: no such file (the strategies stage writes it)")
        tables.append(
            pd.read_csv(path, dtype={"question_id": str, "model": str}, keep_default_na=False, na_values=[""])
        )
    return tables[0], tables[1]


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
        raise AblationsError(
            "inputs['_panel'] has no 'tiers' folder: add tiers to the profile's panel list "
            "before ablations (panel: [tiers, ablations])"
        )
    tiers_dir = Path(panel["tiers"])
    questions_csv = tiers_dir / "questions.csv"
    if not questions_csv.is_file():
        raise AblationsError(f"{questions_csv}: no such file (the tiers stage writes it)")
    questions = pd.read_csv(questions_csv, dtype={"question_id": str}, keep_default_na=False)
    if params.tier_column not in questions.columns or "question_id" not in questions.columns:
        raise AblationsError(
            f"{questions_csv}: needs columns question_id and {params.tier_column}; has {', '.join(questions.columns)}"
        )
    tier_of = {q: t for q, t in zip(questions["question_id"], questions[params.tier_column], strict=True) if t}
    if not tier_of:
        raise AblationsError(
            f"{questions_csv}: column {params.tier_column} is empty (no study lists for this "
            f"benchmark? use tier_column rule_tier)"
        )
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
                raise AblationsError(
                    f"experiment {exp!r}: model {unit!r} is also the name of another experiment "
                    f"or model of this run; rename one (sample.model_name)"
                )
            model_of[unit] = str(rows["model"].iloc[0])
            revisions[unit] = set(rows["model_revision"].dropna().astype(str))
            frames.append(rows)
            found = released_models.find(table, model_of[unit]) if unit not in curate else None
            if found is not None:
                curate[unit] = found[1].curate.model_dump(mode="json")
                released[unit] = found[0]
    if released:
        notes.append(
            f"axes of {len(released)} released model(s) from {params.released_models}: "
            f"{', '.join(sorted(set(released.values())))}"
        )
    base_units = [u for u in [*experiments, *model_of] if u in base or model_of.get(u) in base]
    axes = experiment_axes(curate, base_units, params.reference_experiment, params.mixed_categories, released)
    axis_role = dict(zip(axes["experiment"], axes["role"], strict=True))
    roles = {u: "base" if u in base_units else axis_role.get(u, "other") for u in model_of}
    if not frames:
        raise AblationsError(
            f"no experiment has graded rows of benchmark {params.benchmark!r} (experiments: "
            f"{', '.join(experiments) or 'none'})"
        )
    rows = pd.concat(frames, ignore_index=True)
    rows["question_id"] = rows["question_id"].astype(str)
    graded = rows[rows["benchmark"] == params.benchmark]
    steps = rows[rows["benchmark"] == params.steps_benchmark]
    if graded.empty:
        raise AblationsError(
            f"no experiment has graded rows of benchmark {params.benchmark!r}, only of "
            f"{params.steps_benchmark!r} (set ablations.benchmark)"
        )
    unknown_base = sorted(set(params.base_models) - set(experiments) - set(graded["model"].astype(str)))
    if unknown_base:
        raise AblationsError(
            f"base_models {unknown_base} are neither experiments nor models of this run "
            f"(experiments: {', '.join(experiments)})"
        )
    for exp, sub in graded.groupby("experiment", sort=False):
        unknown = sorted(set(sub["question_id"]) - set(tier_of))
        if unknown:
            raise AblationsError(
                f"experiment {exp!r}: question(s) {', '.join(unknown[:10])} have no tier in {questions_csv}"
            )
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
            raise AblationsError(
                f"step_pairs: {exp!r} -> {partner!r}, but {partner!r} has no graded rows of {params.benchmark}"
            )
    strategies, exh_strategies = _strategy_tables(panel)
    return AblationInputs(axes, graded, steps, tier_of, pairs, notes, roles, strategies, exh_strategies)
