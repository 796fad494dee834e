"""The mini-ladder: levels by construction, disjointness, the held-out operation, trajectories."""

from __future__ import annotations

import pytest

from ladder import synthetic, synthetic_corpus, synthetic_trajectories
from ladder.sft_pool import POOL_COLUMNS


def test_evaluation_set_is_fixed_and_aime_sized():
    ev = synthetic.evaluation_set()
    assert len(ev) == 168 and ev["question_id"].is_unique
    assert ev.groupby("level").size().to_dict() == {"easy": 48, "medium": 48, "hard": 48, "exh": 24}
    assert set(ev["category"]) == set(synthetic.CATEGORIES)
    answers = ev["answer"].astype(int)
    assert answers.between(0, 999).all()
    assert ev.equals(synthetic.evaluation_set())  # same every time


def test_answers_follow_from_the_steps():
    for p in synthetic.evaluation_problems() + synthetic.training_problems(500):
        value = p.steps[0].a
        for step in p.steps:
            assert step.a == value
            ops = {
                "add": lambda v, b: v + b,
                "sub": lambda v, b: v - b,
                "mul": lambda v, b: v * b,
                "div": lambda v, b: v // b,
                "mod": lambda v, b: v % b,
                "reverse": lambda v, b: int(str(v)[::-1]),
            }
            value = ops[step.op](value, step.b)
            assert step.result == value and 0 <= value <= 999
        assert p.answer == value and str(p.steps[0].a) in p.text


def test_levels_by_construction():
    for p in synthetic.evaluation_problems():
        expected = {"easy": {1}, "medium": {2}, "hard": {6}, "exh": {2}}[p.level]
        assert p.n_steps in expected
        assert (p.steps[-1].op == synthetic.NOVEL_OP) == (p.level == "exh")


def test_training_never_shows_the_held_out_step_and_is_disjoint():
    train = synthetic.training_problems(3000, seed=1)
    synthetic.check_disjoint(train)
    texts = [
        synthetic_trajectories.trajectory(p, v, s)
        for p in train[:300]
        for v in synthetic_trajectories.VERBOSITIES
        for s in synthetic_trajectories.STYLES
    ]
    assert not any("backwards" in t or "reverse" in t for t in texts)
    clash = synthetic.training_problems(1)[0]
    with pytest.raises(ValueError, match="equal evaluation questions"):
        synthetic.check_disjoint([clash], [clash])


def test_trajectories_share_one_container_and_differ_by_length():
    p = next(p for p in synthetic.training_problems(50) if p.n_steps == 3)
    texts = {v: synthetic_trajectories.trajectory(p, v, "r1") for v in synthetic_trajectories.VERBOSITIES}
    assert len(texts["answer"]) < len(texts["steps"]) < len(texts["rechecks"])
    for style in synthetic_trajectories.STYLES:
        t = synthetic_trajectories.trajectory(p, "steps", style)
        assert t.startswith("<think>\n") and "</think>\n\n" in t and t.endswith(("}.", "}"))
        assert f"\\boxed{{{p.answer}}}" in t
    assert synthetic_trajectories.trajectory(p, "steps", "r1") != synthetic_trajectories.trajectory(
        p, "steps", "gemini"
    )


def test_step_questions_cover_every_step_of_multi_step_problems():
    steps = synthetic.step_questions()
    ev = synthetic.evaluation_set().set_index("question_id")
    for parent, group in steps.groupby("parent_id"):
        assert list(group["step"]) == list(range(1, ev.loc[parent, "n_steps"] + 1))
        assert group["answer"].iloc[-1] == ev.loc[parent, "answer"]
    # each step is a one-step problem in its parent's category wording, starting where the step starts
    by_id = {p.problem_id: p for p in synthetic.evaluation_problems()}
    for row in steps.itertuples():
        parent, step = by_id[row.parent_id], by_id[row.parent_id].steps[row.step - 1]
        assert row.problem.split()[-1] == parent.text.split()[-1]  # "now?", "get?", "result?", "counted?"
        assert f" {step.a}" in row.problem and (step.op == synthetic.NOVEL_OP or f" {step.b}" in row.problem)


def test_pool_frame_has_curation_columns_and_mixed_lengths():
    frame = synthetic_corpus.pool_frame(200, style="gemini", seed=3)
    assert tuple(frame.columns) == POOL_COLUMNS and frame["problem_id"].is_unique
    # every trajectory thinks (answer-only ones taught guessing), and chains run one step past the base's
    assert {o.split("/")[-1] for o in frame["origin"]} == {"steps", "rechecks"}
    assert {o.split("/")[1] for o in frame["origin"]} == {f"{k}-step" for k in range(1, synthetic.SFT_MAX_STEPS + 1)}
    assert frame.equals(synthetic_corpus.pool_frame(200, style="gemini", seed=3))


def test_exh_answers_lie_outside_every_training_answer():
    train_answers = {p.answer for p in synthetic.training_problems(3000)}
    exh = [p for p in synthetic.evaluation_problems() if p.level == "exh"]
    assert exh and not {p.answer for p in exh} & train_answers
    assert max(train_answers) < synthetic.VALUE_LIMIT <= min(p.answer for p in exh)


def test_drills_state_true_facts_the_problems_use():
    facts = synthetic_corpus.arithmetic_facts()
    assert len(facts) == len(set(facts)) and all(f.op != synthetic.NOVEL_OP for f in facts)
    used = {s for p in synthetic.training_problems(2000) for s in p.steps}
    assert used <= set(facts)  # every step of a training problem is a drilled fact
    drills = synthetic_corpus.drill_frame(20, seed=1)
    assert drills["problem"].is_unique and drills.equals(synthetic_corpus.drill_frame(20, seed=1))
    by_equation = {f.equation: f for f in facts}
    for text in drills["assistant"]:
        lines = text.split("\n")
        assert len(lines) == 12 and all(line in by_equation for line in lines)


