"""The study's claims tested on this run: one data file, one engine, one table.

``data/study_claims.yaml`` holds what the study claims (its Figure 1 tier means per model group, and its six
findings with the rule, thresholds and published numbers that test each here). Submodules: ``claims`` (the file,
checked), ``rules`` (one rule per finding), ``verdicts`` (the one verdict rule they share), ``numbers`` (this run's value of each published number),
``engine`` (:class:`Finding` results, the tables), ``tier_means`` (notebook 50's tier means vs the study).

Usage::

    from ladder import findings
    results = findings.evaluate(ablation_analysis)          # list of Finding (frozen; print one to read it)
    findings.findings_table(results)                        # the book's table (notebook 60)
    findings.tiers_vs_study(graded, tier_analysis)          # notebook 50
"""

from ladder.findings.claims import ClaimsError, StudyClaims, load_claims
from ladder.findings.engine import Finding, evaluate, findings_frame, findings_table, numbers_frame, save_findings
from ladder.findings.tier_means import compare_tier_means, group_tier_means, tiers_vs_study

__all__ = [
    "ClaimsError",
    "Finding",
    "StudyClaims",
    "compare_tier_means",
    "evaluate",
    "findings_frame",
    "findings_table",
    "group_tier_means",
    "load_claims",
    "numbers_frame",
    "save_findings",
    "tiers_vs_study",
]
