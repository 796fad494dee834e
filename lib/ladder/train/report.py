"""What notebook 20 shows of a finished train stage: the log, the report, training curves, example generations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ladder.train.data import load_conversations
from ladder.train.params import LOG_NAME, MODEL_DIRNAME

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure


def read_train_log(output_dir: str | Path) -> pd.DataFrame:
    """``train_log.jsonl`` as a table, one row per logged step (the final summary row has train_runtime)."""
    import pandas as pd  # pandas: heavy, only when reading results

    path = Path(output_dir) / LOG_NAME
    return pd.read_json(path, lines=True) if path.is_file() and path.stat().st_size else pd.DataFrame()


def report_table(report: Mapping[str, Any]) -> pd.DataFrame:
    """The train report as a two-column table (nested values flattened)."""
    import pandas as pd  # pandas: heavy, only when reading results

    flat = pd.json_normalize(dict(report), sep=".").iloc[0]
    return pd.DataFrame({"field": flat.index, "value": [str(v) for v in flat.to_numpy()]})


def plot_training_curves(output_dir: str | Path, save: bool = True) -> Figure:
    """Loss and learning rate against optimizer step from ``train_log.jsonl``; saved as ``training_curves.png``."""
    # seaborn, matplotlib (and ladder.plots, which imports them): heavy, only in the notebook
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
    # torch, transformers: heavy, only when generating
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
    import pandas as pd  # pandas: heavy, only when reading results

    rows = [asdict(g) for g in generate_examples(Path(output_dir) / MODEL_DIRNAME, input_dir, n, max_new_tokens)]
    frame = pd.DataFrame(rows, columns=list(Generation.__dataclass_fields__))
    for column in ("prompt", "reference", "generated"):
        frame[column] = frame[column].str.slice(-300 if column == "prompt" else 0, None if column == "prompt" else 300)
    return frame
