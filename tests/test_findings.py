"""ladder.findings: the claims file, group tier means with CIs, the findings engine and its tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ladder import ablations, findings, tiers

# AI-MO ids of one question per study tier
EASY, MEDIUM, HARD, EXH = "60", "84", "70", "62"


def graded_table(correct_counts: dict[str, dict[str, int]], n: int = 8) -> pd.DataFrame:
    """Graded rows: model -> {question -> correct samples out of n} (the first c samples right)."""
    rows = []
    for model, counts in correct_counts.items():
        for qid, c in counts.items():
            for s in range(n):
                right = s < c
                rows.append(
                    {
                        "model": model,
                        "benchmark": "aime24",
                        "question_id": qid,
                        "sample_idx": s,
                        "correct": right,
                        "extracted_answer": "1" if right else "2",
                    }
                )
    return pd.DataFrame(rows)


PANEL = {
    "base": {EASY: 6, MEDIUM: 0, HARD: 0, EXH: 0},
    "sft_b": {EASY: 8, MEDIUM: 4, HARD: 0, EXH: 0},
    "sft_c": {EASY: 8, MEDIUM: 8, HARD: 2, EXH: 0},
}
TIER_OF = {EASY: "easy", MEDIUM: "medium", HARD: "hard", EXH: "exh"}


def test_claims_file_holds_the_published_tier_means_and_six_findings():
    numbers = findings.load_claims()
    assert numbers.tier_means["base"].values == {"easy": 0.72, "medium": 0.14, "hard": 0.01, "exh": 0.0, "all": 0.146}
    assert numbers.tier_means["small_sft"].values["hard"] == 0.30
    assert numbers.tier_means["large"].values["exh"] == 0.04
    assert {g.read_off for g in numbers.tier_means.values()} == {"figure"}
    keys = {n.key for f in numbers.findings for n in f.numbers}
    assert keys >= {"hard_plateau", "qwq_hard", "sft_exh", "step_whole"}
    assert [f.id for f in numbers.findings] == [1, 2, 3, 4, 5, 6]
    assert numbers.finding(1).thresholds.target == 0.9 and numbers.finding(1).thresholds.min_n == 500
    assert numbers.finding(4).thresholds.tolerance == 0.04


def test_a_malformed_numbers_file_is_an_error_naming_it(tmp_path):
    bad = tmp_path / "numbers.yaml"
    bad.write_text("source: x\ntier_means: {}\nfindings: []\nextra_key: 1\n")
    with pytest.raises(findings.ClaimsError, match="numbers.yaml.*extra_key"):
        findings.load_claims(bad)


def test_group_means_pool_the_models_of_a_group_per_tier():
    table = findings.group_tier_means(
        graded_table(PANEL), TIER_OF, {"base": ["base"], "small_sft": ["sft_b", "sft_c"]}
    )
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
    numbers = findings.load_claims()
    roles = {"base_models": ["base"], "sft_models": ["sft_b", "sft_c"], "reference_models": []}
    means = findings.group_tier_means(
        graded_table(PANEL), TIER_OF, {"base": ["base"], "small_sft": ["sft_b", "sft_c"]}
    )
    table = findings.compare_tier_means(means, roles, numbers)
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
    table = findings.tiers_vs_study(graded, analysis)
    sft = table[table["group"].str.startswith("small-scale")].set_index("tier")
    assert sft.loc["medium", "this_run"] == pytest.approx(0.75)
    assert sft.loc["medium", "difference"] == pytest.approx(0.75 - 0.89)
    assert sft.loc["medium", "models"] == "sft_b, sft_c"


def test_a_benchmark_other_than_aime24_is_flagged_as_not_comparable():
    means = findings.group_tier_means(graded_table(PANEL), TIER_OF, {"base": ["base"]})
    table = findings.compare_tier_means(means, {"base_models": ["base"]}, findings.load_claims(), "synthetic")
    assert table["note"].str.contains("this run's benchmark is synthetic").all()


def _analysis(accuracy_rows: list[dict], axes_rows: list[dict]) -> ablations.AblationAnalysis:
    acc = pd.DataFrame(accuracy_rows)
    for col in ("avg@n", "cov@n"):
        acc[f"{col}_ci_low"], acc[f"{col}_ci_high"] = acc[col] - 0.05, acc[col] + 0.05
    acc["gap"] = acc["cov@n"] - acc["avg@n"]
    acc["gap_ci_low"], acc["gap_ci_high"] = acc["gap"] - 0.05, acc["gap"] + 0.05
    acc["n"] = 8
    empty = pd.DataFrame()
    params = ablations.AblationsParams()
    return ablations.AblationAnalysis(params, pd.DataFrame(axes_rows), acc, {}, empty, empty, empty, empty)


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
    table = findings.numbers_frame(findings.evaluate(_analysis(acc, axes))).set_index("key")
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
    results = findings.evaluate(_analysis(acc, axes))
    findings.save_findings(results, tmp_path)
    table = findings.numbers_frame(results)
    written = pd.read_csv(tmp_path / "study_findings.csv")
    assert pd.read_csv(tmp_path / "findings.csv")["holds"].tolist() == [f.verdict for f in results]
    assert list(written["key"]) == list(table["key"])
    assert bool(np.asarray(table.set_index("key").loc["sft_exh", "agrees"]))


def test_a_finding_is_a_frozen_result_that_prints_its_verdict_and_numbers():
    axes = [{"experiment": "a", "role": "sft", "N": 1000, "L": "long", "S": "r1"}]
    acc = [
        {"experiment": "a", "model": "a", "role": "sft", "tier": "medium", "avg@n": 0.5, "cov@n": 0.75},
        {"experiment": "a", "model": "a", "role": "sft", "tier": "exh", "avg@n": 0.0, "cov@n": 0.0},
    ]
    first = findings.evaluate(_analysis(acc, axes))[0]
    assert (first.id, first.verdict) == (1, "no")  # 50% on Medium, below the study's 90%
    assert (first.estimate, first.ci_low, first.ci_high) == pytest.approx((0.5, 0.45, 0.55))
    with pytest.raises(AttributeError):
        first.verdict = "yes"
    text = str(first)
    assert text.startswith("Finding 1. Easy -> Medium needs R1 long CoT: no") and "this run 50%" in text
    assert repr(first) == text
    table = findings.findings_table(findings.evaluate(_analysis(acc, axes)))
    assert list(table.columns) == ["finding", "holds", "study_says", "this_run", "study_numbers"]
    assert "this run 50% (CI 45% to 55%), disagrees" in table.loc[0, "study_numbers"]


def test_bad_thresholds_in_a_claims_file_name_the_file_line_and_key(tmp_path):
    good = findings.load_claims()
    text = (findings.claims.CLAIMS_FILE).read_text()
    bad = tmp_path / "claims.yaml"
    bad.write_text(text.replace("target: 0.9  #", "targte: 0.9  #"))
    with pytest.raises(
        findings.ClaimsError,
        match=r"claims.yaml:\d+: key 'findings.0.thresholds.targte': finding 1 \(rule medium\): thresholds.target: Field required",
    ):
        findings.load_claims(bad)
    bad.write_text(text.replace("coverage_min: 0.85", "coverage_min: 85.0"))
    with pytest.raises(findings.ClaimsError, match="accuracies in \\[0, 1\\], got 85.0"):
        findings.load_claims(bad)
    bad.write_text(text.replace("quantity: step_whole", "quantity: step_hole"))
    with pytest.raises(findings.ClaimsError, match="unknown quantity 'step_hole'"):
        axes = [{"experiment": "a", "role": "sft", "N": 1000, "L": "long", "S": "r1"}]
        acc = [{"experiment": "a", "model": "a", "role": "sft", "tier": "exh", "avg@n": 0.0, "cov@n": 0.0}]
        findings.evaluate(_analysis(acc, axes), bad)
    assert len(good.findings) == 6


def _strategy_rows(measure: str, cells: dict[str, tuple[float, float, float]]) -> list[dict]:
    """strategy_by_tier.csv rows on Medium: model -> (similarity, ci_low, ci_high)."""
    return [
        {
            "measure": measure,
            "model": m,
            "role": "sft",
            "tier": "medium",
            "similarity": s,
            "ci_low": lo,
            "ci_high": hi,
            "reference": "deepseek-ai/DeepSeek-R1",
        }
        for m, (s, lo, hi) in cells.items()
    ]


def test_finding_6_reads_strategy_similarity_and_the_intended_strategy():
    from dataclasses import replace

    axes = [{"experiment": e, "role": "sft", "N": 1000, "L": "long", "S": "r1"} for e in ("a", "b")]
    acc = [
        {"experiment": e, "model": e, "role": "sft", "tier": t, "avg@n": v, "cov@n": v}
        for e in ("a", "b")
        for t, v in (("medium", 1.0), ("exh", 0.0))
    ]
    base = _analysis(acc, axes)

    def sixth(**tables) -> findings.Finding:
        frames = {k: pd.DataFrame(v) for k, v in tables.items()}
        return findings.evaluate(replace(base, **frames))[5]

    alone = sixth()
    assert (
        alone.verdict == "yes"
        and "strategy similarity not measured: no judge and no exact strategies" in alone.this_run
    )
    assert "not measured (needs exact strategies or a judge)" in alone.this_run
    close = sixth(strategies=_strategy_rows("exact", {"a": (0.95, 0.8, 1.0), "b": (0.9, 0.78, 0.97)}))
    assert close.verdict == "yes" and "2/2 SFT models' Medium strategies are at least 0.75 similar" in close.this_run
    assert "DeepSeek-R1's (exact measure; lowest 0.90" in close.this_run
    number = next(n for n in close.numbers if n.key == "strategy_medium")
    assert number.this_run == pytest.approx(4.6) and number.agrees is True  # 1 + 4 x 0.9, on the judge's scale
    assert "this run 4.6 (CI 4.1 to 4.9), agrees" in findings.findings_table([close]).loc[0, "study_numbers"]
    straddles = sixth(strategies=_strategy_rows("exact", {"a": (0.95, 0.8, 1.0), "b": (0.7, 0.5, 0.85)}))
    assert straddles.verdict == "inconclusive"
    # the judge decides when there is one, whatever the exact measure says
    judged = _strategy_rows("exact", {"a": (1.0, 0.9, 1.0)}) + _strategy_rows("judge", {"a": (3.0, 2.5, 3.5)})
    assert sixth(strategies=judged).verdict == "no"
    proxy = sixth(strategies=_strategy_rows("proxy", {"a": (0.8, 0.7, 0.9)}))
    assert proxy.verdict == "yes" and "(the embedding proxy, not a verdict: 0.80)" in proxy.this_run
    found = [{"model": "a", "role": "sft", "question_id": "62", "n_samples": 8, "measure": "judge", "n_intended": 1}]
    intended = sixth(exh_strategies=found)
    assert intended.verdict == "no" and "1 of 8 SFT samples on Exh follow the intended strategy" in intended.this_run
