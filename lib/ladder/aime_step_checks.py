"""The step answers of ``data/aime24_steps.yaml`` checked with sympy (``scripts/check_aime_steps.py``, the tests).

Each step's ``check``, a short sympy expression, must evaluate to its ``answer`` (an integer or exact LaTeX). A
``check`` is evaluated with a fixed namespace of sympy names and a few builtins (``sum``, ``next``, ``range``, ...),
never with Python's builtins. Apart from ``ladder.aime_steps`` because sympy takes a second to import.

Usage::

    from ladder import aime_step_checks
    table = aime_step_checks.check_steps()    # one row per step: the answer, the check's value, ok
    aime_step_checks.verify_steps()           # raise AimeStepsError naming file:line and key on any mismatch
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import sympy
from latex2sympy2_extended import latex2sympy  # Math-Verify's LaTeX parser (sympy's own needs antlr4 4.11)
from sympy.parsing.sympy_parser import auto_number, parse_expr

from ladder.aime_steps import AimeStepsError, integer, load_steps

_SYMPY_NAMES = (
    "Abs Float Integer Matrix Max Min Rational E pi sqrt cbrt root exp log sin cos tan cot asin acos atan floor "
    "ceiling binomial factorial gcd lcm mod_inverse isprime prime primerange nextprime divisors factorint "
    "primefactors totient numer denom fraction expand factor simplify nsimplify"
).split()
_BUILTINS = {"sum": sum, "min": min, "max": max, "next": next, "len": len, "range": range, "all": all, "any": any}
_BUILTINS |= {"abs": abs, "divmod": divmod}
_SYMBOLS = {name: sympy.Symbol(name) for name in ("a", "b", "c", "x", "y", "z")}
CHECK_NAMESPACE: dict[str, Any] = {
    **{name: getattr(sympy, name) for name in _SYMPY_NAMES},
    **_BUILTINS,
    **_SYMBOLS,
}


def evaluate_check(text: str) -> sympy.Expr:
    """The value of a ``check`` expression: numbers become sympy Integers, names come from :data:`CHECK_NAMESPACE`.

    Raises ``ValueError`` on an unknown name, a syntax error, or a value that is not a number.
    """
    if "__" in text:
        raise ValueError("'__' is not allowed in a check")
    try:
        namespace = {**CHECK_NAMESPACE, "__builtins__": {}}  # no open, __import__, eval ...
        value = parse_expr(text, local_dict={}, global_dict=namespace, transformations=(auto_number,))
        value = sympy.sympify(value, strict=True)
    except Exception as exc:  # SyntaxError, NameError, TypeError, sympy's errors: say which
        raise ValueError(f"cannot evaluate: {type(exc).__name__}: {exc}") from None
    if not isinstance(value, sympy.Expr) or value.free_symbols:
        raise ValueError(f"is not a number: {value}")
    return value


def parse_answer(text: str) -> sympy.Expr:
    """An answer as a sympy value: an integer, or exact LaTeX (``\\frac{225}{22}``, ``4\\sqrt{2}``).

    Raises ``ValueError`` when the text does not parse, is not a number, or is inexact (a decimal).
    """
    if integer(text) is not None:
        return sympy.Integer(integer(text))
    try:
        value = latex2sympy(text)
    except Exception as exc:  # the LaTeX parser raises many types
        raise ValueError(f"cannot parse the LaTeX: {type(exc).__name__}: {exc}") from None
    if not isinstance(value, sympy.Expr) or value.free_symbols:
        raise ValueError(f"is not a number: {value}")
    if value.has(sympy.Float):
        raise ValueError("is not exact (a decimal); write a fraction or a radical")
    return value


def _same(a: sympy.Expr, b: sympy.Expr) -> bool:
    return sympy.simplify(a - b) == 0


def check_steps(path: str | Path | None = None) -> pd.DataFrame:
    """Evaluate every step's ``check`` and parse its ``answer``; one row per step, whatever the outcome.

    Columns: question_id, parent_id, aime_id, step, n_steps, answer, value (the check's value), ok, problem (empty
    when ok, else what is wrong, naming the file, line and key). A file that does not load raises
    :class:`AimeStepsError` (see :func:`load_steps`).
    """
    steps = load_steps(path)
    rows = []
    for i, parent in enumerate(steps.parents):
        for j, step in enumerate(parent.steps):
            keys = ("parents", str(i), "steps", str(j))
            problem, value = "", None
            try:
                answer = parse_answer(step.answer)
            except ValueError as exc:
                problem = f"{steps.source.where(*keys, 'answer')}: key '{'.'.join(keys)}.answer': {exc}"
            try:
                value = evaluate_check(step.check)
            except ValueError as exc:
                problem = problem or f"{steps.source.where(*keys, 'check')}: key '{'.'.join(keys)}.check': {exc}"
            if not problem and not _same(answer, value):
                problem = (
                    f"{steps.source.where(*keys, 'check')}: key '{'.'.join(keys)}.check': evaluates to {value}, "
                    f"but the answer is {step.answer}"
                )
            rows.append(
                {
                    "question_id": f"{parent.parent_id}.{j + 1}",
                    "parent_id": parent.parent_id,
                    "aime_id": parent.aime_id,
                    "step": j + 1,
                    "n_steps": len(parent.steps),
                    "answer": step.answer,
                    "value": "" if value is None else str(value),
                    "ok": not problem,
                    "problem": problem,
                }
            )
    return pd.DataFrame(rows)


def verify_steps(path: str | Path | None = None) -> pd.DataFrame:
    """:func:`check_steps`, raising :class:`AimeStepsError` (every problem, file:line and key) unless all check."""
    table = check_steps(path)
    bad = table[~table["ok"]]
    if len(bad):
        raise AimeStepsError("; ".join(bad["problem"]))
    return table
