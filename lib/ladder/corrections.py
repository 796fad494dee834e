"""Self-correction in step traces: after a wrong step, how often does a model's trace notice it and redo it right?

The study credits R1-style long CoT with reflection: checking a step, noticing a slip, redoing it. On the synthetic
mini-ladder this is measured directly from the sampled text. A trace writes its steps as equations (R1 style: one
``Step k: ... a op b = r.`` line each, maybe followed by a re-check line; Gemini style: ``a op b = r; ...``).
A step is *wrong* when its written arithmetic is (``5 + 9 = 15``); what follows it decides the rest:

- *checked*: a re-check line follows (``Wait, let me check: 15 - 9 = 6 ...``);
- *flagged*: the check says the step is wrong (``..., not 5.``);
- *corrected*: it redoes the same operation with the right result (``Redo: 5 + 9 = 14.``).

The correction rate is corrected / wrong steps, per model, with its Wilson interval (``metrics.proportion_ci``); a *false alarm* is
a right step flagged. Only arithmetic is judged here: a step that reads the wrong operation from the problem is
right arithmetic on the wrong operands (``ladder.calibration`` tells those apart against the true chain).

Usage::

    from ladder import corrections
    corrections.written_steps(response)                  # [WrittenStep(...), ...]
    corrections.correction_table(graded, by="experiment")  # one row per model
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import pandas as pd

from ladder.metrics import proportion_ci
from ladder.strategies.traces import reasoning_trace

EQUATION = re.compile(r"(\d+) (\+|-|\*|/|mod) (\d+) = (-?\d+)")  # "5 + 9 = 14": integer operands
_STEP = re.compile(r"^\s*Step\s+\d+\s*:", re.IGNORECASE)
_CHECK = re.compile(r"^\s*(wait|let me check|check)", re.IGNORECASE)
_FLAG = re.compile(r"\bnot\b", re.IGNORECASE)
_REDO = re.compile(r"\bRedo:\s*(.*)$", re.IGNORECASE)


def arithmetic_right(a: int, op: str, b: int, result: int) -> bool:
    """Whether ``a op b = result`` holds (integer division must be exact; mod and / need b > 0)."""
    if op == "+":
        return a + b == result
    if op == "-":
        return a - b == result
    if op == "*":
        return a * b == result
    if b == 0:
        return False
    if op == "/":
        return a % b == 0 and a // b == result
    return a % b == result  # mod


@dataclass(frozen=True)
class WrittenStep:
    """One step as a trace wrote it, and what the trace did right after it."""

    text: str  # the step as written after its copied clause: "5 + 9 = 15." (or whatever the line holds)
    equation: str | None  # "5 + 9 = 15"; None when the step holds no readable equation
    right: bool  # the written arithmetic holds
    operation: tuple[int, str, int] | None = None  # (5, "+", 9): what the step computes
    checked: bool = False  # a re-check line follows the step
    flagged: bool = False  # that check says the step is wrong
    redo: str | None = None  # the equation the check redid the step with
    corrected: bool = False  # the redo repeats the step's operation with the right result

    @property
    def final(self) -> str | None:
        """The equation the trace goes on with: the redo when there is one."""
        return self.redo or self.equation


def _step(text: str) -> WrittenStep:
    found = list(EQUATION.finditer(text))
    if not found:
        return WrittenStep(text.strip(), None, False)
    m = found[-1]
    a, op, b, result = int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4))
    return WrittenStep(text.strip(), m.group(0), arithmetic_right(a, op, b, result), (a, op, b))


def _with_check(step: WrittenStep, line: str) -> WrittenStep:
    redo_match = _REDO.search(line)
    check_part = line[: redo_match.start()] if redo_match else line
    redo = _step(redo_match.group(1)) if redo_match else None
    redone = redo is not None and redo.equation is not None
    return replace(
        step,
        checked=True,
        flagged=bool(_FLAG.search(check_part)),
        redo=redo.equation if redone else None,
        corrected=redone and not step.right and redo.right and redo.operation == step.operation,
    )


def written_steps(response: str | None) -> list[WrittenStep]:
    """The steps of a response's trace in order, each with its re-check (if any) read into it.

    R1 style: every ``Step k:`` line is a step (its equation read after the copied clause), and a ``Wait, ...``
    line right after it is that step's check. Gemini style: every equation of a ``;``-separated line is a step.
    """
    trace = reasoning_trace(response) or (response or "")
    steps: list[WrittenStep] = []
    last_was_step = False
    for line in trace.splitlines():
        if _STEP.match(line):
            body = line.rsplit(":", 1)[-1] if line.count(":") >= 2 else line.split(":", 1)[1]
            steps.append(_step(body))
            last_was_step = True
        elif _CHECK.match(line):
            if last_was_step:
                steps[-1] = _with_check(steps[-1], line)
            last_was_step = False
        else:
            last_was_step = False
            if "=" in line and not line.lower().lstrip().startswith(("so ", "the answer")):
                steps.extend(_step(part) for part in line.split(";") if EQUATION.search(part))
    return steps


COUNT_COLUMNS = ("steps", "wrong", "checked_after_wrong", "flagged", "corrected", "right", "false_alarms")


def correction_counts(responses: pd.Series | list[str]) -> dict[str, int]:
    """Counts over many responses: steps written, wrong ones, and what the traces did after the wrong ones."""
    counts = dict.fromkeys(COUNT_COLUMNS, 0)
    for response in responses:
        for step in written_steps(response):
            if step.equation is None:
                continue
            counts["steps"] += 1
            if step.right:
                counts["right"] += 1
                counts["false_alarms"] += step.flagged
            else:
                counts["wrong"] += 1
                counts["checked_after_wrong"] += step.checked
                counts["flagged"] += step.flagged
                counts["corrected"] += step.corrected
    return counts


def correction_table(graded: pd.DataFrame, by: str = "experiment", confidence: float = 0.95) -> pd.DataFrame:
    """One row per ``by`` value: steps, wrong steps and their share, checked / flagged / corrected after a wrong
    step, the correction rate (corrected / wrong) with its Wilson interval, and false alarms on right steps.

    The rate is NaN for a model that wrote no wrong step (nothing to correct)."""
    rows = []
    for key, group in graded.groupby(by, sort=False):
        counts = correction_counts(group["response"])
        wrong = counts["wrong"]
        low, high = (
            (float(bound) for bound in proportion_ci(counts["corrected"], wrong, confidence))
            if wrong
            else (float("nan"), float("nan"))
        )
        rows.append(
            {
                by: key,
                **counts,
                "wrong_share": wrong / counts["steps"] if counts["steps"] else float("nan"),
                "correction_rate": counts["corrected"] / wrong if wrong else float("nan"),
                "ci_low": low,
                "ci_high": high,
                "false_alarm_rate": counts["false_alarms"] / counts["right"] if counts["right"] else float("nan"),
            }
        )
    return pd.DataFrame(rows)
