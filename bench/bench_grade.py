"""Benchmark: grading throughput, the AIME integer fast path against Math-Verify on the same samples.

    .venv/bin/python bench/bench_grade.py [--samples 20000] [--math-verify-samples 1000]

Builds synthetic AIME-style responses (a long reasoning trace of about 20k characters with numbers and LaTeX,
then a boxed or "Answer:" final answer; a tenth truncated, a tenth without an answer) and grades them:

- ``grade_frame`` as the stage runs it (integer rule; Math-Verify only where the integer rule cannot decide);
- the same samples' extracted answers compared by Math-Verify (the path the integer rule avoids), on a subset.

Prints samples/s of each and their ratio; writes runs/bench/grade.json.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "lib"))

from ladder import paths, schema, store  # noqa: E402
from ladder.answers import extract_answer  # noqa: E402
from ladder.grade import grade_frame, math_verify_equal  # noqa: E402


def synthetic_samples(n: int, seed: int = 0, trace_chars: int = 20_000) -> pd.DataFrame:
    """``n`` AIME-like samples: 30 questions, integer golds, long traces, mixed answer styles and endings."""
    rng = np.random.default_rng(seed)
    filler = (
        "Let $x = 12$ and $y = \\frac{3}{4}$. Then $x^2 + y = 144.75$, so we need to reconsider the case "
        "where $n \\equiv 3 \\pmod{7}$. Checking $k = 1, 2, \\dots, 15$ gives 15 candidates. "
    )
    trace = "<think>\n" + (filler * (trace_chars // len(filler) + 1))[:trace_chars] + "\n</think>\n"
    golds = rng.integers(0, 1000, size=30)
    rows = []
    for i in range(n):
        q = i % 30
        gold = int(golds[q])
        answer = gold if rng.random() < 0.6 else int(rng.integers(0, 1000))
        style = rng.random()
        if style < 0.7:
            ending = f"Therefore the answer is $\\boxed{{{answer:03d}}}$."
        elif style < 0.8:
            ending = f"**Final Answer:** {answer}"
        elif style < 0.9:
            ending = f"The answer is \\boxed{{{answer} \\text{{ ways}}}}"
        else:
            ending = "I am not sure."
        truncated = rng.random() < 0.1
        rows.append(
            {
                "model": "bench",
                "model_revision": "",
                "benchmark": "aime24",
                "question_id": str(60 + q),
                "sample_idx": i // 30,
                "prompt": "p",
                "prompt_hash": "h",
                "response": trace[: trace_chars // 2] if truncated else trace + ending,
                "n_tokens": 5000,
                "finish_reason": "length" if truncated else "stop",
                "seed": i,
                "temperature": 1.0,
                "top_p": 1.0,
                "max_new_tokens": 32768,
                "backend": "bench",
                "backend_version": "",
                "gold": str(gold),
            }
        )
    return schema.conform_samples(pd.DataFrame(rows))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=20_000)
    parser.add_argument("--math-verify-samples", type=int, default=1_000)
    args = parser.parse_args(argv)

    samples = synthetic_samples(args.samples)
    grade_frame(samples.head(50))  # warm-up: imports, regex compilation
    t0 = time.perf_counter()
    graded = grade_frame(samples)
    fast_s = time.perf_counter() - t0

    subset = samples.head(args.math_verify_samples)
    extracted = [extract_answer(r) for r in subset["response"]]
    pairs = [(g, e) for g, e in zip(subset["gold"], extracted, strict=True) if e is not None]
    t0 = time.perf_counter()
    verdicts = [math_verify_equal(gold, answer, 5) for gold, answer in pairs]
    slow_s = time.perf_counter() - t0
    int_rows = graded.head(args.math_verify_samples)
    int_rows = int_rows[int_rows["extracted_answer"].notna()]
    agree = float(np.mean([v[0] == m for v, m in zip(verdicts, int_rows["answer_matches"], strict=True)]))

    fast_rate = len(samples) / fast_s
    slow_rate = len(pairs) / slow_s
    result = {
        "samples": len(samples),
        "response_chars": int(samples["response"].str.len().mean()),
        "grader_share": graded["grader"].value_counts(normalize=True).round(4).to_dict(),
        "grade_frame_samples_per_s": round(fast_rate, 1),
        "math_verify_samples": len(pairs),
        "math_verify_samples_per_s": round(slow_rate, 1),
        "fast_over_math_verify": round(fast_rate / slow_rate, 2),
        "math_verify_agrees_with_integer_rule": round(agree, 4),
    }
    out = paths.RUNS_DIR / "bench" / "grade.json"
    store.write_json(out, result)  # atomic, creates the folder
    print(
        f"grade_frame (integer rule): {fast_rate:,.0f} samples/s over {len(samples):,} samples; "
        f"Math-Verify on the same answers: {slow_rate:,.0f} samples/s; ratio {result['fast_over_math_verify']}x; "
        f"agreement {agree:.4f}"
    )
    return result


if __name__ == "__main__":
    main()
