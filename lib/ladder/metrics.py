"""Metrics over repeated samples: avg@n, cov@k (first k, as the study), unbiased pass@k, maj@k, with CIs.

Every metric takes a questions x samples correctness matrix (``correct[q, s]``, samples in ``sample_idx``
order; :class:`ladder.outcomes.Outcomes`, also importable from here) and returns a frozen :class:`MetricResult` (statistic, ci_low, ci_high, n, method), like
``scipy.stats`` results. Each metric is the mean over questions of a per-question value
(:func:`question_values`), and its CI (:func:`mean_interval`) is a Wilson interval over questions with the
effective sample size.

**What the intervals are conditional on.** The benchmark's questions are treated as a sample from a
population of questions like them, and each question's n samples as a sample of the model's answers: the
interval is for the metric's expected value over that population, so it covers both sources of noise. (An
interval conditional on the fixed questions would be narrower, but it cannot carry a comparison of two
models on 12 questions over to "questions of this tier".) :mod:`ladder.coverage` checks by simulation that
nominal 95% covers 93-97% on panels of 12 and 30 questions with n = 8 (``make bench``, and a test).

Comparisons of two models on the same questions use :func:`paired_difference`, whose interval uses the
correlation of the two models' per-question values.

The two "any correct" metrics differ on purpose (report both and say which is which):

* ``cov@k`` is the study's coverage: 1 if any of the *first* k samples is correct (one draw of k).
* ``pass@k`` is the unbiased estimator ``1 - C(n-c, k) / C(n, k)`` over all k-subsets of the n samples.

The Wilson interval of one proportion (per model and question) is :func:`proportion_ci` (statsmodels).

Usage::

    from ladder import metrics
    tables = metrics.outcomes_from_graded(graded)           # model -> Outcomes (ladder.outcomes); unequal n: error
    suite = metrics.metric_suite(tables["s1.1-32B"], ["avg@n", "pass@4"])
    suite["pass@4"].statistic, suite["pass@4"].ci_low
    metrics.paired_difference(tables["s1.1-32B"], tables["Qwen2.5-32B-Instruct"], "avg@n")

    >>> import numpy as np
    >>> r = pass_at_k(np.array([[True, False, False, False]]), k=2)
    >>> round(r.statistic, 4)                  # 1 - C(3,2)/C(4,2) = 1 - 3/6
    0.5
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from ladder.outcomes import (  # the matrices every metric takes, importable from here as before
    MetricsError,
    Outcomes,
    encode_answers,
    outcomes_from_arrays,
    outcomes_from_graded,
)

__all__ = [
    "DEFAULT_CONFIDENCE",
    "INTERVAL_TEXT",
    "MetricResult",
    "MetricsError",
    "Outcomes",
    "avg_at_n",
    "cov_at_k",
    "encode_answers",
    "maj_at_k",
    "mean_interval",
    "metric_suite",
    "outcomes_from_arrays",
    "outcomes_from_graded",
    "paired_difference",
    "pass_at_k",
    "pass_at_k_table",
    "pass_at_k_unbiased",
    "proportion_ci",
    "question_values",
]

DEFAULT_CONFIDENCE = 0.95  # two-sided CI level


@dataclass(frozen=True)
class MetricResult:
    """One metric with its CI. ``n`` is the number of samples per question, ``n_questions`` the questions."""

    metric: str  # e.g. "pass@4"
    statistic: float
    ci_low: float
    ci_high: float
    n: int
    n_questions: int
    method: str  # how the statistic and the CI were computed, in words


# ---------------------------------------------------------------- per-question estimators (vectorised)


def pass_at_k_table(n: int, k: int) -> np.ndarray:
    """Unbiased pass@k for c = 0..n correct out of n: ``1 - C(n-c, k) / C(n, k)``, exact integer arithmetic."""
    if not 1 <= k <= n:
        raise MetricsError(f"pass@k needs 1 <= k <= n, got k={k}, n={n}")
    total = math.comb(n, k)
    return np.array([1.0 - math.comb(n - c, k) / total for c in range(n + 1)])


def pass_at_k_unbiased(n: int, c: np.ndarray | int, k: int) -> np.ndarray:
    """Unbiased pass@k per question from c correct of n samples (array in, array out)."""
    c = np.asarray(c)
    if np.any((c < 0) | (c > n)):
        raise MetricsError(f"correct counts must lie in 0..{n}")
    return pass_at_k_table(n, k)[c]


def _majority_correct(codes: np.ndarray, question_rows: np.ndarray, answer_correct: np.ndarray) -> np.ndarray:
    """Whether the most frequent answer is correct, for codes (..., Q, k) of questions ``question_rows``.

    Ties go to the answer that appeared first among the question's samples (lowest code); "no answer"
    never wins; a question whose samples have no answer at all counts as wrong.
    """
    *lead, n_q, k = codes.shape
    n_u = answer_correct.shape[1] + 1  # column 0 collects "no answer"
    groups = int(np.prod(lead, dtype=np.int64)) * n_q
    flat = (np.arange(groups).reshape(*lead, n_q, 1) * n_u + codes + 1).ravel()
    counts = np.bincount(flat, minlength=groups * n_u).reshape(*lead, n_q, n_u)[..., 1:]
    winner = counts.argmax(axis=-1)
    has_vote = counts.max(axis=-1) > 0
    rows = np.broadcast_to(question_rows, winner.shape)
    return answer_correct[rows, winner] & has_vote


def _per_question(metric: str, k: int, correct: np.ndarray, codes: np.ndarray, rows: np.ndarray, oc: Outcomes):
    """Per-question value of ``metric`` on (..., Q, n) matrices; returns (..., Q) floats."""
    n = correct.shape[-1]
    if metric == "avg":
        return correct.mean(axis=-1)
    if metric == "cov":
        return correct[..., :k].any(axis=-1).astype(float)
    if metric == "pass":
        return pass_at_k_table(n, k)[correct.sum(axis=-1)]
    if metric == "maj":
        return _majority_correct(codes[..., :k], rows, oc.answer_correct).astype(float)
    raise MetricsError(f"unknown metric {metric!r}; expected avg, cov, pass or maj")


_METHOD_TEXT = {
    "avg": "mean correctness over the n samples, averaged over questions",
    "cov": "1 if any of the first {k} samples is correct (the study's cov@k), averaged over questions",
    "pass": "unbiased pass@k = 1 - C(n-c,{k})/C(n,{k}), averaged over questions",
    "maj": "majority answer of the first {k} samples is correct (ties: earliest answer), averaged over questions",
}


def _parse(name: str, n: int) -> tuple[str, int]:
    """``"pass@4"`` -> ("pass", 4); ``"cov@n"`` -> ("cov", n). avg takes no k other than n."""
    kind, _, k_text = name.partition("@")
    if kind not in _METHOD_TEXT or not (k_text == "n" or k_text.isdigit()):
        raise MetricsError(f"unknown metric {name!r}; expected avg@n, cov@K, pass@K or maj@K (K an integer or n)")
    k = n if k_text == "n" else int(k_text)
    if kind == "avg" and k != n:
        raise MetricsError(f"{name}: avg@n averages all n={n} samples; there is no avg@{k}")
    if not 1 <= k <= n:
        raise MetricsError(f"{name}: k={k} but only n={n} samples per question")
    return kind, k


def question_values(outcomes: Outcomes, metric: str) -> np.ndarray:
    """Each question's value of ``metric`` (``avg@n``, ``cov@k``, ``pass@k``, ``maj@k``): the metric is their mean."""
    kind, k = _parse(metric, outcomes.n)
    rows = np.arange(len(outcomes.question_ids))
    return np.asarray(_per_question(kind, k, outcomes.correct, outcomes.answer_codes, rows, outcomes), dtype=float)


