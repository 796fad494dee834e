"""Benchmark: training throughput of packing vs padding, and of 2 processes vs 1 (tiny Qwen2 model, CPU).

Trains the same randomly initialised tiny model on the same conversations (lengths spread from about
30 to 400 tokens, as curated trajectories vary) in two pairs of runs, each pair reported as a ratio:

- packing: padded batches of 8 conversations vs packed blocks of 2,048 tokens (best-fit decreasing,
  padding-free), one process;
- processes: two processes (``accelerate launch``, DDP over gloo on CPU) on batches of 4 each vs one
  process on batches of 8: the same global batch and data. Two processes get half the cores each
  (``ladder.train.launch.launch_env``); one process runs with every core, and again with half of them
  (one rank's share), so the two ratios are the gain over one process and the data-parallel scaling alone.

Prints real (non-padding) tokens per second of each run (training only, the ranks' start excluded; the
wall time of each call is there too), the padding waste, and the ratios; writes runs/bench/train.json.

    .venv/bin/python bench/bench_train.py                      # both pairs, about 2-3 minutes on 2 CPU cores
    .venv/bin/python bench/bench_train.py --case processes     # one pair

Reference (2 shared CPU cores, torch 2.13 CPU, transformers 5.24, TRL 1.16): padding 7,650 tokens/s with 34%
padding waste; packing 5,660 tokens/s with none: 0.74x. On CPU, padding-free packing loses: SDPA attends over
the whole flattened block with a block-diagonal mask (quadratic in the block), while the padded batch only
attends within each conversation. Packing pays off on GPUs with varlen attention (attn_implementation
flash_attention_2), where no mask is materialised; measure there with the same script.

Processes, measured three times on the same 2 CPU cores while other jobs ran (load 3 to 7): two processes
5,200-11,000 tokens/s; one process on both cores 650-4,500 (its two torch threads spin against the other jobs),
on one core 7,000-8,400. So 1.8x-8x over one process on every core, but only 0.7x-1.3x at the same threads per
process: on 2 busy cores data parallelism itself gains about nothing (an all-reduce per step, and the other rank
competes for the same cores); the gain is from one thread per process. Starting the two ranks costs about 15 s of
wall time (20-23 s for 16 steps vs 5-9 s in-process). Rerun on a quiet machine with more cores before using
these ratios."""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pandas as pd  # noqa: E402
import torch  # noqa: E402

from ladder import paths, store  # noqa: E402
from ladder.tiny_model import build_tiny_model  # noqa: E402
from ladder.train import TrainParams, train_stage  # noqa: E402


def conversations(n: int, seed: int = 0) -> list[list[dict[str, str]]]:
    """Questions with worked answers of very different lengths (digits are one token each)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        steps = " ".join(str(rng.randint(0, 9)) for _ in range(rng.randint(10, 180)))
        question = {"role": "user", "content": f"Problem {i}: add the digits."}
        rows.append([question, {"role": "assistant", "content": f"{steps} so the answer is \\boxed{{{i}}}"}])
    return rows


def run(label: str, model: Path, input_dir: Path, out: Path, steps: int, **overrides) -> dict:
    recipe = dict(learning_rate=1e-3, lr_scheduler_type="constant", warmup_ratio=0.0, gradient_checkpointing=False)
    params = TrainParams(model=str(model), max_steps=steps, save_steps=10_000, **recipe, **overrides)
    started = time.perf_counter()
    report = train_stage(params, input_dir, out / label)  # in this process, or accelerate launch for several
    keys = ("tokens_per_s", "padding_waste", "session_tokens", "train_runtime_s", "steps", "launch")
    return {**{k: report[k] for k in keys}, "wall_s": time.perf_counter() - started}


def packing_case(model: Path, input_dir: Path, root: Path) -> dict:
    """Padding vs packing, one process: the same number of conversations per optimizer step in both runs, 8
    padded vs one 2,048-token block (~9 conversations of ~230 tokens)."""
    padded = dict(per_device_batch_size=8, effective_batch_size=8, max_length=2048)
    packed = dict(per_device_batch_size=1, effective_batch_size=1, max_length=2048, packing=True)
    padding = run("padding", model, input_dir, root, steps=16, **padded)
    packing = run("packing", model, input_dir, root, steps=16, **packed)
    ratio = packing["tokens_per_s"] / padding["tokens_per_s"]
    print(f"padding: {padding['tokens_per_s']:8.0f} tokens/s, padding waste {padding['padding_waste']:.1%}")
    print(f"packing: {packing['tokens_per_s']:8.0f} tokens/s, padding waste {packing['padding_waste']:.1%}")
    print(f"packing / padding throughput: {ratio:.2f}x")
    return {"padding": padding, "packing": packing, "packing_over_padding_tokens_per_s": ratio}


def processes_case(model: Path, input_dir: Path, root: Path) -> dict:
    """One process vs two (DDP) at the same global batch of 8 padded conversations, the same data and seed.

    One process runs twice: with every core, and with one rank's share of them (what each of the two ranks gets),
    so the second ratio is the data-parallel scaling alone (2x at best) and the first the gain over one process.
    """
    cores = len(os.sched_getaffinity(0))
    one_batch = dict(per_device_batch_size=8, effective_batch_size=8)
    results = {}
    for label, threads in (("one_process", cores), ("one_process_one_share", max(1, cores // 2))):
        torch.set_num_threads(threads)
        results[label] = {**run(label, model, input_dir, root, steps=16, **one_batch), "threads": threads}
    torch.set_num_threads(cores)
    two_batches = dict(per_device_batch_size=4, effective_batch_size=8, num_processes=2, main_process_port=0)
    two = run("two_processes", model, input_dir, root, steps=16, **two_batches)
    results["two_processes"] = {**two, "threads": max(1, cores // 2)}  # per rank (launch_env)
    for label, result in results.items():
        print(
            f"{label:22}: {result['tokens_per_s']:8.0f} tokens/s, {result['threads']} thread(s) per process, "
            f"{result['wall_s']:5.1f} s wall, {result['launch']}"
        )
    one, share = results["one_process"]["tokens_per_s"], results["one_process_one_share"]["tokens_per_s"]
    ratios = {
        "two_over_one_process_tokens_per_s": two["tokens_per_s"] / one,
        "two_over_one_process_same_threads_tokens_per_s": two["tokens_per_s"] / share,
    }
    print(
        f"2 / 1 process throughput: {ratios['two_over_one_process_tokens_per_s']:.2f}x (1 process on every core), "
        f"{ratios['two_over_one_process_same_threads_tokens_per_s']:.2f}x (the same threads per process)"
    )
    return {**results, **ratios}


CASES = {"packing": packing_case, "processes": processes_case}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", choices=["all", *CASES], default="all", help="which pair of runs (default: all)")
    case = parser.parse_args(argv).case
    result = {"device": "cpu", "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        model = build_tiny_model(root / "model", max_position_embeddings=4096)
        input_dir = root / "in"
        input_dir.mkdir()
        pd.DataFrame({"messages": conversations(256)}).to_parquet(input_dir / "dataset.parquet")
        for name, measure in CASES.items():
            if case in ("all", name):
                result.update(measure(model, input_dir, root))
    out = paths.RUNS_DIR / "bench" / "train.json"
    store.write_json(out, result)  # atomic, creates the folder
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
