"""Tiers: the study's AIME24 lists, rule-based tiering from a model panel, IRT difficulty, ladder consistency.

Reads graded tables (``ladder.schema``; one row per model x question x sample) of a panel of models and
answers the study's per-question questions:

* which tier each question is in: the study's fixed lists (``data/aime24_tiers.yaml`` through
  ``ladder.benchmarks``; for the synthetic mini-ladder its levels by construction) and the study's rules applied
  to this panel (base > 50% -> easy; small-SFT > 50% -> medium; accuracy over all the panel's samples < 10% ->
  exh, the study's "below 10% across all models" as it applied it (option ``exh_rule: every_model``: each model
  < 10%); the rest hard), compared question by question;
* how hard each question is on a continuous scale: a Rasch (or 2PL) fit with a CI per question;
* how ladder-like the panel is: does a model that solves a harder question also solve the easier ones
  (per-model consistency, Loevinger's H, Guttman's reproducibility);
* per model x tier: avg@n, cov@n / cov@k, unbiased pass@k and maj@n with CIs (``ladder.metrics``);
* what SFT changed: each SFT model minus each base model per tier, with paired CIs (``ladder.contrasts``).

Usage::

    ladder tiers graded.parquet [more.parquet ...] --out DIR --base Qwen2.5-32B-Instruct --sft s1.1-32B,LIMO-32B

    from ladder import tiers
    graded = tiers.load_panel(inputs)                 # notebook 50_tiers: inputs[exp]["grade"] folders
    paths = tiers.write_tier_report(graded, "out/", tiers.TiersParams(base_models=["base"], sft_models=["sft"]))
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import ValidationError, field_validator
from scipy import optimize, stats

from ladder import benchmarks, contrasts, metrics, paths, schema
from ladder.params import StageParams

TIER_ORDER = benchmarks.TIER_ORDER  # easy, medium, hard, exh
ALL_TIERS = benchmarks.ALL_TIERS  # the row of tiers.csv over every question


class TiersError(ValueError):
    """Input the tier analysis cannot use: missing models or questions, unknown ids, bad roles."""


class TiersParams(StageParams):
    """Parameters of the panel stage ``tiers`` (notebook 50_tiers, ``ladder tiers``)."""

    benchmark: str = "aime24"  # benchmark to analyse; graded rows of other benchmarks are left out
    graded_files: list[str] = []  # graded parquet files added to the panel (results from elsewhere; repo-relative)
    models: list[str] = []  # panel members to analyse; empty: every model in the graded tables
    base_models: list[str] = []  # role "base": their mean avg@n > easy_threshold makes a question easy
    sft_models: list[str] = []  # role "small-scale SFT": mean avg@n > medium_threshold makes it medium
    reference_models: list[str] = []  # other panel members (large-scale post-training, tools): a group of their own
    exh_models: list[str] = []  # models whose samples the exh rule reads (exh_rule); empty: the whole panel
    easy_threshold: float = 0.5  # study: base model above 50% -> easy
    medium_threshold: float = 0.5  # study: small-scale SFT models above 50% -> medium
    exh_threshold: float = 0.1  # study: below 10% across all models -> exh
    # How "below exh_threshold across all models" is read. panel_mean (the study's lists): correct / samples pooled
    # over exh_models (id 89: 3 of 48 samples, 6.3%, though one model solved it 1 of 8); every_model: each of them
    # below it (on the study's panel ids 62 and 89 become hard).
    exh_rule: Literal["panel_mean", "every_model"] = "panel_mean"
    tier_source: Literal["study", "rule"] = "study"  # tiers for tiers.csv and figures: the benchmark's own, or rules
    tier_version: str = ""  # version of the study's lists in data/aime24_tiers.yaml; empty: the file's default
    ks: list[int] = [2, 4]  # k of cov@k (first k samples) and unbiased pass@k, beside avg@n, cov@n, maj@n
    unequal_n: Literal["error", "truncate"] = "error"  # unequal samples per question: fail, or use the first n_min
    n_bootstrap: int = 1000  # resamples of the bootstrap over models of Loevinger's H (0: no CI)
    confidence: float = 0.95  # two-sided level of every CI
    seed: int = 0  # seed of that bootstrap: same seed, same tables
    irt_model: Literal["rasch", "2pl"] = "rasch"  # item response model for question difficulty
    irt_prior_sd: float = 3.0  # sd (logits) of the normal prior on abilities and difficulties; keeps 0/n finite
    solve_threshold: float = 0.5  # ladder consistency: a model solves a question when its avg@n is at least this
    ladder_lines: Literal["model", "group"] = "model"  # Figure 1: one line per model, or per role group
    missing_role_models: Literal["error", "drop"] = "error"  # a role model not in the panel: stop, or leave it out

    @field_validator(
        "graded_files", "models", "base_models", "sft_models", "reference_models", "exh_models", mode="before"
    )
    @classmethod
    def _split_commas(cls, value):
        # `--set tiers.sft_models=a,b` and the CLI give comma-separated text.
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("ks")
    @classmethod
    def _positive_ks(cls, value: list[int]) -> list[int]:
        if any(k < 1 for k in value):
            raise ValueError(f"every k must be >= 1, got {value}")
        return value

    @field_validator("easy_threshold", "medium_threshold", "exh_threshold", "solve_threshold")
    @classmethod
    def _fraction(cls, value: float) -> float:
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"thresholds are accuracies in [0, 1], got {value}")
        return value


# ---------------------------------------------------------------- loading


def study_tiers(version: str | None = None) -> dict[str, str]:
    """The study's AIME24 tiers, AI-MO id -> easy | medium | hard | exh (``data/aime24_tiers.yaml``)."""
    return benchmarks.study_tiers(version or None)


