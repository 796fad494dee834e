"""The mini-ladder's health numbers: per-step accuracy in the trace format, levels, SFT losses."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from ladder import calibration, synthetic, synthetic_trajectories


def _multi_step(n_steps: int) -> synthetic.Problem:
    return next(p for p in synthetic.evaluation_problems() if p.n_steps == n_steps and p.level != "exh")


@pytest.mark.parametrize("style", synthetic_trajectories.STYLES)
@pytest.mark.parametrize(("verbosity", "error_rate"), [("steps", 0.0), ("rechecks", 0.0), ("rechecks", 0.5)])
def test_a_correct_trace_scores_every_step(style, verbosity, error_rate):
    problem = _multi_step(6)
    response = synthetic_trajectories.trajectory(problem, verbosity, style, error_rate)
    assert ("Redo:" in response) == (error_rate > 0 and style == "r1")  # a redone slip counts as its redo
    assert calibration.trace_equations(response) == [s.equation for s in problem.steps]
    assert calibration.step_outcomes(response, problem) == ["ok"] * 6


def test_a_wrong_step_ends_the_count_and_says_what_went_wrong():
    problem = _multi_step(6)
    right = synthetic_trajectories.trajectory(problem, "steps", "r1")
    first, second = problem.steps[0], problem.steps[1]
    slip = right.replace(f": {second.equation}.", f": {second.a} {second.operation} = {second.result + 1}.", 1)
    misread = right.replace(f": {second.equation}.", f": {second.a} + 7 = {second.a + 7}.", 1)
    assert calibration.step_outcomes(slip, problem) == ["ok", "arithmetic"]
    if second.operation != "+ 7":
        assert calibration.step_outcomes(misread, problem) == ["ok", "misread"]
    stopped = f"<think>\nStep 1: {problem.clauses[0]}: {first.equation}.\n</think>\n\nThe answer is \\boxed{{{first.result}}}."
    assert calibration.step_outcomes(stopped, problem) == ["ok", "missing"]
    assert calibration.step_outcomes("The answer is \\boxed{3}.", problem) == ["missing"]


def test_step_accuracy_counts_multi_step_questions_only():
    problems = synthetic.evaluation_problems()
    rows = []
    for p in problems:
        response = synthetic_trajectories.trajectory(p, "steps", "r1")
        if p.level == "hard":  # every hard trace wrong at its first step
            response = response.replace(f": {p.steps[0].equation}.", ": 1 + 1 = 2.", 1)
        rows.append({"question_id": p.problem_id, "response": response})
    result = calibration.step_accuracy(pd.DataFrame(rows), problems)
    medium_steps = sum(p.n_steps for p in problems if p.level == "medium")
    hard = sum(p.level == "hard" for p in problems)
    assert result["steps_scored"] == medium_steps + hard  # easy and exh left out
    assert result["per_step_accuracy"] == pytest.approx(medium_steps / (medium_steps + hard))
    assert result["misread"] == pytest.approx(hard / (medium_steps + hard)) and result["arithmetic"] == 0


def test_level_table_reads_a_graded_frame():
    evalset = synthetic.evaluation_set()
    graded = pd.DataFrame(
        {
            "question_id": list(evalset["question_id"]) * 2,
            "correct": [level == "easy" for level in evalset["level"]] * 2,
            "finish_reason": ["stop"] * (2 * len(evalset)),
            "extracted_answer": ["1"] * (2 * len(evalset) - 1) + [None],
        }
    )
    table = calibration.level_table(graded)
    assert table.loc["easy", "avg@n"] == 1 and table.loc["medium", "cov@n"] == 0
    assert table.loc["all", "avg@n"] == pytest.approx((evalset["level"] == "easy").mean())
    assert table.loc["all", "stopped_with_answer"] == pytest.approx(1 - 1 / (2 * len(evalset)))


def test_an_unclosed_think_block_has_not_stopped_with_an_answer():
    evalset = synthetic.evaluation_set()
    graded = pd.DataFrame(
        {
            "question_id": list(evalset["question_id"]),
            "correct": False,
            "finish_reason": "stop",
            "extracted_answer": "1",
            "unfinished": [True] * 10 + [False] * (len(evalset) - 10),
        }
    )
    assert calibration.level_table(graded).loc["all", "stopped_with_answer"] == pytest.approx(1 - 10 / len(evalset))


def test_first_and_last_loss_from_the_train_log(tmp_path):
    lines = [{"step": 1, "loss": 2.5}, {"step": 2, "loss": 1.0}, {"train_runtime": 3.0}, {"step": 3, "loss": 0.4}]
    (tmp_path / "train_log.jsonl").write_text("\n".join(json.dumps(r) for r in lines) + "\n")
    assert calibration.first_and_last_loss(tmp_path) == {"first_loss": 2.5, "last_loss": 0.4}
    (tmp_path / "train_log.jsonl").write_text("{}\n")
    with pytest.raises(ValueError, match="no logged loss"):
        calibration.first_and_last_loss(tmp_path)


def test_the_base_model_is_what_its_train_stage_wrote_or_its_sample_stage_read(tmp_path):
    from ladder import paths, store

    store.write_json(tmp_path / "sample" / "params.json", {"params": {"model": "models/tiny-instruct"}})
    committed = {("base", "sample"): tmp_path / "sample"}
    assert calibration._base_model_path(committed, "base") == str(paths.ROOT / "models" / "tiny-instruct")
    trained = {**committed, ("base", "train"): tmp_path / "train"}
    assert calibration._base_model_path(trained, "base") == str(tmp_path / "train" / "model")
