"""What every reader of another harness's files yields: :class:`RawSample`, and the field helpers they share.

A raw sample is one response as a reader found it, before its question id and gold are resolved against the
benchmark (:mod:`ladder.ingest.results`). Errors are :class:`IngestError`, naming the file and line or record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class IngestError(ValueError):
    """A results file that cannot be read as the named format; the message names the file and line."""


@dataclass
class RawSample:
    """One response as a reader found it, before question ids and golds are resolved."""

    where: str  # "file:line" or "file: record KEY", for error messages
    model: str
    question: Any  # a doc mapping, or a raw id interpreted with id_format
    sample_idx: int
    response: str
    prompt: str = ""
    id_format: str = "doc"
    n_tokens: int | None = None
    finish_reason: str = "unknown"
    temperature: float | None = None
    top_p: float | None = None
    max_new_tokens: int | None = None
    seed: int | None = None
    source_gold: str | None = None
    source_correct: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def require(record: Any, key: str, where: str) -> Any:
    """``record[key]``; an :class:`IngestError` naming ``where`` when record is not a mapping or lacks the key."""
    if not isinstance(record, dict):
        raise IngestError(f"{where}: expected a JSON object, got {type(record).__name__}")
    if key not in record:
        raise IngestError(f"{where}: missing field '{key}' (fields: {', '.join(map(str, record)) or 'none'})")
    return record[key]


def as_float(value: Any) -> float | None:
    """``value`` as a float, None when missing or not a number."""
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def as_int(value: Any) -> int | None:
    """``value`` as an int, None when missing or not a number."""
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def verdict(value: Any) -> bool | None:
    """A source's own per-sample verdict (True/False, 1/0), None when it is something else (a score, missing)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    return None