def reference_tiers(benchmark: str, version: str = "") -> dict[str, str]:
    """A benchmark's own tiers: the study's lists for aime24, the levels by construction for the synthetic
    mini-ladder (``ladder.synthetic``); empty for benchmarks without tiers."""
    if benchmark == "aime24":
        return study_tiers(version)
    if benchmark == "synthetic":
        from ladder import synthetic

        frame = synthetic.evaluation_set()
        return dict(zip(frame["question_id"].astype(str), frame["level"].astype(str), strict=True))
    return {}


def load_graded(files: Sequence[str | Path]) -> pd.DataFrame:
    """Read and concatenate graded parquet files; a model present in two files is an error naming both."""
    if not files:
        raise TiersError("no graded files given")
    frames, owner = [], {}
    for path in map(Path, files):
        frame = schema.read_table(path, graded=True)
        for model in frame["model"].unique():
            if model in owner:
                raise TiersError(f"model {model!r} appears in both {owner[model]} and {path}; rename one of them")
            owner[model] = path
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def load_panel(inputs: Mapping[str, Mapping[str, str]], graded_files: Sequence[str | Path] = ()) -> pd.DataFrame:
    """The graded tables of every experiment in ``inputs`` (experiment -> {stage -> folder}) with a grade stage,
    plus ``graded_files`` (results graded elsewhere, e.g. ingested lm-eval logs; relative to the repo root)."""
    files = [Path(stages["grade"]) / "graded.parquet" for stages in inputs.values() if "grade" in stages]
    files += [Path(f) if Path(f).is_absolute() else paths.ROOT / f for f in graded_files]
    if not files:
        raise TiersError(
            f"nothing to analyse: no experiment in inputs has a 'grade' stage (experiments: "
            f"{', '.join(inputs) or 'none'}) and no graded_files are given"
        )
    return load_graded(files)


# ---------------------------------------------------------------- per-question accuracy and rules


def select_panel(graded: pd.DataFrame, params: TiersParams) -> pd.DataFrame:
    """Rows of ``params.benchmark`` and ``params.models``; checks roles name panel members and questions are known."""
    if "benchmark" in graded.columns:
        present = sorted(graded["benchmark"].astype(str).unique())
        graded = graded[graded["benchmark"].astype(str) == params.benchmark]
        if graded.empty:
            raise TiersError(
                f"no graded rows of benchmark {params.benchmark!r}; benchmarks present: {', '.join(present)}"
            )
    panel = sorted(graded["model"].astype(str).unique())
    if params.models:
        unknown = [m for m in params.models if m not in panel]
        if unknown:
            raise TiersError(f"models {unknown} not in the graded tables; models present: {', '.join(panel)}")
        graded = graded[graded["model"].isin(params.models)]
        panel = list(params.models)
    for role in ("base_models", "sft_models", "reference_models", "exh_models"):
        unknown = [m for m in getattr(params, role) if m not in panel]
        if unknown:
            raise TiersError(f"{role}: {unknown} not in the panel; models present: {', '.join(panel)}")
    known = reference_tiers(params.benchmark, params.tier_version)
    if known:
        unknown_ids = sorted(set(graded["question_id"].astype(str)) - set(known), key=_id_key)
        if unknown_ids:
            expected = "AI-MO ids 60..89" if params.benchmark == "aime24" else f"one of {len(known)} known ids"
            raise TiersError(
                f"{params.benchmark}: unknown question id(s) {', '.join(unknown_ids[:10])}; expected {expected}"
            )
    graded = graded.assign(question_id=graded["question_id"].astype(str), model=graded["model"].astype(str))
    by_model = graded.groupby("model")["question_id"].agg(lambda s: set(s))
    every = set().union(*by_model)
    for model, qids in by_model.items():
        if qids != every:
            missing = sorted(every - qids)
            raise TiersError(f"model {model!r} has no samples for question(s) {', '.join(missing[:10])}")
    return graded


