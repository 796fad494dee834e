"""Resumable progress of a sampling run: ``request.json`` + an append-only ``samples.jsonl``.

``request.json`` holds the run's identity (:func:`ladder.sample.requests.run_identity`); a folder
whose identity differs is refused, never silently reused. ``samples.jsonl`` gets one JSON line per
(question, sample), written and flushed batch by batch (fsync'd, so a crash of the machine loses at
most the batch in flight). After a SIGKILL the last line may be torn: it is cut off on reopening,
and the rows it held are generated again.

Usage::

    log = ProgressLog.open(output_dir, identity)
    todo = [r for r in requests if r.key not in log.done]
    log.append(records)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ladder import store
from ladder.sample.requests import SampleError

REQUEST_FILE = "request.json"
SAMPLES_JSONL = "samples.jsonl"


def _diff(old: Mapping[str, Any], new: Mapping[str, Any], prefix: str = "") -> list[str]:
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key, "<absent>"), new.get(key, "<absent>")
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            out += _diff(a, b, f"{prefix}{key}.")
        elif a != b:
            out.append(f"{prefix}{key}: {a!r} -> {b!r}")
    return out


def read_records(path: Path, repair: bool = False) -> list[dict[str, Any]]:
    """Read a samples.jsonl (:func:`ladder.store.read_jsonl`): a torn last line dropped, and cut off if ``repair``."""
    return store.read_jsonl(path, repair, SampleError)


class ProgressLog:
    """The progress files of one sampling run in ``output_dir``."""

    def __init__(self, output_dir: Path, records: list[dict[str, Any]]):
        self.output_dir = output_dir
        self.path = output_dir / SAMPLES_JSONL
        self.records = records
        self.done: set[tuple[str, int]] = set()
        for number, record in enumerate(records, start=1):
            key = (record["question_id"], record["sample_idx"])
            if key in self.done:
                raise SampleError(f"{self.path}:{number}: duplicate record for question {key[0]!r} sample {key[1]}")
            self.done.add(key)

    @classmethod
    def open(cls, output_dir: str | Path, identity: Mapping[str, Any]) -> ProgressLog:
        """Open (or start) the progress of a run; refuses a folder holding a different run."""
        output_dir = Path(output_dir)
        output_dir.mkdir(parents=True, exist_ok=True)
        request_path = output_dir / REQUEST_FILE
        identity = json.loads(json.dumps(identity))  # normalise tuples etc. to what JSON gives back
        if request_path.is_file():
            previous = json.loads(request_path.read_text())
            if previous != identity:
                changes = "\n  ".join(_diff(previous, identity))
                raise SampleError(
                    f"{output_dir}: holds samples of a different request; refusing to mix them. Changed:\n  {changes}\n"
                    f"Use another output folder (or delete {request_path.name} and {SAMPLES_JSONL} to start over)."
                )
        else:
            if (output_dir / SAMPLES_JSONL).exists():
                raise SampleError(
                    f"{output_dir}: {SAMPLES_JSONL} exists without {REQUEST_FILE}; cannot tell what it holds"
                )
            text = json.dumps(identity, indent=2, sort_keys=True)
            store.atomic_write(request_path, lambda tmp: tmp.write_text(text))
        return cls(output_dir, read_records(output_dir / SAMPLES_JSONL, repair=True))

    def append(self, records: Iterable[dict[str, Any]]) -> int:
        """Append records whose key is not done yet; returns how many were written."""
        new = []
        for record in records:
            key = (record["question_id"], record["sample_idx"])
            if key not in self.done:
                self.done.add(key)
                new.append(record)
        if not new:
            return 0
        with open(self.path, "a", encoding="utf-8") as handle:
            store.append_jsonl(handle, new)
        self.records.extend(new)
        return len(new)
