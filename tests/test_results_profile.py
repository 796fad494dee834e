"""The analysis-only profile: lm-eval sample logs of a panel in a folder -> grade -> tiers, through the runner."""

from __future__ import annotations

import pandas as pd
import pytest

from ladder.params import load_plan
from ladder.run import run_plan
from tests.lm_eval_logs import write_panel_logs

pytestmark = pytest.mark.slow


def test_results_profile_grades_a_folder_of_logs_and_tiers_it(benchmark_dir, tmp_path):
    panel = {"org__base": {"easy"}, "org__sft": {"easy", "medium"}, "org__big": {"easy", "medium", "hard"}}
    logs = write_panel_logs(tmp_path / "logs", benchmark_dir / "aime24.jsonl", panel)
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
    logs["org__big"].write_text(logs["org__big"].read_text().replace("I give up.", "Unsure."))
    again = {f"{r.experiment}/{r.stage}": r for r in run_plan(plan, runs_dir=tmp_path / "runs", echo=False)}
    assert again["results/grade"].status == "done"
