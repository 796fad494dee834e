"""Cluster launch: SLURM scripts rendered from a profile's params, one array task per experiment, then the panel.

* ``configs/slurm/array.sbatch``: a job array over experiments; task i runs experiment i's own stages and nothing
  else (``ladder run --profile P --exp EXP --task``). Experiments are grouped by what they need (nodes x GPUs per
  node: a multi-node FSDP training run, a one-node vLLM tensor-parallel evaluation, or no GPU), one array per group.
* ``configs/slurm/panel.sbatch``: the panel stages (tiers, strategies, ablations) and the book, once.
* ``configs/slurm/sample.sbatch``: the sample and grade stages of one experiment on one node (vLLM tensor
  parallel within the node; data parallel = several such jobs), for re-sampling by hand.
* ``submit.sh``: submits each array's independent experiments as one array; an experiment that reads another
  experiment's stage (``@smoke_base/train/model``) as its own task of that array with ``--dependency=afterok`` on
  that experiment's task; then the panel job with ``afterok`` on all of them and ``--kill-on-invalid-dep=yes``, so a
  failed task cancels it instead of letting it run on partial data.

What each job asks for comes from the profile's ``cluster:`` block (``ladder.cluster``), overridden by the flags;
which experiments get GPUs follows the rule of :func:`experiment_resources`. Before writing anything the plan is
checked (``ladder.preflight``), so nothing that would fail at run time is queued.

The templates and their renderer are in ``ladder.slurm``, also used for ``configs/slurm/train.sbatch``: one
training run across nodes outside the runner, rendered by ``ladder.train.launch.render_sbatch``.

Usage::

    ladder launch --profile paper --partition gpu --account proj42     # writes runs/paper/slurm/, prints it
    bash runs/paper/slurm/submit.sh                                     # on the cluster's login node
    ladder status --profile paper                                       # each experiment's stages and task log

    from ladder import launch
    written = launch.write_launch_scripts(load_plan("paper"), "runs/paper/slurm", partition="gpu")
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ladder import paths, store
from ladder.cluster import ClusterParams
from ladder.params import (
    PANEL,
    ParamsError,
    Plan,
    StageParams,
    add_plan_arguments,
    plan_from_arguments,
    stage_references,
    validate_block,
)
from ladder.preflight import preflight
from ladder.slurm import ARRAY_TEMPLATE, PANEL_TEMPLATE, SAMPLE_TEMPLATE, render_template

DEFAULT_LADDER = str(paths.ROOT / ".venv" / "bin" / "ladder")  # the repo's own environment (make setup)


@dataclass(frozen=True, order=True)
class Resources:
    """What one experiment's job needs: nodes and GPUs per node (0: no GPU)."""

    num_nodes: int
    gpus_per_node: int

    def describe(self) -> str:
        if not self.gpus_per_node:
            return "no GPU (CPU engines, analysis, or sampling through a remote endpoint)"
        if self.num_nodes > 1:
            return f"training on {self.num_nodes} nodes x {self.gpus_per_node} GPUs (accelerate + FSDP)"
        return f"one node with {self.gpus_per_node} GPU(s) (training and/or vLLM tensor-parallel sampling)"


def sample_gpus(sample: StageParams, device: str) -> int:
    """GPUs of one sampling job: none for a remote endpoint, ``device: cpu``, or a CPU profile unless it says cuda."""
    if sample.backend == "openai" or sample.device.startswith("cpu"):
        return 0
    if device != "cuda" and not sample.device.startswith("cuda"):
        return 0
    return sample.tensor_parallel_size * sample.data_parallel_size if sample.backend == "vllm" else 1


def experiment_resources(stages: Mapping[str, StageParams], device: str = "cuda") -> Resources:
    """Nodes and GPUs per node an experiment needs, from its train and sample params (stage name -> params).

    The rule: under the profile's ``cluster.device: cuda`` the train stage needs ``num_processes`` GPUs on each of
    ``num_nodes`` nodes and the sample stage the GPUs of its engine (:func:`sample_gpus`); under ``device: cpu``
    no stage gets a GPU unless its own ``device`` param names cuda. The job asks for the most any stage needs.
    """
    nodes, gpus = 1, 0
    train, sample = stages.get("train"), stages.get("sample")
    if train is not None:
        nodes = train.num_nodes
        gpus = train.num_processes if device == "cuda" else 0
    if sample is not None:
        gpus = max(gpus, sample_gpus(sample, device))
    return Resources(nodes, gpus)


