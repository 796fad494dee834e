"""Progress lines of a running stage (ladder.watch), from files in the formats the train and sample stages write."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from ladder import paths, store, watch
from ladder.watch import StageWatch, duration, watching


def log_row(step: int, loss: float, runtime: float) -> dict:
    """A train_log.jsonl row as ladder.train writes it (transformers' log dict plus the step)."""
    return {
        "step": step,
        "loss": loss,
        "grad_norm": 1.5,
        "learning_rate": 1e-5,
        "entropy": 0.02,
        "mean_token_accuracy": 0.9,
        "num_tokens": 3800.0 * step,
        "epoch": step / 100,
        "num_input_tokens_seen": 3800 * step,
        "train_runtime": runtime,
        "train_tokens_per_second": 2000.0,
    }


def write_train(folder: Path, rows: list[dict], max_steps: int | None = 400, start_step: int = 0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if max_steps is not None:
        plan = {"max_steps": max_steps, "start_step": start_step, "started": time.time()}
        (folder / "train_progress.json").write_text(json.dumps(plan))
    with (folder / "train_log.jsonl").open("a") as handle:
        handle.writelines(json.dumps(row) + "\n" for row in rows)


def sample_row(question: str, idx: int, n_tokens: int) -> dict:
    """A samples.jsonl row as ladder.sample writes it (the columns of ladder.schema.SAMPLE_COLUMNS)."""
    return {
        "model": "m",
        "model_revision": "local:0",
        "benchmark": "synthetic",
        "question_id": question,
        "sample_idx": idx,
        "prompt": "What is 1 + 1?",
        "prompt_hash": "0",
        "response": "\\boxed{2}",
        "n_tokens": n_tokens,
        "finish_reason": "stop",
        "seed": 1,
        "temperature": 1.0,
        "top_p": 1.0,
        "max_new_tokens": 64,
        "backend": "hf",
        "backend_version": "x",
        "gold": "2",
    }


def append_samples(folder: Path, rows: list[dict]) -> None:
    with (folder / "samples.jsonl").open("a") as handle:
        handle.writelines(json.dumps(row) + "\n" for row in rows)


def set_mtime(path: Path, when: float) -> None:
    os.utime(path, (when, when))


def test_file_names_are_the_stages_own():
    # the stages' modules import torch (seconds), and the point of ladder.watch is that the runner does not
    from ladder import train
    from ladder.sample import progress

    assert (watch.TRAIN_LOG, watch.TRAIN_PROGRESS) == (train.LOG_NAME, train.PROGRESS_NAME)
    assert (watch.SAMPLE_REQUEST, watch.SAMPLES) == (progress.REQUEST_FILE, progress.SAMPLES_JSONL)


def test_duration():
    assert [duration(s) for s in (0, 44.6, 190, 3599, 7500)] == ["0s", "45s", "3m10s", "59m59s", "2h05m"]


def test_train_step_total_loss_and_eta(tmp_path):
    # 120 of 400 steps in 180 s: 1.5 s a step, 280 steps to go
    write_train(tmp_path, [log_row(s, 2.0 - s / 1000, 1.5 * s) for s in range(1, 121)])
    seen = StageWatch(tmp_path)
    assert seen.poll() == "step 120/400 (30%), loss 1.88, ETA 7m00s"
    assert seen.poll() == "step 120/400 (30%), loss 1.88, ETA 7m00s"  # nothing new: the same text


def test_torn_last_line_waits_for_its_newline(tmp_path):
    write_train(tmp_path, [log_row(s, 1.234, 2.0 * s) for s in range(1, 11)])
    seen = StageWatch(tmp_path)
    assert seen.poll() == "step 10/400 (2%), loss 1.234, ETA 13m00s"
    line = json.dumps(log_row(11, 1.0, 22.0)) + "\n"
    with (tmp_path / "train_log.jsonl").open("a") as handle:
        handle.write(line[:40])  # the trainer is mid-write
    assert seen.poll() == "step 10/400 (2%), loss 1.234, ETA 13m00s"
    with (tmp_path / "train_log.jsonl").open("a") as handle:
        handle.write(line[40:])
    assert seen.poll() == "step 11/400 (2%), loss 1, ETA 12m58s"


def test_train_begun_without_steps_yet_and_without_a_total(tmp_path):
    write_train(tmp_path, [], max_steps=32)
    assert StageWatch(tmp_path).poll() == "step 0/32 (0%)"
    other = tmp_path / "old"
    write_train(other, [log_row(3, 0.5, 6.0)], max_steps=None)  # no train_progress.json: no total, no ETA
    assert StageWatch(other).poll() == "step 3, loss 0.5"


def test_finished_training_shows_no_eta(tmp_path):
    summary = {"step": 32, "train_runtime": 40.1, "train_loss": 0.08, "epoch": 1.0, "num_input_tokens_seen": 10}
    write_train(tmp_path, [log_row(s, 0.1, 1.25 * s) for s in range(1, 33)] + [summary], max_steps=32)
    assert StageWatch(tmp_path).poll() == "step 32/32 (100%), loss 0.1"


def test_resumed_training_rewrites_the_log_and_counts_its_own_steps(tmp_path):
    write_train(tmp_path, [log_row(s, 1.0, 1.0 * s) for s in range(1, 61)])
    seen = StageWatch(tmp_path)
    assert seen.poll().startswith("step 60/400 (15%)")
    # killed, then resumed from checkpoint 50: the log is cut to step 50 and this session starts there
    rows = [json.loads(line) for line in (tmp_path / "train_log.jsonl").read_text().splitlines()][:50]
    (tmp_path / "train_log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    write_train(tmp_path, [log_row(s, 0.5, 4.0 * (s - 50)) for s in range(51, 61)], start_step=50)
    assert seen.poll() == "step 60/400 (15%), loss 0.5, ETA 22m40s"  # 4 s a step in this session: 340 to go


def test_train_eta_from_the_log_time_when_rows_have_no_runtime(tmp_path):
    write_train(tmp_path, [{"step": s, "loss": 0.25} for s in range(1, 11)], max_steps=20)
    plan = json.loads((tmp_path / "train_progress.json").read_text())
    set_mtime(tmp_path / "train_log.jsonl", plan["started"] + 30)  # 10 steps in 30 s
    assert StageWatch(tmp_path).poll() == "step 10/20 (50%), loss 0.25, ETA 30s"


def test_sample_count_rate_and_eta(tmp_path):
    began = time.time() - 100
    (tmp_path / "request.json").write_text(json.dumps({"n_requests": 1280, "settings": {"n": 8}}))
    set_mtime(tmp_path / "request.json", began)
    seen = StageWatch(tmp_path, started=began - 60)  # loading the model took a minute: not in the rate
    assert seen.poll() == "samples 0/1280 (0%)"
    append_samples(tmp_path, [sample_row(f"{q:03d}", i, 100) for q in range(80) for i in range(8)])
    set_mtime(tmp_path / "samples.jsonl", began + 200)  # 640 samples of 100 tokens in 200 s
    assert seen.poll() == "samples 640/1280 (50%), 320 tok/s, ETA 3m20s"


def test_resumed_sampling_counts_earlier_samples_but_rates_only_new_ones(tmp_path):
    (tmp_path / "request.json").write_text(json.dumps({"n_requests": 100}))
    append_samples(tmp_path, [sample_row("a", i, 1000) for i in range(50)])
    with (tmp_path / "samples.jsonl").open("a") as handle:
        handle.write(json.dumps(sample_row("a", 50, 1000))[:30])  # torn by the kill; the stage cuts it on reopening
    began = time.time()
    set_mtime(tmp_path / "request.json", began - 10)  # written by the killed run
    seen = StageWatch(tmp_path, started=began)
    assert seen.poll() == "samples 50/100 (50%)"
    with (tmp_path / "samples.jsonl").open("r+b") as handle:  # ProgressLog.open(repair) cuts the torn line
        handle.truncate(len(handle.read()) - 30)
    append_samples(tmp_path, [sample_row("b", i, 10) for i in range(25)])
    set_mtime(tmp_path / "samples.jsonl", began + 50)
    assert seen.poll() == "samples 75/100 (75%), 5 tok/s, ETA 50s"


def test_other_stages_and_unstarted_ones_have_no_progress(tmp_path):
    (tmp_path / "graded.parquet").write_bytes(b"x")
    assert StageWatch(tmp_path).poll() is None
    assert StageWatch(tmp_path / "missing").poll() is None
    (tmp_path / "request.json").write_text("{")  # caught mid-write
    assert StageWatch(tmp_path).poll() is None


def test_watching_reports_changes_only_and_nothing_after_the_block(tmp_path):
    reports: list[tuple[float, str]] = []
    write_train(tmp_path, [], max_steps=3)
    with watching(tmp_path, 0.05, lambda text: reports.append((time.monotonic(), text))):
        for step in range(1, 4):
            time.sleep(0.3)
            write_train(tmp_path, [log_row(step, 1.0, 0.3 * step)], max_steps=None)
        time.sleep(0.3)
    ended = time.monotonic()
    time.sleep(0.2)
    texts = [text for _, text in reports]
    assert texts == [
        "step 0/3 (0%)",
        "step 1/3 (33%), loss 1, ETA 1s",
        "step 2/3 (66%), loss 1, ETA 0s",
        "step 3/3 (100%), loss 1",
    ]
    assert all(when < ended for when, _ in reports)
    assert not [t for t in threading.enumerate() if t.name.startswith("watch ")]


def test_watching_is_off_without_a_report_or_an_interval(tmp_path):
    write_train(tmp_path, [log_row(1, 1.0, 1.0)])
    before = threading.active_count()
    with watching(tmp_path, 0, print), watching(tmp_path, 1, None):
        assert threading.active_count() == before


def test_no_stage_depends_on_the_watch_or_the_runner():
    """Editing how progress is shown or stages are run must not change a stage hash (and so re-run a stage)."""
    for notebook in sorted(paths.NOTEBOOKS_DIR.glob("[0-9]*.py")):
        names = {file.name for file in store.code_files(notebook.read_text())}
        assert not {"watch.py", "run.py", "prepare.py", "notebook.py"} & names, notebook.name
