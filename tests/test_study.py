"""This run vs the study: the study's numbers file, group tier means with CIs, and the findings table."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ladder import ablations, study, tiers

# AI-MO ids of one question per study tier
EASY, MEDIUM, HARD, EXH = "60", "84", "70", "62"


def graded_table(correct_counts: dict[str, dict[str, int]], n: int = 8) -> pd.DataFrame:
    """Graded rows: model -> {question -> correct samples out of n} (the first c samples right)."""
    rows = []
    for model, counts in correct_counts.items():
        for qid, c in counts.items():
            for s in range(n):
                right = s < c
                rows.append({"model": model, "benchmark": "aime24", "question_id": qid, "sample_idx": s,
                             "correct": right, "extracted_answer": "1" if right else "2"})  # fmt: skip
    return pd.DataFrame(rows)


PANEL = {
    "base": {EASY: 6, MEDIUM: 0, HARD: 0, EXH: 0},
    "sft_b": {EASY: 8, MEDIUM: 4, HARD: 0, EXH: 0},
    "sft_c": {EASY: 8, MEDIUM: 8, HARD: 2, EXH: 0},
}
TIER_OF = {EASY: "easy", MEDIUM: "medium", HARD: "hard", EXH: "exh"}


def test_study_numbers_file_holds_the_published_tier_means():
    numbers = study.load_study_numbers()
    assert numbers.tier_means["base"].values == {"easy": 0.72, "medium": 0.14, "hard": 0.01, "exh": 0.0, "all": 0.146}
    assert numbers.tier_means["small_sft"].values["hard"] == 0.30
    assert numbers.tier_means["large"].values["exh"] == 0.04
    assert {g.read_off for g in numbers.tier_means.values()} == {"figure"}
    assert {f.key for f in numbers.findings} >= {"hard_plateau", "qwq_hard", "sft_exh", "step_whole"}


def test_a_malformed_numbers_file_is_an_error_naming_it(tmp_path):
    bad = tmp_path / "numbers.yaml"
    bad.write_text("source: x\ntier_means: {}\nfindings: []\nextra_key: 1\n")
    with pytest.raises(study.StudyError, match="numbers.yaml.*extra_key"):
        study.load_study_numbers(bad)


def test_group_means_pool_the_models_of_a_group_per_tier():
    table = study.group_tier_means(graded_table(PANEL), TIER_OF, {"base": ["base"], "small_sft": ["sft_b", "sft_c"]})
    got = table.set_index(["group", "tier"])["this_run"]
    # by hand: sft_b medium 4/8, sft_c medium 8/8 -> 0.75; hard (0 + 2/8) / 2; all (12/32 + 18/32) / 2
    assert got[("small_sft", "medium")] == pytest.approx(0.75)
    assert got[("small_sft", "hard")] == pytest.approx(0.125)
    assert got[("small_sft", "all")] == pytest.approx((12 / 32 + 18 / 32) / 2)
    assert got[("base", "easy")] == pytest.approx(0.75) and got[("base", "exh")] == 0
    rows = table.set_index(["group", "tier"])
    assert (rows["ci_low"] <= rows["this_run"] + 1e-12).all() and (rows["this_run"] <= rows["ci_high"] + 1e-12).all()
    # one question per tier: a question-level bootstrap cannot move a single question, only its samples
    assert rows.loc[("small_sft", "hard"), "ci_high"] > rows.loc[("small_sft", "hard"), "ci_low"]


def test_comparison_gives_differences_and_says_which_group_is_missing():
    numbers = study.load_study_numbers()
    roles = {"base_models": ["base"], "sft_models": ["sft_b", "sft_c"], "reference_models": []}
    means = study.group_tier_means(graded_table(PANEL), TIER_OF, {"base": ["base"], "small_sft": ["sft_b", "sft_c"]})
    table = study.compare_tier_means(means, roles, numbers)
    base = table[table["group"].str.startswith("base")].set_index("tier")
    assert base.loc["easy", "study"] == 0.72 and base.loc["easy", "difference"] == pytest.approx(0.75 - 0.72)
    assert base.loc["easy", "study_in_ci"] in (True, False)
    large = table[table["group"].str.startswith("large")]
    assert len(large) == 5 and large["this_run"].isna().all()
    assert large["note"].str.contains("no reference_models in this run").all()


def test_tiers_vs_study_reads_roles_and_tiers_from_the_tier_analysis():
    graded = graded_table(PANEL)
    params = tiers.TiersParams(base_models=["base"], sft_models=["sft_b", "sft_c"], n_bootstrap=100, ks=[2])
    analysis = tiers.analyse_panel(graded, params)
    table = study.tiers_vs_study(graded, analysis)
    sft = table[table["group"].str.startswith("small-scale")].set_index("tier")
    assert sft.loc["medium", "this_run"] == pytest.approx(0.75)
    assert sft.loc["medium", "difference"] == pytest.approx(0.75 - 0.89)
    assert sft.loc["medium", "models"] == "sft_b, sft_c"


def test_a_benchmark_other_than_aime24_is_flagged_as_not_comparable():
    means = study.group_tier_means(graded_table(PANEL), TIER_OF, {"base": ["base"]})
    table = study.compare_tier_means(means, {"base_models": ["base"]}, study.load_study_numbers(), "synthetic")
    assert table["note"].str.contains("this run's benchmark is synthetic").all()


def _analysis(accuracy_rows: list[dict], axes_rows: list[dict]) -> ablations.AblationAnalysis:
    acc = pd.DataFrame(accuracy_rows)
    for col in ("avg@n", "cov@n"):
        acc[f"{col}_ci_low"], acc[f"{col}_ci_high"] = acc[col] - 0.05, acc[col] + 0.05
    acc["gap"] = acc["cov@n"] - acc["avg@n"]
    empty = pd.DataFrame()
    params = ablations.AblationsParams()
    return ablations.AblationAnalysis(params, pd.DataFrame(axes_rows), acc, {}, empty, empty, empty, empty, empty)


def test_findings_table_computes_what_the_run_has_and_says_what_it_lacks():
    axes = [
        {"experiment": "big_r1", "role": "sft", "N": 1000, "L": "long", "S": "r1"},
        {"experiment": "huge_r1", "role": "sft", "N": 4000, "L": "normal", "S": "r1"},
        {"experiment": "few", "role": "sft", "N": 100, "L": "long", "S": "r1"},
    ]
    acc = [
        {"experiment": "big_r1", "model": "big_r1", "role": "sft", "tier": "medium", "avg@n": 0.92, "cov@n": 1.0},
        {"experiment": "huge_r1", "model": "huge_r1", "role": "sft", "tier": "medium", "avg@n": 0.85, "cov@n": 1.0},
        {"experiment": "few", "model": "few", "role": "sft", "tier": "medium", "avg@n": 0.10, "cov@n": 0.5},
        {"experiment": "huge_r1", "model": "huge_r1", "role": "sft", "tier": "hard", "avg@n": 0.40, "cov@n": 0.9},
        {"experiment": "big_r1", "model": "big_r1", "role": "sft", "tier": "exh", "avg@n": 0.0, "cov@n": 0.0},
        {"experiment": "huge_r1", "model": "huge_r1", "role": "sft", "tier": "exh", "avg@n": 0.125, "cov@n": 0.25},
    ]
    table = study.findings_vs_study(_analysis(acc, axes)).set_index("key")
    # finding 1: the lowest Medium avg@n among >= 500 normal/long R1 runs (few, N=100, is not one of them)
    assert table.loc["medium_r1_500plus", "this_run"] == 0.85 and table.loc["medium_r1_500plus", "from"] == "huge_r1"
    assert table.loc["medium_r1_500plus", "agrees"] == False  # noqa: E712  (0.85 < the study's 90%)
    # finding 2: the largest cov - avg gap on Medium/Hard: huge_r1 on Hard, 0.9 - 0.4
    assert table.loc["stability_gap", "this_run"] == pytest.approx(0.5) and table.loc["stability_gap", "agrees"]
    # finding 3: the largest N is huge_r1 (4000): its Hard accuracy, with its CI; study's 0.65 outside it
    plateau = table.loc["hard_plateau"]
    assert plateau["this_run"] == 0.40 and plateau["difference"] == pytest.approx(0.40 - 0.65)
    assert (plateau["ci_low"], plateau["ci_high"]) == pytest.approx((0.35, 0.45)) and plateau["agrees"] == False  # noqa: E712
    # finding 6: an SFT model above 0% on Exh breaks the bound
    assert table.loc["sft_exh", "this_run"] == 0.125 and table.loc["sft_exh", "agrees"] == False  # noqa: E712
    # what the run lacks: QwQ, categories, similarity, steps
    assert (
        math.isnan(table.loc["qwq_hard", "this_run"])
        and "Qwen/QwQ-32B is not in this run" in table.loc["qwq_hard", "note"]
    )
    assert table.loc["step_whole", "note"] == "no step decomposition in this run"
    assert "similarity" in table.loc["similar_hard", "note"]
    assert pd.isna(table.loc["qwq_hard", "agrees"])


def test_findings_written_beside_the_notebook_outputs(tmp_path):
    axes = [{"experiment": "a", "role": "sft", "N": 1000, "L": "long", "S": "r1"}]
    acc = [{"experiment": "a", "model": "a", "role": "sft", "tier": "exh", "avg@n": 0.0, "cov@n": 0.0}]
    table = study.findings_vs_study(_analysis(acc, axes), out_dir=tmp_path)
    written = pd.read_csv(tmp_path / "study_findings.csv")
    assert list(written["key"]) == list(table["key"])
    assert bool(np.asarray(table.set_index("key").loc["sft_exh", "agrees"]))
