"""ladder.tiers: study lists, rules, IRT against statsmodels, consistency, the report, the CLI, notebook 50_tiers."""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from ladder import cli, paths, run, schema, synthetic, tiers
from ladder.stage_cli import params_from_args
from ladder.tiers import TiersError, TiersParams
from ladder.tiers import stage as tier_stage
from tests import study_panel
from tests.lm_eval_logs import write_panel_logs
from tests.simulated_panel import simulate_graded

BASE_DIFFICULTY = {"easy": -2.5, "medium": 0.0, "hard": 2.0, "exh": 5.0}
PANEL = {"base": -1.0, "sft1": 1.5, "sft2": 1.3, "r1": 3.0, "qwq": 3.2, "still": 2.5}
ROLES = {"base_models": ["base"], "sft_models": ["sft1", "sft2"], "reference_models": ["r1", "qwq", "still"]}


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    """Six models x 30 AIME24 questions x 8 samples, drawn from a Rasch model with tier-shaped difficulties."""
    rng = np.random.default_rng(1)
    difficulty = {q: BASE_DIFFICULTY[t] + rng.normal(0, 0.5) for q, t in sorted(tiers.study_tiers().items())}
    return simulate_graded(PANEL, difficulty, n_samples=8, seed=0)


def test_study_tiers_are_the_published_lists():
    study = tiers.study_tiers()
    assert len(study) == 30 and set(study) == {str(i) for i in range(60, 90)}
    assert pd.Series(study).value_counts().to_dict() == {"hard": 12, "medium": 10, "easy": 4, "exh": 4}
    assert (study["70"], study["62"], study["69"]) == ("hard", "exh", "easy")


def test_params_validate_and_split_comma_lists():
    params = TiersParams(sft_models="a, b", base_models="x")
    assert params.sft_models == ["a", "b"] and params.base_models == ["x"]
    with pytest.raises(ValueError, match="thresholds"):
        TiersParams(easy_threshold=50)
    with pytest.raises(ValueError, match="extra"):
        TiersParams(easy_treshold=0.5)


# question -> (base, sft1, sft2, other) avg@n, expected rule tier
RULE_CASES = {
    "easy": ((0.75, 1.0, 1.0, 1.0), "easy"),
    "easy_beats_exh": ((0.625, 0.0, 0.0, 0.0), "easy"),  # rules apply in order
    "base_at_threshold": ((0.5, 1.0, 1.0, 1.0), "medium"),  # "above 50%" is strict
    "medium": ((0.25, 0.75, 0.625, 1.0), "medium"),
    "id70_like": ((0.0, 0.75, 0.625, 0.9), "medium"),  # small-SFT mean 0.69: medium by rule, hard in the study
    "sft_mean_half": ((0.0, 1.0, 0.0, 0.9), "hard"),  # mean of the group, exactly 0.5: not above
    "hard": ((0.0, 0.25, 0.125, 0.75), "hard"),
    "exh": ((0.0, 0.0, 0.0, 0.0625), "exh"),
    "one_model_solves": ((0.0, 0.0, 0.0, 0.25), "exh"),  # pooled 1/16 < 10% (like id 89), one model 25%
    "exh_boundary": ((0.0, 0.0, 0.0, 0.4), "hard"),  # pooled exactly 10%: "below 10%" is strict
}
# The same questions with exh_rule "every_model": each model must stay below 10%.
EVERY_MODEL = {"one_model_solves": "hard", "exh_boundary": "hard"}


def test_rule_tiers_table():
    accuracy = pd.DataFrame(
        {name: values for name, (values, _) in RULE_CASES.items()}, index=["base", "sft1", "sft2", "other"]
    ).T
    params = TiersParams(base_models=["base"], sft_models=["sft1", "sft2"])
    table = tiers.rule_tiers(accuracy, params)
    assert table["rule_tier"].to_dict() == {name: tier for name, (_, tier) in RULE_CASES.items()}
    assert table.loc["id70_like", "sft_mean"] == pytest.approx(0.6875)
    assert table.loc["one_model_solves", ["panel_mean", "panel_max"]].tolist() == [0.0625, 0.25]
    every = tiers.rule_tiers(accuracy, params.model_copy(update={"exh_rule": "every_model"}))
    expected = {name: EVERY_MODEL.get(name, tier) for name, (_, tier) in RULE_CASES.items()}
    assert every["rule_tier"].to_dict() == expected
    assert every[["panel_mean", "panel_max"]].equals(table[["panel_mean", "panel_max"]])


