"""Supervised fine-tuning with the study's recipe: a thin wrapper around TRL's ``SFTTrainer``.

Reads ``input_dir/dataset.parquet`` (column ``messages``: a list of {role, content}, written by the
curate stage) and writes into ``output_dir``:

- ``model/``: the fine-tuned HF checkpoint and tokenizer (``AutoModelForCausalLM.from_pretrained`` loads it),
- ``train_log.jsonl``: one line per logged step (loss, learning_rate, grad_norm, num_tokens, ...),
- ``train_progress.json``: the planned number of optimizer steps, written when training begins (the runner's
  progress line reads it, see ``ladder.watch``),
- ``train_report.json``: tokens seen, padding waste, tokens/s, steps, where it resumed from,
- ``checkpoints/checkpoint-N/``: every ``save_steps`` steps; a re-run into the same folder resumes
  from the last complete one.

The defaults are the study's recipe (Qwen2.5-32B-Instruct, lr 1e-5, cosine, 5% warmup, weight decay
1e-4, Adam betas 0.9/0.95, effective batch 32, 5 epochs, 32,768 tokens, bf16, gradient checkpointing).
The loss covers the assistant response only, end-of-turn token included, so the model learns to stop.

One process runs in-process (laptop, one GPU); several processes or nodes, or ``distributed`` set to
fsdp/deepspeed, run ``accelerate launch`` with a config from ``configs/accelerate/``::

    from ladder.train import TrainParams, train_stage
    report = train_stage(TrainParams(model="runs/tiny/model", max_steps=50), "runs/curate", "runs/train")

    # the same from a shell (trains here, or starts `accelerate launch` when the params ask for several processes)
    python -m ladder.train --params params.json --input-dir runs/curate --output-dir runs/train
    # what accelerate runs on every rank: the same with --in-process
    # print the launch command or a SLURM script for the params instead of training
    python -m ladder.train --params params.json --input-dir IN --output-dir OUT --print-launch
    python -m ladder.train --params params.json --input-dir IN --output-dir OUT --print-sbatch > train.sbatch
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml

from ladder import paths, store, tiny_model
from ladder.params import StageParams

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

ACCELERATE_CONFIGS_DIR = paths.ROOT / "configs" / "accelerate"
SBATCH_TEMPLATE = paths.ROOT / "configs" / "slurm" / "train.sbatch"
CHECKPOINTS_DIRNAME = "checkpoints"
MODEL_DIRNAME = "model"
LOG_NAME = "train_log.jsonl"
PROGRESS_NAME = "train_progress.json"
REPORT_NAME = "train_report.json"
PARAMS_NAME = "train_params.json"
DATASET_NAME = "dataset.parquet"
# Accelerate config per engine; "none" with several processes is plain data parallel (DDP).
ACCELERATE_CONFIGS = {"none": "ddp.yaml", "fsdp": "fsdp.yaml", "deepspeed": "zero3.yaml"}


class TrainParams(StageParams):
    """Params of the train stage: the study's recipe as defaults, every knob overridable."""

    model: str = "Qwen/Qwen2.5-32B-Instruct"  # the base to fine-tune: hub id or local path
    learning_rate: float = 1e-5  # peak learning rate (AdamW)
    lr_scheduler_type: str = "cosine"  # transformers scheduler name: cosine, linear, constant_with_warmup, ...
    warmup_ratio: float = 0.05  # fraction of the training steps spent warming up linearly from 0
    weight_decay: float = 1e-4  # AdamW weight decay
    adam_beta1: float = 0.9  # AdamW beta1
    adam_beta2: float = 0.95  # AdamW beta2
    max_grad_norm: float = 1.0  # gradient clipping norm (transformers' default; the study does not change it)
    effective_batch_size: int = 32  # examples per optimizer step: per-device batch x accumulation x world size
    per_device_batch_size: int = 1  # examples (or packed blocks) per forward pass on one device
    epochs: float = 5.0  # passes over the data when max_steps is -1
    max_steps: int = -1  # optimizer steps to run; -1: from epochs
    max_length: int = 32768  # longest tokenized conversation (block size when packing)
    truncation: bool = False  # False: refuse to start when a conversation exceeds max_length; True: cut it
    packing: bool = False  # pack conversations into max_length blocks (best-fit decreasing), no padding
    group_by_length: bool = False  # batch conversations of similar length together (less padding; order still seeded)
    loss_on: Literal["auto", "assistant", "completion"] = "auto"  # which tokens carry loss, see resolve_loss_mode
    bf16: bool | Literal["auto"] = "auto"  # bf16 mixed precision: true, false, or auto (where the GPU supports it)
    model_dtype: Literal["float32", "bfloat16", "auto"] = "float32"  # dtype of the weights at load time
    attn_implementation: str = "sdpa"  # attention kernel: sdpa, eager, flash_attention_2, kernels-community/...
    gradient_checkpointing: bool = True  # recompute activations in backward to fit long sequences
    logging_steps: int = 1  # write a train_log.jsonl line every this many optimizer steps
    save_steps: int = 50  # checkpoint every this many optimizer steps (what a re-run resumes from)
    save_total_limit: int = 2  # keep at most this many checkpoints on disk
    seed: int = 42  # seed of model init, data order and dropout
    report_to: str = "none"  # experiment tracking through transformers: none, wandb, tensorboard, trackio, ...
    num_processes: int = 1  # training processes (GPUs) per node
    num_nodes: int = 1  # nodes; >1 needs a launcher such as SLURM (render_sbatch)
    distributed: Literal["none", "fsdp", "deepspeed"] = "none"  # sharding engine: none (DDP if several), fsdp, ZeRO-3
    fsdp_wrap_class: str = ""  # FSDP auto-wrap layer class; empty: the model's decoder layer (e.g. Qwen2DecoderLayer)
    main_process_port: int = 29500  # rendezvous port of the multi-process launch
    example_generations: int = 3  # conversations regenerated by the trained model in the notebook
    example_max_new_tokens: int = 256  # generation budget of those examples

    def world_size(self) -> int:
        """Total number of training processes across nodes."""
        return self.num_processes * self.num_nodes

    def gradient_accumulation_steps(self) -> int:
        """Accumulation steps that turn the per-device batch into the effective batch; raises if it does not divide."""
        per_step = self.per_device_batch_size * self.world_size()
        if self.effective_batch_size % per_step:
            raise ValueError(
                f"train: effective_batch_size={self.effective_batch_size} is not a multiple of per_device_batch_size "
                f"({self.per_device_batch_size}) x num_processes ({self.num_processes}) x num_nodes "
                f"({self.num_nodes}) = {per_step}; change one of them"
            )
        return self.effective_batch_size // per_step

    def needs_launcher(self) -> bool:
        """True when training must run under ``accelerate launch`` rather than in this process."""
        return self.world_size() > 1 or self.distributed != "none"


