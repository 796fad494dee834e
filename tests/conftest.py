"""Shared fixtures: the benchmark files in tests/fixtures/benchmarks, a tiny real model, GPU skipping."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# AIME 2024/2025 and MATH-500 files in the project (tests/fixtures/benchmarks/README.md: origin, subsets, licenses)
BENCHMARK_DIR = Path(__file__).resolve().parent / "fixtures" / "benchmarks"


def _has_cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


def pytest_collection_modifyitems(config, items):
    if _has_cuda():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU (run `make test-gpu` on a GPU machine)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def one_torch_thread():
    """One torch thread for a module's tests (``pytestmark = pytest.mark.usefixtures("one_torch_thread")``): two
    torch threads on a shared 2-core machine spin against each other (10x slower than one)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def benchmark_dir() -> Path:
    """The folder of benchmark files in the project: aime24, aime25, aimo_validation_aime and math500 .jsonl."""
    return BENCHMARK_DIR


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A randomly initialised Qwen2-architecture model with a locally trained tokenizer (HF format)."""
    from ladder.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny_model") / "model")
