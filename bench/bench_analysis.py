"""Benchmark: the tier analysis with its CIs on a synthetic 30 x 64 x 20 cube (questions x samples x models).

Baseline measured in the same run: pass@k of one model with a two-stage bootstrap CI (what the analysis used
before its intervals were calibrated) written as a plain per-resample, per-question Python loop (math.comb),
against ``ladder.metrics`` (analytic interval, ``mean_interval``). Prints the timings and the
speed-up and writes them to ``runs/bench/analysis.json``.

Usage::

    .venv/bin/python bench/bench_analysis.py [--n-bootstrap 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import math
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.simulated_panel

from ladder import metrics, paths, store, tiers  # noqa: E402
from tests.simulated_panel import simulate_graded  # noqa: E402

N_QUESTIONS, N_SAMPLES, N_MODELS = 30, 64, 20


def synthetic_cube(seed: int = 0):
    """Graded rows of 20 models x 30 AIME24 questions x 64 samples from a Rasch model."""
    rng = np.random.default_rng(seed)
    shift = {"easy": -2.5, "medium": 0.0, "hard": 2.0, "exh": 5.0}
    difficulty = {q: shift[t] + rng.normal(0, 0.5) for q, t in sorted(tiers.study_tiers().items())}
    abilities = {f"model{i:02d}": float(a) for i, a in enumerate(np.linspace(-1.5, 3.5, N_MODELS))}
    return simulate_graded(abilities, difficulty, N_SAMPLES, seed=seed)


def naive_pass_at_k_bootstrap(correct: np.ndarray, k: int, n_bootstrap: int, seed: int) -> tuple[float, float, float]:
    """The baseline: two-stage bootstrap of unbiased pass@k with Python loops, one question at a time."""
    rows = [list(map(bool, row)) for row in correct]
    n_q, n = len(rows), len(rows[0])

    def pass_k(c: int) -> float:
        return 1.0 - math.comb(n - c, k) / math.comb(n, k)

    point = sum(pass_k(sum(row)) for row in rows) / n_q
    rng = random.Random(seed)
    values = []
    for _ in range(n_bootstrap):
        total = 0.0
        for _ in range(n_q):
            row = rows[rng.randrange(n_q)]
            total += pass_k(sum(row[rng.randrange(n)] for _ in range(n)))
        values.append(total / n_q)
    values.sort()
    return point, values[int(0.025 * n_bootstrap)], values[int(0.975 * n_bootstrap) - 1]


def best_of(repeats: int, fn) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-bootstrap", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    graded = synthetic_cube()
    models = sorted(graded["model"].unique())
    params = tiers.TiersParams(
        base_models=models[:1], sft_models=models[8:10], reference_models=models[15:], n_bootstrap=args.n_bootstrap
    )
    one = metrics.outcomes_from_graded(graded[graded["model"] == models[10]])[models[10]]

    naive_s = best_of(1, lambda: naive_pass_at_k_bootstrap(one.correct, 4, args.n_bootstrap, 0))
    vector_s = best_of(args.repeats, lambda: metrics.pass_at_k(one, 4))
    naive = naive_pass_at_k_bootstrap(one.correct, 4, 200, 0)
    vector = metrics.pass_at_k(one, 4)
    assert math.isclose(naive[0], vector.statistic), "baseline and ladder.metrics disagree on pass@4"

    analyse_s = best_of(args.repeats, lambda: tiers.analyse_panel(graded, params))
    with tempfile.TemporaryDirectory() as tmp:
        report_s = best_of(1, lambda: tiers.write_tier_report(graded, tmp, params))

    # models x (4 tiers + all) x (avg@n, cov@n, maj@n, and cov@k, pass@k per k)
    n_metric_cis = N_MODELS * 5 * (3 + 2 * len(params.ks))
    result = {
        "cube": {"questions": N_QUESTIONS, "samples": N_SAMPLES, "models": N_MODELS},
        "n_bootstrap": args.n_bootstrap,
        "baseline_loop_pass_at_4_one_model_s": round(naive_s, 4),
        "vectorised_pass_at_4_one_model_s": round(vector_s, 4),
        "speedup_vs_loop": round(naive_s / vector_s, 1),
        "analyse_panel_s": round(analyse_s, 3),
        "metric_cis_in_analysis": n_metric_cis,
        "write_tier_report_with_figures_s": round(report_s, 3),
        "machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine()},
        "numpy": np.__version__,
    }
    print(f"cube {N_QUESTIONS} questions x {N_SAMPLES} samples x {N_MODELS} models, {args.n_bootstrap} resamples")
    print(
        f"pass@4 with CI, one model: bootstrap loop {naive_s:.3f} s, ladder.metrics {vector_s:.4f} s "
        f"-> {result['speedup_vs_loop']}x"
    )
    print(
        f"full analysis (tiers, IRT, consistency, {n_metric_cis} metric CIs): {analyse_s:.2f} s "
        f"(best of {args.repeats}); with tables and figures written: {report_s:.2f} s"
    )
    out = paths.RUNS_DIR / "bench" / "analysis.json"
    store.write_json(out, result)  # atomic, creates the folder
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
