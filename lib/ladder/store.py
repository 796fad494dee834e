"""Run store: one folder per (stage, hash), written atomically, with params, environment and status.

Layout: ``runs/<profile>/<experiment>/<NN_stage>-<hash10>/`` (panel stages under ``_panel``). A stage
runs in ``<name>.partial/`` and the folder is renamed to its final name only when the notebook
finished, so a killed stage never leaves a folder that a later run trusts. Stages that can resume
(sampling, training) keep their progress in the ``.partial`` folder, which a re-run reuses.

The hash covers the stage params, the upstream hashes, the notebook source, the source of every
``ladder`` module the notebook imports (transitively) and :data:`CACHE_VERSION`.
"""

from __future__ import annotations

import ast
import contextlib
import fcntl
import hashlib
import importlib.metadata
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from ladder import paths
from ladder.params import params_hash

CACHE_VERSION = 1  # bump by hand to invalidate every stored stage
STATUS_FILE = "status.json"
PARTIAL_SUFFIX = ".partial"
# Packages whose versions go into env.json.
TRACKED_PACKAGES = tuple(
    "ladder torch transformers trl accelerate datasets tokenizers vllm math-verify papermill jupytext nbconvert pandas "
    "numpy scipy pydantic".split()
)
# Written by `make setup` into the venv it installed from a lock (the Makefile's LOCK_MARKER): {"file", "sha256"}.
LOCK_MARKER = Path(sys.prefix) / ".ladder-lock"