class TrainDataError(ValueError):
    """The training data cannot be used as is; the message names the file, the row and what is wrong."""


# --- data -------------------------------------------------------------------------------------------


def load_conversations(input_dir: str | Path) -> list[list[dict[str, str]]]:
    """Read ``input_dir/dataset.parquet`` and check every row is a list of {role, content} messages."""
    import pyarrow.parquet as pq

    path = Path(input_dir) / DATASET_NAME
    if not path.is_file():
        raise TrainDataError(f"{path}: no such file (the curate stage writes it)")
    schema = pq.read_schema(path)
    if "messages" not in schema.names:
        raise TrainDataError(f"{path}: no column 'messages'; columns are {', '.join(schema.names)}")
    rows = pq.read_table(path, columns=["messages"]).column("messages").to_pylist()
    if not rows:
        raise TrainDataError(f"{path}: no rows")
    for index, messages in enumerate(rows):
        if not isinstance(messages, list) or not messages:
            raise TrainDataError(f"{path}: row {index}: 'messages' must be a non-empty list, got {messages!r:.80}")
        for turn, message in enumerate(messages):
            if not isinstance(message, dict) or not isinstance(message.get("role"), str):
                raise TrainDataError(
                    f"{path}: row {index}, message {turn}: expected {{role, content}}, got {message!r:.80}"
                )
            if not isinstance(message.get("content"), str):
                raise TrainDataError(f"{path}: row {index}, message {turn}: 'content' must be a string")
    # Keep only role and content: parquet structs may carry null extra fields that chat templates would render.
    return [[{"role": m["role"], "content": m["content"]} for m in messages] for messages in rows]


def check_assistant_turns(conversations: Sequence[Sequence[Mapping[str, str]]], source: str, last: bool) -> None:
    """Refuse data without assistant turns: none at all, or rows without one (``last``: must end with one)."""
    if not any(m["role"] == "assistant" for conv in conversations for m in conv):
        raise TrainDataError(
            f"{source}: the dataset has no assistant turns, so there is nothing to train on "
            "(expected messages like [{role: user, ...}, {role: assistant, ...}])"
        )
    if last:
        bad = [i for i, conv in enumerate(conversations) if conv[-1]["role"] != "assistant"]
        what = "do not end with an assistant turn (needed for completion-only loss)"
    else:
        bad = [i for i, conv in enumerate(conversations) if not any(m["role"] == "assistant" for m in conv)]
        what = "have no assistant turn"
    if bad:
        shown = ", ".join(map(str, bad[:10])) + (", ..." if len(bad) > 10 else "")
        raise TrainDataError(f"{source}: {len(bad)} row(s) {what}: rows {shown}")


def conversation_lengths(
    tokenizer, conversations: Sequence[Sequence[Mapping[str, str]]], chunk: int = 512
) -> list[int]:
    """Token count of each conversation rendered with the tokenizer's chat template (what training sees)."""
    lengths: list[int] = []
    for start in range(0, len(conversations), chunk):
        texts = tokenizer.apply_chat_template(list(conversations[start : start + chunk]), tokenize=False)
        ids = tokenizer(texts, add_special_tokens=False)["input_ids"]
        lengths.extend(len(x) for x in ids)
    return lengths


