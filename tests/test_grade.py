"""Grading: table-driven extraction and verdict cases (incl. the failures users report, PEERS.md section 4),
the real Math-Verify path with its timeout, truncation, the judge hook, the frame and the CLI."""

from __future__ import annotations

import signal

import pandas as pd
import pytest

from ladder import answers, cli, grade, paths, schema
from ladder.answers import extract_answer, normalize_answer
from ladder.grade import GradeParams, grade_frame, grade_sample
from tests.test_ingest import DOCS, lm_eval_line, write_lm_eval

# (id, response, gold, finish_reason, extracted (normalised) or None, correct, reason, grader)
CASES = [
    # --- \boxed{} and \fbox{} -----------------------------------------------------------------------
    ("boxed_plain", r"So the answer is \boxed{204}.", "204", "stop", "204", True, "ok", "aime_int"),
    ("boxed_wrong", r"\boxed{205}", "204", "stop", "205", False, "wrong", "aime_int"),
    ("boxed_last_wins", r"First \boxed{12}, then corrected: \boxed{13}", "13", "stop", "13", True, "ok", "aime_int"),
    ("boxed_last_wins_wrong", r"\boxed{13} hmm no \boxed{12}", "13", "stop", "12", False, "wrong", "aime_int"),
    ("boxed_leading_zero", r"\boxed{073}", "73", "stop", "73", True, "ok", "aime_int"),
    ("gold_leading_zero", r"\boxed{73}", "073", "stop", "73", True, "ok", "aime_int"),
    ("boxed_triple_zero", r"\boxed{000}", "0", "stop", "0", True, "ok", "aime_int"),
    ("boxed_in_dollars", r"Hence $\boxed{25}$.", "25", "stop", "25", True, "ok", "aime_int"),
    ("boxed_in_display", "\\[\n\\boxed{540}\n\\]", "540", "stop", "540", True, "ok", "aime_int"),
    ("boxed_space_form", r"The result: \boxed 42$ done", "42", "stop", "42", True, "ok", "aime_int"),
    ("fbox", r"\fbox{116}", "116", "stop", "116", True, "ok", "aime_int"),
    ("boxed_nested_text", r"\boxed{\text{116}}", "116", "stop", "116", True, "ok", "aime_int"),
    ("boxed_textbf", r"\boxed{\textbf{116}}", "116", "stop", "116", True, "ok", "aime_int"),
    ("boxed_double", r"\boxed{\boxed{601}}", "601", "stop", "601", True, "ok", "aime_int"),
    ("boxed_assignment", r"\boxed{n = 809}", "809", "stop", "809", True, "ok", "aime_int"),
    ("boxed_m_plus_n_outside", r"$m+n = \boxed{104}$", "104", "stop", "104", True, "ok", "aime_int"),
    ("boxed_thousands", r"\boxed{1,000}", "1000", "stop", "1000", True, "ok", "aime_int"),
    ("boxed_thousands_braces", r"\boxed{1{,}000}", "1000", "stop", "1000", True, "ok", "aime_int"),
    ("boxed_decimal_integer", r"\boxed{204.0}", "204", "stop", "204", True, "ok", "aime_int"),
    ("boxed_negative", r"\boxed{-3}", "-3", "stop", "-3", True, "ok", "aime_int"),
    ("boxed_plus_sign", r"\boxed{+7}", "7", "stop", "7", True, "ok", "aime_int"),
    ("boxed_spaces", r"\boxed{ 385 }", "385", "stop", "385", True, "ok", "aime_int"),
    ("boxed_thin_space", r"\boxed{1\,000}", "1000", "stop", "1000", True, "ok", "aime_int"),
    ("boxed_unclosed_falls_back", "Answer: 33\nso \\boxed{3", "33", "stop", "33", True, "ok", "aime_int"),
    ("boxed_unclosed_only", r"therefore \boxed{33", "33", "stop", None, False, "no_answer", "none"),
    # --- units, degrees, percent, \text{} (PEERS 4.2) ----------------------------------------------------
    ("text_units_in_box", r"\boxed{\text{204 minutes}}", "204", "stop", "204", True, "ok", "aime_int"),
    ("units_after_number", r"\boxed{204 \text{ minutes}}", "204", "stop", "204", True, "ok", "aime_int"),
    ("units_plain", r"\boxed{80 degrees}", "80", "stop", "80", True, "ok", "aime_int"),
    ("degrees_circ", r"\boxed{80^\circ}", "80", "stop", "80", True, "ok", "aime_int"),
    ("degrees_circ_braces", r"\boxed{80^{\circ}}", "80", "stop", "80", True, "ok", "aime_int"),
    ("degrees_symbol", "\\boxed{80°}", "80", "stop", "80", True, "ok", "aime_int"),
    ("percent", r"\boxed{25\%}", "25", "stop", "25", True, "ok", "aime_int"),
    ("dollars_escaped", r"\boxed{\$45}", "45", "stop", "45", True, "ok", "aime_int"),
    ("units_cm", r"\boxed{110 cm}", "110", "stop", "110", True, "ok", "aime_int"),
    ("mathrm_units", r"\boxed{468\mathrm{~m}}", "468", "stop", "468m", True, "ok", "math_verify"),
    # --- "Answer:" lines and phrases -------------------------------------------------------------------
    ("answer_line", "Some work.\nAnswer: 73", "73", "stop", "73", True, "ok", "aime_int"),
    ("answer_line_lower", "work\nanswer: 73", "73", "stop", "73", True, "ok", "aime_int"),
    ("final_answer_line", "work\nFinal Answer: 294", "294", "stop", "294", True, "ok", "aime_int"),
    ("answer_line_bold_label", "work\n**Final Answer:** 294", "294", "stop", "294", True, "ok", "aime_int"),
    ("answer_line_bold_value", "work\nAnswer: **294**", "294", "stop", "294", True, "ok", "aime_int"),
    ("answer_line_dollars", "work\nAnswer: $294$", "294", "stop", "294", True, "ok", "aime_int"),
    ("answer_line_period", "work\nAnswer: 294.", "294", "stop", "294", True, "ok", "aime_int"),
    ("answer_line_last_wins", "Answer: 1\nmore\nAnswer: 2", "2", "stop", "2", True, "ok", "aime_int"),
    ("answer_line_markdown", "## Answer: 236", "236", "stop", "236", True, "ok", "aime_int"),
    ("answer_line_fullwidth_colon", "Answer：236", "236", "stop", "236", True, "ok", "aime_int"),
    ("answer_phrase", "Therefore, the answer is 55.", "55", "stop", "55", True, "ok", "aime_int"),
    ("final_answer_phrase", "So the final answer is 699", "699", "stop", "699", True, "ok", "aime_int"),
    ("answer_phrase_bold", "The answer is **73**.", "73", "stop", "73", True, "ok", "aime_int"),
    (
        "answer_phrase_midtext",
        "the answer is 45. Let me double check: yes.",
        "45",
        "stop",
        "45",
        True,
        "ok",
        "aime_int",
    ),
    ("boxed_beats_answer_line", "Answer: 12\n\\boxed{13}", "13", "stop", "13", True, "ok", "aime_int"),
    # --- bold (PEERS 4.2: **73**) -------------------------------------------------------------------------
    ("bold_only", "After all that we get **73**", "73", "stop", "73", True, "ok", "aime_int"),
    ("bold_last_number", "**12** was wrong; it is **13**", "13", "stop", "13", True, "ok", "aime_int"),
    ("bold_heading_ignored", "**Step 1:** compute\nno final", "5", "stop", None, False, "no_answer", "none"),
    ("bold_heading_then_number", "**Step 2:** done. **902**", "902", "stop", "902", True, "ok", "aime_int"),
    ("bold_dollar_inside", "We get **$902$**", "902", "stop", "902", True, "ok", "aime_int"),
    # --- no answer --------------------------------------------------------------------------------------
    ("no_box_no_line", "I think it is about 73 or so", "73", "stop", None, False, "no_answer", "none"),
    ("empty", "", "73", "stop", None, False, "no_answer", "none"),
    ("whitespace", "   \n ", "73", "stop", None, False, "no_answer", "none"),
    ("empty_box", r"\boxed{}", "73", "stop", None, False, "no_answer", "none"),
    ("empty_box_after_real_one", r"\boxed{73} and the template \boxed{}", "73", "stop", "73", True, "ok", "aime_int"),
    # --- think blocks (PEERS 4.2: boxed inside unfinished thinking) ---------------------------------------
    (
        "after_think",
        r"<think>maybe \boxed{1}</think> The answer is \boxed{2}",
        "2",
        "stop",
        "2",
        True,
        "ok",
        "aime_int",
    ),
    ("think_closed_answer_after_wins", "<think>Answer: 5</think>\n**6**", "6", "stop", "6", True, "ok", "aime_int"),
    ("think_closed_nothing_after", r"<think>so \boxed{77}</think>", "77", "stop", "77", True, "ok", "aime_int"),
    # an unclosed think block has no final answer (issue 15): reason unfinished, whatever the finish reason but length
    (
        "think_unclosed_boxed",
        r"<think>long reasoning... \boxed{315} wait, let me",
        "315",
        "stop",
        "315",
        False,
        "unfinished",
        "aime_int",
    ),
    (
        "think_unclosed_unknown_finish",
        "<think>\nmaybe it is \\boxed{104} but let me keep checking the cases one by one",
        "104",
        "unknown",
        "104",
        False,
        "unfinished",
        "aime_int",
    ),
    ("think_unclosed_no_finish", r"<think>so \boxed{104}", "104", None, "104", False, "unfinished", "aime_int"),
    ("think_unclosed_wrong", r"<think>so \boxed{7}", "104", "stop", "7", False, "unfinished", "aime_int"),
    ("think_unclosed_no_answer", "<think>still going", "104", "unknown", None, False, "unfinished", "none"),
    (
        "think_unclosed_answer_before",
        "Answer: 104\n<think>second thoughts",
        "104",
        "stop",
        "104",
        False,
        "unfinished",
        "aime_int",
    ),
    ("think_closed_unknown_finish", r"<think>hm</think>\boxed{104}", "104", "unknown", "104", True, "ok", "aime_int"),
    (
        "think_unclosed_truncated",
        r"<think>long reasoning \boxed{315} and then",
        "315",
        "length",
        "315",
        False,
        "truncated",
        "aime_int",
    ),
    (
        "think_unclosed_nothing",
        "<think>long reasoning with no answer",
        "315",
        "length",
        None,
        False,
        "truncated",
        "none",
    ),
    ("think_only_close_tag", r"reasoning</think>\n\boxed{23}", "23", "stop", "23", True, "ok", "aime_int"),
    # --- truncation (PEERS 4.3) -------------------------------------------------------------------------
    ("truncated_correct_box", r"\boxed{204}", "204", "length", "204", False, "truncated", "aime_int"),
    ("truncated_wrong", r"\boxed{1}", "204", "length", "1", False, "truncated", "aime_int"),
    ("unknown_finish_graded", r"\boxed{204}", "204", "unknown", "204", True, "ok", "aime_int"),
    ("truncated_mid_box", r"so \boxed{20", "204", "length", None, False, "truncated", "none"),
    # --- Math-Verify for non-integer answers ------------------------------------------------------------
    ("frac_equal", r"\boxed{\frac{1}{2}}", r"\frac{1}{2}", "stop", r"\frac{1}{2}", True, "ok", "math_verify"),
    ("frac_vs_decimal", r"\boxed{0.5}", r"\frac{1}{2}", "stop", "0.5", True, "ok", "math_verify"),
    ("dfrac", r"\boxed{\dfrac{3}{4}}", r"\frac{3}{4}", "stop", r"\frac{3}{4}", True, "ok", "math_verify"),
    ("frac_wrong", r"\boxed{\frac{1}{3}}", r"\frac{1}{2}", "stop", r"\frac{1}{3}", False, "wrong", "math_verify"),
    ("sqrt_equal", r"\boxed{2\sqrt{2}}", r"\sqrt{8}", "stop", r"2\sqrt{2}", True, "ok", "math_verify"),
    ("pi_expr", r"\boxed{\frac{\pi}{2}}", r"\frac{\pi}{2}", "stop", r"\frac{\pi}{2}", True, "ok", "math_verify"),
    (
        "tuple_equal",
        r"\boxed{\left( 3, \frac{\pi}{2} \right)}",
        r"\left( 3, \frac{\pi}{2} \right)",
        "stop",
        r"( 3, \frac{\pi}{2} )",
        True,
        "ok",
        "math_verify",
    ),
    (
        "integer_gold_fraction_answer",
        r"\boxed{\frac{408}{2}}",
        "204",
        "stop",
        r"\frac{408}{2}",
        True,
        "ok",
        "math_verify",
    ),
    ("integer_gold_power", r"\boxed{2^{10}}", "1024", "stop", "2^{10}", True, "ok", "math_verify"),
    ("integer_gold_wrong_expr", r"\boxed{2^{9}}", "1024", "stop", "2^{9}", False, "wrong", "math_verify"),
    # Math-Verify #47: a list of candidates must not pass for one of them
    ("multi_answer_not_lenient", r"\boxed{2, 3}", "2", "stop", "2, 3", False, "wrong", "math_verify"),
    ("interval", r"\boxed{(1, 2]}", r"(1, 2]", "stop", "(1, 2]", True, "ok", "math_verify"),
    ("text_answer_equal", r"\boxed{\text{(C)}}", r"\text{(C)}", "stop", "(C)", True, "ok", "math_verify"),
    (
        "words_vs_number",
        r"\boxed{\text{no such number}}",
        "5",
        "stop",
        "no such number",
        False,
        "wrong",
        "math_verify",
    ),
    (
        "unparsable_latex",
        r"\boxed{\frac{1}{}}",
        r"\frac{1}{2}",
        "stop",
        r"\frac{1}{}",
        False,
        "unparsable",
        "math_verify",
    ),
    ("gold_missing", r"\boxed{5}", "", "stop", "5", False, "no_gold", "none"),
]


