"""The checks before running: the context check counts the prompt the sample stage sends, and `ladder run` makes them."""

from __future__ import annotations

import pytest
from transformers import AutoTokenizer

from ladder import cli, paths
from ladder.benchmarks import load_benchmark
from ladder.params import ParamsError, load_plan
from ladder.preflight import preflight
from ladder.sample.requests import SampleError, build_requests
from ladder.sample.vllm_backend import plan_context


def laptop_base_sample(overrides=()):
    plan = load_plan("laptop", ["base"], list(overrides))
    return plan, next(r for r in plan.requests if r.stage == "sample")


def engine_limit(params) -> int:
    """The largest max_new_tokens the sample stage's own check (before vLLM starts) lets through for ``params``."""
    tokenizer = AutoTokenizer.from_pretrained(params.model)
    requests = build_requests(load_benchmark(params.benchmark), params.model_copy(update={"n": 1}), tokenizer)
    return plan_context(params.model, params.model_copy(update={"max_new_tokens": 0}), requests, tokenizer)


def test_context_check_agrees_with_the_sample_stage():
    plan, req = laptop_base_sample()
    limit = 512 - engine_limit(req.params)  # the committed base's context minus the longest templated prompt
    preflight(load_plan("laptop", ["base"], [f"sample.max_new_tokens={limit}"]))
    with pytest.raises(
        ParamsError,
        match=f"key 'sample.max_new_tokens': max_new_tokens {limit + 1} .* Lower max_new_tokens to {limit} or less",
    ):
        preflight(load_plan("laptop", ["base"], [f"sample.max_new_tokens={limit + 1}"]))
    # the engine refuses the same value: the preflight counts the chat template, as the engine does
    tokenizer = AutoTokenizer.from_pretrained(req.params.model)
    over = req.params.model_copy(update={"max_new_tokens": limit + 1, "n": 1})
    with pytest.raises(SampleError, match="exceeds the model's max_position_embeddings"):
        plan_context(over.model, over, build_requests(load_benchmark(over.benchmark), over, tokenizer), tokenizer)
    assert req.params.max_new_tokens <= limit  # the laptop profile itself fits


def test_run_refuses_before_any_stage(tmp_path, monkeypatch, capsys):
    """Too long a max_new_tokens used to fail each sample stage after the trains had run; now nothing runs."""
    monkeypatch.setattr(paths, "RUNS_DIR", tmp_path)
    code = cli.main(["run", "--profile", "laptop", "--exp", "base", "--set", "sample.max_new_tokens=100000"])
    assert code == 2
    assert "ladder run: error: params that would fail at run time" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # no stage, not even the compute estimate
