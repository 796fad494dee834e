"""Kill anywhere, same book: the smoke profile killed with SIGKILL all over, re-run after each kill, gives the results
of one uninterrupted run, byte for byte.

One chain of runs through the real command line (``python -m ladder.run run --profile smoke``, in its own process
group, into a temporary runs folder): each run is killed, runner and kernel together, at the next point of
:data:`POINTS` (curate, train, sample, grade, between two stages, tiers, strategies, ablations), and the next run resumes what
the killed one left. A last run finishes the book. Meanwhile one uninterrupted run of the same plan gives the
reference. Finished stages are reused along the chain, so the whole test costs about two smoke runs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from ladder import paths, runlock, schema, store

pytestmark = [pytest.mark.slow, pytest.mark.kill]

# Ten sampling batches per model instead of two, so that a kill lands between two of them; a checkpoint every
# four training steps (of eight), so that a killed training resumes from one.
SETS = ["--set", "sample.batch_size=8", "--set", "train.save_steps=4"]
SAMPLES_PER_MODEL = 40 * 2  # smoke: 40 questions, n = 2
EXPERIMENTS = ("smoke_base", "smoke_sft")


def _rows(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except OSError:
        return 0


def _folder(runs: Path, experiment: str, notebook: str, partial: bool) -> Path | None:
    found = [
        f
        for f in (runs / "smoke" / experiment).glob(f"{notebook}-*")
        if f.is_dir() and f.name.endswith(".partial") == partial
    ]
    return found[0] if found else None


@dataclass(frozen=True)
class KillPoint:
    """Kill the run once stage ``notebook`` of ``experiment`` shows ``when`` (a test on its ``.partial`` folder)."""

    experiment: str
    notebook: str
    what: str
    when: Callable[[Path], bool]
    after_publish: bool = False  # the point is the stage's final folder appearing: killed between two stages
    unfinished: Callable[[Path], bool] = lambda partial: True  # holds until the work the kill must cut is done

    def reached(self, runs: Path) -> bool:
        if self.after_publish:
            return _folder(runs, self.experiment, self.notebook, partial=False) is not None
        partial = _folder(runs, self.experiment, self.notebook, partial=True)
        return partial is not None and self.when(partial)

    def landed(self, runs: Path) -> str:
        """Where the kill landed: the stage folder's files at the time."""
        folder = _folder(runs, self.experiment, self.notebook, partial=not self.after_publish)
        names = sorted(p.name for p in folder.iterdir()) if folder else []
        counts = {n: _rows(folder / n) for n in ("train_log.jsonl", "samples.jsonl") if n in names}
        return f"{self.experiment}/{self.notebook}{'' if self.after_publish else '.partial'}: {names} {counts}"


def _started(partial: Path) -> bool:
    return (partial / "notebook.ipynb").is_file()  # papermill writes it when the kernel starts


def _logged(at_least: int) -> Callable[[Path], bool]:
    return lambda partial: _rows(partial / "train_log.jsonl") >= at_least


def _sampled(at_least: int) -> Callable[[Path], bool]:
    return lambda partial: _rows(partial / "samples.jsonl") >= at_least


def _training(partial: Path) -> bool:
    return _rows(partial / "train_log.jsonl") < 9  # eight steps, then the summary line


def _sampling(partial: Path) -> bool:
    return _rows(partial / "samples.jsonl") < SAMPLES_PER_MODEL


def _tabulating(partial: Path) -> bool:
    return (partial / "study_tier_means.csv").exists() and not (partial / "tiers.csv").exists()


POINTS = [
    KillPoint("smoke_base", "10_curate", "curate: kernel started", _started),
    KillPoint("smoke_base", "20_train", "train: a step logged", _logged(1), unfinished=_training),
    KillPoint("smoke_base", "30_sample", "sample: two of ten batches written", _sampled(16), unfinished=_sampling),
    KillPoint("smoke_base", "40_grade", "grade: kernel started", _started),
    KillPoint(
        "smoke_sft", "10_curate", "between stages: smoke_sft curate just published", _started, after_publish=True
    ),
    KillPoint("smoke_sft", "20_train", "train: past its first checkpoint", _logged(5), unfinished=_training),
    KillPoint("smoke_sft", "30_sample", "sample: two of ten batches written", _sampled(16), unfinished=_sampling),
    KillPoint(
        "_panel",
        "50_tiers",
        "tiers: some tables written",
        lambda p: (p / "study_tier_means.csv").exists(),
        unfinished=_tabulating,
    ),
    KillPoint("_panel", "55_strategies", "strategies: kernel started", _started),
    KillPoint("_panel", "60_ablations", "ablations: kernel started", _started),
]


