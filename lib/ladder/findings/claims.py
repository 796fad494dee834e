"""The study's claims as data: ``data/study_claims.yaml``, read and checked into frozen pydantic models.

One file says what the study claims and how this run tests it: the tier means of its Figure 1 per model group,
and its six findings, each with the study's words, the rule that tests it here with that rule's thresholds, and
the published numbers behind it (the quantity this run reads, the study's value, the comparison). Every
threshold is checked by its rule's own model, so a missing, unknown or out-of-range threshold is an error that
names the file, line and key before any analysis runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ladder import paths
from ladder.params import load_yaml_model

CLAIMS_FILE = paths.ROOT / "data" / "study_claims.yaml"
TIER_COLUMNS = ("easy", "medium", "hard", "exh", "all")
STUDY_BENCHMARK = "aime24"  # the benchmark the study's numbers are about


class ClaimsError(ValueError):
    """The claims file is malformed, or this run cannot be compared with it."""


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Fractions(_Frozen):
    """Thresholds whose float fields are accuracies in [0, 1]."""

    @field_validator("*")
    @classmethod
    def _fraction(cls, value: Any) -> Any:
        if isinstance(value, float) and not 0.0 <= value <= 1.0:
            raise ValueError(f"thresholds are accuracies in [0, 1], got {value}")
        return value


class MediumThresholds(_Fractions):
    """Finding 1: enough normal or long R1 trajectories reach ``target`` on Medium; the others do not."""

    target: float  # accuracy on Medium the qualifying experiments must reach
    min_n: int = Field(ge=1)  # trajectories needed (normal or long, R1 style)


class StabilityThresholds(_Fractions):
    """Finding 2: some SFT model has cov@n >= ``coverage_min`` and avg@n lagging by more than ``gap``."""

    tiers: list[str]  # tiers where potential and stability are compared
    coverage_min: float  # cov@n a model must reach (the study: about R1's)
    gap: float  # cov@n - avg@n must exceed this, read off its paired CI


class ScalingThresholds(_Fractions):
    """Finding 3: accuracy on ``tier`` grows with log10 N (the slope's CI above ``min_slope``)."""

    tier: str  # tier whose accuracy is fitted on log10 N
    min_slope: float  # accuracy must rise by more than this per tenfold N
    min_sizes: int = Field(ge=2)  # distinct sizes N needed (two points always fit a line)
    plateau: float  # the study's plateau, reported beside the fit (not tested)


class CurationThresholds(_Fractions):
    """Finding 4: overall accuracy across categories within +- ``tolerance``; similar data gains < doubling N."""

    center: float  # the study's overall accuracy across categories
    tolerance: float  # half the max - min spread of categories must stay within this


class StepsThresholds(_Fractions):
    """Finding 5: steps solved far more often than the whole, and the whole about the product of the steps."""

    tiers: list[str]  # tiers of the parent questions in the step decomposition
    gap: float  # mean step accuracy must exceed end-to-end accuracy by at least this
    product_tolerance: float  # |end-to-end - product of step accuracies| within this


class ExhThresholds(_Frozen):
    """Finding 6: every SFT model stays at or below ``max`` on Exh, follows the reference's strategies on
    ``strategy_tier`` (judge score at least ``judge_min``, or exact similarity at least ``exact_min``) and no more
    than ``intended_max`` of its Exh samples follow the intended strategy."""

    max: float = Field(ge=0.0, le=1.0)  # highest Exh accuracy an SFT model may have
    strategy_tier: str  # tier where the SFT models' strategies are compared with the reference's
    judge_min: float = Field(ge=1.0, le=5.0)  # mean judge score (1-5) each SFT model must reach there
    exact_min: float = Field(ge=0.0, le=1.0)  # the same bar on the exact measure (0-1): 1 + 4 x exact_min = judge_min
    intended_max: float = Field(ge=0.0, le=1.0)  # share of SFT samples on Exh that may follow the intended strategy


THRESHOLDS: dict[str, type[_Frozen]] = {
    "medium": MediumThresholds,
    "stability": StabilityThresholds,
    "scaling": ScalingThresholds,
    "curation": CurationThresholds,
    "steps": StepsThresholds,
    "exh": ExhThresholds,
}


class StudyNumber(_Frozen):
    """One published number behind a finding, and how this run's matching value is read."""

    key: str
    quantity: str  # how this run's value is read: a name in ladder.findings.numbers.QUANTITIES
    text: str
    value: float
    comparison: Literal["approx", "at_least", "at_most"]
    this_run: str  # what this run's value is, in words
    tier: str = ""
    model: str = ""
    similarity: str = ""
    tolerance: float = 0.0
    unit: Literal["fraction", "score"] = "fraction"  # an accuracy (shown as %), or a judge's 1-5 score


class FindingClaim(_Frozen):
    """One finding of the study: its words, the rule that tests it in this run, and its numbers."""

    id: int
    name: str
    study_says: str
    rule: Literal["medium", "stability", "scaling", "curation", "steps", "exh"]
    thresholds: Any
    numbers: list[StudyNumber] = []

    @model_validator(mode="before")
    @classmethod
    def _typed_thresholds(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("rule") in THRESHOLDS and isinstance(data.get("thresholds"), dict):
            try:
                thresholds = THRESHOLDS[data["rule"]](**data["thresholds"])
            except ValidationError as exc:
                problems = "; ".join(f"thresholds.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
                raise ValueError(f"finding {data.get('id', '?')} (rule {data['rule']}): {problems}") from None
            data = {**data, "thresholds": thresholds}
        return data


class StudyGroup(_Frozen):
    """One model group of the study's Figure 1 and its tier means."""

    label: str
    role: Literal["base_models", "sft_models", "reference_models"]  # the tiers stage's role holding this group
    models: list[str]
    read_off: Literal["figure", "text"]
    values: dict[Literal["easy", "medium", "hard", "exh", "all"], float]


class StudyClaims(_Frozen):
    """The contents of ``data/study_claims.yaml``."""

    source: str
    tier_means: dict[str, StudyGroup]
    findings: list[FindingClaim]

    @field_validator("findings")
    @classmethod
    def _unique_ids(cls, findings: list[FindingClaim]) -> list[FindingClaim]:
        ids = [f.id for f in findings]
        if len(set(ids)) != len(ids):
            raise ValueError(f"finding ids must be unique, got {ids}")
        return findings

    def finding(self, finding_id: int) -> FindingClaim:
        """The finding with this id."""
        for claim in self.findings:
            if claim.id == finding_id:
                return claim
        raise ClaimsError(f"no finding {finding_id} in the claims file (ids: {[f.id for f in self.findings]})")


def load_claims(path: str | Path | None = None) -> StudyClaims:
    """Read and check the claims file (default ``data/study_claims.yaml``); errors name the file, line and key."""
    path = Path(path) if path else CLAIMS_FILE
    if not path.is_absolute() and not path.exists():
        path = paths.ROOT / path
    return load_yaml_model(path, StudyClaims, ClaimsError)
