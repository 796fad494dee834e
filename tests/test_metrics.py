"""ladder.metrics: pass@k against brute force, invariants, maj@k, CIs against scipy, the bootstrap, unequal n."""

from __future__ import annotations

import itertools
import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ladder import metrics
from ladder.metrics import MetricsError


def brute_force_pass_at_k(sample: list[bool], k: int) -> float:
    """Share of all k-subsets of the samples that hold at least one correct sample."""
    subsets = list(itertools.combinations(range(len(sample)), k))
    assert len(subsets) == math.comb(len(sample), k)
    return sum(any(sample[i] for i in s) for s in subsets) / len(subsets)


@pytest.mark.parametrize("n", range(1, 9))
def test_pass_at_k_matches_brute_force_over_all_subsets(n):
    for c in range(n + 1):
        sample = [True] * c + [False] * (n - c)
        for k in range(1, n + 1):
            assert metrics.pass_at_k_unbiased(n, c, k) == pytest.approx(brute_force_pass_at_k(sample, k), abs=1e-12)


def test_pass_at_k_metric_averages_the_per_question_estimator():
    rng = np.random.default_rng(3)
    correct = rng.random((7, 6)) < 0.4
    for k in range(1, 7):
        expected = np.mean([brute_force_pass_at_k(list(row), k) for row in correct])
        assert metrics.pass_at_k(correct, k).statistic == pytest.approx(expected)


def test_pass_at_1_is_c_over_n_and_pass_at_k_is_monotone_in_k():
    n = 16
    for c in range(n + 1):
        values = [float(metrics.pass_at_k_unbiased(n, c, k)) for k in range(1, n + 1)]
        assert values[0] == pytest.approx(c / n)
        assert all(b >= a - 1e-12 for a, b in itertools.pairwise(values))
        assert values[-1] == (1.0 if c else 0.0)


def test_cov_at_k_uses_the_first_k_samples_unlike_pass_at_k():
    correct = np.array([[False, False, True, True]])
    assert metrics.cov_at_k(correct, 2).statistic == 0.0
    assert metrics.cov_at_k(correct, 3).statistic == 1.0
    assert metrics.pass_at_k(correct, 2).statistic == pytest.approx(1 - 1 / 6)


def test_avg_at_n_is_the_mean_of_per_question_means():
    correct = np.array([[True, False, False, False], [True, True, True, False]])
    result = metrics.avg_at_n(correct)
    assert result.statistic == pytest.approx((0.25 + 0.75) / 2)
    assert (result.n, result.n_questions, result.metric) == (4, 2, "avg@4")


@pytest.mark.parametrize(
    ("answers", "correct", "k", "expected"),
    [
        (["5", "7", "7", None], [True, False, False, False], 4, 0.0),  # 7 wins the vote
        (["5", "7", "7", None], [True, False, False, False], 1, 1.0),  # maj@1 = the first sample
        (["5", "7", "5", "7"], [True, False, True, False], 4, 1.0),  # tie -> the answer seen first
        (["7", "5", "5", "7"], [False, True, True, False], 4, 0.0),  # tie -> the answer seen first
        ([None, None, "3", None], [False, False, True, False], 4, 1.0),  # no-answer never wins
        ([None, None, None, None], [False, False, False, False], 4, 0.0),  # nothing extracted: wrong
        (["1", "2", "3", "3"], [False, False, True, True], 2, 0.0),  # only the first k samples vote
    ],
)
def test_maj_at_k_cases(answers, correct, k, expected):
    result = metrics.maj_at_k(np.array([correct]), k, answers=np.array([answers], dtype=object))
    assert result.statistic == expected


def naive_maj(answers: list, correct: list, k: int) -> float:
    votes = Counter(a for a in answers[:k] if a is not None)
    if not votes:
        return 0.0
    top = max(votes.values())
    winner = next(a for a in answers[:k] if a is not None and votes[a] == top)  # first seen among the tied
    return float(correct[answers.index(winner)])


def test_vectorised_maj_matches_a_counter_loop_on_random_answers():
    rng = np.random.default_rng(11)
    answers = rng.integers(0, 4, size=(40, 9)).astype(object)
    answers[rng.random(answers.shape) < 0.2] = None
    correct = np.array([[a == 0 for a in row] for row in answers])
    for k in (1, 3, 5, 9):
        expected = np.mean([naive_maj(list(a), list(c), k) for a, c in zip(answers, correct, strict=True)])
        assert metrics.maj_at_k(correct, k, answers=answers).statistic == pytest.approx(expected)


