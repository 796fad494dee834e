"""Stage runner: execute the book's notebooks with papermill, store results, skip what is done.

Every path (Make, tests, CI) goes through here::

    python -m ladder.run --profile laptop                 # all stages of the profile's experiments
    python -m ladder.run sample --profile laptop --exp base --set sample.n=4
    ladder run grade --force                              # redo the named stage(s)

For each stage: params are merged and validated (``ladder.params``), the stage is hashed and its notebook's
``parameters`` cell checked against what will be injected (``ladder.prepare``), papermill executes it (explicit
kernel, per-cell timeout, cwd = repo root) into ``<stage>.partial/``, nbconvert renders HTML (``ladder.notebook``),
and the folder is renamed to its final name (``ladder.store``). A complete folder with the same hash is not run again
(status "cached"). While a stage runs, its progress (training steps, samples) is printed every
``runner.progress_interval_s`` seconds when it moved (``ladder.watch``). Two runs on the same ``runs/`` take turns
per experiment (``ladder.runlock``): the second waits, saying so, then reuses what the first finished.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from ladder import book, compute, runlock, store, watch
from ladder.notebook import NOTEBOOK_ENV, StageFailed, ensure_kernel, environment, execute_notebook
from ladder.notebook import declared_parameters as declared_parameters  # re-exported: tests inspect notebooks
from ladder.notebook import read_notebook as read_notebook  # re-exported: tests inspect notebooks
from ladder.params import PANEL, ParamsError, Plan, add_plan_arguments, plan_from_arguments, split_names
from ladder.preflight import preflight
from ladder.prepare import PreparedStage, prepare
from ladder.stages import STAGES, Stage


@dataclass
class StageResult:
    """What happened to one stage in one run (also the book's rows)."""

    experiment: str
    stage: str
    notebook: str
    hash: str
    dir: str
    status: str  # done | cached | failed | blocked
    wall_s: float | None
    params: dict[str, Any]
    error: str = ""

    @classmethod
    def of(
        cls, item: PreparedStage, status: str, wall_s: float | None, error: str = "", folder: Path | None = None
    ) -> StageResult:
        """The result of ``item``, its folder the final one unless ``folder`` is given."""
        return cls(
            experiment=item.request.experiment,
            stage=item.stage.name,
            notebook=item.stage.notebook,
            hash=item.hash,
            dir=str(folder or item.final),
            status=status,
            wall_s=wall_s,
            params=item.request.params.model_dump(mode="json"),
            error=error,
        )


def run_stage(
    item: PreparedStage, plan: Plan, force: bool = False, progress: Callable[[str], None] | None = None
) -> StageResult:
    """Run one prepared stage unless a complete folder with its hash exists (or ``force``).

    ``progress`` gets the stage's progress text (``ladder.watch``) every ``runner.progress_interval_s`` seconds
    that it changed while the notebook runs, and never after this returns.
    """
    with store.stage_lock(item.final):
        if store.is_complete(item.final) and not force:
            return StageResult.of(item, "cached", store.read_status(item.final).get("wall_s"))
        partial = store.partial_dir(item.final)
        partial.mkdir(parents=True, exist_ok=True)  # an existing .partial is kept: resumable stages continue there
        store.remove_temp_files(partial)  # left by a killed run: never published with the results
        recorded = {
            "experiment": item.request.experiment,
            "stage": item.stage.name,
            "profile": plan.profile,
            "hash": item.hash,
            "params": item.request.params.model_dump(mode="json"),
            "origins": item.request.origins,
            "upstream": item.upstream,
            "sources": plan.sources,
        }
        store.write_json(partial / "params.json", recorded)
        store.write_json(partial / "env.json", store.env_info())
        started = time.time()
        store.write_json(
            partial / store.STATUS_FILE,
            {"status": "running", "started": started, "pid": os.getpid(), "host": socket.gethostname()},
        )
        try:
            with watch.watching(partial, plan.runner.progress_interval_s, progress):
                execute_notebook(
                    item.notebook,
                    partial,
                    item.parameters,
                    kernel=plan.runner.kernel,
                    cell_timeout_s=item.cell_timeout_s,
                    render_html=plan.runner.render_html,
                    exclude_input=plan.runner.exclude_input,
                )
        except Exception as exc:  # recorded, then the run goes on with stages that do not depend on this one
            wall = time.time() - started
            message = str(exc) if isinstance(exc, StageFailed | ParamsError) else traceback.format_exc()
            store.write_json(partial / store.STATUS_FILE, {"status": "failed", "error": message, "wall_s": wall})
            return StageResult.of(item, "failed", wall, error=message, folder=partial)
        wall = time.time() - started
        store.write_json(partial / store.STATUS_FILE, {"status": "done", "started": started, "wall_s": wall})
        store.publish(partial, item.final)
        return StageResult.of(item, "done", wall)


def run_plan(
    plan: Plan,
    targets: list[str] | None = None,
    force: bool = False,
    stages: Mapping[str, Stage] = STAGES,
    notebooks_dir: Path | None = None,
    runs_dir: Path | None = None,
    echo: bool = True,
    task: list[str] | None = None,
) -> list[StageResult]:
    """Run a plan's stages, ``plan.runner.workers`` at a time; a failed stage blocks only the stages downstream of it.

    A stage starts once every stage it reads from has finished, in plan order; results are recorded in plan order
    whatever the order they finish in, so the book and ``latest.json`` read the same for any number of workers.
    With ``echo``, a line per stage as it starts and as it ends, and its progress while it runs
    (``runner.progress_interval_s``); without, nothing is printed.

    ``task`` (a SLURM array task, ``ladder run --task``): run only these experiments' stages, no panel stage, and
    hold only their run locks; a stage of another experiment they read from must be complete (a SLURM dependency
    ran it), else the stages that read it are blocked and say which job to wait for.
    """
    prepared = prepare(plan, targets, stages, notebooks_dir, runs_dir)
    if task:  # a SLURM array task: its own experiments only; what they read must be complete already
        prepared = [item for item in prepared if item.request.experiment != PANEL]
    force_names = set(targets or stages) if force else set()
    printing = threading.Lock()  # progress lines come from the stages' watcher threads

    def say(line: str) -> None:
        if echo:
            with printing:
                print(line, flush=True)

    ensure_kernel(plan.runner.kernel)
    own = set(task) if task else {*plan.experiments, PANEL}
    # Another run writing one of these experiments (make reproduce started twice): wait for it (ladder.runlock).
    # A task locks only what it writes: the experiments it reads from are finished jobs it depends on.
    writes = {item.request.experiment for item in prepared if item.request.experiment in own}
    with runlock.hold(plan.profile, writes, runs_dir, say):
        out = _run_prepared(plan, prepared, force_names, say, echo, own)
        if not task:  # latest.json (the book's record) is the whole run's, written by the panel job
            record_run(plan, out, runs_dir)
    return out


def _run_prepared(
    plan: Plan,
    prepared: list[PreparedStage],
    force_names: set[str],
    say: Callable[[str], None],
    echo: bool,
    own: set[str],
) -> list[StageResult]:
    """Run prepared stages once their upstream stages finished, ``plan.runner.workers`` at a time; in plan order."""
    results: dict[str, StageResult] = {}

    def progress(item: PreparedStage) -> Callable[[str], None] | None:
        if not echo:
            return None
        return lambda text: say(f"[ladder] {item.key:<40} {text}")

    def report(key: str) -> None:
        r = results[key]
        wall = f"{r.wall_s:.1f}s" if r.wall_s is not None else "-"
        say(f"[ladder] {key:<40} {r.status} ({wall}){': ' + r.error.splitlines()[-1] if r.error else ''}")

    def blocked(item: PreparedStage) -> StageResult | None:
        bad = [u for u in item.upstream if results[u].status in ("failed", "blocked")]
        return StageResult.of(item, "blocked", None, error=f"upstream failed: {', '.join(bad)}") if bad else None

    def foreign(item: PreparedStage) -> StageResult | None:
        """A stage of an experiment this run does not own: reused when complete, never run (nor locked) here."""
        if item.request.experiment in own or item.request.experiment == PANEL:
            return None
        if store.is_complete(item.final):
            return StageResult.of(item, "cached", store.read_status(item.final).get("wall_s"))
        return StageResult.of(
            item, "blocked", None, error=f"{item.key} is not complete: its own job must run first (a SLURM dependency)"
        )

    def start(item: PreparedStage) -> None:
        say(f"[ladder] {item.key:<40} {item.final.name} ...")

    # Every kernel gets the notebook environment; set once for all workers, so that no thread restores it under another.
    # Several workers share the cores: each kernel's math libraries get their part (OMP_NUM_THREADS).
    env = dict(NOTEBOOK_ENV)
    cores = os.cpu_count() or 1
    share = str(max(1, cores // plan.runner.workers))
    if plan.runner.workers > 1:
        env["OMP_NUM_THREADS"] = share
    with environment(env), ThreadPoolExecutor(max_workers=plan.runner.workers) as pool:
        pending, running = list(prepared), {}
        while pending or running:
            ready = [i for i in pending if all(u in results for u in i.upstream)]
            if not ready and not running:  # pragma: no cover - prepare() orders upstream stages first
                raise RuntimeError(f"stages wait on stages that never run: {[i.key for i in pending]}")
            for item in ready:
                if len(running) >= plan.runner.workers:
                    break
                pending.remove(item)
                if (result := blocked(item) or foreign(item)) is not None:
                    results[item.key] = result
                    report(item.key)
                    continue
                start(item)
                if plan.runner.workers > 1:
                    alone = not running and len(ready) == 1
                    os.environ["OMP_NUM_THREADS"] = panel_threads(item, alone, cores, share)
                future = pool.submit(run_stage, item, plan, item.stage.name in force_names, progress(item))
                running[future] = item
            if not running:
                continue  # only blocked stages were resolved: look again
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                item = running.pop(future)
                results[item.key] = future.result()
                report(item.key)
    return [results[item.key] for item in prepared]


def panel_threads(item: PreparedStage, alone: bool, cores: int, share: str) -> str:
    """OMP_NUM_THREADS of the kernel ``item`` starts: every core for a panel stage that starts ``alone``, else ``share``.

    A panel stage reads every experiment's results, so it starts once they all finished; started with nothing else
    running or ready it stays alone until it ends (nothing new becomes ready before it finishes), and the thread
    count it gets does not depend on how the stages before it were scheduled (the laptop book's strategies stage
    embeds its traces in 157 s on one core of two). Any other stage keeps its share however many run beside it, so
    that its numbers never depend on the schedule. The variable changes only while no other kernel starts: with
    nothing running, or from ``share`` to ``share``.
    """
    return str(cores) if item.request.experiment == PANEL and alone else share


def record_run(plan: Plan, results: list[StageResult], runs_dir: Path | None = None) -> Path:
    """Write ``runs/<profile>/latest.json``: what the last run of this profile did (the book reads it)."""
    record = {
        "profile": plan.profile,
        "experiments": plan.experiments,
        "sources": plan.sources,
        "descriptions": plan.descriptions,
        "time": time.strftime("%Y-%m-%d %H:%M:%S"),
        "results": [asdict(r) for r in results],
    }
    return store.write_json(store.last_run_path(plan.profile, runs_dir), record)


# --- command line ------------------------------------------------------------------------------------


def _print_estimate(plan: Plan) -> None:
    """Compute needed by the plan, printed and written before anything runs (``ladder estimate`` shows the table)."""
    try:
        table, path = compute.record_estimate(plan)
    except compute.ComputeError as exc:
        print(f"[ladder] no compute estimate: {exc}", flush=True)
        return
    total = table.iloc[-1]
    print(
        f"[ladder] compute estimate: {total['gpu_hours']:.2f} GPU-hours at the stated utilisation "
        f"(per experiment: {path})",
        flush=True,
    )


def cmd_run(args: argparse.Namespace) -> int:
    try:
        plan = plan_from_arguments(args)
        task = split_names(args.exp) if args.task else None
        if args.task and not task:
            raise ParamsError("--task runs the experiment(s) named by --exp: give --exp EXP")
        if not task:  # a SLURM task's plan was checked when `ladder launch` queued it
            preflight(plan)  # what would fail at run time, before a stage runs (sample's context after the trains)
        _print_estimate(plan)
        results = run_plan(plan, targets=args.stages or None, force=args.force, task=task)
    except (ParamsError, FileNotFoundError) as exc:
        print(f"ladder run: error: {exc}", file=sys.stderr)
        return 2
    if not args.no_book:
        with runlock.hold(plan.profile, [runlock.BOOK]):  # two book builds would share book/.<profile>.partial
            index = book.build_book(plan.profile)
        print(f"[ladder] book: {index}")
    failed = [r for r in results if r.status in ("failed", "blocked")]
    return 1 if failed else 0


def cmd_check(args: argparse.Namespace) -> int:
    try:
        plan = plan_from_arguments(args)
        prepared = prepare(plan)
        preflight(plan)
    except (ParamsError, FileNotFoundError) as exc:
        print(f"ladder check: error: {exc}", file=sys.stderr)
        return 2
    for item in prepared:
        state = "complete" if store.is_complete(item.final) else "to run"
        print(f"# {item.key}: {item.final} ({state})")
        print(yaml.safe_dump(item.request.params.model_dump(mode="json"), sort_keys=True).rstrip())
    return 0


def add_cli(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run stages (all by default), skipping complete ones, then build the book")
    p.add_argument("stages", nargs="*", help=f"stage(s) to run with their upstream: {', '.join(STAGES)}")
    add_plan_arguments(p)
    p.add_argument("--force", action="store_true", help="re-run the named stages (all stages if none named)")
    p.add_argument("--no-book", action="store_true", help="do not rebuild book/<profile>/index.html")
    p.add_argument(
        "--task",
        action="store_true",
        help="a SLURM array task: run only the --exp experiments' stages (no panel stage), reuse the complete "
        "stages of other experiments they read, lock only their own",
    )
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("check", help="validate params and show each stage's resolved params and folder")
    add_plan_arguments(p)
    p.set_defaults(func=cmd_check)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ladder.run", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command")
    add_cli(sub)
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("run", "check"):
        argv = ["run", *argv]
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
