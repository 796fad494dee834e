"""Supervised fine-tuning with the study's recipe: a thin wrapper around TRL's ``SFTTrainer``.

Reads ``input_dir/dataset.parquet`` (column ``messages``: a list of {role, content}, written by the
curate stage) and writes into ``output_dir``:

- ``model/``: the fine-tuned HF checkpoint and tokenizer (``AutoModelForCausalLM.from_pretrained`` loads it),
- ``train_log.jsonl``: one line per logged step (loss, learning_rate, grad_norm, num_tokens, ...),
- ``train_progress.json``: the planned number of optimizer steps, written when training begins (the runner's
  progress line reads it, see ``ladder.watch``),
- ``train_report.json``: tokens seen, padding waste, tokens/s, steps, where it resumed from,
- ``checkpoints/checkpoint-N/``: every ``save_steps`` steps; a re-run into the same folder resumes
  from the last complete one.

The defaults are the study's recipe (Qwen2.5-32B-Instruct, lr 1e-5, cosine, 5% warmup, weight decay
1e-4, Adam betas 0.9/0.95, effective batch 32, 5 epochs, 32,768 tokens, bf16, gradient checkpointing).
The loss covers the assistant response only, end-of-turn token included, so the model learns to stop.

One process runs in-process (laptop, one GPU); several processes or nodes, or ``distributed`` set to
fsdp/deepspeed, run ``accelerate launch`` with a config from ``configs/accelerate/`` (on a machine without GPUs:
several processes over gloo, plain data parallel only)::

    from ladder.train import TrainParams, train_stage
    report = train_stage(TrainParams(model="runs/tiny/model", max_steps=50), "runs/curate", "runs/train")

    # the same from a shell (trains here, or starts `accelerate launch` when the params ask for several processes)
    python -m ladder.train --params params.json --input-dir runs/curate --output-dir runs/train
    # what accelerate runs on every rank: the same with --in-process
    # print the launch command or a SLURM script for the params instead of training
    python -m ladder.train --params params.json --input-dir IN --output-dir OUT --print-launch
    python -m ladder.train --params params.json --input-dir IN --output-dir OUT --print-sbatch > train.sbatch

Modules: ``params`` (TrainParams, the stage's file names), ``data`` (reading and checking the conversations,
loss mode, lengths), ``checkpoints`` (resume after a kill), ``trainer`` (the SFTTrainer and :func:`train`),
``launch`` (``accelerate launch``, ``srun`` and the sbatch script), ``ranks`` (one rank of a launch: dies with
its launcher, records the engine that ran), ``stage`` (:func:`train_stage` and the
``ladder train`` command), ``report`` (what notebook 20 shows). Heavy libraries (torch, transformers, trl,
datasets, pandas) are imported only where used, so ``import ladder.train`` stays cheap.
"""

from ladder.train.data import TrainDataError, load_conversations
from ladder.train.launch import launch_command, launch_command_string, multinode_command, render_sbatch
from ladder.train.params import (
    CHECKPOINTS_DIRNAME,
    DATASET_NAME,
    LOG_NAME,
    MODEL_DIRNAME,
    PARAMS_NAME,
    PROGRESS_NAME,
    REPORT_NAME,
    TrainParams,
    write_params,
)
from ladder.train.report import (
    Generation,
    example_generations,
    generate_examples,
    plot_training_curves,
    read_train_log,
    report_table,
)
from ladder.train.stage import add_cli, main, train_stage
from ladder.train.trainer import train

__all__ = [
    "CHECKPOINTS_DIRNAME",
    "DATASET_NAME",
    "LOG_NAME",
    "MODEL_DIRNAME",
    "PARAMS_NAME",
    "PROGRESS_NAME",
    "REPORT_NAME",
    "Generation",
    "TrainDataError",
    "TrainParams",
    "add_cli",
    "example_generations",
    "generate_examples",
    "launch_command",
    "launch_command_string",
    "load_conversations",
    "main",
    "multinode_command",
    "plot_training_curves",
    "read_train_log",
    "render_sbatch",
    "report_table",
    "train",
    "train_stage",
    "write_params",
]
