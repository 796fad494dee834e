"""Params of the panel stage ``ablations`` (notebook 60_ablations): the one place each default lives."""

from __future__ import annotations

from typing import Literal

from ladder.params import StageParams
from ladder.stage_params import ConfidenceLevel


class AblationsError(ValueError):
    """Input the ablation analysis cannot use: missing folders or files, unknown questions, bad params."""


class AblationsParams(StageParams):
    """Parameters of the panel stage ``ablations`` (notebook 60_ablations)."""

    benchmark: str = "aime24"  # benchmark whose graded rows are analysed (tiers from the tiers stage)
    steps_benchmark: str = "synthetic_steps"  # benchmark of one-question-per-step rows (step decomposition)
    tier_column: Literal["study_tier", "rule_tier"] = "study_tier"  # column of the tiers stage's questions.csv
    base_models: list[str] = []  # base experiments/models (not SFT); empty: the tiers stage's base_models
    released_models: str = "data/released_models.yaml"  # axes of released models evaluated without curate; "": none
    reference_experiment: str = ""  # experiment whose axes are the reference setting; "": most common values
    mixed_categories: list[str] = ["diverse", "all"]  # categories that are mixes: equal on the C axis ("mix")
    step_pairs: dict[str, str] = {}  # steps experiment -> end-to-end experiment; {}: from the sample params
    unequal_n: Literal["error", "truncate"] = "error"  # unequal samples per question: fail, or first n_min
    confidence: ConfidenceLevel = 0.95  # two-sided level of every CI (metrics, paired differences, the scaling slope)
    claims: str = "data/study_claims.yaml"  # the study's findings with the thresholds that test them (ladder.findings)
