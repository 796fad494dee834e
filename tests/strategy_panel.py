"""A small graded panel on real mini-ladder questions whose strategies are known, and the tiers stage run on it:
the input of the strategy stage's tests (``tests/test_strategies.py``, ``tests/test_strategy_judge.py``).

Models (n samples each, written by ``ladder.synthetic_trajectories`` from each question's true chain):

* ``base``: answers in one line, the first operation only;
* ``copycat`` (SFT): the teacher's R1-style trajectory with re-checks, every operation of the chain, except on
  Exh where it stops before the unseen operation;
* ``gemini`` (SFT): the same chain in Gemini style (equations on one line): the same strategy, other words;
* ``drifter`` (SFT): every other sample replaces the chain's last operation by "+ 1": diverse, often wrong;
* ``finder`` (SFT): like copycat, but on Exh it performs the unseen operation: the intended strategy.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd

from ladder import schema, synthetic, tiers
from ladder.params import PANEL
from ladder.synthetic import Step
from ladder.synthetic_trajectories import trajectory
from tests.simulated_panel import simulate_graded

PER_LEVEL = {"easy": 2, "medium": 3, "hard": 2, "exh": 2}
QUESTIONS = [  # the first questions of each level: 2 easy, 3 medium, 2 hard, 2 exh
    p.problem_id
    for level, count in PER_LEVEL.items()
    for p in [p for p in synthetic.evaluation_problems() if p.level == level][:count]
]
EXH = QUESTIONS[-PER_LEVEL["exh"] :]
N_SAMPLES = 2
SFT = ["copycat", "gemini", "drifter", "finder"]


def _response(model: str, problem: synthetic.Problem, sample: int) -> str:
    steps = problem.steps
    if model == "base":
        return f"{steps[0].equation}, so the answer is \\boxed{{{steps[0].result}}}."
    if problem.level == "exh" and model != "finder":
        steps = steps[:-1]
    if model == "drifter" and sample % 2 == 1:
        last = steps[-1]
        steps = (*steps[:-1], Step("add", last.a, 1, last.a + 1))
    shown = replace(problem, steps=steps, clauses=problem.clauses[: len(steps)])
    style = "gemini" if model == "gemini" else "r1"
    return trajectory(shown, "rechecks" if style == "r1" else "steps", style)


def graded_panel() -> pd.DataFrame:
    """Graded rows of the five models on :data:`QUESTIONS` (schema-valid; correct = the chain's answer boxed)."""
    problems = {p.problem_id: p for p in synthetic.evaluation_problems()}
    models = ["base", *SFT]
    frame = simulate_graded(
        dict.fromkeys(models, 0.0), dict.fromkeys(QUESTIONS, 0.0), N_SAMPLES, benchmark="synthetic"
    )
    responses = [
        _response(m, problems[q], int(s))
        for m, q, s in zip(frame["model"], frame["question_id"], frame["sample_idx"], strict=True)
    ]
    gold = [str(problems[q].answer) for q in frame["question_id"]]
    answers = [r.rsplit("\\boxed{", 1)[1].split("}")[0] for r in responses]
    frame = frame.assign(response=responses, gold=gold, extracted_answer=answers)
    frame["correct"] = frame["extracted_answer"] == frame["gold"]
    return schema.conform_graded(frame, "<strategy panel>")


def write_panel(root: Path) -> dict[str, dict[str, str]]:
    """The panel written as the runner would (one grade folder per model, the tiers stage's folder); ``inputs``."""
    graded = graded_panel()
    inputs: dict[str, dict[str, str]] = {}
    for model, rows in graded.groupby("model"):
        folder = root / str(model) / "grade"
        schema.write_table(rows, folder / "graded.parquet")
        inputs[str(model)] = {"grade": str(folder)}
    params = tiers.TiersParams(benchmark="synthetic", base_models=["base"], sft_models=SFT, n_bootstrap=0, ks=[2])
    tiers_dir = root / "_panel" / "tiers"
    tiers.save_tier_tables(tiers.analyse_panel(graded, params), tiers_dir)
    (tiers_dir / "params.json").write_text(json.dumps({"params": params.model_dump(mode="json")}))
    inputs[PANEL] = {"tiers": str(tiers_dir)}
    return inputs