def cluster_params(plan: Plan, **flags: object) -> ClusterParams:
    """The profile's ``cluster:`` block with the given flags (those not None) over it, validated."""
    given = {k: v for k, v in flags.items() if v is not None}
    values = {**plan.cluster.model_dump(), **given}
    origins = {k: f"--{k.replace('_', '-')}" for k in given}
    return validate_block(ClusterParams, values, origins)


def _options(cluster: ClusterParams) -> list[str]:
    """The #SBATCH options every job of the launch shares: partition, account, qos, constraint (where set)."""
    names = ("partition", "account", "qos", "constraint")
    return [f"--{name}={shlex.quote(getattr(cluster, name))}" for name in names if getattr(cluster, name)]


def _runner_values(
    profile: str, cluster: ClusterParams, log_dir: str | Path, ladder: str, overrides: Sequence[str]
) -> dict[str, object]:
    """The values of a script that runs ``ladder run``: SLURM limits, the log folder, the command and its overrides."""
    return {
        "profile": shlex.quote(profile),
        "time_limit": cluster.time,
        "cpus_per_task": cluster.cpus_per_task,
        "mem": cluster.mem,
        "options": _options(cluster),
        "log_dir": shlex.quote(str(log_dir or paths.RUNS_DIR / profile / "slurm" / "logs")),
        "ladder": ladder,
        "extra_args": "".join(f" --set {shlex.quote(o)}" for o in overrides),
    }


def array_name(resources: Resources) -> str:
    return f"array_{resources.num_nodes}n{resources.gpus_per_node}g.sbatch"


def render_array(
    profile: str,
    experiments: Sequence[str],
    resources: Resources,
    cluster: ClusterParams | None = None,
    *,
    log_dir: str | Path = "",
    ladder: str = DEFAULT_LADDER,
    overrides: Sequence[str] = (),
) -> str:
    """The job array script for ``experiments`` (all needing ``resources``): task i runs experiment i."""
    if not experiments:
        raise ValueError("render_array: no experiments")
    cluster = cluster or ClusterParams()
    return render_template(
        ARRAY_TEMPLATE,
        experiments=[shlex.quote(e) for e in experiments],
        last_index=len(experiments) - 1,
        max_parallel=cluster.max_parallel,
        num_nodes=resources.num_nodes,
        gpus_per_node=resources.gpus_per_node,
        purpose=resources.describe(),
        job_name=f"ladder-{profile}-{resources.num_nodes}n{resources.gpus_per_node}g",
        **_runner_values(profile, cluster, log_dir, ladder, overrides),
    )


def render_panel(
    profile: str,
    panel: Sequence[str],
    cluster: ClusterParams | None = None,
    *,
    log_dir: str | Path = "",
    ladder: str = DEFAULT_LADDER,
    overrides: Sequence[str] = (),
) -> str:
    """The panel job: ``ladder run PANEL_STAGES --profile P`` (the experiments' stages are reused) and the book."""
    cluster = cluster or ClusterParams()
    values = _runner_values(profile, cluster, log_dir, ladder, overrides)
    values.update(time_limit=cluster.panel_time, cpus_per_task=cluster.panel_cpus, mem=cluster.panel_mem)
    return render_template(
        PANEL_TEMPLATE,
        job_name=f"ladder-{profile}-panel",
        panel="".join(f"{name} " for name in panel),
        panel_names=", ".join(panel) or "none: the book only",
        **values,
    )


def render_sample(
    profile: str,
    experiment: str,
    sample: StageParams,
    cluster: ClusterParams | None = None,
    *,
    log_dir: str | Path = "",
    ladder: str = DEFAULT_LADDER,
    overrides: Sequence[str] = (),
) -> str:
    """The one-node sampling (+ grading) script of one experiment, GPUs = tensor x data parallel size."""
    cluster = cluster or ClusterParams()
    return render_template(
        SAMPLE_TEMPLATE,
        experiment=shlex.quote(experiment),
        job_name=f"ladder-sample-{experiment}",
        tensor_parallel_size=sample.tensor_parallel_size,
        data_parallel_size=sample.data_parallel_size,
        gpus=sample_gpus(sample, cluster.device),
        **_runner_values(profile, cluster, log_dir, ladder, overrides),
    )


