"""Coverage study: do the metrics' 95% intervals contain the true value 95% of the time?

Simulates panels of realistic shape (Q questions, n samples each) from a population of questions whose solve
rates follow a Beta mixture with exact 0s and 1s (questions no sample solves, questions every sample solves),
runs each panel through the real estimators and intervals of :mod:`ladder.metrics`, and counts how often the
interval contains the population value. Wrong answers are spread over a few distractors (and "no answer") so
that maj@k votes as it does on real outputs.

The true values: avg@n = E[p]; cov@k and pass@k = E[1 - (1 - p)^k] (both estimate it; exact from the Beta
moments); maj@k = the chance that the majority of k samples is right, by Monte Carlo over many questions.

Usage::

    from ladder import coverage
    table = coverage.coverage_table(coverage.REALISTIC, n_panels=2000)      # metric x Q -> coverage
    paired = coverage.paired_coverage_table(coverage.REALISTIC, n_panels=2000)

``make bench`` runs the full study (``bench/bench_coverage.py``); a test runs the realistic mixture.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from ladder import metrics

METRICS = ("avg@n", "cov@2", "cov@4", "cov@n", "pass@2", "pass@4", "maj@n")
N_DISTRACTORS = 3  # wrong answers a question attracts, besides "no answer"


@dataclass(frozen=True)
class SolveRateMixture:
    """Per-question solve rates: 0 with weight ``zeros``, 1 with weight ``ones``, else Beta(a, b)."""

    name: str
    zeros: float
    ones: float
    a: float
    b: float

    def draw(self, rng: np.random.Generator, size) -> np.ndarray:
        """Solve rates of ``size`` questions."""
        u = rng.random(size)
        p = rng.beta(self.a, self.b, size=size)
        p[u < self.zeros] = 0.0
        p[(u >= self.zeros) & (u < self.zeros + self.ones)] = 1.0
        return p

    def coverage_value(self, k: int) -> float:
        """E[1 - (1 - p)^k], the population value of cov@k and pass@k (exact)."""
        beta_part = 1.0 - special.beta(self.a, self.b + k) / special.beta(self.a, self.b)
        return self.ones + (1.0 - self.zeros - self.ones) * beta_part

    def mean(self) -> float:
        """E[p], the population value of avg@n."""
        return self.ones + (1.0 - self.zeros - self.ones) * self.a / (self.a + self.b)


# A whole benchmark: a fifth of the questions never solved, some always, the rest spread out (as AIME24 is
# for a mid-size model). The tier-like mixtures are the stress cases: most mass near one end.
REALISTIC = SolveRateMixture("benchmark-like", zeros=0.2, ones=0.15, a=0.8, b=0.8)
HARD_TIER = SolveRateMixture("hard-tier-like", zeros=0.5, ones=0.05, a=0.5, b=2.0)
EASY_TIER = SolveRateMixture("easy-tier-like", zeros=0.05, ones=0.5, a=2.0, b=0.5)


def simulate_outcomes(
    solve_rates: np.ndarray, n_samples: int, rng: np.random.Generator, model: str = "simulated"
) -> metrics.Outcomes:
    """One :class:`ladder.metrics.Outcomes` whose questions are all the given solve rates (flattened).

    Each sample answers correctly with the question's solve rate; otherwise it gives one of the question's
    distractors (weights from a Dirichlet draw) or no answer. Answers are numbered by first appearance, as
    :func:`ladder.metrics.encode_answers` numbers real ones, so maj@k breaks ties the same way.
    """
    p = np.asarray(solve_rates, dtype=float).ravel()
    n_q = p.size
    wrong = rng.dirichlet([0.7] * N_DISTRACTORS + [0.3], size=n_q)  # last column: no answer
    probs = np.concatenate([p[:, None], (1.0 - p)[:, None] * wrong], axis=1)
    cumulative = probs.cumsum(axis=1)
    draws = rng.random((n_q, n_samples))
    category = (draws[..., None] > cumulative[:, None, :]).sum(axis=-1).clip(0, N_DISTRACTORS + 1)
    no_answer = N_DISTRACTORS + 1
    # Renumber answers by first appearance (no answer: -1), vectorised over questions.
    first_seen = np.stack(
        [np.where((category == c).any(axis=1), (category == c).argmax(axis=1), n_samples) for c in range(no_answer)],
        axis=1,
    )
    order = np.argsort(np.argsort(first_seen, axis=1, kind="stable"), axis=1, kind="stable")
    codes = np.where(category == no_answer, -1, np.take_along_axis(order, category.clip(0, no_answer - 1), axis=1))
    answer_correct = np.zeros((n_q, no_answer), dtype=bool)
    answer_correct[np.arange(n_q), order[:, 0]] = True  # category 0 is the correct answer
    answer_correct &= np.sort(first_seen, axis=1) < n_samples  # only answers that occur
    ids = tuple(str(i) for i in range(n_q))
    return metrics.Outcomes(model, ids, category == 0, codes.astype(np.int64), answer_correct)


def true_values(
    mixture: SolveRateMixture, n_samples: int, names: Sequence[str] = METRICS, n_monte_carlo: int = 400_000, seed=0
) -> dict[str, float]:
    """The population value of each metric: exact for avg, cov and pass, Monte Carlo for maj."""
    out = {}
    big = None
    for name in names:
        kind, _, k_text = name.partition("@")
        k = n_samples if k_text == "n" else int(k_text)
        if kind == "avg":
            out[name] = mixture.mean()
        elif kind in ("cov", "pass"):
            out[name] = mixture.coverage_value(k)
        else:
            if big is None:
                rng = np.random.default_rng(seed)
                big = simulate_outcomes(mixture.draw(rng, n_monte_carlo), n_samples, rng)
            out[name] = float(metrics.question_values(big, name).mean())
    return out


def _panel_values(outcomes: metrics.Outcomes, name: str, n_panels: int, n_questions: int) -> np.ndarray:
    return metrics.question_values(outcomes, name).reshape(n_panels, n_questions)


def coverage_table(
    mixture: SolveRateMixture = REALISTIC,
    n_panels: int = 2000,
    question_counts: Sequence[int] = (12, 30),
    n_samples: int = 8,
    names: Sequence[str] = METRICS,
    confidence: float = metrics.DEFAULT_CONFIDENCE,
    seed: int = 0,
) -> pd.DataFrame:
    """Empirical coverage of each metric's interval, one row per metric x number of questions.

    Columns: mixture, metric, questions, true_value, coverage, mean_width, estimate_inside (share of panels
    whose point estimate lies inside its own interval: always 1).
    """
    truth = true_values(mixture, n_samples, names, seed=seed + 1)
    rng = np.random.default_rng(seed)
    rows = []
    for n_q in question_counts:
        outcomes = simulate_outcomes(mixture.draw(rng, (n_panels, n_q)), n_samples, rng)
        for name in names:
            values = _panel_values(outcomes, name, n_panels, n_q)
            low, high = metrics.mean_interval(values, confidence)
            estimate = values.mean(axis=1)
            rows.append(
                {
                    "mixture": mixture.name,
                    "metric": name.replace("@n", f"@{n_samples}"),
                    "questions": n_q,
                    "true_value": truth[name],
                    "coverage": float(np.mean((low <= truth[name]) & (truth[name] <= high))),
                    "mean_width": float(np.mean(high - low)),
                    "estimate_inside": float(np.mean((low <= estimate) & (estimate <= high))),
                }
            )
    return pd.DataFrame(rows)


# How an SFT model's solve rates relate to its base's on the same questions (the paired scenarios).
PAIRED_SCENARIOS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "no difference": lambda p: p,
    "SFT lifts every open question": lambda p: 1.0 - (1.0 - p) ** 3,
    "SFT adds 15 points to open questions": lambda p: np.clip(p + 0.15 * ((p > 0) & (p < 1)), 0.0, 1.0),
}


def paired_coverage_table(
    mixture: SolveRateMixture = REALISTIC,
    n_panels: int = 2000,
    question_counts: Sequence[int] = (12, 30),
    n_samples: int = 8,
    names: Sequence[str] = ("avg@n", "cov@2", "cov@n", "pass@4", "maj@n"),
    confidence: float = metrics.DEFAULT_CONFIDENCE,
    seed: int = 0,
) -> pd.DataFrame:
    """Empirical coverage of :func:`ladder.metrics.paired_difference` for each scenario x metric x Q."""
    rng = np.random.default_rng(seed)
    rows = []
    for scenario, lift in PAIRED_SCENARIOS.items():
        base_rates = mixture.draw(np.random.default_rng(seed + 1), 400_000)
        big_base = simulate_outcomes(base_rates, n_samples, rng)
        big_sft = simulate_outcomes(lift(base_rates), n_samples, rng)
        truth = {
            n: float(metrics.question_values(big_sft, n).mean() - metrics.question_values(big_base, n).mean())
            for n in names
        }
        for n_q in question_counts:
            rates = mixture.draw(rng, (n_panels, n_q))
            base = simulate_outcomes(rates, n_samples, rng)
            sft = simulate_outcomes(lift(rates), n_samples, rng)
            for name in names:
                hits = []
                for i in range(n_panels):
                    part = slice(i * n_q, (i + 1) * n_q)
                    res = metrics.paired_difference(_rows(sft, part), _rows(base, part), name, confidence)
                    hits.append(res.ci_low <= truth[name] + 1e-12 and truth[name] - 1e-12 <= res.ci_high)
                rows.append(
                    {
                        "mixture": mixture.name,
                        "scenario": scenario,
                        "metric": name.replace("@n", f"@{n_samples}"),
                        "questions": n_q,
                        "true_difference": truth[name],
                        "coverage": float(np.mean(hits)),
                    }
                )
    return pd.DataFrame(rows)


def _rows(outcomes: metrics.Outcomes, part: slice) -> metrics.Outcomes:
    """One panel of a flattened simulation, with question ids 0..Q-1."""
    ids = tuple(str(i) for i in range(part.stop - part.start))
    return metrics.Outcomes(
        outcomes.model, ids, outcomes.correct[part], outcomes.answer_codes[part], outcomes.answer_correct[part]
    )