def question_accuracy(
    outcomes: Mapping[str, metrics.Outcomes], confidence: float = 0.95, method: str = "wilson"
) -> pd.DataFrame:
    """One row per model x question: samples n, correct c, accuracy c/n and its binomial CI (Wilson by default)."""
    table = pd.DataFrame(
        [
            {"model": model, "question_id": qid, "n": oc.n, "correct": int(c)}
            for model, oc in outcomes.items()
            for qid, c in zip(oc.question_ids, oc.correct.sum(axis=1), strict=True)
        ]
    )
    table["accuracy"] = table["correct"] / table["n"]
    table["ci_low"], table["ci_high"] = metrics.proportion_ci(table["correct"], table["n"], confidence, method)
    return table


def accuracy_matrix(outcomes: Mapping[str, metrics.Outcomes]) -> pd.DataFrame:
    """avg@n per question (rows, ordered by id) x model (columns) from per-model outcomes."""
    columns = {
        model: pd.Series(oc.correct.mean(axis=1), index=list(oc.question_ids)) for model, oc in outcomes.items()
    }
    frame = pd.DataFrame(columns)
    frame.index.name = "question_id"
    return frame.loc[sorted(frame.index, key=_id_key)]


def _id_key(qid: str):
    return (0, int(qid), "") if str(qid).isdigit() else (1, 0, str(qid))


def rule_tiers(
    accuracy: pd.DataFrame, params: TiersParams, samples: Mapping[str, int] | pd.Series | None = None
) -> pd.DataFrame:
    """The study's rules on this panel: one row per question with the group means and the rule's tier.

    In order: mean avg@n of ``base_models`` > easy_threshold -> easy; of ``sft_models`` > medium_threshold
    -> medium; ``exh_rule`` below exh_threshold -> exh; else hard. The exh rule reads ``exh_models`` (default:
    the panel): ``panel_mean`` is the accuracy over all their samples pooled (correct / samples; ``samples``
    gives each model's n per question, default equal n: the mean of their avg@n), ``every_model`` their best
    avg@n (``panel_max``). Both columns are in the table whichever rule decides.
    """
    if not params.base_models or not params.sft_models:
        raise TiersError("rule-based tiering needs base_models and sft_models (CLI: --base MODEL --sft M1,M2)")
    exh_models = params.exh_models or list(accuracy.columns)
    if samples is None:
        weights = pd.Series(1.0, index=exh_models)  # equal n: the pooled accuracy is the mean of their avg@n
    else:
        weights = pd.Series(samples, dtype=float).reindex(exh_models)
    if weights.isna().any() or (weights <= 0).any():
        raise TiersError(f"samples per question must be given and positive for every exh model, got {dict(weights)}")
    exh = accuracy[exh_models]
    table = pd.DataFrame(
        {
            "base_mean": accuracy[params.base_models].mean(axis=1),
            "sft_mean": accuracy[params.sft_models].mean(axis=1),
            "panel_mean": exh.mul(weights, axis=1).sum(axis=1) / weights.sum(),
            "panel_max": exh.max(axis=1),
        }
    )
    exh_column = "panel_mean" if params.exh_rule == "panel_mean" else "panel_max"
    table["rule_tier"] = np.select(
        [
            table["base_mean"] > params.easy_threshold,
            table["sft_mean"] > params.medium_threshold,
            table[exh_column] < params.exh_threshold,
        ],
        ["easy", "medium", "exh"],
        default="hard",
    )
    return table


def compare_tiers(study: Mapping[str, str], rules: pd.DataFrame) -> pd.DataFrame:
    """Question-by-question comparison of the study's tiers with the rule-based ones (``agree`` column)."""
    table = rules.copy()
    table.insert(0, "study_tier", [study.get(q, "") for q in table.index])
    agree = pd.Series(table["study_tier"] == table["rule_tier"], dtype="boolean")
    table["agree"] = agree.mask(table["study_tier"] == "")  # <NA>: the benchmark has no tier for this question
    return table


