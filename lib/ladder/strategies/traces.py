"""The texts strategies are read from: a response's reasoning trace, and the reference solutions of a benchmark.

A reasoning trace is the think block of a response (``<think> ... </think>``, or everything after an unclosed
``<think>``); a response without one is its own trace (a base model answering in one line). A benchmark's reference
solutions are its ``solution`` column (AI-MO's AIME rows, MATH-500); the synthetic mini-ladder's are the teacher's
R1-style trajectories (``ladder.synthetic_trajectories``), the strategy the SFT data teaches.
"""

from __future__ import annotations

from ladder import benchmarks, synthetic, synthetic_trajectories
from ladder.answers import THINK_CLOSE, THINK_OPEN
from ladder.strategies.params import StrategiesError

SYNTHETIC_BENCHMARKS = ("synthetic", "synthetic_worked")  # benchmarks whose questions are ladder.synthetic problems


def reasoning_trace(response: str | None) -> str:
    """The think block of ``response`` (stripped); the whole response when it has none."""
    text = response or ""
    start = text.find(THINK_OPEN)
    if start < 0:
        return text.strip()
    end = text.find(THINK_CLOSE, start)
    return text[start + len(THINK_OPEN) : end if end >= 0 else len(text)].strip()


def synthetic_problems(benchmark: str) -> dict[str, synthetic.Problem]:
    """Question id -> problem (with its true chain) for the synthetic benchmarks; {} for any other benchmark."""
    if benchmark not in SYNTHETIC_BENCHMARKS:
        return {}
    return {p.problem_id: p for p in synthetic.evaluation_problems()}


def reference_solutions(benchmark: str, benchmark_path: str = "") -> dict[str, str]:
    """Question id -> reference solution of ``benchmark``: its ``solution`` column, or the synthetic teacher's."""
    problems = synthetic_problems(benchmark)
    if problems:
        return {qid: synthetic_trajectories.trajectory(p, "steps", "r1") for qid, p in problems.items()}
    frame = benchmarks.load_benchmark(benchmark, benchmark_path or None)
    if "solution" not in frame.columns:
        raise StrategiesError(
            f"reference 'solution': benchmark {benchmark!r} has no solution column (columns: "
            f"{', '.join(frame.columns)}); name a reference model instead (strategies.reference)"
        )
    return dict(zip(frame["question_id"].astype(str), frame["solution"].astype(str), strict=True))


def question_texts(benchmark: str, benchmark_path: str = "") -> dict[str, str]:
    """Question id -> problem text of ``benchmark`` (the judge reads the question, not the templated prompt)."""
    try:
        frame = benchmarks.load_benchmark(benchmark, benchmark_path or None)
    except Exception as exc:  # noqa: BLE001 - hub, file and parse errors alike: say which param points elsewhere
        raise StrategiesError(
            f"the judge needs the questions of benchmark {benchmark!r} and they did not load "
            f"({type(exc).__name__}: {exc}); set strategies.benchmark_path to a local copy"
        ) from exc
    return dict(zip(frame["question_id"].astype(str), frame["problem"].astype(str), strict=True))
