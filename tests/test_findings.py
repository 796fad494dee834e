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
    assert (first.id, first.verdict) == (1, "no")  # 50% on Medium (CI 45% to 55%): the CI is below the study's 90%
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
    # Exh decided at 0% (an interval of 0 to 0): only the strategy parts are at stake below.
    accuracy = base.accuracy.copy()
    accuracy.loc[accuracy["tier"] == "exh", ["avg@n_ci_low", "avg@n_ci_high"]] = 0.0
    base = replace(base, accuracy=accuracy)

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


# ---------------------------------------------------------------- the one verdict rule, driven through every rule
# Each rule is driven to each verdict it can reach from constructed tables with explicit intervals: a verdict
# comes from the intervals against the claims file's bars, never from the point estimates (which are set to
# contradict the intervals' verdict where that is possible, so a point-estimate rule would fail these tests).

CLAIMS = findings.load_claims()


def _rule(analysis, finding_id: int, **thresholds) -> findings.rules.RuleResult:
    claim = CLAIMS.finding(finding_id)
    return findings.rules.RULES[claim.rule](analysis, claim.thresholds.model_copy(update=thresholds))


def _cells(cells: list[tuple], axes_rows: list[dict] | None = None, **tables) -> ablations.AblationAnalysis:
    """An analysis whose accuracy table is ``cells``: (experiment, tier, avg@n, avg CI, cov@n, cov CI, gap CI)."""
    rows = []
    for exp, tier, avg, avg_ci, cov, cov_ci, gap_ci in cells:
        rows.append(
            {
                "experiment": exp,
                "model": exp,
                "role": "sft",
                "tier": tier,
                "n": 8,
                "avg@n": avg,
                "avg@n_ci_low": avg_ci[0],
                "avg@n_ci_high": avg_ci[1],
                "cov@n": cov,
                "cov@n_ci_low": cov_ci[0],
                "cov@n_ci_high": cov_ci[1],
                "gap": cov - avg,
                "gap_ci_low": gap_ci[0],
                "gap_ci_high": gap_ci[1],
            }
        )
    empty = pd.DataFrame()
    frames = {"contrasts": empty, "scaling": empty, "categories": empty, "steps": empty} | tables
    return ablations.AblationAnalysis(
        ablations.AblationsParams(),
        pd.DataFrame(axes_rows or []),
        pd.DataFrame(rows),
        {},
        frames["contrasts"],
        frames["scaling"],
        frames["categories"],
        frames["steps"],
    )


def _pair(axis: str, value: str, versus: str, tier: str, ci: tuple[float, float], group: str = "g", **sides) -> dict:
    """One contrasts.csv row: ``value`` minus ``versus`` on ``tier`` (avg@n), its paired CI ``ci``."""
    return {
        "axis": axis,
        "group": group,
        "value": value,
        "versus": versus,
        "experiments": sides.get("experiments", value),
        "versus_experiments": sides.get("versus_experiments", versus),
        "tier": tier,
        "metric": "avg@n",
        "difference": (ci[0] + ci[1]) / 2,
        "ci_low": ci[0],
        "ci_high": ci[1],
    }


MEDIUM_AXES = [
    {"experiment": "r1_1000", "role": "sft", "N": 1000, "L": "long", "S": "r1"},
    {"experiment": "gemini", "role": "sft", "N": 1000, "L": "long", "S": "gemini"},
]


def _medium(r1_ci, gemini_ci, pair_ci=None, r1=0.95, gemini=0.5):
    cells = [
        ("r1_1000", "medium", r1, r1_ci, 1.0, (0.9, 1.0), (0.0, 0.1)),
        ("gemini", "medium", gemini, gemini_ci, 1.0, (0.9, 1.0), (0.0, 0.1)),
    ]
    pairs = pd.DataFrame(
        [_pair("S", "r1", "gemini", "medium", pair_ci, experiments="r1_1000", versus_experiments="gemini")]
        if pair_ci
        else []
    )
    return _rule(_cells(cells, MEDIUM_AXES, contrasts=pairs), 1)


