"""LLM judge of strategy similarity: two solutions of one question rated 1-5, through any OpenAI-compatible server.

The study (finding 6) has an LLM rate how similar two solutions' *strategies* are (the approach and the
sequence of key steps, not the final answer, not the wording); SFT models land at 4-5 of 5 against R1 on
Medium questions. Here the judge is any chat-completions server (a hosted API, ``vllm serve``,
``transformers serve``), asked at temperature 0 for a reply that is only ``{"score": 1-5, "reason": "..."}``.
:func:`parse_verdict` is strict: a reply that is not exactly that object is recorded as "unparsable" with
the reason, never read for a number in free text.

Verdicts go to a JSONL cache as they arrive (flushed and fsync'd line by line), keyed by the pair (its ids
and a hash of its texts), the judge model, the prompt template's hash and a hash of the message actually
sent (so a changed ``max_solution_chars`` that cuts a text differently asks again). Killing the process and
re-running asks only what is missing; a torn last line is dropped. Requests that fail after the client's
retries are returned as status "error" and not cached, so a re-run asks them again.

Usage::

    from ladder.strategies.judge import PairRequest, judge_pairs
    pairs = [PairRequest("60", question, "r1/0", r1_text, "sft/0", sft_text)]
    verdicts = judge_pairs(pairs, params, cache_dir / "judge.jsonl")  # one row per pair, score 1-5 or <NA>
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from ladder import store
from ladder.openai_server import server_api_key
from ladder.strategies.params import StrategiesError, StrategiesParams

# openai takes seconds to import: _judge_todo, the one function that talks to the server, imports it.

PROMPT_VERSION = "strategy-judge-v1"
JUDGE_PROMPT = """\
You compare the problem-solving STRATEGIES of two solutions to the same math problem.

A strategy is the approach and the sequence of key steps: how the problem is set up, which method, \
identity or theorem is used, and what is derived or computed in what order. Ignore the final answer \
(either solution may be right or wrong), the wording, the length, the notation, and any checking, \
hesitation or repetition.

Rate how similar the two strategies are:
5 = the same strategy and the same key steps
4 = the same strategy, with minor differences in the steps
3 = partly shared: some key steps in common, others different
2 = a different strategy that shares a step
1 = entirely different strategies

=== Problem ===
{question}

=== Solution A ===
{first}

=== Solution B ===
{second}

Reply with ONLY a JSON object and nothing else: {{"score": <integer 1-5>, "reason": "<one sentence>"}}"""

DEFAULT_BASE_URL = "https://api.openai.com/v1"  # the openai client's own default
COLUMNS = [
    "question_id",
    "first_key",
    "second_key",
    "pair_key",
    "judge_model",
    "prompt_hash",
    "score",
    "reason",
    "status",
    "problem",
    "raw",
]
_FENCE = re.compile(r"```(?:json)?[ \t]*\n?(.*?)\n?[ \t]*```", re.DOTALL | re.IGNORECASE)
CacheKey = tuple[str, str, str, str]  # (pair_key, judge_model, prompt_hash, hash of the message sent)
_RECORD_KEYS = ("pair_key", "judge_model", "prompt_hash", "sent", "score", "reason", "status", "problem", "raw")


def _sha(*parts: str, length: int = 12) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()[:length]


def prompt_hash() -> str:
    """Short sha256 of :data:`JUDGE_PROMPT`: a changed template never reuses an old verdict."""
    return hashlib.sha256(JUDGE_PROMPT.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class PairRequest:
    """One question and two of its solutions to be compared, each solution named by a key (e.g. ``model/sample``)."""

    question_id: str
    question: str
    first_key: str
    first: str
    second_key: str
    second: str

    @property
    def key(self) -> str:
        """The pair's cache key: its ids and a short hash of its texts (a changed sample is asked again)."""
        digest = _sha(self.question_id, self.first_key, self.second_key, self.question, self.first, self.second)
        return f"{self.question_id}|{self.first_key}|{self.second_key}|{digest}"


@dataclass(frozen=True)
class Verdict:
    """The judge's reply: ``score`` 1..5 and ``reason`` when ``status`` is "ok"; else ``problem`` says why not."""

    score: int | None
    reason: str
    status: str  # "ok" | "unparsable" | "error"
    raw: str
    problem: str = ""


_JSON_TYPES = {"str": "a string", "float": "a float", "bool": "a boolean", "int": "an integer", "NoneType": "null"}


def _kind(value: Any) -> str:
    name = type(value).__name__
    return _JSON_TYPES.get(name, {"list": "an array", "dict": "an object"}.get(name, name))


def _unparsable(raw: str, problem: str) -> Verdict:
    return Verdict(None, "", "unparsable", raw, problem)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise ValueError(f"duplicate key {', '.join(repeated)}")
    return dict(pairs)


