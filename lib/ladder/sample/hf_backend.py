"""The ``hf`` backend: transformers ``generate`` with batching, KV cache and left padding, on CPU or GPU.

Reproducibility, what is guaranteed:

- Each row samples with its own random stream, seeded from its (seed, question, sample) alone, so
  the draws of a row do not depend on the other rows of its batch or on the global torch RNG.
- Batches are fixed chunks of the full request list (``canonical_batches``); a resumed run
  re-forms the same batches and regenerates the whole batch a crash interrupted, keeping only the
  missing rows. So a resumed run writes exactly the rows of an uninterrupted one (same machine,
  same library versions, same ``cpu_threads``: the arithmetic is then the same).
- Across batch sizes or devices only the floating-point arithmetic changes: the same seed gives the
  same tokens unless a draw falls within rounding distance of a probability boundary (rare, not never).
"""

from __future__ import annotations

from collections.abc import Iterator

from ladder.sample.params import SampleParams
from ladder.sample.requests import (
    Generation,
    SampleError,
    SampleRequest,
    canonical_batches,
    check_lengths,
    prompt_token_ids,
)

# torch and transformers take seconds to import: each function imports what it uses, so that importing
# ladder.sample (the CLI, the notebook, the other backends) does not.


def backend_version() -> str:
    """Version string of the engine, recorded in every row."""
    import torch
    import transformers

    return f"transformers {transformers.__version__}; torch {torch.__version__}"


def _torch_dtype(name: str):
    import torch

    return "auto" if name == "auto" else getattr(torch, name)


def _device(name: str) -> str:
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return name


def engine_info(model_path: str, params: SampleParams, requests: list[SampleRequest], tokenizer) -> dict:
    """What runs the requests: transformers' ``generate`` on the resolved device (part of the run's identity)."""
    import transformers

    return {"engine": "transformers", "version": transformers.__version__, "device": _device(params.device)}


def make_row_sampler(seeds: list[int], temperature: float, top_p: float):
    """A logits processor that picks each row's next token with that row's own generator.

    transformers' sampling draws from the global RNG for the whole batch at once, which ties a
    row's tokens to its batch; no library option gives per-row generators, hence this processor.
    It leaves only the chosen token finite, so ``generate(do_sample=False)`` emits exactly that
    token. The uniforms come from CPU generators, so the draws are the same on any device.
    """
    import torch
    from transformers import LogitsProcessor, TemperatureLogitsWarper, TopPLogitsWarper

    warpers = []
    if temperature > 0 and temperature != 1.0:
        warpers.append(TemperatureLogitsWarper(temperature))
    if top_p < 1.0:
        warpers.append(TopPLogitsWarper(top_p))
    generators = [torch.Generator().manual_seed(seed) for seed in seeds]

    class RowSampler(LogitsProcessor):
        def __call__(self, input_ids, scores):
            scores = scores.float()
            if temperature == 0:
                chosen = scores.argmax(dim=-1)
            else:
                for warper in warpers:
                    scores = warper(input_ids, scores)
                cdf = torch.softmax(scores, dim=-1).double().cumsum(dim=-1)
                uniforms = torch.stack([torch.rand((), generator=g, dtype=torch.float64) for g in generators])
                targets = uniforms.to(cdf.device).unsqueeze(-1) * cdf[:, -1:]
                chosen = torch.searchsorted(cdf, targets, right=True).squeeze(-1).clamp_(max=scores.shape[-1] - 1)
            forced = torch.full_like(scores, float("-inf"))
            forced.scatter_(1, chosen.unsqueeze(-1), 0.0)
            return forced

    return RowSampler()


