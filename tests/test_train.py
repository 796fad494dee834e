"""The train stage on a real tiny Qwen2 model with the real TRL trainer (CPU): recipe, masking, refusal, resume, launch."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch
from accelerate.commands.config.config_args import load_config_from_file
from pydantic import ValidationError
from transformers import AutoModelForCausalLM, AutoTokenizer
from trl.chat_template_utils import qwen2_5_chat_template

from ladder import paths, store
from ladder.run import execute_notebook
from ladder.tiny_model import IM_END
from ladder.train import (
    TrainDataError,
    TrainParams,
    example_generations,
    launch_command,
    launch_command_string,
    load_conversations,
    main,
    multinode_command,
    render_sbatch,
    train,
    train_stage,
    write_params,
)
from ladder.train.checkpoints import last_complete_checkpoint
from ladder.train.data import resolve_loss_mode
from ladder.train.launch import ACCELERATE_CONFIGS, ACCELERATE_CONFIGS_DIR, check_launchable, launch_env
from ladder.train.trainer import build_sft_config, build_trainer, check_eos_in_labels
from ladder.watch import StageWatch

ANSWER = "\\boxed{7}"


def conversations(n: int = 16, answer: str = ANSWER) -> list[list[dict[str, str]]]:
    return [
        [{"role": "user", "content": f"What is {i} + {i % 5}?"}, {"role": "assistant", "content": answer}]
        for i in range(n)
    ]


def write_dataset(folder: Path, rows) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"messages": rows}).to_parquet(folder / "dataset.parquet")
    return folder


def fast_params(model: Path, **overrides) -> TrainParams:
    """The recipe shrunk for a tiny CPU model: small batch, high lr, no checkpointing of activations."""
    values = dict(
        model=str(model),
        effective_batch_size=4,
        per_device_batch_size=4,
        learning_rate=3e-3,
        lr_scheduler_type="constant",
        warmup_ratio=0.0,
        max_length=128,
        gradient_checkpointing=False,
        max_steps=10,
        save_steps=1000,
    )
    return TrainParams(**{**values, **overrides})


@pytest.fixture(scope="module")
def tokenizer_only_dir(tiny_model_dir, tmp_path_factory) -> Path:
    """The tiny model's tokenizer without any weights: loading the model from here would fail."""
    folder = tmp_path_factory.mktemp("tokenizer_only")
    AutoTokenizer.from_pretrained(tiny_model_dir).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def trained(tiny_model_dir, tmp_path_factory):
    """The tiny model trained to answer every question with ANSWER then stop (about 20 s on 2 CPU cores)."""
    root = tmp_path_factory.mktemp("trained")
    input_dir = write_dataset(root / "in", conversations(16))
    params = fast_params(tiny_model_dir, max_steps=40)
    report = train(params, input_dir, root / "out")
    return params, input_dir, root / "out", report


# --- params -------------------------------------------------------------------------------------------


def test_defaults_are_the_study_recipe():
    p = TrainParams()
    assert (p.learning_rate, p.lr_scheduler_type, p.warmup_ratio, p.weight_decay) == (1e-5, "cosine", 0.05, 1e-4)
    assert (p.adam_beta1, p.adam_beta2, p.effective_batch_size, p.epochs, p.max_length) == (0.9, 0.95, 32, 5, 32768)
    assert p.gradient_checkpointing and not p.truncation and p.report_to == "none" and p.max_steps == -1
    assert p.gradient_accumulation_steps() == 32
    assert TrainParams(num_processes=8, num_nodes=2).gradient_accumulation_steps() == 2
    assert TrainParams(per_device_batch_size=2, num_processes=4).gradient_accumulation_steps() == 4


def test_batch_that_does_not_divide_is_refused_with_the_numbers():
    with pytest.raises(ValueError, match=r"effective_batch_size=32 .* = 24"):
        TrainParams(per_device_batch_size=3, num_processes=8).gradient_accumulation_steps()
    with pytest.raises(ValidationError, match="lerning_rate"):
        TrainParams(lerning_rate=1e-5)


