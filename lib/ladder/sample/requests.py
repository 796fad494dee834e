"""One request schema for every backend: prompts, per-sample seeds, and the run's identity.

A request is one (question, sample) pair. Its prompt is the benchmark question put into the
template and, by default, into the model's chat template as a user turn; its seed is derived from
(base seed, question id, sample index) alone, so it does not depend on which other requests run
with it, in which order, or whether the run was resumed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ladder.sample.params import SampleParams

QUESTION_COLUMNS = ("question_id", "problem", "answer")


class SampleError(ValueError):
    """Bad sampling input or a run that cannot continue; the message names what and where."""


@dataclass(frozen=True)
class SampleRequest:
    """One (question, sample): what is sent to the engine and the seed it samples with."""

    question_id: str
    sample_idx: int
    prompt: str  # exact text given to the model (chat template applied), or JSON messages for a chat API
    seed: int
    gold: str

    @property
    def key(self) -> tuple[str, int]:
        return (self.question_id, self.sample_idx)


def derive_seed(seed: int, question_id: str, sample_idx: int) -> int:
    """Seed of one (question, sample): a 31-bit integer from sha256 of the three parts.

    Hand-written because Python's ``hash`` is salted per process and numpy's SeedSequence wants
    integers, while question ids are strings; 31 bits fit every engine's seed field (vLLM, OpenAI).
    """
    digest = hashlib.sha256(f"{seed}\x1f{question_id}\x1f{sample_idx}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def prompt_hash(prompt: str) -> str:
    """sha256[:16] of a prompt, as in the samples schema."""
    return hashlib.sha256(prompt.encode()).hexdigest()[:16]


def check_questions(questions: pd.DataFrame, source: str = "<questions>") -> pd.DataFrame:
    """Check a questions table (question_id, problem, answer) and return it with string ids."""
    missing = [c for c in QUESTION_COLUMNS if c not in questions.columns]
    if missing:
        raise SampleError(f"{source}: missing column(s) {', '.join(missing)}; expected {', '.join(QUESTION_COLUMNS)}")
    out = questions.copy()
    out["question_id"] = out["question_id"].astype(str)
    dup = out["question_id"][out["question_id"].duplicated()]
    if len(dup):
        raise SampleError(f"{source}: question_id {dup.iloc[0]!r} appears more than once")
    empty = out["problem"].isna() | (out["problem"].astype(str).str.strip() == "")
    if empty.any():
        raise SampleError(f"{source}: question {out.loc[empty, 'question_id'].iloc[0]!r} has an empty problem")
    return out


def select_questions(questions: pd.DataFrame, question_ids: list[str], source: str = "<questions>") -> pd.DataFrame:
    """Keep the questions named in ``question_ids`` (all when empty); an unknown id is an error."""
    if not question_ids:
        return questions
    known = set(questions["question_id"])
    unknown = [q for q in question_ids if q not in known]
    if unknown:
        raise SampleError(
            f"{source}: question_ids {', '.join(unknown)} not in the benchmark (it has {len(known)} questions, "
            f"e.g. {', '.join(sorted(known)[:5])})"
        )
    return questions[questions["question_id"].isin(question_ids)]


def render_prompt(problem: str, params: SampleParams, tokenizer=None) -> str:
    """The prompt for one problem: the template filled in, then the chat template when asked for.

    ``str.replace`` rather than ``str.format``: problems are LaTeX, full of braces.
    """
    text = params.template_text().replace("{problem}", problem)
    if params.backend == "openai" and params.openai_api == "chat":
        return json.dumps([{"role": "user", "content": text}], ensure_ascii=False)
    if not params.apply_chat_template:
        return text
    if tokenizer is None or not getattr(tokenizer, "chat_template", None):
        raise SampleError(
            "apply_chat_template is true but the model's tokenizer has no chat template; "
            "set sample.apply_chat_template=false for a base model"
        )
    return tokenizer.apply_chat_template(
        [{"role": "user", "content": text}], tokenize=False, add_generation_prompt=True
    )


def prompt_token_ids(prompts: list[str], params: SampleParams, tokenizer) -> list[list[int]]:
    """The token ids an engine is given for each rendered prompt: the tokenizer's special tokens are added only
    where no chat template already put them in the text."""
    return tokenizer(list(prompts), add_special_tokens=not params.apply_chat_template)["input_ids"]


def build_requests(questions: pd.DataFrame, params: SampleParams, tokenizer=None) -> list[SampleRequest]:
    """Every (question, sample) request in canonical order: questions in table order, samples 0..n-1."""
    requests = []
    for row in questions.itertuples(index=False):
        prompt = render_prompt(str(row.problem), params, tokenizer)
        gold = "" if pd.isna(row.answer) else str(row.answer)
        for idx in range(params.n):
            requests.append(
                SampleRequest(str(row.question_id), idx, prompt, derive_seed(params.seed, row.question_id, idx), gold)
            )
    return requests


# Params that only change how fast rows come, never which rows: left out of the run's identity.
THROUGHPUT_ONLY = {
    "concurrency",
    "max_retries",
    "request_timeout_s",
    "gpu_memory_utilization",
    "max_model_len",
    "openai_api_key_env",
    "data_parallel_size",
}


def run_identity(
    params: SampleParams, model_name: str, model_revision: str, backend_version: str, requests: list[SampleRequest]
) -> dict[str, Any]:
    """Everything that decides the produced rows; a resumed run must match it exactly.

    The request list enters through its hash (prompts, seeds, gold answers), so a changed
    benchmark file or tokenizer chat template is a different run too. ``batch_size``, ``device``
    and ``cpu_threads`` count although they do not change the random draws: they change the
    floating-point arithmetic and so, rarely, a token (``batch_size`` for the hf and vllm backends, whose
    batches are the canonical chunks of the request list).
    """
    settings = {k: v for k, v in params.model_dump().items() if k not in THROUGHPUT_ONLY}
    if params.backend == "openai":
        settings.pop("batch_size")
    settings.pop("model_name")
    listing = hashlib.sha256()
    for r in requests:
        listing.update(json.dumps([r.question_id, r.sample_idx, r.prompt, r.seed, r.gold]).encode())
    return {
        "settings": settings,
        "model_name": model_name,
        "model_revision": model_revision,
        "backend_version": backend_version,
        "requests_sha256": listing.hexdigest(),
        "n_requests": len(requests),
    }


def canonical_batches(requests: list[SampleRequest], batch_size: int) -> list[list[SampleRequest]]:
    """Chunk the full request list into fixed batches; a resumed run re-forms exactly the same ones."""
    return [requests[i : i + batch_size] for i in range(0, len(requests), batch_size)]


def check_lengths(
    requests: list[SampleRequest], prompt_lengths: list[int], max_new_tokens: int, limit: int, what: str
):
    """Refuse, before any generation, a request whose prompt + max_new_tokens exceeds ``limit`` tokens."""
    worst = max(range(len(requests)), key=lambda i: prompt_lengths[i], default=None)
    if worst is None:
        return
    need = prompt_lengths[worst] + max_new_tokens
    if need > limit:
        raise SampleError(
            f"question {requests[worst].question_id!r}: prompt of {prompt_lengths[worst]} tokens + max_new_tokens "
            f"{max_new_tokens} = {need} exceeds {what} = {limit}; lower sample.max_new_tokens to at most "
            f"{limit - prompt_lengths[worst]} or use a model with a longer context"
        )


@dataclass(frozen=True)
class Generation:
    """What an engine returned for one request."""

    response: str
    n_tokens: int | None  # generated tokens including the end-of-sequence token; None when unknown
    finish_reason: str  # stop | length | unknown


def finish_reason(engine_reason: str | None) -> str:
    """Map an engine's finish reason onto the schema's stop | length | unknown."""
    return engine_reason if engine_reason in ("stop", "length") else "unknown"
