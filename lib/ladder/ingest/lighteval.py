"""lighteval details parquet files, ``details_*.parquet``.

New layout: columns ``doc`` (query, choices, gold_index, ...), ``model_response`` (text: list of responses,
output_tokens, reasonings) and ``metric``; old layout: ``example``, ``full_prompt``, ``predictions``, ``gold``,
``metrics``, ``specifics``. The model name comes from the path (``details/<org>/<model>/<timestamp>/file``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from ladder.ingest.raw import IngestError, RawSample, require, verdict


def _lighteval_model(path: Path) -> str:
    parts = path.parts
    if "details" in parts:
        start = len(parts) - 1 - parts[::-1].index("details") + 1
        middle = list(parts[start:-1])
        if middle and re.match(r"^\d{4}-\d{2}-\d{2}", middle[-1]):  # details/<org>/<model>/<timestamp>/file
            middle = middle[:-1]
        if middle:
            return "/".join(middle)
    return path.parent.parent.name


def _plain(value: Any) -> Any:
    """parquet structs and lists come back as numpy arrays; make them plain Python."""
    if hasattr(value, "tolist") and not isinstance(value, str | bytes):
        return _plain(value.tolist())
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _new_layout_row(row: dict[str, Any], where: str) -> tuple[Any, Any, Any, Any, str, Any]:
    """(texts, tokens, gold, question, prompt, metric) of a row of the new layout (doc + model_response)."""
    doc, response = _plain(row["doc"]) or {}, _plain(row["model_response"]) or {}
    if not isinstance(doc, dict) or not isinstance(response, dict):
        raise IngestError(f"{where}: columns 'doc' and 'model_response' must be structs")
    texts = require(response, "text", where)
    # Reasoning models served through an API return the thinking apart (`reasonings`, aligned with `text`);
    # put it back in front so extraction sees what the model wrote, in order.
    reasonings = response.get("reasonings") or []
    if isinstance(texts, list) and any(isinstance(r, str) and r for r in reasonings):
        texts = [
            f"<think>{reasonings[i]}</think>\n\n{t}" if i < len(reasonings) and reasonings[i] else t
            for i, t in enumerate(texts)
        ]
    tokens = response.get("output_tokens") or []
    choices, gold_index = doc.get("choices") or [], doc.get("gold_index")
    gold_index = gold_index[0] if isinstance(gold_index, list) and gold_index else gold_index
    gold = choices[gold_index] if isinstance(gold_index, int) and 0 <= gold_index < len(choices) else None
    question = {**(doc.get("specific") or {}), **{k: v for k, v in doc.items() if k != "specific"}}
    prompt = str(response.get("input") or doc.get("query") or "")
    return texts, tokens, gold, question, prompt, _plain(row.get("metric")) or {}


def _old_layout_row(row: dict[str, Any]) -> tuple[Any, Any, Any, Any, str, Any]:
    """(texts, tokens, gold, question, prompt, metric) of a row of the old layout (predictions)."""
    texts = _plain(row["predictions"])
    tokens = _plain(row.get("cont_tokens")) or []
    golds = _plain(row.get("gold")) or []
    gold = golds[0] if isinstance(golds, list) and golds else golds or None
    question = {**(_plain(row.get("specifics")) or {}), "query": row.get("example") or row.get("full_prompt")}
    prompt = str(row.get("full_prompt") or row.get("example") or "")
    return texts, tokens, gold, question, prompt, _plain(row.get("metrics")) or {}


def read_lighteval(path: Path, model: str | None) -> Iterator[RawSample]:
    """Samples of one lighteval details parquet file, new (doc/model_response/metric) or old (predictions) layout."""
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a broken file
        raise IngestError(f"{path}: not a readable parquet file: {exc}") from exc
    model = model or _lighteval_model(path)
    columns = set(frame.columns)
    if {"doc", "model_response"} <= columns:
        new_layout = True
    elif "predictions" in columns and ("example" in columns or "full_prompt" in columns):
        new_layout = False
    else:
        raise IngestError(
            f"{path}: not a lighteval details file: expected columns doc+model_response (new layout) or "
            f"example/full_prompt+predictions (old layout); found {', '.join(map(str, frame.columns))}"
        )
    for row_number, row in enumerate(frame.to_dict("records")):
        where = f"{path}: row {row_number}"
        texts, tokens, gold, question, prompt, metric = (
            _new_layout_row(row, where) if new_layout else _old_layout_row(row)
        )
        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise IngestError(f"{where}: responses must be a list of strings, got {texts!r:.80}")
        metric_values = [v for v in metric.values()] if isinstance(metric, dict) else []
        for index, text in enumerate(texts):
            n_tokens = len(tokens[index]) if index < len(tokens) and isinstance(tokens[index], list) else None
            yield RawSample(
                where=where,
                model=model,
                question=question,
                sample_idx=index,
                response=text,
                prompt=prompt,
                n_tokens=n_tokens,
                source_gold=None if gold is None else str(gold),
                source_correct=verdict(metric_values[0]) if len(texts) == 1 and len(metric_values) == 1 else None,
            )
