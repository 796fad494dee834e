"""Sampling engine: hf backend on the tiny model, openai backend against a real `transformers serve`, resume after SIGKILL."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from ladder import schema
from ladder.sample import (
    SampleError,
    SampleParams,
    SampleRequest,
    build_requests,
    derive_seed,
    run_sampling,
    sample_stage,
)
from ladder.sample.hf_backend import make_row_sampler
from ladder.sample.progress import SAMPLES_JSONL, read_records
from ladder.sample.stage import checkpoint_fingerprint, finish, resolve_model
from ladder.watch import StageWatch
from tests.served import free_port, transformers_serve

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py

QUESTIONS = pd.DataFrame(
    {
        "question_id": ["60", "61", "62"],
        "problem": [
            "What is 12 + 35?",
            "Find the remainder when 100 is divided by 7.",
            "What is $\\frac{1}{2}+\\frac{1}{3}$?",
        ],
        "answer": ["47", "2", "5/6"],
    }
)


def hf_params(model_dir, **overrides) -> SampleParams:
    base = dict(
        model=str(model_dir),
        backend="hf",
        benchmark="toy",
        n=3,
        max_new_tokens=24,
        batch_size=4,
        seed=7,
        cpu_threads=1,
    )
    return SampleParams(**{**base, **overrides})


@pytest.fixture(scope="module")
def hf_run(tiny_model_dir, tmp_path_factory):
    """One uninterrupted hf run shared by several tests."""
    out = tmp_path_factory.mktemp("hf_run")
    params = hf_params(tiny_model_dir, n=4, max_new_tokens=40, batch_size=5, temperature=0.7)
    frame = run_sampling(params, QUESTIONS, out, str(tiny_model_dir), "rev", "tiny", progress=False)
    return params, out, frame


# --- params, prompts, seeds ----------------------------------------------------------------------------


def test_params_reject_bad_values_and_unknown_keys():
    with pytest.raises(ValueError, match="top_p"):
        SampleParams(top_p=0)
    with pytest.raises(ValueError, match="prompt_template"):
        SampleParams(prompt_template="no placeholder")
    with pytest.raises(ValueError, match="extra"):
        SampleParams(temprature=1.0)
    assert SampleParams(question_ids=[60, 61]).question_ids == ["60", "61"]
    assert SampleParams(question_ids="60, 61").question_ids == ["60", "61"]


def test_truncation_table_and_figure_count_unclosed_think_blocks_with_truncation(tmp_path):
    from ladder.sample import token_length_figure, truncation_table
    from ladder.sample.report import endings

    samples = pd.DataFrame(
        {
            "model": ["m"] * 4 + ["n"],
            "response": [r"\boxed{1}", r"<think>so \boxed{1}", "<think>cut here", r"<think>a</think>\boxed{2}", "x"],
            "finish_reason": ["stop", "stop", "length", "unknown", "stop"],
            "n_tokens": pd.array([10, 20, 64, 30, 5], dtype="Int64"),
            "max_new_tokens": [64] * 5,
        }
    )
    table = truncation_table(samples).set_index("model")
    # "length" stays truncated (not also unfinished); the unclosed think that stopped is unfinished; both count
    assert table.loc["m", ["samples", "truncated", "unfinished", "truncated_or_unfinished"]].tolist() == [4, 1, 1, 2]
    assert table.loc["m", "truncation_rate"] == 0.5 and table.loc["m", "ci_low"] < 0.5 < table.loc["m", "ci_high"]
    assert table.loc["n", ["truncated", "unfinished", "truncation_rate"]].tolist() == [0, 0, 0.0]
    # the token-length figure stacks the same four endings
    assert endings(samples).tolist() == [
        "stop",
        "unclosed think (unfinished)",
        "length (truncated)",
        "unknown",
        "stop",
    ]
    token_length_figure(samples, out_dir=tmp_path)
    assert (tmp_path / "token_lengths.png").stat().st_size > 0


def test_seeds_depend_only_on_seed_question_and_sample():
    assert derive_seed(0, "60", 1) == derive_seed(0, "60", 1)
    seeds = {derive_seed(s, q, i) for s in (0, 1) for q in ("60", "61") for i in range(8)}
    assert len(seeds) == 32
    assert all(0 <= s < 2**31 for s in seeds)


def test_prompts_use_template_and_chat_template(tiny_model_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    boxed = build_requests(QUESTIONS, SampleParams(n=2, prompt_template="boxed"), tokenizer)
    assert [r.key for r in boxed] == [("60", 0), ("60", 1), ("61", 0), ("61", 1), ("62", 0), ("62", 1)]
    expected = tokenizer.apply_chat_template(
        [
            {
                "role": "user",
                "content": "What is 12 + 35?\nPlease reason step by step, and put your final answer within \\boxed{}.",
            }
        ],
        tokenize=False,
        add_generation_prompt=True,
    )
    assert boxed[0].prompt == expected
    raw = build_requests(QUESTIONS, SampleParams(n=1, apply_chat_template=False), tokenizer)
    assert raw[2].prompt == "What is $\\frac{1}{2}+\\frac{1}{3}$?"  # braces in LaTeX survive the template
    chat = build_requests(QUESTIONS, SampleParams(n=1, backend="openai", openai_api="chat"), None)
    assert json.loads(chat[0].prompt) == [{"role": "user", "content": "What is 12 + 35?"}]


def test_unknown_question_id_and_missing_columns_are_named():
    with pytest.raises(SampleError, match="99"):
        run_sampling(SampleParams(question_ids=["99"]), QUESTIONS, "/nonexistent", "x")
    with pytest.raises(SampleError, match="answer"):
        run_sampling(SampleParams(), QUESTIONS.drop(columns="answer"), "/nonexistent", "x")


# --- the row sampler -----------------------------------------------------------------------------------


def test_row_sampler_matches_the_nucleus_distribution():
    import torch
    from scipy.stats import chisquare

    logits = torch.tensor([2.0, 1.5, 1.0, 0.5, 0.0, -1.0, -3.0, -6.0])
    rows = 4000
    sampler = make_row_sampler(list(range(rows)), temperature=0.8, top_p=0.9)
    forced = sampler(torch.zeros(rows, 1, dtype=torch.long), logits.repeat(rows, 1))
    assert torch.isfinite(forced).sum(dim=1).eq(1).all()  # exactly one token left per row
    counts = torch.bincount(forced.argmax(dim=1), minlength=8).numpy()
    probs = torch.softmax(logits.double() / 0.8, dim=0)
    keep = torch.cumsum(probs, 0) - probs < 0.9  # the nucleus: tokens before the mass reaches 0.9
    expected = torch.where(keep, probs, 0.0)
    expected = (expected / expected.sum()).numpy() * rows
    assert counts[~keep.numpy()].sum() == 0
    assert chisquare(counts[keep.numpy()], expected[keep.numpy()]).pvalue > 1e-3


def test_greedy_equals_transformers_greedy(tiny_model_dir, tmp_path):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    params = hf_params(tiny_model_dir, n=1, temperature=0.0, max_new_tokens=12)
    frame = run_sampling(params, QUESTIONS, tmp_path, str(tiny_model_dir), progress=False)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    for row in frame.itertuples():
        ids = tokenizer(row.prompt, return_tensors="pt", add_special_tokens=False)
        with torch.inference_mode():
            out = model.generate(**ids, do_sample=False, max_new_tokens=12)
        new = out[0, ids["input_ids"].shape[1] :].tolist()
        if tokenizer.eos_token_id in new:
            new = new[: new.index(tokenizer.eos_token_id)]
        assert row.response == tokenizer.decode(new, skip_special_tokens=False)


def test_hf_rows_equal_a_step_by_step_reference(tiny_model_dir, hf_run):
    """Batched generate (left padding, KV cache, per-row streams) reproduces a plain loop without either."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    params, _, frame = hf_run
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir).eval()
    eos = tokenizer.eos_token_id
    for row in frame.iloc[[0, 5, 11]].itertuples():  # rows from different batches and positions
        ids = tokenizer(row.prompt, return_tensors="pt", add_special_tokens=False)["input_ids"]
        generator = torch.Generator().manual_seed(int(row.seed))
        tokens = []
        for _ in range(params.max_new_tokens):
            with torch.inference_mode():
                logits = model(ids).logits[0, -1].float() / params.temperature
            cdf = torch.softmax(logits, 0).double().cumsum(0)
            u = torch.rand((), generator=generator, dtype=torch.float64)
            token = int(torch.searchsorted(cdf, u * cdf[-1], right=True).clamp(max=len(cdf) - 1))
            tokens.append(token)
            if token == eos:
                break
            ids = torch.cat([ids, torch.tensor([[token]])], dim=1)
        stopped = tokens[-1] == eos
        assert row.finish_reason == ("stop" if stopped else "length")
        assert row.n_tokens == len(tokens)
        assert row.response == tokenizer.decode(tokens[:-1] if stopped else tokens, skip_special_tokens=False)