def parse_verdict(text: str) -> Verdict:
    """Read a reply that must be exactly ``{"score": <int 1-5>, "reason": "<non-empty>"}`` (a ``` fence allowed).

    Strict: no other keys, no second object or trailing text, a score that is an integer (not a bool, float or
    string). Anything else is status "unparsable" with ``problem`` saying why; no score is guessed from text.
    """
    body = text.strip()
    fenced = _FENCE.fullmatch(body)
    if fenced:
        body = fenced.group(1).strip()
    if not body:
        return _unparsable(text, "empty reply")
    try:
        value, end = json.JSONDecoder(object_pairs_hook=_no_duplicates).raw_decode(body)
    except json.JSONDecodeError as exc:
        return _unparsable(text, f"not a JSON object ({exc.msg} at char {exc.pos})")
    except ValueError as exc:  # the hook's duplicate key
        return _unparsable(text, str(exc))
    rest = body[end:].strip()
    if rest:
        extra = "a second JSON value" if rest[0] in '{["' else "text"
        return _unparsable(text, f"{extra} after the JSON object: {rest[:40]!r}")
    if not isinstance(value, dict):
        return _unparsable(text, f"not a JSON object ({_kind(value)})")
    missing = [k for k in ("score", "reason") if k not in value]
    if missing:
        return _unparsable(text, f"missing key {', '.join(missing)}")
    unexpected = sorted(set(value) - {"score", "reason"})
    if unexpected:
        return _unparsable(text, f"unexpected key {', '.join(unexpected)}")
    score, reason = value["score"], value["reason"]
    if isinstance(score, bool) or not isinstance(score, int):
        return _unparsable(text, f"score {json.dumps(score)} is {_kind(score)}, not an integer")
    if not 1 <= score <= 5:
        return _unparsable(text, f"score {score} outside 1..5")
    if not isinstance(reason, str):
        return _unparsable(text, f"reason is {_kind(reason)}, not a string")
    if not reason.strip():
        return _unparsable(text, "empty reason")
    return Verdict(score, reason.strip(), "ok", text, "")


def truncate_middle(text: str, max_chars: int) -> str:
    """``text`` if it has at most ``max_chars`` characters, else its head and tail around a "[... N characters cut ...]"
    marker, ``max_chars`` characters in all."""
    if len(text) <= max_chars:
        return text
    cut = len(text) - max_chars
    while True:  # the marker's length depends on the number it names
        marker = f"\n[... {cut} characters cut ...]\n"
        keep = max_chars - len(marker)
        if keep < 2:
            raise ValueError(f"max_chars {max_chars} leaves no room for the cut marker")
        if len(text) - keep == cut:
            break
        cut = len(text) - keep
    head = (keep + 1) // 2
    return text[:head] + marker + text[len(text) - (keep - head) :]


def _message(pair: PairRequest, max_chars: int) -> str:
    return JUDGE_PROMPT.format(
        question=pair.question.strip(),
        first=truncate_middle(pair.first.strip(), max_chars),
        second=truncate_middle(pair.second.strip(), max_chars),
    )


# --- the cache ------------------------------------------------------------------------------------------


def _read_cache(path: Path, repair: bool = False) -> dict[CacheKey, dict[str, Any]]:
    """The cache's records by (pair_key, judge_model, prompt_hash, sent): :func:`ladder.store.read_jsonl` (a torn
    last line dropped, and cut off if ``repair``), each line checked to be a verdict record."""
    records: dict[CacheKey, dict[str, Any]] = {}
    for number, record in enumerate(store.read_jsonl(path, repair, StrategiesError), start=1):
        if not isinstance(record, dict) or any(k not in record for k in _RECORD_KEYS):
            raise StrategiesError(
                f"{path}:{number}: not a verdict record; the judge cache is corrupt (delete the line or the file)"
            )
        records[record["pair_key"], record["judge_model"], record["prompt_hash"], record["sent"]] = record
    return records


def _record(pair: PairRequest, model: str, sent: str, verdict: Verdict) -> dict[str, Any]:
    return {
        "pair_key": pair.key,
        "judge_model": model,
        "prompt_hash": prompt_hash(),
        "sent": sent,
        "question_id": pair.question_id,
        "first_key": pair.first_key,
        "second_key": pair.second_key,
        "score": verdict.score,
        "reason": verdict.reason,
        "status": verdict.status,
        "problem": verdict.problem,
        "raw": verdict.raw,
    }


# --- the server -----------------------------------------------------------------------------------------


def _base_url(params: StrategiesParams) -> str:
    return params.judge_base_url or os.environ.get("OPENAI_BASE_URL", "") or DEFAULT_BASE_URL


def _api_key(params: StrategiesParams, base_url: str) -> str:
    return server_api_key(base_url, params.judge_api_key_env, f"judge {params.judge}", StrategiesError)