@pytest.mark.parametrize(("successes", "trials"), [(0, 8), (1, 8), (4, 8), (8, 8), (13, 64), (63, 64), (7, 30)])
def test_proportion_ci_is_scipys_wilson_interval(successes, trials):
    expected = stats.binomtest(successes, trials).proportion_ci(confidence_level=0.9, method="wilson")
    low, high = metrics.proportion_ci(successes, trials, confidence=0.9)
    assert float(low) == pytest.approx(expected.low, abs=1e-9)
    assert float(high) == pytest.approx(expected.high, abs=1e-9)


def test_proportion_ci_ends_exactly_at_0_for_none_and_at_1_for_all():
    trials = np.arange(1, 600)
    low, _ = metrics.proportion_ci(np.zeros_like(trials), trials)
    _, high = metrics.proportion_ci(trials, trials)
    assert (low == 0.0).all() and (high == 1.0).all()


def test_proportion_ci_is_vectorised():
    low, high = metrics.proportion_ci(np.array([0, 4, 8]), np.array([8, 8, 8]))
    assert low.shape == (3,) and np.all(low <= high) and low[0] == 0 and high[2] == 1


def test_intervals_contain_their_estimate_strictly_unless_all_or_nothing_is_solved():
    rng = np.random.default_rng(0)
    names = ["avg@n", "cov@2", "cov@4", "pass@4", "maj@n"]
    for _ in range(200):
        correct = rng.random((12, 8)) < rng.random((12, 1)) ** 2
        suite = metrics.metric_suite(metrics.outcomes_from_arrays(correct), names)
        for res in suite.values():
            if 0 < res.statistic < 1:
                assert res.ci_low < res.statistic < res.ci_high, res
            else:
                assert res.ci_low <= res.statistic <= res.ci_high and res.ci_high - res.ci_low > 0.1, res
            assert "Wilson interval over questions" in res.method


def test_cov_at_2_interval_is_centred_on_its_own_estimate():
    # The landed bootstrap put cov@2 = 0.417 at the top of [0.000, 0.417] when the first two samples were lucky.
    correct = np.zeros((12, 8), dtype=bool)
    correct[:5, 0] = True  # five questions solved once, always by the first sample
    res = metrics.cov_at_k(correct, 2)
    assert res.statistic == pytest.approx(5 / 12)
    assert res.ci_low < 0.3 and res.ci_high > 0.6


def test_one_bernoulli_value_per_question_gives_about_wilsons_interval_over_questions():
    correct = np.zeros((30, 8), dtype=bool)
    correct[:12, 0] = True
    res = metrics.cov_at_k(correct, 1)
    low, high = metrics.proportion_ci(0.4 * 29, 29)  # n_eff = Q - 1 with the sample variance (ddof 1)
    assert (res.ci_low, res.ci_high) == pytest.approx((float(low), float(high)), abs=1e-9)
    wilson_low, wilson_high = metrics.proportion_ci(12, 30)
    assert res.ci_low == pytest.approx(float(wilson_low), abs=0.01)


def test_interval_narrows_with_more_questions_and_never_collapses():
    rng = np.random.default_rng(1)
    widths = []
    for n_q in (10, 160):
        correct = rng.random((n_q, 8)) < 0.5
        res = metrics.avg_at_n(correct)
        widths.append(res.ci_high - res.ci_low)
    assert widths[1] < widths[0] / 2
    # Every question at 7 of 8: no spread between questions, but 12 questions cannot pin the mean to 0.875.
    same = metrics.avg_at_n(np.tile([True] * 7 + [False], (12, 1)))
    assert same.ci_high - same.ci_low > 0.15


def test_no_intervals_gives_nan_cis_and_k_above_n_is_an_error():
    res = metrics.avg_at_n(np.ones((2, 3), dtype=bool), intervals=False)
    assert math.isnan(res.ci_low) and math.isnan(res.ci_high)
    with pytest.raises(MetricsError, match="k=5 but only n=3"):
        metrics.pass_at_k(np.ones((2, 3), dtype=bool), 5)
    oc = metrics.outcomes_from_arrays(np.ones((2, 3), dtype=bool))
    for bad in ["best@2", "pass@x", "avg@2"]:
        with pytest.raises(MetricsError, match=bad):
            metrics.metric_suite(oc, [bad])