def test_exh_pools_samples_over_models_with_unequal_n():
    # a: 1 correct of 4 samples; b: 0 of 16. Pooled 1/20 = 5% -> exh; the mean of the avg@n, 12.5%, is not.
    accuracy = pd.DataFrame({"base": [0.25, 0.0], "sft": [0.0, 0.0]}, index=["q", "r"])
    params = TiersParams(base_models=["base"], sft_models=["sft"])
    pooled = tiers.rule_tiers(accuracy, params, samples={"base": 4, "sft": 16})
    assert pooled.loc["q", "panel_mean"] == pytest.approx(0.05) and pooled.loc["q", "rule_tier"] == "exh"
    equal = tiers.rule_tiers(accuracy, params)
    assert equal.loc["q", "panel_mean"] == pytest.approx(0.125) and equal.loc["q", "rule_tier"] == "hard"
    with pytest.raises(TiersError, match="samples per question"):
        tiers.rule_tiers(accuracy, params, samples={"base": 4})


def test_rule_thresholds_and_exh_panel_are_parameters():
    accuracy = pd.DataFrame({"base": [0.3], "sft": [0.3], "big": [0.3]}, index=["q"])
    assert (
        tiers.rule_tiers(accuracy, TiersParams(base_models=["base"], sft_models=["sft"]))["rule_tier"].iloc[0]
        == "hard"
    )
    low = TiersParams(base_models=["base"], sft_models=["sft"], easy_threshold=0.25)
    assert tiers.rule_tiers(accuracy, low)["rule_tier"].iloc[0] == "easy"
    exh = TiersParams(base_models=["base"], sft_models=["sft"], exh_threshold=0.4, exh_models=["base", "sft"])
    assert tiers.rule_tiers(accuracy, exh)["rule_tier"].iloc[0] == "exh"
    with pytest.raises(TiersError, match="needs base_models and sft_models"):
        tiers.rule_tiers(accuracy, TiersParams(base_models=["base"]))


def _study_rule_params(**update) -> TiersParams:
    values = {
        "base_models": [study_panel.BASE],
        "sft_models": study_panel.SMALL_SFT,
        "easy_threshold": 0.5,
        "medium_threshold": 0.5,
        "exh_threshold": 0.1,
        "tier_source": "rule",
        "n_bootstrap": 0,
    }
    return TiersParams(**{**values, **update})


def test_rules_on_the_studys_figure_1_panel_give_the_published_lists_but_id_70():
    """The study's six models rebuilt from Figure 1 (tests/study_panel.py): the rules, with Exh read as the study
    applied it (all samples pooled), give the published lists everywhere except id 70."""
    published = study_panel.published_tiers()
    assert published == tiers.study_tiers()  # the lists in tests/study_panel.py are data/aime24_tiers.yaml's
    analysis = tiers.analyse_panel(study_panel.graded_rows(), _study_rule_params())
    comparison = analysis.comparison
    assert comparison["rule_tier"].to_dict() == {**published, "70": "medium"}
    assert list(tiers.disagreements(comparison).index) == ["70"]
    assert comparison.loc["70", "sft_mean"] == pytest.approx(11 / 16)
    # id 89: 3 correct of 48 samples, although each large model solved it once (1/8 > 10%)
    assert comparison.loc["89", ["panel_mean", "panel_max"]].tolist() == pytest.approx([3 / 48, 1 / 8])
    assert comparison.loc["62", ["panel_mean", "panel_max"]].tolist() == pytest.approx([1 / 48, 1 / 8])

    every = tiers.analyse_panel(study_panel.graded_rows(), _study_rule_params(exh_rule="every_model")).comparison
    moved = every.index[every["rule_tier"] != comparison["rule_tier"]]
    assert sorted(moved) == ["62", "89"] and set(every.loc[moved, "rule_tier"]) == {"hard"}
    assert sorted(tiers.disagreements(every).index) == ["62", "70", "89"]


