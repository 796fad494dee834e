"""SkyThought ``results.json`` files.

``{key: {problem fields, prompt, responses: [{content, correctness, finish_reason, ...}], token_usages:
[{completion_tokens, ...}]}}``; older files key ``responses`` and ``token_usages`` by temperature. The model
name comes from a ``summary.json`` beside the file, else from the folder name.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from ladder.ingest.raw import IngestError, RawSample, as_float, as_int, require, verdict


def _skythought_model(path: Path) -> str:
    summary = path.with_name("summary.json")
    if summary.is_file():
        try:
            config = json.loads(summary.read_text()).get("configuration") or {}
            found = config.get("model") or (config.get("model_config") or {}).get("model_id")
            if found:
                return str(found)
        except (OSError, json.JSONDecodeError, AttributeError):
            pass
    return path.parent.name


def read_skythought(path: Path, model: str | None) -> Iterator[RawSample]:
    """Samples of one SkyThought ``results.json`` (responses as a list, or keyed by temperature in older files)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise IngestError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(data, dict):
        raise IngestError(f"{path}: expected a JSON object keyed by problem, got {type(data).__name__}")
    model = model or _skythought_model(path)
    for key, record in data.items():
        where = f"{path}: record '{key}'"
        responses = require(record, "responses", where)
        usages = record.get("token_usages") or []
        if isinstance(responses, dict):  # older files: {temperature: [responses]}
            groups = [
                (as_float(t), responses[t], (usages or {}).get(t, []) if isinstance(usages, dict) else [])
                for t in sorted(responses, key=lambda t: float(t))
            ]
        else:
            groups = [(None, responses, usages)]
        question = {k: v for k, v in record.items() if k not in ("responses", "token_usages", "input_conversation")}
        index = 0
        for temperature, entries, token_usages in groups:
            if not isinstance(entries, list):
                raise IngestError(f"{where}: field 'responses' must be a list, got {type(entries).__name__}")
            for position, entry in enumerate(entries):
                content = entry.get("content") if isinstance(entry, dict) else entry
                if not isinstance(content, str):
                    raise IngestError(f"{where}: response {position} has no text 'content'")
                usage = token_usages[position] if position < len(token_usages) else {}
                is_dict = isinstance(entry, dict)
                yield RawSample(
                    where=where,
                    model=model,
                    question=question,
                    sample_idx=index,
                    response=content,
                    prompt=str(record.get("prompt") or ""),
                    temperature=temperature,
                    n_tokens=as_int(usage.get("completion_tokens")) if isinstance(usage, dict) else None,
                    finish_reason=str(entry.get("finish_reason") or "unknown") if is_dict else "unknown",
                    source_gold=None if record.get("answer") is None else str(record["answer"]),
                    source_correct=verdict(entry.get("correctness")) if is_dict else None,
                )
                index += 1
