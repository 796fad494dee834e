"""Resuming after a kill: the last complete checkpoint, and the leftovers of the killed run to clear first.

The Trainer saves ``checkpoints/checkpoint-N/`` every ``save_steps`` steps and writes ``trainer_state.json`` last,
so a folder without a readable one was cut short. A re-run into the same output folder resumes from the newest
complete checkpoint, deletes the newer incomplete ones and drops the log lines of the steps it will redo; its
report's ``train_loss`` is then the mean over the whole run's log (:func:`run_mean_loss`), as without the kill.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from ladder import store

STATE_NAME = "trainer_state.json"  # what the Trainer writes last into a checkpoint


def checkpoint_step(folder: Path) -> int | None:
    """The step N of a ``checkpoint-N`` folder; None when the name does not end in a number."""
    step = folder.name.rsplit("-", 1)[-1]
    return int(step) if step.isdigit() else None


def _numbered(checkpoints_dir: Path) -> list[tuple[int, Path]]:
    from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR  # transformers: heavy, only when training

    if not checkpoints_dir.is_dir():
        return []
    found = [(checkpoint_step(f), f) for f in checkpoints_dir.glob(f"{PREFIX_CHECKPOINT_DIR}-*")]
    return [(step, folder) for step, folder in found if step is not None]


def last_complete_checkpoint(checkpoints_dir: str | Path) -> Path | None:
    """The newest ``checkpoint-N`` whose ``trainer_state.json`` was written (the Trainer writes it last) and parses."""
    found = []
    for step, folder in _numbered(Path(checkpoints_dir)):
        try:
            state = json.loads((folder / STATE_NAME).read_text())
        except (OSError, ValueError):
            continue  # killed while saving: incomplete
        if state.get("global_step") == step:
            found.append((step, folder))
    return max(found)[1] if found else None


def remove_incomplete_checkpoints(checkpoints_dir: Path, keep: Path | None) -> list[Path]:
    """Delete checkpoint folders newer than ``keep`` (left by a kill mid-save) so the Trainer never reads them."""
    keep_step = checkpoint_step(keep) if keep else -1
    removed = []
    for step, folder in _numbered(checkpoints_dir):
        if step > keep_step:
            shutil.rmtree(folder)
            removed.append(folder)
    return removed


def _log_lines(log_path: Path) -> list[tuple[str, dict[str, Any]]]:
    """The lines of ``train_log.jsonl`` with their records; a line cut short by a kill is left out."""
    out = []
    for line in log_path.read_text().splitlines():
        try:
            out.append((line, json.loads(line)))
        except ValueError:
            continue
    return out


def truncate_log(log_path: Path, last_step: int) -> None:
    """Drop log lines after ``last_step``: a killed run logged steps that the resumed run will redo.

    Rewritten atomically: a kill while truncating leaves the old log, never a shorter one.
    """
    if not log_path.is_file():
        return
    kept = "".join(f"{line}\n" for line, row in _log_lines(log_path) if row.get("step", 0) <= last_step)
    store.atomic_write(log_path, lambda tmp: tmp.write_text(kept))


def run_mean_loss(log_path: Path) -> float | None:
    """Mean training loss over every step in ``train_log.jsonl``, each logged loss weighted by the steps it covers.

    After a resume the Trainer's ``training_loss`` averages only the steps of its own session; the log (truncated
    to the checkpoint, then continued) holds every step of the run once.
    """
    if not log_path.is_file():
        return None
    losses = sorted(
        (row["step"], row["loss"]) for _, row in _log_lines(log_path) if isinstance(row.get("loss"), int | float)
    )
    weighted, steps, previous = 0.0, 0, 0
    for step, loss in losses:
        if step > previous:
            weighted += loss * (step - previous)
            steps += step - previous
            previous = step
    return weighted / steps if steps else None


def tokens_at(checkpoint: Path) -> int:
    """Real (non-padding) tokens the run had seen when it saved ``checkpoint``."""
    return int(json.loads((checkpoint / STATE_NAME).read_text()).get("num_input_tokens_seen", 0))
