"""Schema-faithful example rows of OpenR1-Math-220k, s1K and s1K-1.1, for tests and benchmarks.

The real datasets cannot be fetched offline, so tests and ``bench/bench_curate.py`` write rows with
every column of the real schema (list columns included, nulls where the real data has them) to local
files and run the real loaders on them. The texts are made up; only the structure is real.

Usage::

    from tests.curate_examples import openr1_rows, write_rows
    write_rows(openr1_rows(200, seed=0), "openr1.parquet")
"""

from __future__ import annotations

import json
import random
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ladder.sft_pool import PROBLEM_TYPE_TO_CATEGORY

PROBLEM_TYPES = tuple(PROBLEM_TYPE_TO_CATEGORY)  # NuminaMath-1.5 problem types, as in OpenR1-Math-220k
_TOPICS = {
    "Algebra": "Solve for x the equation {a} x + {b} = {c} where x is a real number and the {w} holds",
    "Number Theory": "Find the remainder when {a} to the power {b} is divided by the prime {c} using the {w}",
    "Geometry": "A triangle has sides {a} {b} and {c}; find the area of its {w} circle",
    "Calculus": "Compute the integral of x to the {a} from {b} to {c} and the {w} derivative",
    "Combinatorics": "In how many ways can {a} red and {b} blue balls be placed in {c} boxes with the {w}",
    "Inequalities": "Prove that for positive reals a b c with sum {a} the {w} bound {b} over {c} holds",
    "Logic and Puzzles": "{a} knights and {b} knaves sit at a table of {c} seats; the {w} speaks",
    "Other": "A clock shows {a} hours {b} minutes and {c} seconds; the {w} angle",
}
_WORDS = "alpha beta gamma delta sum product ratio square prime digit circle chord angle root series bound".split()
_STEPS = "so we get then add multiply check the case again hence it follows that wait let me verify".split()


def _thinking(rng: random.Random, n_words: int) -> str:
    return " ".join(rng.choice(_STEPS) for _ in range(n_words))


def openr1_rows(n_problems: int, seed: int = 0, mean_words: int = 120) -> list[dict[str, Any]]:
    """``n_problems`` rows with all OpenR1-Math-220k columns: 2-4 generations each, mixed verdicts and stops.

    About 5% of questions are proofs (answer "proof"); the Llama judge column is null on most rows and
    a list with nulls on the rest, as in the real data.
    """
    rng = random.Random(seed)
    rows = []
    for i in range(n_problems):
        problem_type = PROBLEM_TYPES[i % len(PROBLEM_TYPES)]
        a, b, c = rng.randint(2, 999), rng.randint(2, 999), rng.randint(2, 999)
        problem = _TOPICS[problem_type].format(a=a, b=b, c=c, w=rng.choice(_WORDS)) + f" (case {i})."
        is_proof = rng.random() < 0.05
        answer = "proof" if is_proof else str(a + b)
        n_gen = rng.randint(2, 4)
        gens, complete, verify, finish = [], [], [], []
        for _ in range(n_gen):
            done = rng.random() < 0.9
            body = _thinking(rng, max(5, int(rng.expovariate(1 / mean_words))))
            if done:
                gens.append(f"<think>\n{body}\n</think>\n\nThe answer is $\\boxed{{{answer}}}$.")
            else:
                gens.append(f"<think>\n{body}")
            complete.append(done)
            # Some truncated traces still carry a boxed answer that math-verify accepts; a few finish on length.
            verify.append(rng.random() < (0.7 if done else 0.3))
            finish.append("stop" if done and rng.random() > 0.03 else "length")
        judged = rng.random() < 0.12
        llama = [rng.random() < 0.5 if k % 2 == 0 else None for k in range(n_gen)] if judged else None
        first_correct = next((g for g, ok in zip(gens, verify, strict=True) if ok), gens[0])
        rows.append(
            {
                "problem": problem,
                "solution": f"We compute {a} + {b} = {a + b}.",
                "answer": answer,
                "problem_type": problem_type,
                "question_type": "proof" if is_proof else rng.choice(["math-word-problem", "MCQ"]),
                "source": rng.choice(["olympiads", "amc_aime", "aops_forum", "cn_contest", "number_theory"]),
                "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "is_reasoning_complete": complete,
                "generations": gens,
                "correctness_math_verify": verify,
                "correctness_llama": llama,
                "finish_reasons": finish,
                "correctness_count": sum(verify),
                "messages": [{"role": "user", "content": problem}, {"role": "assistant", "content": first_correct}],
            }
        )
    return rows


def s1k_rows(n_problems: int, seed: int = 0) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Matching rows of s1K (Gemini traces) and s1K-1.1 (the same questions with R1 and Gemini traces)."""
    rng = random.Random(seed)
    s1, s11 = [], []
    for i in range(n_problems):
        question = f"Find the number of positive divisors of {rng.randint(10, 10**6)} (item {i})."
        solution = str(rng.randint(1, 99))
        gemini, r1 = _thinking(rng, rng.randint(10, 60)), _thinking(rng, rng.randint(60, 300))
        metadata = json.dumps({"source": "s1-example", "index": i})
        common = {"solution": solution, "question": question, "cot_type": "math", "source_type": "example"}
        s1.append(
            {
                **common,
                "metadata": metadata,
                "cot": None,
                "thinking_trajectories": [gemini],
                "attempt": f"Answer: {solution}",
            }
        )
        s11.append(
            {
                **common,
                "metadata": metadata,
                "gemini_thinking_trajectory": gemini,
                "gemini_attempt": f"Answer: {solution}",
                "deepseek_thinking_trajectory": r1,
                "deepseek_attempt": f"**Final Answer**\n\\boxed{{{solution}}}",
                "gemini_grade": "Yes",
                "gemini_grade_reason": "matches",
                "deepseek_grade": "Yes",
                "deepseek_grade_reason": "matches",
            }
        )
    return s1, s11


def write_rows(rows: list[dict[str, Any]], path: str | Path) -> Path:
    """Write rows as parquet (``.parquet``) or JSON lines (``.jsonl``), the formats ``local_path`` accepts."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        pq.write_table(pa.Table.from_pylist(rows), path)
    else:
        with path.open("w") as handle:
            for row in rows:
                handle.write(json.dumps(row) + "\n")
    return path