def test_finding_1_medium_reads_each_models_interval_and_the_paired_difference():
    # yes: R1's CI above 90%, Gemini's below, R1 minus Gemini above 0
    assert _medium((0.92, 0.99), (0.3, 0.7), (0.2, 0.6)).verdict == "yes"
    # the laptop book's case: Gemini-style at 93% on Medium, but its CI reaches well below 90%, and the paired
    # difference straddles 0: the old point-estimate count said "no" ("1/1 do"); the intervals cannot tell
    laptop = _medium((0.92, 0.99), (0.78, 0.99), (-0.15, 0.22), gemini=0.93)
    assert laptop.verdict == "inconclusive"
    assert (
        "0/1 with fewer, shorter or Gemini-style trajectories do (0 below, 1 undecided; highest 93%" in laptop.this_run
    )
    assert "inconclusive: gemini's Medium avg@n (CI 78% to 99%) straddles 90%" in laptop.this_run
    assert "r1 - gemini on Medium (CI -15 to +22 points) straddles +0 points" in laptop.this_run
    # a qualifying model at 93% whose CI straddles 90% is undecided, not a reach
    undecided = _medium((0.8, 0.99), (0.3, 0.7), (0.2, 0.6), r1=0.93)
    assert undecided.verdict == "inconclusive" and "0/1 experiments with >= 500" in undecided.this_run
    # no: a decided failure settles it whatever is undecided (R1's CI below 90% though its point is 0.95)
    below = _medium((0.5, 0.85), (0.78, 0.99), (-0.15, 0.22))
    assert below.verdict == "no" and "no: r1_1000's Medium avg@n (CI 50% to 85%) is not at least 90%" in below.this_run
    assert _medium((0.92, 0.99), (0.91, 0.99), (0.2, 0.6), gemini=0.85).verdict == "no"  # Gemini's CI above 90%
    assert _medium((0.92, 0.99), (0.3, 0.7), (-0.6, -0.2)).verdict == "no"  # the paired difference below 0
    # not testable: no experiment with >= 500 normal/long R1 trajectories
    few = [{**MEDIUM_AXES[0], "N": 100}, MEDIUM_AXES[1]]
    cells = [("r1_1000", "medium", 0.95, (0.92, 0.99), 1.0, (0.9, 1.0), (0.0, 0.1))]
    assert _rule(_cells(cells, few), 1).verdict == "not testable"


def _stability(cov_ci, gap_ci, cov=0.95, gap=0.4):
    cells = [
        ("a", "hard", 0.5, (0.3, 0.7), 0.5 + gap, cov_ci, gap_ci),
        ("a", "medium", cov, (0.8, 1.0), cov, (0.6, 1.0), (-0.05, 0.05)),  # no gap on Medium
    ]
    return _rule(_cells(cells), 2)


def test_finding_2_stability_needs_some_cell_whose_intervals_show_coverage_and_gap():
    assert _stability((0.86, 1.0), (0.25, 0.6)).verdict == "yes"
    # cov@n 95% as a point, but its CI reaches 70%: the old rule counted the cell as covered
    straddles = _stability((0.7, 1.0), (0.25, 0.6))
    assert straddles.verdict == "inconclusive"
    assert "inconclusive: a hard cov@n (CI 70% to 100%) straddles 85%" in straddles.this_run
    assert _stability((0.86, 1.0), (0.1, 0.5)).verdict == "inconclusive"  # the gap's CI straddles 20 points
    ruled_out = _stability((0.4, 0.8), (0.25, 0.6))  # coverage below 85% by its CI (point 95% notwithstanding)
    assert ruled_out.verdict == "no" and "in every cell cov@n's CI is below 85%" in ruled_out.this_run
    assert _stability((0.86, 1.0), (-0.1, 0.15)).verdict == "no"
    assert _rule(_cells([("a", "easy", 0.5, (0.3, 0.7), 1.0, (0.9, 1.0), (0.3, 0.6))]), 2).verdict == "not testable"


def _scaling(slope_ci, pair_ci=None, slope=None, n_sizes=3):
    fit = pd.DataFrame(
        [
            {
                "tier": "hard",
                "n_sizes": n_sizes,
                "n_min": 250,
                "n_max": 1000,
                "slope": slope if slope is not None else sum(slope_ci) / 2,
                "slope_ci_low": slope_ci[0],
                "slope_ci_high": slope_ci[1],
                "intercept": 0.5,
                "r2": 0.9,
                "group": "g",
            }
        ]
    )
    pairs = pd.DataFrame([_pair("N", "1000", "250", "hard", pair_ci)] if pair_ci else [])
    return _rule(_cells([], scaling=fit, contrasts=pairs), 3)


