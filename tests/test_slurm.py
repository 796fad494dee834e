"""The cluster path on a real SLURM: ``ladder launch`` scripts run by a one-node SLURM (``tests.slurm_cluster``).

One cluster for the module (munged, slurmctld, slurmd from temporary folders; stopped at the end, no daemon left)
and one plain ``ladder run --profile smoke`` as the reference. Two sessions on the cluster:

1. the smoke profile launched and submitted; one array task cancelled with ``scancel`` while it runs; everything
   re-submitted: it resumes, and graded.parquet, tiers.csv, questions.csv and findings.csv are byte-identical to
   the plain run's, and the book is built;
2. two independent experiments (``smoke_base`` and ``smoke_geometry``, a copy of it planted with a param only the
   run can refuse: a category the synthetic pool lacks): both tasks run at once; the failed one is named in its
   log and by ``ladder status``, and the panel job is cancelled, never run on partial data.

A third test starts a two-node cluster of its own (two slurmd on this host) and trains across both nodes: one
``accelerate launch`` per node through ``srun``, the two ranks one DDP group over gloo.

``sacct`` needs an accounting daemon this cluster does not run: jobs are followed with ``squeue`` and
``scontrol show job``. Skips, with the reason, only where Debian's SLURM packages are not installed (``.ci/run``
installs them).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ladder import paths
from ladder.tiny_model import build_tiny_model
from ladder.train import write_params
from tests.slurm_cluster import SlurmCluster, free_port, missing_reason
from tests.test_train import conversations, fast_params, write_dataset

pytestmark = [pytest.mark.slow, pytest.mark.slurm]  # make test-slurm (and CI), not make test
LADDER = str(Path(sys.executable).with_name("ladder"))
TABLES = ("graded.parquet", "tiers.csv", "questions.csv", "findings.csv")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    slurm = SlurmCluster(tmp_path_factory.mktemp("slurm"), cpus=2)
    with slurm:
        yield slurm
    alive = [p.pid for p in slurm._procs if p.poll() is None]
    assert not alive, f"daemons left running: {alive}"


def _env(root: Path, cluster: SlurmCluster | None = None, ladder_root: Path | None = None) -> dict[str, str]:
    env = {**(cluster.env if cluster else os.environ), "LADDER_RUNS": str(root / "runs")}
    env["LADDER_BOOK"] = str(root / "book")
    if ladder_root is not None:
        env["LADDER_ROOT"] = str(ladder_root)
    return env


def _ladder(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([LADDER, *argv], env=env, capture_output=True, text=True, timeout=900, cwd=paths.ROOT)


def _tables(runs: Path) -> dict[str, bytes]:
    """The analysis tables of the last run of the smoke profile (``latest.json``), by experiment/stage/file."""
    record = json.loads((runs / "smoke" / "latest.json").read_text())
    out = {}
    for result in record["results"]:
        for name in TABLES:
            path = Path(result["dir"]) / name
            if path.is_file():
                out[f"{result['experiment']}/{result['stage']}/{name}"] = path.read_bytes()
    return out


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """The reference: ``ladder run --profile smoke`` without SLURM, and its wall time."""
    root = tmp_path_factory.mktemp("plain")
    start = time.monotonic()
    done = _ladder("run", "--profile", "smoke", env=_env(root))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return root, time.monotonic() - start


def _submit(cluster: SlurmCluster, slurm_dir: Path, env: dict[str, str]) -> dict[str, str]:
    done = subprocess.run(["bash", str(slurm_dir / "submit.sh")], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return dict(line.split(" ", 1) for line in (slurm_dir / "submitted.txt").read_text().splitlines())


def _wait_running(cluster: SlurmCluster, job: str, timeout_s: float = 300) -> None:
    end = time.monotonic() + timeout_s
    while cluster.job_state(job) != "RUNNING":
        assert time.monotonic() < end, f"{job} never ran: {cluster.job_state(job)}"
        time.sleep(1)


def _times(log: str) -> tuple[float, float]:
    """Start and end (epoch seconds) an array task's log states."""
    start = float(re.search(r"experiment \S+ on \S+ at ([\d.]+)", log).group(1))
    return start, float(re.search(r"ended at ([\d.]+)", log).group(1))


def test_the_smoke_book_on_slurm_resumes_after_scancel_and_equals_the_plain_run(cluster, plain, tmp_path):
    plain_root, plain_s = plain
    env = _env(tmp_path, cluster)
    slurm_dir = tmp_path / "slurm"
    done = _ladder("launch", "--profile", "smoke", "--out", str(slurm_dir), "--partition", "debug", env=env)
    assert done.returncode == 0, done.stderr
    assert "--gres" not in (slurm_dir / "array_1n0g.sbatch").read_text()  # smoke asks for no GPU

    start = time.monotonic()
    jobs = _submit(cluster, slurm_dir, env)
    _wait_running(cluster, jobs["smoke_sft"])  # after smoke_base (afterok): cancel it while it runs
    time.sleep(5)
    cluster.run("scancel", jobs["smoke_sft"])
    cluster.wait_idle(timeout_s=120)
    assert cluster.job_state(jobs["smoke_sft"]) == "CANCELLED"
    assert cluster.job_state(jobs["panel"]) == "CANCELLED"  # its dependency can no longer be met
    status = _ladder("status", "--profile", "smoke", "--slurm-dir", str(slurm_dir), env=env).stdout
    assert re.search(r"smoke_base +task \S+, log ", status) and "not started" in status

    jobs = _submit(cluster, slurm_dir, env)  # again: smoke_base's stages are reused, smoke_sft resumes
    cluster.wait_idle(timeout_s=900)
    wall = time.monotonic() - start
    states = {name: cluster.job_state(job) for name, job in jobs.items()}
    logs = "\n".join(p.read_text() for p in (slurm_dir / "logs").glob("*.out"))
    assert set(states.values()) == {"COMPLETED"}, f"{states}\n{logs[-4000:]}"
    assert "holding _panel" not in logs and "waiting for another run" not in logs

    ours, theirs = _tables(tmp_path / "runs"), _tables(plain_root / "runs")
    assert sorted(ours) == sorted(theirs) and len(ours) >= 4
    assert [k for k in ours if ours[k] != theirs[k]] == []
    assert (tmp_path / "book" / "smoke" / "index.html").is_file()
    status = _ladder("status", "--profile", "smoke", "--slurm-dir", str(slurm_dir), env=env)
    assert status.returncode == 0 and "11 done, 0 running, 0 failed, 0 not started" in status.stdout
    print(f"\n[slurm] smoke: plain run {plain_s:.0f}s; on SLURM with a scancel and a re-submit {wall:.0f}s")