def mean_interval(
    values: np.ndarray, confidence: float = DEFAULT_CONFIDENCE, t_quantile: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """CI of the mean of per-question values in [0, 1] (last axis: questions), for a population of questions.

    A Wilson score interval whose sample size is the effective one (Korn and Graubard 1998; Dean and Pagano
    2015): ``n_eff = m (1 - m) / (s^2 / Q)`` with m the mean, s^2 the sample variance of the Q values. One
    Bernoulli value per question (cov@k, maj@k) gives n_eff = Q - 1, i.e. about Wilson's interval over
    questions. Two guards, both checked by simulation (:mod:`ladder.coverage`):

    * ``n_eff`` is at most 2Q. A small panel that happens to miss the rare question a model fails would
      otherwise show almost no spread and an interval that collapses (Q = 12 easy questions: avg@8 covered
      88% of the time without the cap, 97% with it).
    * All values equal: 0 or 1 everywhere gives Wilson's interval for 0 or Q of Q (the interval is
      "degenerate" only in that its estimate is a bound); any other common value gets n_eff = 2Q.

    ``t_quantile`` widens the interval to Student's t with Q - 1 degrees of freedom (Korn and Graubard's
    degrees-of-freedom adjustment), used by :func:`paired_difference`, which also estimates a correlation
    from the same Q questions. The interval always contains the mean, strictly unless the mean is 0 or 1.
    """
    values = np.asarray(values, dtype=float)
    n_q = values.shape[-1]
    mean = values.mean(axis=-1)
    if n_q < 2:
        return proportion_ci(mean, np.ones_like(mean), confidence)
    variance_of_mean = values.var(axis=-1, ddof=1) / n_q
    bernoulli = mean * (1.0 - mean)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.where(variance_of_mean > 0, bernoulli / variance_of_mean, 2.0 * n_q)
    n_eff = np.where(bernoulli <= 0, n_q, np.clip(n_eff, 1.0, 2.0 * n_q))
    if t_quantile:
        z = stats.norm.ppf(0.5 + confidence / 2)
        n_eff = n_eff * (z / stats.t.ppf(0.5 + confidence / 2, n_q - 1)) ** 2
    low, high = proportion_ci(mean * n_eff, n_eff, confidence)
    return np.minimum(low, mean), np.maximum(high, mean)  # Wilson's 0 of n has a lower bound of 1e-17


# What every interval is (MetricResult.method): the population of questions like these, sampling noise included.
INTERVAL_TEXT = "{confidence:.0%} Wilson interval over questions with the effective sample size (at most 2Q)"


def metric_suite(
    outcomes: Outcomes,
    metrics: Sequence[str] = ("avg@n", "cov@n", "pass@1", "maj@n"),
    *,
    confidence: float = DEFAULT_CONFIDENCE,
    intervals: bool = True,
) -> dict[str, MetricResult]:
    """Compute several metrics of one model, each with its CI (:func:`mean_interval`).

    Metric names: ``avg@n``, ``cov@k``, ``pass@k``, ``maj@k`` (k an integer or ``n``). Point estimates use the
    samples as given (cov@k and maj@k: the first k). What the interval is about: the benchmark's questions are
    taken as a sample from a population of questions like them, and each question's n samples as a sample of
    the model's answers, so the interval covers both sources of noise (as the study's 30-question tables need);
    its coverage is checked by simulation in :mod:`ladder.coverage`. ``intervals=False`` gives NaN CIs.
    """
    n_q, n = outcomes.correct.shape
    if n_q == 0:
        raise MetricsError(f"model {outcomes.model!r}: no questions")
    parsed = {name: _parse(name, n) for name in metrics}
    ci_text = INTERVAL_TEXT.format(confidence=confidence) if intervals else "no CI"
    extra = "; " + "; ".join(outcomes.notes) if outcomes.notes else ""
    out = {}
    for name, (kind, k) in parsed.items():
        values = question_values(outcomes, name)
        low, high = mean_interval(values, confidence) if intervals else (math.nan, math.nan)
        out[name] = MetricResult(
            metric=f"avg@{n}" if kind == "avg" else f"{kind}@{k}",
            statistic=float(values.mean()),
            ci_low=float(low),
            ci_high=float(high),
            n=n,
            n_questions=n_q,
            method=_METHOD_TEXT[kind].format(k=k) + "; " + ci_text + extra,
        )
    return out


def paired_interval(
    a: np.ndarray, b: np.ndarray, confidence: float = DEFAULT_CONFIDENCE
) -> tuple[float, float, float, float]:
    """Mean of ``a`` minus mean of ``b`` (per-question values in [0, 1], same questions in the same order) with
    its paired interval: (difference, ci_low, ci_high, question correlation). The MOVER combination of the two
    :func:`mean_interval` s (t quantile) and the correlation of the values; see :func:`paired_difference`."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    mean_a, mean_b = float(a.mean()), float(b.mean())
    low_a, high_a = (float(v) for v in mean_interval(a, confidence, t_quantile=True))
    low_b, high_b = (float(v) for v in mean_interval(b, confidence, t_quantile=True))
    r = 0.0
    if len(a) > 1 and a.std() > 0 and b.std() > 0:
        r = float(np.corrcoef(a, b)[0, 1])
    diff = mean_a - mean_b
    down = (mean_a - low_a) ** 2 + (high_b - mean_b) ** 2 - 2 * r * (mean_a - low_a) * (high_b - mean_b)
    up = (high_a - mean_a) ** 2 + (mean_b - low_b) ** 2 - 2 * r * (high_a - mean_a) * (mean_b - low_b)
    low = max(diff - math.sqrt(max(down, 0.0)), -1.0)
    high = min(diff + math.sqrt(max(up, 0.0)), 1.0)
    return diff, low, high, r


def paired_difference(
    first: Outcomes,
    second: Outcomes,
    metric: str = "avg@n",
    confidence: float = DEFAULT_CONFIDENCE,
    second_metric: str | None = None,
) -> MetricResult:
    """``metric`` of ``first`` minus ``second`` on the same questions, with a paired CI.

    ``second_metric`` (default: ``metric``) compares two metrics, e.g. a model's cov@n minus its own avg@n.

    The questions are matched by id (both must have the same set). The interval is the MOVER combination
    (Zou and Donner 2008; for one Bernoulli value per question it is Newcombe's 1998 paired interval) of the
    two models' :func:`mean_interval` (t quantile) and the correlation of their per-question values: questions
    both models find hard or easy cancel, which two separate intervals cannot show. Its coverage is checked by
    simulation in :mod:`ladder.coverage`.
    """
    if set(first.question_ids) != set(second.question_ids):
        only = sorted(set(first.question_ids) ^ set(second.question_ids))
        raise MetricsError(
            f"paired difference {first.model!r} - {second.model!r}: not the same questions "
            f"({len(only)} in one only, e.g. {', '.join(only[:5])})"
        )
    second = second.subset(first.question_ids)
    second_metric = second_metric or metric
    a, b = question_values(first, metric), question_values(second, second_metric)
    diff, low, high, r = paired_interval(a, b, confidence)
    kind, k = _parse(metric, first.n)
    return MetricResult(
        metric=f"{metric} difference" if second_metric == metric else f"{metric} - {second_metric}",
        statistic=diff,
        ci_low=low,
        ci_high=high,
        n=first.n,
        n_questions=len(a),
        method=f"{first.model} {metric} minus {second.model} {second_metric}, {_METHOD_TEXT[kind].format(k=k)}; "
        f"{confidence:.0%} paired "
        f"interval (MOVER of Wilson intervals with effective sample size, t quantile; question correlation {r:.2f})",
    )


def _single(metric: str, correct, answers=None, **kwargs) -> MetricResult:
    outcomes = correct if isinstance(correct, Outcomes) else outcomes_from_arrays(correct, answers)
    return metric_suite(outcomes, [metric], **kwargs)[metric]


def avg_at_n(correct: np.ndarray | Outcomes, **kwargs) -> MetricResult:
    """avg@n: mean correctness over each question's n samples, averaged over questions (kwargs: CI level)."""
    return _single("avg@n", correct, **kwargs)


def cov_at_k(correct: np.ndarray | Outcomes, k: int, **kwargs) -> MetricResult:
    """cov@k as the study computes it: 1 if any of the first k samples is correct, averaged over questions."""
    return _single(f"cov@{k}", correct, **kwargs)


def pass_at_k(correct: np.ndarray | Outcomes, k: int, **kwargs) -> MetricResult:
    """Unbiased pass@k ``1 - C(n-c, k)/C(n, k)`` per question, averaged over questions."""
    return _single(f"pass@{k}", correct, **kwargs)


def maj_at_k(correct: np.ndarray | Outcomes, k: int, answers: np.ndarray | None = None, **kwargs) -> MetricResult:
    """maj@k: the most frequent extracted answer among the first k samples is correct, averaged over questions.

    ``answers`` (questions x samples, None = no answer) is needed unless ``correct`` is an :class:`Outcomes`.
    """
    return _single(f"maj@{k}", correct, answers, **kwargs)


# ---------------------------------------------------------------- one proportion


def proportion_ci(
    successes: np.ndarray | int,
    trials: np.ndarray | int,
    confidence: float = DEFAULT_CONFIDENCE,
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson interval for successes/trials (vectorised): the book's one interval for a single proportion.

    None of n and n of n get their exact end, 0 or 1: statsmodels' formula leaves float noise there (1e-17,
    0.9999999999999999), which puts the estimate outside its own interval.
    """
    low, high = proportion_confint(successes, trials, alpha=1.0 - confidence, method="wilson")
    successes, trials = np.asarray(successes, dtype=float), np.asarray(trials, dtype=float)
    low = np.where(successes == 0, 0.0, np.clip(np.asarray(low, dtype=float), 0, 1))
    high = np.where(successes == trials, 1.0, np.clip(np.asarray(high, dtype=float), 0, 1))
    return low, high