def atomic_write(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Write ``path`` all at once or not at all: ``write(tmp)`` fills a temp file beside it, then it is renamed.

    The temp name keeps the suffix (``np.savez`` and parquet writers look at it) and the process id (two
    processes writing the same file never share a temp file). A reader never sees a half-written file, and a
    killed writer leaves the previous version in place.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")  # matched by _TEMP_NAME
    try:
        write(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


# The names atomic_write gives its temp files (".<stem>.<pid>.tmp<suffix>").
_TEMP_NAME = re.compile(r"\..+\.\d+\.tmp(\.[^.]+)?")


def remove_temp_files(folder: Path) -> None:
    """Delete the temp files of :func:`atomic_write` under ``folder``: a killed writer's, when only one process
    writes the folder (a stage's ``.partial`` under :func:`stage_lock`)."""
    for path in folder.rglob(".*.tmp*"):
        if path.is_file() and _TEMP_NAME.fullmatch(path.name):
            path.unlink(missing_ok=True)


def write_json(path: Path, obj: Any, sort_keys: bool = True) -> Path:
    """Write JSON atomically (:func:`atomic_write`), keys sorted unless ``sort_keys`` is False (a report that
    reads top-down keeps the order it was built in)."""
    text = json.dumps(obj, indent=2, sort_keys=sort_keys, default=str) + "\n"
    return atomic_write(path, lambda tmp: tmp.write_text(text))


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text())


def read_jsonl(path: Path, repair: bool = False, error: type[Exception] = ValueError) -> list[dict[str, Any]]:
    """Read an append-only JSONL log; a torn last line (no newline, or not JSON) is dropped, and cut off if ``repair``.

    A process killed mid-write leaves at most its last line torn; a bad line anywhere else is corruption, not a crash
    artefact: ``error`` naming the file and line. Used by the sampler's progress and the strategy judge's cache.
    """
    if not path.is_file():
        return []
    data = path.read_bytes()
    lines = data.split(b"\n")
    # After split, the last element is b"" when the file ends with a newline, else the torn tail.
    complete, tail = lines[:-1], lines[-1]
    records = []
    good_bytes = 0
    for number, line in enumerate(complete, start=1):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            if number == len(complete) and not tail:
                # SIGKILL between write and the newline cannot give this, but a full disk can.
                break
            raise error(f"{path}:{number}: not a JSON record ({exc}); the file is corrupt, not just torn") from None
        good_bytes += len(line) + 1
    if repair and good_bytes != len(data):
        with open(path, "r+b") as handle:
            handle.truncate(good_bytes)
    return records


def append_jsonl(handle: IO[str], records: Iterable[dict[str, Any]]) -> None:
    """Append records to an open JSONL log, one line each, flushed and fsync'd (a crash loses nothing written)."""
    handle.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    handle.flush()
    os.fsync(handle.fileno())


# A registry entry "ladder.module:function", imported lazily by the benchmark loaders (``ladder.benchmarks``) and the
# curation sources (``ladder.curate.sources``): code the stage depends on too. (Params models are named
# "module:Class" in ``ladder.stages``; those are not followed, or every stage would depend on every other.)
_LAZY_FUNCTION = re.compile(r"ladder(\.\w+)+:[a-z_]\w*")


def _imported_ladder_modules(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _LAZY_FUNCTION.fullmatch(node.value):
            names.add(node.value.split(":")[0])
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.split(".")[0] == "ladder")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] == "ladder":
                names.add(node.module)
                # `from ladder import grade` imports the submodule ladder.grade
                names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def _module_file(name: str) -> Path | None:
    rel = Path(*name.split(".")[1:])
    for candidate in (paths.PACKAGE_DIR / rel.with_suffix(".py"), paths.PACKAGE_DIR / rel / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def code_files(notebook_source: str) -> list[Path]:
    """The ``ladder`` source files a notebook depends on: its imports, followed transitively.

    Written by hand because modulefinder would walk all of torch; we only need ladder's own files.
    Package ``__init__`` files on the way are included, and a package's submodules when it is imported whole.
    """
    seen: dict[Path, None] = {paths.PACKAGE_DIR / "__init__.py": None}
    todo = sorted(_imported_ladder_modules(notebook_source))
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for i in range(2, len(parts) + 1):  # parent packages run their __init__ first
            file = _module_file(".".join(parts[:i]))
            if file is None or file in seen:
                continue
            seen[file] = None
            todo.extend(_imported_ladder_modules(file.read_text()))
            if file.name == "__init__.py":
                for sub in file.parent.glob("*.py"):
                    if sub.name != "__init__.py":
                        todo.append(".".join(("ladder", *sub.relative_to(paths.PACKAGE_DIR).with_suffix("").parts)))
    return sorted(seen)


def code_hash(notebook_path: Path) -> str:
    """Hash of a notebook's source and of every ladder module it depends on."""
    source = Path(notebook_path).read_text()
    parts = {"notebook": source}
    for file in code_files(source):
        parts[str(file.relative_to(paths.PACKAGE_DIR))] = file.read_text()
    return params_hash(parts, length=16)


def stage_hash(params: dict[str, Any], upstream_hashes: list[str], code: str, files: Any = None) -> str:
    blob = {"params": params, "upstream": sorted(upstream_hashes), "code": code, "cache": CACHE_VERSION}
    if files:
        blob["files"] = files
    return params_hash(blob)


def files_fingerprint(value: Any) -> list[list[Any]]:
    """(path, size, mtime_ns) of every local file named by ``value`` (a path, a list or dict of paths; folders walked).

    Size and modification time rather than content: cheap on multi-GB datasets, and an edit in place changes them.
    Values that are not local paths (hub ids, "", references) give nothing.
    """
    if isinstance(value, dict):
        value = list(value.values())
    names = value if isinstance(value, list) else [value]
    out: list[list[Any]] = []
    for name in names:
        if not isinstance(name, str) or not name or name.startswith("@"):
            continue
        path = Path(name) if Path(name).is_absolute() else paths.ROOT / name
        files = (
            sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path] if path.is_file() else []
        )
        for file in files:
            stat = file.stat()
            out.append([str(file), stat.st_size, stat.st_mtime_ns])
    return out


