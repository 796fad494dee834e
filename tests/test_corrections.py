"""Self-correction read from traces: wrong steps, their checks, flags and redos; per-model rates."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pandas as pd
import pytest

from ladder import ablations, corrections, synthetic, synthetic_trajectories


def _trace(*lines: str) -> str:
    return "<think>\n" + "\n".join(lines) + "\n</think>\n\nThe answer is \\boxed{1}."


@pytest.mark.parametrize(
    ("a", "op", "b", "result", "right"),
    [
        (5, "+", 9, 14, True),
        (5, "+", 9, 15, False),
        (14, "-", 9, 5, True),
        (3, "*", 4, 12, True),
        (12, "/", 4, 3, True),
        (13, "/", 4, 3, False),
        (13, "mod", 4, 1, True),
        (13, "mod", 0, 1, False),
    ],
)
def test_arithmetic_is_judged_exactly(a, op, b, result, right):
    assert corrections.arithmetic_right(a, op, b, result) is right


def test_a_caught_slip_is_wrong_checked_flagged_and_corrected():
    steps = corrections.written_steps(
        _trace(
            "Step 1: (1) add 9: 5 + 9 = 15.",
            "Wait, let me check: 15 - 9 = 6, not 5. Redo: 5 + 9 = 14.",
            "Step 2: (2) subtract 3: 14 - 3 = 11.",
            "Wait, let me check: 11 + 3 = 14. Yes.",
        )
    )
    assert [(s.equation, s.right, s.checked, s.flagged, s.corrected) for s in steps] == [
        ("5 + 9 = 15", False, True, True, True),
        ("14 - 3 = 11", True, True, False, False),
    ]
    assert steps[0].final == "5 + 9 = 14" and steps[1].final == "14 - 3 = 11"


def test_a_slip_that_stands_or_is_redone_wrong_is_not_corrected():
    passed_over, redone_wrong, other_step = (
        corrections.written_steps(_trace("Step 1: (1) add 9: 5 + 9 = 15.", check))[0]
        for check in (
            "Wait, let me check: 15 - 9 = 6. Yes.",  # checked, not noticed
            "Wait, let me check: 15 - 9 = 6, not 5. Redo: 5 + 9 = 13.",  # noticed, redone wrong
            "Wait, let me check: 15 - 9 = 6, not 5. Redo: 5 + 8 = 13.",  # "redone" as another operation
        )
    )
    assert passed_over.checked and not passed_over.flagged and not passed_over.corrected
    assert redone_wrong.flagged and not redone_wrong.corrected
    assert other_step.flagged and not other_step.corrected
    bare = corrections.written_steps(_trace("Step 1: (1) add 9: 5 + 9 = 15.", "So the answer is 15."))[0]
    assert not bare.checked and not bare.right


def test_gemini_lines_are_steps_without_checks_and_answer_lines_are_not_steps():
    steps = corrections.written_steps(_trace("5 + 9 = 14; 14 * 2 = 29", "So the answer is 29."))
    assert [(s.equation, s.right, s.checked) for s in steps] == [
        ("5 + 9 = 14", True, False),
        ("14 * 2 = 29", False, False),
    ]
    garbled = corrections.written_steps(_trace("Step 1: (1) add 9: five plus nine."))
    assert garbled == [corrections.WrittenStep("five plus nine.", None, False)]


def test_teacher_traces_correct_every_slip_and_the_table_has_a_wilson_interval():
    problems = synthetic.training_problems(400, seed=7)
    graded = pd.DataFrame(
        {
            "experiment": ["r1"] * len(problems) + ["gemini"] * len(problems),
            "response": [synthetic_trajectories.trajectory(p, "rechecks", "r1", 0.1) for p in problems]
            + [synthetic_trajectories.trajectory(p, "steps", "gemini") for p in problems],
        }
    )
    table = corrections.correction_table(graded).set_index("experiment")
    r1, gemini = table.loc["r1"], table.loc["gemini"]
    assert r1["steps"] == sum(p.n_steps for p in problems) == gemini["steps"]
    assert r1["wrong"] == r1["corrected"] == r1["flagged"] > 50 and r1["correction_rate"] == 1.0
    assert 0.9 < r1["ci_low"] < 1.0 == r1["ci_high"] and r1["false_alarms"] == 0
    assert gemini["wrong"] == 0 and math.isnan(gemini["correction_rate"]) and math.isnan(gemini["ci_low"])


def test_the_corrections_figure_draws_models_that_corrected_nothing(tmp_path):
    # statsmodels' Wilson lower bound for 0 of 24 is about 1e-17, above the rate: matplotlib then refuses the
    # negative error bar. metrics.proportion_ci ends it at exactly 0.
    problems = synthetic.training_problems(24, seed=8)  # 0 of 24 wrong steps corrected
    slipped = [
        synthetic_trajectories.trajectory(p, "steps", "r1").replace(f"= {p.steps[0].result}.", "= 99.", 1)
        for p in problems
    ]
    graded = pd.DataFrame({"experiment": ["never"] * len(slipped), "response": slipped})
    table = corrections.correction_table(graded)
    table.insert(1, "role", "sft")
    assert table.loc[0, "wrong"] == len(problems) and table.loc[0, "corrected"] == 0 == table.loc[0, "ci_low"]
    ablations.plot_corrections(SimpleNamespace(corrections=table), tmp_path)
    assert (tmp_path / "corrections.png").stat().st_size > 0