def disagreements(comparison: pd.DataFrame | None) -> pd.DataFrame:
    """Rows of :func:`compare_tiers` where the rules and the study's lists disagree (e.g. id 70).

    ``None`` (no rule-based tiering: roles not given) gives an empty table.
    """
    if comparison is None:
        columns = ["study_tier", "base_mean", "sft_mean", "panel_mean", "panel_max", "rule_tier", "agree"]
        return pd.DataFrame(columns=columns)
    return comparison[comparison["agree"].eq(False).fillna(False).astype(bool)]


def panel_summary(graded: pd.DataFrame) -> pd.DataFrame:
    """One row per model and benchmark: questions, samples per question (min and max), accuracy, and the share of
    samples cut at the token limit (truncated), with an unclosed think block (unfinished), or either."""
    flags = graded.assign(truncated_or_unfinished=graded["truncated"] | graded["unfinished"])
    table = flags.groupby(["model", "benchmark"], sort=True).agg(
        questions=("question_id", "nunique"),
        samples=("sample_idx", "size"),
        accuracy=("correct", "mean"),
        truncated_or_unfinished=("truncated_or_unfinished", "mean"),
        truncated=("truncated", "mean"),
        unfinished=("unfinished", "mean"),
    )
    per_question = graded.groupby(["model", "benchmark", "question_id"]).size().groupby(["model", "benchmark"])
    table["n_min"], table["n_max"] = per_question.min(), per_question.max()
    return table.reset_index()


# ---------------------------------------------------------------- IRT


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


def simulate_graded(
    abilities: Mapping[str, float],
    difficulties: Mapping[str, float],
    n_samples: int,
    seed: int = 0,
    benchmark: str = "aime24",
    wrong_answers: int = 3,
) -> pd.DataFrame:
    """Graded rows (``ladder.schema`` columns) drawn from a Rasch model, for tests, benchmarks and power checks.

    Sample s of model m on question q is correct with probability logistic(ability_m - difficulty_q); a wrong
    sample answers one of ``wrong_answers`` wrong integers at random, a correct one the gold answer.
    """
    rng = np.random.default_rng(seed)
    models, qids = list(abilities), [str(q) for q in difficulties]
    theta = np.array([abilities[m] for m in models])[:, None, None]
    b = np.array([difficulties[q] for q in difficulties])[None, :, None]
    correct = rng.random((len(models), len(qids), n_samples)) < stats.logistic.cdf(theta - b)
    gold = np.arange(len(qids))[None, :, None] * 7 % 1000
    wrong = gold + 1 + rng.integers(0, wrong_answers, size=correct.shape)
    answer = np.where(correct, gold, wrong).astype(str)
    m_idx, q_idx, s_idx = (a.ravel() for a in np.indices(correct.shape))
    frame = pd.DataFrame(
        {
            "model": np.array(models)[m_idx],
            "model_revision": "",
            "benchmark": benchmark,
            "question_id": np.array(qids)[q_idx],
            "sample_idx": s_idx,
            "prompt": "",
            "prompt_hash": "",
            "response": "",
            "n_tokens": pd.NA,
            "finish_reason": "stop",
            "seed": s_idx,
            "temperature": 1.0,
            "top_p": 1.0,
            "max_new_tokens": pd.NA,
            "backend": "simulated",
            "backend_version": "",
            "gold": np.broadcast_to(gold, correct.shape).ravel().astype(str),
            "extracted_answer": answer.ravel(),
            "correct": correct.ravel(),
            "grader": "aime_int",
            "reason": np.where(correct.ravel(), "ok", "wrong"),
            "truncated": False,
        }
    )
    return schema.conform_graded(frame, "<simulated>")


# ---------------------------------------------------------------- ladder consistency


@dataclass(frozen=True)
class Consistency:
    """How ladder-like the panel's solved sets are, given an order of the questions from easy to hard."""

    per_model: pd.DataFrame  # model -> solved, pairs, violations, consistency
    summary: pd.DataFrame  # statistic -> value, ci_low, ci_high, method


