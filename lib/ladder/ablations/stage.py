"""The ablations stage's files: every table (CSV), the study's findings and every figure (PNG) into its folder."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ladder.ablations.analysis import AblationAnalysis
from ladder.ablations.figures import (
    plot_accuracy_vs_n,
    plot_axis_bars,
    plot_category_spread,
    plot_corrections,
    plot_stability,
    plot_steps,
)
from ladder.findings import Finding, StudyClaims, evaluate, load_claims, save_findings

FIGURES = (
    "accuracy_vs_n",
    "axis_L",
    "axis_S",
    "category_spread",
    "ablation_potential_vs_stability",
    "step_decomposition",
    "corrections",
)


def save_ablation_tables(
    analysis: AblationAnalysis, out_dir: str | Path, findings: Sequence[Finding] = ()
) -> dict[str, Path]:
    """Write experiment_axes.csv, accuracy_by_tier.csv, contrasts.csv, axis_<X>.csv, scaling_fit.csv,
    category_spread.csv, step_decomposition.csv, corrections.csv (mini-ladder) and, given ``findings``, findings.csv and study_findings.csv into
    ``out_dir``; returns name -> path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = {
        "experiment_axes": analysis.axes,
        "accuracy_by_tier": analysis.accuracy,
        "contrasts": analysis.contrasts,
        "scaling_fit": analysis.scaling,
        "category_spread": analysis.categories,
        "step_decomposition": analysis.steps,
        **{f"axis_{axis}": table for axis, table in analysis.comparisons.items()},
    }
    if not analysis.corrections.empty:
        tables["corrections"] = analysis.corrections
    written = {}
    for name, frame in tables.items():
        written[name] = out / f"{name}.csv"
        frame.to_csv(written[name], index=False)
    if findings:
        written.update(save_findings(findings, out))
    return written


def save_ablation_figures(
    analysis: AblationAnalysis, out_dir: str | Path, claims: StudyClaims | None = None
) -> dict[str, Path]:
    """Draw every figure of the ablations report and save each as PNG into ``out_dir``."""
    out = Path(out_dir)
    plot_accuracy_vs_n(analysis, out)
    plot_axis_bars(analysis, "L", out)
    plot_axis_bars(analysis, "S", out)
    plot_category_spread(analysis, out, claims)
    plot_stability(analysis, out)
    plot_steps(analysis, out)
    plot_corrections(analysis, out)
    return {name: out / f"{name}.png" for name in FIGURES}


def write_ablation_report(analysis: AblationAnalysis, out_dir: str | Path) -> dict[str, Path]:
    """Test the findings (the claims file of ``analysis.params``) and write every table and figure into ``out_dir``."""
    claims = load_claims(analysis.params.claims)
    findings = evaluate(analysis, claims)
    return {**save_ablation_tables(analysis, out_dir, findings), **save_ablation_figures(analysis, out_dir, claims)}
