"""Stage runner: execute the book's notebooks with papermill, store results, skip what is done.

Every path (Make, tests, CI) goes through here::

    python -m ladder.run --profile laptop                 # all stages of the profile's experiments
    python -m ladder.run sample --profile laptop --exp base --set sample.n=4
    ladder run grade --force                              # redo the named stage(s)

For each stage: params are merged and validated (``ladder.params``), the notebook is read with
jupytext, its ``parameters`` cell is checked against what will be injected, papermill executes it
(explicit kernel, per-cell timeout, cwd = repo root) into ``<stage>.partial/``, nbconvert renders
HTML, and the folder is renamed to its final name (``ladder.store``). A complete folder with the same
hash is not run again (status "cached"). While a stage runs, its progress (training steps, samples) is printed
every ``runner.progress_interval_s`` seconds when it moved (``ladder.watch``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ladder import paths, store, watch
from ladder.params import PANEL, ParamsError, Plan, StageRequest, load_plan, stage_references
from ladder.stages import STAGES, Stage

# Environment for executed notebooks: progress bars off (tables and plots, not streams).
NOTEBOOK_ENV = {
    "TQDM_DISABLE": "1",
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TOKENIZERS_PARALLELISM": "false",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    # tqdm.auto warns in a kernel without ipywidgets although every bar is off (TQDM_DISABLE)
    "PYTHONWARNINGS": "ignore:IProgress not found",
}
# The kernel's own log (e.g. its notice that it talks over local TCP) would interleave with ours.
KERNEL_ARGUMENTS = ["--log-level=ERROR"]


class StageFailed(RuntimeError):
    """A notebook cell raised; the message points at the executed notebook that shows where."""


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


def ensure_kernel(name: str) -> None:
    """Register a Jupyter kernel ``name`` for this Python inside its prefix if none exists (``make setup`` does too)."""
    from jupyter_client.kernelspec import KernelSpecManager

    if name in KernelSpecManager().find_kernel_specs():
        return
    from ipykernel.kernelspec import install

    install(kernel_name=name, display_name=name, prefix=sys.prefix)


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def read_notebook(path: Path):
    """Read a jupytext percent-format notebook source."""
    import jupytext

    if not path.is_file():
        raise FileNotFoundError(f"{path}: notebook not found")
    return jupytext.read(path)


def declared_parameters(nb) -> dict[str, dict[str, Any]]:
    """The names papermill finds in the notebook's ``parameters`` cell (name -> {inferred_type_name, default, help})."""
    import nbformat
    import papermill

    tags = [c.metadata.get("tags", []) for c in nb.cells]
    count = sum("parameters" in t for t in tags)
    if count != 1:
        raise ValueError(f"notebook must have exactly one cell tagged 'parameters', found {count}")
    if not nb.metadata.get("kernelspec"):  # papermill needs one to infer the parameters' language
        nb.metadata["kernelspec"] = {"name": "ladder", "display_name": "ladder", "language": "python"}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "nb.ipynb"
        nbformat.write(nb, path)
        return papermill.inspect_notebook(str(path))


def _refuse_undeclared(notebook: Path, declared: Mapping[str, Any], parameters: Mapping[str, Any]) -> None:
    """Refuse parameters the notebook does not declare (papermill itself only warns)."""
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise ParamsError(
            f"{notebook}: parameter(s) {', '.join(unknown)} not declared in its parameters cell. "
            f"Declared: {', '.join(sorted(declared))}"
        )


def to_html(ipynb: Path, html: Path, exclude_input: bool = False) -> Path:
    """Render an executed notebook to a standalone HTML file (figures embedded)."""
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input = exclude_input
    exporter.log.setLevel("ERROR")  # figures have no alt text; nbconvert warns once per notebook
    body, _ = exporter.from_notebook_node(nbformat.read(ipynb, as_version=4))
    return store.atomic_write(html, lambda tmp: tmp.write_text(body, encoding="utf-8"))