def render_submit(
    profile: str,
    arrays: Mapping[str, Sequence[str]],
    reads: Mapping[str, Sequence[str]],
    max_parallel: int = 8,
) -> str:
    """A shell script that submits the arrays (``script name -> experiments``), then the panel job after them all.

    ``reads``: experiment -> the experiments whose stages it reads; such an experiment is submitted as its own
    task of its array, with ``--dependency=afterok`` on those experiments' tasks.
    """
    lines = [
        "#!/bin/bash",
        f"# Submit the experiments of profile {profile!r} as SLURM job arrays, then its panel job. Rendered by",
        "# ladder.launch; run it on the login node: bash submit.sh. Submitting again resumes: complete stages are",
        "# reused, so a task whose experiment is done ends in seconds.",
        "set -euo pipefail",
        'cd "$(dirname "$0")"',
        "declare -A task  # experiment -> JOBID_TASK",
        "jobs=()",
    ]
    for script, experiments in arrays.items():
        free = [i for i, e in enumerate(experiments) if not reads.get(e)]
        if free:
            indices = ",".join(map(str, free))
            lines.append(f"j=$(sbatch --parsable --array={indices}%{max_parallel} {shlex.quote(script)}); jobs+=($j)")
            lines += [f"task[{shlex.quote(experiments[i])}]=${{j}}_{i}" for i in free]
    order = [e for script_exps in arrays.values() for e in script_exps]
    script_of = {e: (script, i) for script, exps in arrays.items() for i, e in enumerate(exps)}
    for exp in _dependency_order(order, reads):
        if not reads.get(exp):
            continue
        script, i = script_of[exp]
        deps = ":".join(f"${{task[{shlex.quote(r)}]}}" for r in reads[exp])
        lines.append(
            f"j=$(sbatch --parsable --array={i} --dependency=afterok:{deps} --kill-on-invalid-dep=yes "
            f"{shlex.quote(script)}); jobs+=($j); task[{shlex.quote(exp)}]=${{j}}_{i}"
        )
    lines += [
        'panel=$(sbatch --parsable --dependency="afterok:$(IFS=:; echo "${jobs[*]}")" --kill-on-invalid-dep=yes '
        "panel.sbatch)",
        'for exp in "${!task[@]}"; do echo "$exp ${task[$exp]}"; done | sort > submitted.txt',
        'echo "panel ${panel}" >> submitted.txt',
        'echo "submitted: experiments ${jobs[*]}, panel ${panel} (runs/.../slurm/submitted.txt)"',
    ]
    return "\n".join(lines) + "\n"


def _dependency_order(experiments: Sequence[str], reads: Mapping[str, Sequence[str]]) -> list[str]:
    """``experiments`` with every experiment after those it reads (the plan already orders them so)."""
    out: list[str] = []

    def visit(exp: str) -> None:
        if exp not in out:
            for r in reads.get(exp, ()):
                visit(r)
            out.append(exp)

    for exp in experiments:
        visit(exp)
    return out


def experiment_reads(plan: Plan) -> dict[str, list[str]]:
    """Experiment -> the other experiments whose stages it reads (``@EXP/STAGE`` params), in plan order."""
    reads: dict[str, list[str]] = {}
    for req in plan.requests:
        if req.experiment == PANEL:
            continue
        for ref in stage_references(req.params, req.origins).values():
            if ref.experiment != req.experiment and ref.experiment not in reads.get(req.experiment, []):
                reads.setdefault(req.experiment, []).append(ref.experiment)
    return reads


