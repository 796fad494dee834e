"""The study's tiering panel rebuilt from its Figure 1 ("Climbing the Ladder of Reasoning", arXiv 2504.11741).

Six models, n = 8 samples per AIME24 question each: the base (Qwen2.5-32B-Instruct), two small-scale SFT models
(s1.1-32B, LIMO-32B) and three large ones (DeepSeek-R1, QwQ-32B, STILL-3-32B). Figure 1 gives per question the
base's avg@8, the mean of the two small-SFT models and the mean of the three large ones; each group's correct
samples are split over its models as evenly as possible. Built as graded rows and as lm-evaluation-harness
sample logs (three task variants, each numbering the questions its own way), self-contained: the golds come
from the id registry the package ships (``data/aime24.csv``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ladder import benchmarks

BASE = "Qwen/Qwen2.5-32B-Instruct"
SMALL_SFT = ["simplescaling/s1.1-32B", "GAIR/LIMO"]
LARGE = ["deepseek-ai/DeepSeek-R1", "Qwen/QwQ-32B", "RUC-AIBOX/STILL-3-TOOL-32B"]
MODELS = [BASE, *SMALL_SFT, *LARGE]
N = 8

# AI-MO id -> (base avg@8, small-SFT mean, large mean), as read off Figure 1 (quanta 1/8, 1/16, 1/24).
FIGURE_1 = {
    # easy
    69: (0.875, 1, 1),
    60: (0.75, 1, 1),
    67: (0.625, 1, 1),
    72: (0.625, 1, 1),
    # medium
    84: (0.375, 1, 1),
    71: (0.375, 1, 1),
    68: (0.25, 1, 0.958),
    75: (0.125, 1, 1),
    86: (0, 1, 1),
    66: (0, 0.9375, 0.958),
    79: (0, 0.875, 1),
    78: (0.25, 0.625, 1),
    83: (0, 0.875, 1),
    82: (0, 0.625, 0.917),
    # hard
    70: (0, 0.6875, 0.708),
    74: (0, 0.4375, 0.958),
    77: (0, 0.375, 0.917),
    87: (0, 0.3125, 0.958),
    76: (0, 0.4375, 0.875),
    85: (0.125, 0.125, 0.917),
    64: (0, 0.4375, 0.708),
    65: (0, 0.1875, 0.875),
    61: (0, 0.25, 0.667),
    80: (0, 0.1875, 0.792),
    88: (0, 0.0625, 0.458),
    73: (0, 0.0625, 0.333),
    # exh
    89: (0, 0, 0.125),
    62: (0, 0, 0.042),
    81: (0, 0, 0),
    63: (0, 0, 0),
}

# The study's published lists, by AI-MO id.
PUBLISHED = {
    "easy": [69, 60, 67, 72],
    "medium": [84, 71, 68, 75, 86, 66, 83, 78, 79, 82],
    "hard": [70, 74, 76, 77, 87, 85, 64, 65, 80, 61, 88, 73],
    "exh": [89, 62, 81, 63],
}


def published_tiers() -> dict[str, str]:
    """AI-MO id (text) -> the study's published tier."""
    return {str(qid): tier for tier, ids in PUBLISHED.items() for qid in ids}


def _split(correct: int, models: int) -> list[int]:
    """``correct`` samples over ``models`` models as evenly as possible, the first ones taking the remainder."""
    return [correct // models + (1 if i < correct % models else 0) for i in range(models)]


def correct_counts() -> pd.DataFrame:
    """Correct samples of 8, AI-MO id (text, rows 60..89) x model (columns)."""
    rows = {}
    for qid, (base, small, large) in FIGURE_1.items():
        group_counts = []
        for mean, members in ((base, [BASE]), (small, SMALL_SFT), (large, LARGE)):
            total = mean * N * len(members)
            assert abs(total - round(total)) < 0.05, (qid, mean)  # a Figure 1 value off its quantum: a typo
            group_counts += _split(round(total), len(members))
        rows[str(qid)] = group_counts
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=MODELS)
    frame.index.name = "question_id"
    return frame.sort_index()


