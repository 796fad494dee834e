"""Graded rows of a made-up panel drawn from a Rasch model, for tests and benchmarks (``bench/``) of the analysis."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from ladder import schema


def simulate_graded(
    abilities: Mapping[str, float],
    difficulties: Mapping[str, float],
    n_samples: int,
    seed: int = 0,
    benchmark: str = "aime24",
    wrong_answers: int = 3,
) -> pd.DataFrame:
    """Graded rows (``ladder.schema`` columns) drawn from a Rasch model, for tests and benchmarks.

    Sample s of model m on question q is correct with probability logistic(ability_m - difficulty_q); a wrong
    sample answers one of ``wrong_answers`` wrong integers at random, a correct one the gold answer.
    """
    rng = np.random.default_rng(seed)
    models, qids = list(abilities), [str(q) for q in difficulties]
    theta = np.array([abilities[m] for m in models])[:, None, None]
    b = np.array([difficulties[q] for q in difficulties])[None, :, None]
    correct = rng.random((len(models), len(qids), n_samples)) < stats.logistic.cdf(theta - b)
    gold = np.arange(len(qids))[None, :, None] * 7 % 1000
    wrong = gold + 1 + rng.integers(0, wrong_answers, size=correct.shape)
    answer = np.where(correct, gold, wrong).astype(str)
    m_idx, q_idx, s_idx = (a.ravel() for a in np.indices(correct.shape))
    frame = pd.DataFrame(
        {
            "model": np.array(models)[m_idx],
            "model_revision": "",
            "benchmark": benchmark,
            "question_id": np.array(qids)[q_idx],
            "sample_idx": s_idx,
            "prompt": "",
            "prompt_hash": "",
            "response": "",
            "n_tokens": pd.NA,
            "finish_reason": "stop",
            "seed": s_idx,
            "temperature": 1.0,
            "top_p": 1.0,
            "max_new_tokens": pd.NA,
            "backend": "simulated",
            "backend_version": "",
            "gold": np.broadcast_to(gold, correct.shape).ravel().astype(str),
            "extracted_answer": answer.ravel(),
            "correct": correct.ravel(),
            "grader": "aime_int",
            "reason": np.where(correct.ravel(), "ok", "wrong"),
            "truncated": False,
        }
    )
    return schema.conform_graded(frame, "<simulated>")
