"""The dataset card of a curated SFT set: tables and figures the 10_curate notebook shows.

Usage::

    from ladder.curate import card
    card.category_table(result)
    fig = card.plot_lengths(result)  # also saved as output_dir/lengths.png
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from ladder.curate.stage import CurationResult


def category_table(result: CurationResult) -> pd.DataFrame:
    """Per category: pool size, rows selected, share of the dataset, median tokens in pool and dataset."""
    pool = result.pool_lengths
    table = pool.groupby("category").agg(pool=("problem_id", "size"), pool_median_tokens=("n_tokens", "median"))
    chosen = (
        pool[pool["selected"]]
        .groupby("category")
        .agg(selected=("problem_id", "size"), selected_median_tokens=("n_tokens", "median"))
    )
    table = table.join(chosen, how="outer").fillna({"selected": 0}).astype({"selected": "int64"})
    table["share"] = (table["selected"] / max(int(table["selected"].sum()), 1)).round(3)
    table.loc["total"] = [
        len(pool),
        pool["n_tokens"].median(),
        int(pool["selected"].sum()),
        pool.loc[pool["selected"], "n_tokens"].median(),
        1.0,
    ]
    return table[["pool", "selected", "share", "pool_median_tokens", "selected_median_tokens"]]


def plot_lengths(result: CurationResult, filename: str = "lengths.png"):
    """Histogram of trajectory token lengths, dataset vs pool (densities, log x); saved into output_dir."""
    pool = result.pool_lengths
    frame = pd.concat(
        [
            pool.assign(set=f"pool ({len(pool)})"),
            pool[pool["selected"]].assign(set=f"dataset ({pool['selected'].sum()})"),
        ]
    )
    fig, ax = plt.subplots(figsize=(7, 3.5))
    sns.histplot(
        frame,
        x="n_tokens",
        hue="set",
        stat="density",
        common_norm=False,
        element="step",
        log_scale=True,
        bins=40,
        ax=ax,
    )
    tokenizer = result.manifest["token_lengths"]["tokenizer"]
    ax.set(xlabel=f"trajectory tokens ({tokenizer})", ylabel="density", title="Trajectory length: dataset vs pool")
    fig.tight_layout()
    fig.savefig(result.output_dir / filename, dpi=120)
    return fig


def example_table(result: CurationResult, k: int = 3, max_chars: int = 400) -> pd.DataFrame:
    """The first ``k`` rows of the dataset: category, tokens, question, and the trace's start and end."""
    rows = []
    for _, row in result.selection.head(k).iterrows():
        user, assistant = row["messages"][0]["content"], row["messages"][1]["content"]
        half = max_chars // 2
        trace = assistant if len(assistant) <= max_chars else f"{assistant[:half]} [...] {assistant[-half:]}"
        rows.append(
            {
                "category": row["category"],
                "n_tokens": row["n_tokens"],
                "question": user[:max_chars],
                "assistant": trace,
            }
        )
    return pd.DataFrame(rows)


def decontamination_table(result: CurationResult) -> pd.DataFrame:
    """What decontamination removed: one row per pool problem, with the benchmark question and the shared n-gram."""
    removed = result.removed
    if not len(removed):
        benchmarks = ", ".join(result.manifest["decontamination"]["benchmarks"]) or "no benchmark"
        return pd.DataFrame({"removed": [f"nothing: no pool problem shares an n-gram with {benchmarks}"]})
    return removed.assign(problem=removed["problem"].str.slice(0, 200))


def token_length_table(result: CurationResult) -> pd.DataFrame:
    """Token-length statistics of the dataset and of the pool it was drawn from (from the manifest)."""
    lengths = result.manifest["token_lengths"]
    return pd.DataFrame({"dataset": lengths["dataset"], "pool": lengths["pool"]})


def source_table(result: CurationResult) -> pd.DataFrame:
    """Where the trajectories came from (dataset, config, revision or file hashes) and the content hash."""
    source = dict(result.manifest["source"])
    files = source.pop("files", [])
    rows = {**source, **{f"file {i}": f"{f['path']} (sha256 {f['sha256'][:16]})" for i, f in enumerate(files)}}
    rows["rows written"] = result.manifest["rows"]
    rows["content hash"] = result.manifest["content_hash"]
    return pd.DataFrame({"value": [str(v) for v in rows.values()]}, index=list(rows))