def execute_notebook(
    notebook: Path,
    output_dir: Path,
    parameters: Mapping[str, Any],
    kernel: str = "ladder",
    cell_timeout_s: int = 600,
    render_html: bool = True,
    exclude_input: bool = False,
    log_output: bool = False,
) -> Path:
    """Execute one jupytext notebook with papermill into ``output_dir/notebook.ipynb`` (+ ``notebook.html``).

    Raises :class:`ParamsError` for an undeclared parameter before starting a kernel, and
    :class:`StageFailed` when a cell raises (the executed notebook and its HTML are still written).
    """
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    notebook, output_dir = Path(notebook), Path(output_dir)
    nb = read_notebook(notebook)
    _refuse_undeclared(notebook, declared_parameters(nb), parameters)
    ensure_kernel(kernel)
    output_dir.mkdir(parents=True, exist_ok=True)
    source = output_dir / ".notebook.source.ipynb"
    nbformat.write(nb, source)
    executed = output_dir / "notebook.ipynb"
    error: Exception | None = None
    try:
        with _environment(NOTEBOOK_ENV):
            papermill.execute_notebook(
                str(source),
                str(executed),
                parameters=dict(parameters),
                kernel_name=kernel,
                cwd=str(paths.ROOT),
                execution_timeout=cell_timeout_s,
                progress_bar=False,
                log_output=log_output,
                extra_arguments=KERNEL_ARGUMENTS,
            )
    except PapermillExecutionError as exc:
        error = exc
    finally:
        source.unlink(missing_ok=True)
    if render_html and executed.is_file():
        to_html(executed, output_dir / "notebook.html", exclude_input=exclude_input)
    if error is not None:
        summary = f"{error.ename}: {error.evalue}"
        raise StageFailed(f"{notebook.name} failed in cell {error.exec_count}: {summary} (see {executed})") from None
    return executed


# --- plans -------------------------------------------------------------------------------------------


def _needed(plan: Plan, targets: list[str] | None, stages: Mapping[str, Stage]) -> list[StageRequest]:
    """The requests to run for ``targets`` (stage names): each target and everything upstream of it."""
    if not targets:
        return plan.requests
    for t in targets:
        if t not in stages:
            raise ParamsError(f"unknown stage '{t}'. Stages: {', '.join(stages)}")
    order = list(stages)
    keep = []
    for req in plan.requests:
        for t in targets:
            if stages[t].panel:
                # a panel stage needs every experiment stage and the panel stages before it
                if not stages[req.stage].panel or order.index(req.stage) <= order.index(t):
                    keep.append(req)
                    break
            elif req.experiment != PANEL and order.index(req.stage) <= order.index(t):
                keep.append(req)
                break
    if not keep:
        raise ParamsError(f"no experiment of this plan has stage(s) {', '.join(targets)}")
    return keep


@dataclass
class _Prepared:
    request: StageRequest
    stage: Stage
    notebook: Path
    hash: str
    final: Path
    parameters: dict[str, Any]
    upstream: list[str]  # "experiment/stage" keys this one waits for
    cell_timeout_s: int