def test_ladder_tiers_on_lm_eval_logs_of_the_six_study_models_gives_the_published_lists_but_id_70(
    tmp_path, monkeypatch
):
    """Acceptance of issue 15: `ladder ingest` + `ladder grade` + `ladder tiers --tier-source rule` on a folder
    of lm-eval sample logs of the six study models (three lm-eval task variants, each numbering the questions
    its own way) gives the published lists except id 70; `--exh-rule every_model` moves ids 62 and 89 to hard."""
    logs = study_panel.write_lm_eval_logs(tmp_path / "lm_eval_output")
    samples, graded = tmp_path / "samples.parquet", tmp_path / "graded.parquet"
    assert cli.main(["ingest", "--format", "lm-eval", str(logs), "--out", str(samples)]) == 0
    assert cli.main(["grade", str(samples), "--out", str(graded)]) == 0
    sft = ",".join(study_panel.SMALL_SFT)
    roles = ["--base-models", study_panel.BASE, "--sft-models", sft, "--tier-source", "rule"]
    argv = ["tiers", str(graded), "--out", str(tmp_path / "tiers"), *roles, "--n-bootstrap", "0"]
    assert cli.main(argv) == 0
    questions = pd.read_csv(tmp_path / "tiers" / "questions.csv", dtype={"question_id": str})
    rule = questions.set_index("question_id")["rule_tier"].to_dict()
    assert rule == {**study_panel.published_tiers(), "70": "medium"}
    assert sorted(questions.loc[questions["agree"] == False, "question_id"]) == ["70"]  # noqa: E712
    accuracy = questions.set_index("question_id")[[f"acc_{m}" for m in study_panel.MODELS]]
    assert (accuracy * 8).round().astype(int).to_numpy().tolist() == study_panel.correct_counts().to_numpy().tolist()
    comparison = pd.read_csv(tmp_path / "tiers" / "tier_comparison.csv", dtype={"question_id": str})
    assert {"panel_mean", "panel_max"} <= set(comparison.columns)

    # the flag reaches the rules (tables only: the figures were drawn above)
    monkeypatch.setattr(
        tier_stage, "write_tier_report", lambda g, out, p: tiers.save_tier_tables(tiers.analyse_panel(g, p), out)
    )
    argv = ["tiers", str(graded), "--out", str(tmp_path / "every"), *roles, "--n-bootstrap", "0"]
    assert cli.main([*argv, "--exh-rule", "every_model"]) == 0
    every = pd.read_csv(tmp_path / "every" / "questions.csv", dtype={"question_id": str})
    rule_every = every.set_index("question_id")["rule_tier"].to_dict()
    assert rule_every == {**study_panel.published_tiers(), "70": "medium", "62": "hard", "89": "hard"}
    # every_model over the base and small-SFT models only: none of them solves 62 or 89 once
    exh_models = ",".join([study_panel.BASE, *study_panel.SMALL_SFT])
    argv = ["tiers", str(graded), "--out", str(tmp_path / "small"), *roles, "--n-bootstrap", "0"]
    assert cli.main([*argv, "--exh-rule", "every_model", "--exh-models", exh_models]) == 0
    small = pd.read_csv(tmp_path / "small" / "questions.csv", dtype={"question_id": str})
    assert small.set_index("question_id")["rule_tier"].to_dict() == {**study_panel.published_tiers(), "70": "medium"}


