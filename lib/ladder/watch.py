"""Progress of a running stage, read from the files it writes: what the runner prints while a stage runs.

The train stage records its planned number of optimizer steps in ``train_progress.json`` when training begins and
appends one line per logged step to ``train_log.jsonl``; the sample stage records the number of requests in
``request.json`` and appends one line per sample to ``samples.jsonl``. :class:`StageWatch` reads what was added
since its last look (a torn last line waits for the next look) and says where the stage is::

    step 120/400 (30%), loss 1.234, ETA 3m10s
    samples 640/1280 (50%), 312 tok/s, ETA 1m05s

A stage that writes neither file gets no text. :func:`watching` polls a stage's folder from a background thread
while the stage runs and reports each text that differs from the one before, so a stage that writes nothing new
prints nothing new. The stage notebooks do not import this module: editing it changes no stage hash.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# The files' names as the stages write them (tests check they match ladder.train and ladder.sample.progress;
# importing those here would load the stages' dependencies into the runner).
TRAIN_LOG = "train_log.jsonl"  # ladder.train.LOG_NAME
TRAIN_PROGRESS = "train_progress.json"  # ladder.train.PROGRESS_NAME
SAMPLE_REQUEST = "request.json"  # ladder.sample.progress.REQUEST_FILE
SAMPLES = "samples.jsonl"  # ladder.sample.progress.SAMPLES_JSONL


def duration(seconds: float) -> str:
    """A short duration: ``45s``, ``3m10s``, ``2h05m``."""
    s = max(0, round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):  # absent, or caught mid-write by a writer that does not rename
        return None
    return value if isinstance(value, dict) else None


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


class _Tail:
    """The complete lines added to an append-only JSON-lines file since the last read.

    A file rewritten in between (a resumed train stage cuts the steps it will redo) is noticed by the bytes before
    the read position no longer being the ones read last, and read again from its start.
    """

    KEEP = 64  # bytes before the read position remembered to notice a rewrite

    def __init__(self, path: Path):
        self.path = path
        self.offset = 0  # bytes up to the end of the last complete line read
        self.seen = b""  # the KEEP bytes before offset, as read

    def skip(self) -> int:
        """Move past the complete lines there now, without parsing them; returns how many."""
        lines = 0
        with contextlib.suppress(OSError), open(self.path, "rb") as handle:
            while chunk := handle.read(2**20):
                lines += chunk.count(b"\n")
                if b"\n" in chunk:
                    self.offset = handle.tell() - len(chunk) + chunk.rfind(b"\n") + 1
            handle.seek(max(0, self.offset - self.KEEP))
            self.seen = handle.read(min(self.offset, self.KEEP))
        return lines

    def read(self) -> tuple[list[dict[str, Any]], bool]:
        """(records added since the last read, whether the file was rewritten: then the records are all of it)."""
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self.offset - len(self.seen))
                data = handle.read()
                rewritten = not data.startswith(self.seen)
                if rewritten:
                    handle.seek(0)
                    data = handle.read()
                    self.offset, self.seen = 0, b""
                else:
                    data = data[len(self.seen) :]
        except OSError:
            return [], False
        end = data.rfind(b"\n") + 1  # a last line without its newline is still being written
        self.offset += end
        self.seen = (self.seen + data[:end])[-self.KEEP :]
        records = []
        for line in data[:end].splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                records.append(record)
        return records, rewritten


class StageWatch:
    """Where a running stage is, from the files in its working folder (the ``.partial`` folder while it runs).

    Samples already in ``samples.jsonl`` when the watch starts (a resumed stage) count as done but not in the
    token rate, which covers the samples written since then.
    """

    def __init__(self, folder: str | Path, started: float | None = None):
        self.folder = Path(folder)
        self.started = time.time() if started is None else started
        self._log = _Tail(self.folder / TRAIN_LOG)
        self._step: int | None = None
        self._loss: float | None = None
        self._timed: tuple[int, float] | None = None  # (step, seconds since training began) of the last timed row
        self._samples = _Tail(self.folder / SAMPLES)
        self._samples_before = self._samples.skip()
        self._samples_new = 0
        self._tokens_new = 0

    def poll(self) -> str | None:
        """One line saying where the stage is, or None when it writes no progress (yet)."""
        if (self.folder / TRAIN_LOG).exists() or (self.folder / TRAIN_PROGRESS).exists():
            return self._train()
        if (self.folder / SAMPLE_REQUEST).exists():
            return self._sample()
        return None

    def _train(self) -> str | None:
        rows, rewritten = self._log.read()
        if rewritten:  # a resumed run cut the steps it will redo
            self._step = self._loss = self._timed = None
        for row in rows:
            step = row.get("step")
            if not isinstance(step, int):
                continue
            self._step = step
            if isinstance(row.get("loss"), int | float):  # the closing summary row has train_loss instead
                self._loss = row["loss"]
                if isinstance(row.get("train_runtime"), int | float):
                    self._timed = (step, row["train_runtime"])
        plan = _read_json(self.folder / TRAIN_PROGRESS) or {}
        total = plan.get("max_steps") if isinstance(plan.get("max_steps"), int) and plan["max_steps"] > 0 else None
        if self._step is None and total is None:
            return None
        step = self._step or 0
        text = f"step {step}/{total} ({100 * step // total}%)" if total else f"step {step}"
        if self._loss is not None:
            text += f", loss {self._loss:.4g}"
        if total and step < total and (rate := self._step_rate(plan)):
            text += f", ETA {duration((total - step) / rate)}"
        return text

    def _step_rate(self, plan: dict[str, Any]) -> float | None:
        """Optimizer steps per second since training began (this session: a resumed run starts at start_step)."""
        start = plan.get("start_step", 0) if isinstance(plan.get("start_step"), int) else 0
        if self._timed is not None:
            step, seconds = self._timed
        else:  # no runtime in the log: the log's last write since the recorded start
            began, last = plan.get("started"), _mtime(self.folder / TRAIN_LOG)
            if not isinstance(began, int | float) or last is None or self._step is None:
                return None
            step, seconds = self._step, last - began
        return (step - start) / seconds if step > start and seconds > 0 else None

    def _sample(self) -> str | None:
        request = _read_json(self.folder / SAMPLE_REQUEST) or {}
        total = request.get("n_requests")
        if not isinstance(total, int) or total <= 0:
            return None
        rows, rewritten = self._samples.read()
        if rewritten:
            self._samples_before = self._samples_new = self._tokens_new = 0
        self._samples_new += len(rows)
        self._tokens_new += sum(r["n_tokens"] for r in rows if isinstance(r.get("n_tokens"), int))
        done = self._samples_before + self._samples_new
        text = f"samples {done}/{total} ({100 * done // total}%)"
        # Generation begins once request.json is written (a resumed stage wrote it before this watch began).
        began = max(self.started, _mtime(self.folder / SAMPLE_REQUEST) or self.started)
        last = _mtime(self.folder / SAMPLES)
        seconds = last - began if last is not None else 0.0
        if self._samples_new and seconds > 0:
            text += f", {self._tokens_new / seconds:.0f} tok/s"
            if done < total:
                text += f", ETA {duration((total - done) * seconds / self._samples_new)}"
        return text


@contextlib.contextmanager
def watching(folder: str | Path, interval_s: float, report: Callable[[str], None] | None) -> Iterator[None]:
    """While the block runs, look at ``folder`` every ``interval_s`` seconds and ``report`` each new text.

    Nothing happens when ``report`` is None or ``interval_s`` is 0. The watch stops before the block's exit
    returns, so no report comes after it.
    """
    if report is None or interval_s <= 0:
        yield
        return
    watch = StageWatch(folder)
    stop = threading.Event()

    def loop() -> None:
        last = None
        while not stop.wait(interval_s):
            try:
                text = watch.poll()
            except Exception:  # a progress line is never worth disturbing the stage
                continue
            if text and text != last and not stop.is_set():
                report(text)
                last = text

    thread = threading.Thread(target=loop, name=f"watch {Path(folder).name}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
