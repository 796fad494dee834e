"""``ladder status``: each experiment's stages as ``runs/`` shows them, while a SLURM array runs or after it.

A stage is ``done`` (its folder is complete), ``running`` (its ``.partial`` folder says so: started when, by which
pid on which host), ``failed`` (with the first line of its error), or ``not started``. Beside each experiment: its
array task and where the task's log lies (the ``EXP.task`` file the task writes into the launch's ``logs/``
folder; ``_panel.task`` for the panel job), and the job ids ``submit.sh`` recorded (``submitted.txt``). Nothing
here asks SLURM: the page reads files only, so it works on any machine that sees ``runs/``::

    ladder status --profile smoke
    # smoke_base   task 12_0  log runs/smoke/slurm/logs/ladder-smoke-1n0g-12_0.out
    #   curate     done     (3.1s)  runs/smoke/smoke_base/10_curate-1a2b3c4d5e
    #   train      running  since 12:01:07 (pid 4242 on node1)
    #   ...
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ladder import paths, store
from ladder.params import PANEL, ParamsError, add_plan_arguments, plan_from_arguments
from ladder.prepare import PreparedStage, prepare


@dataclass(frozen=True)
class StageState:
    """What ``runs/`` says about one stage: state, detail (wall time, error's first line, since when) and folder."""

    experiment: str
    stage: str
    state: str  # done | running | failed | not started
    detail: str
    folder: Path


def stage_state(item: PreparedStage) -> StageState:
    """The state of one prepared stage, from its final or ``.partial`` folder."""
    key = (item.request.experiment, item.stage.name)
    if store.is_complete(item.final):
        wall = store.read_status(item.final).get("wall_s")
        return StageState(*key, "done", f"({wall:.1f}s)" if wall is not None else "", item.final)
    partial = store.partial_dir(item.final)
    status = store.read_status(partial) if partial.is_dir() else {}
    if status.get("status") == "failed":
        error = str(status.get("error", "")).strip().splitlines()
        return StageState(*key, "failed", error[0] if error else "", partial)
    if status.get("status") == "running":
        since = time.strftime("%H:%M:%S", time.localtime(status.get("started", 0)))
        where = f"pid {status.get('pid', '?')}" + (f" on {status['host']}" if status.get("host") else "")
        return StageState(*key, "running", f"since {since} ({where})", partial)
    return StageState(*key, "not started", "", item.final)


def task_log(slurm_dir: Path, experiment: str) -> str:
    """``task JOB_TASK, log PATH`` from the file the experiment's array task wrote, or '' before it started."""
    pointer = slurm_dir / "logs" / f"{experiment}.task"
    if not pointer.is_file():
        return ""
    job, _, log = pointer.read_text().strip().partition(" ")
    return f"task {job}, log {log}"


def submitted(slurm_dir: Path) -> dict[str, str]:
    """experiment (or ``panel``) -> the job id ``submit.sh`` recorded in ``submitted.txt``."""
    path = slurm_dir / "submitted.txt"
    lines = path.read_text().splitlines() if path.is_file() else []
    return dict(line.split(" ", 1) for line in lines if " " in line)


def status_lines(items: list[PreparedStage], slurm_dir: Path) -> list[str]:
    """The page: a line per experiment (its task and log), then a line per stage."""
    jobs = submitted(slurm_dir)
    lines: list[str] = []
    current = None
    for item in items:
        exp = item.request.experiment
        if exp != current:
            current = exp
            log = task_log(slurm_dir, exp)
            job = jobs.get("panel" if exp == PANEL else exp, "")
            head = log or (f"submitted as job {job}, not started" if job else "no SLURM task seen")
            lines.append(f"{exp:<24} {head}")
        s = stage_state(item)
        lines.append(f"  {s.stage:<12} {s.state:<12} {s.detail}".rstrip() + f"  {s.folder}")
    return lines


def cmd_status(args: argparse.Namespace) -> int:
    try:
        plan = plan_from_arguments(args)
        items = prepare(plan)
    except (ParamsError, FileNotFoundError) as exc:
        print(f"ladder status: error: {exc}", file=sys.stderr)
        return 2
    slurm_dir = Path(args.slurm_dir or paths.RUNS_DIR / plan.profile / "slurm")
    states = [stage_state(item) for item in items]
    print(f"profile {plan.profile}: {len(plan.experiments)} experiment(s), launch folder {slurm_dir}")
    print("\n".join(status_lines(items, slurm_dir)))
    counts = {s: sum(x.state == s for x in states) for s in ("done", "running", "failed", "not started")}
    print(", ".join(f"{n} {s}" for s, n in counts.items()))
    return 1 if counts["failed"] else 0


def add_cli(sub: argparse._SubParsersAction) -> None:
    """Add ``ladder status``."""
    p = sub.add_parser("status", help="each experiment's stages (done, running, failed, not started) and task logs")
    add_plan_arguments(p)
    p.add_argument("--slurm-dir", help="the launch folder (default runs/<profile>/slurm)")
    p.set_defaults(func=cmd_status)
