"""The training data, checked before any model or process starts: conversations, loss mode, lengths.

:func:`preflight` runs every check in the order a user would fix them: batch arithmetic, the file and its rows,
assistant turns, conversations longer than ``max_length``. :func:`to_training_records` turns the conversations
into the rows TRL's ``SFTTrainer`` masks for the chosen loss mode.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ladder.train.params import DATASET_NAME, TrainParams


class TrainDataError(ValueError):
    """The training data cannot be used as is; the message names the file, the row and what is wrong."""


def load_conversations(input_dir: str | Path) -> list[list[dict[str, str]]]:
    """Read ``input_dir/dataset.parquet`` and check every row is a list of {role, content} messages."""
    import pyarrow.parquet as pq  # pyarrow: heavy, only when reading the data

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
    # trl: heavy, only when training
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
    from transformers import AutoTokenizer  # transformers: heavy, only when training

    params.gradient_accumulation_steps()
    source = str(Path(input_dir) / DATASET_NAME)
    conversations = load_conversations(input_dir)
    tokenizer = AutoTokenizer.from_pretrained(params.model)
    mode = resolve_loss_mode(tokenizer, params.loss_on)
    check_assistant_turns(conversations, source, last=mode == "completion")
    lengths = conversation_lengths(tokenizer, conversations)
    check_lengths(lengths, params.max_length, params.truncation, source)
    return Preflight(conversations, tokenizer, mode, lengths)
