"""Cluster launch: SLURM scripts rendered from a profile's params, one job per experiment.

* ``configs/slurm/array.sbatch``: a job array over experiments; task i runs every stage of experiment i
  (``ladder run --profile P --exp EXP``). Experiments are grouped by what they need (nodes x GPUs per node: a
  multi-node FSDP training run, a one-node vLLM tensor-parallel evaluation, or no GPU for a remote endpoint),
  one array per group.
* ``configs/slurm/sample.sbatch``: the sample and grade stages of one experiment on one node (vLLM tensor
  parallel within the node; data parallel = several such jobs).
* ``submit.sh``: submits the arrays, then the panel stages (tiers, strategies, ablations) once every array task succeeded.

The templates and their renderer are in ``ladder.slurm``, also used for ``configs/slurm/train.sbatch``: one
training run across nodes outside the runner (accelerate + FSDP on every node), rendered by
``ladder.train.launch.render_sbatch`` (``python -m ladder.train ... --print-sbatch``).

Usage::

    ladder launch --profile paper --out runs/paper/slurm --partition gpu     # writes the scripts, prints them
    bash runs/paper/slurm/submit.sh                                          # on the cluster's login node

    from ladder import launch
    written = launch.write_launch_scripts(load_plan("paper"), "runs/paper/slurm")
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ladder import paths, store
from ladder.params import PANEL, ParamsError, Plan, StageParams, add_plan_arguments, plan_from_arguments
from ladder.slurm import ARRAY_TEMPLATE, SAMPLE_TEMPLATE, render_template

DEFAULT_LADDER = str(paths.ROOT / ".venv" / "bin" / "ladder")  # the repo's own environment (make setup)


@dataclass(frozen=True, order=True)
class Resources:
    """What one experiment's job needs: nodes and GPUs per node (0: no GPU, e.g. a remote endpoint)."""

    num_nodes: int
    gpus_per_node: int

    def describe(self) -> str:
        if not self.gpus_per_node:
            return "no GPU (analysis, or sampling through a remote endpoint)"
        if self.num_nodes > 1:
            return f"training on {self.num_nodes} nodes x {self.gpus_per_node} GPUs (accelerate + FSDP)"
        return f"one node with {self.gpus_per_node} GPU(s) (training and/or vLLM tensor-parallel sampling)"


def experiment_resources(stages: Mapping[str, StageParams]) -> Resources:
    """Nodes and GPUs per node an experiment needs, from its train and sample params (stage name -> params)."""
    nodes, gpus = 1, 0
    train, sample = stages.get("train"), stages.get("sample")
    if train is not None:
        nodes, gpus = train.num_nodes, train.num_processes
    if sample is not None and sample.backend != "openai":
        engine = sample.tensor_parallel_size * sample.data_parallel_size if sample.backend == "vllm" else 1
        gpus = max(gpus, engine)
    return Resources(nodes, gpus)


def _runner_values(
    profile: str,
    partition: str,
    time_limit: str,
    cpus_per_task: int,
    log_dir: str | Path,
    ladder: str,
    overrides: Sequence[str],
) -> dict[str, object]:
    """The values of a script that runs ``ladder run``: SLURM limits, the log folder, the command and its overrides."""
    return {
        "partition": partition,
        "time_limit": time_limit,
        "cpus_per_task": cpus_per_task,
        "log_dir": str(log_dir or paths.RUNS_DIR / profile / "slurm"),
        "ladder": ladder,
        "extra_args": "".join(f" --set {shlex.quote(o)}" for o in overrides),
    }


def render_array(
    profile: str,
    experiments: Sequence[str],
    resources: Resources,
    *,
    job_name: str = "",
    partition: str = "",
    time_limit: str = "48:00:00",
    cpus_per_task: int = 32,
    max_parallel: int = 8,
    log_dir: str | Path = "",
    ladder: str = DEFAULT_LADDER,
    overrides: Sequence[str] = (),
) -> str:
    """The job array script for ``experiments`` (all needing ``resources``): task i runs experiment i."""
    if not experiments:
        raise ValueError("render_array: no experiments")
    return render_template(
        ARRAY_TEMPLATE,
        profile=shlex.quote(profile),
        experiments=[shlex.quote(e) for e in experiments],
        last_index=len(experiments) - 1,
        max_parallel=max_parallel,
        num_nodes=resources.num_nodes,
        gpus_per_node=resources.gpus_per_node,
        purpose=resources.describe(),
        job_name=job_name or f"ladder-{profile}-{resources.num_nodes}n{resources.gpus_per_node}g",
        **_runner_values(profile, partition, time_limit, cpus_per_task, log_dir, ladder, overrides),
    )


def render_sample(
    profile: str,
    experiment: str,
    sample: StageParams,
    *,
    partition: str = "",
    time_limit: str = "24:00:00",
    cpus_per_task: int = 32,
    log_dir: str | Path = "",
    ladder: str = DEFAULT_LADDER,
    overrides: Sequence[str] = (),
) -> str:
    """The one-node sampling (+ grading) script of one experiment, GPUs = tensor x data parallel size."""
    remote = sample.backend == "openai"
    return render_template(
        SAMPLE_TEMPLATE,
        profile=shlex.quote(profile),
        experiment=shlex.quote(experiment),
        job_name=f"ladder-sample-{experiment}",
        tensor_parallel_size=sample.tensor_parallel_size,
        data_parallel_size=sample.data_parallel_size,
        gpus=0 if remote else sample.tensor_parallel_size * sample.data_parallel_size,
        **_runner_values(profile, partition, time_limit, cpus_per_task, log_dir, ladder, overrides),
    )