def test_sft_config_carries_the_recipe(tmp_path):
    cfg = build_sft_config(TrainParams(num_processes=4), tmp_path, "assistant")
    assert cfg.learning_rate == 1e-5 and cfg.lr_scheduler_type == "cosine" and cfg.warmup_steps == 0.05
    assert (cfg.adam_beta1, cfg.adam_beta2, cfg.weight_decay) == (0.9, 0.95, 1e-4)
    assert cfg.gradient_accumulation_steps == 8 and cfg.per_device_train_batch_size == 1
    assert cfg.max_length == 32768 and cfg.num_train_epochs == 5 and cfg.assistant_only_loss
    assert cfg.disable_tqdm and cfg.output_dir == str(tmp_path / "checkpoints")
    assert cfg.get_warmup_steps(1000) == 50


# --- refusing bad data before any model is loaded -----------------------------------------------------


def test_refuses_data_without_assistant_turns(tokenizer_only_dir, tmp_path):
    rows = [[{"role": "user", "content": "What is 1 + 1?"}]] * 3
    input_dir = write_dataset(tmp_path / "in", rows)
    with pytest.raises(TrainDataError, match="no assistant turns"):
        train(TrainParams(model=str(tokenizer_only_dir)), input_dir, tmp_path / "out")
    assert not (tmp_path / "out" / "model").exists()


def test_refuses_rows_without_assistant_turn_naming_them(tokenizer_only_dir, tmp_path):
    rows = conversations(4)
    rows[2] = rows[2][:1]
    input_dir = write_dataset(tmp_path / "in", rows)
    with pytest.raises(TrainDataError, match=r"1 row\(s\) have no assistant turn: rows 2"):
        train(TrainParams(model=str(tokenizer_only_dir)), input_dir, tmp_path / "out")


def test_refuses_too_long_examples_unless_truncation(tokenizer_only_dir, tmp_path):
    rows = conversations(4)
    rows[3][1]["content"] = "1 2 3 4 5 6 7 8 9 " * 20
    input_dir = write_dataset(tmp_path / "in", rows)
    with pytest.raises(TrainDataError, match=r"exceed max_length=64 tokens \(longest: row 3, \d+ tokens"):
        train(TrainParams(model=str(tokenizer_only_dir), max_length=64), input_dir, tmp_path / "out")


def test_bad_files_name_file_and_row(tmp_path):
    with pytest.raises(TrainDataError, match="no such file"):
        load_conversations(tmp_path)
    pd.DataFrame({"text": ["a"]}).to_parquet(tmp_path / "dataset.parquet")
    with pytest.raises(TrainDataError, match="no column 'messages'; columns are text"):
        load_conversations(tmp_path)
    pd.DataFrame({"messages": [conversations(1)[0], [{"role": "user", "content": None}]]}).to_parquet(
        tmp_path / "dataset.parquet"
    )
    with pytest.raises(TrainDataError, match="row 1, message 0: 'content' must be a string"):
        load_conversations(tmp_path)


# --- loss masking ---------------------------------------------------------------------------------------


def strip_generation_markers(tokenizer):
    """The tiny tokenizer with a Qwen-like template that has no {% generation %} markers (like real Qwen2.5)."""
    tokenizer.chat_template = tokenizer.chat_template.replace("{%- generation %}", "").replace(
        "{%- endgeneration %}", ""
    )
    return tokenizer


@pytest.mark.parametrize("template", ["tiny", "qwen2.5", "no_markers"])
def test_labels_cover_the_assistant_answer_and_eos_only(tiny_model_dir, tmp_path, template):
    """tiny: our template with generation markers; qwen2.5: Qwen2.5-Instruct's real template (no markers; TRL
    swaps in its training variant); no_markers: an unknown template without markers (prompt/completion)."""
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    if template == "qwen2.5":
        tokenizer.chat_template = qwen2_5_chat_template
    elif template == "no_markers":
        strip_generation_markers(tokenizer)
    mode = "completion" if template == "no_markers" else "assistant"
    assert resolve_loss_mode(tokenizer, "auto") == mode
    trainer = build_trainer(fast_params(tiny_model_dir), conversations(4), tmp_path, tokenizer=tokenizer)
    batch = next(iter(trainer.get_train_dataloader()))
    eos = tokenizer.eos_token_id
    for ids, labels in zip(batch["input_ids"].tolist(), batch["labels"].tolist(), strict=True):
        trained_ids = [t for t, lab in zip(ids, labels, strict=True) if lab != -100]
        assert all(lab in (-100, t) for t, lab in zip(ids, labels, strict=True))
        text = tokenizer.decode(trained_ids)
        # the answer and its end-of-turn token are trained; nothing of the system or user turns is
        assert text.strip().startswith(ANSWER + IM_END), text  # Qwen2.5's training template also trains the newlines
        assert eos in trained_ids
        assert "user" not in text and "What is" not in text and "system" not in text
        first_trained = labels.index(next(lab for lab in labels if lab != -100))
        assert tokenizer.decode(ids[:first_trained]).rstrip("\n").endswith("<|im_start|>assistant")


