"""Sampling on a GPU: the vllm backend (offline LLM) and the hf backend on CUDA. Skipped without CUDA or vLLM."""

from __future__ import annotations

import pandas as pd
import pytest

from ladder import schema
from ladder.sample import SampleError, SampleParams, run_sampling

pytestmark = pytest.mark.gpu

QUESTIONS = pd.DataFrame(
    {"question_id": ["1", "2"], "problem": ["What is 12 + 35?", "What is 7 times 6?"], "answer": ["47", "42"]}
)


@pytest.fixture(scope="module")
def gpu_model_dir(tmp_path_factory):
    """The tiny model with head_dim 64, which vLLM's attention kernels support (the default tiny model has 16)."""
    from ladder.tiny_model import build_tiny_model

    return build_tiny_model(
        tmp_path_factory.mktemp("gpu_model") / "model", hidden_size=256, num_heads=4, num_kv_heads=2
    )


def vllm_params(model_dir, **overrides) -> SampleParams:
    base = dict(
        model=str(model_dir),
        backend="vllm",
        benchmark="toy",
        n=4,
        max_new_tokens=32,
        dtype="float32",
        batch_size=64,
        gpu_memory_utilization=0.3,
    )
    return SampleParams(**{**base, **overrides})


def test_vllm_backend_writes_schema_rows_reproducibly(gpu_model_dir, tmp_path):
    pytest.importorskip("vllm")
    params = vllm_params(gpu_model_dir)
    first = run_sampling(params, QUESTIONS, tmp_path / "a", str(gpu_model_dir), "rev", "tiny", progress=False)
    assert len(first) == 8 and schema.read_table(tmp_path / "a" / "samples.parquet").equals(first)
    assert first["backend_version"].str.startswith("vllm ").all()
    assert first["finish_reason"].isin(["stop", "length"]).all()
    assert ((first["finish_reason"] == "length") == (first["n_tokens"] == 32)).all()
    again = run_sampling(params, QUESTIONS, tmp_path / "b", str(gpu_model_dir), "rev", "tiny", progress=False)
    assert again["response"].tolist() == first["response"].tolist()  # per-request seeds


def test_vllm_context_is_checked_before_the_engine_starts(gpu_model_dir, tmp_path):
    pytest.importorskip("vllm")
    params = vllm_params(gpu_model_dir, max_model_len=40, max_new_tokens=32)
    with pytest.raises(SampleError, match="sample.max_model_len"):
        run_sampling(params, QUESTIONS, tmp_path, str(gpu_model_dir), progress=False)


def test_hf_backend_on_cuda_is_reproducible(gpu_model_dir, tmp_path):
    params = SampleParams(
        model=str(gpu_model_dir), backend="hf", device="cuda", benchmark="toy", n=4, max_new_tokens=32
    )
    first = run_sampling(params, QUESTIONS, tmp_path / "a", str(gpu_model_dir), progress=False)
    again = run_sampling(params, QUESTIONS, tmp_path / "b", str(gpu_model_dir), progress=False)
    assert first["response"].tolist() == again["response"].tolist()
    assert ((first["finish_reason"] == "length") == (first["n_tokens"] == 32)).all()
