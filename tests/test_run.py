"""The stage runner on a real three-stage fixture book: real jupytext, papermill, nbconvert, files on disk."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ladder import base_model, paths, store
from ladder.book import build_book
from ladder.notebook import execute_notebook
from ladder.params import ParamsError, load_plan
from ladder.prepare import prepare
from ladder.run import run_plan
from tests.fixtures import stages as fx


def run(runs_dir, experiments=None, overrides=None, targets=None, force=False):
    plan = load_plan("fixture", experiments, overrides, stages=fx.STAGES, params_dir=fx.PARAMS)
    results = run_plan(
        plan, targets=targets, force=force, stages=fx.STAGES, notebooks_dir=fx.NOTEBOOKS, runs_dir=runs_dir, echo=False
    )
    return {f"{r.experiment}/{r.stage}": r for r in results}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    runs_dir = tmp_path_factory.mktemp("runs")
    return runs_dir, run(runs_dir)


def test_first_run_executes_every_stage_in_order(first_run):
    runs_dir, results = first_run
    assert [r.status for r in results.values()] == ["done"] * 5
    total = Path(results["_panel/total"].dir) / "total.json"
    assert json.loads(total.read_text()) == 100 + 3 * 2 + 5 * 10
    one = Path(results["one/double"].dir)
    assert one.parent == runs_dir / "fixture" / "one" and one.name.startswith("20_double-")
    for name in ("params.json", "env.json", "status.json", "notebook.ipynb", "notebook.html"):
        assert (one / name).is_file(), name
    recorded = store.read_json(one / "params.json")
    assert recorded["params"] == {"factor": 2, "add_from": ""} and recorded["upstream"] == ["one/make"]
    assert "packages" in store.read_json(one / "env.json")
    assert "value.json" in (one / "notebook.html").read_text() or "Double" in (one / "notebook.html").read_text()


def test_rerun_with_unchanged_inputs_skips_everything(first_run):
    runs_dir, first = first_run
    again = run(runs_dir)
    assert {r.status for r in again.values()} == {"cached"}
    assert {k: r.dir for k, r in again.items()} == {k: r.dir for k, r in first.items()}


def test_changing_one_value_reruns_that_stage_and_downstream_only(first_run):
    runs_dir, first = first_run
    changed = run(runs_dir, overrides=["double.factor=4"])
    status = {k: r.status for k, r in changed.items()}
    # command-line overrides win over the experiment, so both doubles change; makes stay
    assert status == {
        "one/make": "cached",
        "one/double": "done",
        "two/make": "cached",
        "two/double": "done",
        "_panel/total": "done",
    }
    assert changed["one/double"].dir != first["one/double"].dir
    assert json.loads((Path(changed["_panel/total"].dir) / "total.json").read_text()) == 100 + 12 + 20


def test_changing_an_upstream_stage_reruns_downstream(tmp_path):
    run(tmp_path, experiments=["one"])
    results = run(tmp_path, experiments=["one"], overrides=["make.value=8"])
    assert {k: r.status for k, r in results.items()} == {
        "one/make": "done",
        "one/double": "done",
        "_panel/total": "done",
    }


def test_reference_to_another_experiment_pulls_it_in_and_counts_in_the_hash(tmp_path):
    results = run(tmp_path, experiments=["three"])
    assert list(results) == ["one/make", "one/double", "three/make", "three/double", "_panel/total"]
    assert json.loads((Path(results["three/double"].dir) / "value.json").read_text()) == 4 * 2 + 3
    recorded = store.read_json(Path(results["three/double"].dir) / "params.json")
    assert recorded["params"]["add_from"] == "@one/make" and "one/make" in recorded["upstream"]
    again = run(tmp_path, experiments=["three"], overrides=["make.value=6"])  # one/make changes too
    assert again["three/double"].status == "done"
    assert json.loads((Path(again["three/double"].dir) / "value.json").read_text()) == 6 * 2 + 6


def test_target_stage_runs_only_its_upstream(tmp_path):
    results = run(tmp_path, targets=["make"])
    assert sorted(results) == ["one/make", "two/make"]
    assert not (tmp_path / "fixture" / "_panel").exists()


def test_force_reruns_named_stage(tmp_path):
    run(tmp_path, experiments=["one"], targets=["make"])
    results = run(tmp_path, experiments=["one"], targets=["make"], force=True)
    assert results["one/make"].status == "done"


def test_failed_stage_blocks_downstream_and_is_not_complete(tmp_path):
    results = run(tmp_path, experiments=["one", "two"], overrides=["make.fail=true"])
    assert results["one/make"].status == "failed" and "asked to fail" in results["one/make"].error
    assert results["one/double"].status == "blocked" and results["_panel/total"].status == "blocked"
    failed_dir = Path(results["one/make"].dir)
    assert failed_dir.name.endswith(".partial") and (failed_dir / "notebook.html").is_file()
    assert not store.is_complete(failed_dir.with_name(failed_dir.name.removesuffix(".partial")))
    index = build_book("fixture", runs_dir=tmp_path, book_dir=tmp_path / "book")
    assert "failed" in index.read_text() and "asked to fail" in index.read_text()


def test_two_workers_give_the_same_results_in_plan_order(first_run, tmp_path):
    _, sequential = first_run
    parallel = run(tmp_path, overrides=["runner.workers=2"])
    assert list(parallel) == list(sequential) and {r.status for r in parallel.values()} == {"done"}
    assert {k: r.hash for k, r in parallel.items()} == {k: r.hash for k, r in sequential.items()}
    total = json.loads((Path(parallel["_panel/total"].dir) / "total.json").read_text())
    assert total == json.loads((Path(sequential["_panel/total"].dir) / "total.json").read_text())
    recorded = store.read_json(store.last_run_path("fixture", tmp_path))["results"]
    assert [f"{r['experiment']}/{r['stage']}" for r in recorded] == list(sequential)
    # two workers share the cores; the panel stage, which starts alone once every experiment is done, gets them all
    threads = {
        k: (Path(r.dir) / "omp_threads.txt").read_text() for k, r in parallel.items() if k.endswith(("make", "total"))
    }
    share = str(max(1, (os.cpu_count() or 1) // 2))
    assert threads == {"one/make": share, "two/make": share, "_panel/total": str(os.cpu_count())}
    # a failure blocks what reads from it, with several workers too
    failing = run(tmp_path / "failing", overrides=["runner.workers=2", "make.fail=true"])
    assert [r.status for r in failing.values()] == ["failed", "blocked", "failed", "blocked", "blocked"]


def test_undeclared_parameter_is_refused_before_running(tmp_path):
    with pytest.raises(ParamsError, match="parameter\\(s\\) nonsense not declared"):
        execute_notebook(fx.NOTEBOOKS / "10_make.py", tmp_path, {"nonsense": 1})
    assert not (tmp_path / "notebook.ipynb").exists()


KILL_SCRIPT = textwrap.dedent("""
    import sys
    from pathlib import Path
    from ladder.params import load_plan
    from ladder.run import run_plan
    from tests.fixtures import stages as fx
    plan = load_plan("fixture", ["one"], sys.argv[2:], stages=fx.STAGES, params_dir=fx.PARAMS)
    run_plan(plan, targets=["make"], stages=fx.STAGES, notebooks_dir=fx.NOTEBOOKS, runs_dir=Path(sys.argv[1]))