def check_lengths(lengths: Sequence[int], max_length: int, truncation: bool, source: str) -> None:
    """Refuse to start when a conversation exceeds ``max_length`` and truncation is off (silent cuts lose answers)."""
    too_long = [i for i, n in enumerate(lengths) if n > max_length]
    if too_long and not truncation:
        longest = max(range(len(lengths)), key=lengths.__getitem__)
        raise TrainDataError(
            f"{source}: {len(too_long)} conversation(s) exceed max_length={max_length} tokens "
            f"(longest: row {longest}, {lengths[longest]} tokens; rows {', '.join(map(str, too_long[:10]))}). "
            "Raise train.max_length, drop long rows in curate, or set train.truncation=true to cut them"
        )


def resolve_loss_mode(tokenizer, loss_on: str = "auto") -> str:
    """Which TRL masking to use: ``"assistant"`` (assistant_only_loss) or ``"completion"`` (completion_only_loss).

    ``assistant`` masks every non-assistant token of the rendered conversation and needs a chat template with
    ``{% generation %}`` markers: the template has them (the tiny model's), or TRL ships a training variant of it
    (TRL swaps in its own for Qwen2.5, Qwen3, Llama 3, ...). Otherwise ``completion`` converts each conversation
    to prompt = every message before the last, completion = the last assistant message, and masks the prompt:
    same labels for the single-turn data of the study, but only the last turn is trained in multi-turn data.
    Both keep the end-of-turn token in the loss (checked on the prepared data before training).
    """
    from trl.chat_template_utils import get_training_chat_template, has_generation_markers

    template = tokenizer.chat_template
    if not template:
        raise TrainDataError(
            f"{tokenizer.name_or_path}: the tokenizer has no chat template; train an instruct model or set one"
        )
    supported = has_generation_markers(template)
    if not supported:
        try:
            supported = get_training_chat_template(tokenizer) is not None
        except ValueError:
            supported = False
    if loss_on == "assistant" and not supported:
        raise TrainDataError(
            f"{tokenizer.name_or_path}: loss_on='assistant' needs {{% generation %}} markers in the chat template "
            "and TRL has no training variant of this one; use loss_on='completion' or 'auto'"
        )
    if loss_on == "auto":
        return "assistant" if supported else "completion"
    return loss_on


def to_training_records(conversations: Sequence[Sequence[Mapping[str, str]]], mode: str) -> list[dict[str, Any]]:
    """Rows for the trainer: ``{"messages"}`` for assistant-only loss, ``{"prompt", "completion"}`` otherwise."""
    if mode == "assistant":
        return [{"messages": list(conv)} for conv in conversations]
    return [{"prompt": list(conv[:-1]), "completion": [conv[-1]]} for conv in conversations]


@dataclass(frozen=True)
class Preflight:
    """The checked training data: conversations, the tokenizer, the loss mode and each conversation's length."""

    conversations: list[list[dict[str, str]]]
    tokenizer: Any
    mode: str
    lengths: list[int]


def preflight(params: TrainParams, input_dir: str | Path) -> Preflight:
    """Check params and data before any model or process starts: batch arithmetic, rows, assistant turns, lengths."""
    from transformers import AutoTokenizer

    params.gradient_accumulation_steps()
    source = str(Path(input_dir) / DATASET_NAME)
    conversations = load_conversations(input_dir)
    tokenizer = AutoTokenizer.from_pretrained(params.model)
    mode = resolve_loss_mode(tokenizer, params.loss_on)
    check_assistant_turns(conversations, source, last=mode == "completion")
    lengths = conversation_lengths(tokenizer, conversations)
    check_lengths(lengths, params.max_length, params.truncation, source)
    return Preflight(conversations, tokenizer, mode, lengths)


# --- checkpoints ------------------------------------------------------------------------------------


def last_complete_checkpoint(checkpoints_dir: str | Path) -> Path | None:
    """The newest ``checkpoint-N`` whose ``trainer_state.json`` was written (the Trainer writes it last) and parses."""
    from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR

    checkpoints_dir = Path(checkpoints_dir)
    if not checkpoints_dir.is_dir():
        return None
    found = []
    for folder in checkpoints_dir.glob(f"{PREFIX_CHECKPOINT_DIR}-*"):
        step = folder.name.rsplit("-", 1)[-1]
        if not step.isdigit():
            continue
        try:
            state = json.loads((folder / "trainer_state.json").read_text())
        except (OSError, ValueError):
            continue  # killed while saving: incomplete
        if state.get("global_step") == int(step):
            found.append((int(step), folder))
    return max(found)[1] if found else None


