"""Compute estimate: parameter counts, tokens, FLOPs and GPU-hours against a hand calculation."""

from __future__ import annotations

import json
import math

import pytest

from ladder import cli, compute
from ladder.params import load_plan
from ladder.prepare import prepare

PROFILE = """\
description: a two-experiment profile for the compute estimate
experiments: [sft, base_eval]
curate:
  source: openr1
  length: long
train:
  model: "Qwen/Qwen2.5-32B-Instruct"
  epochs: 5
  num_nodes: 2
  num_processes: 8
  distributed: fsdp
sample:
  backend: vllm
  n: 8
  max_new_tokens: 31744
  dtype: float32
  tensor_parallel_size: 8
"""
SFT = "description: x\nstages: [curate, train, sample, grade]\ncurate:\n  n: 1000\n"
BASE_EVAL = (
    "description: x\nstages: [sample, grade]\nsample:\n  model: Qwen/Qwen2.5-7B-Instruct\n"
    "  dtype: bfloat16\n  tensor_parallel_size: 2\n  max_new_tokens: 4000\n"
)


@pytest.fixture
def params_dir(tmp_path):
    (tmp_path / "profiles").mkdir()
    (tmp_path / "experiments").mkdir()
    (tmp_path / "profiles" / "est.yaml").write_text(PROFILE)
    (tmp_path / "experiments" / "sft.yaml").write_text(SFT)
    (tmp_path / "experiments" / "base_eval.yaml").write_text(BASE_EVAL)
    return tmp_path


def test_estimate_matches_a_hand_calculation(params_dir, tmp_path):
    plan = load_plan("est", params_dir=params_dir)
    assumptions = compute.ComputeAssumptions(train_mfu=0.4, sample_mfu=0.1, expected_new_tokens=10_000)
    table = compute.estimate_plan(plan, assumptions, runs_dir=tmp_path / "runs").set_index("experiment")

    p32, p7 = 32_763_876_352, 7_615_616_512
    sft = table.loc["sft"]
    # 1,000 examples x (12,000 assumed trajectory tokens for openr1/long + 200 prompt) x 5 epochs
    assert sft["mean_tokens_source"] == "assumed"
    assert sft["train_tokens"] == 1000 * 12_200 * 5 == 61_000_000
    assert sft["train_flops"] == pytest.approx(6 * p32 * 61e6)
    assert sft["train_gpu_hours"] == pytest.approx(6 * p32 * 61e6 / (989e12 * 0.4) / 3600)
    assert sft["train_gpus"] == 16 and sft["train_wall_hours"] == pytest.approx(sft["train_gpu_hours"] / 16)
    # 30 AIME24 questions x 8 samples x 10,000 expected tokens; the upper bound uses max_new_tokens
    assert sft["gen_tokens"] == 30 * 8 * 10_000 and sft["gen_tokens_max"] == 30 * 8 * 31_744
    assert sft["sample_gpu_hours"] == pytest.approx(2 * p32 * 2.4e6 / (67e12 * 0.1) / 3600)  # float32 peak
    base = table.loc["base_eval"]
    assert base["params_b"] == pytest.approx(p7 / 1e9) and math.isnan(base["train_tokens"])
    # expected tokens are capped by the 4,000-token budget; bf16 peak; two GPUs
    assert base["gen_tokens"] == 30 * 8 * 4000
    assert base["sample_gpu_hours"] == pytest.approx(2 * p7 * 960_000 / (989e12 * 0.1) / 3600)
    assert base["sample_wall_hours"] == pytest.approx(base["sample_gpu_hours"] / 2)
    total = table.loc["total"]
    assert total["gpu_hours"] == pytest.approx(sft["gpu_hours"] + base["gpu_hours"])
    assert total["gen_tokens"] == 2_400_000 + 960_000


def test_a_curate_manifest_replaces_the_assumed_mean(params_dir, tmp_path):
    plan = load_plan("est", ["sft"], params_dir=params_dir)
    runs = tmp_path / "runs"
    curate = next(item for item in prepare(plan, runs_dir=runs) if item.stage.name == "curate")
    curate.final.mkdir(parents=True)
    (curate.final / "manifest.json").write_text(json.dumps({"token_lengths": {"dataset": {"mean": 7800.0}}}))
    row = compute.estimate_plan(plan, runs_dir=runs).set_index("experiment").loc["sft"]
    assert row["mean_tokens_source"] == "manifest"
    assert row["train_tokens"] == 1000 * (7800 + 200) * 5


def test_max_steps_and_max_length_bound_the_training_tokens():
    stages = {
        "curate": {"n": 1000, "source": "openr1", "length": "long"},
        "train": {
            "model": "Qwen/Qwen2.5-1.5B-Instruct",
            "epochs": 5,
            "max_steps": 10,
            "effective_batch_size": 32,
            "max_length": 4096,
            "num_processes": 1,
            "num_nodes": 1,
            "bf16": True,
        },
    }
    row = compute.estimate_experiment(stages, compute.ComputeAssumptions())
    assert row["mean_tokens"] == 4096  # the 12,200-token mean is cut to the block size
    assert row["train_tokens"] == pytest.approx(10 * 32 * 4096)  # 10 steps x 32 examples


def test_parameter_counts_come_from_the_table_a_rule_or_a_local_config(tiny_model_dir):
    from transformers import AutoModelForCausalLM  # seconds to import: only this test builds a model

    assert compute.count_parameters("Qwen/Qwen2.5-32B-Instruct") == (32_763_876_352, "table")
    assert compute.count_parameters("sunyiyou/openr1_geometry_1k_lg_2") == (32_763_876_352, "org sunyiyou")
    assert compute.count_parameters("someone/Mystery-14B-Chat")[0] == 14e9
    assert math.isnan(compute.count_parameters("someone/mystery")[0])
    counted, source = compute.count_parameters(str(tiny_model_dir))
    assert source == "config.json"
    assert counted == AutoModelForCausalLM.from_pretrained(tiny_model_dir).num_parameters()


def test_estimate_command_prints_the_table_and_writes_csv(params_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("ladder.paths.PARAMS_DIR", params_dir)
    out = tmp_path / "estimate.csv"
    code = cli.main(["estimate", "--profile", "est", "--train-mfu", "0.5", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0 and "sft" in printed and "base_eval" in printed and "utilisation 50% training" in printed
    assert out.is_file() and "train_gpu_hours" in out.read_text().splitlines()[0]


def test_estimate_command_rejects_bad_params(capsys):
    assert cli.main(["estimate", "--profile", "paper", "--set", "sample.temprature=1"]) == 2
    assert "temprature" in capsys.readouterr().err