""")


def test_stage_killed_mid_run_leaves_nothing_trusted_and_reruns(tmp_path):
    script = tmp_path / "kill.py"
    script.write_text(KILL_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(paths.ROOT)}
    proc = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "runs"), "make.sleep_s=5"],
        env=env,
        cwd=paths.ROOT,
        start_new_session=True,
    )
    exp_dir = tmp_path / "runs" / "fixture" / "one"
    deadline = time.time() + 120
    while not list(exp_dir.glob("10_make-*.partial/started")):
        assert time.time() < deadline and proc.poll() is None, "stage never started"
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the runner and its kernel, as a crash or `kill -9` would
    proc.wait()
    partial = next(exp_dir.glob("10_make-*.partial"))
    assert not (partial / "value.json").exists()
    final = partial.with_name(partial.name.removesuffix(".partial"))
    assert not final.exists() and not store.is_complete(partial)
    (partial / ".value.999999.tmp.json").write_text("{")  # an atomic write the kill cut short
    # the same params re-run into the same stage folder and finish it
    rerun = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "runs"), "make.sleep_s=5"],
        env=env,
        cwd=paths.ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert store.is_complete(final) and not partial.exists()
    assert json.loads((final / "value.json").read_text()) == 3
    assert not list(final.glob(".*.tmp*"))  # left behind, not published


def test_code_hash_follows_ladder_imports(tmp_path):
    files = store.code_files("from ladder.params import from_namespace\nimport ladder.store\n")
    names = {f.name for f in files}
    assert {"__init__.py", "params.py", "paths.py", "store.py"} <= names
    relative = {str(f.relative_to(paths.PACKAGE_DIR)) for f in files}
    assert "book.py" not in names and "train/trainer.py" not in relative  # not imported, so not in the hash
    assert "compute.py" in {f.name for f in store.code_files("import ladder.book\n")}  # followed transitively
    nb = tmp_path / "nb.py"
    nb.write_text("from ladder.params import from_namespace\n")
    before = store.code_hash(nb)
    nb.write_text("from ladder.params import from_namespace\nx = 1\n")
    assert store.code_hash(nb) != before


def test_code_hash_follows_registries_that_import_lazily():
    """The benchmark loaders and curation sources name their modules as strings: a changed generator must
    still re-run the stages that sample or curate from it (a stale sample stage once kept an old evaluation set)."""
    sampled = {
        str(f.relative_to(paths.PACKAGE_DIR))
        for f in store.code_files("from ladder.benchmarks import load_benchmark\n")
    }
    assert "synthetic.py" in sampled
    curated = {
        str(f.relative_to(paths.PACKAGE_DIR)) for f in store.code_files("from ladder.curate import curate_stage\n")
    }
    assert {"synthetic_corpus.py", "synthetic.py"} <= curated
    assert "train/trainer.py" not in sampled  # a registry names modules, not the whole package


def test_input_files_edited_in_place_change_the_hash(tmp_path):
    data = tmp_path / "results"
    data.mkdir()
    (data / "a.jsonl").write_text("1\n")
    before = store.files_fingerprint([str(data)])
    assert [Path(p).name for p, _, _ in before] == ["a.jsonl"]
    (data / "a.jsonl").write_text("22\n")
    assert store.files_fingerprint([str(data)]) != before
    assert store.files_fingerprint(["Qwen/Qwen2.5-32B-Instruct", "", "@base/train/model"]) == []
    assert store.stage_hash({}, [], "c", {"inputs": before}) != store.stage_hash({}, [], "c", {"inputs": []})


def test_a_rebuilt_local_base_changes_the_hashes_of_the_stages_that_read_it(tmp_path):
    """The laptop SFT experiments read models/tiny-instruct in curate (tokenizer) and train (model)."""
    base = tmp_path / "tiny-instruct"
    shutil.copytree(base_model.BASE_DIR, base)
    plan = load_plan("laptop", experiments=["sft_n250"], overrides=[f"curate.tokenizer={base}", f"train.model={base}"])

    def hashes():
        return {
            p.request.stage: p.hash for p in prepare(plan, runs_dir=tmp_path) if p.request.experiment == "sft_n250"
        }

    before = hashes()
    (base / "tokenizer.json").write_text((base / "tokenizer.json").read_text() + "\n")  # a rebuild rewrites it
    after = hashes()
    assert before.keys() == after.keys() == {"curate", "train", "sample", "grade"}
    assert all(before[stage] != after[stage] for stage in before)  # curate changed, and everything downstream


PROGRESS_LINE = r"\[ladder\] (one|two)/make +step [0-4]/4 \(\d+%\)(, loss [\d.]+)?(, ETA \d+s)?"


def test_progress_lines_while_stages_run_none_after_they_end_and_none_without_echo(tmp_path, capsys):
    """Two stages at once, each writing a train log over 4 s: its progress is printed as it changes, between the
    stage's start and end lines; a cached stage prints none, and echo=False prints nothing at all."""
    overrides = ["make.train_steps=4", "make.sleep_s=4", "runner.progress_interval_s=0.2", "runner.workers=2"]
    plan = load_plan("fixture", ["one", "two"], overrides, stages=fx.STAGES, params_dir=fx.PARAMS)
    options = dict(targets=["make"], stages=fx.STAGES, notebooks_dir=fx.NOTEBOOKS, runs_dir=tmp_path / "loud")
    results = run_plan(plan, echo=True, **options)
    assert [r.status for r in results] == ["done", "done"]
    lines = capsys.readouterr().out.splitlines()
    for key in ("one/make", "two/make"):
        mine = [line for line in lines if line.startswith(f"[ladder] {key} ")]
        assert mine[0].endswith(" ...") and re.fullmatch(rf"\[ladder\] {key} +done \([\d.]+s\)", mine[-1]), mine
        progress = mine[1:-1]  # nothing after the done line
        assert progress and all(re.fullmatch(PROGRESS_LINE, line) for line in progress), mine
        steps = [int(re.search(r" step (\d)/", line).group(1)) for line in progress]
        assert steps == sorted(set(steps)), mine  # a line when the step moved, not one per 0.2 s poll

    run_plan(plan, echo=True, **options)  # cached: the start and cached lines only
    assert not [line for line in capsys.readouterr().out.splitlines() if " step " in line]

    quiet = run_plan(plan, echo=False, **{**options, "runs_dir": tmp_path / "quiet"})
    assert [r.status for r in quiet] == ["done", "done"]
    assert capsys.readouterr().out == ""