def prepare(
    plan: Plan,
    targets: list[str] | None = None,
    stages: Mapping[str, Stage] = STAGES,
    notebooks_dir: Path | None = None,
    runs_dir: Path | None = None,
) -> list[_Prepared]:
    """Hash every stage, decide its folder and injected parameters, and check notebooks: before running anything."""
    requests = _needed(plan, targets, stages)
    code_hashes: dict[str, str] = {}
    declared: dict[str, dict[str, Any]] = {}
    by_key: dict[str, _Prepared] = {}
    last_in_experiment: dict[str, _Prepared] = {}
    out: list[_Prepared] = []
    for req in requests:
        stage = stages[req.stage]
        notebook = stage.notebook_path(notebooks_dir)
        if str(notebook) not in code_hashes:
            if not notebook.is_file():
                raise ParamsError(f"stage '{stage.name}': notebook {notebook} not found")
            code_hashes[str(notebook)] = store.code_hash(notebook)
            declared[str(notebook)] = declared_parameters(read_notebook(notebook))
        values = req.params.model_dump(mode="json")
        prev = None if stage.panel else last_in_experiment.get(req.experiment)
        if stage.panel:
            upstream = list(by_key.values())
        else:
            upstream = [prev] if prev else []
        resolved: dict[str, str] = {}
        for name, ref in stage_references(req.params).items():
            target = by_key.get(f"{ref.experiment}/{ref.stage}")
            if target is None:
                raise ParamsError(f"{req.experiment}/{req.stage}: '{name}: {values[name]}' refers to a stage that is "
                                  f"not part of this run")  # fmt: skip
            upstream.append(target)
            resolved[name] = str(target.final / ref.subpath) if ref.subpath else str(target.final)
        files = {name: store.files_fingerprint(values[name]) for name in stage.file_params}
        digest = store.stage_hash(values, [u.hash for u in upstream], code_hashes[str(notebook)], files)
        final = store.stage_dir(plan.profile, req.experiment, stage.notebook, digest, runs_dir)
        injected: dict[str, Any] = {"output_dir": str(store.partial_dir(final)), "profile": plan.profile}
        if stage.panel:
            inputs: dict[str, dict[str, str]] = {}
            for u in upstream:
                inputs.setdefault(u.request.experiment, {})[u.request.stage] = str(u.final)
            injected["inputs"] = inputs
        else:
            injected["input_dir"] = str(prev.final) if prev else ""
            injected["experiment"] = req.experiment
        clash = set(injected) & set(values)
        if clash:
            raise ParamsError(f"stage '{stage.name}': params model uses reserved name(s) {', '.join(sorted(clash))}")
        parameters = {**values, **resolved, **injected}
        _refuse_undeclared(notebook, declared[str(notebook)], parameters)
        prepared = _Prepared(
            request=req, stage=stage, notebook=notebook, hash=digest, final=final, parameters=parameters,
            upstream=[f"{u.request.experiment}/{u.request.stage}" for u in upstream],
            cell_timeout_s=stage.cell_timeout_s or plan.runner.cell_timeout_s,
        )  # fmt: skip
        key = f"{req.experiment}/{req.stage}"
        by_key[key] = prepared
        if not stage.panel:
            last_in_experiment[req.experiment] = prepared
        out.append(prepared)
    return out


def run_stage(
    item: _Prepared, plan: Plan, force: bool = False, progress: Callable[[str], None] | None = None
) -> StageResult:
    """Run one prepared stage unless a complete folder with its hash exists (or ``force``).

    ``progress`` gets the stage's progress text (``ladder.watch``) every ``runner.progress_interval_s`` seconds
    that it changed while the notebook runs, and never after this returns.
    """
    values = item.request.params.model_dump(mode="json")
    base = dict(experiment=item.request.experiment, stage=item.stage.name, notebook=item.stage.notebook,
                hash=item.hash, dir=str(item.final), params=values)  # fmt: skip
    with store.stage_lock(item.final):
        if store.is_complete(item.final) and not force:
            return StageResult(**base, status="cached", wall_s=store.read_status(item.final).get("wall_s"))
        partial = store.partial_dir(item.final)
        partial.mkdir(parents=True, exist_ok=True)  # an existing .partial is kept: resumable stages continue there
        store.write_json(partial / "params.json", {
            "experiment": item.request.experiment, "stage": item.stage.name, "profile": plan.profile,
            "hash": item.hash, "params": values, "origins": item.request.origins, "upstream": item.upstream,
            "sources": plan.sources,
        })  # fmt: skip
        store.write_json(partial / "env.json", store.env_info())
        started = time.time()
        store.write_json(partial / store.STATUS_FILE, {"status": "running", "started": started, "pid": os.getpid()})
        try:
            with watch.watching(partial, plan.runner.progress_interval_s, progress):
                execute_notebook(
                    item.notebook, partial, item.parameters, kernel=plan.runner.kernel,
                    cell_timeout_s=item.cell_timeout_s, render_html=plan.runner.render_html,
                    exclude_input=plan.runner.exclude_input,
                )  # fmt: skip
        except Exception as exc:  # recorded, then the run goes on with stages that do not depend on this one
            wall = time.time() - started
            message = str(exc) if isinstance(exc, StageFailed | ParamsError) else traceback.format_exc()
            store.write_json(partial / store.STATUS_FILE, {"status": "failed", "error": message, "wall_s": wall})
            return StageResult(**{**base, "dir": str(partial)}, status="failed", wall_s=wall, error=message)
        wall = time.time() - started
        store.write_json(partial / store.STATUS_FILE, {"status": "done", "started": started, "wall_s": wall})
        store.publish(partial, item.final)
        return StageResult(**base, status="done", wall_s=wall)