def test_hf_records_follow_the_schema(hf_run):
    params, out, frame = hf_run
    again = schema.read_table(out / "samples.parquet")
    pd.testing.assert_frame_equal(again, frame)
    assert len(frame) == len(QUESTIONS) * params.n
    assert set(frame["finish_reason"]) == {"stop", "length"}  # this seed gives both: checks both branches
    length = frame["finish_reason"] == "length"
    assert (frame.loc[length, "n_tokens"] == params.max_new_tokens).all()
    assert (frame.loc[~length, "n_tokens"] < params.max_new_tokens).all()
    assert frame["seed"].tolist() == [derive_seed(7, q, i) for q in QUESTIONS["question_id"] for i in range(params.n)]
    assert (frame["model"] == "tiny").all() and (frame["model_revision"] == "rev").all()
    assert frame["backend_version"].str.startswith("transformers ").all()
    assert frame["gold"].tolist() == [a for a in QUESTIONS["answer"] for _ in range(params.n)]


def test_hf_rows_do_not_depend_on_batch_size(tiny_model_dir, hf_run, tmp_path):
    params, _, frame = hf_run
    single = run_sampling(
        params.model_copy(update={"batch_size": 1}),
        QUESTIONS,
        tmp_path,
        str(tiny_model_dir),
        "rev",
        "tiny",
        progress=False,
    )
    assert single["response"].tolist() == frame["response"].tolist()