def remove_incomplete_checkpoints(checkpoints_dir: Path, keep: Path | None) -> list[Path]:
    """Delete checkpoint folders newer than ``keep`` (left by a kill mid-save) so the Trainer never reads them."""
    removed = []
    keep_step = int(keep.name.rsplit("-", 1)[-1]) if keep else -1
    for folder in checkpoints_dir.glob("checkpoint-*") if checkpoints_dir.is_dir() else []:
        step = folder.name.rsplit("-", 1)[-1]
        if step.isdigit() and int(step) > keep_step:
            shutil.rmtree(folder)
            removed.append(folder)
    return removed


def truncate_log(log_path: Path, last_step: int) -> None:
    """Drop log lines after ``last_step``: a killed run logged steps that the resumed run will redo."""
    if not log_path.is_file():
        return
    kept = [
        line for line in log_path.read_text().splitlines() if line and json.loads(line).get("step", 0) <= last_step
    ]
    log_path.write_text("".join(f"{line}\n" for line in kept))


# --- the trainer ------------------------------------------------------------------------------------


def use_bf16(params: TrainParams) -> bool:
    """bf16 as asked, or where supported when ``params.bf16`` is "auto" (a CUDA GPU with bf16; never on CPU)."""
    if params.bf16 != "auto":
        return params.bf16
    import torch

    return torch.cuda.is_available() and torch.cuda.is_bf16_supported()


def build_sft_config(params: TrainParams, output_dir: str | Path, mode: str):
    """The ``SFTConfig`` for ``params``: the study's recipe, checkpoints under ``output_dir/checkpoints``."""
    import dataclasses

    import torch
    from trl import SFTConfig

    # transformers 5 renamed gradient_checkpointing (deprecated alias) to activation_checkpointing.
    names = {f.name for f in dataclasses.fields(SFTConfig)}
    checkpointing = "activation_checkpointing" if "activation_checkpointing" in names else "gradient_checkpointing"
    return SFTConfig(
        output_dir=str(Path(output_dir) / CHECKPOINTS_DIRNAME),
        learning_rate=params.learning_rate,
        lr_scheduler_type=params.lr_scheduler_type,
        warmup_steps=params.warmup_ratio,  # transformers 5: a float below 1 is a ratio of the total steps
        weight_decay=params.weight_decay,
        adam_beta1=params.adam_beta1,
        adam_beta2=params.adam_beta2,
        max_grad_norm=params.max_grad_norm,
        per_device_train_batch_size=params.per_device_batch_size,
        gradient_accumulation_steps=params.gradient_accumulation_steps(),
        num_train_epochs=params.epochs,
        max_steps=params.max_steps,
        max_length=params.max_length,
        truncation_mode="keep_start",
        packing=params.packing,
        packing_strategy="bfd",
        train_sampling_strategy="group_by_length" if params.group_by_length else "random",
        assistant_only_loss=mode == "assistant",
        completion_only_loss=mode == "completion",
        bf16=use_bf16(params),
        fp16=False,
        model_init_kwargs={
            "dtype": getattr(torch, params.model_dtype) if params.model_dtype != "auto" else "auto",
            "attn_implementation": params.attn_implementation,
        },
        **{checkpointing: params.gradient_checkpointing},
        dataloader_pin_memory=torch.cuda.is_available(),
        logging_steps=params.logging_steps,
        save_strategy="steps",
        save_steps=params.save_steps,
        save_total_limit=params.save_total_limit,
        seed=params.seed,
        report_to=params.report_to,
        disable_tqdm=True,
        include_num_input_tokens_seen="non_padding",
        dataset_num_proc=None,
    )


class _TokenCountingMixin:
    # SFTTrainer reports real tokens only; padding waste needs the padded positions of each batch too, and neither
    # TRL nor transformers exposes both, so count them here (per process, this session).
    padded_positions = 0
    real_tokens = 0
    loss_tokens = 0

    def training_step(self, model, inputs, *args, **kwargs):
        ids = inputs["input_ids"]
        self.padded_positions += ids.numel()
        mask = inputs.get("attention_mask")
        self.real_tokens += int(mask.sum()) if mask is not None else ids.numel()
        self.loss_tokens += int((inputs["labels"] != -100).sum())
        return super().training_step(model, inputs, *args, **kwargs)


def _log_callback(log_path: Path):
    from transformers import TrainerCallback

    class JsonlLog(TrainerCallback):
        """Append every log of the main process to train_log.jsonl (one JSON object per line)."""

        def on_train_begin(self, args, state, control, **kwargs):
            # What the runner's progress line needs beside the log: the total and where this session starts.
            if state.is_world_process_zero:
                _write_json_atomic(log_path.with_name(PROGRESS_NAME), {
                    "max_steps": state.max_steps, "start_step": state.global_step, "started": time.time(),
                })  # fmt: skip

        def on_log(self, args, state, control, logs=None, **kwargs):
            if state.is_world_process_zero and logs:
                row = {"step": state.global_step, **{k: v for k, v in logs.items() if isinstance(v, int | float)}}
                with log_path.open("a") as handle:
                    handle.write(json.dumps(row) + "\n")

    return JsonlLog()


