"""Which tier each question is in: the benchmark's own lists, the study's rules on a panel, and where they differ.

The study's fixed AIME24 lists come from ``data/aime24_tiers.yaml`` (through ``ladder.benchmarks``); the synthetic
mini-ladder's tiers are its levels by construction (``ladder.synthetic``). The rules: base > 50% -> easy; small-SFT
> 50% -> medium; accuracy over all the panel's samples < 10% -> exh; the rest hard.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ladder import benchmarks, synthetic
from ladder.tiers.params import TiersError, TiersParams


def study_tiers(version: str | None = None) -> dict[str, str]:
    """The study's AIME24 tiers, AI-MO id -> easy | medium | hard | exh (``data/aime24_tiers.yaml``)."""
    return benchmarks.study_tiers(version or None)


def reference_tiers(benchmark: str, version: str = "") -> dict[str, str]:
    """A benchmark's own tiers: the study's lists for aime24, the levels by construction for the synthetic
    mini-ladder (``ladder.synthetic``); empty for benchmarks without tiers."""
    if benchmark == "aime24":
        return study_tiers(version)
    if benchmark == "synthetic":
        frame = synthetic.evaluation_set()
        return dict(zip(frame["question_id"].astype(str), frame["level"].astype(str), strict=True))
    return {}


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
        raise TiersError(
            "rule-based tiering needs base_models and sft_models (CLI: --base-models MODEL --sft-models M1,M2)"
        )
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