def test_context_overflow_is_refused_before_generating(tiny_model_dir, tmp_path):
    params = hf_params(tiny_model_dir, max_new_tokens=5000)  # the tiny model has 1024 positions
    with pytest.raises(SampleError, match="max_position_embeddings"):
        run_sampling(params, QUESTIONS, tmp_path, str(tiny_model_dir), progress=False)
    assert not (tmp_path / SAMPLES_JSONL).exists() or (tmp_path / SAMPLES_JSONL).stat().st_size == 0


# --- resume ---------------------------------------------------------------------------------------------


def test_torn_last_line_is_cut_and_resumed(tiny_model_dir, hf_run, tmp_path):
    params, out, frame = hf_run
    lines = (out / SAMPLES_JSONL).read_text().splitlines(keepends=True)
    (tmp_path / "request.json").write_text((out / "request.json").read_text())
    (tmp_path / SAMPLES_JSONL).write_text("".join(lines[:6]) + lines[6][: len(lines[6]) // 2])
    assert len(read_records(tmp_path / SAMPLES_JSONL)) == 6
    resumed = run_sampling(params, QUESTIONS, tmp_path, str(tiny_model_dir), "rev", "tiny", progress=False)
    pd.testing.assert_frame_equal(resumed, frame)
    assert (tmp_path / SAMPLES_JSONL).read_text().count("\n") == len(frame)


def test_corrupt_middle_line_is_an_error_naming_the_line(tmp_path):
    (tmp_path / SAMPLES_JSONL).write_text(
        '{"question_id": "1", "sample_idx": 0}\nnot json\n{"question_id": "1", "sample_idx": 1}\n'
    )
    with pytest.raises(SampleError, match=r"samples.jsonl:2"):
        read_records(tmp_path / SAMPLES_JSONL)


def test_changed_settings_are_refused_not_mixed(tiny_model_dir, hf_run):
    params, out, _ = hf_run
    with pytest.raises(SampleError, match="temperature"):
        run_sampling(
            params.model_copy(update={"temperature": 1.0}), QUESTIONS, out, str(tiny_model_dir), "rev", "tiny"
        )
    with pytest.raises(SampleError, match="model_revision"):
        run_sampling(params, QUESTIONS, out, str(tiny_model_dir), "other-rev", "tiny")


def test_missing_rows_are_reported_not_written(hf_run, tmp_path):
    params, out, _ = hf_run
    lines = (out / SAMPLES_JSONL).read_text().splitlines(keepends=True)
    (tmp_path / SAMPLES_JSONL).write_text("".join(lines[:3]))
    requests = [SampleRequest("60", i, "", 0, "") for i in range(4)]  # the file holds samples 0..2 of question 60
    with pytest.raises(SampleError, match="1 of 4 samples missing"):
        finish(tmp_path, requests)
    assert not (tmp_path / "samples.parquet").exists()


def test_sigkill_then_rerun_equals_uninterrupted_run(tiny_model_dir, tmp_path):
    questions_file = tmp_path / "questions.jsonl"
    QUESTIONS.to_json(questions_file, orient="records", lines=True)
    settings = dict(n=8, max_new_tokens=48, batch_size=2, temperature=1.0, cpu_threads=1)
    killed_dir = tmp_path / "killed"
    command = [
        sys.executable,
        "-m",
        "ladder.sample",
        "--questions",
        str(questions_file),
        "--out",
        str(killed_dir),
        "--experiment",
        "tiny",
        "--set",
        f"model={tiny_model_dir}",
        "--set",
        "benchmark=toy",
        *[arg for key, value in settings.items() for arg in ("--set", f"{key}={value}")],
    ]
    env = {**os.environ, "TQDM_DISABLE": "1", "OMP_NUM_THREADS": "1"}
    seen = StageWatch(killed_dir)  # what the runner would print, from the real files; the kill may tear a line
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    jsonl = killed_dir / SAMPLES_JSONL
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if jsonl.is_file() and jsonl.read_bytes().count(b"\n") >= 4:
            break
        time.sleep(0.02)
    assert proc.poll() is None, f"sampler ended before it could be killed: {proc.stdout.read().decode()[-2000:]}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    written = jsonl.read_bytes().count(b"\n")
    total = len(QUESTIONS) * settings["n"]
    assert 4 <= written < total, "the kill must land part-way"
    assert not (killed_dir / "samples.parquet").exists()
    assert re.fullmatch(rf"samples {written}/{total} \(\d+%\), \d+ tok/s, ETA [\dhms]+", seen.poll())

    resumed_watch = StageWatch(killed_dir)  # the samples already there count as done, not in the rate
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert re.fullmatch(rf"samples {total}/{total} \(100%\), \d+ tok/s", resumed_watch.poll())
    resumed = schema.read_table(killed_dir / "samples.parquet")

    params = hf_params(tiny_model_dir, benchmark="toy", seed=0, **settings)
    revision = resolve_model(params)[1]
    clean = run_sampling(params, QUESTIONS, tmp_path / "clean", str(tiny_model_dir), revision, "tiny", progress=False)
    assert len(resumed) == total
    assert not resumed.duplicated(list(schema.KEY_COLUMNS)).any()
    pd.testing.assert_frame_equal(resumed, clean)
    lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert len(lines) == total  # nothing written twice across the kill


# --- stage entry point ----------------------------------------------------------------------------------


def test_trained_model_in_input_dir_wins(tiny_model_dir, tmp_path):
    import shutil

    shutil.copytree(tiny_model_dir, tmp_path / "train" / "model")
    params = hf_params("/does/not/exist", n=1, max_new_tokens=4, question_ids=["61"])
    frame = sample_stage(params, tmp_path / "train", tmp_path / "out", experiment="exp1", questions=QUESTIONS)
    assert frame["model"].tolist() == ["exp1"]
    assert frame["model_revision"].iloc[0].startswith("local:")
    assert frame["question_id"].tolist() == ["61"]


def test_cli_reports_bad_input_without_a_traceback(tmp_path, capsys):
    from ladder.sample.__main__ import main

    assert main(["--set", "temprature=1", "--out", str(tmp_path)]) == 2
    assert "temprature" in capsys.readouterr().err
    assert main(["--questions", str(tmp_path / "none.jsonl"), "--set", "model=x", "--out", str(tmp_path)]) == 2
    assert "none.jsonl: no such questions file" in capsys.readouterr().err


# --- openai backend against a real server ---------------------------------------------------------------


@pytest.fixture(scope="module")
def served_model(tiny_model_dir, tmp_path_factory):
    """`transformers serve` on 127.0.0.1 serving the tiny model from its local folder."""
    with transformers_serve(tmp_path_factory.mktemp("serve"), tiny_model_dir) as url:
        yield url


@pytest.mark.parametrize("api", ["completions", "chat"])
def test_openai_backend_against_transformers_serve(tiny_model_dir, served_model, tmp_path, api):
    params = SampleParams(
        model=str(tiny_model_dir),
        backend="openai",
        openai_base_url=served_model,
        openai_api=api,
        benchmark="toy",
        n=2,
        max_new_tokens=12,
        concurrency=3,
        max_retries=1,
        request_timeout_s=60,
    )
    model_path, revision = resolve_model(params)
    frame = run_sampling(params, QUESTIONS, tmp_path, model_path, revision, "served", progress=False)
    assert len(frame) == 6 and not frame.duplicated(list(schema.KEY_COLUMNS)).any()
    assert frame["backend"].eq("openai").all() and frame["backend_version"].str.startswith("openai-client").all()
    assert frame["finish_reason"].isin(["stop", "length"]).all()
    assert (frame["n_tokens"] <= 12).all() and (frame["n_tokens"] > 0).all()
    assert ((frame["finish_reason"] == "length") == (frame["n_tokens"] == 12)).all()
    if api == "completions":
        assert frame["prompt"].iloc[0].startswith("<|im_start|>system")  # chat template applied here, sent as text
    else:
        assert json.loads(frame["prompt"].iloc[0])[0]["role"] == "user"
    # A finished run re-opened does no request and returns the same table.
    again = run_sampling(
        params.model_copy(update={"openai_base_url": served_model}),
        QUESTIONS,
        tmp_path,
        model_path,
        revision,
        "served",
    )
    pd.testing.assert_frame_equal(again, frame)


def test_openai_unreachable_server_fails_naming_the_request(tmp_path):
    params = SampleParams(
        model="served-name",
        backend="openai",
        apply_chat_template=False,
        openai_base_url=f"http://127.0.0.1:{free_port()}/v1",
        n=1,
        max_retries=1,
        request_timeout_s=2,
        question_ids=["60"],
    )
    with pytest.raises(SampleError, match=r"question '60' sample 0 failed after 1 retries"):
        run_sampling(params, QUESTIONS, tmp_path, "served-name", progress=False)


def test_openai_key_comes_from_the_named_env_var(tmp_path, monkeypatch):
    monkeypatch.delenv("LADDER_TEST_KEY", raising=False)
    params = SampleParams(
        model="gpt-x",
        backend="openai",
        apply_chat_template=False,
        openai_base_url="https://api.example.invalid/v1",
        openai_api_key_env="LADDER_TEST_KEY",
        n=1,
    )
    with pytest.raises(SampleError, match="LADDER_TEST_KEY is not set"):
        run_sampling(params, QUESTIONS, tmp_path, "gpt-x", progress=False)


# --- notebook -------------------------------------------------------------------------------------------


def test_notebook_30_sample_runs_on_the_tiny_model(tiny_model_dir, benchmark_dir, tmp_path):
    from ladder import paths
    from ladder.run import execute_notebook
    from ladder.stages import STAGES

    stage = STAGES["sample"]
    parameters = {
        "model": str(tiny_model_dir),
        "benchmark": "aime24",
        "benchmark_path": str(benchmark_dir / "aime24.jsonl"),
        "question_ids": ["60", "84"],
        "n": 2,
        "max_new_tokens": 16,
        "cpu_threads": 1,
        "output_dir": str(tmp_path / "out"),
        "input_dir": "",
        "experiment": "nb",
        "profile": "test",
    }
    executed = execute_notebook(stage.notebook_path(paths.NOTEBOOKS_DIR), tmp_path / "out", parameters)
    samples = schema.read_table(tmp_path / "out" / "samples.parquet")
    assert samples["question_id"].tolist() == ["60", "60", "84", "84"]
    assert samples["model"].eq("nb").all() and samples["benchmark"].eq("aime24").all()
    assert samples["gold"].tolist() == ["204", "204", "33", "33"]  # AIME 2024 I-1 and II-4
    assert (tmp_path / "out" / "token_lengths.png").stat().st_size > 0
    assert (tmp_path / "out" / "notebook.html").is_file() and executed.is_file()
    html = (tmp_path / "out" / "notebook.html").read_text()
    assert "truncation_rate" in html and "samples_per_question" in html
    import nbformat

    streams = [o.get("text", "") for c in nbformat.read(executed, 4).cells for o in c.get("outputs", [])]
    assert not [s for s in streams if "sample/s" in s or "it/s" in s], "no progress bars in rendered notebooks"


def test_checkpoint_fingerprint_counts_what_determines_outputs_not_where_it_was_trained(tiny_model_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(tiny_model_dir, copy)
    before = checkpoint_fingerprint(copy)
    assert before == checkpoint_fingerprint(tiny_model_dir) and before.startswith("local:")
    (copy / "training_args.bin").write_bytes(b"pickled with /some/other/checkout/runs/...")  # where it was trained
    (copy / "trainer_state.json").write_text('{"time": 1}')
    (copy / "README.md").write_text("model card")
    assert checkpoint_fingerprint(copy) == before
    config = json.loads((copy / "config.json").read_text())
    (copy / "config.json").write_text(json.dumps({**config, "rms_norm_eps": 1e-3}))  # changes what it computes
    assert checkpoint_fingerprint(copy) != before
    for weights in copy.glob("*.safetensors"):
        weights.unlink()
    with pytest.raises(ValueError, match="no weights"):
        checkpoint_fingerprint(copy)
