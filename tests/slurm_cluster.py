"""A real one-node SLURM for the tests: munged, slurmctld and slurmd started from temporary folders, then stopped.

Debian's packages (``slurmctld``, ``slurmd``, ``slurm-client``, ``munge``; 22.05 on bookworm) give the daemons;
``.ci/run`` installs them with apt-get when they are missing. Nothing is written outside the cluster's folder:
the munge socket, the key (a copy of the installed one, or a new one), the state, spool and log folders and
``slurm.conf`` all live there, and the client commands find the cluster through ``SLURM_CONF`` (in
:attr:`Cluster.env`). No accounting daemon (``AccountingStorageType=accounting_storage/none``), so ``sacct``
has nothing to show: jobs are followed with ``squeue`` and ``scontrol show job``.

Usage::

    with SlurmCluster(tmp_path, cpus=2) as cluster:
        subprocess.run(["sbatch", "--wrap", "hostname"], env=cluster.env, check=True)
        cluster.wait_idle(timeout_s=60)

Every daemon is a child of this process (run in the foreground, ``-D`` / ``-F``); :meth:`SlurmCluster.stop`
cancels what is still queued, stops the daemons, and kills any ``slurmstepd`` that the cluster started and that
outlived slurmd, so no daemon is left behind.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

PACKAGES = ("slurmctld", "slurmd", "slurm-client", "munge")
DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "scancel")
PLUGIN_DIR = "/usr/lib/x86_64-linux-gnu/slurm-wlm"


def missing_reason() -> str | None:
    """Why a cluster cannot start here (a program of the Debian packages missing, or not root), or None."""
    missing = [name for name in DAEMONS if shutil.which(name) is None and not Path("/usr/sbin", name).exists()]
    if missing:
        return f"SLURM is not installed (no {', '.join(missing)}): apt-get install {' '.join(PACKAGES)}"
    if os.geteuid() != 0:
        return "the one-node SLURM of the tests runs its daemons as root (SlurmUser=root); run the tests as root"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stepd_pids() -> set[int]:
    """Pids of the ``slurmstepd`` processes on this host."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "slurmstepd":
                    pids.add(int(entry.name))
            except OSError:
                continue
    return pids


def _sbin(name: str) -> str:
    return shutil.which(name) or str(Path("/usr/sbin", name))


