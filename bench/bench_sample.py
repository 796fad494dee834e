"""Benchmark: batched ``hf`` sampling throughput vs one prompt at a time, same requests (tiny Qwen2 model, CPU).

Builds the laptop-sized tiny model (hidden 64, 2 layers), makes 8 questions x 8 samples = 64 requests
with up to 64 new tokens each, and generates them twice through the same engine: batches of 32, then
one request per ``generate`` call. Both passes produce the same rows (per-row seeds), so the work is
identical; prints new tokens/s of each and the batched/single ratio, writes runs/bench/sample.json.

    .venv/bin/python bench/bench_sample.py            # about a minute on 2 CPU cores

Reference (2 shared CPU cores, torch 2.13 CPU, transformers 5.24, 1 torch thread): see runs/bench/sample.json.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pandas as pd  # noqa: E402

from ladder import paths, store  # noqa: E402
from ladder.sample import SampleParams, build_requests  # noqa: E402
from ladder.sample.hf_backend import HFEngine  # noqa: E402
from ladder.tiny_model import build_tiny_model  # noqa: E402

QUESTIONS = pd.DataFrame(
    {
        "question_id": [str(i) for i in range(8)],
        "problem": [f"What is {7 * i + 3} + {11 * i + 5}? Show each step." for i in range(8)],
        "answer": [str(18 * i + 8) for i in range(8)],
    }
)


def timed_pass(engine: HFEngine, requests, batch_size: int) -> tuple[float, int, list[str]]:
    """Generate every request in chunks of ``batch_size``; returns (seconds, new tokens, responses)."""
    start = time.perf_counter()
    generations = []
    for i in range(0, len(requests), batch_size):
        generations += engine.generate_batch(requests[i : i + batch_size])
    seconds = time.perf_counter() - start
    return seconds, sum(g.n_tokens for g in generations), [g.response for g in generations]


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = build_tiny_model(Path(tmp) / "model")
        params = SampleParams(
            model=str(model_dir), n=8, max_new_tokens=64, temperature=1.0, cpu_threads=1, device="cpu"
        )
        engine = HFEngine(str(model_dir), params)
        requests = build_requests(QUESTIONS, params, engine.tokenizer)
        engine.generate_batch(requests[:2])  # warm-up
        batched_s, batched_tokens, batched_text = timed_pass(engine, requests, 32)
        single_s, single_tokens, single_text = timed_pass(engine, requests, 1)
    result = {
        "requests": len(requests),
        "max_new_tokens": params.max_new_tokens,
        "batch_size": 32,
        "torch_threads": params.cpu_threads,
        "batched_new_tokens_per_s": batched_tokens / batched_s,
        "single_new_tokens_per_s": single_tokens / single_s,
        "ratio_batched_over_single": (batched_tokens / batched_s) / (single_tokens / single_s),
        "same_rows": batched_text == single_text,
        "new_tokens": batched_tokens,
    }
    print(f"batched (32/call): {result['batched_new_tokens_per_s']:8.1f} new tokens/s ({batched_s:.1f} s)")
    print(f"one at a time:     {result['single_new_tokens_per_s']:8.1f} new tokens/s ({single_s:.1f} s)")
    print(
        f"ratio batched/single: {result['ratio_batched_over_single']:.1f}x (aim >= 5x); same rows: {result['same_rows']}"
    )
    out = paths.RUNS_DIR / "bench" / "sample.json"
    store.write_json(out, result)  # atomic, creates the folder
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