@pytest.mark.parametrize(
    ("response", "gold", "finish", "extracted", "correct", "reason", "grader"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_grading_cases(response, gold, finish, extracted, correct, reason, grader):
    result = grade_sample(response, gold, finish, math_verify_timeout_s=5)
    assert (result.extracted.normalized if result.extracted else None) == extracted
    assert (result.correct, result.reason, result.grader) == (correct, reason, grader)


def test_there_are_at_least_80_cases_with_unique_ids():
    assert len(CASES) >= 80
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("073", "73"),
        ("$1{,}024$", "1024"),
        (r"\text{ 5 }", "5"),
        ("x=3", "3"),
        (r"\frac12", r"\frac12"),
        ("12.", "12"),
        ("-0", "0"),
        ("3.50", "3.50"),
        (r"\left(1,2\right)", "(1,2)"),
        ("5 apples", "5"),
    ],
)
def test_normalize_answer(raw, normalized):
    assert normalize_answer(raw) == normalized


def test_extraction_reports_method_and_think_flag():
    inside = extract_answer(r"<think>\boxed{9}")
    assert (inside.method, inside.in_think, inside.text) == ("boxed", True, "9")
    after = extract_answer("<think>x</think>Answer: 9")
    assert (after.method, after.in_think) == ("answer_line", False)
    assert extract_answer(r"\fbox{9}").method == "fbox"
    assert extract_answer("**9**").method == "bold"
    assert extract_answer(None) is None