def build_trainer(params: TrainParams, conversations, output_dir: str | Path, mode: str | None = None, tokenizer=None):
    """An ``SFTTrainer`` for ``conversations`` (lists of messages) with the params' recipe; nothing is trained yet.

    ``mode`` is the loss mode (see :func:`resolve_loss_mode`); None resolves it from the tokenizer.
    """
    from datasets import Dataset
    from transformers import AutoTokenizer, PrinterCallback
    from trl import SFTTrainer

    output_dir = Path(output_dir)
    tokenizer = tokenizer or AutoTokenizer.from_pretrained(params.model)
    mode = mode or resolve_loss_mode(tokenizer, params.loss_on)
    dataset = Dataset.from_list(to_training_records(conversations, mode))
    trainer_cls = type("LadderSFTTrainer", (_TokenCountingMixin, SFTTrainer), {})
    trainer = trainer_cls(
        model=params.model,
        args=build_sft_config(params, output_dir, mode),
        train_dataset=dataset,
        processing_class=tokenizer,
        callbacks=[_log_callback(output_dir / LOG_NAME)],
    )
    # With tqdm off the Trainer prints every log dict; train_log.jsonl already has them.
    trainer.remove_callback(PrinterCallback)
    return trainer


def check_eos_in_labels(trainer, source: str) -> float:
    """Fraction of prepared examples whose labels contain the end-of-turn token; refuse when none do."""
    import pyarrow.compute as pc

    eos = trainer.processing_class.eos_token_id
    with_eos = 0
    # In arrow batches: 20k trajectories of 32k tokens would not fit in memory as Python lists.
    for batch in trainer.train_dataset.select_columns(["labels"]).with_format("arrow").iter(batch_size=1024):
        labels = batch.column("labels")
        rows = pc.filter(pc.list_parent_indices(labels), pc.equal(pc.list_flatten(labels), eos))
        with_eos += len(pc.unique(rows))
    share = with_eos / max(len(trainer.train_dataset), 1)
    if share == 0:
        raise TrainDataError(
            f"{source}: no training example has the end-of-turn token ({trainer.processing_class.eos_token!r}) in "
            "its loss; the model would never learn to stop. Check the chat template's generation markers"
        )
    return share


def _write_json_atomic(path: Path, obj: Any) -> None:
    text = json.dumps(obj, indent=2, default=str)  # keys in the order written (train_report reads top-down)
    store.atomic_write(path, lambda tmp: tmp.write_text(text))


def train(params: TrainParams, input_dir: str | Path, output_dir: str | Path) -> dict[str, Any]:
    """Fine-tune in this process (or as one rank under ``accelerate launch``); returns the train report.

    Checks the data (assistant turns, lengths) before loading the model, resumes from the last complete
    checkpoint in ``output_dir/checkpoints``, and writes ``model/``, ``train_log.jsonl`` and ``train_report.json``.
    """
    import datasets
    import transformers

    datasets.disable_progress_bars()
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    source = str(Path(input_dir) / DATASET_NAME)
    running = int(os.environ.get("WORLD_SIZE", "1"))
    if running != params.world_size():
        raise ValueError(
            f"train: running with {running} process(es) but num_processes x num_nodes = {params.world_size()}; "
            "use train_stage() or the launch command, which start the right number"
        )
    checked = preflight(params, input_dir)
    conversations, mode, lengths = checked.conversations, checked.mode, checked.lengths

    checkpoints = output_dir / CHECKPOINTS_DIRNAME
    resume = last_complete_checkpoint(checkpoints)
    resumed_step = int(resume.name.rsplit("-", 1)[-1]) if resume else 0
    is_main = int(os.environ.get("RANK", "0")) == 0
    final, staging = output_dir / MODEL_DIRNAME, output_dir / f".{MODEL_DIRNAME}.partial"
    if is_main:
        remove_incomplete_checkpoints(checkpoints, resume)
        truncate_log(output_dir / LOG_NAME, resumed_step)
        shutil.rmtree(staging, ignore_errors=True)  # a final save cut short by a kill

    trainer = build_trainer(params, conversations, output_dir, mode=mode, tokenizer=checked.tokenizer)
    if trainer.args.world_size != params.world_size():
        raise RuntimeError(
            f"train: {params.world_size()} processes were launched but the trainer sees {trainer.args.world_size}: "
            "the processes did not join one process group (check the accelerate config and the GPUs)"
        )
    eos_share = check_eos_in_labels(trainer, source) if not params.packing else None
    tokens_before = _tokens_at(resume) if resume else 0  # read now: rotation may delete that checkpoint
    started = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    runtime = time.perf_counter() - started
    session_tokens = trainer.state.num_input_tokens_seen - tokens_before

    if trainer.is_fsdp_enabled:
        trainer.accelerator.state.fsdp_plugin.set_state_dict_type("FULL_STATE_DICT")
    trainer.save_model(str(staging))
    trainer.accelerator.wait_for_everyone()
    report = {
        "model": store.portable(params.model, output_dir),
        "loss_mode": mode,
        "steps": trainer.state.global_step,
        "max_steps": trainer.state.max_steps,
        "epochs": trainer.state.epoch,
        "resumed_from": str(resume) if resume else None,
        "resumed_from_step": resumed_step if resume else None,
        "examples": len(conversations),
        "longest_example_tokens": max(lengths),
        "mean_example_tokens": sum(lengths) / len(lengths),
        "examples_truncated": sum(n > params.max_length for n in lengths),
        "world_size": params.world_size(),
        "gradient_accumulation_steps": params.gradient_accumulation_steps(),
        "effective_batch_size": params.effective_batch_size,
        "packing": params.packing,
        "group_by_length": params.group_by_length,
        "bf16": use_bf16(params),
        "eos_in_loss_share": eos_share,
        "tokens_seen": trainer.state.num_input_tokens_seen,  # real (non-padding) tokens, all ranks, all sessions
        "session_tokens": session_tokens,
        "loss_tokens_per_rank": trainer.loss_tokens,
        "padding_waste": 1 - trainer.real_tokens / trainer.padded_positions if trainer.padded_positions else 0.0,
        "tokens_per_s": session_tokens / runtime if runtime > 0 else None,
        "train_runtime_s": runtime,
        "train_loss": result.training_loss,
        "versions": {"torch": _version("torch"), "transformers": transformers.__version__, "trl": _version("trl")},
    }
    if is_main:
        if final.exists():
            shutil.rmtree(final)
        staging.replace(final)
        _write_json_atomic(output_dir / REPORT_NAME, report)
    trainer.accelerator.wait_for_everyone()
    return report


