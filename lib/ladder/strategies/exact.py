"""Exact strategies on the synthetic mini-ladder: the sequence of operations a trace performs, read from its text.

A mini-ladder problem is solved by a known chain of operations (``ladder.synthetic``: "+ 6", "mod 4", ...,
"backwards"). A trace's strategy is the sequence of operations its equations perform, whatever their inputs and
results: ``Step 2: (2) add 9: 5 + 9 = 15.`` performs "+ 9" (an arithmetic slip does not change the strategy).
R1-style traces write one step per line and may add re-checks (``Wait, let me check: 15 - 9 = 6. Yes.``), which
are not steps; Gemini-style traces write the equations on one line, separated by semicolons; the base answers in
one line (``4 * 3 = 12, so the answer is ...``). A step line whose equation cannot be read becomes
:data:`GARBLED`, which matches nothing. Two strategies are compared as sequences (:func:`strategy_similarity`).

Usage::

    from ladder.strategies.exact import parse_strategy, chain_strategy, strategy_similarity
    parse_strategy("<think>\\nStep 1: (1) add 4: 8 + 4 = 12.\\n</think>")   # ("+ 4",)
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from ladder.strategies.traces import reasoning_trace
from ladder.synthetic import Problem

GARBLED = "?"  # a step whose equation could not be read
SEPARATOR = " | "  # how a strategy is written in tables: "+ 4 | mod 9"

_SYMBOLS = {"+": "+", "-": "-", "*": "*", "/": "/", "mod": "mod", "x": "*", "×": "*", "÷": "/"}
_EQUATION = re.compile(r"(-?\d+)\s*(\+|-|\*|/|mod|x|×|÷)\s*(\d+)\s*=\s*(-?\d+)")
_BACKWARDS = re.compile(r"(\d+)\s+backwards\s*=\s*(-?\d+)")
_STEP = re.compile(r"^\s*Step\s+\d+\s*:", re.IGNORECASE)
_CHECK = re.compile(r"^\s*(wait|check|let me check|verify)", re.IGNORECASE)
_ANSWER_LINE = re.compile(r"^\s*(so\s+)?the answer is", re.IGNORECASE)


def _operation(text: str) -> str | None:
    """The operation of the last equation in ``text`` ("+ 9", "backwards"), None when there is none."""
    found = [(m.start(), f"{_SYMBOLS[m.group(2)]} {m.group(3)}") for m in _EQUATION.finditer(text)]
    found += [(m.start(), "backwards") for m in _BACKWARDS.finditer(text)]
    return max(found)[1] if found else None


def parse_strategy(response: str | None) -> tuple[str, ...]:
    """The operations the trace of ``response`` performs, in order; :data:`GARBLED` for an unreadable step line."""
    trace = reasoning_trace(response)
    if not trace:  # no think block with content: the answer line is the trace (the base's one-line answers)
        trace = response or ""
    out: list[str] = []
    for line in trace.splitlines():
        if not line.strip() or _CHECK.match(line) or _ANSWER_LINE.match(line):
            continue
        if _STEP.match(line):
            # the step copies its clause first ("(2) add 9"), then the equation: read after the last colon
            body = line.rsplit(":", 1)[-1] if line.count(":") >= 2 else line.split(":", 1)[1]
            out.append(_operation(body) or GARBLED)
            continue
        for part in line.split(";"):  # Gemini style: "5 + 9 = 14; 14 * 2 = 28"
            operation = _operation(part)
            if operation is not None:
                out.append(operation)
    return tuple(out)


def chain_strategy(problem: Problem) -> tuple[str, ...]:
    """The strategy a problem's true chain performs, in the same words as :func:`parse_strategy`."""
    return tuple(step.operation for step in problem.steps)


def strategy_similarity(first: tuple[str, ...], second: tuple[str, ...]) -> float:
    """How alike two operation sequences are, 0..1: 1 when equal, 0 when they share no operation in order.

    difflib's ratio, 2M / (len(first) + len(second)) with M the operations matched in order; a garbled step
    matches nothing, not even another garbled step.
    """
    if not first and not second:
        return 1.0
    if first == second and GARBLED not in first:
        return 1.0
    a = [f"{GARBLED}{i}" if op == GARBLED else op for i, op in enumerate(first)]
    b = [f"{GARBLED}-{i}" if op == GARBLED else op for i, op in enumerate(second)]
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def same_strategy(first: tuple[str, ...], second: tuple[str, ...]) -> bool:
    """Whether two strategies are the same sequence of readable operations."""
    return first == second and bool(first) and GARBLED not in first


def write(strategy: tuple[str, ...]) -> str:
    """A strategy as a table cell: "+ 4 | mod 9"; "" for a trace without operations."""
    return SEPARATOR.join(strategy)
