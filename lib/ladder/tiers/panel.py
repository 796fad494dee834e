"""The panel: graded tables of a set of models read, checked and reduced to per-question accuracy.

A panel is graded rows (``ladder.schema``; one row per model x question x sample) of several models on one
benchmark; every model must have samples for every question.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from ladder import metrics, paths, schema
from ladder.tiers.params import ROLES, TiersError, TiersParams
from ladder.tiers.rules import reference_tiers


def load_graded(files: Sequence[str | Path]) -> pd.DataFrame:
    """Read and concatenate graded parquet files; a model present in two files is an error naming both."""
    if not files:
        raise TiersError("no graded files given")
    frames, owner = [], {}
    for path in map(Path, files):
        frame = schema.read_table(path, graded=True)
        for model in frame["model"].unique():
            if model in owner:
                raise TiersError(f"model {model!r} appears in both {owner[model]} and {path}; rename one of them")
            owner[model] = path
        frames.append(frame)
    graded = pd.concat(frames, ignore_index=True)
    graded.attrs["files"] = {str(model): str(path) for model, path in owner.items()}  # for error messages
    return graded


def files_of(graded: pd.DataFrame, models: Sequence[str] | None = None) -> str:
    """The graded file(s) ``models`` (default: all) came from, for error messages; "<graded>" if not known."""
    files = graded.attrs.get("files", {})
    return ", ".join(sorted({files[m] for m in (files if models is None else models) if m in files})) or "<graded>"


def repo_files(files: Sequence[str | Path]) -> list[Path]:
    """``graded_files`` as paths: absolute ones as given, the rest relative to the repo root."""
    return [Path(f) if Path(f).is_absolute() else paths.ROOT / f for f in files]


def load_panel(inputs: Mapping[str, Mapping[str, str]], graded_files: Sequence[str | Path] = ()) -> pd.DataFrame:
    """The graded tables of every experiment in ``inputs`` (experiment -> {stage -> folder}) with a grade stage,
    plus ``graded_files`` (results graded elsewhere, e.g. ingested lm-eval logs; relative to the repo root)."""
    files = [Path(stages["grade"]) / "graded.parquet" for stages in inputs.values() if "grade" in stages]
    files += repo_files(graded_files)
    if not files:
        raise TiersError(
            f"nothing to analyse: no experiment in inputs has a 'grade' stage (experiments: "
            f"{', '.join(inputs) or 'none'}) and no graded_files are given"
        )
    return load_graded(files)


def select_panel(graded: pd.DataFrame, params: TiersParams) -> pd.DataFrame:
    """Rows of ``params.benchmark`` and ``params.models``; checks roles name panel members and questions are known."""
    if "benchmark" in graded.columns:
        present = sorted(graded["benchmark"].astype(str).unique())
        graded = graded[graded["benchmark"].astype(str) == params.benchmark]
        if graded.empty:
            raise TiersError(
                f"no graded rows of benchmark {params.benchmark!r}; benchmarks present: {', '.join(present)}"
            )
    panel = sorted(graded["model"].astype(str).unique())
    if params.models:
        unknown = [m for m in params.models if m not in panel]
        if unknown:
            raise TiersError(f"models {unknown} not in the graded tables; models present: {', '.join(panel)}")
        graded = graded[graded["model"].isin(params.models)]
        panel = list(params.models)
    for role in ROLES:
        unknown = [m for m in getattr(params, role) if m not in panel]
        if unknown:
            raise TiersError(f"{role}: {unknown} not in the panel; models present: {', '.join(panel)}")
    known = reference_tiers(params.benchmark, params.tier_version)
    if known:
        unknown_ids = sorted(set(graded["question_id"].astype(str)) - set(known), key=_id_key)
        if unknown_ids:
            expected = "AI-MO ids 60..89" if params.benchmark == "aime24" else f"one of {len(known)} known ids"
            wrong = graded.loc[graded["question_id"].astype(str).isin(unknown_ids), "model"].astype(str).unique()
            raise TiersError(
                f"{files_of(graded, list(wrong))}: {params.benchmark}: unknown question id(s) "
                f"{', '.join(unknown_ids[:10])}; expected {expected}"
            )
    graded = graded.assign(question_id=graded["question_id"].astype(str), model=graded["model"].astype(str))
    by_model = graded.groupby("model")["question_id"].agg(lambda s: set(s))
    every = set().union(*by_model)
    for model, qids in by_model.items():
        if qids != every:
            missing = sorted(every - qids)
            raise TiersError(f"model {model!r} has no samples for question(s) {', '.join(missing[:10])}")
    return graded


def panel_summary(graded: pd.DataFrame) -> pd.DataFrame:
    """One row per model and benchmark: questions, samples per question (min and max), accuracy, and the share of
    samples cut at the token limit (truncated), with an unclosed think block (unfinished), or either."""
    flags = graded.assign(truncated_or_unfinished=graded["truncated"] | graded["unfinished"])
    table = flags.groupby(["model", "benchmark"], sort=True).agg(
        questions=("question_id", "nunique"),
        samples=("sample_idx", "size"),
        accuracy=("correct", "mean"),
        truncated_or_unfinished=("truncated_or_unfinished", "mean"),
        truncated=("truncated", "mean"),
        unfinished=("unfinished", "mean"),
    )
    per_question = graded.groupby(["model", "benchmark", "question_id"]).size().groupby(["model", "benchmark"])
    table["n_min"], table["n_max"] = per_question.min(), per_question.max()
    return table.reset_index()


def question_accuracy(outcomes: Mapping[str, metrics.Outcomes], confidence: float = 0.95) -> pd.DataFrame:
    """One row per model x question: samples n, correct c, accuracy c/n and its binomial CI (Wilson)."""
    table = pd.DataFrame(
        [
            {"model": model, "question_id": qid, "n": oc.n, "correct": int(c)}
            for model, oc in outcomes.items()
            for qid, c in zip(oc.question_ids, oc.correct.sum(axis=1), strict=True)
        ]
    )
    table["accuracy"] = table["correct"] / table["n"]
    table["ci_low"], table["ci_high"] = metrics.proportion_ci(table["correct"], table["n"], confidence)
    return table


def accuracy_matrix(outcomes: Mapping[str, metrics.Outcomes]) -> pd.DataFrame:
    """avg@n per question (rows, ordered by id) x model (columns) from per-model outcomes."""
    columns = {
        model: pd.Series(oc.correct.mean(axis=1), index=list(oc.question_ids)) for model, oc in outcomes.items()
    }
    frame = pd.DataFrame(columns)
    frame.index.name = "question_id"
    return frame.loc[sorted(frame.index, key=_id_key)]


def _id_key(qid: str):
    # numeric ids in numeric order (AI-MO 60..89), then the rest by text
    return (0, int(qid), "") if str(qid).isdigit() else (1, 0, str(qid))