def run_plan(
    plan: Plan,
    targets: list[str] | None = None,
    force: bool = False,
    stages: Mapping[str, Stage] = STAGES,
    notebooks_dir: Path | None = None,
    runs_dir: Path | None = None,
    echo: bool = True,
) -> list[StageResult]:
    """Run a plan's stages, ``plan.runner.workers`` at a time; a failed stage blocks only the stages downstream of it.

    A stage starts once every stage it reads from has finished, in plan order; results are recorded in plan order
    whatever the order they finish in, so the book and ``latest.json`` read the same for any number of workers.
    With ``echo``, a line per stage as it starts and as it ends, and its progress while it runs
    (``runner.progress_interval_s``); without, nothing is printed.
    """
    prepared = prepare(plan, targets, stages, notebooks_dir, runs_dir)
    force_names = set(targets or stages) if force else set()
    results: dict[str, StageResult] = {}
    printing = threading.Lock()  # progress lines come from the stages' watcher threads

    def say(line: str) -> None:
        with printing:
            print(line, flush=True)

    def key_of(item: _Prepared) -> str:
        return f"{item.request.experiment}/{item.stage.name}"

    def progress(item: _Prepared) -> Callable[[str], None] | None:
        if not echo:
            return None
        return lambda text: say(f"[ladder] {key_of(item):<40} {text}")

    def report(key: str) -> None:
        if echo:
            r = results[key]
            wall = f"{r.wall_s:.1f}s" if r.wall_s is not None else "-"
            say(f"[ladder] {key:<40} {r.status} ({wall}){': ' + r.error.splitlines()[-1] if r.error else ''}")

    def blocked(item: _Prepared) -> StageResult | None:
        bad = [u for u in item.upstream if results[u].status in ("failed", "blocked")]
        if not bad:
            return None
        return StageResult(
            experiment=item.request.experiment, stage=item.stage.name, notebook=item.stage.notebook,
            hash=item.hash, dir=str(item.final), status="blocked", wall_s=None,
            params=item.request.params.model_dump(mode="json"), error=f"upstream failed: {', '.join(bad)}",
        )  # fmt: skip

    def start(item: _Prepared) -> None:
        if echo:
            say(f"[ladder] {key_of(item):<40} {item.final.name} ...")

    # Every kernel gets the notebook environment; set once for all workers, so that no thread restores it under another.
    # Several workers share the cores: each kernel's math libraries get their part (OMP_NUM_THREADS).
    environment = dict(NOTEBOOK_ENV)
    if plan.runner.workers > 1:
        environment["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // plan.runner.workers))
    ensure_kernel(plan.runner.kernel)
    with _environment(environment), ThreadPoolExecutor(max_workers=plan.runner.workers) as pool:
        pending, running = list(prepared), {}
        while pending or running:
            ready = [i for i in pending if all(u in results for u in i.upstream)]
            if not ready and not running:  # pragma: no cover - prepare() orders upstream stages first
                raise RuntimeError(f"stages wait on stages that never run: {[key_of(i) for i in pending]}")
            for item in ready:
                if len(running) >= plan.runner.workers:
                    break
                pending.remove(item)
                if (result := blocked(item)) is not None:
                    results[key_of(item)] = result
                    report(key_of(item))
                    continue
                start(item)
                future = pool.submit(run_stage, item, plan, item.stage.name in force_names, progress(item))
                running[future] = item
            if not running:
                continue  # only blocked stages were resolved: look again
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                item = running.pop(future)
                results[key_of(item)] = future.result()
                report(key_of(item))
    out = [results[key_of(item)] for item in prepared]
    record_run(plan, out, runs_dir)
    return out


def record_run(plan: Plan, results: list[StageResult], runs_dir: Path | None = None) -> Path:
    """Write ``runs/<profile>/latest.json``: what the last run of this profile did (the book reads it)."""
    return store.write_json(store.last_run_path(plan.profile, runs_dir), {
        "profile": plan.profile, "experiments": plan.experiments, "sources": plan.sources,
        "descriptions": plan.descriptions,
        "time": time.strftime("%Y-%m-%d %H:%M:%S"), "results": [asdict(r) for r in results],
    })  # fmt: skip


# --- command line ------------------------------------------------------------------------------------


def _split(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [v for item in values for v in item.split(",") if v]


def _print_estimate(plan: Plan) -> None:
    """Compute needed by the plan, printed and written before anything runs (``ladder estimate`` shows the table)."""
    from ladder import compute

    try:
        table, path = compute.record_estimate(plan)
    except compute.ComputeError as exc:
        print(f"[ladder] no compute estimate: {exc}", flush=True)
        return
    total = table.iloc[-1]
    print(f"[ladder] compute estimate: {total['gpu_hours']:.2f} GPU-hours at the stated utilisation "
          f"(per experiment: {path})", flush=True)  # fmt: skip


def cmd_run(args: argparse.Namespace) -> int:
    try:
        plan = plan_from_arguments(args)
        _print_estimate(plan)
        results = run_plan(plan, targets=args.stages or None, force=args.force)
    except (ParamsError, FileNotFoundError) as exc:
        print(f"ladder: {exc}", file=sys.stderr)
        return 2
    if not args.no_book:
        from ladder import book

        index = book.build_book(plan.profile)
        print(f"[ladder] book: {index}")
    failed = [r for r in results if r.status in ("failed", "blocked")]
    return 1 if failed else 0


def cmd_check(args: argparse.Namespace) -> int:
    import yaml

    try:
        plan = plan_from_arguments(args)
        prepared = prepare(plan)
    except (ParamsError, FileNotFoundError) as exc:
        print(f"ladder: {exc}", file=sys.stderr)
        return 2
    for item in prepared:
        state = "complete" if store.is_complete(item.final) else "to run"
        print(f"# {item.request.experiment}/{item.stage.name}: {item.final} ({state})")
        print(yaml.safe_dump(item.request.params.model_dump(mode="json"), sort_keys=True).rstrip())
    return 0


def add_plan_arguments(p: argparse.ArgumentParser, default_profile: str = "laptop") -> None:
    """``--profile``, ``--exp`` and ``--set``: what every command that reads a plan accepts."""
    p.add_argument(
        "--profile", default=os.environ.get("PROFILE") or default_profile, help="params/profiles/<name>.yaml"
    )
    p.add_argument("--exp", action="append", help="experiment name(s), comma-separated (default: the profile's)")
    p.add_argument("--set", action="append", default=[], metavar="STAGE.KEY=VALUE", help="override a param")


def plan_from_arguments(args: argparse.Namespace) -> Plan:
    """The validated plan named by :func:`add_plan_arguments`' options."""
    return load_plan(args.profile, _split(args.exp), args.set)


def add_cli(sub: argparse._SubParsersAction) -> None:
    common = add_plan_arguments

    p = sub.add_parser("run", help="run stages (all by default), skipping complete ones, then build the book")
    p.add_argument("stages", nargs="*", help=f"stage(s) to run with their upstream: {', '.join(STAGES)}")
    common(p)
    p.add_argument("--force", action="store_true", help="re-run the named stages (all stages if none named)")
    p.add_argument("--no-book", action="store_true", help="do not rebuild book/<profile>/index.html")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("check", help="validate params and show each stage's resolved params and folder")
    common(p)
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