def _start(runs: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "LADDER_RUNS": str(runs), "LADDER_BOOK": str(runs.parent / "book")}
    command = [sys.executable, "-m", "ladder.run", "run", "--profile", "smoke", "--no-book", *SETS]
    with open(log, "a") as out:
        return subprocess.Popen(
            command, env=env, cwd=paths.ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (from /proc): the notebook kernels, which run in sessions of their own."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _kill_all(proc: subprocess.Popen) -> None:
    """SIGKILL the runner's process group and its kernels at once, as a crash of the machine would.

    jupyter_client starts each kernel in a session of its own, so the runner's group does not hold it; a kernel
    left alone exits by itself within a second of its runner's death (ipykernel's parent poller).
    """
    kernels = _descendants(proc.pid) if proc.poll() is None else []
    for kill, pid in [(os.killpg, proc.pid)] + [(os.kill, pid) for pid in kernels]:
        try:
            kill(pid, signal.SIGKILL)
        except ProcessLookupError:  # gone already
            pass
    proc.wait()


def _kill_chain(runs: Path, logs: Path) -> list[str]:
    """Run, kill at each point in turn (runner and kernel: the whole process group), re-run; the last run finishes."""
    landed = []
    for number, point in enumerate(POINTS, start=1):
        log = logs / f"killed_{number}.log"
        proc = _start(runs, log)
        deadline = time.time() + 300
        try:
            while not point.reached(runs):
                assert proc.poll() is None, f"run {number} ended before '{point.what}':\n{log.read_text()[-3000:]}"
                assert time.time() < deadline, f"run {number} never reached '{point.what}'"
                time.sleep(0.02)
        finally:
            _kill_all(proc)
        where = point.landed(runs)
        landed.append(f"{number}. {point.what} -> {where}")
        if not point.after_publish:  # killed inside the stage, in the middle of the work it was meant to cut
            assert _folder(runs, point.experiment, point.notebook, partial=False) is None, where
            assert point.unfinished(_folder(runs, point.experiment, point.notebook, partial=True)), where
    return landed


def _stage_dirs(runs: Path) -> dict[str, Path]:
    record = store.read_last_run("smoke", runs)
    return {f"{r['experiment']}/{r['stage']}": Path(r["dir"]) for r in record["results"]}


def _injected(folder: Path) -> str:
    """The source of the executed notebook's injected-parameters cell."""
    nb = json.loads((folder / "notebook.ipynb").read_text())
    (cell,) = [c for c in nb["cells"] if "injected-parameters" in c.get("metadata", {}).get("tags", [])]
    return "".join(cell["source"])


# Files that record when and where a stage ran, not what it computed (compared as values where they hold results):
# times and pids (env.json, status.json, train_progress.json), the executed notebook and its page (execution times,
# the run's folder), TRL's pickled arguments (output path), the trainer's state and log (wall times; after a resume
# TRL's per-session num_tokens counter and the session's own loss), the train report (times, resumed_from_step),
# the model card TRL writes beside the checkpoints (its tags come from a set: any order), and the profile's records
# (latest.json, compute_estimate.csv: absolute paths).
MAY_DIFFER = {
    "README.md",
    "env.json",
    "status.json",
    "notebook.ipynb",
    "notebook.html",
    "train_progress.json",
    "training_args.bin",
    "trainer_state.json",
    "train_log.jsonl",
    "train_report.json",
    "latest.json",
    "compute_estimate.csv",
}


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and runlock.LOCK_DIR not in p.parts
    }