def test_math_verify_timeout_is_recorded_not_raised():
    # A real comparison SymPy cannot finish: the sum is evaluated term by term; the 1 s SIGALRM must cut it.
    previous = signal.getsignal(signal.SIGALRM)
    result = grade_sample(r"\boxed{\sum_{k=1}^{10^{9}} k^{k}}", "1", "stop", math_verify_timeout_s=1)
    assert (result.correct, result.reason, result.grader) == (False, "timeout", "math_verify")
    assert signal.getsignal(signal.SIGALRM) == previous


def test_pathological_latex_gives_a_reason_not_a_crash():
    nasty = r"\boxed{" + r"\frac{1}{" * 40 + "2" + "}" * 40 + "}"
    result = grade_sample(nasty, r"\frac{1}{2}", "stop", math_verify_timeout_s=1)
    assert result.reason in {"wrong", "unparsable", "timeout", "error"}
    assert result.correct is False


def test_judge_hook_decides_only_what_rules_cannot_read():
    asked = []

    def judge(problem, gold, response, extracted):
        asked.append(response)
        return "seventy-three" in response

    unreadable = grade_sample("It is seventy-three.", "73", "stop", judge=judge, problem="p")
    readable = grade_sample(r"\boxed{72}", "73", "stop", judge=judge)
    truncated = grade_sample("seventy-three and", "73", "length", judge=judge)
    assert (unreadable.correct, unreadable.grader, unreadable.reason) == (True, "judge", "ok")
    assert (readable.correct, readable.grader) == (False, "aime_int")
    assert truncated.correct is False and truncated.reason == "truncated"
    assert asked == ["It is seventy-three."]


