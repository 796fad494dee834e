"""The two tables every stage after sampling speaks: samples and graded samples (parquet).

One row per model x question x sample. Every backend (``ladder.sample``) and every reader of other
harnesses' outputs (``ladder.ingest``) writes :data:`SAMPLE_COLUMNS`; ``ladder.grade`` adds
:data:`GRADED_COLUMNS`. ``question_id`` is a string; for AIME24 it is the AI-MO id ("60".."89")
whatever the source's own numbering.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from ladder import store

# name -> (pandas dtype, meaning)
SAMPLE_COLUMNS: Mapping[str, tuple[str, str]] = {
    "model": ("string", "model name as the panel knows it (experiment name or hub id)"),
    "model_revision": ("string", "checkpoint path hash, hub revision, or '' when unknown"),
    "benchmark": ("string", "benchmark name in ladder.benchmarks (aime24, aime25, math500, synthetic, ...)"),
    "question_id": ("string", "canonical question id within the benchmark"),
    "sample_idx": ("int64", "0-based index of the sample for this (model, question)"),
    "prompt": ("string", "the exact text sent to the model, chat template applied"),
    "prompt_hash": ("string", "sha256[:16] of prompt"),
    "response": ("string", "the generated text"),
    "n_tokens": ("Int64", "generated tokens; <NA> when the source does not say"),
    "finish_reason": ("string", "stop | length | unknown"),
    "seed": ("Int64", "sampling seed of this (question, sample); <NA> when unknown"),
    "temperature": ("float64", "sampling temperature"),
    "top_p": ("float64", "nucleus sampling p"),
    "max_new_tokens": ("Int64", "generation budget"),
    "backend": ("string", "vllm | hf | openai | ingest:<format>"),
    "backend_version": ("string", "version of the engine that generated it"),
    "gold": ("string", "reference answer as a string"),
}

GRADED_COLUMNS: Mapping[str, tuple[str, str]] = {
    "extracted_answer": ("string", "answer extracted from the response; <NA> when none"),
    "correct": ("bool", "graded correct; truncated samples are always False, unfinished ones by default"),
    "grader": ("string", "which rule decided: aime_int | math_verify | judge | none"),
    "reason": ("string", "why: ok | wrong | no_answer | truncated | unfinished | timeout | ..."),
    "truncated": ("bool", "finish_reason == 'length'"),
    "unfinished": ("bool", "a <think> block opened and never closed, finish_reason not 'length' (a cut)"),
}

# Graded columns added after graded files were first written: value for files without them.
GRADED_DEFAULTS: Mapping[str, object] = {"unfinished": False}

KEY_COLUMNS = ("model", "question_id", "sample_idx")


class SchemaError(ValueError):
    """A table is missing columns, has duplicate keys or wrong types; the message names the file."""


def check_columns(frame: pd.DataFrame, columns: Mapping[str, tuple[str, str]], source: str | Path) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SchemaError(f"{source}: missing column(s) {', '.join(missing)}; expected {', '.join(columns)}")


def check_unique_keys(frame: pd.DataFrame, source: str | Path) -> None:
    dup = frame.duplicated(list(KEY_COLUMNS), keep=False)
    if dup.any():
        first = frame.loc[dup, list(KEY_COLUMNS)].iloc[0].to_dict()
        raise SchemaError(
            f"{source}: {int(dup.sum())} rows share a (model, question_id, sample_idx) key, e.g. {first}"
        )


def conform(frame: pd.DataFrame, columns: Mapping[str, tuple[str, str]], source: str | Path) -> pd.DataFrame:
    """Check columns and keys, cast to the schema's dtypes, and order columns (extra columns kept at the end)."""
    check_columns(frame, columns, source)
    check_unique_keys(frame, source)
    out = frame.copy()
    for name, (dtype, _) in columns.items():
        try:
            out[name] = out[name].astype(dtype)
        except (TypeError, ValueError) as exc:
            raise SchemaError(f"{source}: column '{name}' cannot be read as {dtype}: {exc}") from exc
    extra = [c for c in out.columns if c not in columns]
    return out[list(columns) + extra]


def conform_samples(frame: pd.DataFrame, source: str | Path = "<samples>") -> pd.DataFrame:
    return conform(frame, SAMPLE_COLUMNS, source)


def conform_graded(frame: pd.DataFrame, source: str | Path = "<graded>") -> pd.DataFrame:
    """Check a graded table; columns of :data:`GRADED_DEFAULTS` missing from older files get their default."""
    missing = {name: value for name, value in GRADED_DEFAULTS.items() if name not in frame.columns}
    if missing:
        frame = frame.assign(**missing)
    return conform(frame, {**SAMPLE_COLUMNS, **GRADED_COLUMNS}, source)


def read_table(path: str | Path, graded: bool = False) -> pd.DataFrame:
    """Read a samples or graded parquet file and check it against the schema."""
    path = Path(path)
    if not path.is_file():
        raise SchemaError(f"{path}: no such file")
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise SchemaError(f"{path}: not a readable parquet file (torn or not parquet): {exc}") from None
    return conform_graded(frame, path) if graded else conform_samples(frame, path)


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write parquet atomically (``ladder.store.atomic_write``)."""
    return store.atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))


def describe(columns: Mapping[str, tuple[str, str]]) -> pd.DataFrame:
    """The schema as a table, for the README and notebooks."""
    return pd.DataFrame([(n, d, m) for n, (d, m) in columns.items()], columns=["column", "dtype", "meaning"])
