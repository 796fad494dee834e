"""Tables and figures of notebook 30_sample: what was sampled, token lengths, truncation, examples.

Each function takes a samples table (``ladder.schema.SAMPLE_COLUMNS``) and returns a DataFrame or a
matplotlib Figure; figure functions also save into ``out_dir`` when given.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ladder.answers import is_unfinished


def settings_table(samples: pd.DataFrame) -> pd.DataFrame:
    """One row per (model, backend, settings): what was sampled, how many questions and samples each."""
    keys = [
        "model",
        "model_revision",
        "backend",
        "backend_version",
        "benchmark",
        "temperature",
        "top_p",
        "max_new_tokens",
    ]
    grouped = samples.groupby(keys, dropna=False, sort=False)
    out = grouped.agg(
        questions=("question_id", "nunique"),
        samples=("sample_idx", "size"),
        samples_per_question=("sample_idx", lambda s: s.groupby(samples.loc[s.index, "question_id"]).size().max()),
        first_seed=("seed", "first"),
    )
    return out.reset_index()


def engine_table(engine: dict) -> pd.DataFrame:
    """The engine that sampled (``env.json``'s ``engine``): name, version, device, then each argument it was given
    and the environment it started with, one row each."""
    rows = [
        ("engine", engine.get("engine", "")),
        ("version", engine.get("version", "")),
        ("device", engine.get("device", "")),
    ]
    rows += [(f"argument {k}", v) for k, v in engine.get("arguments", {}).items()]
    rows += [(f"environment {k}", v) for k, v in engine.get("environment", {}).items()]
    return pd.DataFrame([(k, str(v)) for k, v in rows], columns=["setting", "value"]).set_index("setting")


def _unfinished(samples: pd.DataFrame) -> pd.Series:
    """A think block opened and never closed, not cut at the token limit: graded ``unfinished`` (ladder.grade)."""
    flags = [is_unfinished(r, f) for r, f in zip(samples["response"], samples["finish_reason"], strict=True)]
    return pd.Series(flags, index=samples.index, dtype=bool)


def truncation_table(samples: pd.DataFrame) -> pd.DataFrame:
    """Per model: samples, truncation rate with a 95% Wilson interval, token stats.

    The truncation rate counts ``truncated_or_unfinished``: ``truncated`` (finish_reason 'length') and
    ``unfinished`` (a think block never closed otherwise; the grade stage scores both as cut).
    """
    from statsmodels.stats.proportion import proportion_confint  # statsmodels: seconds to import, for this table only

    rows = []
    unfinished_of = _unfinished(samples)
    for model, group in samples.groupby("model", sort=False):
        truncated = int((group["finish_reason"] == "length").sum())
        unfinished = int(unfinished_of.loc[group.index].sum())
        cut = truncated + unfinished
        low, high = proportion_confint(cut, len(group), alpha=0.05, method="wilson")
        tokens = group["n_tokens"].astype("Float64")
        rows.append(
            {
                "model": model,
                "samples": len(group),
                "truncated": truncated,
                "unfinished": unfinished,
                "truncated_or_unfinished": cut,
                "truncation_rate": cut / len(group),
                "ci_low": low,
                "ci_high": high,
                "unknown_finish": int((group["finish_reason"] == "unknown").sum()),
                "median_tokens": tokens.median(),
                "mean_tokens": tokens.mean(),
                "max_tokens": tokens.max(),
                "max_new_tokens": int(group["max_new_tokens"].max()),
            }
        )
    return pd.DataFrame(rows)


UNFINISHED_LABEL = "unclosed think (unfinished)"
ENDINGS = ("stop", "length (truncated)", UNFINISHED_LABEL, "unknown")


def endings(samples: pd.DataFrame) -> pd.Series:
    """How each sample ended, one of :data:`ENDINGS`: its finish reason, or an unclosed think block (unfinished)."""
    finished = samples["finish_reason"].map({"stop": "stop", "length": "length (truncated)"}).fillna("unknown")
    return finished.astype(object).where(~_unfinished(samples), UNFINISHED_LABEL)


def token_length_figure(samples: pd.DataFrame, out_dir: str | Path | None = None):
    """Histogram of generated tokens, one panel per model, stacked by how the sample ended (finish reason, or a
    think block never closed: unfinished, counted with the truncated); saved as ``token_lengths.png``.

    Built on ``matplotlib.figure.Figure`` (no pyplot state), so a notebook cell shows it exactly once.
    """
    # seaborn and matplotlib (ladder.plots imports both): seconds to import, for this figure only; the `ladder`
    # command imports ladder.sample for its sub-command
    import seaborn as sns
    from matplotlib.figure import Figure

    from ladder.plots import save_figure

    data = samples.assign(n_tokens=samples["n_tokens"].astype("float64"), finished=endings(samples))
    models = list(dict.fromkeys(data["model"]))
    fig = Figure(figsize=(7, 2.6 * len(models)))
    axes = fig.subplots(len(models), 1, squeeze=False, sharex=True)
    for ax, model in zip(axes[:, 0], models, strict=True):
        part = data[data["model"] == model]
        sns.histplot(
            part,
            x="n_tokens",
            hue="finished",
            multiple="stack",
            bins=30,
            ax=ax,
            hue_order=list(ENDINGS),
        )
        ax.axvline(float(part["max_new_tokens"].max()), color="black", linestyle="--", linewidth=1)
        ax.set_title(f"{model}: generated tokens (dashed: max_new_tokens)")
        ax.set_xlabel("generated tokens")
    fig.tight_layout()
    save_figure(fig, out_dir, "token_lengths")
    return fig


def examples_table(samples: pd.DataFrame, k: int = 3, max_chars: int = 300) -> pd.DataFrame:
    """Sample 0 of the first ``k`` questions of each model, responses cut to ``max_chars`` for display."""
    first = samples[samples["sample_idx"] == 0].groupby("model", sort=False).head(k)
    out = first[["model", "question_id", "gold", "finish_reason", "n_tokens", "response"]].copy()
    out["response"] = out["response"].map(lambda text: text if len(text) <= max_chars else text[:max_chars] + " [...]")
    return out.reset_index(drop=True)
