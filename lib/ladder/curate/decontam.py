"""Decontamination: drop pool problems that share a word n-gram with a benchmark question.

Texts are lower-cased and split into words of letters and digits (LaTeX commands become words), as
open-r1's decontamination does; a pool problem is contaminated when any of its n-grams (default 8)
occurs in a benchmark question, or, for texts shorter than n words, when the whole normalised text
equals a benchmark question.

Usage::

    from ladder.curate.decontam import find_contamination
    removed = find_contamination(pool["problem_id"], pool["problem"], {"aime24": aime24_frame}, n=8)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

_WORD = re.compile(r"[a-z0-9]+")
REMOVED_COLUMNS = ("problem_id", "benchmark", "question_id", "ngram", "problem")


def words(text: str) -> list[str]:
    """Lower-cased runs of letters and digits."""
    return _WORD.findall(text.lower())


def ngrams(tokens: Sequence[str], n: int) -> Iterable[str]:
    """Word n-grams joined by spaces; the whole text as one gram when it has fewer than ``n`` words."""
    if len(tokens) < n:
        return [" ".join(tokens)] if tokens else []
    return (" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def benchmark_index(benchmarks: Mapping[str, pd.DataFrame], n: int) -> dict[str, tuple[str, str]]:
    """n-gram -> (benchmark, question_id) over every question of every benchmark (columns question_id, problem)."""
    index: dict[str, tuple[str, str]] = {}
    for name, frame in sorted(benchmarks.items()):
        for qid, problem in zip(frame["question_id"].astype(str), frame["problem"], strict=True):
            for gram in ngrams(words(problem), n):
                index.setdefault(gram, (name, qid))
    return index


def find_contamination(
    problem_ids: Iterable[str], problems: Iterable[str], benchmarks: Mapping[str, pd.DataFrame], n: int = 8
) -> pd.DataFrame:
    """Pool problems that overlap a benchmark question: one row each, with the first shared n-gram (REMOVED_COLUMNS)."""
    index = benchmark_index(benchmarks, n)
    hits = []
    for pid, problem in zip(problem_ids, problems, strict=True):
        for gram in ngrams(words(problem), n):
            match = index.get(gram)
            if match is not None:
                hits.append((pid, match[0], match[1], gram, problem))
                break
    return pd.DataFrame(hits, columns=list(REMOVED_COLUMNS))
