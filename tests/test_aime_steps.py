"""The Hard AIME24 step decompositions (benchmark aime24_steps) and the Exh questions' intended strategies.

The real data files are checked with sympy, against the id registry and the study's tiers, through the benchmark
registry and the project's grader; malformed files must fail naming the file and the key.
"""

from __future__ import annotations

import pandas as pd
import pytest

from ladder import aime_step_checks, aime_steps, benchmarks
from ladder.aime_steps import AimeStepsError
from ladder.grade.rules import grade_sample


@pytest.fixture(scope="module")
def steps() -> aime_steps.AimeSteps:
    return aime_steps.load_steps()


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return benchmarks.load_benchmark("aime24_steps")


def test_every_step_answer_checks_out_with_sympy():
    table = aime_step_checks.verify_steps()  # raises on any mismatch
    assert len(table) >= 15 and table["ok"].all()
    assert (table["problem"] == "").all()
    assert set(table["value"]) >= {"225/22", "6*sqrt(21)", "2*sqrt(39)", "113"}


def test_last_step_is_the_parent_answer_and_the_registry_answer(steps, benchmark_dir):
    registry = benchmarks.id_registry("aime24").set_index("question_id")["answer"]
    fixture = benchmarks.load_benchmark("aime24", benchmark_dir / "aime24.jsonl").set_index("question_id")
    assert len(steps.parents) >= 5
    for parent in steps.parents:
        assert 3 <= len(parent.steps) <= 5
        assert int(parent.steps[-1].answer) == int(parent.answer) == int(registry[parent.parent_id])
        assert int(fixture.loc[parent.parent_id, "answer"]) == int(parent.answer)
    table = aime_steps.parent_table()
    assert (table["last_step_answer"].astype(int) == table["registry_answer"].astype(int)).all()


def test_parents_are_hard_questions_of_the_study(steps):
    tiers = benchmarks.study_tiers()
    hard = [p.parent_id for p in steps.parents if tiers[p.parent_id] == "hard"]
    assert len(hard) >= 4
    assert len({p.parent_id for p in steps.parents}) == len(steps.parents)


def test_load_benchmark_gives_the_step_frame(frame, steps):
    assert "aime24_steps" in benchmarks.known_benchmarks()
    assert list(frame.columns) == ["question_id", "problem", "answer", "parent_id", "step", "n_steps", "aime_id"]
    expected = [f"{p.parent_id}.{i}" for p in steps.parents for i in range(1, len(p.steps) + 1)]
    assert frame["question_id"].tolist() == expected
    assert frame.loc[frame["question_id"] == "61.1", "answer"].item() == "\\frac{11}{25}"
    assert (frame["question_id"] == frame["parent_id"] + "." + frame["step"].astype(str)).all()
    assert (frame.groupby("parent_id")["step"].max() == frame.groupby("parent_id")["n_steps"].first()).all()
    assert not benchmarks.get_benchmark("aime24_steps").integer_answers
    assert benchmarks.benchmark_answers("aime24_steps")["61.2"] == "\\frac{225}{22}"


def test_a_step_frame_saved_as_a_table_loads_back(frame, tmp_path):
    path = tmp_path / "steps.jsonl"
    frame.to_json(path, orient="records", lines=True)
    again = benchmarks.load_benchmark("aime24_steps", path)
    assert again["question_id"].tolist() == frame["question_id"].tolist()
    assert again["answer"].tolist() == frame["answer"].tolist()


def test_the_grader_accepts_each_step_answer_and_rejects_a_wrong_one(frame):
    for answer in frame["answer"]:
        right = grade_sample(f"The answer is \\boxed{{{answer}}}.", answer)
        assert right.correct, (answer, right)
        wrong = grade_sample(f"The answer is \\boxed{{{answer} + 1}}.", answer)
        assert not wrong.correct and wrong.reason == "wrong", (answer, wrong)


