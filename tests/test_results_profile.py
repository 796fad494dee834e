"""The analysis-only profile: lm-eval sample logs of a panel in a folder -> grade -> tiers, through the runner."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from ladder.params import load_plan
from ladder.run import run_plan
from ladder.tiers import study_tiers

pytestmark = pytest.mark.slow

# model -> tiers it solves (3 of 4 samples right there, none elsewhere)
PANEL = {"org__base": {"easy"}, "org__sft": {"easy", "medium"}, "org__big": {"easy", "medium", "hard"}}


def write_logs(folder, problems):
    """One lm-eval --output_path folder per model (org__model), as `lm_eval --log_samples` writes it."""
    tiers = study_tiers()
    for model, solved in PANEL.items():
        out = folder / model
        out.mkdir(parents=True)
        with (out / "samples_aime_2024_2025-01-01T00-00-00.jsonl").open("w") as handle:
            for doc_id, row in enumerate(problems):
                right = tiers[str(row["id"])] in solved
                answer = row["answer"] if right else str((int(row["answer"]) + 7) % 1000)
                resps = [f"So the answer is \\boxed{{{answer}}}."] * 3 + ["I am not sure."]
                doc = {"id": row["id"], "problem": row["problem"], "answer": row["answer"], "url": row["url"]}
                record = {"doc_id": doc_id, "doc": doc, "target": row["answer"], "resps": [resps], "arguments": {}}
                handle.write(json.dumps(record) + "\n")


def test_results_profile_grades_a_folder_of_logs_and_tiers_it(shared_data, tmp_path):
    problems = [json.loads(line) for line in (shared_data / "aime24.jsonl").read_text().splitlines()]
    write_logs(tmp_path / "logs", problems)
    overrides = [
        f"grade.inputs=[{tmp_path / 'logs'}]",
        "tiers.base_models=[org/base]",
        "tiers.sft_models=[org/sft]",
        "tiers.n_bootstrap=50",
    ]
    plan = load_plan("results", overrides=overrides)
    results = {f"{r.experiment}/{r.stage}": r for r in run_plan(plan, runs_dir=tmp_path / "runs", echo=False)}
    assert {k: r.status for k, r in results.items()} == {"results/grade": "done", "_panel/tiers": "done"}, [
        r.error for r in results.values()
    ]
    table = pd.read_csv(f"{results['_panel/tiers'].dir}/tiers.csv").set_index(["model", "tier"])
    assert table.loc[("org/base", "easy"), "avg@n"] == 0.75 and table.loc[("org/base", "medium"), "avg@n"] == 0
    assert table.loc[("org/big", "hard"), "cov@n"] == 1.0
    questions = pd.read_csv(f"{results['_panel/tiers'].dir}/questions.csv", dtype={"question_id": str})
    questions = questions.set_index("question_id")
    assert len(questions) == 30 and questions.loc["62", "rule_tier"] == "exh"
    # a log edited in place is a different input: grading runs again
    log = next((tmp_path / "logs" / "org__big").glob("samples_*.jsonl"))
    log.write_text(log.read_text().replace("I am not sure.", "Unsure."))
    again = {f"{r.experiment}/{r.stage}": r for r in run_plan(plan, runs_dir=tmp_path / "runs", echo=False)}
    assert again["results/grade"].status == "done"