def test_finding_3_scaling_reads_the_slopes_interval_and_the_paired_n_difference():
    assert _scaling((0.05, 0.3), (0.05, 0.3)).verdict == "yes"
    # the laptop book's case: slope -15.6 points per tenfold N, CI -79 to +48 from 3 sizes; the old rule said
    # "no" from the negative point estimate
    laptop = _scaling((-0.79, 0.479), (-0.27, 0.09), slope=-0.156)
    assert laptop.verdict == "inconclusive"
    assert "slope -15.6 points per tenfold N (95% CI -79.0 to +47.9" in laptop.this_run
    assert "inconclusive: the slope (CI -79.0 to +47.9 points per tenfold N) straddles +0.0" in laptop.this_run
    assert "N=1000 minus N=250 on Hard (CI -27 to +9 points) straddles +0 points" in laptop.this_run
    assert _scaling((0.05, 0.3), (-0.05, 0.3)).verdict == "inconclusive"  # slope decided, N vs N not
    assert _scaling((0.05, 0.3), slope=-0.01).verdict == "yes"  # the CI decides, not the point
    assert _scaling((-0.4, -0.05), (-0.05, 0.3)).verdict == "no"
    assert _scaling((0.05, 0.3), (-0.3, -0.05)).verdict == "no"
    assert _scaling((0.05, 0.3), n_sizes=2).verdict == "not testable"


def _curation(best_worst_ci=None, similar_ci=None, slope_ci=(0.2, 0.4), n_categories=3):
    categories = pd.DataFrame(
        [{"tier": "all", "n_categories": n_categories, "min": 0.5, "max": 0.52, "spread": 0.02, "mean": 0.51}]
    ).assign(worst="algebra", best="geometry")
    pairs = []
    if best_worst_ci:
        pairs.append(_pair("C", "geometry", "algebra", "all", best_worst_ci))
    if similar_ci:
        pairs.append(_pair("similarity", "similar", "none", "hard", similar_ci))
    fit = pd.DataFrame(
        [{"tier": "hard", "slope": sum(slope_ci) / 2, "slope_ci_low": slope_ci[0], "slope_ci_high": slope_ci[1]}]
    )
    return _rule(_cells([], categories=categories, contrasts=pd.DataFrame(pairs), scaling=fit), 4)


def test_finding_4_curation_reads_the_paired_spread_and_the_similar_gain_against_doubling():
    # spread 2 points as a point estimate in every case: only the intervals differ
    assert _curation((-0.01, 0.05)).verdict == "yes"
    straddles = _curation((-0.03, 0.12))
    assert straddles.verdict == "inconclusive"
    assert "inconclusive: best minus worst category (CI -3 to +12 points) straddles +8 points" in straddles.this_run
    unpaired = _curation()  # no paired best-minus-worst difference: the old rule read the point spread
    assert unpaired.verdict == "inconclusive" and "best minus worst category has no CI" in unpaired.this_run
    assert _curation((0.1, 0.2)).verdict == "no"
    # doubling N gains log10(2) x the slope: CI 6 to 12 points
    assert _curation((-0.01, 0.05), similar_ci=(0.0, 0.04)).verdict == "yes"
    overlaps = _curation((-0.01, 0.05), similar_ci=(0.03, 0.1))
    assert overlaps.verdict == "inconclusive" and "straddles its CI +6 to +12 points" in overlaps.this_run
    assert _curation((-0.01, 0.05), similar_ci=(0.15, 0.3)).verdict == "no"
    assert _curation((-0.01, 0.05), n_categories=1).verdict == "not testable"


def _steps(mean_step, end_to_end, product, tier="hard"):
    table = pd.DataFrame({"tier": tier, "mean_step": mean_step, "end_to_end": end_to_end, "product": product})
    return _rule(_cells([], steps=table), 5)


def test_finding_5_steps_reads_paired_intervals_over_the_decomposed_questions():
    rng = np.random.default_rng(0)
    steps = rng.uniform(0.85, 1.0, 24)
    whole = rng.choice([0.0, 0.125, 0.25], 24)
    compounding = _steps(steps, whole, whole + 0.01)
    assert compounding.verdict == "yes" and "paired, steps minus the whole +" in compounding.this_run
    # two questions: the same means as a compounding table, intervals far too wide to tell
    two = _steps([0.95, 0.9], [0.15, 0.1], [0.2, 0.1])
    assert two.verdict == "inconclusive" and "inconclusive: the whole minus the product (CI" in two.this_run
    independent = _steps(steps, steps - 0.02, steps**3)  # the whole as easy as its steps
    assert independent.verdict == "no" and "no: steps minus the whole (CI" in independent.this_run
    assert _steps(steps, whole, whole).verdict == "yes"
    assert _steps(steps, whole, whole, tier="medium").verdict == "not testable"