def test_judge_spec_validation():
    assert grade.make_judge("") is None
    with pytest.raises(ValueError, match="openai:MODEL"):
        grade.make_judge("gpt-4o-mini")


def _samples(rows):
    base = {
        "model": "m",
        "model_revision": "",
        "benchmark": "aime24",
        "prompt": "p",
        "prompt_hash": "h",
        "n_tokens": 10,
        "finish_reason": "stop",
        "seed": 1,
        "temperature": 1.0,
        "top_p": 1.0,
        "max_new_tokens": 100,
        "backend": "hf",
        "backend_version": "x",
    }
    return schema.conform_samples(pd.DataFrame([{**base, **row} for row in rows]))


def test_grade_frame_conforms_and_cross_checks():
    samples = _samples(
        [
            {"question_id": "60", "sample_idx": 0, "response": r"\boxed{204}", "gold": "204"},
            {
                "question_id": "60",
                "sample_idx": 1,
                "response": r"\boxed{204}",
                "gold": "204",
                "finish_reason": "length",
            },
            {"question_id": "61", "sample_idx": 0, "response": "no idea", "gold": "113"},
            {"question_id": "61", "sample_idx": 1, "response": r"\boxed{\frac{226}{2}}", "gold": "113"},
        ]
    )
    graded = grade_frame(samples, cross_check_samples=10, seed=0)
    assert list(graded.columns[: len(schema.SAMPLE_COLUMNS) + len(schema.GRADED_COLUMNS)]) == [
        *schema.SAMPLE_COLUMNS,
        *schema.GRADED_COLUMNS,
    ]
    assert graded["correct"].tolist() == [True, False, False, True]
    assert graded["reason"].tolist() == ["ok", "truncated", "no_answer", "ok"]
    assert graded["truncated"].tolist() == [False, True, False, False]
    assert graded["answer_matches"].tolist() == [True, True, False, True]
    assert graded["extracted_answer"].isna().tolist() == [False, False, True, False]
    missing_gold = grade_frame(samples.assign(gold=pd.array([None] * 4, dtype="string")))
    assert set(missing_gold["reason"]) == {"no_gold"} and not missing_gold["correct"].any()
    # both integer-rule rows were cross-checked by Math-Verify and agree
    assert graded["math_verify_correct"].tolist()[:2] == [True, True]
    assert grade.grader_disagreements(graded).empty


