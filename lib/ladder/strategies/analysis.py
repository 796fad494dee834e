"""The strategy analysis: how alike each model's strategies are to the reference's, how diverse they are within a
model, whether that diversity tracks cov@n, whether the measures agree, and whether any model finds an Exh
question's intended strategy.

Measures (:data:`MEASURES`): ``exact`` (the synthetic mini-ladder's operation sequences, known by construction),
``proxy`` (cosine of the traces' sentence embeddings: a proxy, it also sees wording) and ``judge`` (an LLM's
1-5 rating, when ``params.judge`` names one). Every table has one row per measure, side by side, so the proxy and
the judge can be read against ground truth where there is one. Means are over questions (each question's pairs
averaged first) with the CI of ``ladder.metrics.mean_interval`` on the measure scaled to 0..1.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import roc_auc_score

from ladder import metrics, paths
from ladder.benchmarks import ALL_TIERS, TIER_ORDER
from ladder.strategies import judge as judging
from ladder.strategies.exact import chain_strategy, write
from ladder.strategies.inputs import StrategyInputs
from ladder.strategies.intended import intended_rows
from ladder.strategies.pairs import INTENDED, build_pairs, measure_pairs, texts_by_key
from ladder.strategies.params import SOLUTION, StrategiesParams
from ladder.strategies.traces import question_texts

# measure -> (column of the pairs table, what its values are, lowest and highest value)
MEASURES = {
    "exact": ("exact_similarity", "operation sequences matched in order (0-1; ground truth)", 0.0, 1.0),
    "proxy": ("proxy_similarity", "cosine of the traces' sentence embeddings (0-1; a proxy)", 0.0, 1.0),
    "judge": ("judge_score", "LLM judge's strategy similarity (1-5)", 1.0, 5.0),
}


@dataclass
class StrategyAnalysis:
    """Everything the strategy report shows; built by :func:`analyse_strategies`."""

    params: StrategiesParams
    reference_name: str
    measures: list[str]  # the measures this run has, in MEASURES order
    pairs: pd.DataFrame  # pairs.parquet: every compared pair with its measures
    samples: pd.DataFrame  # sample_strategies.csv: each sample's exact strategy (synthetic) beside its true chain
    by_tier: pd.DataFrame  # strategy_by_tier.csv
    diversity: pd.DataFrame  # diversity_vs_coverage.csv
    agreement: pd.DataFrame  # measure_agreement.csv
    exh_match: pd.DataFrame  # exh_strategy_match.csv
    notes: list[str] = field(default_factory=list)


def cache_dir(params: StrategiesParams) -> Path:
    """Where embeddings and verdicts are cached (``cache_dir`` or ``runs/_cache/strategies``)."""
    return Path(params.cache_dir) if params.cache_dir else paths.RUNS_DIR / "_cache" / "strategies"


def _scaled(values: pd.Series, measure: str) -> pd.Series:
    _, _, low, high = MEASURES[measure]
    return ((values.astype(float) - low) / (high - low)).clip(0.0, 1.0)


def _mean_ci(per_question: pd.Series, measure: str, confidence: float) -> tuple[float, float, float]:
    """Mean over questions in the measure's units, with the CI of ``metrics.mean_interval`` (on 0..1, mapped back)."""
    values = per_question.dropna()
    if values.empty:
        return np.nan, np.nan, np.nan
    _, _, low, high = MEASURES[measure]
    ci_low, ci_high = metrics.mean_interval(_scaled(values, measure).to_numpy(), confidence)
    return float(values.mean()), float(low + ci_low * (high - low)), float(low + ci_high * (high - low))


def _shares(rows: pd.DataFrame, measure: str, match_score: int) -> pd.Series:
    if measure == "exact":
        return rows["exact_same"].astype(float)
    if measure == "judge":
        return (rows["judge_score"] >= match_score).astype(float).where(rows["judge_score"].notna())
    return pd.Series(np.nan, index=rows.index)


def _tier_rows(frame: pd.DataFrame, tier: str) -> pd.DataFrame:
    return frame if tier == ALL_TIERS else frame[frame["tier"] == tier]