def _train_steps(folder: Path) -> pd.DataFrame:
    """The per-step rows of a training log, without wall times and TRL's per-session token counter."""
    log = pd.read_json(folder / "train_log.jsonl", lines=True)
    return log.loc[log["loss"].notna(), ["step", "loss", "grad_norm", "learning_rate", "epoch"]].reset_index(drop=True)


def test_killed_all_over_then_rerun_gives_the_uninterrupted_book(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    reference_runs, chain_runs = tmp_path / "reference" / "runs", tmp_path / "chain" / "runs"
    reference = _start(reference_runs, logs / "reference.log")  # alongside the chain: two runs, two cores
    try:
        landed = _kill_chain(chain_runs, logs)
        final = _start(chain_runs, logs / "final.log")
        assert final.wait(timeout=900) == 0, (logs / "final.log").read_text()[-3000:]
        assert reference.wait(timeout=900) == 0, (logs / "reference.log").read_text()[-3000:]
    finally:
        if reference.poll() is None:
            _kill_all(reference)
    print("\n".join(["kill points:", *landed]))
    for log in logs.iterdir():  # each run started after the one before had died: no lock left to wait for
        assert "waiting for another run" not in log.read_text(), log

    ours, theirs = _stage_dirs(chain_runs), _stage_dirs(reference_runs)
    stages = [f"{e}/{s}" for e in EXPERIMENTS for s in ("curate", "train", "sample", "grade")]
    assert list(ours) == list(theirs) == [*stages, "_panel/tiers", "_panel/strategies", "_panel/ablations"]
    # latest.json names complete folders only, with the reference's hashes; nothing is left half-done
    assert {k: d.name for k, d in ours.items()} == {k: d.name for k, d in theirs.items()}
    for key, folder in ours.items():
        assert store.is_complete(folder) and not folder.name.endswith(".partial"), key
        assert not store.partial_dir(folder).exists(), key
        assert ".partial" not in _injected(folder).replace(f'output_dir = "{store.partial_dir(folder)}"', ""), key

    # same results, byte for byte: every file of every stage folder but the records of when and where it ran
    mine, expected = _files(chain_runs / "smoke"), _files(reference_runs / "smoke")
    assert mine.keys() == expected.keys()
    for key in ("_panel/50_tiers", "smoke_base/40_grade", "smoke_sft/40_grade"):
        assert any(p.startswith(key) and p.endswith((".csv", ".parquet")) for p in mine)
    differ = sorted(p for p in mine if Path(p).name not in MAY_DIFFER and mine[p] != expected[p])
    assert not differ, differ
    for card in (p for p in mine if Path(p).name == "README.md"):
        assert sorted(mine[card].splitlines()) == sorted(expected[card].splitlines()), card
    for experiment in EXPERIMENTS:  # the run's records that may differ: their numbers do not
        ours_log, their_log = (_train_steps(d[f"{experiment}/train"]) for d in (ours, theirs))
        pd.testing.assert_frame_equal(ours_log, their_log)
        report, expected = (store.read_json(d[f"{experiment}/train"] / "train_report.json") for d in (ours, theirs))
        assert report["steps"] == expected["steps"] and report["tokens_seen"] == expected["tokens_seen"]
        assert report["train_loss"] == pytest.approx(expected["train_loss"], rel=1e-9), experiment

    # no sample lost or written twice across the kills: one row per (question, sample) per model, in the log too
    for experiment in EXPERIMENTS:
        samples = schema.read_table(ours[f"{experiment}/sample"] / "samples.parquet")
        assert len(samples) == SAMPLES_PER_MODEL and not samples.duplicated(["question_id", "sample_idx"]).any()
        assert set(samples["model"]) == {experiment}
        logged = pd.read_json(ours[f"{experiment}/sample"] / "samples.jsonl", lines=True, dtype=False)
        assert len(logged) == SAMPLES_PER_MODEL and not logged.duplicated(["question_id", "sample_idx"]).any()
        assert _train_steps(ours[f"{experiment}/train"])["step"].tolist() == list(range(1, 9))  # every step once
    assert store.read_json(ours["smoke_sft/train"] / "train_report.json")["resumed_from_step"] in (4, 8)
