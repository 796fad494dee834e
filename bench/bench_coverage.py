"""Coverage study of the book's intervals (``ladder.coverage``): metric x panel shape -> empirical coverage.

Nominal 95% intervals of avg@8, cov@k, pass@k and maj@8 on simulated panels of 12 and 30 questions with n = 8,
solve rates from three Beta mixtures with exact 0s and 1s: a whole benchmark (the acceptance design), and two
tier-like stress cases (most questions near 0, or near 1). Then the paired differences (SFT minus base) under
three scenarios. Baseline in the same run: the nominal level itself (coverage / 0.95 is the ratio printed).
Writes ``runs/bench/coverage.json``.

Usage::

    .venv/bin/python bench/bench_coverage.py [--panels 4000] [--paired-panels 1000]
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from ladder import coverage, paths, store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--panels", type=int, default=4000)
    parser.add_argument("--paired-panels", type=int, default=1000)
    args = parser.parse_args()
    start = time.perf_counter()
    single = pd.concat(
        [
            coverage.coverage_table(m, n_panels=args.panels)
            for m in (coverage.REALISTIC, coverage.HARD_TIER, coverage.EASY_TIER)
        ],
        ignore_index=True,
    )
    paired = pd.concat(
        [
            coverage.paired_coverage_table(m, n_panels=args.paired_panels)
            for m in (coverage.REALISTIC, coverage.HARD_TIER)
        ],
        ignore_index=True,
    )
    seconds = time.perf_counter() - start
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        for name, rows in single.groupby("mixture", sort=False):
            print(f"\n== {name}: coverage of nominal 95% ({args.panels} panels per cell)")
            print(rows.pivot(index="questions", columns="metric", values="coverage").round(3).to_string())
        print(f"\n== paired differences ({args.paired_panels} panels per cell)")
        print(
            paired.pivot_table(index=["mixture", "scenario", "questions"], columns="metric", values="coverage")
            .round(3)
            .to_string()
        )
    acceptance = single[single["mixture"] == coverage.REALISTIC.name]
    print(
        f"\nacceptance ({coverage.REALISTIC.name}): coverage {acceptance['coverage'].min():.3f}.."
        f"{acceptance['coverage'].max():.3f} (ratio to nominal {acceptance['coverage'].min() / 0.95:.3f}.."
        f"{acceptance['coverage'].max() / 0.95:.3f}); estimate inside its interval in "
        f"{single['estimate_inside'].min():.0%} of panels; {seconds:.0f} s"
    )
    out = paths.RUNS_DIR / "bench" / "coverage.json"
    store.write_json(
        out,
        {
            "single": single.to_dict("records"),
            "paired": paired.to_dict("records"),
            "panels": args.panels,
            "paired_panels": args.paired_panels,
            "seconds": round(seconds, 1),
        },
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
