"""Benchmark: curate N = 1,000 from a 100,000-problem OpenR1-format pool, cold and served from the cache.

Runs the real stage (datasets loader on a local parquet file, filters, decontamination against the
AIME 2024/2025 and MATH-500 files in --benchmarks, token counting, selection, files) twice with the
same params: the first run counts every pool trajectory's tokens, the second reads them from the
cache. Also times the batched token counter against a per-text tokenizer loop on a sample. Writes
runs/bench/curate.json.

Usage::

    .venv/bin/python bench/bench_curate.py            # about 3-4 minutes on 2 cores
    .venv/bin/python bench/bench_curate.py --rows 20000
    .venv/bin/python bench/bench_curate.py --benchmarks DIR   # DIR/{aime24,aime25,math500}.jsonl

--benchmarks defaults to tests/fixtures/benchmarks, whose math500.jsonl holds the first 50 of the 500
MATH-500 rows; give a folder with the whole file to decontaminate against all of them.

Reference (2 cores, 100,000 rows, tiny 512-token BPE): cold 42 s, most of it token counting; cached
1.6 s (about 27x); per-text tokenizer loop / batched 2.6x. Under load from other jobs (load average
about 4): cold 103 s, cached 1.5 s, loop / batched 1.4x.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")  # read when datasets is imported: set it first
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.curate_examples

from ladder import paths, store  # noqa: E402
from ladder.curate import CurateParams, curate_stage  # noqa: E402
from ladder.curate.lengths import count_tokens, load_tokenizer  # noqa: E402
from ladder.tiny_model import DEFAULT_CORPUS, train_tokenizer  # noqa: E402
from tests.curate_examples import openr1_rows, write_rows  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="problems in the synthetic pool")
    parser.add_argument("--n", type=int, default=1000, help="trajectories to select")
    parser.add_argument("--sample", type=int, default=2000, help="texts for the batched vs per-text comparison")
    parser.add_argument(
        "--benchmarks",
        type=Path,
        default=ROOT / "tests" / "fixtures" / "benchmarks",
        help="folder of aime24.jsonl, aime25.jsonl and math500.jsonl to decontaminate against",
    )
    args = parser.parse_args()
    files = {b: args.benchmarks / f"{b}.jsonl" for b in ("aime24", "aime25", "math500")}
    missing = [str(f) for f in files.values() if not f.is_file()]
    if missing:
        parser.error(f"benchmark files not found: {', '.join(missing)}")

    work = Path(tempfile.mkdtemp(prefix="bench_curate_"))
    t0 = time.perf_counter()
    source = write_rows(openr1_rows(args.rows, seed=0), work / "openr1.parquet")
    tokenizer_dir = work / "tokenizer"
    train_tokenizer(DEFAULT_CORPUS + [r["problem"] for r in openr1_rows(200, seed=1)]).save_pretrained(tokenizer_dir)
    setup_s = time.perf_counter() - t0
    print(f"setup: {args.rows} rows written to {source} ({source.stat().st_size / 1e6:.0f} MB) in {setup_s:.1f}s")

    params = CurateParams(
        local_path=str(source),
        tokenizer=str(tokenizer_dir),
        cache_dir=str(work / "cache"),
        category="diverse",
        n=args.n,
        length="long",
        decontaminate=list(files),
        benchmark_files={k: str(v) for k, v in files.items()},
    )
    timings = {}
    for label in ("cold", "cached"):
        start = time.perf_counter()
        result = curate_stage(params, work / f"out_{label}")
        timings[label] = time.perf_counter() - start
        print(
            f"curate ({label}): {timings[label]:.2f}s, {result.manifest['rows']} rows, "
            f"pool {result.manifest['token_lengths']['pool']['count']} trajectories"
        )
    same = (work / "out_cold" / "dataset.parquet").read_bytes() == (
        work / "out_cached" / "dataset.parquet"
    ).read_bytes()

    texts = result.selection["messages"].map(lambda m: m[1]["content"]).tolist()
    texts = (texts * (args.sample // max(len(texts), 1) + 1))[: args.sample]
    tokenizer = load_tokenizer(str(tokenizer_dir))
    start = time.perf_counter()
    loop = [len(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts]
    loop_s = time.perf_counter() - start
    start = time.perf_counter()
    batched = count_tokens(texts, str(tokenizer_dir), cache_dir=None)
    batched_s = time.perf_counter() - start
    assert list(batched) == loop, "batched counts differ from the per-text tokenizer"

    report = {
        "rows": args.rows,
        "n": args.n,
        "decontamination": params.decontaminate,
        "tokenizer": "byte-level BPE, 512 tokens (ladder.tiny_model.train_tokenizer)",
        "setup_s": round(setup_s, 2),
        "curate_cold_s": round(timings["cold"], 2),
        "curate_cached_s": round(timings["cached"], 2),
        "cold_over_cached": round(timings["cold"] / timings["cached"], 2),
        "identical_dataset": same,
        "token_count_sample": len(texts),
        "per_text_loop_s": round(loop_s, 3),
        "batched_s": round(batched_s, 3),
        "loop_over_batched": round(loop_s / batched_s, 2),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    print(
        f"cold / cached = {report['cold_over_cached']}x; per-text loop / batched = {report['loop_over_batched']}x; "
        f"identical dataset: {same}"
    )
    out = paths.RUNS_DIR / "bench" / "curate.json"
    store.write_json(out, report)  # atomic, creates the folder
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