def graded_rows(benchmark: str = "aime24") -> pd.DataFrame:
    """Graded rows (``ladder.schema`` columns) of the panel: of a model's 8 samples the first c are correct."""
    counts = correct_counts()
    answers = benchmarks.benchmark_answers("aime24")
    records = []
    for model in MODELS:
        for qid, c in counts[model].items():
            gold = answers[qid]
            for s in range(N):
                right = s < c
                records.append(
                    {
                        "model": model,
                        "question_id": qid,
                        "sample_idx": s,
                        "gold": gold,
                        "correct": right,
                        "extracted_answer": gold if right else str((int(gold) + 7) % 1000),
                    }
                )
    frame = pd.DataFrame(records)
    return frame.assign(
        model_revision="",
        benchmark=benchmark,
        prompt="",
        prompt_hash="",
        response="",
        n_tokens=pd.NA,
        finish_reason="stop",
        seed=frame["sample_idx"],
        temperature=1.0,
        top_p=1.0,
        max_new_tokens=pd.NA,
        backend="figure-1",
        backend_version="",
        grader="aime_int",
        reason=np.where(frame["correct"], "ok", "wrong"),
        truncated=False,
    )


# lm-eval tasks the models were "run" with; each logs the same 30 questions in its own numbering and fields.
#   aime (old task, gneubig/aime-1983-2024): doc ids 0..89, 2024 = 60..89; fields ID "2024-I-1", Year, Question
#   aime24_nofigures (simplescaling/aime24_nofigures, the study's): AI-MO rows with id 60..89 and the AoPS url
#   aime24 (Maxwell-Jia/AIME_2024): doc ids 0..29 in contest order (I-1..I-15, II-1..II-15), ID "2024-I-1"
TASK_OF = {BASE: "aime", **dict.fromkeys(SMALL_SFT, "aime24_nofigures"), **dict.fromkeys(LARGE, "aime24")}


def _doc(task: str, row: pd.Series, position: int) -> tuple[int, dict]:
    problem = f"AIME {row['aime_id']}: a problem."
    if task == "aime":
        doc = {
            "ID": row["aime_id"],
            "Year": 2024,
            "Problem Number": int(row["number"]),
            "Question": problem,
            "Answer": row["answer"],
            "Part": row["contest"],
        }
        return int(row["lm_eval_aime_doc_id"]), doc
    if task == "aime24_nofigures":
        doc = {
            "id": int(row["question_id"]),
            "problem": problem,
            "solution": "...",
            "answer": row["answer"],
            "url": row["url"],
        }
        return int(row["ai_mo_row"]) - 60, doc
    return position, {"ID": row["aime_id"], "Problem": problem, "Solution": "...", "Answer": int(row["answer"])}


def write_lm_eval_logs(folder: Path) -> Path:
    """One ``org__model`` folder per model under ``folder`` holding a ``samples_<task>_<date>.jsonl`` as
    ``lm_eval --log_samples`` writes it (8 repeats per doc, two filters); returns ``folder``."""
    counts = correct_counts()
    registry = benchmarks.get_benchmark("aime24").registry.copy()
    registry["question_id"] = registry["question_id"].astype(str)
    for model in MODELS:
        task = TASK_OF[model]
        rows = registry.sort_values(["contest", "number"]) if task == "aime24" else registry
        kwargs = {"until": ["<|im_end|>"], "do_sample": True, "temperature": 1.0, "max_gen_toks": 32768}
        lines = []
        for position, (_, row) in enumerate(rows.iterrows()):
            doc_id, doc = _doc(task, row, position)
            gold, c = str(row["answer"]), int(counts.loc[row["question_id"], model])
            wrong = str((int(gold) + 7) % 1000)
            resps = [f"Working... so the answer is \\boxed{{{gold if s < c else wrong}}}." for s in range(N)]
            prompt = f"<|im_start|>user\n{doc.get('problem') or doc.get('Problem') or doc.get('Question')}<|im_end|>\n"
            for filter_ in ("none", "flexible-extract"):  # lm-eval repeats a doc's line for every filter
                lines.append(
                    json.dumps(
                        {
                            "doc_id": doc_id,
                            "doc": doc,
                            "target": gold,
                            "resps": [resps],
                            "filtered_resps": [resps[0]],
                            "filter": filter_,
                            "metrics": ["exact_match"],
                            "arguments": {"gen_args_0": {"arg_0": prompt, "arg_1": kwargs}},
                            "exact_match": float(c > 0),
                            "doc_hash": "d",
                            "prompt_hash": "p",
                            "target_hash": "t",
                        }
                    )
                )
        log = folder / model.replace("/", "__") / f"samples_{task}_2025-03-01T12-00-00.123456.jsonl"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("\n".join(lines) + "\n")
    return folder
