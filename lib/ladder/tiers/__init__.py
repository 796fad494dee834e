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

Submodules: ``params`` (TiersParams, TiersError, the role fields), ``panel`` (graded tables read, checked and
reduced to per-question accuracy), ``rules`` (the benchmark's own tiers, the study's rules, where they differ),
``irt`` (Rasch / 2PL difficulty), ``consistency`` (Guttman errors, Loevinger's H), ``analysis`` (the whole
analysis: TierAnalysis, per-tier metrics, calibration), ``stage`` (tables and figures on disk, ``ladder tiers``).

Usage::

    ladder tiers graded.parquet [more.parquet ...] --out DIR --base-models BASE --sft-models SFT1,SFT2

    from ladder import tiers
    graded = tiers.load_panel(inputs)                 # notebook 50_tiers: inputs[exp]["grade"] folders
    paths = tiers.write_tier_report(graded, "out/", tiers.TiersParams(base_models=["base"], sft_models=["sft"]))
"""

from ladder.benchmarks import ALL_TIERS, TIER_ORDER
from ladder.tiers.analysis import TierAnalysis, analyse_panel, calibration, tier_metrics
from ladder.tiers.consistency import Consistency, ladder_consistency
from ladder.tiers.irt import IrtFit, fit_irt
from ladder.tiers.panel import load_graded, load_panel, panel_summary, question_accuracy, select_panel
from ladder.tiers.params import TiersError, TiersParams
from ladder.tiers.rules import compare_tiers, disagreements, reference_tiers, rule_tiers, study_tiers
from ladder.tiers.stage import add_cli, save_tier_tables, write_tier_report

__all__ = [
    "ALL_TIERS",
    "TIER_ORDER",
    "Consistency",
    "IrtFit",
    "TierAnalysis",
    "TiersError",
    "TiersParams",
    "add_cli",
    "analyse_panel",
    "calibration",
    "compare_tiers",
    "disagreements",
    "fit_irt",
    "ladder_consistency",
    "load_graded",
    "load_panel",
    "panel_summary",
    "question_accuracy",
    "reference_tiers",
    "rule_tiers",
    "save_tier_tables",
    "select_panel",
    "study_tiers",
    "tier_metrics",
    "write_tier_report",
]