# --- two runs at once on the same runs/ (ladder.runlock) ---------------------------------------------------------

RUN_SCRIPT = textwrap.dedent("""
    import json
    import sys
    from pathlib import Path
    from ladder.params import load_plan
    from ladder.run import run_plan
    from tests.fixtures import stages as fx
    plan = load_plan("fixture", ["one"], sys.argv[2:], stages=fx.STAGES, params_dir=fx.PARAMS)
    results = run_plan(plan, stages=fx.STAGES, notebooks_dir=fx.NOTEBOOKS, runs_dir=Path(sys.argv[1]))
    print("RESULTS " + json.dumps({f"{r.experiment}/{r.stage}": [r.status, r.dir] for r in results}), flush=True)
""")


def _start_run(tmp_path: Path, name: str, *overrides: str) -> tuple[subprocess.Popen, Path]:
    """A runner of the fixture book (experiment one, then the panel) in its own process group, output in a file."""
    script = tmp_path / "run_fixture.py"
    script.write_text(RUN_SCRIPT)
    log = tmp_path / f"{name}.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, str(script), str(tmp_path / "runs"), *overrides],
            env={**os.environ, "PYTHONPATH": str(paths.ROOT)},
            cwd=paths.ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return proc, log


def _wait_for(condition, proc: subprocess.Popen, what: str, timeout_s: float = 120) -> None:
    deadline = time.time() + timeout_s
    while not condition():
        assert time.time() < deadline and proc.poll() is None, f"{what} never happened"
        time.sleep(0.1)


