"""The one verdict rule of every finding: a claim is read off intervals, never off point estimates.

Each part of a finding is a :class:`Check`: an interval (a model's accuracy on a tier, a paired difference on the
same questions, a fitted slope) against the claim's bar, decided by :func:`ladder.contrasts.verdict`:

* ``yes`` when the whole interval is on the claimed side of the bar,
* ``no`` only when the whole interval is on the other side (the interval excludes the claim),
* ``inconclusive`` when it straddles the bar or is missing, and the check says which interval straddles what.

A finding's parts are joined with :func:`every` (all must hold: no if any part is no, else inconclusive if any
is) or :func:`some` (one must hold: yes if any is, else inconclusive if any is, else no). A count such as "k of m
models reach 90%" is :func:`tally` of one check per model: a model reaches 90% when its CI's lower bound is at
least 90%, does not when its upper bound is below, and is undecided otherwise. ``not testable`` (the experiments
are missing) is the rules' own answer, before any check.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from ladder import contrasts

RELATIONS = {"above": "above", "at_least": "at least", "below": "below", "at_most": "at most", "between": "within"}
LISTED = 3  # intervals named in a verdict's reason before "and k more"


def pct(x: float) -> str:
    """An accuracy as a whole percentage, ``n/a`` when missing."""
    return f"{x * 100:.0f}%" if pd.notna(x) else "n/a"


def signed(x: float) -> str:
    """A difference of accuracies in whole signed points (the unit said once: ``unit=" points"``)."""
    return f"{x * 100:+.0f}" if pd.notna(x) else "n/a"


@dataclass(frozen=True)
class Check:
    """One part of a finding decided on an interval (or several joined): the verdict, and unless yes, why."""

    verdict: str  # yes, no or inconclusive
    reasons: tuple[str, ...] = ()  # which interval straddles (inconclusive) or excludes (no) which bar


def check(
    what: str,
    ci_low: float,
    ci_high: float,
    show: Callable[[float], str] = pct,
    unit: str = "",
    **claim: float | tuple[float, float],
) -> Check:
    """``what`` (its interval ``ci_low`` to ``ci_high``) against one claim of :func:`ladder.contrasts.verdict`
    (``above=``, ``at_least=``, ``below=``, ``at_most=`` or ``between=``); ``show`` formats a number, ``unit``
    follows it."""
    verdict = contrasts.verdict(ci_low, ci_high, **claim)
    if verdict == "yes":
        return Check("yes")
    ((side, bar),) = claim.items()
    if side == "between":
        bar_text = f"{show(bar[0])} to {show(bar[1])}{unit}"
    elif isinstance(bar, tuple):
        bar_text = f"its CI {show(bar[0])} to {show(bar[1])}{unit}"
    else:
        bar_text = f"{show(bar)}{unit}"
    if pd.isna(ci_low) or pd.isna(ci_high):
        return Check(verdict, (f"{what} has no CI to compare with {bar_text}",))
    interval = f"{what} (CI {show(ci_low)} to {show(ci_high)}{unit})"
    if verdict == "no":
        return Check("no", (f"{interval} is not {RELATIONS[side]} {bar_text}",))
    if isinstance(bar, tuple) and side != "between" and any(pd.isna(b) for b in bar):
        return Check(verdict, (f"{interval} against a bar with no CI",))
    return Check(verdict, (f"{interval} straddles {bar_text}",))


def _reasons(checks: Sequence[Check]) -> tuple[str, ...]:
    return tuple(reason for c in checks for reason in c.reasons)


def every(checks: Sequence[Check]) -> Check:
    """All parts must hold: no if any is no (those that are settle it), else inconclusive if any is, else yes."""
    for verdict in ("no", "inconclusive"):
        deciding = [c for c in checks if c.verdict == verdict]
        if deciding:
            return Check(verdict, _reasons(deciding))
    return Check("yes")


def some(checks: Sequence[Check], none: str = "") -> Check:
    """One part must hold: yes if any is, else inconclusive if any is (naming them), else no (``none`` says why)."""
    if any(c.verdict == "yes" for c in checks):
        return Check("yes")
    undecided = [c for c in checks if c.verdict == "inconclusive"]
    if undecided:
        return Check("inconclusive", _reasons(undecided))
    return Check("no", (none,) if none else _reasons(checks))


def tally(checks: Sequence[Check]) -> tuple[int, int, int]:
    """How many checks hold, fail and are undecided (one per model in a "k of m models" count)."""
    verdicts = [c.verdict for c in checks]
    return verdicts.count("yes"), verdicts.count("no"), verdicts.count("inconclusive")


def said(check: Check) -> str:
    """The verdict's reasons as the end of a finding's sentence: ``""`` for yes, else ``"; inconclusive: ..."``
    (the first :data:`LISTED` reasons, then how many more)."""
    if check.verdict == "yes" or not check.reasons:
        return ""
    more = f" and {len(check.reasons) - LISTED} more" if len(check.reasons) > LISTED else ""
    return f"; {check.verdict}: " + "; ".join(check.reasons[:LISTED]) + more
