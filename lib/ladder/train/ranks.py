"""One rank of ``accelerate launch``: it dies with its launcher, records what ran, and refuses a wrong engine.

torchrun starts every rank in a session of its own, so killing the launcher's process group (a SIGKILL from a
terminal, a runner or a kill test) leaves the ranks running: they finish the run and write ``model/`` while a
re-run starts beside them. :func:`die_with_launcher` ties each rank's life to its parent instead.

accelerate can quietly run another engine than the config asks for (with ``ACCELERATE_USE_CPU`` it ignores FSDP and
DeepSpeed and runs plain data parallel); :func:`what_ran` reads what the trainer really runs, for the report, and
:func:`check_engine` refuses a run whose engine is not the one asked for.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from typing import Any

from ladder.train.params import TrainParams

PR_SET_PDEATHSIG = 1  # prctl option from <sys/prctl.h>: the signal this process gets when its parent exits


def is_launched_rank() -> bool:
    """True in a process started by ``accelerate launch`` (torchrun sets LOCAL_RANK for every rank)."""
    return "LOCAL_RANK" in os.environ


def die_with_launcher() -> bool:
    """Have the kernel SIGKILL this process when its parent (the launcher) exits; True where that is set (Linux)."""
    if not sys.platform.startswith("linux"):
        return False
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
        raise OSError(ctypes.get_errno(), "train: prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() == 1:  # the launcher died before the line above: reparented to init, nobody will signal us
        os.kill(os.getpid(), signal.SIGKILL)
    return True


def what_ran(trainer) -> dict[str, Any]:
    """The engine, process count, device and backend the trainer's accelerator really runs (not what was asked)."""
    state = trainer.accelerator.state
    if trainer.is_fsdp_enabled:
        engine = "fsdp"
    elif trainer.is_deepspeed_enabled:
        engine = "deepspeed"
    else:
        engine = "ddp" if state.num_processes > 1 else "none"
    return {"engine": engine, "processes": state.num_processes, "device": state.device.type, "backend": state.backend}


def check_engine(params: TrainParams, ran: dict[str, Any]) -> None:
    """Refuse to train when the sharding engine asked for (``params.distributed``) is not the one running."""
    if params.distributed != "none" and ran["engine"] != params.distributed:
        raise RuntimeError(
            f"train: distributed={params.distributed!r} was asked for but accelerate runs {ran['engine']!r} "
            f"on {ran['device']} ({ran['processes']} process(es)); FSDP and DeepSpeed need GPUs and the matching "
            "accelerate config (use train_stage() or the launch command)"
        )