# --------------------------------------------------------------------------------------------------
# Malformed files

_GOOD = """\
parents:
  - parent_id: "88"
    aime_id: 2024-II-8
    answer: "127"
    steps:
      - question: A torus rests inside a sphere of radius 11. Find the radius of the circle of tangency.
        answer: '\\frac{33}{4}'
        check: 11*6 / (11 - 3)
      - question: Given r_i = 33/4 and r_o = 33/7, r_i - r_o = m/n in lowest terms; find m + n.
        answer: "127"
        check: sum(fraction(Rational(33, 4) - Rational(33, 7)))
"""


def _write(tmp_path, text: str, name: str = "steps.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_small_good_file_loads_and_checks(tmp_path):
    path = _write(tmp_path, _GOOD)
    assert aime_step_checks.verify_steps(path)["ok"].all()
    frame = benchmarks.load_benchmark("aime24_steps", path)
    assert frame["question_id"].tolist() == ["88.1", "88.2"]


def test_a_missing_answer_names_the_file_and_key(tmp_path):
    path = _write(tmp_path, _GOOD.replace("        answer: '\\frac{33}{4}'\n", ""))
    with pytest.raises(AimeStepsError, match=r"steps\.yaml:6: key 'parents\.0\.steps\.0\.answer'"):
        aime_steps.load_steps(path)


def test_a_check_that_disagrees_names_the_file_line_and_key(tmp_path):
    path = _write(tmp_path, _GOOD.replace("check: 11*6 / (11 - 3)", "check: 11*6 / (11 + 3)"))
    table = aime_step_checks.check_steps(path)
    assert table["ok"].tolist() == [False, True]
    with pytest.raises(AimeStepsError, match=r"steps\.yaml:8: key 'parents\.0\.steps\.0\.check': evaluates to 33/7"):
        aime_step_checks.verify_steps(path)


def test_a_duplicate_parent_names_the_file_and_key(tmp_path):
    text = _GOOD + _GOOD.split("parents:\n", 1)[1]
    path = _write(tmp_path, text)
    with pytest.raises(AimeStepsError, match=r"steps\.yaml:12: key 'parents\.1\.parent_id': question 88 given twice"):
        aime_steps.load_steps(path)


def test_answers_must_agree_with_the_registry_and_the_last_step(tmp_path):
    wrong_parent = _write(tmp_path, _GOOD.replace('answer: "127"\n    steps', 'answer: "128"\n    steps'), "a.yaml")
    with pytest.raises(AimeStepsError, match=r"a\.yaml:4: key 'parents\.0\.answer': '128' but the registry's"):
        aime_steps.load_steps(wrong_parent)
    wrong_last = _write(tmp_path, _GOOD.replace('        answer: "127"', '        answer: "126"'), "b.yaml")
    with pytest.raises(AimeStepsError, match=r"b\.yaml:10: key 'parents\.0\.steps\.1\.answer': the last step's"):
        aime_steps.load_steps(wrong_last)


def test_checks_see_only_the_restricted_namespace(tmp_path):
    assert aime_step_checks.evaluate_check("Rational(9, 2) / Rational(11, 25)") == aime_step_checks.parse_answer(
        "\\frac{225}{22}"
    )
    assert aime_step_checks.evaluate_check("9/2") == aime_step_checks.parse_answer("\\frac{9}{2}")  # exact, not 4.5
    for bad in ("open('x')", "__import__('os')", "unknown_name + 1", "x + 1"):
        with pytest.raises(ValueError):
            aime_step_checks.evaluate_check(bad)
    with pytest.raises(ValueError, match="not exact"):
        aime_step_checks.parse_answer("4.5")
    path = _write(tmp_path, _GOOD.replace("check: 11*6 / (11 - 3)", "check: open('/etc/passwd')"))
    with pytest.raises(AimeStepsError, match=r"key 'parents\.0\.steps\.0\.check': cannot evaluate: NameError"):
        aime_step_checks.verify_steps(path)


# --------------------------------------------------------------------------------------------------
# The Exh questions' intended strategies


def test_intended_strategies_cover_the_four_exh_questions():
    table = aime_steps.load_intended_strategies()
    assert list(table.columns) == ["question_id", "aime_id", "answer", "strategy", "key_steps"]
    assert sorted(table["question_id"]) == sorted(benchmarks.tier_lists()["exh"])
    registry = benchmarks.id_registry("aime24").set_index("question_id")
    for row in table.itertuples():
        assert int(row.answer) == int(registry.loc[row.question_id, "answer"])
        assert row.aime_id == registry.loc[row.question_id, "aime_id"]
        assert len(row.strategy) > 200 and 2 <= len(row.key_steps.split("; ")) <= 5


def test_a_malformed_strategies_file_names_the_file_and_key(tmp_path):
    good = aime_steps.STRATEGIES_FILE.read_text()
    missing = _write(tmp_path, good.replace('    answer: "371"\n', ""), "s.yaml")
    with pytest.raises(AimeStepsError, match=r"s\.yaml:\d+: key 'strategies\.1\.answer'"):
        aime_steps.load_intended_strategies(missing)
    hard = good.replace('question_id: "62"', 'question_id: "61"').replace("2024-I-11", "2024-I-10")
    not_exh = _write(tmp_path, hard.replace('answer: "371"', 'answer: "113"'), "t.yaml")
    with pytest.raises(AimeStepsError, match=r"t\.yaml:\d+: key 'strategies\.1\.question_id': question 61 is hard"):
        aime_steps.load_intended_strategies(not_exh)


def test_finding_5_is_computable_on_aime_for_a_panel_that_sampled_the_steps(frame, tmp_path):
    """An SFT model's AIME24 rows and its rows of the step questions, through the tiers and ablations stages'
    code: one step-decomposition row per decomposed Hard question, and finding 5 gets a verdict."""
    import json

    from ladder import ablations, findings, schema, tiers
    from tests.simulated_panel import simulate_graded

    study = benchmarks.study_tiers()
    hardness = {"easy": -3.0, "medium": -1.0, "hard": 1.5, "exh": 6.0}
    whole = simulate_graded({"sft": 0.0}, {q: hardness[t] for q, t in study.items()}, 8, seed=1)
    steps = simulate_graded({"sft_steps": 2.5}, dict.fromkeys(frame["question_id"], 0.0), 8, benchmark="aime24_steps")
    inputs = {}
    for name, rows in (("sft", whole), ("sft_steps", steps)):
        schema.write_table(rows, tmp_path / name / "graded.parquet")
        inputs[name] = {"grade": str(tmp_path / name)}
    params = tiers.TiersParams(benchmark="aime24", sft_models=["sft"], n_bootstrap=0, missing_role_models="drop")
    tiers.save_tier_tables(tiers.analyse_panel(whole, params), tmp_path / "tiers")
    (tmp_path / "tiers" / "params.json").write_text(json.dumps({"params": params.model_dump(mode="json")}))
    inputs["_panel"] = {"tiers": str(tmp_path / "tiers")}
    ablation_params = ablations.AblationsParams(steps_benchmark="aime24_steps", step_pairs={"sft_steps": "sft"})
    analysis = ablations.analyse_ablations(ablations.load_ablation_inputs(inputs, ablation_params), ablation_params)
    table = analysis.steps
    assert sorted(table["parent_id"]) == sorted(frame["parent_id"].unique()) and set(table["tier"]) == {"hard"}
    assert (table["n_steps"] >= 3).all() and (table["mean_step"] > table["end_to_end"]).all()
    fifth = findings.evaluate(analysis)[4]
    assert fifth.verdict in ("yes", "no") and f"over {len(table)} decomposed hard questions" in fifth.this_run