def _tokens_at(checkpoint: Path) -> int:
    return int(json.loads((checkpoint / "trainer_state.json").read_text()).get("num_input_tokens_seen", 0))


def _version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


# --- launching --------------------------------------------------------------------------------------


def decoder_layer_class(model: str) -> str:
    """The model's decoder layer class (what FSDP wraps), read from its config: e.g. ``Qwen2DecoderLayer``."""
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(model)
    model_cls = AutoModelForCausalLM._model_mapping[type(config)]
    layers = [name for name in model_cls._no_split_modules or [] if name.endswith("DecoderLayer")]
    return ",".join(layers or model_cls._no_split_modules or [])


def launch_command(
    params: TrainParams,
    input_dir: str | Path,
    output_dir: str | Path,
    params_file: str | Path | None = None,
    machine_rank: str | int | None = None,
    main_process_ip: str | None = None,
) -> list[str]:
    """The ``accelerate launch ... -m ladder.train`` command for ``params`` (one node's part when ``num_nodes > 1``).

    ``machine_rank`` and ``main_process_ip`` may be shell variables (``$SLURM_NODEID``); they are left unquoted
    by :func:`launch_command_string` so a shell expands them.
    """
    output_dir = Path(output_dir)
    params_file = params_file or output_dir / PARAMS_NAME
    cmd = [
        "accelerate", "launch",
        "--config_file", str(ACCELERATE_CONFIGS_DIR / ACCELERATE_CONFIGS[params.distributed]),
        "--num_machines", str(params.num_nodes),
        "--num_processes", str(params.world_size()),  # accelerate counts processes over all machines
        "--main_process_port", str(params.main_process_port),
    ]  # fmt: skip
    if params.bf16 != "auto":  # auto: each rank's Trainer decides on its own GPU (the config says "no")
        cmd += ["--mixed_precision", "bf16" if params.bf16 else "no"]
    if params.num_nodes > 1:
        cmd += ["--machine_rank", str(machine_rank if machine_rank is not None else 0)]
        cmd += ["--main_process_ip", main_process_ip or "127.0.0.1"]
    if params.distributed == "fsdp":
        wrap = params.fsdp_wrap_class
        if not wrap:
            try:
                wrap = decoder_layer_class(params.model)
            except (OSError, KeyError, ValueError):
                wrap = ""  # config not readable here (e.g. offline login node): accelerate wraps _no_split_modules
        if wrap:
            cmd += ["--fsdp_transformer_layer_cls_to_wrap", wrap]
    cmd += ["-m", "ladder.train", "--params", str(params_file), "--input-dir", str(input_dir)]
    cmd += ["--output-dir", str(output_dir), "--in-process"]
    return cmd


def launch_command_string(command: Sequence[str]) -> str:
    """Shell form of a launch command; ``$VAR`` arguments stay unquoted so the shell expands them."""
    return " ".join(arg if arg.startswith("$") and arg[1:].isidentifier() else shlex.quote(arg) for arg in command)


