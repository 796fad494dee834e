"""Hard AIME24 questions split into sub-steps (benchmark ``aime24_steps``), and the Exh questions' intended strategies.

Finding 5 of the study: a Hard question split into sub-steps has each step solved often (87-100%) and the whole
rarely (12.5%). ``data/aime24_steps.yaml`` decomposes some Hard questions: per parent question (its AI-MO id, its
``2024-I-10`` id and its final answer) a list of self-contained sub-questions, each with an exact answer (an
integer or LaTeX, as Math-Verify reads it) and a ``check``: a short sympy expression whose value must equal the
answer. The last step's answer is the parent's answer, and the parent's answer is the id registry's
(``data/aime24.csv``). Step questions get the ids ``<parent>.<step>`` ("61.1"), which the ablations' step
decomposition groups by parent (``ladder.ablations.analysis.step_decomposition``), a step's tier being its parent's.

The answers are checked with sympy by ``ladder.aime_step_checks`` (kept apart: sympy takes a second to import,
and loading the benchmark or the strategies needs none of it).

``data/aime24_exh_strategies.yaml`` describes the intended (unconventional) strategy of each Exh question
(finding 6), read by :func:`load_intended_strategies`.

Every file error names the file, line and key (``data/aime24_steps.yaml:12: key 'parents.0.answer': ...``), as
``ladder.yaml_source`` does for the other YAML files.

Usage::

    from ladder import aime_steps
    frame = aime_steps.step_frame()           # the benchmark frame: question_id "61.1", problem, answer, ...
    strategies = aime_steps.load_intended_strategies()
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ladder import paths
from ladder.benchmark_ids import BenchmarkError
from ladder.yaml_source import Source, load_yaml_with_source

STEPS_FILE = paths.DATA_DIR / "aime24_steps.yaml"
STRATEGIES_FILE = paths.DATA_DIR / "aime24_exh_strategies.yaml"
REGISTRY_FILE = paths.DATA_DIR / "aime24.csv"
STEP_COLUMNS = ("question_id", "problem", "answer", "parent_id", "step", "n_steps", "aime_id")
STRATEGY_COLUMNS = ("question_id", "aime_id", "answer", "strategy", "key_steps")


class AimeStepsError(BenchmarkError):
    """A steps or strategies file is missing or malformed, or an answer does not check; names file, line and key."""


def _as_text(value: Any) -> Any:
    # YAML reads `answer: 113` as an int; keep answers as text, but never a bool or a float (write those in quotes).
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError(f"expected an integer or text (LaTeX in quotes), got {value!r}")
    return str(value) if isinstance(value, int) else value


Answer = Annotated[str, BeforeValidator(_as_text), Field(min_length=1)]
AimeId = Annotated[str, Field(pattern=r"^\d{4}-(I|II)-\d{1,2}$")]
QuestionId = Annotated[str, BeforeValidator(_as_text), Field(pattern=r"^\d+$")]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Step(_Frozen):
    """One self-contained sub-question: its exact answer and a sympy expression that must evaluate to it."""

    question: str = Field(min_length=20)
    answer: Answer  # an integer, or exact LaTeX that Math-Verify parses ("\\frac{225}{22}")
    check: str = Field(min_length=1)  # sympy expression, e.g. "Rational(9, 2) / Rational(11, 25)"


class ParentSteps(_Frozen):
    """One decomposed AIME24 question: its ids, its final answer and its steps, in order."""

    parent_id: QuestionId  # AI-MO id, "60".."89"
    aime_id: AimeId  # "2024-I-10"
    answer: Answer  # the parent's final answer (the registry's)
    steps: list[Step] = Field(min_length=2)


class StepsFile(_Frozen):
    """The contents of ``data/aime24_steps.yaml``."""

    parents: list[ParentSteps] = Field(min_length=1)


class Strategy(_Frozen):
    """The intended strategy of one Exh question, in this project's words."""

    question_id: QuestionId
    aime_id: AimeId
    answer: Answer
    strategy: str = Field(min_length=40)
    key_steps: list[Annotated[str, Field(min_length=3, pattern=r"^[^;]*$")]] = Field(min_length=2, max_length=5)
    # no ";" in a key step: load_intended_strategies joins them with "; "


class StrategiesFile(_Frozen):
    """The contents of ``data/aime24_exh_strategies.yaml``."""

    strategies: list[Strategy] = Field(min_length=1)


@dataclass(frozen=True)
class AimeSteps:
    """A read and validated steps file: its parents and the file's key lines (for error messages)."""

    parents: list[ParentSteps]
    source: Source


# --------------------------------------------------------------------------------------------------
# Reading


def _resolve(path: str | Path | None, default: Path) -> Path:
    path = Path(path) if path is not None else default
    return path if path.is_absolute() else paths.ROOT / path


def registry_answers(path: str | Path | None = None) -> pd.DataFrame:
    """The AIME24 id registry's ``question_id``, ``aime_id``, ``answer`` and ``study_tier`` (``data/aime24.csv``)."""
    frame = pd.read_csv(_resolve(path, REGISTRY_FILE), dtype=str, keep_default_na=False)
    return frame[["question_id", "aime_id", "answer", "study_tier"]]


def integer(text: str) -> int | None:
    """``text`` as an int when it is one ("113", " -4 "), else None."""
    return int(text) if re.fullmatch(r"\s*[+-]?\d+\s*", text) else None