def _ask(client, params: StrategiesParams, message: str) -> Verdict:
    try:
        reply = client.chat.completions.create(
            model=params.judge_model,
            messages=[{"role": "user", "content": message}],
            temperature=0,
            max_tokens=params.judge_max_tokens,
        )
        text = reply.choices[0].message.content or ""
    except Exception as exc:  # the client has already retried what is worth retrying
        return Verdict(None, "", "error", "", f"{type(exc).__name__}: {exc}")
    return parse_verdict(text)


def _judge_todo(
    todo: dict[CacheKey, tuple[PairRequest, str]],
    params: StrategiesParams,
    base_url: str,
    handle,
    progress: bool,
) -> dict[CacheKey, Verdict]:
    """Ask every pair of ``todo`` (by cache key), appending each non-error verdict to ``handle`` on arrival.

    StrategiesError when every request failed (a dead server), or as soon as the first
    ``max(8, 2 * judge_concurrency)`` answers are all errors: a dead server or a wrong model name stops the
    stage in seconds, not after every pair has been tried.
    """
    import openai  # seconds to import; only a run that asks the judge needs it

    give_up_after = min(len(todo), max(8, 2 * params.judge_concurrency))
    verdicts: dict[CacheKey, Verdict] = {}
    errors: list[str] = []
    bar = tqdm(total=len(todo), desc="judge", unit="pair", disable=not progress)
    pool = ThreadPoolExecutor(max_workers=params.judge_concurrency, thread_name_prefix="ladder-judge")
    client = openai.OpenAI(
        api_key=_api_key(params, base_url),
        base_url=base_url,
        timeout=params.judge_timeout_s,
        max_retries=params.judge_max_retries,
    )
    try:
        pending = {pool.submit(_ask, client, params, message): (key, pair) for key, (pair, message) in todo.items()}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                key, pair = pending.pop(future)
                verdict = verdicts[key] = future.result()
                bar.update(1)
                if verdict.status == "error":
                    errors.append(verdict.problem)
                    continue
                store.append_jsonl(handle, [_record(pair, params.judge_model, key[3], verdict)])
            if len(errors) == len(verdicts) >= give_up_after:
                which = f"all {len(errors)}" if len(errors) == len(todo) else f"the first {len(errors)}"
                raise StrategiesError(
                    f"judge {params.judge_model!r} at {base_url}: {which} requests failed "
                    f"(after {params.judge_max_retries} retries each); first error: {errors[0]}"
                )
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # Ctrl-C or an early stop: no queued request is sent
        client.close()
        bar.close()
    return verdicts


def judge_pairs(
    pairs: Sequence[PairRequest], params: StrategiesParams, cache_file: Path, progress: bool = False
) -> pd.DataFrame:
    """Judge every pair not yet in ``cache_file``; one row per pair, in input order (columns :data:`COLUMNS`).

    ``score`` is a nullable Int64 (``<NA>`` unless status "ok"). The judge is ``params.judge``
    (``openai:MODEL``) at ``params.judge_base_url`` (else ``OPENAI_BASE_URL``, else api.openai.com), keyed by
    the environment variable ``params.judge_api_key_env`` ("EMPTY" for a local server without one). Requests
    that still fail after the client's retries come back as status "error", uncached; StrategiesError when
    every request failed (a dead server), naming the server and the first error.
    """
    model = params.judge_model
    if not model:
        raise StrategiesError("no judge: params.judge is empty (set it to openai:MODEL)")
    cache_file = Path(cache_file)
    phash = prompt_hash()
    asks = []  # (pair, the message sent for it, its cache key), in input order
    for pair in pairs:
        message = _message(pair, params.max_solution_chars)
        asks.append((pair, message, (pair.key, model, phash, _sha(message, length=16))))
    cached = _read_cache(cache_file)
    fresh: dict[CacheKey, Verdict] = {}
    if any(key not in cached for _, _, key in asks):
        base_url = _base_url(params)
        _api_key(params, base_url)  # fail on a missing key before opening anything
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        with open(cache_file, "a", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # one writer at a time; re-read what a previous holder wrote
            cached = _read_cache(cache_file, repair=True)  # a torn last line cut off before appending
            todo = {key: (pair, message) for pair, message, key in asks if key not in cached}  # a repeat: asked once
            if todo:
                fresh = _judge_todo(todo, params, base_url, handle, progress)
    rows = []
    for pair, _, key in asks:
        verdict = fresh.get(key)
        if verdict is None:
            record = cached[key]
            verdict = Verdict(record["score"], record["reason"], record["status"], record["raw"], record["problem"])
        rows.append(
            {
                "question_id": pair.question_id,
                "first_key": pair.first_key,
                "second_key": pair.second_key,
                "pair_key": pair.key,
                "judge_model": model,
                "prompt_hash": phash,
                "score": verdict.score,
                "reason": verdict.reason,
                "status": verdict.status,
                "problem": verdict.problem,
                "raw": verdict.raw,
            }
        )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["score"] = frame["score"].astype("Int64")
    return frame
