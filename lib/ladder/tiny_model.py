"""Tiny Qwen2-architecture models built from a config, with a tokenizer trained locally.

Nothing is downloaded: the tokenizer is a byte-level BPE trained on the texts you give (digits split
one per token, which helps arithmetic), wrapped with a Qwen2.5-style ChatML chat template whose
assistant turns are marked with ``{% generation %}`` so TRL's ``assistant_only_loss`` can mask the
prompt. Used by the laptop profile and by every test that needs a real model.

transformers 5 loads every checkpoint of model type ``qwen2`` with ``Qwen2Tokenizer``, which applies Qwen's own
pre-tokenizer over these merges (a number's digits one per token, the space before it a token of its own), so
the tiny models read numbers exactly as Qwen2.5 does, whatever pre-tokenizer trained the merges.

Usage::

    from ladder.tiny_model import build_tiny_model
    path = build_tiny_model("runs/tiny", corpus=["What is 2+3?", "5"], hidden_size=64, num_layers=2)
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
from collections.abc import Iterable
from pathlib import Path

from ladder import paths, sft_pool, synthetic, synthetic_corpus, synthetic_trajectories
from ladder.sft_pool import THINK_CLOSE, THINK_OPEN

IM_START, IM_END, ENDOFTEXT = "<|im_start|>", "<|im_end|>", "<|endoftext|>"
SPECIAL_TOKENS = [ENDOFTEXT, IM_START, IM_END, THINK_OPEN, THINK_CLOSE]

# Qwen2.5's template, trimmed (no tools), plus generation markers for assistant-only loss.
CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{%- if loop.first and message['role'] != 'system' %}"
    "{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- if message['role'] == 'assistant' %}"
    "{{- '<|im_start|>assistant\\n' }}"
    "{%- generation %}{{- message['content'] + '<|im_end|>' }}{%- endgeneration %}"
    "{{- '\\n' }}"
    "{%- else %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)

DEFAULT_CORPUS = [
    "Please reason step by step, and put your final answer within \\boxed{}.",
    "What is 12 + 35? Let me think. 12 + 35 = 47. The answer is \\boxed{47}.",
    "Find the remainder when 100 is divided by 7. 100 = 14*7 + 2, so the answer is \\boxed{2}.",
    "You are a helpful assistant.",
]


def train_tokenizer(corpus: Iterable[str], vocab_size: int = 512):
    """Train a byte-level BPE tokenizer on ``corpus`` and wrap it as a transformers fast tokenizer."""
    # tokenizers and transformers: seconds to import, only when a model is built
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(list(corpus), trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token=IM_END,
        pad_token=ENDOFTEXT,
        bos_token=None,
        unk_token=None,
        additional_special_tokens=[IM_START, THINK_OPEN, THINK_CLOSE],
        model_max_length=4096,
    )
    fast.chat_template = CHAT_TEMPLATE
    fast.padding_side = "left"
    return fast


def build_tiny_model(
    out_dir: str | Path,
    corpus: Iterable[str] | None = None,
    vocab_size: int = 512,
    hidden_size: int = 64,
    intermediate_size: int | None = None,
    num_layers: int = 2,
    num_heads: int = 4,
    num_kv_heads: int = 2,
    max_position_embeddings: int = 1024,
    seed: int = 0,
) -> Path:
    """Build a randomly initialised Qwen2 causal LM and its tokenizer, saved as an HF checkpoint in ``out_dir``."""
    # torch and transformers: seconds to import, only when a model is built
    import torch
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    out_dir = Path(out_dir)
    tokenizer = train_tokenizer(corpus if corpus is not None else DEFAULT_CORPUS, vocab_size=vocab_size)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=intermediate_size or 2 * hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        num_key_value_heads=num_kv_heads,
        max_position_embeddings=max_position_embeddings,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config)
    model.generation_config = GenerationConfig(
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, do_sample=True, temperature=1.0
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir


# --- named presets: "tiny:<preset>" wherever a model or tokenizer name is expected --------------------

TINY_PREFIX = "tiny:"
PRESETS = {
    # the laptop profile's base: a few hundred thousand parameters, learns 1-2 step synthetic problems on CPU
    "laptop": dict(
        vocab_size=512, hidden_size=128, num_layers=4, num_heads=4, num_kv_heads=2, max_position_embeddings=512
    ),
    # the smoke profile: as small as a real Qwen2 model gets, so the whole book runs inside the tests
    "smoke": dict(
        vocab_size=384, hidden_size=32, num_layers=1, num_heads=2, num_kv_heads=1, max_position_embeddings=512
    ),
}


def resolve(name: str, cache_dir: str | Path | None = None) -> str:
    """Pass a normal model name through; build ``tiny:<preset>`` once (cached by spec and code) and return its path.

    The tokenizer of a preset is trained on the synthetic benchmark's training trajectories
    (``ladder.synthetic_corpus.tokenizer_corpus``), so it fits the laptop profile's data; the weights are random.
    """
    if not name.startswith(TINY_PREFIX):
        return name
    preset = name.removeprefix(TINY_PREFIX)
    if preset not in PRESETS:
        raise ValueError(f"unknown tiny model '{name}'. Presets: {', '.join(TINY_PREFIX + p for p in PRESETS)}")
    # the code that makes the tokenizer's corpus (the trajectories' text and their chat container) is in the key
    sources = (
        __file__,
        synthetic.__file__,
        synthetic_trajectories.__file__,
        sft_pool.__file__,
        synthetic_corpus.__file__,
    )
    code = hashlib.sha256(b"".join(Path(f).read_bytes() for f in sources)).hexdigest()[:10]
    root = Path(cache_dir) if cache_dir else paths.RUNS_DIR / "_cache" / "tiny"
    out = root / f"{preset}-{code}"
    if (out / "config.json").is_file():
        return str(out)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f".{preset}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two stages resolving the same preset build it once
        if not (out / "config.json").is_file():
            tmp = out.with_name(out.name + ".partial")
            shutil.rmtree(tmp, ignore_errors=True)
            build_tiny_model(tmp, corpus=synthetic_corpus.tokenizer_corpus(), **PRESETS[preset])
            tmp.rename(out)
    return str(out)