class SlurmCluster:
    """One node (``NodeName`` = this host) with ``cpus`` CPUs, in partition ``debug``; a context manager."""

    def __init__(
        self, root: Path, cpus: int = 2, memory_mb: int = 8000, partition: str = "debug", nodes: int = 1
    ) -> None:
        self.root = Path(root)
        self.cpus, self.memory_mb, self.partition = cpus, memory_mb, partition
        self.node = socket.gethostname().split(".")[0]
        # Several nodes on this one host: n1..nK, one slurmd each (slurmd -N), all with NodeAddr 127.0.0.1 and a port
        # of their own; the CPUs are split between them.
        self.nodes = [self.node] if nodes == 1 else [f"n{i + 1}" for i in range(nodes)]
        self.conf = self.root / "slurm.conf"
        self.socket = self.root / "munge" / "munge.socket"
        self.env = {**os.environ, "SLURM_CONF": str(self.conf)}
        self._procs: list[subprocess.Popen] = []
        self._stepd_before: set[int] = set()

    # --- start -------------------------------------------------------------------------------------------

    def _write_config(self) -> None:
        for sub in ("munge", "state", "spool", "log"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(self.root / "munge", 0o700)
        key = self.root / "munge" / "munge.key"
        installed = Path("/etc/munge/munge.key")
        key.write_bytes(installed.read_bytes() if installed.is_file() else os.urandom(128))
        os.chmod(key, 0o600)
        r = self.root
        self.conf.write_text(
            "\n".join(
                [
                    "ClusterName=laddertest",
                    f"SlurmctldHost={self.node}(127.0.0.1)",
                    "SlurmUser=root",
                    "SlurmdUser=root",
                    f"SlurmctldPort={free_port()}",
                    f"SlurmdPort={free_port()}",
                    f"AuthInfo=socket={self.socket}",
                    f"StateSaveLocation={r}/state",
                    f"SlurmdSpoolDir={r}/spool/%n",
                    f"SlurmctldPidFile={r}/slurmctld.pid",
                    f"SlurmdPidFile={r}/slurmd-%n.pid",
                    f"SlurmctldLogFile={r}/log/slurmctld.log",
                    f"SlurmdLogFile={r}/log/slurmd-%n.log",
                    f"PluginDir={PLUGIN_DIR}",
                    "ProctrackType=proctrack/linuxproc",
                    "TaskPlugin=task/none",
                    "SelectType=select/cons_tres",
                    "SelectTypeParameters=CR_Core",
                    "JobAcctGatherType=jobacct_gather/none",
                    "AccountingStorageType=accounting_storage/none",
                    "MpiDefault=none",
                    "ReturnToService=2",
                    "SchedulerType=sched/backfill",
                    "SchedulerParameters=sched_interval=2",
                    "MinJobAge=600",  # finished jobs stay visible to scontrol for 10 minutes
                    "KillWait=5",
                    "InactiveLimit=0",
                    *self._node_lines(),
                    f"PartitionName={self.partition} Nodes={','.join(self.nodes)} Default=YES MaxTime=INFINITE State=UP",
                    "",
                ]
            )
        )

    def _node_lines(self) -> list[str]:
        cpus, memory = self.cpus // len(self.nodes), self.memory_mb // len(self.nodes)
        if len(self.nodes) == 1:
            return [f"NodeName={self.node} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory} State=UNKNOWN"]
        return [
            f"NodeName={name} NodeHostname={self.node} NodeAddr=127.0.0.1 Port={free_port()} CPUs={cpus} "
            f"RealMemory={memory} State=UNKNOWN"
            for name in self.nodes
        ]

    def _spawn(self, *argv: str) -> None:
        name = Path(argv[0]).name + (f"-{argv[argv.index('-N') + 1]}" if "-N" in argv else "")
        log = open(self.root / "log" / f"{name}.stdout", "ab")  # noqa: SIM115 - closed by the child
        self._procs.append(
            subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=self.env, start_new_session=True)
        )
        log.close()

    def start(self, timeout_s: float = 60) -> SlurmCluster:
        self._write_config()
        self._stepd_before = _stepd_pids()
        m = self.root / "munge"
        self._spawn(
            _sbin("munged"),
            "-F",
            "--force",
            f"--socket={self.socket}",
            f"--key-file={m / 'munge.key'}",
            f"--pid-file={m / 'munged.pid'}",
            f"--log-file={self.root / 'log' / 'munged.log'}",
            f"--seed-file={m / 'munged.seed'}",
        )
        self._wait(lambda: self.socket.exists(), timeout_s, "munged did not create its socket")
        self._spawn(_sbin("slurmctld"), "-D", "-i", "-f", str(self.conf))
        self._wait(lambda: self._ok(["scontrol", "ping"], "UP"), timeout_s, "slurmctld did not answer scontrol ping")
        for name in self.nodes:
            (self.root / "spool" / name).mkdir(parents=True, exist_ok=True)
            self._spawn(_sbin("slurmd"), "-D", "-N", name, "-f", str(self.conf))
        self._wait(self._node_ready, timeout_s, "slurmd did not register its node(s)")
        return self

    def _ok(self, argv: list[str], needle: str) -> bool:
        done = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=30)
        return done.returncode == 0 and needle in done.stdout

    def _node_ready(self) -> bool:
        done = subprocess.run(
            ["sinfo", "-h", "-N", "-o", "%T"], env=self.env, capture_output=True, text=True, timeout=30
        )
        states = done.stdout.split()
        return (
            done.returncode == 0 and len(states) == len(self.nodes) and set(states) <= {"idle", "mixed", "allocated"}
        )

    def _wait(self, ready, timeout_s: float, what: str) -> None:
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            dead = [p.args[0] for p in self._procs if p.poll() is not None]
            if dead:
                raise RuntimeError(f"{what}: {dead} exited; logs in {self.root / 'log'}\n{self.logs()}")
            if ready():
                return
            time.sleep(0.5)
        raise RuntimeError(f"{what} within {timeout_s:.0f}s; logs in {self.root / 'log'}\n{self.logs()}")

    def logs(self, tail: int = 20) -> str:
        out = []
        for path in sorted((self.root / "log").glob("*")):
            lines = path.read_text(errors="replace").splitlines()[-tail:]
            out.append(f"--- {path.name}\n" + "\n".join(lines))
        return "\n".join(out)

    # --- use ----------------------------------------------------------------------------------------------

    def run(self, *argv: str, check: bool = True, cwd: Path | None = None) -> subprocess.CompletedProcess:
        """A client command (sbatch, squeue, scancel, ...) against this cluster."""
        return subprocess.run(argv, env=self.env, capture_output=True, text=True, check=check, cwd=cwd, timeout=120)

    def queue(self) -> list[tuple[str, str, str]]:
        """(job id, name, state) of every job squeue shows: array tasks as ``JOB_TASK``."""
        out = self.run("squeue", "-h", "-r", "-o", "%i|%j|%T").stdout
        return [tuple(line.split("|")) for line in out.splitlines() if line.strip()]  # type: ignore[misc]

    def job_state(self, job: str) -> str:
        """The state ``scontrol show job`` gives (COMPLETED, FAILED, CANCELLED, RUNNING, ...), '' once forgotten."""
        done = self.run("scontrol", "-o", "show", "job", job, check=False)
        for field in done.stdout.split():
            if field.startswith("JobState="):
                return field.split("=", 1)[1]
        return ""

    def wait_idle(self, timeout_s: float = 600, poll_s: float = 2) -> float:
        """Wait until the queue is empty; return the seconds waited."""
        start = time.monotonic()
        while self.queue():
            if time.monotonic() - start > timeout_s:
                raise TimeoutError(f"jobs still queued after {timeout_s:.0f}s: {self.queue()}")
            time.sleep(poll_s)
        return time.monotonic() - start

    # --- stop ---------------------------------------------------------------------------------------------

    def stop(self) -> None:
        """Cancel every job, stop slurmd, slurmctld and munged, and kill any slurmstepd they left."""
        if self._procs and all(p.poll() is None for p in self._procs):
            self.run("scancel", "--full", f"--partition={self.partition}", check=False)
            end = time.monotonic() + 30
            while time.monotonic() < end and self.queue():
                time.sleep(1)
        for proc in reversed(self._procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        for pid in _stepd_pids() - self._stepd_before:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
        self._procs.clear()

    def __enter__(self) -> SlurmCluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()
