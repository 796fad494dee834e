"""Params of the sampling stage (``sample:`` block of a profile or experiment)."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator, model_validator

from ladder.params import FieldProblems, StageParams

# The study's evaluation prompt is the raw problem text; "boxed" is the common R1 / OpenR1 instruction.
PROMPT_TEMPLATES = {
    "raw": "{problem}",
    "boxed": "{problem}\nPlease reason step by step, and put your final answer within \\boxed{}.",
}


class SampleParams(StageParams):
    """What to sample, from which model, with which engine. Defaults are the study's settings."""

    model: str = ""  # hub id or local path; ignored when a train stage precedes (input_dir/model exists)
    revision: str = "main"  # hub revision (branch, tag or commit) when `model` is a hub id
    model_name: str = ""  # name written to the `model` column; "" means the experiment name
    backend: Literal["hf", "vllm", "openai"] = "hf"  # hf: transformers generate; vllm: offline LLM; openai: a server
    benchmark: str = "aime24"  # benchmark name in ladder.benchmarks
    benchmark_path: str = ""  # local benchmark file; "" loads it from the hub
    question_ids: list[str] = []  # subset of question ids to sample; [] means every question
    prompt_template: str = "raw"  # raw (study: problem text) | boxed (step by step + \boxed{}) | text with {problem}
    apply_chat_template: bool = True  # wrap the prompt in the model tokenizer's chat template as a user turn
    n: int = 8  # samples per question
    temperature: float = 1.0  # sampling temperature; 0 means greedy
    top_p: float = 1.0  # nucleus sampling p
    max_new_tokens: int = 32768  # generation budget per sample; hitting it gives finish_reason "length"
    seed: int = 0  # base seed; each (question, sample) gets its own seed derived from it
    batch_size: int = 16  # hf, vllm: requests per generate() call, saved after each; sets the numerics
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"  # weights dtype (study: float32 on vLLM)
    device: str = "auto"  # hf: auto (cuda if available) | cpu | cuda | cuda:N
    cpu_threads: int = 0  # hf, vllm on CPU: threads; 0: the engine's default (1 is fastest for tiny models)
    tensor_parallel_size: int = 1  # vllm: devices (GPUs) per engine
    data_parallel_size: int = 1  # vllm: engines, each on tensor_parallel_size devices, each sampling a share
    max_model_len: int = 0  # vllm: context length; 0 means longest prompt + max_new_tokens
    gpu_memory_utilization: float = 0.9  # vllm on GPU: share of GPU memory it may take (CPU: sized by batch)
    openai_base_url: str = "http://127.0.0.1:8000/v1"  # openai: server URL up to /v1
    openai_api: Literal["completions", "chat"] = "completions"  # completions: template applied here; chat: by server
    openai_model: str = ""  # openai: model name the server knows; "" means `model`
    openai_api_key_env: str = "OPENAI_API_KEY"  # openai: name of the env var holding the key (never the key itself)
    concurrency: int = 8  # openai: requests in flight at once
    max_retries: int = 5  # openai: retries per request (exponential backoff) on timeouts, 429 and 5xx
    request_timeout_s: float = 600.0  # openai: seconds before one request is abandoned (then retried)

    @field_validator("question_ids", mode="before")
    @classmethod
    def _ids_as_strings(cls, value):
        # YAML turns `[60, 61]` into ints; question ids are strings everywhere in the book.
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return [str(v) for v in value]

    @model_validator(mode="after")
    def _check(self):
        problems = FieldProblems()
        if self.n < 1:
            problems.add(f"n must be >= 1 (got {self.n})", "n")
        if self.temperature < 0:
            problems.add(f"temperature must be >= 0 (got {self.temperature})", "temperature")
        if not 0 < self.top_p <= 1:
            problems.add(f"top_p must be in (0, 1] (got {self.top_p})", "top_p")
        if self.max_new_tokens < 1:
            problems.add(f"max_new_tokens must be >= 1 (got {self.max_new_tokens})", "max_new_tokens")
        for name in ("batch_size", "tensor_parallel_size", "data_parallel_size", "concurrency"):
            if getattr(self, name) < 1:
                problems.add(f"{name} must be >= 1 (got {getattr(self, name)})", name)
        if self.cpu_threads < 0:
            problems.add(f"cpu_threads must be >= 0 (got {self.cpu_threads})", "cpu_threads")
        if self.max_retries < 0:
            problems.add(f"max_retries must be >= 0 (got {self.max_retries})", "max_retries")
        if self.request_timeout_s <= 0:
            problems.add(f"request_timeout_s must be > 0 (got {self.request_timeout_s})", "request_timeout_s")
        if self.prompt_template not in PROMPT_TEMPLATES and "{problem}" not in self.prompt_template:
            problems.add(
                f"prompt_template '{self.prompt_template}' is neither a known template "
                f"({', '.join(PROMPT_TEMPLATES)}) nor a text containing {{problem}}",
                "prompt_template",
            )
        problems.raise_if_any()
        return self

    def template_text(self) -> str:
        """The prompt template as text, ``{problem}`` marking where the question goes."""
        return PROMPT_TEMPLATES.get(self.prompt_template, self.prompt_template)