def write_launch_scripts(
    plan: Plan,
    out_dir: str | Path,
    *,
    ladder: str = DEFAULT_LADDER,
    overrides: Sequence[str] = (),
    **cluster_flags: object,
) -> dict[str, Path]:
    """Write one array script per resource group, the panel job, one sampling script per experiment, ``submit.sh``.

    ``cluster_flags`` are :class:`ladder.cluster.ClusterParams` fields over the profile's ``cluster:`` block.
    """
    cluster = cluster_params(plan, **cluster_flags)
    out = Path(out_dir)
    (out / "sample").mkdir(parents=True, exist_ok=True)
    (out / "logs").mkdir(exist_ok=True)
    by_exp: dict[str, dict[str, StageParams]] = {}
    for req in plan.requests:
        if req.experiment != PANEL:
            by_exp.setdefault(req.experiment, {})[req.stage] = req.params
    groups: dict[Resources, list[str]] = {}
    for exp in plan.experiments:
        groups.setdefault(experiment_resources(by_exp[exp], cluster.device), []).append(exp)
    written: dict[str, Path] = {}
    common = dict(ladder=ladder, overrides=overrides, log_dir=(out / "logs").resolve())
    arrays: dict[str, list[str]] = {}
    for res, experiments in sorted(groups.items()):
        name = array_name(res)
        arrays[name] = experiments
        written[name] = _write(out / name, render_array(plan.profile, experiments, res, cluster, **common))
    panel = [r.stage for r in plan.requests if r.experiment == PANEL]
    written["panel.sbatch"] = _write(out / "panel.sbatch", render_panel(plan.profile, panel, cluster, **common))
    for exp, stages in by_exp.items():
        if "sample" in stages:
            text = render_sample(plan.profile, exp, stages["sample"], cluster, **common)
            written[f"sample/{exp}"] = _write(out / "sample" / f"{exp}.sbatch", text)
    submit = render_submit(plan.profile, arrays, experiment_reads(plan), cluster.max_parallel)
    written["submit.sh"] = _write(out / "submit.sh", submit)
    return written


def _write(path: Path, text: str) -> Path:
    def executable(tmp: Path) -> None:
        tmp.write_text(text)
        tmp.chmod(0o755)

    return store.atomic_write(path, executable)


# --- command line -----------------------------------------------------------------------------------

CLUSTER_FLAGS = ("device", "partition", "account", "qos", "constraint", "cpus_per_task", "mem", "time", "max_parallel")


def cmd_launch(args: argparse.Namespace) -> int:
    """``ladder launch``: check the plan, write the SLURM scripts of a profile's experiments, say how to submit."""
    try:
        plan = plan_from_arguments(args)
        preflight(plan)
        out = Path(args.out or paths.RUNS_DIR / plan.profile / "slurm")
        flags = {name: getattr(args, name) for name in CLUSTER_FLAGS}
        written = write_launch_scripts(plan, out, overrides=args.set, **flags)
    except (ParamsError, ValueError) as exc:
        print(f"ladder launch: error: {exc}", file=sys.stderr)
        return 2
    for name, path in written.items():
        if not name.startswith("sample/"):
            print(f"{name}: {path}")
    print(f"sample/: {sum(k.startswith('sample/') for k in written)} one-node sampling scripts in {out / 'sample'}")
    print(f"submit everything: bash {written['submit.sh']}")
    print(f"follow it: ladder status --profile {plan.profile}")
    return 0


def add_cli(sub: argparse._SubParsersAction) -> None:
    """Add ``ladder launch``."""
    p = sub.add_parser("launch", help="write SLURM job-array scripts (one task per experiment) for a profile")
    add_plan_arguments(p, default_profile="paper")
    p.add_argument("--out", help="folder for the scripts (default runs/<profile>/slurm)")
    p.add_argument("--device", choices=["cuda", "cpu"], help="cuda: GPUs for the stages that use them; cpu: none")
    p.add_argument("--partition", help="SLURM partition (default: the profile's cluster.partition)")
    p.add_argument("--account", help="SLURM --account")
    p.add_argument("--qos", help="SLURM --qos")
    p.add_argument("--constraint", help="SLURM --constraint (node features)")
    p.add_argument("--cpus-per-task", type=int, help="CPUs of each experiment's job")
    p.add_argument("--mem", help="memory of each experiment's job per node (64G; 0: the whole node)")
    p.add_argument("--time", help="time limit of each experiment's job (48:00:00)")
    p.add_argument("--max-parallel", type=int, help="array tasks running at once")
    p.set_defaults(func=cmd_launch)