def test_comparison_reports_id_70_as_a_disagreement():
    accuracy = pd.DataFrame({"base": [0.0, 0.8], "sft1": [0.75, 1.0], "sft2": [0.625, 1.0]}, index=["70", "60"])
    rules = tiers.rule_tiers(accuracy, TiersParams(base_models=["base"], sft_models=["sft1", "sft2"]))
    comparison = tiers.compare_tiers(tiers.study_tiers(), rules)
    diff = tiers.disagreements(comparison)
    assert list(diff.index) == ["70"]
    assert (diff.loc["70", "study_tier"], diff.loc["70", "rule_tier"]) == ("hard", "medium")


def test_rasch_map_with_a_flat_prior_matches_statsmodels_glm():
    rng = np.random.default_rng(2)
    n_q, n_m, n = 8, 5, 40
    b_true, theta_true = rng.normal(0, 1, n_q), rng.normal(0, 1, n_m)
    counts = rng.binomial(n, stats.logistic.cdf(theta_true[None, :] - b_true[:, None]))
    # No question or model at 0 or n throughout, so the plain MLE exists.
    assert (counts.sum(axis=0) % (n * n_q)).all() and (counts.sum(axis=1) % (n * n_m)).all()
    qids, models = [f"q{i}" for i in range(n_q)], [f"m{j}" for j in range(n_m)]
    fit = tiers.fit_irt(
        pd.DataFrame(counts, index=qids, columns=models), pd.DataFrame(n, index=qids, columns=models), prior_sd=1e4
    )
    # GLM: logit p = theta_m - b_q with question 0's difficulty fixed at 0 (drop its dummy).
    q_idx, m_idx = np.indices(counts.shape)
    design = np.hstack([np.eye(n_m)[m_idx.ravel()], -np.eye(n_q)[q_idx.ravel()][:, 1:]])
    glm = sm.GLM(np.column_stack([counts.ravel(), n - counts.ravel()]), design, family=sm.families.Binomial()).fit()
    relative = fit.questions["difficulty"].to_numpy() - fit.questions["difficulty"].iloc[0]
    np.testing.assert_allclose(relative[1:], glm.params[n_m:], atol=1e-3)
    np.testing.assert_allclose(
        fit.models["ability"].to_numpy() - fit.questions["difficulty"].iloc[0], glm.params[:n_m], atol=1e-3
    )


def test_irt_recovers_difficulty_order_and_keeps_unsolved_questions_finite(panel):
    params = TiersParams(**ROLES, n_bootstrap=0)
    analysis = tiers.analyse_panel(panel, params)
    q = analysis.questions.set_index("question_id")
    true_rank = q["study_tier"].map(tiers.TIER_ORDER.index)
    assert stats.spearmanr(q["irt_difficulty"], true_rank).statistic > 0.8
    assert np.isfinite(q["irt_difficulty"]).all()
    assert (q["irt_ci_low"] < q["irt_difficulty"]).all() and (q["irt_difficulty"] < q["irt_ci_high"]).all()
    never = q.index[q["mean_accuracy"] == 0]
    if len(never):
        assert q.loc[never, "irt_difficulty"].min() > q.loc[q["mean_accuracy"] > 0.5, "irt_difficulty"].max()
    assert list(analysis.irt.models.sort_values("ability").index[:1]) == ["base"]


def test_two_pl_fit_gives_positive_discrimination_with_cis(panel):
    analysis = tiers.analyse_panel(panel, TiersParams(**ROLES, irt_model="2pl", n_bootstrap=0))
    q = analysis.questions
    assert (q["irt_discrimination"] > 0).all()
    assert (analysis.irt.questions["discrimination_ci_low"] < analysis.irt.questions["discrimination_ci_high"]).all()


