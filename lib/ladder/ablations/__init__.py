"""Ablations: accuracy per tier as a function of the SFT data, P = f(C, N, L, S) (the panel stage, notebook 60).

Submodules: ``params`` (AblationsParams), ``axes`` (each experiment's place on the axes, the reference
setting), ``inputs`` (curate params, graded rows, tiers and step rows, checked), ``analysis`` (accuracy per
experiment x tier with CIs, like-for-like comparisons and paired contrasts, the scaling fit on log10 N, the
category spread, the step decomposition), ``figures``, ``stage`` (the files it writes). The study's findings are
tested on the analysis by :mod:`ladder.findings`.

Usage::

    from ladder import ablations, findings
    params = ablations.AblationsParams(benchmark="synthetic")
    data = ablations.load_ablation_inputs(inputs, params)     # inputs: experiment -> {stage -> folder}
    analysis = ablations.analyse_ablations(data, params)
    results = findings.evaluate(analysis, params.claims)       # one Finding per finding of the study
    ablations.write_ablation_report(analysis, "out/")          # CSVs (findings included) and PNGs
"""

from ladder.ablations.analysis import (
    AblationAnalysis,
    accuracy_by_tier,
    analyse_ablations,
    axis_comparison,
    category_spread,
    correction_rates,
    experiment_outcomes,
    main_group,
    scaling_fit,
    step_decomposition,
)
from ladder.ablations.axes import AXES, COMPARED_AXES, VALUE_ORDER, experiment_axes
from ladder.ablations.figures import (
    plot_accuracy_vs_n,
    plot_axis_bars,
    plot_category_spread,
    plot_corrections,
    plot_stability,
    plot_steps,
)
from ladder.ablations.inputs import AblationInputs, load_ablation_inputs
from ladder.ablations.params import AblationsError, AblationsParams
from ladder.ablations.stage import save_ablation_figures, save_ablation_tables, write_ablation_report

__all__ = [
    "AXES",
    "COMPARED_AXES",
    "VALUE_ORDER",
    "AblationAnalysis",
    "AblationInputs",
    "AblationsError",
    "AblationsParams",
    "accuracy_by_tier",
    "analyse_ablations",
    "axis_comparison",
    "category_spread",
    "correction_rates",
    "experiment_axes",
    "experiment_outcomes",
    "load_ablation_inputs",
    "main_group",
    "plot_accuracy_vs_n",
    "plot_axis_bars",
    "plot_category_spread",
    "plot_corrections",
    "plot_stability",
    "plot_steps",
    "save_ablation_figures",
    "save_ablation_tables",
    "scaling_fit",
    "step_decomposition",
    "write_ablation_report",
]