def git_sha() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(paths.ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
        sha = out.stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(paths.ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        return f"{sha}{'-dirty' if dirty else ''}" if sha else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def device_info() -> dict[str, Any]:
    info: dict[str, Any] = {"cpu_count": os.cpu_count(), "machine": platform.machine()}
    try:
        import torch  # seconds to import, and only the CUDA question needs it: not when ladder.store is imported

        info["cuda"] = torch.cuda.is_available()
        if info["cuda"]:
            info["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    except ImportError:
        info["cuda"] = False
    return info


def lock_info() -> dict[str, Any] | None:
    """The lock file `make setup` installed this environment from, its sha256 then, and whether the repository's copy
    of that file still has that hash (false once the lock was edited or regenerated after setup). None when the
    environment was not installed from a lock (``make setup LOCK=0``, or pip by hand)."""
    try:
        marker = json.loads(LOCK_MARKER.read_text())
        file, sha256 = str(marker["file"]), str(marker["sha256"])
    except (OSError, ValueError, TypeError, KeyError):
        return None
    try:
        current = hashlib.sha256((paths.ROOT / file).read_bytes()).hexdigest()
    except OSError:
        current = None
    return {"file": file, "sha256": sha256, "matches": current == sha256}


def env_info() -> dict[str, Any]:
    """What produced an artifact: git sha, Python and package versions, the lock they came from, device."""
    versions = {}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return {
        "git_sha": git_sha(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "lock": lock_info(),
        "device": device_info(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def portable(value: Any, output_dir: str | Path) -> Any:
    """``value`` as a stage records it in its outputs, with no trace of where the run lives.

    Every absolute path inside (strings in nested dicts and lists) under the runs folder that holds
    ``output_dir`` (``<runs>/<profile>/<experiment>/<stage>``) becomes ``runs/<profile>/...``; one under the
    project root becomes relative to it (``models/tiny-instruct``). Hub ids and other text are unchanged, so the
    same inputs give the same bytes in any checkout (model revisions, manifests, reports).
    """
    if isinstance(value, dict):
        return {k: portable(v, output_dir) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [portable(v, output_dir) for v in value]
    if not isinstance(value, str) or not Path(value).is_absolute():
        return value
    path = Path(value)
    runs_root = Path(output_dir).resolve().parents[2]
    for base, shown in ((runs_root, Path("runs")), (paths.ROOT, Path())):
        if path.is_relative_to(base):
            return (shown / path.relative_to(base)).as_posix()
    return value


def stage_dir(profile: str, experiment: str, notebook: str, digest: str, runs_dir: Path | None = None) -> Path:
    return (runs_dir or paths.RUNS_DIR) / profile / experiment / f"{notebook}-{digest}"


def last_run_path(profile: str, runs_dir: Path | None = None) -> Path:
    """``runs/<profile>/latest.json``: what the last run of the profile did (``ladder.run.record_run`` writes it)."""
    return (runs_dir or paths.RUNS_DIR) / profile / "latest.json"


def read_last_run(profile: str, runs_dir: Path | None = None) -> dict[str, Any]:
    latest = last_run_path(profile, runs_dir)
    if not latest.is_file():
        raise FileNotFoundError(
            f"{latest}: no run of profile '{profile}' yet (run `make reproduce PROFILE={profile}`)"
        )
    return read_json(latest)


def finished_results(run: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """A run record's results whose folder holds a result (done or cached), by (experiment, stage)."""
    return {(r["experiment"], r["stage"]): r for r in run["results"] if r["status"] in ("done", "cached")}


def finished_stages(profile: str, runs_dir: Path | None = None) -> dict[tuple[str, str], dict[str, Any]]:
    """The last run's results whose folder holds a result (done or cached), by (experiment, stage)."""
    return finished_results(read_last_run(profile, runs_dir))


def partial_dir(final: Path) -> Path:
    return final.with_name(final.name + PARTIAL_SUFFIX)


def is_complete(folder: Path) -> bool:
    """A stage folder counts only if it has its final name and a status saying done."""
    status = folder / STATUS_FILE
    return folder.is_dir() and status.is_file() and read_json(status).get("status") == "done"


def read_status(folder: Path) -> dict[str, Any]:
    return read_json(folder / STATUS_FILE) if (folder / STATUS_FILE).is_file() else {}


@contextlib.contextmanager
def stage_lock(final: Path) -> Iterator[None]:
    """Hold an exclusive lock for one stage folder, so two runs never write the same stage at once."""
    final.parent.mkdir(parents=True, exist_ok=True)
    lock_path = final.with_name(f".{final.name}.lock")
    with open(lock_path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(f"{final}: another run is writing this stage right now (lock {lock_path})") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def publish(partial: Path, final: Path) -> Path:
    """Atomically turn a finished ``.partial`` folder into the final one (replacing an older copy if forced)."""
    if final.exists():
        trash = final.with_name(f".{final.name}.old-{os.getpid()}")
        final.rename(trash)
        partial.rename(final)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        partial.rename(final)
    return final
