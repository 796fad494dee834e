"""GPU check of the train stage: the accelerate FSDP path on one GPU with a tiny model for a few steps.

Builds a tiny Qwen2 model and a small chat dataset, then runs ``ladder.train.train_stage`` with
``distributed: fsdp`` and ``num_processes: 1``, which launches ``accelerate launch --config_file
configs/accelerate/fsdp.yaml ... -m ladder.train`` as a subprocess (bf16 where the GPU supports it,
gradient checkpointing on, a checkpoint every 3 steps). Then re-runs into the same folder with more
steps to show the FSDP checkpoint resumes, loads the saved model with ``from_pretrained`` and generates.
Prints one JSON summary (also written to $OUT/gpu_check_train.json when OUT is set); exits 1 on a failed check.

    .venv/bin/python scripts/gpu_check_train.py      # about 1-2 minutes on one H100, most of it start-up
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pandas as pd  # noqa: E402
import torch  # noqa: E402

from ladder.tiny_model import build_tiny_model  # noqa: E402
from ladder.train import TrainParams, generate_examples, launch_command, launch_command_string, train_stage  # noqa: E402


def main() -> int:
    if not torch.cuda.is_available():
        print("needs a CUDA GPU", file=sys.stderr)
        return 2
    checks: dict[str, bool] = {}
    summary: dict = {"device": torch.cuda.get_device_name(0), "bf16_supported": torch.cuda.is_bf16_supported()}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        model = build_tiny_model(root / "base", hidden_size=128, num_layers=4)
        rows = [
            [{"role": "user", "content": f"What is {i} + {i % 7}?"}, {"role": "assistant", "content": "\\boxed{7}"}]
            for i in range(64)
        ]
        (root / "in").mkdir()
        pd.DataFrame({"messages": rows}).to_parquet(root / "in" / "dataset.parquet")
        recipe = dict(learning_rate=3e-3, lr_scheduler_type="constant", warmup_ratio=0.0, gradient_checkpointing=True)
        batch = dict(per_device_batch_size=8, effective_batch_size=16, max_length=256)
        params = TrainParams(
            model=str(model), distributed="fsdp", num_processes=1, max_steps=6, save_steps=3, **batch, **recipe
        )
        summary["launch"] = launch_command_string(launch_command(params, root / "in", root / "out"))
        started = time.perf_counter()
        first = train_stage(params, root / "in", root / "out")
        summary["first_run_s"] = time.perf_counter() - started
        summary["first"] = first
        checks["fsdp_steps"] = first["steps"] == 6 and first["world_size"] == 1
        checks["bf16_used"] = first["bf16"] == torch.cuda.is_bf16_supported()
        checks["checkpoint_written"] = (root / "out" / "checkpoints" / "checkpoint-6" / "trainer_state.json").is_file()

        longer = params.model_copy(update={"max_steps": 9})
        second = train_stage(longer, root / "in", root / "out")
        summary["second"] = second
        checks["resumed_from_checkpoint_6"] = second["resumed_from_step"] == 6 and second["steps"] == 9

        generations = generate_examples(root / "out" / "model", root / "in", n=2, max_new_tokens=16)
        summary["generations"] = [g.generated for g in generations]
        checks["model_loads_and_generates"] = len(generations) == 2
    summary["checks"] = checks
    text = json.dumps(summary, indent=2, default=str)
    print(text)
    if os.environ.get("OUT"):
        Path(os.environ["OUT"], "gpu_check_train.json").write_text(text)
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
