"""Check the step decompositions of data/aime24_steps.yaml (or a file given) with sympy.

For every step: its ``check`` evaluated with sympy equals its ``answer`` (an integer or LaTeX); for every parent:
its last step's answer equals its answer, which equals the id registry's (data/aime24.csv). Prints a table of the
steps and one of the parents; exits 1 on any mismatch or a malformed file (the message names file, line and key).
The logic is ``ladder.aime_step_checks``'s and ``ladder.aime_steps``'s.

    .venv/bin/python scripts/check_aime_steps.py [data/aime24_steps.yaml]
"""

from __future__ import annotations

import sys

import pandas as pd

from ladder.aime_step_checks import check_steps
from ladder.aime_steps import AimeStepsError, parent_table


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = args[0] if args else None
    try:
        steps = check_steps(path)
        parents = parent_table(path)
    except AimeStepsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    with pd.option_context("display.width", 200, "display.max_colwidth", 60):
        print(steps[["question_id", "aime_id", "step", "n_steps", "answer", "value", "ok"]].to_string(index=False))
        print()
        print(parents.to_string(index=False))
    bad = steps[~steps["ok"]]
    for problem in bad["problem"]:
        print(f"mismatch: {problem}", file=sys.stderr)
    print(f"\n{len(steps) - len(bad)}/{len(steps)} steps check, {len(parents)} parents")
    return 1 if len(bad) else 0


if __name__ == "__main__":
    sys.exit(main())