def test_template_that_leaves_eos_out_of_the_loss_is_refused(tiny_model_dir, tmp_path):
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    # the end-of-turn token outside the generation block: the model would never learn to stop
    tokenizer.chat_template = tokenizer.chat_template.replace(
        "{%- generation %}{{- message['content'] + '<|im_end|>' }}{%- endgeneration %}",
        "{%- generation %}{{- message['content'] }}{%- endgeneration %}{{- '<|im_end|>' }}",
    )
    trainer = build_trainer(fast_params(tiny_model_dir), conversations(4), tmp_path, tokenizer=tokenizer)
    with pytest.raises(TrainDataError, match="no training example has the end-of-turn token"):
        check_eos_in_labels(trainer, "data.parquet")


def test_assistant_mode_without_markers_is_refused(tiny_model_dir):
    tokenizer = strip_generation_markers(AutoTokenizer.from_pretrained(tiny_model_dir))
    with pytest.raises(TrainDataError, match="loss_on='assistant' needs"):
        resolve_loss_mode(tokenizer, "assistant")


# --- training end to end ----------------------------------------------------------------------------------


def test_training_lowers_loss_and_writes_report_and_log(trained):
    params, _, out, report = trained
    log = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    losses = [row["loss"] for row in log if "loss" in row]
    assert [row["step"] for row in log if "loss" in row] == list(range(1, params.max_steps + 1))
    assert losses[-1] < 0.2 * losses[0]
    assert json.loads((out / "train_report.json").read_text()) == json.loads(json.dumps(report))
    assert report["steps"] == params.max_steps and report["resumed_from"] is None
    assert report["loss_mode"] == "assistant" and report["eos_in_loss_share"] == 1.0
    assert report["tokens_seen"] == report["session_tokens"] > 0 and report["tokens_per_s"] > 0
    assert 0 <= report["padding_waste"] < 0.5
    assert report["examples"] == 16 and report["gradient_accumulation_steps"] == 1
    planned = json.loads((out / "train_progress.json").read_text())  # the runner's progress line reads it
    assert planned["max_steps"] == params.max_steps and planned["start_step"] == 0
    assert StageWatch(out).poll() == f"step 40/40 (100%), loss {losses[-1]:.4g}"


def test_trained_checkpoint_loads_answers_and_stops(trained):
    _, _, out, _ = trained
    model = AutoModelForCausalLM.from_pretrained(out / "model")
    tokenizer = AutoTokenizer.from_pretrained(out / "model")
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is 3 + 4?"}], tokenize=False, add_generation_prompt=True
    )
    inputs = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
    with torch.no_grad():
        new = model.generate(**inputs, max_new_tokens=30, do_sample=False)[0, inputs["input_ids"].shape[1] :]
    assert int(new[-1]) == tokenizer.eos_token_id and len(new) < 30  # stopped by itself
    assert tokenizer.decode(new, skip_special_tokens=True) == ANSWER


def test_example_generations_table(trained):
    _, input_dir, out, _ = trained
    table = example_generations(out, input_dir, n=2, max_new_tokens=20)
    assert list(table["generated"]) == [ANSWER, ANSWER] and table["stopped"].all()


def test_packing_trains_without_padding(tiny_model_dir, tmp_path):
    input_dir = write_dataset(tmp_path / "in", conversations(16))
    params = fast_params(tiny_model_dir, packing=True, per_device_batch_size=1, effective_batch_size=1, max_steps=3)
    report = train(params, input_dir, tmp_path / "out")
    assert report["padding_waste"] == 0.0 and report["steps"] == 3 and report["packing"]
    # each packed block holds several conversations
    assert report["tokens_seen"] / report["steps"] > 1.5 * report["longest_example_tokens"]


def test_group_by_length_batches_similar_lengths_and_pads_less(tiny_model_dir, tmp_path):
    # answers of very different lengths, interleaved: a random batch of 4 mixes them, a grouped one does not
    answers = [" ".join(["7"] * (2 if i % 2 else 40)) for i in range(32)]
    rows = [
        [{"role": "user", "content": f"Count to {i}."}, {"role": "assistant", "content": answer}]
        for i, answer in enumerate(answers)
    ]
    input_dir = write_dataset(tmp_path / "in", rows)
    waste = {}
    for grouped in (False, True):
        params = fast_params(tiny_model_dir, group_by_length=grouped, max_steps=8, max_length=256)
        report = train(params, input_dir, tmp_path / f"out-{grouped}")
        assert report["group_by_length"] is grouped and report["steps"] == 8
        waste[grouped] = report["padding_waste"]
    assert waste[True] < waste[False] / 2, waste


