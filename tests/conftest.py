"""Shared fixtures: the benchmark files in ../shared/data, a tiny real model, GPU skipping."""

from __future__ import annotations

import os

import pytest

from ladder import paths

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


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


@pytest.fixture(scope="session")
def shared_data():
    """../shared/data beside the checkout (benchmark files); tests using it skip in a user's clone."""
    if not paths.SHARED_DATA_DIR.is_dir():
        pytest.skip(f"benchmark files not found at {paths.SHARED_DATA_DIR} (only present in the project's workspace)")
    return paths.SHARED_DATA_DIR


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A randomly initialised Qwen2-architecture model with a locally trained tokenizer (HF format)."""
    from ladder.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny_model") / "model")
