"""Benchmark: training throughput with packing vs padding on the same data (tiny Qwen2 model, CPU).

Trains the same randomly initialised tiny model on the same conversations (lengths spread from about
30 to 400 tokens, as curated trajectories vary) twice: padded batches of 8 conversations, and packed
blocks of 2,048 tokens (best-fit decreasing, padding-free). Prints real (non-padding) tokens per second
of each, the padding waste of each, and the packing/padding ratio; writes them to runs/bench/train.json.

    .venv/bin/python bench/bench_train.py            # about 1-2 minutes on 2 CPU cores

Reference (2 shared CPU cores, torch 2.13 CPU, transformers 5.24, TRL 1.16): padding 7,650 tokens/s with 34%
padding waste; packing 5,660 tokens/s with none: 0.74x. On CPU, padding-free packing loses: SDPA attends over
the whole flattened block with a block-diagonal mask (quadratic in the block), while the padded batch only
attends within each conversation. Packing pays off on GPUs with varlen attention (attn_implementation
flash_attention_2), where no mask is materialised; measure there with the same script.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pandas as pd  # noqa: E402

from ladder import paths, store  # noqa: E402
from ladder.tiny_model import build_tiny_model  # noqa: E402
from ladder.train import TrainParams, train  # noqa: E402


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
    report = train(params, input_dir, out / label)
    return {k: report[k] for k in ("tokens_per_s", "padding_waste", "session_tokens", "train_runtime_s", "steps")}


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        model = build_tiny_model(root / "model", max_position_embeddings=4096)
        input_dir = root / "in"
        input_dir.mkdir()
        pd.DataFrame({"messages": conversations(256)}).to_parquet(input_dir / "dataset.parquet")
        # Same number of conversations per optimizer step in both runs: 8 padded vs one 2,048-token block
        # (~9 conversations of ~230 tokens).
        padded = dict(per_device_batch_size=8, effective_batch_size=8, max_length=2048)
        packed = dict(per_device_batch_size=1, effective_batch_size=1, max_length=2048, packing=True)
        padding = run("padding", model, input_dir, root, steps=16, **padded)
        packing = run("packing", model, input_dir, root, steps=16, **packed)
    ratio = packing["tokens_per_s"] / padding["tokens_per_s"]
    result = {
        "padding": padding,
        "packing": packing,
        "packing_over_padding_tokens_per_s": ratio,
        "device": "cpu",
        "cpus": os.cpu_count(),
    }
    print(f"padding: {padding['tokens_per_s']:8.0f} tokens/s, padding waste {padding['padding_waste']:.1%}")
    print(f"packing: {packing['tokens_per_s']:8.0f} tokens/s, padding waste {packing['padding_waste']:.1%}")
    print(f"packing / padding throughput: {ratio:.2f}x")
    out = paths.RUNS_DIR / "bench" / "train.json"
    store.write_json(out, result)  # atomic, creates the folder
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