def test_disagreement_table_lists_source_and_math_verify_conflicts():
    samples = _samples(
        [
            {"question_id": "60", "sample_idx": 0, "response": r"\boxed{204}", "gold": "204"},
            {"question_id": "60", "sample_idx": 1, "response": r"\boxed{205}", "gold": "204"},
        ]
    ).assign(source_correct=pd.array([False, False], dtype="boolean"))
    graded = grade_frame(samples)
    graded.loc[1, "math_verify_correct"] = True  # as if Math-Verify had accepted 205
    table = grade.grader_disagreements(graded)
    assert sorted(zip(table["sample_idx"], table["other_grader"], strict=True)) == [(0, "source"), (1, "math_verify")]
    assert table.loc[table["other_grader"] == "source", "ours"].item() is True


def test_summaries():
    samples = _samples(
        [
            {"question_id": "60", "sample_idx": 0, "response": r"\boxed{204}", "gold": "204"},
            {
                "question_id": "60",
                "sample_idx": 1,
                "response": r"<think>\boxed{204}",
                "gold": "204",
                "finish_reason": "length",
            },
            {"question_id": "61", "sample_idx": 0, "response": "none", "gold": "113"},
            {"question_id": "61", "sample_idx": 1, "response": r"\boxed{1}", "gold": "113"},
        ]
    )
    graded = grade_frame(samples)
    counts = grade.reason_counts(graded)
    assert dict(zip(counts["reason"], counts["n"], strict=True)) == {
        "ok": 1,
        "truncated": 1,
        "no_answer": 1,
        "wrong": 1,
    }
    assert counts["share"].sum() == pytest.approx(1.0)
    summary = grade.truncation_summary(graded).iloc[0]
    assert (summary["samples"], summary["accuracy"], summary["truncated"]) == (4, 0.25, 0.25)
    assert (summary["truncated_but_matching"], summary["no_answer"], summary["answer_in_think"]) == (0.25, 0.25, 0.25)
    examples = grade.grade_examples(graded, per_reason=1)
    assert sorted(examples["reason"]) == ["no_answer", "ok", "truncated", "wrong"]


UNCLOSED = "<think>\nmaybe it is \\boxed{104} but let me keep checking the cases one by one"


def test_unclosed_think_is_unfinished_not_an_answer_by_default():
    result = grade_sample(UNCLOSED, "104", "unknown")
    assert (result.correct, result.reason, result.unfinished) == (False, "unfinished", True)
    assert result.answer_matches is True and result.extracted.in_think  # the answer is still recorded
    assert grade_sample(UNCLOSED, "104", None).reason == "unfinished"  # no finish reason at all
    # finish_reason "length" stays truncated, and is not flagged unfinished as well
    cut = grade_sample(UNCLOSED, "104", "length")
    assert (cut.correct, cut.reason, cut.unfinished, cut.answer_matches) == (False, "truncated", False, True)
    # a closed think block, or none, is graded as before
    closed = grade_sample("<think>\nmaybe \\boxed{7}</think>\n\\boxed{104}", "104", "unknown")
    assert (closed.correct, closed.reason, closed.unfinished) == (True, "ok", False)
    plain = grade_sample("It is \\boxed{104}.", "104", "stop")
    assert (plain.correct, plain.reason, plain.unfinished) == (True, "ok", False)
    assert not answers.has_unclosed_think("<think>a</think>b") and not answers.has_unclosed_think(None)


