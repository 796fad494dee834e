"""lm-evaluation-harness ``--log_samples`` files, ``samples_<task>_<date>.jsonl``.

One line per doc and filter; ``resps`` holds every response of the doc (``repeats: K`` gives ``[[r1, ..., rK]]``),
``arguments`` the prompt and generation kwargs (``{"gen_args_0": {"arg_0": prompt, "arg_1": kwargs}}``, or
``[[prompt, kwargs]]`` in older versions). Lines of other filters repeat the same responses and are read once.
The question comes from ``doc`` (url, "2024-I-1" id, problem text), else from ``doc_id`` for the tasks whose
numbering is registered (:data:`LM_EVAL_TASK_ID_FORMATS`). The model name comes from a ``results_*.json``
beside the file, else from the folder name (``org__model``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ladder.ingest.raw import IngestError, RawSample, as_float, as_int, require, verdict

# lm-eval tasks whose doc_id numbering is registered (doc fields are tried first in every task).
LM_EVAL_TASK_ID_FORMATS = {"aime": "lm_eval_aime", "aime_2024": "lm_eval_aime_2024"}
_LM_EVAL_NAME = re.compile(r"^samples_(?P<task>.+?)(?:_(?P<date>\d{4}-\d{2}-\d{2}T[\d\-.:]+))?\.jsonl$")


def _lm_eval_model(path: Path) -> str:
    """Model name from a results_*.json beside the samples file, else from the folder name (org__model)."""
    for results in sorted(path.parent.glob("results_*.json"), reverse=True):
        try:
            data = json.loads(results.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        name = data.get("model_name") or ""
        args = str((data.get("config") or {}).get("model_args") or "")
        match = re.search(r"pretrained=([^,]+)", args)
        if name or match:
            return name or match.group(1)
    return path.parent.name.replace("__", "/")


def _lm_eval_arguments(arguments: Any, where: str) -> tuple[str, dict[str, Any]]:
    if isinstance(arguments, dict) and arguments:  # {"gen_args_0": {"arg_0": prompt, "arg_1": kwargs}}
        first = arguments.get("gen_args_0") or next(iter(arguments.values()))
        if isinstance(first, dict):
            prompt, kwargs = first.get("arg_0", ""), first.get("arg_1", {})
        else:
            raise IngestError(f"{where}: field 'arguments' has an unknown layout")
    elif isinstance(arguments, list) and arguments:  # [[prompt, kwargs], ...]
        first = arguments[0]
        prompt = first[0] if isinstance(first, list) and first else ""
        kwargs = first[1] if isinstance(first, list) and len(first) > 1 else {}
    else:
        return "", {}
    if isinstance(prompt, list):  # chat-formatted prompts are logged as message lists
        prompt = json.dumps(prompt, ensure_ascii=False)
    return str(prompt), kwargs if isinstance(kwargs, dict) else {}


def read_lm_eval(path: Path, model: str | None) -> Iterator[RawSample]:
    """Samples of one lm-evaluation-harness ``samples_*.jsonl`` file (several responses per doc with repeats)."""
    match = _LM_EVAL_NAME.match(path.name)
    task = match.group("task") if match else ""
    model = model or _lm_eval_model(path)
    seen: dict[Any, tuple[str, list[str]]] = {}
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise IngestError(f"{where}: not valid JSON: {exc.msg} (column {exc.colno})") from None
            doc_id = require(record, "doc_id", where)
            resps = require(record, "resps", where)
            if not isinstance(resps, list) or not all(isinstance(r, list) for r in resps):
                raise IngestError(f"{where}: field 'resps' must be a list of lists of responses, got {resps!r:.80}")
            responses = [r for request in resps for r in request]
            if not all(isinstance(r, str) for r in responses):
                raise IngestError(f"{where}: field 'resps' holds non-text responses (a loglikelihood task?)")
            if doc_id in seen:
                first_where, first_responses = seen[doc_id]
                if first_responses == responses:  # the same doc under another filter
                    continue
                raise IngestError(
                    f"{where}: doc_id {doc_id} appears again with other responses (first at {first_where})"
                )
            seen[doc_id] = (where, responses)
            prompt, kwargs = _lm_eval_arguments(record.get("arguments"), where)
            doc = record.get("doc")
            question: Any = doc if isinstance(doc, dict) and doc else doc_id
            id_format = LM_EVAL_TASK_ID_FORMATS.get(task, "doc")
            temperature = as_float(kwargs.get("temperature"))
            if temperature is None and kwargs.get("do_sample") is False:
                temperature = 0.0
            metric = next((record[m] for m in record.get("metrics", ["exact_match"]) if m in record), None)
            for index, response in enumerate(responses):
                yield RawSample(
                    where=where,
                    model=model,
                    question=question,
                    sample_idx=index,
                    response=response,
                    prompt=prompt,
                    id_format=id_format,
                    temperature=temperature,
                    top_p=as_float(kwargs.get("top_p")),
                    max_new_tokens=as_int(kwargs.get("max_gen_toks") or kwargs.get("max_new_tokens")),
                    seed=as_int(kwargs.get("seed")),
                    source_gold=None if record.get("target") is None else str(record["target"]),
                    # lm-eval scores one filtered response per doc: a per-sample verdict only without repeats
                    source_correct=verdict(metric) if len(responses) == 1 else None,
                    extra={"_doc_id": doc_id},
                )