def ladder_consistency(
    solved: pd.DataFrame,
    rank: Mapping[str, float],
    n_bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Consistency:
    """Guttman-style consistency of a solved matrix (questions x models, bool) with an easy -> hard ``rank``.

    A pair (i easier than j, by ``rank``; same-rank pairs are skipped) is a Guttman error for a model that
    solves j but not i. Per model: consistency = 1 - errors / pairs whose harder question it solves
    ("when it solves a harder question, how often it also solves the easier one"). Panel: Loevinger's H =
    1 - sum errors / sum errors expected if solving were independent across questions (1 = a perfect
    ladder, 0 = no ladder), with a bootstrap CI over models; Guttman's reproducibility = 1 - cells that
    differ from the ideal pattern of each model's score / all cells. Hand-written: no maintained Python
    package computes Mokken scalability (R's `mokken` does).
    """
    x = solved.to_numpy(dtype=float).T  # models x questions
    ranks = np.array([rank[q] for q in solved.index], dtype=float)
    harder = ranks[None, :] > ranks[:, None]  # harder[i, j]: j harder than i

    def errors(mat: np.ndarray) -> np.ndarray:
        # (..., M, Q) -> (..., M) count of pairs i<j (by rank) with j solved, i failed.
        return np.einsum("...mi,...mj,ij->...m", 1 - mat, mat, harder)

    def loevinger(mat: np.ndarray) -> np.ndarray:
        p = mat.mean(axis=-2)  # (..., Q) share of models solving
        m = mat.shape[-2]
        expected = m * np.einsum("...i,...j,ij->...", 1 - p, p, harder)
        observed = errors(mat).sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return 1.0 - observed / expected

    per_error = errors(x)
    pairs = np.einsum("mj,ij->m", x, harder)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_consistency = 1.0 - per_error / pairs
    per_model = pd.DataFrame(
        {
            "solved": x.sum(axis=1).astype(int),
            "pairs": pairs.astype(int),
            "violations": per_error.astype(int),
            "consistency": per_consistency,
        },
        index=pd.Index(solved.columns, name="model"),
    )
    h = float(loevinger(x))
    h_low = h_high = math.nan
    if n_bootstrap > 0 and x.shape[0] > 1:
        rng = np.random.default_rng(seed)
        boot = x[rng.integers(0, x.shape[0], size=(n_bootstrap, x.shape[0]))]
        values = loevinger(boot)
        values = values[np.isfinite(values)]
        if values.size:
            h_low, h_high = np.quantile(values, [(1 - confidence) / 2, (1 + confidence) / 2])
    # Guttman reproducibility: ideal pattern for score s = the s easiest questions (ties: most solved first).
    order = np.lexsort((-x.mean(axis=0), ranks))
    scores = x.sum(axis=1).astype(int)
    ideal = (np.arange(x.shape[1])[None, :] < scores[:, None]).astype(float)
    rep = 1.0 - np.abs(x[:, order] - ideal).sum() / x.size
    summary = pd.DataFrame(
        [
            (
                "loevinger_h",
                h,
                float(h_low),
                float(h_high),
                f"1 - observed/expected Guttman errors; {confidence:.0%} bootstrap CI over models ({n_bootstrap}, seed {seed})",
            ),
            (
                "guttman_reproducibility",
                float(rep),
                math.nan,
                math.nan,
                "1 - cells differing from the ideal pattern of each model's score / all cells",
            ),
            (
                "mean_model_consistency",
                float(np.nanmean(per_consistency)) if np.isfinite(per_consistency).any() else math.nan,
                math.nan,
                math.nan,
                "mean over models of 1 - violations / pairs",
            ),
        ],
        columns=["statistic", "value", "ci_low", "ci_high", "method"],
    ).set_index("statistic")
    return Consistency(per_model, summary)


# ---------------------------------------------------------------- the whole analysis


@dataclass
class TierAnalysis:
    """Everything the tier report shows; built by :func:`analyse_panel`, written by :func:`save_tier_tables`."""

    params: TiersParams
    accuracy: pd.DataFrame  # questions x models, avg@n
    question_accuracy: pd.DataFrame  # model x question rows with Wilson CIs
    tier_of: dict[str, str]  # question -> tier used for tiers.csv and the figures (tier_source)
    comparison: pd.DataFrame | None  # study vs rule tiers per question (None without roles or study lists)
    irt: IrtFit
    consistency: Consistency
    questions: pd.DataFrame  # questions.csv
    tiers: pd.DataFrame  # tiers.csv
    sft_vs_base: pd.DataFrame  # sft_vs_base.csv: paired differences per tier (ladder.contrasts)
    groups: dict[str, list[str]] = field(default_factory=dict)  # role group -> models, for the figures
    notes: list[str] = field(default_factory=list)

    @property
    def line_groups(self) -> dict[str, list[str]] | None:
        """Groups for the ladder figure's lines (params.ladder_lines == "group"), else None: a line per model."""
        return self.groups if self.params.ladder_lines == "group" and self.groups else None


def tier_metrics(
    outcomes: Mapping[str, metrics.Outcomes], tier_of: Mapping[str, str], params: TiersParams
) -> pd.DataFrame:
    """One row per model x tier (and 'all'): avg@n, cov@n, cov@k, pass@k, maj@n, each with CI columns.

    The CIs are :func:`ladder.metrics.mean_interval`: for the population of questions like this tier's."""
    names = ["avg@n", "cov@n", *[f"cov@{k}" for k in params.ks], *[f"pass@{k}" for k in params.ks], "maj@n"]
    tier_names = benchmarks.tiers_present(tier_of)
    rows = []
    for model, oc in outcomes.items():
        for tier in [*tier_names, ALL_TIERS]:
            ids = benchmarks.tier_questions(oc.question_ids, tier_of, tier)
            if not ids:
                continue
            suite = metrics.metric_suite(oc.subset(ids), names, confidence=params.confidence)
            row = {"model": model, "tier": tier, "n_questions": len(ids), "n": oc.n}
            for name, res in suite.items():
                row[name], row[f"{name}_ci_low"], row[f"{name}_ci_high"] = res.statistic, res.ci_low, res.ci_high
            rows.append(row)
    return pd.DataFrame(rows)


ROLES = ("base_models", "sft_models", "reference_models", "exh_models")


def _drop_missing_role_models(graded: pd.DataFrame, params: TiersParams) -> tuple[TiersParams, list[str]]:
    """With ``missing_role_models: drop``, remove role members absent from the panel (e.g. a run of a subset of
    the profile's experiments); returns the params to use and the names left out."""
    if params.missing_role_models != "drop":
        return params, []
    rows = graded[graded["benchmark"].astype(str) == params.benchmark] if "benchmark" in graded.columns else graded
    present = set(rows["model"].astype(str))
    dropped = sorted({m for role in ROLES for m in getattr(params, role) if m not in present})
    update = {role: [m for m in getattr(params, role) if m in present] for role in ROLES}
    return params.model_copy(update=update), dropped


def analyse_panel(graded: pd.DataFrame, params: TiersParams) -> TierAnalysis:
    """Run the whole tier analysis on a panel's graded rows (checks everything before the bootstrap)."""
    params, dropped = _drop_missing_role_models(graded, params)
    graded = select_panel(graded, params)
    outcomes = metrics.outcomes_from_graded(graded, unequal_n=params.unequal_n)
    too_big = [(m, oc.n) for m, oc in outcomes.items() if max(params.ks, default=0) > oc.n]
    if too_big:
        raise TiersError(f"ks={params.ks} but model(s) have fewer samples per question: {too_big}")
    notes = [f"{m}: {note}" for m, oc in outcomes.items() for note in oc.notes]
    if dropped:
        notes.append(f"left out of their roles, not in this panel (missing_role_models 'drop'): {', '.join(dropped)}")
    accuracy = accuracy_matrix(outcomes)
    study = reference_tiers(params.benchmark, params.tier_version)
    comparison = None
    if params.base_models and params.sft_models:
        comparison = compare_tiers(study, rule_tiers(accuracy, params, {m: oc.n for m, oc in outcomes.items()}))
    else:
        notes.append("rule-based tiering skipped: give base_models and sft_models (CLI --base, --sft)")
    if params.tier_source == "study":
        if not study:
            raise TiersError(
                f"tier_source 'study' but {params.benchmark!r} has no study tier lists; use tier_source rule"
            )
        tier_of = {q: study[q] for q in accuracy.index}
    else:
        if comparison is None:
            raise TiersError("tier_source 'rule' needs base_models and sft_models")
        tier_of = comparison["rule_tier"].to_dict()

    counts = pd.DataFrame(
        {m: pd.Series(oc.correct.sum(axis=1), index=list(oc.question_ids)) for m, oc in outcomes.items()}
    ).loc[accuracy.index]
    trials = pd.DataFrame({m: oc.n for m, oc in outcomes.items()}, index=accuracy.index)
    irt = fit_irt(counts, trials, params.irt_model, params.irt_prior_sd, params.confidence)
    rank = {q: TIER_ORDER.index(t) if t in TIER_ORDER else len(TIER_ORDER) for q, t in tier_of.items()}
    consistency = ladder_consistency(
        accuracy >= params.solve_threshold, rank, params.n_bootstrap, params.confidence, params.seed
    )

    questions = pd.DataFrame(index=accuracy.index)
    questions["study_tier"] = [study.get(q, "") for q in accuracy.index]
    questions["rule_tier"] = comparison["rule_tier"] if comparison is not None else ""
    questions["agree"] = comparison["agree"] if comparison is not None else pd.NA
    questions["irt_difficulty"] = irt.questions["difficulty"]
    questions["irt_ci_low"] = irt.questions["ci_low"]
    questions["irt_ci_high"] = irt.questions["ci_high"]
    if params.irt_model == "2pl":
        questions["irt_discrimination"] = irt.questions["discrimination"]
    questions["mean_accuracy"] = accuracy.mean(axis=1)
    for model in accuracy.columns:
        questions[f"acc_{model}"] = accuracy[model]
    groups = {
        name: list(members)
        for name, members in (
            ("base", params.base_models),
            ("small SFT", params.sft_models),
            ("reference", params.reference_models),
        )
        if members
    }
    return TierAnalysis(
        params=params,
        accuracy=accuracy,
        question_accuracy=question_accuracy(outcomes, params.confidence),
        tier_of=tier_of,
        comparison=comparison,
        irt=irt,
        consistency=consistency,
        questions=questions.reset_index(),
        tiers=tier_metrics(outcomes, tier_of, params),
        sft_vs_base=contrasts.sft_vs_base(
            outcomes, tier_of, params.sft_models, params.base_models, confidence=params.confidence
        ),
        groups=groups,
        notes=notes,
    )


def calibration(analysis: TierAnalysis) -> pd.DataFrame:
    """How the panel spans the benchmark's own tiers (for the synthetic ladder: its levels by construction).

    One row per reference tier: the mean avg@n of the base models, of the small-SFT models, and the best model,
    and for the easiest and hardest tier whether the panel spans the ladder as the study's does (base above
    ``easy_threshold`` on the easiest tier; every model below ``exh_threshold`` on the hardest).
    """
    questions = analysis.questions.set_index("question_id")["study_tier"].astype(str)
    present = [t for t in TIER_ORDER if t in set(questions)]
    if not present:
        return pd.DataFrame(columns=["tier", "n_questions", "base", "small SFT", "best model", "check"])
    rows = []
    for tier in present:
        ids = questions.index[questions == tier]
        acc = analysis.accuracy.loc[ids]
        row = {"tier": tier, "n_questions": len(ids)}
        for group, members in (("base", analysis.params.base_models), ("small SFT", analysis.params.sft_models)):
            row[group] = acc[members].mean(axis=1).mean() if members else float("nan")
        means = acc.mean()
        row["best model"] = f"{means.idxmax()} {means.max():.2f}"
        row["check"] = ""
        if tier == present[0] and analysis.params.base_models:
            ok = row["base"] > analysis.params.easy_threshold
            row["check"] = f"base above {analysis.params.easy_threshold:.0%}: {'yes' if ok else 'no'}"
        if tier == present[-1]:
            ok = means.max() < analysis.params.exh_threshold
            row["check"] = f"every model below {analysis.params.exh_threshold:.0%}: {'yes' if ok else 'no'}"
        rows.append(row)
    return pd.DataFrame(rows)


def save_tier_tables(analysis: TierAnalysis, out_dir: str | Path) -> dict[str, Path]:
    """Write questions.csv, tiers.csv and the side tables (comparison, IRT, consistency) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = {
        "questions": (analysis.questions, False),
        "tiers": (analysis.tiers, False),
        "sft_vs_base": (analysis.sft_vs_base, False),
        "question_accuracy": (analysis.question_accuracy, False),
        "irt_models": (analysis.irt.models, True),
        "consistency": (analysis.consistency.summary, True),
        "consistency_models": (analysis.consistency.per_model, True),
    }
    if analysis.comparison is not None:
        tables["tier_comparison"] = (analysis.comparison, True)
    written = {}
    for name, (frame, keep_index) in tables.items():
        written[name] = out / f"{name}.csv"
        frame.to_csv(written[name], index=keep_index)
    return written


def save_tier_figures(analysis: TierAnalysis, out_dir: str | Path) -> dict[str, Path]:
    """Draw every figure of the tier report and save each as PNG into ``out_dir``."""
    from ladder import plots

    out = Path(out_dir)
    figures = {
        "tier_ladder": plots.plot_tier_ladder(analysis.accuracy, analysis.tier_of, analysis.line_groups, out_dir=out),
        "accuracy_heatmap": plots.plot_accuracy_heatmap(analysis.accuracy, analysis.tier_of, out_dir=out),
        "tier_accuracy": plots.plot_tier_accuracy(analysis.tiers, out_dir=out),
        "potential_vs_stability": plots.plot_potential_vs_stability(analysis.tiers, out_dir=out),
        "irt_difficulty": plots.plot_irt_difficulty(analysis.questions, analysis.tier_of, out_dir=out),
    }
    return {name: out / f"{name}.png" for name in figures}


def write_tier_report(graded: pd.DataFrame, out_dir: str | Path, params: TiersParams) -> dict[str, Path]:
    """Analyse a panel and write questions.csv, tiers.csv, side tables and figures (PNG); returns name -> path."""
    analysis = analyse_panel(graded, params)
    return {**save_tier_tables(analysis, out_dir), **save_tier_figures(analysis, out_dir)}


# ---------------------------------------------------------------- CLI


def cmd_tiers(args: argparse.Namespace) -> int:
    """``ladder tiers``: the tier report of graded files into ``--out``."""
    values = {
        "benchmark": args.benchmark,
        "base_models": args.base or [],
        "sft_models": args.sft or [],
        "reference_models": args.reference or [],
        "n_bootstrap": args.n_bootstrap,
        "seed": args.seed,
        "unequal_n": args.unequal_n,
        "irt_model": args.irt,
        "models": args.models or [],
        "easy_threshold": args.easy_threshold,
        "medium_threshold": args.medium_threshold,
        "exh_threshold": args.exh_threshold,
        "exh_rule": args.exh_rule,
        "exh_models": args.exh_models or [],
        "ladder_lines": args.lines,
    }
    if args.ks:
        values["ks"] = [int(k) for k in args.ks.split(",")]
    if args.tier_source:
        values["tier_source"] = args.tier_source
    try:
        params = TiersParams(**values)
        written = write_tier_report(load_graded(args.files), args.out, params)
    except (ValidationError, TiersError, metrics.MetricsError, schema.SchemaError) as exc:
        print(f"ladder tiers: {exc}", file=sys.stderr)
        return 2
    for name, path in written.items():
        print(f"{name}: {path}")
    return 0


def add_cli(sub: argparse._SubParsersAction) -> None:
    """Add ``ladder tiers``."""
    parser = sub.add_parser("tiers", help="per-question tiers, IRT, consistency and per-tier metrics of graded files")
    parser.add_argument("files", nargs="+", help="graded.parquet file(s), one or more models each")
    parser.add_argument("--out", required=True, help="output folder for questions.csv, tiers.csv and figures")
    parser.add_argument("--base", help="base model(s), comma-separated")
    parser.add_argument("--sft", help="small-scale SFT model(s), comma-separated")
    parser.add_argument("--reference", help="other panel models drawn as a group, comma-separated")
    parser.add_argument("--benchmark", default="aime24")
    parser.add_argument("--tier-source", choices=["study", "rule"], help="tiers for tiers.csv (default: study)")
    parser.add_argument("--n-bootstrap", type=int, default=1000, help="bootstrap resamples of the consistency CI")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--unequal-n", choices=["error", "truncate"], default="error")
    parser.add_argument("--irt", choices=["rasch", "2pl"], default="rasch")
    parser.add_argument("--models", help="restrict the panel to these models, comma-separated")
    parser.add_argument("--ks", help="k values of cov@k and pass@k, comma-separated (default 2,4)")
    parser.add_argument("--easy-threshold", type=float, default=0.5, help="base mean above this: easy")
    parser.add_argument("--medium-threshold", type=float, default=0.5, help="small-SFT mean above this: medium")
    parser.add_argument(
        "--exh-threshold", type=float, default=0.1, help="exh: accuracy below this, read as --exh-rule says"
    )
    parser.add_argument(
        "--exh-rule",
        choices=["panel_mean", "every_model"],
        default="panel_mean",
        help="panel_mean (the study's lists): all exh models' samples pooled below --exh-threshold; "
        "every_model: each of them below it",
    )
    parser.add_argument("--exh-models", help="models the exh rule reads, comma-separated (default: the whole panel)")
    parser.add_argument("--lines", choices=["model", "group"], default="model", help="ladder figure lines")
    parser.set_defaults(func=cmd_tiers)