def test_consistency_of_a_perfect_ladder_and_of_a_reversed_one():
    qids = ["a", "b", "c", "d"]
    rank = dict(zip(qids, range(4), strict=True))
    ladder = pd.DataFrame({f"m{s}": [i < s for i in range(4)] for s in range(5)}, index=qids)
    perfect = tiers.ladder_consistency(ladder, rank, n_bootstrap=100)
    assert perfect.summary.loc["loevinger_h", "value"] == 1.0
    assert perfect.summary.loc["guttman_reproducibility", "value"] == 1.0
    assert perfect.per_model["violations"].sum() == 0
    reversed_ = tiers.ladder_consistency(ladder, {q: -r for q, r in rank.items()}, n_bootstrap=0)
    # Reversed order: 10 observed errors (m1: 3, m2: 4, m3: 3); expected 5 * 2.6 = 13 (worked by hand).
    assert reversed_.per_model["violations"].tolist() == [0, 3, 4, 3, 0]
    assert reversed_.summary.loc["loevinger_h", "value"] == pytest.approx(1 - 10 / 13)
    assert reversed_.summary.loc["guttman_reproducibility", "value"] < 1


def test_consistency_counts_by_hand():
    # One model solves the hard question but not the easy one: 1 violation of 1 pair.
    solved = pd.DataFrame({"m": [False, True], "n": [True, True], "o": [True, False]}, index=["easy", "hard"])
    result = tiers.ladder_consistency(solved, {"easy": 0, "hard": 1}, n_bootstrap=0)
    per = result.per_model
    assert per.loc["m", ["pairs", "violations"]].tolist() == [1, 1]
    assert per.loc["n", ["pairs", "violations"]].tolist() == [1, 0]
    assert per.loc["o", "pairs"] == 0 and np.isnan(per.loc["o", "consistency"])
    # p_easy = 2/3, p_hard = 2/3: expected errors = 3 * (1/3) * (2/3) = 2/3; observed 1.
    assert result.summary.loc["loevinger_h", "value"] == pytest.approx(1 - 1 / (2 / 3))


def test_select_panel_rejects_bad_roles_missing_questions_and_unknown_ids(panel):
    with pytest.raises(TiersError, match=r"sft_models: \['nope'\] not in the panel"):
        tiers.select_panel(panel, TiersParams(base_models=["base"], sft_models=["nope"]))
    gap = panel[~((panel["model"] == "r1") & (panel["question_id"] == "62"))]
    with pytest.raises(TiersError, match="model 'r1' has no samples for question.*62"):
        tiers.select_panel(gap, TiersParams())
    bad = panel.assign(question_id=panel["question_id"].replace({"60": "0"}))
    with pytest.raises(TiersError, match="unknown question id.*0"):
        tiers.select_panel(bad, TiersParams())
    with pytest.raises(TiersError, match="no graded rows of benchmark 'aime25'"):
        tiers.select_panel(panel, TiersParams(benchmark="aime25"))


def test_ks_above_n_fail_before_the_bootstrap(panel):
    with pytest.raises(TiersError, match="fewer samples per question"):
        tiers.analyse_panel(panel, TiersParams(ks=[16]))


def test_tier_source_rule_needs_roles_and_study_needs_lists(panel):
    with pytest.raises(TiersError, match="tier_source 'rule' needs"):
        tiers.analyse_panel(panel, TiersParams(tier_source="rule", n_bootstrap=0))
    other = panel.assign(benchmark="aime25")
    with pytest.raises(TiersError, match="no study tier lists"):
        tiers.analyse_panel(other, TiersParams(benchmark="aime25", n_bootstrap=0))
    ok = tiers.analyse_panel(other, TiersParams(benchmark="aime25", tier_source="rule", n_bootstrap=0, **ROLES))
    assert set(ok.tiers["tier"]) <= {"easy", "medium", "hard", "exh", "all"}
    assert (ok.questions["study_tier"] == "").all()
    assert ok.comparison["agree"].isna().all() and tiers.disagreements(ok.comparison).empty


