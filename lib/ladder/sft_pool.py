"""What every source of SFT trajectories produces: a :class:`Pool` of rows in one chat container.

A pool has one row per problem (:data:`POOL_COLUMNS`); its ``assistant`` column is the SFT target in the one
chat container every source and style shares (:func:`format_assistant`: the thinking trace in think tags, then
the final answer) and its ``category`` the study's category name (:data:`PROBLEM_TYPE_TO_CATEGORY`). The
curation sources (``ladder.curate.sources``) and the mini-ladder's generator (``ladder.synthetic``,
``ladder.synthetic_corpus``) both build on this module, and it imports neither.

Usage::

    from ladder.sft_pool import Pool, format_assistant
    pool = Pool(frame=rows, source={"name": "my_source"})  # rows: POOL_COLUMNS
    pool.record("loaded", len(rows))
    text = format_assistant("2 + 3 = 5", "The answer is 5.")  # <think> 2 + 3 = 5 </think>, then the answer
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ladder.answers import THINK_CLOSE, THINK_OPEN

__all__ = ["POOL_COLUMNS", "PROBLEM_TYPE_TO_CATEGORY", "THINK_CLOSE", "THINK_OPEN", "Pool", "format_assistant"]

# One row per problem; `assistant` is the SFT target: "<think>\n{trace}\n</think>\n\n{final answer}".
POOL_COLUMNS = ("problem_id", "problem", "answer", "category", "origin", "generation_idx", "assistant")

# NuminaMath-1.5 `problem_type` (OpenR1-Math-220k, and the synthetic problems named after it) -> the study's
# category names (``ladder.curate.params.STUDY_CATEGORIES`` and "other").
PROBLEM_TYPE_TO_CATEGORY = {
    "Algebra": "algebra",
    "Number Theory": "number_theory",
    "Geometry": "geometry",
    "Calculus": "calculus",
    "Combinatorics": "combinatorics",
    "Inequalities": "inequalities",
    "Logic and Puzzles": "logic_and_puzzles",
    "Other": "other",
}


@dataclass
class Pool:
    """Usable trajectories of one source, one per problem, with the filter trail that produced them."""

    frame: pd.DataFrame  # POOL_COLUMNS
    steps: list[dict[str, Any]] = field(default_factory=list)  # [{"step", "unit", "rows"}] in order
    source: dict[str, Any] = field(default_factory=dict)  # dataset name, config, revision, files + hashes

    def record(self, step: str, rows: int, unit: str = "problems") -> None:
        """Append the number of rows left after ``step``."""
        self.steps.append({"step": step, "unit": unit, "rows": int(rows)})


def format_assistant(thinking: str, final: str) -> str:
    """The one chat container for every source and style: thinking trace in think tags, then the answer."""
    return f"{THINK_OPEN}\n{thinking.strip()}\n{THINK_CLOSE}\n\n{final.strip()}"