def _exh(exh_ci, exh=0.0, solved_elsewhere=True, **thresholds):
    cells = [("a", "exh", exh, exh_ci, exh, exh_ci, (0.0, 0.0))]
    easy = 0.9 if solved_elsewhere else 0.0
    cells.append(("a", "easy", easy, (easy, easy), easy, (easy, easy), (0.0, 0.0)))
    return _rule(_cells(cells), 6, **thresholds)


def test_finding_6_exh_reads_each_models_interval_against_the_bar():
    # the claims file's bar is 0%: a finite sample cannot show an accuracy of exactly 0 (Wilson's interval for
    # 0 of n reaches above 0), so the default bar gives inconclusive at best; a bar of 10% can be shown
    zero = _exh((0.0, 0.3))
    assert zero.verdict == "inconclusive"
    assert "0/1 SFT experiments score <= 0% on Exh by their CI (0 above, 1 undecided" in zero.this_run
    assert "inconclusive: a's Exh avg@n (CI 0% to 30%) straddles 0%" in zero.this_run
    assert _exh((0.0, 0.05), max=0.1).verdict == "yes"
    assert _exh((0.0, 0.0)).verdict == "yes"
    assert _exh((0.0, 0.3), max=0.1).verdict == "inconclusive"
    solved = _exh((0.05, 0.3), exh=0.125)
    assert solved.verdict == "no" and "no: a's Exh avg@n (CI 5% to 30%) is not at most 0%" in solved.this_run
    assert _exh((0.15, 0.3), exh=0.05, max=0.1).verdict == "no"  # the CI decides: its point is under the bar
    assert _exh((0.0, 0.3), solved_elsewhere=False).verdict == "not testable"
    assert _rule(_cells([("a", "easy", 0.9, (0.8, 1.0), 1.0, (0.9, 1.0), (0.0, 0.1))]), 6).verdict == "not testable"


def test_the_one_rule_decides_by_the_whole_interval():
    from ladder import contrasts

    rule = contrasts.verdict
    assert [rule(0.90, 0.95, at_least=0.9), rule(0.5, 0.89, at_least=0.9), rule(0.85, 0.95, at_least=0.9)] == [
        "yes",
        "no",
        "inconclusive",
    ]
    assert [rule(0.1, 0.2, above=0.1), rule(0.0, 0.1, above=0.1)] == ["inconclusive", "no"]  # strict: > 0.1
    assert [rule(0.0, 0.0, at_most=0.0), rule(0.0, 0.01, at_most=0.0), rule(0.01, 0.2, at_most=0.0)] == [
        "yes",
        "inconclusive",
        "no",
    ]
    assert [rule(-0.1, 0.1, between=(-0.15, 0.15)), rule(-0.3, -0.2, between=(-0.15, 0.15))] == ["yes", "no"]
    assert rule(-0.2, 0.1, between=(-0.15, 0.15)) == "inconclusive"
    # a bar that is itself an estimate: the two intervals must be apart
    assert [rule(0.0, 0.04, below=(0.06, 0.12)), rule(0.05, 0.1, below=(0.06, 0.12))] == ["yes", "inconclusive"]
    assert rule(0.13, 0.2, below=(0.06, 0.12)) == "no"
    assert rule(math.nan, 0.2, above=0.0) == "inconclusive" and rule(0.1, 0.2, below=(math.nan, 0.1)) == "inconclusive"
    with pytest.raises(ValueError, match="exactly one"):
        rule(0.1, 0.2, above=0.0, at_most=0.3)
    # paired values: per-question fractions, the difference's interval contains it and shrinks with correlation
    a, b = np.linspace(0.5, 1.0, 12), np.linspace(0.3, 0.8, 12)
    diff, low, high = contrasts.paired_values(a, b)
    assert diff == pytest.approx(0.2) and low < 0.2 < high
    _, low_shuffled, high_shuffled = contrasts.paired_values(a, b[::-1])
    assert high - low < high_shuffled - low_shuffled