# --- resume after a kill ------------------------------------------------------------------------------------


def test_last_complete_checkpoint_skips_partial_ones(tmp_path):
    assert last_complete_checkpoint(tmp_path / "none") is None
    for step, state in [(10, {"global_step": 10}), (20, None), (30, "{broken")]:
        folder = tmp_path / f"checkpoint-{step}"
        folder.mkdir()
        if state is not None:
            text = state if isinstance(state, str) else json.dumps(state)
            (folder / "trainer_state.json").write_text(text)
    assert last_complete_checkpoint(tmp_path) == tmp_path / "checkpoint-10"


def test_sigkill_then_rerun_resumes_from_the_checkpoint(tiny_model_dir, tmp_path):
    input_dir = write_dataset(tmp_path / "in", conversations(16))
    out = tmp_path / "out"
    params = fast_params(tiny_model_dir, max_steps=30, save_steps=5, per_device_batch_size=2, effective_batch_size=2)
    params_file = write_params(params, tmp_path / "params.json")
    cmd = [sys.executable, "-m", "ladder.train", "--params", str(params_file), "--input-dir", str(input_dir)]
    cmd += ["--output-dir", str(out)]
    seen = StageWatch(out)  # what the runner would print, from the real files; the last line may be torn by the kill
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=paths.ROOT)
    deadline = time.monotonic() + 120
    while last_complete_checkpoint(out / "checkpoints") is None:
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline, "no checkpoint within 120 s"
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "train_report.json").exists() and not (out / "model").exists()
    killed_at = int(last_complete_checkpoint(out / "checkpoints").name.split("-")[1])
    assert 5 <= killed_at < 30
    text = seen.poll()  # the step is logged before its checkpoint is saved
    shown = re.fullmatch(r"step (\d+)/30 \(\d+%\), loss [\d.e-]+, ETA [\dhms]+", text)
    assert shown and killed_at <= int(shown.group(1)) < 30, text
    (out / "checkpoints" / "checkpoint-999").mkdir()  # a save cut short: no trainer_state.json

    report = train(params, input_dir, out)
    assert report["resumed_from_step"] == killed_at and report["steps"] == 30
    planned = json.loads((out / "train_progress.json").read_text())
    assert planned["max_steps"] == 30 and planned["start_step"] == killed_at
    assert seen.poll().startswith("step 30/30 (100%), loss ")  # the log was cut and rewritten by the resumed run
    assert not (out / "checkpoints" / "checkpoint-999").exists()
    steps = [json.loads(line)["step"] for line in (out / "train_log.jsonl").read_text().splitlines()]
    logged = [s for s in steps if s <= 30]
    assert sorted(set(logged)) == list(range(1, 31))  # every step once, none lost, the killed tail redone once
    assert len([s for s in steps if s < killed_at]) == killed_at - 1
    assert report["session_tokens"] < report["tokens_seen"]  # earlier tokens came from the first run


# --- multi-process launch -----------------------------------------------------------------------------------


def test_launch_command_for_fsdp_uses_the_models_decoder_layer(tiny_model_dir, tmp_path):
    params = TrainParams(model=str(tiny_model_dir), distributed="fsdp", num_processes=4, bf16=True)
    cmd = launch_command(params, tmp_path / "in", tmp_path / "out")
    text = launch_command_string(cmd)
    assert text.startswith("accelerate launch --config_file ")
    assert f"--config_file {ACCELERATE_CONFIGS_DIR / 'fsdp.yaml'}" in text
    assert "--num_machines 1 --num_processes 4 " in text and "--mixed_precision bf16" in text
    assert "--fsdp_transformer_layer_cls_to_wrap Qwen2DecoderLayer" in text
    params_file = tmp_path / "out" / "train_params.json"
    tail = f"--input-dir {tmp_path / 'in'} --output-dir {tmp_path / 'out'} --in-process"
    assert text.endswith(f"-m ladder.train --params {params_file} {tail}")
    assert shlex.split(text) == cmd
    assert params.needs_launcher() and not TrainParams().needs_launcher()