def check_context(model_path: str, params: SampleParams, requests: list[SampleRequest], tokenizer) -> None:
    """Refuse requests whose prompt + max_new_tokens exceed the model's positions, before loading weights."""
    from transformers import AutoConfig

    limit = getattr(AutoConfig.from_pretrained(model_path).get_text_config(), "max_position_embeddings", None)
    if not limit:
        return
    unique = {r.prompt: r for r in requests}  # n samples share a prompt: tokenize each once
    lengths = [len(ids) for ids in prompt_token_ids(list(unique), params, tokenizer)]
    check_lengths(list(unique.values()), lengths, params.max_new_tokens, limit, "the model's max_position_embeddings")


class HFEngine:
    """A loaded model and tokenizer; :meth:`generate_batch` generates one batch of requests."""

    def __init__(self, model_path: str, params: SampleParams, tokenizer=None):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.params = params
        self.device = _device(params.device)
        if params.cpu_threads and self.device == "cpu":
            torch.set_num_threads(params.cpu_threads)
        self.tokenizer = tokenizer or AutoTokenizer.from_pretrained(model_path)
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:  # Llama-style tokenizers have none; padded positions are masked anyway
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = AutoModelForCausalLM.from_pretrained(model_path, dtype=_torch_dtype(params.dtype))
        self.model.to(self.device).eval()
        gen_config = self.model.generation_config
        # Stop at the tokenizer's EOS and at every EOS of the checkpoint's generation_config, as vLLM does.
        eos = gen_config.eos_token_id if gen_config.eos_token_id is not None else []
        self.eos_ids = {*(eos if isinstance(eos, list) else [eos]), self.tokenizer.eos_token_id} - {None}
        if not self.eos_ids:
            raise SampleError(f"{model_path}: neither the tokenizer nor generation_config names an EOS token")
        self.pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else min(self.eos_ids)
        self._torch = torch

    def generate_batch(self, batch: list[SampleRequest]) -> list[Generation]:
        """Generate one batch; each row stops at its own EOS or at max_new_tokens."""
        from transformers import GenerationConfig, LogitsProcessorList

        torch = self._torch
        params = self.params
        inputs = self.tokenizer(
            [r.prompt for r in batch],
            return_tensors="pt",
            padding=True,
            add_special_tokens=not params.apply_chat_template,
        ).to(self.device)
        config = GenerationConfig(
            do_sample=False,  # the row sampler has already chosen the token; greedy takes it
            max_new_tokens=params.max_new_tokens,
            eos_token_id=sorted(self.eos_ids),
            pad_token_id=self.pad_id,
            use_cache=True,
            repetition_penalty=1.0,  # explicit: otherwise the checkpoint's own generation_config fills it in
            no_repeat_ngram_size=0,
        )
        sampler = make_row_sampler([r.seed for r in batch], params.temperature, params.top_p)
        with torch.inference_mode():
            out = self.model.generate(
                **inputs, generation_config=config, logits_processor=LogitsProcessorList([sampler])
            )
        new_tokens = out[:, inputs["input_ids"].shape[1] :].tolist()
        results = []
        for tokens in new_tokens:
            stop_at = next((i for i, t in enumerate(tokens) if t in self.eos_ids), None)
            if stop_at is None:
                kept, n_tokens, reason = tokens, len(tokens), "length"
            else:
                kept, n_tokens, reason = tokens[:stop_at], stop_at + 1, "stop"
            text = self.tokenizer.decode(kept, skip_special_tokens=False)
            results.append(Generation(text, n_tokens, reason))
        return results


def generate(
    model_path: str, params: SampleParams, requests: list[SampleRequest], pending: set, tokenizer, progress=None
) -> Iterator[list[tuple[SampleRequest, Generation]]]:
    """Yield results batch by batch for every canonical batch that holds a pending (question, sample) key."""
    check_context(model_path, params, requests, tokenizer)
    engine = HFEngine(model_path, params, tokenizer)
    for batch in canonical_batches(requests, params.batch_size):
        if not any(r.key in pending for r in batch):
            continue
        results = engine.generate_batch(batch)
        yield [(r, g) for r, g in zip(batch, results, strict=True) if r.key in pending]
        if progress is not None:
            progress.update(sum(r.key in pending for r in batch))
