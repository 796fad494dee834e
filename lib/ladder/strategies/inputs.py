"""What the strategy analysis reads, checked: the panel's samples, the tiers, the roles and the reference.

The samples are the tiers stage's panel (every experiment's graded table, plus the tiers stage's
``graded_files``), reduced to ``params.benchmark``; tiers and roles come from the tiers stage's folder
(``questions.csv``, ``params.json``). Errors name the file or the param, before anything is embedded or judged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ladder import tiers
from ladder.params import PANEL
from ladder.strategies.exact import chain_strategy, parse_strategy, write
from ladder.strategies.params import SOLUTION, StrategiesError, StrategiesParams
from ladder.strategies.traces import reasoning_trace, reference_solutions, synthetic_problems
from ladder.synthetic import Problem

SAMPLE_COLUMNS = ["model", "role", "question_id", "tier", "sample_idx", "response", "trace", "correct", "strategy"]


@dataclass
class StrategyInputs:
    """The samples to compare (one row per model x question x sample, with trace and, on synthetic benchmarks,
    exact strategy), the reference's rows in the same columns, and what names them."""

    samples: pd.DataFrame  # SAMPLE_COLUMNS, the compared models only
    reference: pd.DataFrame  # SAMPLE_COLUMNS: the reference model's samples, or one row per question (solution)
    reference_name: str  # the reference model, or "solution"
    tier_of: dict[str, str]
    problems: dict[str, Problem]  # synthetic benchmarks: question -> problem with its true chain; else {}
    notes: list[str] = field(default_factory=list)

    @property
    def exact(self) -> bool:
        """Whether exact strategies are known (the synthetic mini-ladder)."""
        return bool(self.problems)


def _tiers_params(folder: Path) -> dict:
    path = folder / "params.json"
    if not path.is_file():
        raise StrategiesError(f"{path}: no such file (the tiers stage writes it; was it run?)")
    try:
        return dict(json.loads(path.read_text()).get("params", {}))
    except json.JSONDecodeError as exc:
        raise StrategiesError(f"{path}: not valid JSON: {exc}") from exc


def _tier_of(folder: Path, column: str) -> dict[str, str]:
    path = folder / "questions.csv"
    if not path.is_file():
        raise StrategiesError(f"{path}: no such file (the tiers stage writes it)")
    questions = pd.read_csv(path, dtype={"question_id": str}, keep_default_na=False)
    if column not in questions.columns or "question_id" not in questions.columns:
        raise StrategiesError(f"{path}: needs columns question_id and {column}; has {', '.join(questions.columns)}")
    return {q: t for q, t in zip(questions["question_id"], questions[column], strict=True) if t}


def _rows(graded: pd.DataFrame, tier_of: Mapping[str, str], roles: Mapping[str, str], problems: dict) -> pd.DataFrame:
    frame = graded.assign(
        model=graded["model"].astype(str),
        question_id=graded["question_id"].astype(str),
        role=[roles.get(str(m), "other") for m in graded["model"]],
        tier=[tier_of.get(str(q), "") for q in graded["question_id"]],
        trace=[reasoning_trace(r) for r in graded["response"]],
        correct=graded["correct"].astype(bool),
    )
    frame["strategy"] = [write(parse_strategy(r)) for r in frame["response"]] if problems else ""
    return (
        frame[SAMPLE_COLUMNS].sort_values(["model", "question_id", "sample_idx"], kind="stable").reset_index(drop=True)
    )


def text_row(model: str, role: str, question: str, tier: str, response: str, strategy: str) -> dict:
    """One text that is not a sampled answer (a reference solution, an intended strategy) in the samples' columns."""
    return {
        "model": model,
        "role": role,
        "question_id": question,
        "tier": tier,
        "sample_idx": 0,
        "response": response,
        "trace": reasoning_trace(response),
        "correct": True,
        "strategy": strategy,
    }


