"""One model's graded samples as matrices: :class:`Outcomes` (questions x samples), from a graded table or arrays.

The metrics (``ladder.metrics``) take these matrices: ``correct[q, s]`` with samples in ``sample_idx`` order, and
each sample's extracted answer numbered per question (``answer_codes``) for majority voting. Every question of
a model must have the same number of samples n (or be truncated to the smallest n, on request).

Usage::

    from ladder.outcomes import outcomes_from_graded
    tables = outcomes_from_graded(graded)           # model -> Outcomes; unequal n is an error
    tables["s1.1-32B"].correct.shape                # (questions, n)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd


class MetricsError(ValueError):
    """Input a metric cannot be computed on honestly (unequal n, k > n, missing questions...)."""


@dataclass(frozen=True)
class Outcomes:
    """One model's graded samples as matrices: questions x samples, samples in ``sample_idx`` order.

    ``answer_codes[q, s]`` numbers the distinct extracted answers of question q in order of first
    appearance (-1: no answer); ``answer_correct[q, u]`` says whether answer code u is correct.
    """

    model: str
    question_ids: tuple[str, ...]
    correct: np.ndarray  # (Q, N) bool
    answer_codes: np.ndarray  # (Q, N) int64
    answer_correct: np.ndarray  # (Q, U) bool
    n_dropped: int = 0  # samples dropped to equalise n (unequal_n="truncate"); 0 otherwise
    notes: tuple[str, ...] = field(default=())

    @property
    def n(self) -> int:
        return int(self.correct.shape[1])

    def subset(self, question_ids: Iterable[str]) -> Outcomes:
        """The same model restricted to ``question_ids`` (in that order); unknown ids are an error."""
        index = {q: i for i, q in enumerate(self.question_ids)}
        wanted = list(question_ids)
        missing = [q for q in wanted if q not in index]
        if missing:
            raise MetricsError(f"model {self.model!r}: no samples for question(s) {', '.join(missing)}")
        rows = np.array([index[q] for q in wanted], dtype=np.int64)
        return replace(
            self,
            question_ids=tuple(wanted),
            correct=self.correct[rows],
            answer_codes=self.answer_codes[rows],
            answer_correct=self.answer_correct[rows],
        )


def encode_answers(
    answers: np.ndarray | Sequence[Sequence[object]], correct: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Number each question's distinct answers by first appearance; return (codes, answer_correct).

    ``answers`` is questions x samples of hashable answers, None/NaN meaning "no answer". An answer's
    correctness is that of its first sample (samples with the same extracted answer grade alike).
    """
    correct = np.asarray(correct, dtype=bool)
    n_q, n_s = correct.shape
    codes = np.full((n_q, n_s), -1, dtype=np.int64)
    answer_correct = np.zeros((n_q, max(n_s, 1)), dtype=bool)
    for q in range(n_q):
        # pd.factorize keeps order of first appearance and maps NA to -1.
        row_codes, uniques = pd.factorize(pd.Series(list(answers[q]), dtype=object), use_na_sentinel=True)
        codes[q] = row_codes
        for u in range(len(uniques)):
            answer_correct[q, u] = correct[q, int(np.argmax(row_codes == u))]
    # Keep only as many answer columns as the busiest question needs: maj@k's vote table is that wide.
    return codes, answer_correct[:, : max(int(codes.max(initial=-1)) + 1, 1)]


def outcomes_from_arrays(
    correct: np.ndarray, answers: np.ndarray | None = None, model: str = "", question_ids: Sequence[str] | None = None
) -> Outcomes:
    """Wrap a questions x samples correctness matrix (and optional answers) as :class:`Outcomes`."""
    correct = np.asarray(correct, dtype=bool)
    if correct.ndim != 2 or correct.shape[1] == 0:
        raise MetricsError(f"correct must be a questions x samples matrix with n >= 1, got shape {correct.shape}")
    if answers is None:
        # Without answers each sample votes for "correct" or "wrong": maj@k becomes "more than half correct".
        answers = np.where(correct, "correct", "wrong")
    codes, answer_correct = encode_answers(np.asarray(answers, dtype=object), correct)
    ids = tuple(question_ids) if question_ids is not None else tuple(str(i) for i in range(correct.shape[0]))
    return Outcomes(model, ids, correct, codes, answer_correct)


def outcomes_from_graded(
    graded: pd.DataFrame, unequal_n: Literal["error", "truncate"] = "error", source: str = "<graded>"
) -> dict[str, Outcomes]:
    """Split a graded table (``ladder.schema``) into one :class:`Outcomes` per model.

    Every question of a model must have the same number of samples. ``unequal_n="error"`` (default)
    raises naming the model and the questions; ``"truncate"`` keeps the first n_min samples (by
    ``sample_idx``) of every question and records how many were dropped in ``Outcomes.notes``.
    """
    needed = ["model", "question_id", "sample_idx", "correct", "extracted_answer"]
    missing = [c for c in needed if c not in graded.columns]
    if missing:
        raise MetricsError(f"{source}: missing column(s) {', '.join(missing)}")
    dup = graded.duplicated(["model", "question_id", "sample_idx"], keep=False)
    if dup.any():
        first = graded.loc[dup, ["model", "question_id", "sample_idx"]].iloc[0].to_dict()
        raise MetricsError(
            f"{source}: {int(dup.sum())} rows share a (model, question_id, sample_idx) key, e.g. {first}"
        )
    if graded["correct"].isna().any():
        raise MetricsError(f"{source}: column 'correct' has missing values")
    out: dict[str, Outcomes] = {}
    frame = graded.sort_values(["model", "question_id", "sample_idx"], kind="stable")
    for model, rows in frame.groupby("model", sort=True):
        counts = rows.groupby("question_id", sort=True).size()
        n_min, n_max = int(counts.min()), int(counts.max())
        notes: tuple[str, ...] = ()
        dropped = 0
        if n_min != n_max:
            detail = ", ".join(f"{q}: {c}" for q, c in counts[counts != n_max].items())
            if unequal_n == "error":
                raise MetricsError(
                    f"{source}: model {model!r} has unequal samples per question (n from {n_min} to {n_max}; "
                    f"questions with fewer than {n_max}: {detail}). Fill the gaps or pass unequal_n='truncate' "
                    f"to use the first {n_min} samples of every question."
                )
            dropped = int(counts.sum() - n_min * len(counts))
            rows = rows.groupby("question_id", sort=True).head(n_min)
            notes = (f"unequal n ({n_min}..{n_max}): truncated to the first {n_min} samples, {dropped} dropped",)
        qids = tuple(str(q) for q in counts.index)
        correct = rows["correct"].to_numpy(dtype=bool).reshape(len(qids), n_min)
        answers = rows["extracted_answer"].astype(object).to_numpy().reshape(len(qids), n_min)
        codes, answer_correct = encode_answers(answers, correct)
        out[str(model)] = Outcomes(str(model), qids, correct, codes, answer_correct, dropped, notes)
    return out
