"""How a mini-ladder problem's solution is written: the SFT trajectories and the base's worked solutions.

Each training problem of ``ladder.synthetic`` has a trajectory in one of three verbosities (answer only, for
one-step problems; the steps; the steps plus re-checks, as in R1 traces) and two styles (an R1-like think block
of numbered steps, or a terser Gemini-like line of equations), in the chat container of ``ladder.sft_pool``.
The "instruct" base (``models/tiny-instruct``, built by the ``laptop_base`` profile) stands in for a pretrained
instruct model: it learns arithmetic drills (the facts pretraining teaches), every one of those trajectory
forms written only on request (:data:`WORKED_REQUESTS`: its latent skill) and one-step problems answered in
one line (:data:`BASE_VERBOSITY`: its habit). SFT on plain problems then turns the latent skill into the
habit, which is the study's mechanism. Benchmark ``synthetic_worked`` (:func:`worked_evaluation_set`) asks
the evaluation set with the worked-solution request (``ladder.calibration``).

Usage::

    from ladder import synthetic, synthetic_trajectories
    problem = synthetic.training_problems(1)[0]
    text = synthetic_trajectories.trajectory(problem, verbosity="steps", style="r1")
"""

from __future__ import annotations

import random

import pandas as pd

from ladder.sft_pool import format_assistant
from ladder.synthetic import EVAL_SEED, Problem, Step, evaluation_set

VERBOSITIES = ("answer", "steps", "rechecks")
BASE_VERBOSITY = "oneline"  # the instruct base's answer to a one-step problem: its equation, then the answer
STYLES = ("r1", "gemini")
REDO = "Redo:"  # how a re-check that caught a slip starts the step again


def thinking(problem: Problem, verbosity: str, style: str, error_rate: float = 0.0) -> str:
    """The thinking trace of ``problem``: nothing, the steps, or the steps with re-checks; R1 or Gemini style.

    With ``error_rate`` > 0, each step of an R1 re-check trace is first written wrong with that probability
    (:meth:`ladder.synthetic.Step.slip`), and its re-check notices it and redoes the step (:func:`retry_lines`),
    as DeepSeek-R1's traces do ("wait, ..."). Which steps slip is fixed by the problem id. Traces without
    re-checks (plain steps, Gemini's equations) stay error-free: nothing in them could notice a slip.
    """
    if verbosity not in (*VERBOSITIES, BASE_VERBOSITY) or style not in STYLES:
        raise ValueError(f"verbosity must be one of {VERBOSITIES} or '{BASE_VERBOSITY}', and style one of {STYLES}")
    if verbosity == BASE_VERBOSITY and problem.n_steps != 1:
        raise ValueError(
            f"verbosity '{BASE_VERBOSITY}' answers one-step problems only; {problem.problem_id} has "
            f"{problem.n_steps} steps"
        )
    if verbosity in ("answer", BASE_VERBOSITY):
        return ""
    if style == "gemini":
        return "; ".join(s.equation for s in problem.steps)
    slips = random.Random(f"slips-{problem.problem_id}") if verbosity == "rechecks" and error_rate > 0 else None
    lines = []
    # Each step first copies its operation's clause from the problem ("Step 2: (2) add 9: 5 + 9 = 14."): copying
    # after "(2)" is what a small transformer does reliably, and the equation then reads its operation from the
    # line itself. Without the copy (equations only, no numbered clauses), over half of the tiny base's steps
    # took the wrong operation or operand from the text.
    for i, (step, clause) in enumerate(zip(problem.steps, problem.clauses, strict=True), start=1):
        if slips is not None and slips.random() < error_rate:
            lines.extend(retry_lines(step, f"Step {i}: {clause}: ", step.slip(slips)))
            continue
        lines.append(f"Step {i}: {clause}: {step.equation}.")
        if verbosity == "rechecks":
            lines.append(f"Wait, let me check: {step.check}. Yes.")
    if verbosity == "rechecks":
        lines.append(f"So the answer is {problem.answer}.")
    return "\n".join(lines)


def retry_lines(step: Step, prefix: str, written: int) -> list[str]:
    """A step written with the wrong result ``written``, its re-check noticing it, and the step redone:
    ``Step 2: (2) add 9: 5 + 9 = 15.`` / ``Wait, let me check: 15 - 9 = 6, not 5. Redo: 5 + 9 = 14.``"""
    expression, value = step.check_of(written)
    return [
        f"{prefix}{step.a} {step.operation} = {written}.",
        f"Wait, let me check: {expression} = {value}, not {step.a}. {REDO} {step.equation}.",
    ]


def final_answer(problem: Problem, style: str, verbosity: str = "steps") -> str:
    """The answer line after the think block (the one-line base answer states the step's equation first)."""
    if verbosity == BASE_VERBOSITY:
        return f"{problem.steps[0].equation}, so the answer is \\boxed{{{problem.answer}}}."
    return (
        f"The answer is \\boxed{{{problem.answer}}}." if style == "r1" else f"**Answer:** \\boxed{{{problem.answer}}}"
    )


def trajectory(problem: Problem, verbosity: str = "steps", style: str = "r1", error_rate: float = 0.0) -> str:
    """The assistant turn, in the chat container of ``ladder.sft_pool`` (think block, then the answer)."""
    return format_assistant(thinking(problem, verbosity, style, error_rate), final_answer(problem, style, verbosity))


# The base's on-request repertoire: every trace form the SFT data contains, each asked for by its own
# instruction. SFT then only has to attach a form the base already writes to the plain question (the study's
# "SFT unlocks a latent skill"); when the base knew only plain-line solutions, SFT traces started at 7.7
# nats/token (above uniform) and fine-tuning taught a new language instead.
WORKED_REQUESTS = {
    ("steps", "r1"): "Work it out step by step.",
    ("rechecks", "r1"): "Work it out step by step and check each step.",
    ("steps", "gemini"): "Write the equations.",
    ("answer", "r1"): "Just give the answer.",
    ("answer", "gemini"): "Just state the answer.",
}
WORKED_PROMPT = WORKED_REQUESTS[("steps", "r1")]


def worked_evaluation_set(seed: int = EVAL_SEED) -> pd.DataFrame:
    """The evaluation set with the base's worked-solution request in front (benchmark ``synthetic_worked``):
    what the base can do when asked for the trace that SFT later makes its habit (its latent skill)."""
    frame = evaluation_set(seed)
    frame["problem"] = WORKED_PROMPT + " " + frame["problem"]
    return frame
