"""The intervals' coverage, by simulation through the real estimators (ladder.coverage, ladder.metrics)."""

from __future__ import annotations

import numpy as np
import pytest

from ladder import coverage, metrics


def test_simulated_answers_reproduce_the_solve_rates_and_the_exact_true_values():
    rng = np.random.default_rng(0)
    mixture = coverage.REALISTIC
    big = coverage.simulate_outcomes(mixture.draw(rng, 200_000), 8, rng)
    assert metrics.question_values(big, "avg@n").mean() == pytest.approx(mixture.mean(), abs=0.003)
    assert metrics.question_values(big, "cov@2").mean() == pytest.approx(mixture.coverage_value(2), abs=0.003)
    assert metrics.question_values(big, "pass@4").mean() == pytest.approx(mixture.coverage_value(4), abs=0.003)
    # maj@8 is right less often than cov@8 and more often than never; wrong answers split their votes.
    maj = metrics.question_values(big, "maj@n").mean()
    assert mixture.ones < maj < mixture.coverage_value(8)


def test_nominal_95_covers_93_to_97_percent_on_realistic_panels():
    table = coverage.coverage_table(coverage.REALISTIC, n_panels=2000, question_counts=(12, 30), seed=0)
    assert set(table["questions"]) == {12, 30} and len(table) == 2 * len(coverage.METRICS)
    outside = table[(table["coverage"] < 0.93) | (table["coverage"] > 0.97)]
    assert outside.empty, outside.to_string()
    assert (table["estimate_inside"] == 1.0).all()


def test_a_too_narrow_interval_is_caught():
    # The study's check must be able to fail: a 70% interval called 95% covers far less than 93%.
    table = coverage.coverage_table(coverage.REALISTIC, n_panels=1000, question_counts=(30,), confidence=0.7)
    assert (table["coverage"] < 0.8).all()


def test_paired_differences_cover_on_realistic_panels():
    table = coverage.paired_coverage_table(
        coverage.REALISTIC, n_panels=300, question_counts=(30,), names=("avg@n", "cov@n"), seed=0
    )
    assert len(table) == len(coverage.PAIRED_SCENARIOS) * 2
    assert (table["coverage"] >= 0.9).all(), table.to_string()
    lifted = table[table["scenario"] != "no difference"]
    assert (lifted["true_difference"] > 0).all()
