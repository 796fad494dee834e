"""The trainer: TRL's ``SFTTrainer`` with the study's recipe, counting tokens and logging to ``train_log.jsonl``.

:func:`train` fine-tunes in this process, or as one rank under ``accelerate launch``: it checks the data
(:mod:`ladder.train.data`), resumes from the last complete checkpoint (:mod:`ladder.train.checkpoints`), trains,
saves ``model/`` and writes ``train_report.json``; as a rank it dies with its launcher and checks that the engine
running is the one asked for (:mod:`ladder.train.ranks`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

from ladder import store
from ladder.train.checkpoints import (
    checkpoint_step,
    last_complete_checkpoint,
    remove_incomplete_checkpoints,
    run_mean_loss,
    tokens_at,
    truncate_log,
)
from ladder.train.data import TrainDataError, preflight, resolve_loss_mode, to_training_records
from ladder.train.params import (
    CHECKPOINTS_DIRNAME,
    DATASET_NAME,
    LOG_NAME,
    MODEL_DIRNAME,
    PROGRESS_NAME,
    REPORT_NAME,
    TrainParams,
)
from ladder.train.ranks import check_engine, die_with_launcher, is_launched_rank, what_ran


def use_bf16(params: TrainParams) -> bool:
    """bf16 as asked, or where supported when ``params.bf16`` is "auto" (a CUDA GPU with bf16; never on CPU)."""
    if params.bf16 != "auto":
        return params.bf16
    import torch  # torch: heavy, only when training

    return torch.cuda.is_available() and torch.cuda.is_bf16_supported()


def build_sft_config(params: TrainParams, output_dir: str | Path, mode: str):
    """The ``SFTConfig`` for ``params``: the study's recipe, checkpoints under ``output_dir/checkpoints``."""
    import torch  # torch, trl: heavy, only when training
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
    from transformers import TrainerCallback  # transformers: heavy, only when training

    class JsonlLog(TrainerCallback):
        """Append every log of the main process to train_log.jsonl (one JSON object per line)."""

        def on_train_begin(self, args, state, control, **kwargs):
            # What the runner's progress line needs beside the log: the total and where this session starts.
            if state.is_world_process_zero:
                progress = {"max_steps": state.max_steps, "start_step": state.global_step, "started": time.time()}
                store.write_json(log_path.with_name(PROGRESS_NAME), progress, sort_keys=False)

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
    # datasets, transformers, trl: heavy, only when training
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
    import pyarrow.compute as pc  # pyarrow: heavy, only when training

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


def train(params: TrainParams, input_dir: str | Path, output_dir: str | Path) -> dict[str, Any]:
    """Fine-tune in this process (or as one rank under ``accelerate launch``); returns the train report.

    Checks the data (assistant turns, lengths) before loading the model, resumes from the last complete
    checkpoint in ``output_dir/checkpoints``, and writes ``model/``, ``train_log.jsonl`` and ``train_report.json``.
    """
    if is_launched_rank():
        die_with_launcher()
    import datasets  # datasets, transformers: heavy, only when training
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
    resumed_step = checkpoint_step(resume) if resume else 0
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
            "the processes did not join one process group (check the accelerate config and the GPUs; without GPUs "
            "the ranks need ACCELERATE_USE_CPU=true, which train_stage() sets)"
        )
    ran = what_ran(trainer)
    check_engine(params, ran)
    eos_share = check_eos_in_labels(trainer, source) if not params.packing else None
    tokens_before = tokens_at(resume) if resume else 0  # read now: rotation may delete that checkpoint
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
        "launch": ran,  # what accelerate ran: engine (none, ddp, fsdp, deepspeed), processes, device, backend
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
        "versions": {"torch": version("torch"), "transformers": transformers.__version__, "trl": version("trl")},
    }
    if is_main:
        if resume:  # training_loss covers this session's steps only; the log holds every step of the run once
            report["train_loss"] = run_mean_loss(output_dir / LOG_NAME) or report["train_loss"]
        if final.exists():
            shutil.rmtree(final)
        staging.replace(final)
        store.write_json(output_dir / REPORT_NAME, report, sort_keys=False)
    trainer.accelerator.wait_for_everyone()
    return report