def render_sbatch(
    params: TrainParams,
    input_dir: str | Path,
    output_dir: str | Path,
    job_name: str = "ladder-train",
    partition: str = "",
    time_limit: str = "48:00:00",
    cpus_per_task: int = 32,
) -> str:
    """A SLURM batch script (configs/slurm/train.sbatch) that runs the launch command on every node."""
    import jinja2

    output_dir = Path(output_dir).resolve()
    command = launch_command(
        params, Path(input_dir).resolve(), output_dir, machine_rank="$SLURM_NODEID", main_process_ip="$MASTER_ADDR"
    )
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    template = env.from_string(SBATCH_TEMPLATE.read_text())
    return template.render(
        job_name=job_name,
        num_nodes=params.num_nodes,
        gpus_per_node=params.num_processes,
        cpus_per_task=cpus_per_task,
        time_limit=time_limit,
        partition=partition,
        log_dir=str(output_dir),
        root=shlex.quote(str(paths.ROOT)),
        params_file=shlex.quote(str(output_dir / PARAMS_NAME)),
        params_json=json.dumps(params.model_dump(mode="json"), indent=2),
        port=params.main_process_port,
        launch=shlex.quote(launch_command_string(command)),
    )


def write_params(params: TrainParams, path: str | Path) -> Path:
    """Write params as JSON for ``python -m ladder.train --params``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_json_atomic(path, params.model_dump(mode="json"))
    return path


def read_params(path: str | Path) -> TrainParams:
    """Read params written by :func:`write_params` (JSON) or a YAML mapping of TrainParams fields."""
    data = yaml.safe_load(Path(path).read_text())
    return TrainParams(**(data or {}))


def multinode_command(
    params: TrainParams, input_dir: str | Path, output_dir: str | Path, env: Mapping[str, str]
) -> list[str]:
    """``srun`` running one ``accelerate launch`` per node of the current SLURM allocation (node rank from SLURM).

    Used when the train stage itself runs inside a SLURM job with at least ``num_nodes`` nodes (e.g. an array task
    of ``ladder launch``); elsewhere multi-node training is refused with a pointer to the sbatch script.
    """
    nodes = int(env.get("SLURM_JOB_NUM_NODES") or env.get("SLURM_NNODES") or 0)
    if "SLURM_JOB_ID" not in env or nodes < params.num_nodes:
        raise ValueError(
            f"train: num_nodes={params.num_nodes} needs a SLURM allocation of that many nodes (this process has "
            f"{nodes or 'none'}); submit `ladder launch` scripts or the script from render_sbatch() "
            "(python -m ladder.train ... --print-sbatch)"
        )
    inner = launch_command(params, input_dir, output_dir, machine_rank="$SLURM_NODEID", main_process_ip="$MASTER_ADDR")
    inner[:2] = [sys.executable, "-m", "accelerate.commands.launch"]
    script = (
        'MASTER_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1); export MASTER_ADDR; '
        + launch_command_string(inner)
    )
    return [
        "srun", "--kill-on-bad-exit=1", f"--nodes={params.num_nodes}", "--ntasks-per-node=1",
        "bash", "-c", script,
    ]  # fmt: skip


def train_stage(params: TrainParams, input_dir: str | Path, output_dir: str | Path) -> dict[str, Any]:
    """Run the train stage: in this process for one process, else ``accelerate launch`` as a subprocess.

    The data is checked here first in both cases, so bad input fails before any process or model starts.
    Returns the train report (also in ``output_dir/train_report.json``).
    """
    output_dir = Path(output_dir)
    params = params.model_copy(update={"model": tiny_model.resolve(params.model)})  # "tiny:<preset>" -> a folder
    if not params.needs_launcher():
        return train(params, input_dir, output_dir)
    import torch

    preflight(params, input_dir)
    if torch.cuda.device_count() < params.num_processes:
        raise ValueError(
            f"train: num_processes={params.num_processes} with distributed={params.distributed!r} needs that many "
            f"GPUs, this machine has {torch.cuda.device_count()}; set num_processes: 1 and distributed: none here"
        )
    write_params(params, output_dir / PARAMS_NAME)
    if params.num_nodes > 1:
        command = multinode_command(params, input_dir, output_dir, os.environ)
    else:
        command = launch_command(params, input_dir, output_dir)
        # This interpreter's accelerate, not whichever `accelerate` comes first on PATH.
        command[:2] = [sys.executable, "-m", "accelerate.commands.launch"]
    finished = subprocess.run(command, cwd=paths.ROOT)
    if finished.returncode:
        raise RuntimeError(
            f"train: accelerate launch exited with code {finished.returncode} (its output is above): "
            f"{launch_command_string(command)}"
        )
    return json.loads((output_dir / REPORT_NAME).read_text())


# --- reading results (notebook) ---------------------------------------------------------------------


def read_train_log(output_dir: str | Path) -> pd.DataFrame:
    """``train_log.jsonl`` as a table, one row per logged step (the final summary row has train_runtime)."""
    import pandas as pd

    path = Path(output_dir) / LOG_NAME
    return pd.read_json(path, lines=True) if path.is_file() and path.stat().st_size else pd.DataFrame()


def report_table(report: Mapping[str, Any]) -> pd.DataFrame:
    """The train report as a two-column table (nested values flattened)."""
    import pandas as pd

    flat = pd.json_normalize(dict(report), sep=".").iloc[0]
    return pd.DataFrame({"field": flat.index, "value": [str(v) for v in flat.to_numpy()]})


def plot_training_curves(output_dir: str | Path, save: bool = True) -> Figure:
    """Loss and learning rate against optimizer step from ``train_log.jsonl``; saved as ``training_curves.png``."""
    import seaborn as sns
    from matplotlib.figure import Figure

    from ladder.plots import save_figure

    log = read_train_log(output_dir)
    steps = log.dropna(subset=["loss"]) if "loss" in log else log.iloc[0:0]
    fig = Figure(figsize=(10, 3.5), layout="tight")
    ax_loss, ax_lr = fig.subplots(1, 2)
    if not steps.empty:
        sns.lineplot(data=steps, x="step", y="loss", ax=ax_loss, marker="o" if len(steps) < 30 else None)
        sns.lineplot(data=steps, x="step", y="learning_rate", ax=ax_lr)
    ax_loss.set(title="training loss (assistant tokens)", xlabel="optimizer step", ylabel="loss")
    ax_lr.set(title="learning rate", xlabel="optimizer step", ylabel="lr")
    if save:
        save_figure(fig, output_dir, "training_curves")
    return fig


@dataclass(frozen=True)
class Generation:
    """One example generation of the trained model."""

    prompt: str
    reference: str
    generated: str
    new_tokens: int
    stopped: bool  # ended with an end-of-turn token before the budget ran out


def generate_examples(
    model_dir: str | Path, input_dir: str | Path, n: int = 3, max_new_tokens: int = 256
) -> list[Generation]:
    """Greedy generations of the trained model for the first ``n`` training prompts, with the references."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    model.eval()
    eos = model.generation_config.eos_token_id
    eos_ids = set(eos if isinstance(eos, list) else [eos]) | {tokenizer.eos_token_id}
    out = []
    for conv in load_conversations(input_dir)[:n]:
        prompt = tokenizer.apply_chat_template(conv[:-1], tokenize=False, add_generation_prompt=True)
        inputs = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
        with torch.no_grad():
            ids = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)[
                0, inputs["input_ids"].shape[1] :
            ]
        stopped = bool(len(ids)) and int(ids[-1]) in eos_ids
        text = tokenizer.decode(ids, skip_special_tokens=True)
        out.append(Generation(prompt, conv[-1]["content"], text, len(ids), stopped))
    return out