def strategy_by_tier(pairs: pd.DataFrame, samples: pd.DataFrame, measures: list[str], params) -> pd.DataFrame:
    """One row per measure x model x tier: similarity to the reference with its CI, the share of pairs sharing
    the reference's strategy, within-model diversity (1 - similarity of a model's own pairs, 0..1), distinct
    exact strategies per question, and avg@n / cov@n on the same questions."""
    tiers = [t for t in TIER_ORDER if t in set(samples["tier"])] + [ALL_TIERS]
    rows = []
    for measure in measures:
        column = MEASURES[measure][0]
        for model, own in samples.groupby("model", sort=False):
            model_pairs = pairs[(pairs["model"] == model) & pairs[column].notna()]
            for tier in tiers:
                sub = _tier_rows(own, tier)
                if sub.empty:
                    continue
                ref = _tier_rows(model_pairs[model_pairs["kind"] == "reference"], tier)
                within = _tier_rows(model_pairs[model_pairs["kind"] == "within"], tier)
                if ref.empty and within.empty:
                    continue  # e.g. a tier the judge was not asked about
                mean, low, high = _mean_ci(ref.groupby("question_id")[column].mean(), measure, params.confidence)
                by_question = sub.groupby("question_id")
                distinct = by_question["strategy"].nunique().mean() if measure == "exact" else np.nan
                rows.append(
                    {
                        "measure": measure,
                        "model": model,
                        "role": sub["role"].iloc[0],
                        "tier": tier,
                        "n_questions": sub["question_id"].nunique(),
                        "n_pairs": len(ref),
                        "similarity": mean,
                        "ci_low": low,
                        "ci_high": high,
                        "same_share": _shares(ref, measure, params.match_score).mean(),
                        "diversity": 1.0 - _scaled(within.groupby("question_id")[column].mean(), measure).mean(),
                        "distinct_strategies": distinct,
                        "avg@n": by_question["correct"].mean().mean(),
                        "cov@n": by_question["correct"].any().mean(),
                    }
                )
    return pd.DataFrame(rows)


def _spearman(x: pd.Series, y: pd.Series) -> tuple[float, float]:
    keep = x.notna() & y.notna()
    if keep.sum() < 3 or x[keep].nunique() < 2 or y[keep].nunique() < 2:
        return np.nan, np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = stats.spearmanr(x[keep], y[keep])
    return float(result.statistic), float(result.pvalue)


def diversity_vs_coverage(by_tier: pd.DataFrame, pairs: pd.DataFrame, samples: pd.DataFrame) -> pd.DataFrame:
    """Does strategy diversity track cov@n? Spearman's rho per measure x tier, across models (their diversity and
    cov@n) and across model x question cells (a question's diversity and whether any sample solved it)."""
    rows = []
    compared = by_tier[by_tier["role"] != "reference"]
    cells = samples.groupby(["model", "question_id"], sort=False).agg(tier=("tier", "first"), cov=("correct", "any"))
    for (measure, tier), group in compared.groupby(["measure", "tier"], sort=False):
        rho, p = _spearman(group["diversity"], group["cov@n"])
        rows.append({"measure": measure, "tier": tier, "level": "model", "n": len(group), "rho": rho, "p_value": p})
        column = MEASURES[measure][0]
        within = pairs[(pairs["kind"] == "within") & pairs[column].notna()]
        per_cell = 1.0 - _scaled(within.groupby(["model", "question_id"])[column].mean(), measure)
        joined = cells.join(per_cell.rename("diversity"), how="inner")
        joined = joined[joined.index.get_level_values("model").isin(group["model"])]
        joined = _tier_rows(joined, tier)
        rho, p = _spearman(joined["diversity"], joined["cov"].astype(float))
        rows.append(
            {"measure": measure, "tier": tier, "level": "question", "n": len(joined), "rho": rho, "p_value": p}
        )
    return pd.DataFrame(rows, columns=["measure", "tier", "level", "n", "rho", "p_value"])


def measure_agreement(pairs: pd.DataFrame, measures: list[str], match_score: int) -> pd.DataFrame:
    """How the measures agree on the same pairs, per tier: Spearman's rho, and the AUC of the second measure for
    telling pairs that share a strategy (by the first: exact match, or a judge score >= match_score) from others."""
    combos = [
        (a, b) for a, b in (("exact", "proxy"), ("exact", "judge"), ("judge", "proxy")) if {a, b} <= set(measures)
    ]
    rows = []
    for first, second in combos:
        a, b = MEASURES[first][0], MEASURES[second][0]
        both = pairs[pairs[a].notna() & pairs[b].notna()]
        for tier in [t for t in TIER_ORDER if t in set(both["tier"])] + [ALL_TIERS]:
            sub = _tier_rows(both, tier)
            rho, p = _spearman(sub[a].astype(float), sub[b].astype(float))
            same = _shares(sub, first, match_score)
            auc = float(roc_auc_score(same, sub[b].astype(float))) if same.nunique() == 2 else np.nan
            rows.append(
                {
                    "truth": first,
                    "measure": second,
                    "tier": tier,
                    "n_pairs": len(sub),
                    "rho": rho,
                    "p_value": p,
                    "share_same": same.mean(),
                    "auc": auc,
                }
            )
    return pd.DataFrame(rows, columns=["truth", "measure", "tier", "n_pairs", "rho", "p_value", "share_same", "auc"])


