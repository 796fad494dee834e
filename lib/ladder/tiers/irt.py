"""How hard each question is on a continuous scale: a binomial Rasch or 2PL fit with a CI per question."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ladder.tiers.params import TiersError


@dataclass(frozen=True)
class IrtFit:
    """An item response fit: per-question difficulty (and discrimination) and per-model ability, with CIs."""

    questions: pd.DataFrame  # question_id -> difficulty, ci_low, ci_high, discrimination
    models: pd.DataFrame  # model -> ability, ci_low, ci_high
    method: str


def fit_irt(
    correct_counts: pd.DataFrame,
    trials: pd.DataFrame,
    model: Literal["rasch", "2pl"] = "rasch",
    prior_sd: float = 3.0,
    confidence: float = 0.95,
) -> IrtFit:
    """Fit a binomial Rasch or 2PL model to correct counts (questions x models) out of ``trials``.

    P(correct | model m, question q) = logistic(a_q * (theta_m - b_q)), a_q = 1 for Rasch. Each model's
    n samples of a question are n Bernoulli trials at the same ability. Estimated by maximum a posteriori
    with normal priors (sd ``prior_sd`` on theta and b, 0.5 on log a); CIs from the inverse Hessian
    (Laplace approximation).

    Hand-written with scipy on purpose: girth 0.8 (checked; pure numpy/scipy, no release since 2021) fits one
    binary response per person and item, while here every model answers every question n times, and its
    standard errors come only from bootstrapping refits; statsmodels' binomial GLM (Rasch as a logistic
    regression on dummies, used in the tests as the reference) diverges when no model solves a question (Exh:
    difficulty +inf) and its regularised fit returns no standard errors.
    """
    counts = correct_counts.to_numpy(dtype=float)
    n = trials.loc[correct_counts.index, correct_counts.columns].to_numpy(dtype=float)
    n_q, n_m = counts.shape
    two_pl = model == "2pl"
    log_a_sd = 0.5

    def unpack(x):
        theta, b = x[:n_m], x[n_m : n_m + n_q]
        log_a = x[n_m + n_q :] if two_pl else np.zeros(n_q)
        return theta, b, log_a

    def objective(x):
        theta, b, log_a = unpack(x)
        a = np.exp(log_a)[:, None]
        eta = a * (theta[None, :] - b[:, None])  # questions x models
        # -log likelihood of Binomial(n, sigmoid(eta)) = n*log(1+e^eta) - c*eta, computed stably.
        nll = float(np.sum(n * np.logaddexp(0.0, eta) - counts * eta))
        resid = counts - n * stats.logistic.cdf(eta)  # d(-nll)/d eta
        prior = (theta @ theta + b @ b) / (2 * prior_sd**2) + (log_a @ log_a / (2 * log_a_sd**2) if two_pl else 0.0)
        grad_theta = -(resid * a).sum(axis=0) + theta / prior_sd**2
        grad_b = (resid * a).sum(axis=1) + b / prior_sd**2
        parts = [grad_theta, grad_b]
        if two_pl:
            parts.append(-(resid * eta).sum(axis=1) + log_a / log_a_sd**2)
        return nll + prior, np.concatenate(parts)

    size = n_m + n_q + (n_q if two_pl else 0)
    fit = optimize.minimize(objective, np.zeros(size), jac=True, method="L-BFGS-B", options={"maxiter": 5000})
    # L-BFGS-B can stop on a line-search tolerance at the optimum; judge convergence by the gradient.
    if not fit.success and np.abs(fit.jac).max() > 1e-3:
        raise TiersError(f"IRT ({model}) did not converge: {fit.message} (max |gradient| {np.abs(fit.jac).max():.2g})")
    # Hessian by central differences of the analytic gradient (size is at most a few hundred).
    step = 1e-5
    hessian = np.empty((size, size))
    for i in range(size):
        e = np.zeros(size)
        e[i] = step
        hessian[i] = (objective(fit.x + e)[1] - objective(fit.x - e)[1]) / (2 * step)
    cov = np.linalg.inv((hessian + hessian.T) / 2)
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    z = stats.norm.ppf(0.5 + confidence / 2)
    theta, b, log_a = unpack(fit.x)
    se_theta, se_b, se_log_a = unpack(se)
    questions = pd.DataFrame(
        {
            "difficulty": b,
            "ci_low": b - z * se_b,
            "ci_high": b + z * se_b,
            "discrimination": np.exp(log_a),
            "discrimination_ci_low": np.exp(log_a - z * se_log_a),
            "discrimination_ci_high": np.exp(log_a + z * se_log_a),
        },
        index=correct_counts.index,
    )
    models = pd.DataFrame(
        {"ability": theta, "ci_low": theta - z * se_theta, "ci_high": theta + z * se_theta},
        index=pd.Index(correct_counts.columns, name="model"),
    )
    method = (
        f"binomial {'2PL' if two_pl else 'Rasch'} IRT, MAP with N(0, {prior_sd}^2) priors"
        f"{' and log a ~ N(0, 0.5^2)' if two_pl else ''}; {confidence:.0%} Laplace (inverse-Hessian) CIs; logits"
    )
    return IrtFit(questions, models, method)