def test_last_answer_rule_grades_the_answer_inside_an_unclosed_think():
    right = grade_sample(UNCLOSED, "104", "stop", unfinished_think="last_answer")
    assert (right.correct, right.reason, right.grader, right.unfinished) == (True, "ok", "aime_int", True)
    wrong = grade_sample(UNCLOSED, "105", "stop", unfinished_think="last_answer")
    assert (wrong.correct, wrong.reason, wrong.unfinished) == (False, "wrong", True)
    empty = grade_sample("<think>still going", "105", "unknown", unfinished_think="last_answer")
    assert (empty.correct, empty.reason, empty.unfinished) == (False, "no_answer", True)
    # truncation is not an unclosed think: the rule leaves it alone
    assert grade_sample(UNCLOSED, "104", "length", unfinished_think="last_answer").reason == "truncated"
    with pytest.raises(ValueError, match="unfinished_think 'accept'"):
        grade_sample(UNCLOSED, "104", "stop", unfinished_think="accept")


def test_judge_is_not_asked_about_unfinished_samples_unless_their_answer_is_graded():
    asked = []

    def judge(problem, gold, response, extracted):
        asked.append(response)
        return True

    unfinished = grade_sample("<think>it is seventy", "70", "stop", judge=judge)
    assert (unfinished.correct, unfinished.reason, asked) == (False, "unfinished", [])
    accepted = grade_sample("<think>it is seventy", "70", "stop", judge=judge, unfinished_think="last_answer")
    assert (accepted.correct, accepted.grader, accepted.reason) == (True, "judge", "ok")
    assert asked == ["<think>it is seventy"]


def _unfinished_samples():
    return _samples(
        [
            {"question_id": "60", "sample_idx": 0, "response": r"\boxed{204}", "gold": "204"},
            {"question_id": "60", "sample_idx": 1, "response": r"<think>so \boxed{204} but", "gold": "204"},
            {
                "question_id": "60",
                "sample_idx": 2,
                "response": r"<think>so \boxed{205} but",
                "gold": "204",
                "finish_reason": "unknown",
            },
            {"question_id": "60", "sample_idx": 3, "response": "<think>no idea yet", "gold": "204"},
            {
                "question_id": "61",
                "sample_idx": 0,
                "response": r"<think>so \boxed{113}",
                "gold": "113",
                "finish_reason": "length",
            },
            {"question_id": "61", "sample_idx": 1, "response": r"<think>x</think>\boxed{113}", "gold": "113"},
        ]
    )


def test_grade_frame_flags_unfinished_under_both_rules_and_summaries_count_them():
    samples = _unfinished_samples()
    graded = grade_frame(samples)
    assert graded["reason"].tolist() == ["ok", "unfinished", "unfinished", "unfinished", "truncated", "ok"]
    assert graded["correct"].tolist() == [True, False, False, False, False, True]
    assert graded["unfinished"].tolist() == [False, True, True, True, False, False]
    assert graded["truncated"].tolist() == [False, False, False, False, True, False]
    assert graded["answer_matches"].tolist() == [True, True, False, False, True, True]
    lenient = grade_frame(samples, unfinished_think="last_answer")
    assert lenient["reason"].tolist() == ["ok", "ok", "wrong", "no_answer", "truncated", "ok"]
    assert lenient["correct"].tolist() == [True, True, False, False, False, True]
    assert lenient["unfinished"].tolist() == graded["unfinished"].tolist()  # still flagged
    with pytest.raises(ValueError, match="unfinished_think"):
        grade_frame(samples, unfinished_think="yes")

    summary = grade.truncation_summary(graded).iloc[0]
    assert (summary["truncated"], summary["unfinished"]) == (pytest.approx(1 / 6), pytest.approx(3 / 6))
    assert summary["truncated_or_unfinished"] == pytest.approx(4 / 6)
    assert grade.truncated_or_unfinished(graded).tolist() == [False, True, True, True, True, False]

    # the same table whichever rule the frame was graded with
    for frame in (graded, lenient):
        table = grade.unfinished_summary(frame)
        assert table.columns.tolist() == [
            "model",
            "samples",
            "unfinished",
            "unfinished_with_answer",
            "unfinished_matching",
            "accuracy_incorrect",
            "accuracy_last_answer",
            "accuracy_change",
        ]
        row = table.iloc[0]
        assert (row["samples"], row["unfinished"], row["unfinished_with_answer"], row["unfinished_matching"]) == (
            6,
            3,
            2,
            1,
        )
        assert (row["accuracy_incorrect"], row["accuracy_last_answer"]) == (pytest.approx(2 / 6), pytest.approx(3 / 6))
        assert row["accuracy_change"] == pytest.approx(1 / 6)
    assert graded["correct"].mean() == pytest.approx(2 / 6) and lenient["correct"].mean() == pytest.approx(3 / 6)