def test_synthetic_benchmark_uses_its_levels_by_construction():
    levels = synthetic.evaluation_set().set_index("question_id")["level"]
    difficulty = {q: BASE_DIFFICULTY[level] for q, level in levels.items()}
    graded = simulate_graded({"a": 0.0, "b": 2.0}, difficulty, n_samples=4, benchmark="synthetic")
    analysis = tiers.analyse_panel(graded, TiersParams(benchmark="synthetic", n_bootstrap=0))
    assert analysis.tier_of == levels.to_dict()
    assert set(analysis.tiers["tier"]) == {"easy", "medium", "hard", "exh", "all"}
    with pytest.raises(TiersError, match="synthetic: unknown question id"):
        tiers.analyse_panel(graded.assign(question_id="999"), TiersParams(benchmark="synthetic", n_bootstrap=0))


def test_calibration_reads_the_panel_against_the_levels_by_construction():
    levels = synthetic.evaluation_set().set_index("question_id")["level"]
    difficulty = {q: BASE_DIFFICULTY[level] for q, level in levels.items()}
    graded = simulate_graded({"base": 0.0, "sft": 2.0}, difficulty, n_samples=8, benchmark="synthetic")
    params = TiersParams(benchmark="synthetic", base_models=["base"], sft_models=["sft"], n_bootstrap=0)
    table = tiers.calibration(tiers.analyse_panel(graded, params)).set_index("tier")
    assert list(table.index) == ["easy", "medium", "hard", "exh"]
    accuracy = graded.assign(level=graded["question_id"].map(levels)).groupby(["model", "level"])["correct"].mean()
    assert table.loc["easy", "base"] == pytest.approx(accuracy[("base", "easy")])
    assert table.loc["hard", "small SFT"] == pytest.approx(accuracy[("sft", "hard")])
    assert table.loc["easy", "check"] == "base above 50%: yes"  # logistic(2.5) = 0.92
    best_exh = max(accuracy[("base", "exh")], accuracy[("sft", "exh")])
    assert table.loc["exh", "check"] == f"every model below 10%: {'yes' if best_exh < 0.1 else 'no'}"
    assert table.loc["exh", "best model"].endswith(f"{best_exh:.2f}")
    assert table.loc["medium", "check"] == ""


def test_write_tier_report_writes_the_tables_and_figures(panel, tmp_path):
    params = TiersParams(**ROLES, n_bootstrap=200)
    written = tiers.write_tier_report(panel, tmp_path / "a", params)
    questions = pd.read_csv(written["questions"], dtype={"question_id": str})
    assert len(questions) == 30 and questions["question_id"].tolist()[:2] == ["60", "61"]
    for column in ["study_tier", "rule_tier", "agree", "irt_difficulty", "irt_ci_low", "irt_ci_high", "acc_base"]:
        assert column in questions.columns
    assert questions.loc[questions["question_id"] == "60", "acc_base"].item() == pytest.approx(
        panel[(panel["model"] == "base") & (panel["question_id"] == "60")]["correct"].mean()
    )
    tier_table = pd.read_csv(written["tiers"])
    assert len(tier_table) == 6 * 5  # models x (4 tiers + all)
    assert {"avg@n", "avg@n_ci_low", "cov@n", "pass@2", "maj@n_ci_high"} <= set(tier_table.columns)
    assert (tier_table["avg@n_ci_low"] <= tier_table["avg@n"]).all()
    base_all = tier_table[(tier_table["model"] == "base") & (tier_table["tier"] == "all")]
    assert base_all["avg@n"].item() == pytest.approx(panel[panel["model"] == "base"]["correct"].mean())
    for name in ["tier_ladder", "accuracy_heatmap", "tier_accuracy", "potential_vs_stability", "irt_difficulty"]:
        assert written[name].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # Same params and seed: identical tables.
    again = tiers.save_tier_tables(tiers.analyse_panel(panel, params), tmp_path / "b")
    assert again["tiers"].read_text() == written["tiers"].read_text()
    assert again["questions"].read_text() == written["questions"].read_text()


def _write_graded(frame: pd.DataFrame, folder) -> None:
    schema.write_table(frame, folder / "graded.parquet")