def _solution_rows(params: StrategiesParams, questions: list[str], tier_of, problems) -> pd.DataFrame:
    solutions = reference_solutions(params.benchmark, params.benchmark_path)
    missing = sorted(set(questions) - set(solutions))
    if missing:
        raise StrategiesError(
            f"reference 'solution': benchmark {params.benchmark!r} has no solution for question(s) {', '.join(missing[:10])}"
        )
    rows = [
        text_row(
            SOLUTION,
            "reference",
            q,
            tier_of.get(q, ""),
            solutions[q],
            write(chain_strategy(problems[q])) if problems else "",
        )
        for q in questions
    ]
    return pd.DataFrame(rows, columns=SAMPLE_COLUMNS)


def load_strategy_inputs(inputs: Mapping[str, Mapping[str, str]], params: StrategiesParams) -> StrategyInputs:
    """Read and check the panel's samples, tiers, roles and reference (fast: nothing embedded or judged yet).

    ``inputs`` is the runner's experiment -> {stage -> folder}; ``inputs["_panel"]["tiers"]`` is the tiers stage.
    """
    panel = dict(inputs.get(PANEL, {}))
    if "tiers" not in panel:
        raise StrategiesError(
            "inputs['_panel'] has no 'tiers' folder: add tiers before strategies to the profile's panel list "
            "(panel: [tiers, strategies, ablations])"
        )
    tiers_dir = Path(panel["tiers"])
    tier_params = _tiers_params(tiers_dir)
    tier_of = _tier_of(tiers_dir, params.tier_column)
    experiments = {exp: stages for exp, stages in inputs.items() if exp != PANEL}
    graded = tiers.load_panel(experiments, tier_params.get("graded_files", []))
    present = sorted(graded["benchmark"].astype(str).unique())
    graded = graded[graded["benchmark"].astype(str) == params.benchmark]
    if graded.empty:
        raise StrategiesError(
            f"no graded rows of benchmark {params.benchmark!r}; benchmarks present: {', '.join(present)}"
        )
    panel_models = sorted(graded["model"].astype(str).unique())
    roles = {m: "base" for m in tier_params.get("base_models", [])}
    roles.update({m: "sft" for m in tier_params.get("sft_models", [])})
    roles.update({m: "reference" for m in tier_params.get("reference_models", [])})
    models = list(params.models) or [m for m in panel_models if roles.get(m) in ("base", "sft")]
    unknown = [m for m in models if m not in panel_models]
    if unknown:
        raise StrategiesError(f"models: {unknown} not in the panel; models present: {', '.join(panel_models)}")
    if not models:
        raise StrategiesError(
            f"no models to compare: set strategies.models, or base_models/sft_models of the tiers stage "
            f"(models present: {', '.join(panel_models)})"
        )
    reference = params.reference or next(iter(tier_params.get("reference_models", [])), SOLUTION)
    if reference != SOLUTION and reference not in panel_models:
        raise StrategiesError(
            f"reference: {reference!r} is not in the panel (models present: {', '.join(panel_models)}); "
            f"name a panel model or '{SOLUTION}'"
        )
    models = [m for m in models if m != reference]  # the reference is not compared with itself
    problems = synthetic_problems(params.benchmark)
    unknown_q = sorted(set(graded["question_id"].astype(str)) - set(tier_of))
    notes = []
    if unknown_q:
        notes.append(f"{len(unknown_q)} question(s) without a tier left out: {', '.join(unknown_q[:10])}")
        graded = graded[graded["question_id"].astype(str).isin(tier_of)]
    samples = _rows(graded[graded["model"].astype(str).isin(models)], tier_of, roles, problems)
    if reference == SOLUTION:
        ref_rows = _solution_rows(params, sorted(samples["question_id"].unique()), tier_of, problems)
        notes.append(
            "reference: the benchmark's reference solutions"
            + (" (the teacher's R1-style trajectories of the true chains)" if problems else "")
        )
    else:
        ref_rows = _rows(graded[graded["model"].astype(str) == reference], tier_of, roles, problems)
        ref_rows["role"] = "reference"
        notes.append(f"reference: the samples of {reference}")
    return StrategyInputs(samples, ref_rows, reference, tier_of, problems, notes)
