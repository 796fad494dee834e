"""The findings engine: each claim of the study tested on this run's ablations, as frozen :class:`Finding` objects.

:func:`evaluate` runs every finding of the claims file through its rule (:mod:`ladder.findings.rules`) and puts
each published number behind it beside this run's (:mod:`ladder.findings.numbers`). A :class:`Finding` holds the
verdict, the sentence of this run's numbers, the headline estimate with its interval, and the numbers it used;
:func:`findings_table` is the one table the book shows, and :func:`save_findings` writes ``findings.csv`` (one
row per finding) and ``study_findings.csv`` (one row per published number).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ladder.findings.claims import StudyClaims, load_claims
from ladder.findings.numbers import NumberCheck, compare
from ladder.findings.rules import RULES, VERDICTS, AblationAnalysis


@dataclass(frozen=True, repr=False)
class Finding:
    """One finding of the study tested on this run (in the spirit of ``scipy.stats`` result objects).

    ``verdict`` is yes, no, inconclusive (an interval straddles the claim) or not testable; ``estimate`` and
    ``ci_low`` / ``ci_high`` are this run's value of the finding's first published number (NaN where it cannot be
    computed or has no CI); ``numbers`` are all of its published numbers beside this run's.
    """

    id: int
    name: str
    study_says: str
    this_run: str
    verdict: str
    numbers: tuple[NumberCheck, ...] = ()

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"finding {self.id}: verdict {self.verdict!r} is not one of {', '.join(VERDICTS)}")

    @property
    def estimate(self) -> float:
        """This run's value of the finding's first published number."""
        return self.numbers[0].this_run if self.numbers else math.nan

    @property
    def ci_low(self) -> float:
        return self.numbers[0].ci_low if self.numbers else math.nan

    @property
    def ci_high(self) -> float:
        return self.numbers[0].ci_high if self.numbers else math.nan

    def row(self) -> dict:
        """The row of ``findings.csv``."""
        return {
            "finding": f"{self.id}. {self.name}",
            "study_says": self.study_says,
            "this_run": self.this_run,
            "holds": self.verdict,
        }

    def __str__(self) -> str:
        lines = [
            f"Finding {self.id}. {self.name}: {self.verdict}",
            f"  study:    {self.study_says}",
            f"  this run: {self.this_run}",
        ]
        lines += [
            f"  {n.key}: study {n.show(n.study)} ({n.comparison}), this run {_value_text(n)}" for n in self.numbers
        ]
        return "\n".join(lines)

    __repr__ = __str__


def _value_text(number: NumberCheck) -> str:
    if math.isnan(number.this_run):
        return f"n/a ({number.note})"
    text = number.show(number.this_run)
    if not math.isnan(number.ci_low):
        text += f" (CI {number.show(number.ci_low)} to {number.show(number.ci_high)})"
    agrees = {True: "agrees", False: "disagrees"}.get(number.agrees if isinstance(number.agrees, bool) else None)
    return f"{text}, {agrees}" if agrees else text


def evaluate(analysis: AblationAnalysis, claims: StudyClaims | str | Path | None = None) -> list[Finding]:
    """Test every finding of ``claims`` (a loaded file, a path, or the default file) on ``analysis``."""
    if not isinstance(claims, StudyClaims):
        claims = load_claims(claims)
    findings = []
    for claim in claims.findings:
        result = RULES[claim.rule](analysis, claim.thresholds)
        numbers = tuple(compare(analysis, number, claim) for number in claim.numbers)
        findings.append(Finding(claim.id, claim.name, claim.study_says, result.this_run, result.verdict, numbers))
    return findings


def findings_frame(findings: Sequence[Finding]) -> pd.DataFrame:
    """``findings.csv``: one row per finding (finding, study_says, this_run, holds)."""
    return pd.DataFrame([f.row() for f in findings], columns=["finding", "study_says", "this_run", "holds"])


def numbers_frame(findings: Sequence[Finding]) -> pd.DataFrame:
    """``study_findings.csv``: one row per published number of the study, beside this run's value."""
    columns = [
        "finding",
        "key",
        "study_says",
        "study",
        "kind",
        "this_run",
        "difference",
        "ci_low",
        "ci_high",
        "agrees",
        "from",
        "this_run_is",
        "note",
    ]
    return pd.DataFrame([n.row() for f in findings for n in f.numbers], columns=columns)


def findings_table(findings: Sequence[Finding]) -> pd.DataFrame:
    """The book's one findings table: verdict, the study's words, this run's numbers, the study's numbers beside."""
    rows = []
    for f in findings:
        numbers = "; ".join(f"{n.text}: this run {_value_text(n)}" for n in f.numbers)
        rows.append(
            {
                "finding": f"{f.id}. {f.name}",
                "holds": f.verdict,
                "study_says": f.study_says,
                "this_run": f.this_run,
                "study_numbers": numbers,
            }
        )
    return pd.DataFrame(rows, columns=["finding", "holds", "study_says", "this_run", "study_numbers"])


def save_findings(findings: Sequence[Finding], out_dir: str | Path) -> dict[str, Path]:
    """Write ``findings.csv`` and ``study_findings.csv`` into ``out_dir``; returns name -> path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = {"findings": out / "findings.csv", "study_findings": out / "study_findings.csv"}
    findings_frame(findings).to_csv(written["findings"], index=False)
    numbers_frame(findings).to_csv(written["study_findings"], index=False)
    return written