def test_load_panel_reads_every_grade_stage_and_rejects_clashes(panel, tmp_path):
    for model in ["base", "sft1"]:
        _write_graded(panel[panel["model"] == model], tmp_path / model)
    inputs = {
        "base": {"sample": str(tmp_path / "x"), "grade": str(tmp_path / "base")},
        "sft1": {"grade": str(tmp_path / "sft1")},
        "_panel": {},
        "curate_only": {"curate": str(tmp_path / "c")},
    }
    graded = tiers.load_panel(inputs)
    assert sorted(graded["model"].unique()) == ["base", "sft1"] and len(graded) == 2 * 30 * 8
    with pytest.raises(TiersError, match="appears in both"):
        tiers.load_graded([tmp_path / "base" / "graded.parquet", tmp_path / "base" / "graded.parquet"])
    with pytest.raises(TiersError, match="no experiment in inputs has a 'grade' stage"):
        tiers.load_panel({"a": {"sample": "x"}})
    only_files = tiers.load_panel({}, graded_files=[str(tmp_path / "sft1" / "graded.parquet")])
    assert only_files["model"].unique().tolist() == ["sft1"]
    with pytest.raises(schema.SchemaError, match="no such file"):
        tiers.load_panel({}, graded_files=[str(tmp_path / "missing.parquet")])


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ladder")
    tiers.add_cli(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def _cli(argv: list[str]) -> int:
    args = _parse(argv)
    return args.func(args)


def test_cli_writes_the_report_and_reports_bad_roles(panel, tmp_path, capsys):
    path = tmp_path / "graded.parquet"
    _write_graded(panel, tmp_path)
    out = tmp_path / "out"
    argv = [
        "tiers",
        str(path),
        "--out",
        str(out),
        "--base-models",
        "base",
        "--sft-models",
        "sft1,sft2",
        "--n-bootstrap",
        "50",
    ]
    assert _cli(argv) == 0
    assert (out / "questions.csv").is_file() and (out / "tier_ladder.png").is_file()
    comparison = pd.read_csv(out / "tier_comparison.csv", dtype={"question_id": str})
    assert {"study_tier", "rule_tier", "agree"} <= set(comparison.columns)
    assert _cli(["tiers", str(path), "--out", str(out), "--base-models", "gpt"]) == 2
    assert "base_models: ['gpt'] not in the panel" in capsys.readouterr().err
    assert _cli(["tiers", str(path), "--out", str(out), "--ks", "2,0"]) == 2
    assert "every k must be >= 1" in capsys.readouterr().err


def test_cli_flags_are_the_params_fields_with_the_models_defaults():
    assert params_from_args(_parse(["tiers", "g.parquet", "--out", "x"]), "tiers") == TiersParams()
    flags = ["--irt-model", "2pl", "--ladder-lines", "group", "--reference-models", "r1,qwq", "--ks", "2,8"]
    params = params_from_args(_parse(["tiers", "g.parquet", "--out", "x", *flags]), "tiers")
    expected = {"irt_model": "2pl", "ladder_lines": "group", "reference_models": ["r1", "qwq"], "ks": [2, 8]}
    assert params.model_dump(include=set(expected)) == expected


def test_notebook_50_tiers_runs_through_the_runner(panel, tmp_path):
    for model in PANEL:
        _write_graded(panel[panel["model"] == model], tmp_path / "grades" / model)
    inputs = {model: {"grade": str(tmp_path / "grades" / model)} for model in PANEL}
    out = tmp_path / "run"
    parameters = {"output_dir": str(out), "inputs": inputs, "profile": "test", "n_bootstrap": 100, **ROLES}
    executed = run.execute_notebook(paths.NOTEBOOKS_DIR / "50_tiers.py", out, parameters, cell_timeout_s=300)
    assert executed.is_file() and (out / "notebook.html").is_file()
    for name in [
        "questions.csv",
        "tiers.csv",
        "tier_ladder.png",
        "accuracy_heatmap.png",
        "potential_vs_stability.png",
    ]:
        assert (out / name).is_file(), name
    html = (out / "notebook.html").read_text().replace("<wbr/>", "")  # a column label may wrap after "_"
    assert "loevinger_h" in html and "rule_tier" in html


def test_unequal_n_in_a_panel_fails_or_is_truncated_and_noted(panel):
    short = panel[~((panel["model"] == "base") & (panel["question_id"] == "60") & (panel["sample_idx"] == 7))]
    with pytest.raises(ValueError, match="model 'base' has unequal samples per question.*60: 7"):
        tiers.analyse_panel(short, TiersParams(n_bootstrap=0))
    analysis = tiers.analyse_panel(short, TiersParams(n_bootstrap=0, unequal_n="truncate"))
    assert "base: unequal n (7..8): truncated to the first 7 samples, 29 dropped" in analysis.notes
    assert set(analysis.tiers.loc[analysis.tiers["model"] == "base", "n"]) == {7}
    assert set(analysis.tiers.loc[analysis.tiers["model"] == "r1", "n"]) == {8}


def test_question_accuracy_has_wilson_cis_per_model_and_question(panel):
    analysis = tiers.analyse_panel(panel, TiersParams(n_bootstrap=0))
    table = analysis.question_accuracy
    assert len(table) == 6 * 30
    row = table[(table["model"] == "sft1") & (table["question_id"] == "75")].iloc[0]
    expected = stats.binomtest(int(row["correct"]), int(row["n"])).proportion_ci(method="wilson")
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((expected.low, expected.high))
    assert row["accuracy"] == pytest.approx(analysis.accuracy.loc["75", "sft1"])


def test_lm_eval_logs_through_ingest_grade_and_tiers(benchmark_dir, tmp_path):
    """The issue's 'done when': lm-eval sample logs of a panel -> ladder ingest -> ladder grade -> ladder tiers."""
    graded_files = []
    for model, log in write_panel_logs(tmp_path, benchmark_dir / "aime24.jsonl").items():
        samples, graded = tmp_path / model / "samples.parquet", tmp_path / model / "graded.parquet"
        assert cli.main(["ingest", "--format", "lm-eval", str(log), "--out", str(samples), "--model", model]) == 0
        assert cli.main(["grade", str(samples), "--out", str(graded)]) == 0
        graded_files.append(str(graded))
    out = tmp_path / "tiers"
    argv = [
        "tiers",
        *graded_files,
        "--out",
        str(out),
        "--base-models",
        "base",
        "--sft-models",
        "sft",
        "--n-bootstrap",
        "100",
    ]
    assert cli.main(argv) == 0
    table = pd.read_csv(out / "tiers.csv").set_index(["model", "tier"])
    assert table.loc[("base", "easy"), "avg@n"] == 0.75 and table.loc[("base", "medium"), "avg@n"] == 0.0
    assert table.loc[("sft", "medium"), "cov@n"] == 1.0 and table.loc[("sft", "hard"), "maj@n"] == 0.0
    assert table.loc[("big", "hard"), "pass@2"] == 1.0 and table.loc[("big", "exh"), "avg@n"] == 0.0
    questions = pd.read_csv(out / "questions.csv", dtype={"question_id": str}).set_index("question_id")
    assert questions.loc["70", "study_tier"] == "hard" and questions.loc["70", "rule_tier"] == "hard"
    assert questions.loc["62", "rule_tier"] == "exh"


def test_missing_role_models_error_or_drop_with_a_note():
    difficulty = {str(q): d for q, d in zip(range(60, 68), np.linspace(-2, 2, 8), strict=True)}
    graded = simulate_graded({"base": 1.0, "sft": 2.0}, difficulty, n_samples=4, seed=0, benchmark="sim")
    params = TiersParams(
        benchmark="sim", tier_source="rule", base_models=["base"], sft_models=["sft", "gone"], n_bootstrap=0
    )
    with pytest.raises(TiersError, match=r"sft_models: \['gone'\] not in the panel"):
        tiers.analyse_panel(graded, params)
    analysis = tiers.analyse_panel(graded, params.model_copy(update={"missing_role_models": "drop"}))
    assert any("gone" in note and "drop" in note for note in analysis.notes)