def example_generations(
    output_dir: str | Path, input_dir: str | Path, n: int = 3, max_new_tokens: int = 256
) -> pd.DataFrame:
    """Table of :func:`generate_examples` for the model in ``output_dir/model`` (text cut to 300 characters)."""
    import pandas as pd

    rows = [asdict(g) for g in generate_examples(Path(output_dir) / MODEL_DIRNAME, input_dir, n, max_new_tokens)]
    frame = pd.DataFrame(rows, columns=list(Generation.__dataclass_fields__))
    for column in ("prompt", "reference", "generated"):
        frame[column] = frame[column].str.slice(-300 if column == "prompt" else 0, None if column == "prompt" else 300)
    return frame


# --- command line -----------------------------------------------------------------------------------


def _arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--params", required=True, help="TrainParams as JSON or YAML (write_params writes one)")
    parser.add_argument("--input-dir", required=True, help="folder with dataset.parquet")
    parser.add_argument("--output-dir", required=True, help="folder for model/, train_log.jsonl, train_report.json")
    parser.add_argument("--print-launch", action="store_true", help="print the accelerate launch command and exit")
    parser.add_argument("--print-sbatch", action="store_true", help="print a SLURM script for the params and exit")
    parser.add_argument(
        "--in-process", action="store_true", help="train in this process, as one rank (what accelerate launches)"
    )
    return parser


def _run_cli(args: argparse.Namespace) -> int:
    params = read_params(args.params)
    if args.print_launch:
        print(launch_command_string(launch_command(params, args.input_dir, args.output_dir)))
        return 0
    if args.print_sbatch:
        print(render_sbatch(params, args.input_dir, args.output_dir), end="")
        return 0
    # Under accelerate every rank lands here with --in-process; a plain call trains here or launches the ranks.
    run = train if args.in_process else train_stage
    report = run(params, args.input_dir, args.output_dir)
    if int(os.environ.get("RANK", "0")) == 0:
        print(json.dumps({k: report[k] for k in ("steps", "resumed_from_step", "tokens_per_s", "train_loss")}))
    return 0


def add_cli(subparsers) -> None:
    """``ladder train``: fine-tune, or print the launch command / SLURM script for given params."""
    parser = subparsers.add_parser("train", help="fine-tune a model on dataset.parquet (the study's SFT recipe)")
    _arguments(parser).set_defaults(func=_run_cli)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m ladder.train`` (what ``accelerate launch`` runs on every rank)."""
    parser = _arguments(argparse.ArgumentParser(prog="python -m ladder.train", description=__doc__.split("\n")[0]))
    return _run_cli(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
