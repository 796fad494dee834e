"""Benchmark: a no-op re-run of the book (everything cached) against the first run of the same stages.

    .venv/bin/python bench/bench_runner.py

Uses the three-stage fixture book of the tests (5 stage executions through jupytext, papermill and
nbconvert), in a temporary runs folder. Writes runs/bench/runner.json.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ladder import paths, store  # noqa: E402
from ladder.params import load_plan  # noqa: E402
from ladder.run import run_plan  # noqa: E402
from tests.fixtures import stages as fx  # noqa: E402


def main() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        plan = load_plan("fixture", stages=fx.STAGES, params_dir=fx.PARAMS)
        kwargs = dict(stages=fx.STAGES, notebooks_dir=fx.NOTEBOOKS, runs_dir=Path(tmp), echo=False)
        t0 = time.perf_counter()
        first = run_plan(plan, **kwargs)
        t1 = time.perf_counter()
        again = run_plan(plan, **kwargs)
        t2 = time.perf_counter()
    assert {r.status for r in first} == {"done"} and {r.status for r in again} == {"cached"}
    result = {
        "stages": len(first),
        "first_run_s": round(t1 - t0, 3),
        "noop_rerun_s": round(t2 - t1, 3),
        "noop_over_first": round((t2 - t1) / (t1 - t0), 4),
    }
    out = paths.RUNS_DIR / "bench" / "runner.json"
    store.write_json(out, result)  # atomic, creates the folder
    print(
        f"first run of {result['stages']} stages: {result['first_run_s']:.2f} s; "
        f"no-op re-run: {result['noop_rerun_s']:.3f} s; ratio {result['noop_over_first']:.4f}"
    )
    return result


if __name__ == "__main__":
    main()