def _results(log: Path) -> dict[str, list[str]]:
    (line,) = [line for line in log.read_text().splitlines() if line.startswith("RESULTS ")]
    return json.loads(line.removeprefix("RESULTS "))


def test_two_runs_at_once_take_turns_and_agree(tmp_path):
    """`make reproduce` started twice: the second waits for the first, then finds every stage complete."""
    exp_dir = tmp_path / "runs" / "fixture" / "one"
    first, first_log = _start_run(tmp_path, "first", "make.sleep_s=3")
    _wait_for(lambda: list(exp_dir.glob("10_make-*.partial/started")), first, "the first run's stage")
    second, second_log = _start_run(tmp_path, "second", "make.sleep_s=3")
    assert first.wait(timeout=300) == 0, first_log.read_text()
    assert second.wait(timeout=300) == 0, second_log.read_text()
    said = second_log.read_text()
    assert re.search(
        rf"\[ladder\] waiting for another run of profile fixture \(pid {first.pid}, holding \w+\) \.\.\.", said
    )
    assert "waiting" not in first_log.read_text()
    done, again = _results(first_log), _results(second_log)
    assert list(done) == list(again) == ["one/make", "one/double", "_panel/total"]
    assert {status for status, _ in done.values()} == {"done"} and {status for status, _ in again.values()} == {
        "cached"
    }
    assert {k: d for k, (_, d) in done.items()} == {k: d for k, (_, d) in again.items()}
    assert all(store.is_complete(Path(d)) for _, d in done.values())
    assert json.loads((Path(done["_panel/total"][1]) / "total.json").read_text()) == 100 + 3 * 2
    assert not list((tmp_path / "runs").rglob("*.partial"))
    latest = store.read_json(store.last_run_path("fixture", tmp_path / "runs"))
    assert [r["dir"] for r in latest["results"]] == [d for _, d in done.values()]


def test_a_killed_run_does_not_block_the_next_one(tmp_path):
    """The kernel drops the lock of a run killed with SIGKILL: a run waiting on it goes on at once."""
    exp_dir = tmp_path / "runs" / "fixture" / "one"
    holder, _ = _start_run(tmp_path, "holder", "make.sleep_s=120")
    _wait_for(lambda: list(exp_dir.glob("10_make-*.partial/started")), holder, "the holder's stage")
    waiter, waiter_log = _start_run(tmp_path, "waiter", "make.value=7")  # another stage of the same experiment
    _wait_for(lambda: "waiting for another run" in waiter_log.read_text(), waiter, "the second run's wait")
    killed = time.time()
    os.killpg(holder.pid, signal.SIGKILL)  # the runner and its kernel, as `kill -9` of a whole make would
    holder.wait()
    assert waiter.wait(timeout=120) == 0, waiter_log.read_text()
    assert time.time() - killed < 60  # it ran three stages, not the holder's two minutes of sleep
    assert "released" in waiter_log.read_text()
    results = _results(waiter_log)
    assert [status for status, _ in results.values()] == ["done"] * 3
    assert json.loads((Path(results["one/make"][1]) / "value.json").read_text()) == 7
    third, third_log = _start_run(tmp_path, "third", "make.value=7")  # nobody holds a lock now: no wait at all
    assert third.wait(timeout=120) == 0, third_log.read_text()
    assert "waiting" not in third_log.read_text()
    assert {status for status, _ in _results(third_log).values()} == {"cached"}