def test_multinode_command_leaves_node_rank_to_the_shell(tmp_path):
    params = TrainParams(distributed="deepspeed", num_processes=8, num_nodes=4)
    cmd = launch_command(params, "in dir", tmp_path, machine_rank="$SLURM_NODEID", main_process_ip="$MASTER_ADDR")
    text = launch_command_string(cmd)
    assert "zero3.yaml" in text and "--num_machines 4 --num_processes 32 " in text
    assert "--machine_rank $SLURM_NODEID --main_process_ip $MASTER_ADDR" in text
    assert "--input-dir 'in dir'" in text
    assert "--mixed_precision" not in text  # bf16 auto: decided by each rank's Trainer on its GPU


def test_launcher_checks_the_machine_then_the_data_before_starting_processes(tokenizer_only_dir, tmp_path):
    gpus = torch.cuda.device_count()
    bad = write_dataset(tmp_path / "bad", [[{"role": "user", "content": "hi"}]])
    unrunnable = TrainParams(model=str(tokenizer_only_dir), distributed="fsdp", num_processes=gpus + 1)
    with pytest.raises(ValueError, match="needs that many GPUs" if gpus else "needs GPUs and this machine has none"):
        train_stage(unrunnable, bad, tmp_path / "out")  # refused before the data is read
    # runnable here: several processes on CPU (DDP over gloo), or FSDP over this machine's GPUs
    runnable = TrainParams(
        model=str(tokenizer_only_dir), distributed="fsdp" if gpus else "none", num_processes=gpus or 2
    )
    with pytest.raises(TrainDataError, match="no assistant turns"):
        train_stage(runnable, bad, tmp_path / "out")
    assert not (tmp_path / "out" / "train_params.json").exists()  # nothing was launched


def test_what_a_machine_can_launch_and_the_environment_of_its_ranks():
    assert check_launchable(TrainParams(num_processes=2), gpus=0) == "cpu"  # data parallel over gloo
    assert check_launchable(TrainParams(num_processes=8, distributed="fsdp"), gpus=8) == "cuda"
    with pytest.raises(ValueError, match="num_processes=2 with distributed='none' needs that many GPUs, .* has 1"):
        check_launchable(TrainParams(num_processes=2), gpus=1)
    for engine in ("fsdp", "deepspeed"):  # accelerate would quietly run DDP instead
        with pytest.raises(ValueError, match=f"distributed='{engine}' needs GPUs and this machine has none"):
            check_launchable(TrainParams(distributed=engine), gpus=0)
    assert launch_env("cuda", 8, {"PATH": "/bin"}) == {"PATH": "/bin"}  # the GPU launch is left as it was
    cpu = launch_env("cpu", 2, {"PATH": "/bin", "ACCELERATE_USE_CPU": "false"})
    assert cpu["ACCELERATE_USE_CPU"] == "true" and cpu["PATH"] == "/bin" and int(cpu["OMP_NUM_THREADS"]) >= 1
    assert launch_env("cpu", 2, {"OMP_NUM_THREADS": "3"})["OMP_NUM_THREADS"] == "3"  # a chosen thread count stays


@pytest.mark.parametrize("engine", sorted(ACCELERATE_CONFIGS))
def test_accelerate_configs_load(engine):
    config = load_config_from_file(str(ACCELERATE_CONFIGS_DIR / ACCELERATE_CONFIGS[engine]))
    expected = {"none": "MULTI_GPU", "fsdp": "FSDP", "deepspeed": "DEEPSPEED"}[engine]
    assert config.distributed_type.value == expected
    if engine == "fsdp":
        fsdp = config.fsdp_config
        assert fsdp["fsdp_reshard_after_forward"] == "FULL_SHARD"
        assert fsdp["fsdp_auto_wrap_policy"] == "TRANSFORMER_BASED_WRAP"


def test_sbatch_renders_valid_bash_with_the_params(tmp_path):
    params = TrainParams(distributed="fsdp", fsdp_wrap_class="Qwen2DecoderLayer", num_processes=8, num_nodes=2)
    script = render_sbatch(params, tmp_path / "in", tmp_path / "out", partition="gpu", time_limit="12:00:00")
    path = tmp_path / "train.sbatch"
    path.write_text(script)
    check = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    for line in ("#SBATCH --nodes=2", "#SBATCH --gres=gpu:8", "#SBATCH --partition=gpu", "#SBATCH --time=12:00:00"):
        assert line in script.splitlines()
    embedded = script.split("<<'PARAMS_JSON'\n", 1)[1].split("\nPARAMS_JSON\n", 1)[0]
    assert TrainParams(**json.loads(embedded)) == params
    srun = next(line for line in script.splitlines() if line.startswith("srun "))
    inner = shlex.split(srun)[-1]  # what bash -c runs on each node
    assert "--machine_rank $SLURM_NODEID" in inner and "--num_processes 16" in inner