def test_unfinished_summary_has_a_row_per_model_even_without_unclosed_thinks():
    samples = pd.concat(
        [
            _unfinished_samples(),
            _samples([{"model": "n", "question_id": "60", "sample_idx": 0, "response": r"\boxed{1}", "gold": "204"}]),
        ],
        ignore_index=True,
    )
    table = grade.unfinished_summary(grade_frame(samples)).set_index("model")
    assert table.loc["n", ["samples", "unfinished", "unfinished_matching"]].tolist() == [1, 0, 0]
    assert table.loc["n", "accuracy_change"] == 0 and table.loc["m", "unfinished"] == 3


def test_graded_files_from_before_the_unfinished_flag_still_read(tmp_path):
    graded = grade_frame(_unfinished_samples()).drop(columns=["unfinished"])
    graded.to_parquet(tmp_path / "old.parquet", index=False)
    old = schema.read_table(tmp_path / "old.parquet", graded=True)
    assert old["unfinished"].dtype == bool and not old["unfinished"].any()
    assert list(old.columns[: len(schema.SAMPLE_COLUMNS) + len(schema.GRADED_COLUMNS)]) == [
        *schema.SAMPLE_COLUMNS,
        *schema.GRADED_COLUMNS,
    ]
    assert grade.truncation_summary(graded)["truncated_or_unfinished"].item() == pytest.approx(1 / 6)
    assert grade.unfinished_summary(graded)["unfinished"].item() == 0


def test_stage_and_cli_take_the_unfinished_think_rule(tmp_path):
    samples = _samples([{"question_id": "60", "sample_idx": 0, "response": UNCLOSED, "gold": "104"}])
    schema.write_table(samples, tmp_path / "sample" / "samples.parquet")
    strict = grade.grade_stage(GradeParams(cross_check_samples=0), tmp_path / "sample", tmp_path / "strict", "exp")
    lenient = grade.grade_stage(
        GradeParams(cross_check_samples=0, unfinished_think="last_answer"), tmp_path / "sample", tmp_path / "lenient"
    )
    assert (strict["reason"].item(), strict["correct"].item()) == ("unfinished", False)
    assert (lenient["reason"].item(), lenient["correct"].item(), lenient["unfinished"].item()) == ("ok", True, True)
    with pytest.raises(Exception, match="unfinished_think"):
        GradeParams(unfinished_think="accept")
    parser = cli.argparse.ArgumentParser()
    grade.add_cli(parser.add_subparsers())
    base = ["grade", str(tmp_path / "sample" / "samples.parquet"), "--out"]
    for rule, reason in (("incorrect", "unfinished"), ("last_answer", "ok")):
        args = parser.parse_args([*base, str(tmp_path / f"{rule}.parquet"), "--unfinished-think", rule])
        assert args.func(args) == 0
        assert schema.read_table(tmp_path / f"{rule}.parquet", graded=True)["reason"].tolist() == [reason]


def test_grade_params_reject_unknown_keys():
    assert GradeParams().judge == ""
    with pytest.raises(Exception, match="extra"):
        GradeParams(timeout=3)
    with pytest.raises(Exception, match="input_format"):
        GradeParams(input_format="lm_eval")
    with pytest.raises(Exception, match="math_verify_timeout_s"):
        GradeParams(math_verify_timeout_s=0)


def test_cli_grade_round_trip(tmp_path):
    samples = _samples([{"question_id": "60", "sample_idx": 0, "response": r"\boxed{204}", "gold": "204"}])
    schema.write_table(samples, tmp_path / "samples.parquet")
    parser = cli.argparse.ArgumentParser()
    grade.add_cli(parser.add_subparsers())
    args = parser.parse_args(["grade", str(tmp_path / "samples.parquet"), "--out", str(tmp_path / "graded.parquet")])
    assert args.func(args) == 0
    graded = schema.read_table(tmp_path / "graded.parquet", graded=True)
    assert graded["correct"].tolist() == [True]
    assert graded["math_verify_correct"].tolist() == [True]  # GradeParams' cross-check, on by default


