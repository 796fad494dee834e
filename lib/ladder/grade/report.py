"""Tables of notebook 40_grade, each from a graded table (:data:`ladder.schema.GRADED_COLUMNS`) to a DataFrame.

Verdict counts per rule and reason, truncation and extraction failures, what the ``unfinished_think`` rule
changes, where graders disagree, and a few examples per reason.
"""

from __future__ import annotations

import pandas as pd

# What a reader checks of a graded sample first: its keys, the gold and the answer found.
_ANSWER_COLUMNS = ["model", "question_id", "sample_idx", "gold", "extracted_answer"]


def preview(graded: pd.DataFrame, rows: int = 5) -> pd.DataFrame:
    """The first graded rows with the columns a reader checks: keys, gold, extracted answer, verdict."""
    columns = [*_ANSWER_COLUMNS, "correct", "grader", "reason", "finish_reason", "n_tokens"]
    return graded[columns].head(rows)


def reason_counts(graded: pd.DataFrame) -> pd.DataFrame:
    """Counts of samples per model x (grader, reason), with their share of the model's samples."""
    counts = graded.groupby(["model", "grader", "reason"], observed=True).size().rename("n").reset_index()
    counts["share"] = counts["n"] / counts.groupby("model")["n"].transform("sum")
    return counts.sort_values(["model", "n"], ascending=[True, False], ignore_index=True)


def _unfinished(graded: pd.DataFrame) -> pd.Series:
    """The ``unfinished`` flag; False throughout for frames graded before it existed."""
    if "unfinished" not in graded.columns:
        return pd.Series(False, index=graded.index)
    return graded["unfinished"].astype("boolean").fillna(False).astype(bool)


def truncated_or_unfinished(graded: pd.DataFrame) -> pd.Series:
    """Samples without a final answer because they were cut: ``truncated`` (finish reason "length") or
    ``unfinished`` (a think block never closed). Every truncation count and rate is of this."""
    return graded["truncated"].astype(bool) | _unfinished(graded)


def truncation_summary(graded: pd.DataFrame) -> pd.DataFrame:
    """Per model: samples, accuracy, truncation rate, unknown finish reasons, extraction failures, answers in think.

    ``truncated_or_unfinished`` is the truncation rate: cut at the token limit (``truncated``) or with a think block
    never closed (``unfinished``, the only trace of a cut in logs without finish reasons), shown apart as well.
    """
    flags = pd.DataFrame(
        {
            "model": graded["model"],
            "accuracy": graded["correct"].astype(bool),
            "truncated_or_unfinished": truncated_or_unfinished(graded),
            "truncated": graded["truncated"].astype(bool),
            "unfinished": _unfinished(graded),
            "truncated_but_matching": (graded["truncated"] & graded["answer_matches"]).astype(bool),
            "finish_reason_unknown": graded["finish_reason"] == "unknown",
            "no_answer": graded["reason"] == "no_answer",
            "answer_in_think": graded["answer_in_think"].astype(bool),
        }
    )
    by_model = flags.groupby("model", observed=True)
    return by_model.size().rename("samples").to_frame().join(by_model.mean()).reset_index()


def unfinished_summary(graded: pd.DataFrame) -> pd.DataFrame:
    """Per model: how the ``unfinished_think`` rule changes the score.

    Columns: ``samples``; ``unfinished`` (think block opened and never closed, not cut at the token limit);
    ``unfinished_with_answer`` (of those, an answer was found, almost always inside the block);
    ``unfinished_matching`` (of those, the answer equals the gold); ``accuracy_incorrect`` and
    ``accuracy_last_answer``: accuracy under each rule (``incorrect``, the default: unfinished samples count as
    wrong; ``last_answer``: their last answer is graded), whichever rule ``graded`` was graded with;
    ``accuracy_change``: the second minus the first.
    """
    unfinished = _unfinished(graded)
    matches = graded["answer_matches"].astype(bool)
    settled = graded["correct"].astype(bool) & ~unfinished  # the same under both rules
    flags = pd.DataFrame(
        {
            "model": graded["model"],
            "unfinished": unfinished,
            "unfinished_with_answer": unfinished & graded["extracted_answer"].notna(),
            "unfinished_matching": unfinished & matches,
            "accuracy_incorrect": settled,
            "accuracy_last_answer": settled | (unfinished & matches),
        }
    )
    by_model = flags.groupby("model", observed=True, sort=True)
    counts = by_model[["unfinished", "unfinished_with_answer", "unfinished_matching"]].sum().astype(int)
    rates = by_model[["accuracy_incorrect", "accuracy_last_answer"]].mean()
    out = by_model.size().rename("samples").to_frame().join(counts).join(rates)
    out["accuracy_change"] = out["accuracy_last_answer"] - out["accuracy_incorrect"]
    return out.reset_index()


def grader_disagreements(graded: pd.DataFrame) -> pd.DataFrame:
    """Samples where two graders disagree on the extracted answer: our rule vs Math-Verify's cross-check,
    and ours vs the source harness's own verdict (``source_correct``, kept by ingest) where present."""
    columns = [*_ANSWER_COLUMNS, "grader", "other_grader", "ours", "theirs", "response_tail"]
    parts = []
    for other, label in (("math_verify_correct", "math_verify"), ("source_correct", "source")):
        if other not in graded.columns:
            continue
        theirs = graded[other].astype("boolean")
        mask = theirs.notna() & (theirs != graded["answer_matches"].astype("boolean"))
        rows = graded.loc[mask.fillna(False).to_numpy()]
        if len(rows):
            parts.append(
                rows.assign(
                    other_grader=label,
                    ours=rows["answer_matches"].astype(bool),
                    theirs=rows[other].astype(bool),
                    response_tail=rows["response"].astype(str).str[-200:],
                )[columns]
            )
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)


def grade_examples(graded: pd.DataFrame, per_reason: int = 2, seed: int = 0) -> pd.DataFrame:
    """A few graded samples per reason (seeded), with the end of each response, for reading."""
    shuffled = graded.sample(frac=1.0, random_state=seed)
    picked = shuffled.groupby("reason", observed=True, sort=True).head(per_reason).sort_values("reason", kind="stable")
    picked = picked.assign(response_tail=picked["response"].astype(str).str[-300:])
    columns = ["reason", *_ANSWER_COLUMNS, "extraction_method", "grader", "finish_reason", "response_tail"]
    return picked[columns].reset_index(drop=True)
