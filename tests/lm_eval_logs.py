"""lm-evaluation-harness sample logs of a made-up AIME24 panel, as `lm_eval --log_samples` writes them."""

from __future__ import annotations

import json
from pathlib import Path

from ladder.tiers import study_tiers

# model -> the study tiers it solves: 3 of 4 samples right there, none elsewhere
PANEL = {"base": {"easy"}, "sft": {"easy", "medium"}, "big": {"easy", "medium", "hard"}}


def write_panel_logs(folder: Path, aime24_jsonl: Path, panel: dict[str, set[str]] = PANEL) -> dict[str, Path]:
    """One folder per model (``org__model`` names become ``org/model``) holding one samples_*.jsonl file."""
    problems = [json.loads(line) for line in aime24_jsonl.read_text().splitlines()]
    tiers = study_tiers()
    logs = {}
    for model, solved in panel.items():
        log = folder / model / "samples_aime_2024_2025-01-01T00-00-00.jsonl"
        log.parent.mkdir(parents=True)
        with log.open("w") as handle:
            for doc_id, row in enumerate(problems):
                right = tiers[str(row["id"])] in solved
                answer = row["answer"] if right else str((int(row["answer"]) + 7) % 1000)
                resps = [f"Thinking... so the answer is \\boxed{{{answer}}}."] * 3 + ["I give up."]
                doc = {"id": row["id"], "problem": row["problem"], "answer": row["answer"], "url": row["url"]}
                record = {"doc_id": doc_id, "doc": doc, "target": row["answer"], "resps": [resps], "arguments": {}}
                handle.write(json.dumps(record) + "\n")
        logs[model] = log
    return logs
