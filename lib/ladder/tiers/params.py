"""The tier stage's parameters (``TiersParams``: each default in one place) and its error type."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator

from ladder.params import StageParams
from ladder.stage_params import ConfidenceLevel

ROLES = ("base_models", "sft_models", "reference_models", "exh_models")  # the params naming panel members by role


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
    exh_rule: Literal["panel_mean", "every_model"] = "panel_mean"  # exh: panel_mean (samples pooled) | every_model
    tier_source: Literal["study", "rule"] = "study"  # tiers for tiers.csv and figures: the benchmark's own, or rules
    tier_version: str = ""  # version of the study's lists in data/aime24_tiers.yaml; empty: the file's default
    ks: list[int] = [2, 4]  # k of cov@k (first k samples) and unbiased pass@k, beside avg@n, cov@n, maj@n
    unequal_n: Literal["error", "truncate"] = "error"  # unequal samples per question: fail, or use the first n_min
    n_bootstrap: int = 1000  # resamples of the bootstrap over models of Loevinger's H (0: no CI)
    confidence: ConfidenceLevel = 0.95  # two-sided level of every CI
    seed: int = 0  # seed of that bootstrap: same seed, same tables
    irt_model: Literal["rasch", "2pl"] = "rasch"  # item response model for question difficulty
    irt_prior_sd: float = 3.0  # sd (logits) of the normal prior on abilities and difficulties; keeps 0/n finite
    solve_threshold: float = 0.5  # ladder consistency: a model solves a question when its avg@n is at least this
    ladder_lines: Literal["model", "group"] = "model"  # Figure 1: one line per model, or per role group
    missing_role_models: Literal["error", "drop"] = "error"  # a role model not in the panel: stop, or leave it out

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
