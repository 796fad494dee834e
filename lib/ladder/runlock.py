"""One runner at a time per experiment: two ``make reproduce`` on the same ``runs/`` wait for each other, never mix.

A run holds an exclusive ``flock`` on ``runs/<profile>/.locks/<experiment>.lock`` for every experiment it may write
(``_panel.lock`` for the panel stages), from before its first stage until ``latest.json`` is written. A second run of
the same profile waits, saying so::

    [ladder] waiting for another run of profile smoke (pid 4242, holding smoke_base) ...

then finds the stages the first one finished complete (status "cached") and goes on. The locks are per experiment,
not per profile, so the SLURM array of ``ladder launch`` (one ``ladder run --exp EXP`` per experiment, at once)
still runs its experiments in parallel; runs that share an experiment (one reads the other's stage through a
``@experiment/stage`` reference) take turns. Locks are taken in sorted order, so two runs never deadlock.

The kernel drops a ``flock`` when its holder dies, ``kill -9`` included: a killed run never blocks the next one.
The lock file keeps the holder's pid only to name it in the message above; it is never trusted as the lock itself.
``book/<profile>/`` is rebuilt under the lock named :data:`BOOK` (two book builds would share a staging folder)::

    with runlock.hold(plan.profile, ["base", "sft"], runs_dir):
        ...  # run the stages, write latest.json
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ladder import paths

LOCK_DIR = ".locks"
BOOK = "_book"  # the lock held while book/<profile>/ is rebuilt


def lock_path(profile: str, name: str, runs_dir: Path | None = None) -> Path:
    """The lock file of one experiment (or ``_panel``, or :data:`BOOK`) of a profile."""
    return (runs_dir or paths.RUNS_DIR) / profile / LOCK_DIR / f"{name}.lock"


def _holder(fd: int) -> str:
    """What the lock file says about its holder: ``pid N``, or ``pid unknown`` before the holder wrote it."""
    text = os.pread(fd, 64, 0).decode(errors="replace").strip()
    return f"pid {text}" if text.isdigit() else "pid unknown"


def _acquire(path: Path, profile: str, name: str, say: Callable[[str], None]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)  # never O_TRUNC: the holder's pid is in there
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"[ladder] waiting for another run of profile {profile} ({_holder(fd)}, holding {name}) ...")
            fcntl.flock(fd, fcntl.LOCK_EX)  # the kernel wakes us when the holder unlocks or dies
            say(f"[ladder] the other run of profile {profile} released {name}; going on")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _release(fd: int) -> None:
    try:
        os.ftruncate(fd, 0)  # while still locked: the next holder writes its own pid
    finally:
        os.close(fd)  # closing the last descriptor drops the flock


@contextlib.contextmanager
def hold(
    profile: str,
    names: Iterable[str],
    runs_dir: Path | None = None,
    say: Callable[[str], None] = lambda line: print(line, flush=True),
) -> Iterator[None]:
    """Hold the run locks of ``names`` (experiments, ``_panel`` or :data:`BOOK`) of ``profile`` while inside.

    Waits for each one another process holds, telling ``say`` who holds it. The descriptors are not inherited by
    child processes (Python's default), so a lock lives exactly as long as this process holds it.
    """
    held: list[int] = []
    try:
        for name in sorted(set(names)):
            held.append(_acquire(lock_path(profile, name, runs_dir), profile, name, say))
        yield
    finally:
        for fd in reversed(held):
            _release(fd)