def exh_strategy_match(pairs: pd.DataFrame, samples: pd.DataFrame, measures: list[str], match_score: int):
    """Per model x Exh question: samples, correct ones, and samples following the intended strategy (exact, or a
    judge score >= match_score); the proxy's mean similarity to the intended strategy beside them."""
    intended = pairs[pairs["kind"] == INTENDED]
    columns = ["model", "role", "question_id", "n_samples", "n_correct", "measure", "n_intended", "proxy_similarity"]
    if intended.empty:
        return pd.DataFrame(columns=columns)
    deciding = next((m for m in ("exact", "judge") if m in measures), "proxy")
    rows = []
    for (model, question), sub in intended.groupby(["model", "question_id"], sort=False):
        own = samples[(samples["model"] == model) & (samples["question_id"] == question)]
        follows = _shares(sub, deciding, match_score)
        rows.append(
            {
                "model": model,
                "role": sub["role"].iloc[0],
                "question_id": question,
                "n_samples": len(own),
                "n_correct": int(own["correct"].sum()),
                "measure": deciding,
                "n_intended": int(follows.sum()) if follows.notna().any() else np.nan,
                "proxy_similarity": sub["proxy_similarity"].mean(),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def add_judge_scores(
    pairs: pd.DataFrame, data: StrategyInputs, intended: pd.DataFrame, params: StrategiesParams
) -> pd.DataFrame:
    """``pairs`` with the judge's score, status and reason (pairs of ``params.judge_tiers``; NaN elsewhere)."""
    out = pairs.assign(judge_score=pd.array([pd.NA] * len(pairs), dtype="Int64"), judge_status="", judge_reason="")
    if not params.judge:
        return out
    questions = question_texts(params.benchmark, params.benchmark_path)
    texts = texts_by_key(data.samples, data.reference, intended, column="response")
    todo = out[out["tier"].isin(params.judge_tiers)]
    requests = [
        judging.PairRequest(
            question_id=r.question_id,
            question=questions.get(r.question_id, ""),
            first_key=r.first_key,
            first=texts[(r.question_id, r.first_key)],
            second_key=r.second_key,
            second=texts[(r.question_id, r.second_key)],
        )
        for r in todo.itertuples()
    ]
    cache_file = cache_dir(params) / "judge" / f"{judging.prompt_hash()}.jsonl"
    verdicts = judging.judge_pairs(requests, params, cache_file)
    out.loc[todo.index, "judge_score"] = verdicts["score"].to_numpy()
    out.loc[todo.index, "judge_status"] = verdicts["status"].to_numpy()
    out.loc[todo.index, "judge_reason"] = verdicts["reason"].fillna("").to_numpy()
    return out


def sample_strategies(data: StrategyInputs) -> pd.DataFrame:
    """Each compared sample's exact strategy beside its question's true chain (synthetic benchmarks)."""
    if not data.exact:
        return pd.DataFrame(columns=["model", "question_id", "tier", "sample_idx", "correct", "strategy", "chain"])
    frame = data.samples[["model", "question_id", "tier", "sample_idx", "correct", "strategy"]].copy()
    frame["chain"] = [write(chain_strategy(data.problems[q])) for q in frame["question_id"]]
    return frame


def analyse_strategies(data: StrategyInputs, params: StrategiesParams) -> StrategyAnalysis:
    """Pairs, measures and every table of the strategy report (embeds traces; asks the judge when one is set)."""
    intended = intended_rows(data, params)
    pairs = build_pairs(data, params, intended)
    pairs = measure_pairs(pairs, data, intended, params, cache_dir(params))
    pairs = add_judge_scores(pairs, data, intended, params)
    measures = [m for m in MEASURES if pairs[MEASURES[m][0]].notna().any()]
    everyone = pd.concat([data.samples, data.reference[data.reference["model"] != SOLUTION]], ignore_index=True)
    by_tier = strategy_by_tier(pairs, everyone, measures, params).assign(reference=data.reference_name)
    notes = list(data.notes)
    if "judge" in measures:
        bad = pairs["judge_status"].isin(["unparsable", "error"])
        if bad.any():
            counts = pairs.loc[bad, "judge_status"].value_counts().to_dict()
            notes.append(f"judge: {counts} verdict(s) left out (not guessed); see pairs.parquet judge_status")
    return StrategyAnalysis(
        params=params,
        reference_name=data.reference_name,
        measures=measures,
        pairs=pairs,
        samples=sample_strategies(data),
        by_tier=by_tier,
        diversity=diversity_vs_coverage(by_tier, pairs, everyone),
        agreement=measure_agreement(pairs, measures, params.match_score),
        exh_match=exh_strategy_match(pairs, data.samples, measures, params.match_score),
        notes=notes,
    )
