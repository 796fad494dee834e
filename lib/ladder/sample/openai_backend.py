"""The ``openai`` backend: any OpenAI-compatible server (``vllm serve``, sglang, ``transformers serve``, a hosted API).

``openai_api="completions"`` sends the prompt text with the chat template already applied here
(from the model's tokenizer), so the server sees exactly the recorded prompt; ``"chat"`` sends the
messages and lets the server apply its own template. Requests run with at most ``concurrency`` in
flight; the ``openai`` client retries timeouts, connection errors, 429 and 5xx with exponential
backoff (``max_retries``), each try bounded by ``request_timeout_s``. The API key is read from the
environment variable named by ``openai_api_key_env``, never from params files.

Each request sends its own seed; whether the server honours it (and how) is up to the server, so
this backend's rows are reproducible only as far as the server's sampling is.
"""

from __future__ import annotations

import asyncio
import json
import queue
import threading
from collections.abc import Iterator

from ladder.openai_server import server_api_key
from ladder.sample.params import SampleParams
from ladder.sample.requests import Generation, SampleError, SampleRequest, finish_reason

# openai takes seconds to import: the functions that talk to the server import it.

_DONE = object()


def backend_version() -> str:
    """Version string of the client, recorded in every row (the server's version is not reported by the API)."""
    import openai

    return f"openai-client {openai.__version__}"


def engine_info(model_path: str, params: SampleParams, requests: list[SampleRequest], tokenizer) -> dict:
    """What runs the requests: a server behind ``openai_base_url`` (its engine and device are its own)."""
    import openai

    return {
        "engine": "openai-compatible server",
        "version": f"openai-client {openai.__version__}",
        "device": "server",
        "arguments": {"base_url": params.openai_base_url, "api": params.openai_api},
    }


def api_key(params: SampleParams) -> str:
    """The API key from the environment; a local server without a key gets a placeholder."""
    return server_api_key(params.openai_base_url, params.openai_api_key_env, "backend 'openai'", SampleError)


async def _one(client, params: SampleParams, model: str, request: SampleRequest) -> Generation:
    common = dict(
        model=model,
        max_tokens=params.max_new_tokens,
        temperature=params.temperature,
        top_p=params.top_p,
        seed=request.seed,
    )
    try:
        if params.openai_api == "chat":
            reply = await client.chat.completions.create(messages=json.loads(request.prompt), **common)
            text = reply.choices[0].message.content or ""
        else:
            reply = await client.completions.create(prompt=request.prompt, **common)
            text = reply.choices[0].text
    except Exception as exc:  # the client has already retried what is worth retrying
        raise SampleError(
            f"backend 'openai' at {params.openai_base_url}: question {request.question_id!r} sample "
            f"{request.sample_idx} failed after {params.max_retries} retries: {type(exc).__name__}: {exc}"
        ) from exc
    n_tokens = reply.usage.completion_tokens if reply.usage is not None else None
    return Generation(text, n_tokens, finish_reason(reply.choices[0].finish_reason))


async def _run_all(params: SampleParams, model: str, todo: list[SampleRequest], put) -> None:
    from openai import AsyncOpenAI

    limit = asyncio.Semaphore(params.concurrency)

    async def bounded(request):
        async with limit:
            put([(request, await _one(client, params, model, request))])

    async with AsyncOpenAI(
        api_key=api_key(params),
        base_url=params.openai_base_url,
        timeout=params.request_timeout_s,
        max_retries=params.max_retries,
    ) as client:
        tasks = [asyncio.create_task(bounded(r)) for r in todo]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()


def generate(
    model: str, params: SampleParams, requests: list[SampleRequest], pending: set, progress=None
) -> Iterator[list[tuple[SampleRequest, Generation]]]:
    """Yield each finished request as soon as it is back (one-item lists), in completion order."""
    todo = [r for r in requests if r.key in pending]
    api_key(params)  # fail on a missing key before any request
    results: queue.Queue = queue.Queue()

    def worker():
        # The event loop runs in a thread so that this stays a plain generator the stage writes from.
        try:
            asyncio.run(_run_all(params, model, todo, results.put))
        except BaseException as exc:  # noqa: BLE001 - handed to the consuming thread
            results.put(exc)
        finally:
            results.put(_DONE)

    thread = threading.Thread(target=worker, name="ladder-openai", daemon=True)
    thread.start()
    while True:
        item = results.get()
        if item is _DONE:
            break
        if isinstance(item, BaseException):
            raise item
        yield item
        if progress is not None:
            progress.update(len(item))
    thread.join()
