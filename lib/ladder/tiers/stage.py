"""The tier report on disk: questions.csv, tiers.csv, the side tables and figures, and ``ladder tiers``.

Usage::

    ladder tiers graded.parquet [more.parquet ...] --out DIR --base-models Qwen2.5-32B-Instruct \
        --sft-models s1.1-32B,LIMO-32B [--tier-source rule] [--exh-rule every_model] [--ks 2,4]

Every field of :class:`TiersParams` is a flag of its own (``--base-models``, ``--irt-model``, ``--ladder-lines``,
...), a key of ``--params FILE`` or a ``--set KEY=VALUE`` (``ladder.stage_cli``); ``graded_files`` are read
beside the FILES given.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from ladder.stage_cli import add_params_options, params_from_args, run_command
from ladder.tiers.analysis import TierAnalysis, analyse_panel
from ladder.tiers.panel import load_graded, repo_files
from ladder.tiers.params import TiersParams


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
    # Imported here: ladder.plots loads matplotlib and seaborn (about 1.5 s), which `ladder --help`, `ladder tiers`
    # argument errors and table-only callers never need.
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


def cmd_tiers(args: argparse.Namespace) -> int:
    """``ladder tiers``: the tier report of graded files into ``--out``."""

    def body() -> None:
        params = params_from_args(args, "tiers")
        graded = load_graded([*args.files, *repo_files(params.graded_files)])
        written = write_tier_report(graded, args.out, params)
        for name, path in written.items():
            print(f"{name}: {path}")

    return run_command("tiers", body)


def add_cli(sub: argparse._SubParsersAction) -> None:
    """Add ``ladder tiers``."""
    parser = sub.add_parser("tiers", help="per-question tiers, IRT, consistency and per-tier metrics of graded files")
    parser.add_argument("files", nargs="+", help="graded.parquet file(s), one or more models each")
    parser.add_argument("--out", required=True, help="output folder for questions.csv, tiers.csv and figures")
    add_params_options(parser, "tiers")
    parser.set_defaults(func=cmd_tiers)