def test_cli_prints_the_launch_command(tmp_path, capsys):
    params_file = write_params(TrainParams(distributed="deepspeed", num_processes=2), tmp_path / "p.json")
    dirs = ["--input-dir", "i", "--output-dir", "o"]
    assert main(["--params", str(params_file), *dirs, "--print-launch"]) == 0  # the flat file the ranks read
    assert "zero3.yaml --num_machines 1 --num_processes 2" in capsys.readouterr().out
    # a profile-style 'train:' block, then a per-field flag, then --set (which wins)
    block = tmp_path / "profile.yaml"
    block.write_text("train:\n  distributed: deepspeed\n  num_processes: 2\n")
    argv = ["--params", str(block), *dirs, "--num-processes", "4", "--set", "num_nodes=2", "--print-launch"]
    assert main(argv) == 0
    assert "zero3.yaml --num_machines 2 --num_processes 8 " in capsys.readouterr().out
    # a bad value: one line naming where it came from and the key, exit code 2
    assert main(["--params", str(block), *dirs, "--set", "num_processes=many", "--print-launch"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("ladder train: error:") and "--set num_processes=many: key 'num_processes'" in error


# --- the notebook -------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_notebook_trains_and_shows_curves_and_generations(tiny_model_dir, tmp_path):
    input_dir = write_dataset(tmp_path / "in", conversations(8))
    out = tmp_path / "20_train"
    parameters = fast_params(tiny_model_dir, max_steps=4, example_generations=2, example_max_new_tokens=8)
    parameters = parameters.model_dump(mode="json")
    parameters.update(output_dir=str(out), input_dir=str(input_dir), experiment="test", profile="test")
    executed = execute_notebook(paths.NOTEBOOKS_DIR / "20_train.py", out, parameters, cell_timeout_s=300)
    assert executed.is_file() and (out / "notebook.html").is_file()
    assert (out / "model" / "config.json").is_file() and (out / "training_curves.png").stat().st_size > 1000
    assert json.loads((out / "train_report.json").read_text())["steps"] == 4
    text = executed.read_text()
    assert "tokens_per_s" in text and "stopped" in text and "image/png" in text


def test_the_train_stage_hash_does_not_cover_the_runner():
    """Editing the runner, the book or `ladder launch` must not re-run a training stage (its code hash)."""
    names = {str(f.relative_to(paths.PACKAGE_DIR)) for f in store.code_files("from ladder import train\n")}
    assert {"train/trainer.py", "train/launch.py", "slurm.py", "stage_cli.py"} <= names
    assert not names & {"run.py", "launch.py", "book.py", "frontpage.py"}


def test_multinode_inside_slurm_runs_one_launch_per_node(tmp_path):
    params = TrainParams(
        model="Qwen/Qwen2.5-32B-Instruct",
        num_nodes=2,
        num_processes=8,
        distributed="fsdp",
        fsdp_wrap_class="Qwen2DecoderLayer",
    )
    with pytest.raises(ValueError, match="needs a SLURM allocation of that many nodes"):
        multinode_command(params, tmp_path / "in", tmp_path / "out", {})
    with pytest.raises(ValueError, match="this process has 1"):
        multinode_command(params, tmp_path / "in", tmp_path / "out", {"SLURM_JOB_ID": "7", "SLURM_JOB_NUM_NODES": "1"})
    cmd = multinode_command(
        params, tmp_path / "in", tmp_path / "out", {"SLURM_JOB_ID": "7", "SLURM_JOB_NUM_NODES": "2"}
    )
    assert cmd[:5] == ["srun", "--kill-on-bad-exit=1", "--nodes=2", "--ntasks-per-node=1", "bash"]
    script = cmd[-1]
    assert "--machine_rank $SLURM_NODEID" in script and "--main_process_ip $MASTER_ADDR" in script
    assert "--num_machines 2" in script and "--num_processes 16" in script
    assert subprocess.run(["bash", "-n", "-c", script]).returncode == 0