def _registry_problems(
    source: Source, key: str, items: list[tuple[str, str, str]], registry: pd.DataFrame
) -> list[str]:
    # items: (question_id, aime_id, answer) per entry of the list `key`; each must be registered, once, and agree.
    rows = registry.set_index("question_id")
    id_key = "parent_id" if key == "parents" else "question_id"
    problems: list[str] = []
    first: dict[str, int] = {}
    for i, (qid, aime_id, answer) in enumerate(items):

        def where(field: str, i: int = i) -> str:
            return f"{source.where(key, str(i), field)}: key '{key}.{i}.{field}'"

        if qid in first:
            problems.append(f"{where(id_key)}: question {qid} given twice (first at {key}.{first[qid]})")
            continue
        first[qid] = i
        if qid not in rows.index:
            problems.append(f"{where(id_key)}: {qid} is not an AIME24 id of data/aime24.csv (60..89)")
            continue
        registered = rows.loc[qid]
        if aime_id != registered["aime_id"]:
            problems.append(f"{where('aime_id')}: '{aime_id}' but question {qid} is {registered['aime_id']}")
        if integer(answer) is None or integer(answer) != integer(registered["answer"]):
            problems.append(
                f"{where('answer')}: '{answer}' but the registry's answer to {qid} is {registered['answer']}"
            )
    return problems


def load_steps(path: str | Path | None = None, registry: pd.DataFrame | None = None) -> AimeSteps:
    """Read and validate a steps file (default ``data/aime24_steps.yaml``); raise :class:`AimeStepsError` if bad.

    Checked here: the keys and types (pydantic), each parent once, its ``aime_id`` and ``answer`` equal to the
    registry's (``registry``: default ``data/aime24.csv``), and its last step's answer equal to its answer. The
    steps' sympy checks are :func:`ladder.aime_step_checks.check_steps`'s.
    """
    path = _resolve(path, STEPS_FILE)
    data, source = load_yaml_with_source(path, StepsFile, AimeStepsError)
    registry = registry if registry is not None else registry_answers()
    items = [(p.parent_id, p.aime_id, p.answer) for p in data.parents]
    problems = _registry_problems(source, "parents", items, registry)
    for i, parent in enumerate(data.parents):
        last = len(parent.steps) - 1
        if integer(parent.steps[-1].answer) != integer(parent.answer):
            problems.append(
                f"{source.where('parents', str(i), 'steps', str(last), 'answer')}: key "
                f"'parents.{i}.steps.{last}.answer': the last step's answer '{parent.steps[-1].answer}' must be "
                f"the parent's answer {parent.answer}"
            )
    if problems:
        raise AimeStepsError("; ".join(problems))
    return AimeSteps(parents=list(data.parents), source=source)


def step_frame(path: str | Path | None = None) -> pd.DataFrame:
    """The benchmark ``aime24_steps``: one row per step, columns :data:`STEP_COLUMNS` (ids ``<parent>.<step>``)."""
    steps = load_steps(path)
    rows = [
        {
            "question_id": f"{parent.parent_id}.{number}",
            "problem": step.question,
            "answer": step.answer,
            "parent_id": parent.parent_id,
            "step": number,
            "n_steps": len(parent.steps),
            "aime_id": parent.aime_id,
        }
        for parent in steps.parents
        for number, step in enumerate(parent.steps, start=1)
    ]
    return pd.DataFrame(rows, columns=list(STEP_COLUMNS))


def parent_table(path: str | Path | None = None) -> pd.DataFrame:
    """One row per parent: ids, study tier, step count, and its last step's, own and registry answers."""
    steps = load_steps(path)
    registry = registry_answers().set_index("question_id")
    return pd.DataFrame(
        [
            {
                "parent_id": p.parent_id,
                "aime_id": p.aime_id,
                "study_tier": registry.loc[p.parent_id, "study_tier"],
                "n_steps": len(p.steps),
                "last_step_answer": p.steps[-1].answer,
                "parent_answer": p.answer,
                "registry_answer": registry.loc[p.parent_id, "answer"],
            }
            for p in steps.parents
        ]
    )


# --------------------------------------------------------------------------------------------------
# The Exh questions' intended strategies


def load_intended_strategies(path: str | Path | None = None) -> pd.DataFrame:
    """The intended strategy of each Exh question (default ``data/aime24_exh_strategies.yaml``).

    Returns columns :data:`STRATEGY_COLUMNS`, ``key_steps`` joined by "; ". Each question must be an Exh question
    of the registry (``data/aime24.csv``), given once, with the registry's ``aime_id`` and answer; errors name the
    file, line and key.
    """
    path = _resolve(path, STRATEGIES_FILE)
    data, source = load_yaml_with_source(path, StrategiesFile, AimeStepsError)
    items = [(s.question_id, s.aime_id, s.answer) for s in data.strategies]
    registry = registry_answers()
    problems = _registry_problems(source, "strategies", items, registry)
    tier_of = dict(zip(registry["question_id"], registry["study_tier"], strict=True))
    problems += [
        f"{source.where('strategies', str(i), 'question_id')}: key 'strategies.{i}.question_id': question "
        f"{s.question_id} is {tier_of[s.question_id]} in the study's tiers, not exh"
        for i, s in enumerate(data.strategies)
        if tier_of.get(s.question_id, "exh") != "exh"
    ]
    if problems:
        raise AimeStepsError("; ".join(problems))
    rows = [
        {
            "question_id": s.question_id,
            "aime_id": s.aime_id,
            "answer": s.answer,
            "strategy": " ".join(s.strategy.split()),
            "key_steps": "; ".join(s.key_steps),
        }
        for s in data.strategies
    ]
    return pd.DataFrame(rows, columns=list(STRATEGY_COLUMNS))