def test_paired_difference_is_narrower_than_two_separate_intervals_and_matches_questions_by_id():
    rng = np.random.default_rng(2)
    rates = rng.random((30, 1)) ** 2
    base = rng.random((30, 8)) < rates
    sft = rng.random((30, 8)) < np.minimum(rates + 0.2, 1)
    ids = [str(60 + i) for i in range(30)]
    a = metrics.outcomes_from_arrays(sft, model="sft", question_ids=ids)
    b = metrics.outcomes_from_arrays(base[::-1], model="base", question_ids=ids[::-1])  # other order
    diff = metrics.paired_difference(a, b, "avg@n")
    sa, sb = metrics.avg_at_n(a), metrics.avg_at_n(b.subset(ids))
    assert diff.statistic == pytest.approx(sa.statistic - sb.statistic)
    assert diff.ci_low < diff.statistic < diff.ci_high
    assert diff.ci_high - diff.ci_low < (sa.ci_high - sa.ci_low + sb.ci_high - sb.ci_low) / 2
    assert diff.ci_low > 0 and "sft avg@n minus base avg@n" in diff.method
    gap = metrics.paired_difference(a, a, "cov@n", second_metric="avg@n")
    assert gap.ci_low > 0 and gap.statistic == pytest.approx(metrics.cov_at_k(a, 8).statistic - sa.statistic)
    with pytest.raises(MetricsError, match="not the same questions"):
        metrics.paired_difference(a, b.subset(ids[:10]), "avg@n")


def graded_rows(counts: dict[tuple[str, str], list[bool]]) -> pd.DataFrame:
    rows = []
    for (model, qid), flags in counts.items():
        for i, ok in enumerate(flags):
            rows.append(
                {
                    "model": model,
                    "question_id": qid,
                    "sample_idx": i,
                    "correct": ok,
                    "extracted_answer": "1" if ok else "2",
                }
            )
    return pd.DataFrame(rows)


def test_outcomes_from_graded_orders_samples_by_sample_idx():
    frame = graded_rows({("m", "60"): [False, False, True], ("m", "61"): [True, False, False]})
    shuffled = frame.sample(frac=1.0, random_state=0)
    oc = metrics.outcomes_from_graded(shuffled)["m"]
    assert oc.question_ids == ("60", "61")
    assert oc.correct.tolist() == [[False, False, True], [True, False, False]]
    assert metrics.cov_at_k(oc, 1).statistic == 0.5


def test_unequal_n_is_an_error_naming_model_and_questions():
    frame = graded_rows({("m", "60"): [True] * 4, ("m", "61"): [True] * 3, ("x", "60"): [False] * 2})
    with pytest.raises(MetricsError, match=r"model 'm' has unequal samples per question \(n from 3 to 4.*61: 3"):
        metrics.outcomes_from_graded(frame)


def test_unequal_n_truncate_is_reported_explicitly():
    frame = graded_rows({("m", "60"): [False, False, True, True], ("m", "61"): [True, True, False]})
    oc = metrics.outcomes_from_graded(frame, unequal_n="truncate")["m"]
    assert oc.n == 3 and oc.n_dropped == 1
    res = metrics.avg_at_n(oc)
    assert res.statistic == pytest.approx((1 / 3 + 2 / 3) / 2)
    assert "truncated to the first 3 samples, 1 dropped" in res.method


def test_duplicate_keys_and_missing_columns_are_errors():
    frame = graded_rows({("m", "60"): [True, False]})
    with pytest.raises(MetricsError, match="share a"):
        metrics.outcomes_from_graded(pd.concat([frame, frame.iloc[:1]]))
    with pytest.raises(MetricsError, match="missing column"):
        metrics.outcomes_from_graded(frame.drop(columns="extracted_answer"))


def test_subset_keeps_the_requested_questions_and_rejects_unknown_ones():
    oc = metrics.outcomes_from_arrays(np.array([[True], [False], [True]]), question_ids=["a", "b", "c"])
    assert oc.subset(["c", "b"]).correct[:, 0].tolist() == [True, False]
    with pytest.raises(MetricsError, match="no samples for question"):
        oc.subset(["z"])


def test_module_docstring_example_holds():
    import doctest

    assert doctest.testmod(metrics).failed == 0