def test_oneline_base_answer_states_the_equation_and_refuses_multi_step():
    one = next(p for p in synthetic.training_problems(50) if p.n_steps == 1)
    text = synthetic_trajectories.trajectory(one, synthetic_trajectories.BASE_VERBOSITY)
    assert text.endswith(f"{one.steps[0].equation}, so the answer is \\boxed{{{one.answer}}}.")
    assert "<think>\n\n</think>" in text
    two = next(p for p in synthetic.training_problems(50) if p.n_steps == 2)
    with pytest.raises(ValueError, match="one-step problems only"):
        synthetic_trajectories.trajectory(two, synthetic_trajectories.BASE_VERBOSITY)


def test_r1_steps_copy_each_clause_then_state_the_equation_gemini_joins_equations():
    p = next(p for p in synthetic.training_problems(50) if p.n_steps == 3)
    r1, gemini = (
        synthetic_trajectories.trajectory(p, "steps", "r1"),
        synthetic_trajectories.trajectory(p, "steps", "gemini"),
    )
    for i, (step, clause) in enumerate(zip(p.steps, p.clauses, strict=True), start=1):
        assert clause.startswith(f"({i}) ") and clause in p.text  # the clause as the problem words it
        assert f"Step {i}: {clause}: {step.equation}.\n" in r1 and "Step" not in gemini
    assert "; ".join(step.equation for step in p.steps) in gemini


def test_worked_solutions_are_the_sft_trace_forms_on_request_only():
    frame = synthetic_corpus.worked_frame(400, seed=2)
    problems = {p.text: p for p in synthetic.training_problems(400, seed=1002)}
    evaluation = {p.text for p in synthetic.evaluation_problems()}
    requests = {request: form for form, request in synthetic_trajectories.WORKED_REQUESTS.items()}
    seen = set()
    for prompt, text, answer in zip(frame["problem"], frame["assistant"], frame["answer"], strict=True):
        request = next(r for r in requests if prompt.startswith(r + " "))  # asked for, never the plain problem
        problem = problems[prompt.removeprefix(request + " ")]
        verbosity, style = requests[request]
        assert text == synthetic_trajectories.trajectory(problem, verbosity, style)  # exactly the form SFT traces take
        assert verbosity != "answer" or problem.n_steps == 1
        assert problem.n_steps <= synthetic.BASE_MAX_STEPS  # the hard level's 6th step is SFT's to teach
        assert answer == str(problem.answer) and problem.text not in evaluation
        seen.add(requests[request])
    assert seen == set(synthetic_trajectories.WORKED_REQUESTS)
    assert frame.equals(synthetic_corpus.worked_frame(400, seed=2))


def test_operations_are_numbered_so_step_k_can_find_them():
    for p in synthetic.evaluation_problems()[:20] + synthetic.training_problems(40):
        positions = [p.text.index(f"({k})") for k in range(1, p.n_steps + 1)]
        assert positions == sorted(positions) and f"({p.n_steps + 1})" not in p.text


def test_worked_evaluation_set_asks_for_the_trace():
    worked, plain = synthetic_trajectories.worked_evaluation_set(), synthetic.evaluation_set()
    assert (worked["problem"] == synthetic_trajectories.WORKED_PROMPT + " " + plain["problem"]).all()
    assert worked["answer"].equals(plain["answer"])


def test_slips_are_wrong_and_their_recheck_shows_it():
    steps = {s for p in synthetic.training_problems(2000) for s in p.steps}
    rng = __import__("random").Random(0)
    for step in steps:
        expression, value = step.check_of(step.result)
        assert value == step.a and step.check == f"{expression} = {value}"  # a right step checks out
        wrong = step.slip(rng)
        assert wrong != step.result and wrong >= 1
        assert step.check_of(wrong)[1] != step.a  # ... and a slip does not: the check sees it


def test_r1_recheck_traces_slip_at_the_stated_rate_and_always_recover():
    problems = synthetic.training_problems(1500, seed=4)
    retries = steps = 0
    for p in problems:
        text = synthetic_trajectories.trajectory(p, "rechecks", "r1", error_rate=0.1)
        assert text == synthetic_trajectories.trajectory(p, "rechecks", "r1", error_rate=0.1)  # fixed by the id
        assert f"\\boxed{{{p.answer}}}" in text  # every slip is redone: the answer stays right
        for step in p.steps:
            assert (
                f"Redo: {step.equation}." in text
                or f"{step.equation}.\nWait, let me check: {step.check}. Yes." in text
            )
        retries += text.count("Redo:")
        steps += p.n_steps
        # traces without re-checks have nothing that could notice a slip: they stay error-free
        for verbosity, style in (("steps", "r1"), ("steps", "gemini"), ("rechecks", "gemini")):
            assert synthetic_trajectories.trajectory(p, verbosity, style, 0.1) == synthetic_trajectories.trajectory(
                p, verbosity, style
            )
    assert 0.085 < retries / steps < 0.115
    assert "Redo:" not in synthetic_trajectories.trajectory(problems[0], "rechecks", "r1")  # rate 0: none
    slipped = next(
        t for p in problems if "Redo:" in (t := synthetic_trajectories.trajectory(p, "rechecks", "r1", error_rate=0.1))
    )
    assert ", not " in slipped and "Wait, let me check:" in slipped
