"""The strategy stage's files: every table (CSV; the pairs as parquet) and every figure (PNG) into its folder."""

from __future__ import annotations

from pathlib import Path

from ladder import store
from ladder.strategies.analysis import StrategyAnalysis
from ladder.strategies.figures import plot_diversity_vs_coverage, plot_proxy_vs_exact, plot_similarity_by_tier

FIGURES = ("strategy_similarity", "proxy_vs_exact", "diversity_vs_coverage")


def save_strategy_tables(analysis: StrategyAnalysis, out_dir: str | Path) -> dict[str, Path]:
    """Write strategy_by_tier.csv, diversity_vs_coverage.csv, measure_agreement.csv, exh_strategy_match.csv,
    sample_strategies.csv and pairs.parquet into ``out_dir``; returns name -> path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = {
        "strategy_by_tier": analysis.by_tier,
        "diversity_vs_coverage": analysis.diversity,
        "measure_agreement": analysis.agreement,
        "exh_strategy_match": analysis.exh_match,
        "sample_strategies": analysis.samples,
    }
    written = {}
    for name, frame in tables.items():
        written[name] = out / f"{name}.csv"
        frame.to_csv(written[name], index=False)
    written["pairs"] = out / "pairs.parquet"
    store.atomic_write(written["pairs"], lambda tmp: analysis.pairs.to_parquet(tmp, index=False))
    return written


def save_strategy_figures(analysis: StrategyAnalysis, out_dir: str | Path) -> dict[str, Path]:
    """Draw every figure of the strategy report and save each as PNG into ``out_dir``."""
    plot_similarity_by_tier(analysis, out_dir)
    plot_proxy_vs_exact(analysis, out_dir)
    plot_diversity_vs_coverage(analysis, out_dir)
    return {name: Path(out_dir) / f"{name}.png" for name in FIGURES}