def _planted_root(tmp_path: Path) -> Path:
    """A project folder seen through links, whose params hold ``smoke_geometry``: smoke_base with curate.category
    geometry, a category the synthetic pool does not have (a fault only the curate stage finds)."""
    root = tmp_path / "project"
    root.mkdir()
    for entry in paths.ROOT.iterdir():
        if entry.name not in ("params", "runs", "book", ".git"):
            (root / entry.name).symlink_to(entry)
    shutil.copytree(paths.PARAMS_DIR, root / "params")
    base = (root / "params" / "experiments" / "smoke" / "smoke_base.yaml").read_text()
    planted = base.replace("curate:\n", "curate:\n  category: geometry\n", 1)
    (root / "params" / "experiments" / "smoke" / "smoke_geometry.yaml").write_text(planted)
    return root


def test_independent_tasks_run_at_once_and_a_failed_task_stops_the_panel(cluster, tmp_path):
    root = _planted_root(tmp_path)
    env = _env(tmp_path, cluster, ladder_root=root)
    slurm_dir = tmp_path / "slurm"
    exps = ["--exp", "smoke_base,smoke_geometry"]
    assert _ladder("check", "--profile", "smoke", *exps, env=env).returncode == 0  # only the run can tell
    done = _ladder("launch", "--profile", "smoke", *exps, "--out", str(slurm_dir), env=env)
    assert done.returncode == 0, done.stderr
    jobs = _submit(cluster, slurm_dir, env)
    assert jobs["smoke_base"].split("_")[0] == jobs["smoke_geometry"].split("_")[0]  # one array, two tasks
    cluster.wait_idle(timeout_s=600)

    assert cluster.job_state(jobs["smoke_geometry"]) == "FAILED"
    assert cluster.job_state(jobs["smoke_base"]) == "COMPLETED"
    assert cluster.job_state(jobs["panel"]) == "CANCELLED"  # never ran on smoke_base alone
    assert not list((tmp_path / "runs" / "smoke" / "_panel").glob("*"))
    logs = {p.name: p.read_text() for p in (slurm_dir / "logs").glob("*.out")}
    failed = next(text for text in logs.values() if "experiment smoke_geometry" in text)
    assert re.search(r"smoke_geometry/curate +failed .*geometry", failed), failed[-3000:]
    base_log = next(text for text in logs.values() if "experiment smoke_base" in text)
    (a0, a1), (b0, b1) = _times(base_log), _times(failed)
    assert a0 < b1 and b0 < a1, "the two independent tasks did not overlap"
    print(
        f"\n[slurm] independent tasks: smoke_base {a0:.1f} -> {a1:.1f}, smoke_geometry {b0:.1f} -> {b1:.1f} (failed)"
    )

    status = _ladder("status", "--profile", "smoke", *exps, "--slurm-dir", str(slurm_dir), env=env)
    assert status.returncode == 1
    line = next(x for x in status.stdout.splitlines() if x.strip().startswith("curate") and "failed" in x)
    assert "geometry" in line, status.stdout
    assert re.search(r"smoke_geometry +task \S+, log \S+\.out", status.stdout), status.stdout


def test_training_on_two_nodes_runs_one_accelerate_launch_per_node(tmp_path):
    """Two slurmd on this host (nodes n1, n2, one CPU each): the train stage inside a 2-node job starts one
    ``accelerate launch`` per node through ``srun``, and the two ranks train as one DDP group over gloo."""
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    model = build_tiny_model(tmp_path / "model")
    data = write_dataset(tmp_path / "data", conversations(16))
    params = fast_params(
        model, max_steps=4, num_nodes=2, num_processes=1, per_device_batch_size=2, main_process_port=free_port()
    )
    params_file = write_params(params, tmp_path / "params.json")
    out, log = tmp_path / "out", tmp_path / "job.log"
    train = f"{sys.executable} -m ladder.train --params {params_file} --input-dir {data} --output-dir {out}"
    with SlurmCluster(tmp_path / "cluster", cpus=2, nodes=2) as two:
        job = two.run("sbatch", "--parsable", "-N", "2", "-c", "1", "-o", str(log), "--wrap", train, cwd=paths.ROOT)
        job_id = job.stdout.strip()
        two.wait_idle(timeout_s=300)
        assert two.job_state(job_id) == "COMPLETED", log.read_text()[-3000:]
        nodes = two.run("scontrol", "-o", "show", "job", job_id).stdout
    assert " NodeList=n[1-2] " in nodes
    report = json.loads((out / "train_report.json").read_text())
    assert report["launch"] == {"engine": "ddp", "processes": 2, "device": "cpu", "backend": "gloo"}
    assert report["world_size"] == 2 and report["steps"] == 4