def test_cli_grade_takes_grade_params_as_flags_file_and_set(tmp_path, capsys):
    """`ladder grade` flags are GradeParams' fields (no defaults of their own); errors are one line, exit 2."""
    samples = _samples([{"question_id": "60", "sample_idx": 0, "response": r"\boxed{204}", "gold": "204"}])
    schema.write_table(samples, tmp_path / "samples.parquet")
    base = ["grade", str(tmp_path / "samples.parquet"), "--out", str(tmp_path / "graded.parquet")]
    flags = ["--math-verify-timeout-s", "2", "--cross-check-samples", "0", "--unfinished-think", "last_answer"]
    assert cli.main([*base, *flags]) == 0
    assert schema.read_table(tmp_path / "graded.parquet", graded=True)["math_verify_correct"].isna().all()
    (tmp_path / "grade.yaml").write_text("grade:\n  cross_check_samples: 0\n")
    assert cli.main([*base, "--params", str(tmp_path / "grade.yaml"), "--set", "seed=3"]) == 0
    assert schema.read_table(tmp_path / "graded.parquet", graded=True)["math_verify_correct"].isna().all()
    capsys.readouterr()
    assert cli.main([*base, "--cross-check-samples", "-1"]) == 2
    assert capsys.readouterr().err.startswith("ladder grade: error: ")
    assert cli.main([*base, "--judge", "gpt-4o-mini"]) == 2
    assert "openai:MODEL" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # the old flag; its default re-declared GradeParams' (now --math-verify-timeout-s)
        cli.main([*base, "--timeout", "1"])


def test_stage_reads_input_dir_or_ingests_inputs(tmp_path):
    samples = _samples([{"question_id": "60", "sample_idx": 0, "response": r"\boxed{204}", "gold": "204"}])
    schema.write_table(samples, tmp_path / "sample" / "samples.parquet")
    graded = grade.grade_stage(GradeParams(cross_check_samples=0), tmp_path / "sample", tmp_path / "grade", "exp")
    assert graded["correct"].tolist() == [True]
    assert schema.read_table(tmp_path / "grade" / "graded.parquet", graded=True)["reason"].tolist() == ["ok"]
    with pytest.raises(ValueError, match="params 'inputs' is empty"):
        grade.grade_stage(GradeParams(), "", tmp_path / "grade2", "exp")
    with pytest.raises(ValueError, match="openai:MODEL"):
        grade.grade_stage(GradeParams(judge="gpt-4o-mini"), tmp_path / "sample", tmp_path / "grade3", "exp")


@pytest.mark.slow
def test_notebook_40_grade_executes_through_the_runner(tmp_path):
    from ladder.run import execute_notebook  # pulls in the whole runner and the book (seconds); only this test

    # per question: right, a think block never closed, wrong
    lines = [
        lm_eval_line(i, doc, [rf"\boxed{{{int(doc['answer'])}}}", "<think>no end", "**7**"])
        for i, doc in enumerate(DOCS[:2])
    ]
    source = write_lm_eval(tmp_path / "org__model", "aime24", lines)
    out = tmp_path / "40_grade"
    parameters = {
        "output_dir": str(out),
        "input_dir": "",
        "experiment": "exp",
        "profile": "test",
        "inputs": [str(source)],
        "input_format": "lm-eval",
        "cross_check_samples": 10,
    }
    execute_notebook(paths.NOTEBOOKS_DIR / "40_grade.py", out, parameters, cell_timeout_s=300)
    graded = schema.read_table(out / "graded.parquet", graded=True)
    assert graded["model"].unique().tolist() == ["org/model"]
    assert graded["question_id"].tolist() == ["60"] * 3 + ["67"] * 3
    assert graded["reason"].tolist() == ["ok", "unfinished", "wrong"] * 2  # "<think>no end" never closes
    assert graded["unfinished"].tolist() == [False, True, False] * 2
    html = (out / "notebook.html").read_text()
    assert "Where graders disagree" in html and "unfinished_matching" in html


def test_runaway_output_full_of_unclosed_boxes_is_read_in_one_pass():
    runaway = r"\boxed{12} " + r"so \boxed{1 + " * 5000
    result = grade_sample(runaway, "12", "length")
    assert (result.extracted.normalized, result.answer_matches, result.reason) == ("12", True, "truncated")
    assert grade_sample(r"\boxed{" * 20000, "12", "length").reason == "truncated"


def test_grade_frame_hands_the_judge_the_problem_text():
    seen = {}

    def judge(problem, gold, response, extracted):
        seen[problem] = (gold, response)
        return False

    samples = _samples([{"question_id": "60", "sample_idx": 0, "response": "I give up", "gold": "204"}])
    problems = pd.DataFrame({"question_id": ["60"], "problem": ["Aya walks 9 km."]})
    graded = grade_frame(samples, judge=judge, problems=problems)
    assert seen == {"Aya walks 9 km.": ("204", "I give up")}
    assert (graded["grader"].item(), graded["reason"].item(), graded["correct"].item()) == ("judge", "wrong", False)
