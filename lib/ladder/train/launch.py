"""Several processes or nodes: the ``accelerate launch`` command, ``srun`` across a SLURM allocation, an sbatch script.

One process trains in-process (:func:`ladder.train.trainer.train`); more processes, more nodes or a sharding
engine (``distributed``: fsdp, deepspeed) run ``accelerate launch -m ladder.train ... --in-process`` with a config
from ``configs/accelerate/``, and every rank reads the params from ``output_dir/train_params.json``. The sbatch
script is ``configs/slurm/train.sbatch``, rendered by :mod:`ladder.slurm` like the runner's scripts.

The same command runs on GPUs and on a CPU-only machine: on CPU the ranks only need ``ACCELERATE_USE_CPU=true``
in their environment (:func:`launch_env`) to join one process group over gloo. Plain data parallel (DDP) runs
there; FSDP and DeepSpeed do not (accelerate 1.15 switches to FSDP only over GPU-family devices, and with
``ACCELERATE_USE_CPU`` it ignores both), so :func:`check_launchable` refuses them on CPU instead of letting
accelerate fall back to DDP.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from ladder import paths
from ladder.slurm import TRAIN_TEMPLATE, render_template
from ladder.train.params import PARAMS_NAME, TrainParams

ACCELERATE_CONFIGS_DIR = paths.ROOT / "configs" / "accelerate"
# Accelerate config per engine; "none" with several processes is plain data parallel (DDP).
ACCELERATE_CONFIGS = {"none": "ddp.yaml", "fsdp": "fsdp.yaml", "deepspeed": "zero3.yaml"}


def launch_env(device: str, processes: int, env: Mapping[str, str]) -> dict[str, str]:
    """The environment for the launch command on ``device`` ("cuda" or "cpu"): ``env`` plus what the ranks need.

    On CPU, ``ACCELERATE_USE_CPU=true`` makes every rank join one gloo process group (not ``accelerate launch
    --cpu``: that picks accelerate's single-process launcher, so only one rank would start), and the cores are
    split between the ranks unless ``OMP_NUM_THREADS`` says otherwise (accelerate's default is one thread each).
    """
    if device != "cpu":
        return dict(env)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return {"OMP_NUM_THREADS": str(max(1, cores // processes)), **env, "ACCELERATE_USE_CPU": "true"}


def check_launchable(params: TrainParams, gpus: int) -> str:
    """The device the launch runs on, "cuda" or "cpu" (no GPU here); raises when this machine cannot run ``params``.

    On GPUs every process needs its own GPU. On CPU, processes share the cores (DDP over gloo); FSDP and DeepSpeed
    are refused: with ``ACCELERATE_USE_CPU`` accelerate ignores both and would silently run DDP instead.
    """
    if gpus:
        if gpus < params.num_processes:
            raise ValueError(
                f"train: num_processes={params.num_processes} with distributed={params.distributed!r} needs that many "
                f"GPUs, this machine has {gpus}; set num_processes: {gpus} (or fewer)"
            )
        return "cuda"
    if params.distributed != "none":
        raise ValueError(
            f"train: distributed={params.distributed!r} needs GPUs and this machine has none: on CPU accelerate "
            "ignores FSDP and DeepSpeed and would quietly run plain data parallel; set distributed: none "
            "(num_processes may stay above 1: data parallel over gloo)"
        )
    return "cpu"


# The rendezvous address of a SLURM job: the first node's NodeAddr (its node name where none is set). A node name
# need not resolve (several slurmd on one host, clusters naming nodes n001...); NodeAddr is how SLURM reaches it.
MASTER_ADDR_SHELL = (
    'MASTER_NODE=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1); '
    'MASTER_ADDR=$(scontrol show node "$MASTER_NODE" | grep -o "NodeAddr=[^ ]*" | cut -d= -f2); '
    'export MASTER_ADDR="${MASTER_ADDR:-$MASTER_NODE}"'
)


def decoder_layer_class(model: str) -> str:
    """The model's decoder layer class (what FSDP wraps), read from its config: e.g. ``Qwen2DecoderLayer``."""
    from transformers import AutoConfig, AutoModelForCausalLM  # transformers: heavy, only for FSDP launches

    config = AutoConfig.from_pretrained(model)
    model_cls = AutoModelForCausalLM._model_mapping[type(config)]
    layers = [name for name in model_cls._no_split_modules or [] if name.endswith("DecoderLayer")]
    return ",".join(layers or model_cls._no_split_modules or [])


def launch_command(
    params: TrainParams,
    input_dir: str | Path,
    output_dir: str | Path,
    params_file: str | Path | None = None,
    machine_rank: str | int | None = None,
    main_process_ip: str | None = None,
) -> list[str]:
    """The ``accelerate launch ... -m ladder.train`` command for ``params`` (one node's part when ``num_nodes > 1``).

    ``machine_rank`` and ``main_process_ip`` may be shell variables (``$SLURM_NODEID``); they are left unquoted
    by :func:`launch_command_string` so a shell expands them.
    """
    output_dir = Path(output_dir)
    params_file = params_file or output_dir / PARAMS_NAME
    cmd = ["accelerate", "launch"]
    cmd += ["--config_file", str(ACCELERATE_CONFIGS_DIR / ACCELERATE_CONFIGS[params.distributed])]
    cmd += ["--num_machines", str(params.num_nodes)]
    cmd += ["--num_processes", str(params.world_size())]  # accelerate counts processes over all machines
    cmd += ["--main_process_port", str(params.main_process_port)]
    if params.bf16 != "auto":  # auto: each rank's Trainer decides on its own GPU (the config says "no")
        cmd += ["--mixed_precision", "bf16" if params.bf16 else "no"]
    if params.num_nodes > 1:
        cmd += ["--machine_rank", str(machine_rank if machine_rank is not None else 0)]
        cmd += ["--main_process_ip", main_process_ip or "127.0.0.1"]
    if params.distributed == "fsdp":
        wrap = params.fsdp_wrap_class
        if not wrap:
            try:
                wrap = decoder_layer_class(params.model)
            except (OSError, KeyError, ValueError):
                wrap = ""  # config not readable here (e.g. offline login node): accelerate wraps _no_split_modules
        if wrap:
            cmd += ["--fsdp_transformer_layer_cls_to_wrap", wrap]
    cmd += ["-m", "ladder.train", "--params", str(params_file), "--input-dir", str(input_dir)]
    cmd += ["--output-dir", str(output_dir), "--in-process"]
    return cmd


def launch_command_string(command: Sequence[str]) -> str:
    """Shell form of a launch command; ``$VAR`` arguments stay unquoted so the shell expands them."""
    return " ".join(arg if arg.startswith("$") and arg[1:].isidentifier() else shlex.quote(arg) for arg in command)


def slurm_node_command(params: TrainParams, input_dir: str | Path, output_dir: str | Path) -> list[str]:
    """One node's launch command inside a SLURM job: node rank and rendezvous address from the shell."""
    return launch_command(params, input_dir, output_dir, machine_rank="$SLURM_NODEID", main_process_ip="$MASTER_ADDR")


def with_this_python(command: Sequence[str]) -> list[str]:
    """A launch command run by this interpreter's accelerate, not whichever ``accelerate`` comes first on PATH."""
    return [sys.executable, "-m", "accelerate.commands.launch", *command[2:]]


def multinode_command(
    params: TrainParams, input_dir: str | Path, output_dir: str | Path, env: Mapping[str, str]
) -> list[str]:
    """``srun`` running one ``accelerate launch`` per node of the current SLURM allocation (node rank from SLURM).

    Used when the train stage itself runs inside a SLURM job with at least ``num_nodes`` nodes (e.g. an array task
    of ``ladder launch``); elsewhere multi-node training is refused with a pointer to the sbatch script.
    """
    nodes = int(env.get("SLURM_JOB_NUM_NODES") or env.get("SLURM_NNODES") or 0)
    if "SLURM_JOB_ID" not in env or nodes < params.num_nodes:
        raise ValueError(
            f"train: num_nodes={params.num_nodes} needs a SLURM allocation of that many nodes (this process has "
            f"{nodes or 'none'}); submit `ladder launch` scripts or the script from render_sbatch() "
            "(python -m ladder.train ... --print-sbatch)"
        )
    inner = with_this_python(slurm_node_command(params, input_dir, output_dir))
    script = f"{MASTER_ADDR_SHELL}; {launch_command_string(inner)}"
    return ["srun", "--kill-on-bad-exit=1", f"--nodes={params.num_nodes}", "--ntasks-per-node=1", "bash", "-c", script]


def render_sbatch(
    params: TrainParams,
    input_dir: str | Path,
    output_dir: str | Path,
    job_name: str = "ladder-train",
    partition: str = "",
    time_limit: str = "48:00:00",
    cpus_per_task: int = 32,
) -> str:
    """A SLURM batch script that runs the launch command on every node: one training run on several nodes.

    The template is ``configs/slurm/train.sbatch``, rendered like the runner's scripts (:mod:`ladder.slurm`).
    """
    output_dir = Path(output_dir).resolve()
    command = slurm_node_command(params, Path(input_dir).resolve(), output_dir)
    return render_template(
        TRAIN_TEMPLATE,
        job_name=job_name,
        num_nodes=params.num_nodes,
        gpus_per_node=params.num_processes,
        cpus_per_task=cpus_per_task,
        time_limit=time_limit,
        partition=partition,
        log_dir=str(output_dir),
        params_file=shlex.quote(str(output_dir / PARAMS_NAME)),
        params_json=json.dumps(params.model_dump(mode="json"), indent=2),
        master_addr=MASTER_ADDR_SHELL,
        port=params.main_process_port,
        launch=shlex.quote(launch_command_string(command)),
    )
