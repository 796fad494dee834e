"""The ``vllm`` backend: vLLM's offline ``LLM`` engine, tensor parallel and data parallel (GPU only).

vLLM is imported lazily (``pip install 'ladder[gpu]'``). Every request carries its own seed
(``SamplingParams(seed=...)``), which vLLM turns into a per-request generator, so a row's draws do
not depend on the other requests in flight. Prompts go in as token ids from the same tokenizer and
chat template as the ``hf`` backend, so both backends see identical inputs. Sampling settings are
explicit and complete (``generation_config="vllm"``), so the checkpoint's generation_config cannot
slip in a repetition penalty or top-k behind the recorded settings.

Data parallel follows vLLM's offline data-parallel example: one process per rank with the
``VLLM_DP_*`` variables set, each an engine on ``tensor_parallel_size`` GPUs sampling its share of
the pending requests; the parent process writes what they return, so progress stays in one file.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import socket
from collections.abc import Iterator

from ladder.sample.params import SampleParams
from ladder.sample.requests import Generation, SampleError, SampleRequest, check_lengths, finish_reason

# vllm (GPU machines only, the optional `gpu` extra) and transformers are imported inside the functions that use
# them: vllm may be missing, and both take seconds to import.

# Results come back from rank processes as plain tuples: (question_id, sample_idx, text, n_tokens, reason).
_DONE = "__rank_done__"


def backend_version() -> str:
    """Version string of the engine, recorded in every row."""
    try:
        import vllm
    except ImportError as exc:
        raise SampleError("backend 'vllm' needs vLLM: pip install 'ladder[gpu]' (GPU machines only)") from exc
    return f"vllm {vllm.__version__}"


def plan_context(model_path: str, params: SampleParams, requests: list[SampleRequest], tokenizer) -> int:
    """The engine's max_model_len, checked against the longest prompt + max_new_tokens before starting."""
    from transformers import AutoConfig

    requests = list({r.prompt: r for r in requests}.values())  # n samples share a prompt: tokenize each once
    lengths = [
        len(tokenizer(r.prompt, add_special_tokens=not params.apply_chat_template)["input_ids"]) for r in requests
    ]
    if params.max_model_len:
        check_lengths(requests, lengths, params.max_new_tokens, params.max_model_len, "sample.max_model_len")
        return params.max_model_len
    config = AutoConfig.from_pretrained(model_path).get_text_config()
    model_limit = getattr(config, "max_position_embeddings", None)
    if model_limit:
        check_lengths(requests, lengths, params.max_new_tokens, model_limit, "the model's max_position_embeddings")
    return max(lengths, default=0) + params.max_new_tokens


def _engine(model_path: str, params: SampleParams, max_model_len: int):
    from vllm import LLM

    return LLM(
        model=model_path,
        tensor_parallel_size=params.tensor_parallel_size,
        dtype=params.dtype,
        max_model_len=max_model_len,
        gpu_memory_utilization=params.gpu_memory_utilization,
        seed=params.seed,
        generation_config="vllm",
    )


def _run_chunks(llm, params: SampleParams, requests: list[SampleRequest], tokenizer):
    """Generate ``requests`` in chunks of ``batch_size``; yields each chunk's results as plain tuples."""
    from vllm import SamplingParams
    from vllm.inputs import TokensPrompt

    add_special = not params.apply_chat_template
    for start in range(0, len(requests), params.batch_size):
        chunk = requests[start : start + params.batch_size]
        prompts = [
            TokensPrompt(prompt_token_ids=tokenizer(r.prompt, add_special_tokens=add_special)["input_ids"])
            for r in chunk
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


def _rank_main(rank, ranks, model_path, params, requests, max_model_len, master_port, results):
    # The environment of one data-parallel rank, as in vLLM's examples/offline_inference/data_parallel.py.
    os.environ.update(
        VLLM_DP_RANK=str(rank),
        VLLM_DP_RANK_LOCAL=str(rank),
        VLLM_DP_SIZE=str(ranks),
        VLLM_DP_MASTER_IP="127.0.0.1",
        VLLM_DP_MASTER_PORT=str(master_port),
    )
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_path)
    llm = _engine(model_path, params, max_model_len)
    for chunk in _run_chunks(llm, params, requests, tokenizer):
        results.put(chunk)
    results.put(_DONE)


def _as_pairs(chunk, by_key) -> list[tuple[SampleRequest, Generation]]:
    return [(by_key[(q, i)], Generation(text, n, finish_reason(reason))) for q, i, text, n, reason in chunk]


def generate(
    model_path: str, params: SampleParams, requests: list[SampleRequest], pending: set, tokenizer, progress=None
) -> Iterator[list[tuple[SampleRequest, Generation]]]:
    """Yield results chunk by chunk for the pending requests (all ranks' results, in arrival order)."""
    backend_version()
    max_model_len = plan_context(model_path, params, requests, tokenizer)
    todo = [r for r in requests if r.key in pending]
    by_key = {r.key: r for r in todo}
    if params.data_parallel_size == 1:
        llm = _engine(model_path, params, max_model_len)
        for chunk in _run_chunks(llm, params, todo, tokenizer):
            yield _as_pairs(chunk, by_key)
            if progress is not None:
                progress.update(len(chunk))
        return

    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    with socket.socket() as sock:  # a free port for the ranks' coordination
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Every rank must get work (vLLM's example notes an idle rank stalls the group), so fewer ranks for a small tail.
    ranks = max(1, min(params.data_parallel_size, len(todo)))
    shards = [todo[rank::ranks] for rank in range(ranks)]
    procs = [
        ctx.Process(target=_rank_main, args=(rank, ranks, model_path, params, shard, max_model_len, port, results))
        for rank, shard in enumerate(shards)
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
            yield _as_pairs(item, by_key)
            if progress is not None:
                progress.update(len(item))
    finally:
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
