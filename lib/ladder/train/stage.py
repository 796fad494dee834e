"""The train stage as notebook 20 runs it (:func:`train_stage`), and the ``ladder train`` command.

:func:`train_stage` checks the data first, then trains in this process (one process) or starts
``accelerate launch`` as a subprocess (several processes, several nodes, or a sharding engine): on the GPUs, or
on the CPU cores of a machine without any (data parallel over gloo; FSDP and DeepSpeed need GPUs). The command
takes the params as every stage command does (:mod:`ladder.stage_cli`): ``--params FILE`` (what
:func:`~ladder.train.params.write_params` writes, or a profile-style file with a ``train:`` block), a flag per
field, ``--set KEY=VALUE``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ladder import paths, tiny_model
from ladder.stage_cli import add_params_options, params_from_args, run_command
from ladder.train.data import preflight
from ladder.train.launch import (
    check_launchable,
    launch_command,
    launch_command_string,
    launch_env,
    multinode_command,
    render_sbatch,
    with_this_python,
)
from ladder.train.params import PARAMS_NAME, REPORT_NAME, TrainParams, write_params
from ladder.train.trainer import train

DESCRIPTION = (
    "Fine-tune a model on dataset.parquet with the study's SFT recipe, or print its launch command or SLURM script."
)


def train_stage(params: TrainParams, input_dir: str | Path, output_dir: str | Path) -> dict[str, Any]:
    """Run the train stage: in this process for one process, else ``accelerate launch`` as a subprocess.

    The data (and, for a launch, whether this machine can run it) is checked here first in both cases, so bad
    input fails before any process or model starts.
    Returns the train report (also in ``output_dir/train_report.json``).
    """
    output_dir = Path(output_dir)
    params = params.model_copy(update={"model": tiny_model.resolve(params.model)})  # "tiny:<preset>" -> a folder
    if not params.needs_launcher():
        return train(params, input_dir, output_dir)
    import torch  # torch: heavy, only when training

    device = check_launchable(params, torch.cuda.device_count())
    preflight(params, input_dir)
    write_params(params, output_dir / PARAMS_NAME)
    if params.num_nodes > 1:
        command = multinode_command(params, input_dir, output_dir, os.environ)
    else:
        command = with_this_python(launch_command(params, input_dir, output_dir))
    finished = subprocess.run(command, cwd=paths.ROOT, env=launch_env(device, params.num_processes, os.environ))
    if finished.returncode:
        raise RuntimeError(
            f"train: accelerate launch exited with code {finished.returncode} (its output is above): "
            f"{launch_command_string(command)}"
        )
    return json.loads((output_dir / REPORT_NAME).read_text())


# --- command line -----------------------------------------------------------------------------------


def _arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--input-dir", required=True, help="folder with dataset.parquet")
    parser.add_argument("--output-dir", required=True, help="folder for model/, train_log.jsonl, train_report.json")
    parser.add_argument("--print-launch", action="store_true", help="print the accelerate launch command and exit")
    parser.add_argument("--print-sbatch", action="store_true", help="print a SLURM script for the params and exit")
    parser.add_argument(
        "--in-process", action="store_true", help="train in this process, as one rank (what accelerate launches)"
    )
    add_params_options(parser, "train")
    return parser


def _train_command(args: argparse.Namespace) -> int:
    params = params_from_args(args, "train")
    if args.print_launch:
        print(launch_command_string(launch_command(params, args.input_dir, args.output_dir)))
        return 0
    if args.print_sbatch:
        print(render_sbatch(params, args.input_dir, args.output_dir), end="")
        return 0
    # Under accelerate every rank lands here with --in-process; a plain call trains here or launches the ranks.
    run = train if args.in_process else train_stage
    report = run(params, args.input_dir, args.output_dir)
    if int(os.environ.get("RANK", "0")) == 0:
        print(json.dumps({k: report[k] for k in ("steps", "resumed_from_step", "tokens_per_s", "train_loss")}))
    return 0


def cli_train(args: argparse.Namespace) -> int:
    """``ladder train``: fine-tune, or print the launch command / SLURM script; bad input: one line, exit code 2."""
    return run_command("train", lambda: _train_command(args))


def add_cli(subparsers) -> None:
    """Add the ``train`` sub-command."""
    parser = subparsers.add_parser(
        "train", help="fine-tune a model on dataset.parquet (the study's SFT recipe)", description=DESCRIPTION
    )
    _arguments(parser).set_defaults(func=cli_train)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m ladder.train``: the ``ladder train`` command alone (what ``accelerate launch`` runs on every rank)."""
    parser = _arguments(argparse.ArgumentParser(prog="python -m ladder.train", description=DESCRIPTION))
    return cli_train(parser.parse_args(argv))