def render_submit(
    profile: str, arrays: Sequence[Path], ladder: str = DEFAULT_LADDER, panel: Sequence[str] = ()
) -> str:
    """A shell script that submits each array and then the panel stages once every array task succeeded."""
    lines = [
        "#!/bin/bash",
        f"# Submit the experiments of profile {profile!r} as SLURM job arrays, then its panel stages. Rendered by",
        "# ladder.launch; run it on the login node: bash submit.sh",
        "set -euo pipefail",
        'cd "$(dirname "$0")"',
        "ids=()",
    ]
    for script in arrays:
        lines.append(f'ids+=("$(sbatch --parsable {shlex.quote(Path(script).name)})")')
    lines.append('echo "submitted arrays: ${ids[*]}"')
    if panel:
        deps = 'afterok:$(IFS=:; echo "${ids[*]}")'
        command = (
            f"cd {shlex.quote(str(paths.ROOT))} && {ladder} run {' '.join(panel)} --profile {shlex.quote(profile)}"
        )
        lines.append(
            f'sbatch --job-name=ladder-{profile}-panel --dependency="{deps}" --time=04:00:00 '
            f"--wrap {shlex.quote(command)}"
        )
    return "\n".join(lines) + "\n"


def write_launch_scripts(
    plan: Plan,
    out_dir: str | Path,
    *,
    partition: str = "",
    time_limit: str = "48:00:00",
    max_parallel: int = 8,
    ladder: str = DEFAULT_LADDER,
    overrides: Sequence[str] = (),
) -> dict[str, Path]:
    """Write one array script per resource group, one sampling script per experiment and ``submit.sh``."""
    out = Path(out_dir)
    (out / "sample").mkdir(parents=True, exist_ok=True)
    by_exp: dict[str, dict[str, StageParams]] = {}
    for req in plan.requests:
        if req.experiment != PANEL:
            by_exp.setdefault(req.experiment, {})[req.stage] = req.params
    groups: dict[Resources, list[str]] = {}
    for exp in plan.experiments:
        groups.setdefault(experiment_resources(by_exp[exp]), []).append(exp)
    written: dict[str, Path] = {}
    common = dict(partition=partition, ladder=ladder, overrides=overrides, log_dir=out / "logs")
    for res, experiments in sorted(groups.items()):
        name = f"array_{res.num_nodes}n{res.gpus_per_node}g.sbatch"
        text = render_array(plan.profile, experiments, res, time_limit=time_limit, max_parallel=max_parallel, **common)
        written[name] = _write(out / name, text)
    for exp, stages in by_exp.items():
        if "sample" in stages:
            written[f"sample/{exp}"] = _write(
                out / "sample" / f"{exp}.sbatch", render_sample(plan.profile, exp, stages["sample"], **common)
            )
    panel = [r.stage for r in plan.requests if r.experiment == PANEL]
    arrays = [p for k, p in written.items() if k.startswith("array_")]
    written["submit.sh"] = _write(out / "submit.sh", render_submit(plan.profile, arrays, ladder, panel))
    (out / "logs").mkdir(exist_ok=True)
    return written


def _write(path: Path, text: str) -> Path:
    def executable(tmp: Path) -> None:
        tmp.write_text(text)
        tmp.chmod(0o755)

    return store.atomic_write(path, executable)


# --- command line -----------------------------------------------------------------------------------


def cmd_launch(args: argparse.Namespace) -> int:
    """``ladder launch``: write the SLURM scripts of a profile's experiments and say how to submit them."""
    try:
        plan = plan_from_arguments(args)
        out = Path(args.out or paths.RUNS_DIR / plan.profile / "slurm")
        written = write_launch_scripts(
            plan,
            out,
            partition=args.partition,
            time_limit=args.time,
            max_parallel=args.max_parallel,
            overrides=args.set,
        )
    except (ParamsError, ValueError) as exc:
        print(f"ladder launch: error: {exc}", file=sys.stderr)
        return 2
    for name, path in written.items():
        if not name.startswith("sample/"):
            print(f"{name}: {path}")
    print(f"sample/: {sum(k.startswith('sample/') for k in written)} one-node sampling scripts in {out / 'sample'}")
    print(f"submit everything: bash {written['submit.sh']}")
    return 0


def add_cli(sub: argparse._SubParsersAction) -> None:
    """Add ``ladder launch``."""
    p = sub.add_parser("launch", help="write SLURM job-array scripts (one job per experiment) for a profile")
    add_plan_arguments(p, default_profile="paper")
    p.add_argument("--out", help="folder for the scripts (default runs/<profile>/slurm)")
    p.add_argument("--partition", default="", help="SLURM partition")
    p.add_argument("--time", default="48:00:00", help="time limit of each array task")
    p.add_argument("--max-parallel", type=int, default=8, help="array tasks running at once")
    p.set_defaults(func=cmd_launch)
