"""ladder.ablations: axes from curate params, per-tier metrics, the N fit, comparisons, steps, findings, notebook."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ladder import ablations, findings, schema
from ladder.ablations import AblationsError, AblationsParams
from ladder.curate.params import CurateParams
from ladder.findings import rules
from ladder.params import PANEL
from tests.simulated_panel import simulate_graded

# 20 questions: 4 easy, 6 medium, 6 hard, 4 exh (ids "01".."20"), Rasch difficulties per tier
TIER_OF = {f"{i:02d}": t for i, t in enumerate(["easy"] * 4 + ["medium"] * 6 + ["hard"] * 6 + ["exh"] * 4, start=1)}
DIFFICULTY = {"easy": -3.0, "medium": -0.5, "hard": 1.5, "exh": 12.0}
# experiment -> (curate params beside the profile's, ability in logits): the laptop grid in miniature
GRID = {
    "base": ({"synthetic_verbosity": "answer", "n": 4000}, -2.0),
    "sft_n250": ({"n": 250}, 0.0),
    "sft_n1000": ({"n": 1000}, 1.0),
    "sft_n4000": ({"n": 4000}, 2.0),
    "sft_short": ({"length": "short"}, 0.3),
    "sft_long": ({"length": "long"}, 1.2),
    "sft_gemini": ({"style": "gemini"}, 0.1),
    "sft_algebra": ({"category": "algebra"}, 0.9),
    "sft_number_theory": ({"category": "number_theory"}, 1.1),
}
PROFILE_CURATE = {"source": "synthetic", "category": "all", "n": 1000, "tokenizer": "tiny:laptop"}
FAST = {"benchmark": "synthetic"}


def write_json(path: Path, params: dict, **extra) -> None:
    path.mkdir(parents=True, exist_ok=True)
    (path / "params.json").write_text(json.dumps({"params": params, **extra}))


def graded_counts(model: str, counts: dict[str, int], n: int = 8, benchmark: str = "synthetic", revision: str = ""):
    """Graded rows where question q has exactly counts[q] correct samples (the first ones)."""
    frame = simulate_graded({model: 0.0}, dict.fromkeys(counts, 0.0), n_samples=n, benchmark=benchmark)
    frame["correct"] = frame["sample_idx"] < frame["question_id"].map(counts)
    frame["model_revision"] = revision
    return schema.conform_graded(frame)


def write_run(root: Path, abilities: dict[str, float], seed: int = 0, steps: dict[str, int] | None = None) -> dict:
    """Runner-shaped folders: curate/params.json and grade/graded.parquet per experiment, the tiers folder,
    and optionally a steps experiment sampling sft_n1000's model; returns the runner's ``inputs``."""
    inputs: dict[str, dict[str, str]] = {}
    difficulty = {q: DIFFICULTY[t] for q, t in TIER_OF.items()}
    for i, (exp, (curate, _)) in enumerate(GRID.items()):
        folders = {"curate": root / exp / "curate", "grade": root / exp / "grade"}
        write_json(folders["curate"], CurateParams(**{**PROFILE_CURATE, **curate}).model_dump(mode="json"))
        graded = simulate_graded({exp: abilities[exp]}, difficulty, n_samples=8, seed=seed + i, benchmark="synthetic")
        graded["model_revision"] = f"rev-{exp}"
        folders["grade"].mkdir(parents=True)
        schema.write_table(graded, folders["grade"] / "graded.parquet")
        inputs[exp] = {k: str(v) for k, v in folders.items()}
    if steps is not None:
        folders = {"sample": root / "steps" / "sample", "grade": root / "steps" / "grade"}
        write_json(folders["sample"], {"model": "@sft_n1000/train/model", "benchmark": "synthetic_steps"})
        folders["grade"].mkdir(parents=True)
        rows = graded_counts("sft_n1000_steps", steps, benchmark="synthetic_steps", revision="rev-sft_n1000")
        schema.write_table(rows, folders["grade"] / "graded.parquet")
        inputs["sft_n1000_steps"] = {k: str(v) for k, v in folders.items()}
    tiers_dir = root / PANEL / "tiers"
    write_json(tiers_dir, {"base_models": ["base"], "sft_models": [e for e in GRID if e != "base"]})
    pd.DataFrame({"question_id": list(TIER_OF), "study_tier": list(TIER_OF.values()), "rule_tier": "hard"}).to_csv(
        tiers_dir / "questions.csv", index=False
    )
    inputs[PANEL] = {"tiers": str(tiers_dir)}
    return inputs


HARD_STEPS = {"11.1": 8, "11.2": 7, "11.3": 8, "12.1": 6, "12.2": 8}


@pytest.fixture(scope="module")
def ladder_run(tmp_path_factory) -> dict:
    return write_run(tmp_path_factory.mktemp("ladder_run"), {e: a for e, (_, a) in GRID.items()}, steps=HARD_STEPS)


@pytest.fixture(scope="module")
def analysis(ladder_run) -> ablations.AblationAnalysis:
    params = AblationsParams(**FAST)
    return ablations.analyse_ablations(ablations.load_ablation_inputs(ladder_run, params), params)


def test_axes_come_from_curate_params_and_the_reference_is_the_most_common_setting(analysis, ladder_run):
    axes = analysis.axes.set_index("experiment")
    assert axes.loc["base", "role"] == "base"  # from the tiers stage's base_models
    assert axes.loc["sft_n250", "N"] == 250 and axes.loc["sft_gemini", "S"] == "gemini"
    assert axes["varies"].to_dict() == {
        "base": "N+verbosity",
        "sft_n250": "N",
        "sft_n1000": "reference",
        "sft_n4000": "N",
        "sft_short": "L",
        "sft_long": "L",
        "sft_gemini": "S",
        "sft_algebra": "C",
        "sft_number_theory": "C",
    }
    assert axes.index[axes["is_reference"]].tolist() == ["sft_n1000"]
    assert "sft_n1000_steps" not in axes.index  # no curate stage: not on the axes

    params = AblationsParams(**FAST, reference_experiment="sft_n250", base_models=["base"])
    moved = ablations.load_ablation_inputs(ladder_run, params).axes.set_index("experiment")["varies"]
    assert (moved["sft_n250"], moved["sft_n1000"], moved["sft_short"]) == ("reference", "N", "N+L")


def test_mixed_categories_count_as_one_value():
    curate = {e: CurateParams(**{**PROFILE_CURATE, **c}).model_dump() for e, (c, _) in GRID.items() if e != "base"}
    curate["sft_diverse"] = CurateParams(**{**PROFILE_CURATE, "category": "diverse"}).model_dump()
    axes = ablations.experiment_axes(curate, base=[]).set_index("experiment")
    assert axes.loc["sft_diverse", "varies"] == "reference"
    strict = ablations.experiment_axes(curate, base=[], mixed_categories=[]).set_index("experiment")
    assert strict.loc["sft_diverse", "varies"] == "C"


def test_accuracy_by_tier_matches_the_graded_rows(analysis, ladder_run):
    graded = schema.read_table(Path(ladder_run["sft_n4000"]["grade"]) / "graded.parquet", graded=True)
    graded["tier"] = graded["question_id"].map(TIER_OF)
    rows = analysis.accuracy.set_index(["experiment", "tier"])
    for tier, sub in graded.groupby("tier"):
        row = rows.loc[("sft_n4000", tier)]
        assert row["avg@n"] == pytest.approx(sub["correct"].mean())
        cov = sub.groupby("question_id")["correct"].any().mean()
        assert row["cov@n"] == pytest.approx(cov) and row["gap"] == pytest.approx(cov - sub["correct"].mean())
        assert row["avg@n_ci_low"] <= row["avg@n"] <= row["avg@n_ci_high"]
    assert rows.loc[("sft_n4000", "all"), "n_questions"] == 20
    assert set(analysis.accuracy["experiment"]) == set(GRID)  # the steps experiment has no synthetic rows


def test_axis_comparisons_are_like_for_like(analysis):
    values = {axis: set(ablations.main_group(t)["value"]) for axis, t in analysis.comparisons.items() if not t.empty}
    assert values == {
        "N": {"250", "1000", "4000"},
        "L": {"short", "normal", "long"},
        "S": {"r1", "gemini"},
        "C": {"all", "algebra", "number_theory"},
    }
    assert analysis.comparisons["similarity"].empty
    assert set(analysis.comparisons["N"]["experiment"]) == {"sft_n250", "sft_n1000", "sft_n4000"}


def test_scaling_fit_is_ols_on_log10_n(analysis):
    n_rows = ablations.main_group(analysis.comparisons["N"])
    hard = n_rows[n_rows["tier"] == "hard"]
    x, y = np.log10(hard["value"].astype(float)), hard["avg@n"]
    ref = stats.linregress(x, y)
    fit = analysis.scaling.set_index("tier").loc["hard"]
    half_width = stats.t.ppf(0.975, len(x) - 2) * ref.stderr
    assert fit["slope"] == pytest.approx(ref.slope) and fit["intercept"] == pytest.approx(ref.intercept)
    assert fit["slope_ci_low"] == pytest.approx(ref.slope - half_width)
    assert fit["slope_ci_high"] == pytest.approx(ref.slope + half_width)
    assert (fit["n_sizes"], fit["n_min"], fit["n_max"]) == (3, 250, 4000)


def test_category_spread(analysis):
    rows = ablations.main_group(analysis.comparisons["C"])
    overall = rows[rows["tier"] == "all"].set_index("value")["avg@n"]
    spread = analysis.categories.set_index("tier").loc["all"]
    assert spread["spread"] == pytest.approx(overall.max() - overall.min())
    assert (spread["best"], spread["worst"]) == (overall.idxmax(), overall.idxmin())


def test_step_decomposition_pairs_the_steps_with_the_end_to_end_model(analysis, ladder_run):
    steps = analysis.steps.set_index("parent_id")
    assert set(steps.index) == {"11", "12"} and (steps["end_to_end_experiment"] == "sft_n1000").all()
    assert steps.loc["11", "step_accuracy"] == "1.000 0.875 1.000"
    assert steps.loc["11", "product"] == pytest.approx(0.875) and steps.loc["12", "min_step"] == 0.75
    graded = schema.read_table(Path(ladder_run["sft_n1000"]["grade"]) / "graded.parquet", graded=True)
    e2e = graded[graded["question_id"] == "11"]["correct"].mean()
    assert steps.loc["11", "end_to_end"] == pytest.approx(e2e) and steps.loc["11", "tier"] == "hard"


def test_step_pairing_falls_back_to_the_model_revision(ladder_run, tmp_path):
    inputs = {**ladder_run, "sft_n1000_steps": {"grade": ladder_run["sft_n1000_steps"]["grade"]}}  # no sample stage
    data = ablations.load_ablation_inputs(inputs, AblationsParams(**FAST))
    assert data.step_pairs == {"sft_n1000_steps": "sft_n1000"}


CLAIMS = findings.load_claims()


def finding(analysis, number: int) -> pd.Series:
    return findings.findings_frame(findings.evaluate(analysis, CLAIMS)).iloc[number - 1]


def verdict(analysis, rule: str, **thresholds) -> str:
    """The verdict of ``rule`` on ``analysis`` with the claims file's thresholds, some replaced."""
    claim = next(f for f in CLAIMS.findings if f.rule == rule)
    return rules.RULES[rule](analysis, claim.thresholds.model_copy(update=thresholds)).verdict


def test_findings_are_computed_from_this_runs_numbers(analysis, tmp_path):
    table = findings.findings_frame(findings.evaluate(analysis, CLAIMS))
    assert list(table.columns) == ["finding", "study_says", "this_run", "holds"]
    assert set(table["holds"]) <= set(rules.VERDICTS)
    # Abilities rise with N, but 6 Hard questions cannot show it: the paired CI of N=4000 minus N=250 reaches 0.
    assert finding(analysis, 3)["holds"] == "inconclusive"
    assert "on the same questions, N=4000 minus N=250: +" in finding(analysis, 3)["this_run"]
    # The verdict reads the CIs: narrowed to just below the estimates, both the slope's and N vs N's hold. (Before
    # the one verdict rule a positive slope's point estimate sufficed; now its CI must be above 0 too.)
    narrow = analysis.contrasts.assign(ci_low=analysis.contrasts["difference"] - 0.01)
    narrow_fit = analysis.scaling.assign(slope_ci_low=analysis.scaling["slope"] - 0.01)
    assert verdict(replace(analysis, contrasts=narrow, scaling=narrow_fit), "scaling") == "yes"
    assert verdict(replace(analysis, contrasts=narrow), "scaling") == "inconclusive"  # 3 sizes: a CI far too wide
    # exh difficulty 12 logits: nobody solves it, but 0 of 4 Exh questions cannot show an accuracy of exactly 0%
    # (each model's Wilson CI reaches above 0): inconclusive under the claims file's 0% bar (it was "yes" from the
    # point estimates); a bar the CIs clear gives yes
    assert finding(analysis, 6)["holds"] == "inconclusive"
    assert "Exh avg@n (CI 0% to" in finding(analysis, 6)["this_run"]
    assert verdict(analysis, "exh", max=0.9) == "yes"
    slope = analysis.scaling.set_index("tier").loc["hard", "slope"]
    assert f"{slope * 100:+.1f} points per tenfold N" in finding(analysis, 3)["this_run"]
    assert "inconclusive: the slope (CI " in finding(analysis, 3)["this_run"]
    assert verdict(replace(analysis, scaling=analysis.scaling.assign(n_sizes=2)), "scaling") == "not testable"

    # The same grid where more data hurts and exh becomes solvable: those findings flip.
    abilities = {e: a for e, (_, a) in GRID.items()} | {"sft_n250": 2.0, "sft_n4000": 0.0}
    flipped_inputs = write_run(tmp_path, abilities)
    params = AblationsParams(**FAST)
    flipped = ablations.analyse_ablations(ablations.load_ablation_inputs(flipped_inputs, params), params)
    # 6 Hard questions: the slope (-45 points per tenfold N) and N=4000 minus N=250 have CIs reaching above 0, so
    # the intervals cannot rule growth out (the old rule said "no" from the slope's point estimate); with CIs
    # narrowed to just above the estimates they do.
    assert finding(flipped, 3)["holds"] == "inconclusive"
    assert "N=4000 minus N=250 on Hard (CI " in finding(flipped, 3)["this_run"]
    diff = flipped.contrasts["difference"]
    narrow = flipped.contrasts.assign(ci_high=diff + 0.01)
    narrow_fit = flipped.scaling.assign(slope_ci_high=flipped.scaling["slope"] + 0.01)
    assert verdict(replace(flipped, contrasts=narrow, scaling=narrow_fit), "scaling") == "no"
    assert finding(flipped, 5)["holds"] == "not testable"  # no steps experiment in this run
    assert "no step decomposition" in finding(flipped, 5)["this_run"]


def test_finding_thresholds_decide(analysis):
    levels_only = replace(analysis, contrasts=analysis.contrasts.iloc[0:0])  # verdicts from the levels alone
    # Without the paired best-minus-worst difference the categories' spread has no interval: inconclusive
    # whatever the tolerance (it was yes / no from the point spread before the one verdict rule).
    assert verdict(levels_only, "curation", tolerance=1.0) == "inconclusive"
    assert verdict(levels_only, "curation", tolerance=0.0) == "inconclusive"
    assert verdict(analysis, "curation", tolerance=1.0) == "yes"  # the paired CI is within +- 100 points
    assert verdict(analysis, "curation", tolerance=0.0) == "inconclusive"  # best - worst: its CI reaches below 0
    diff = analysis.contrasts["difference"]
    narrow = replace(analysis, contrasts=analysis.contrasts.assign(ci_low=diff - 0.01, ci_high=diff + 0.01))
    assert verdict(narrow, "curation", tolerance=0.0) == "no"  # a spread above 0, shown by its CI
    # target 0: every CI reaches it, so the "fewer/shorter/Gemini do not" half fails
    assert verdict(levels_only, "medium", target=0.0) == "no"
    assert verdict(levels_only, "medium", target=1.0) == "no"
    acc = analysis.accuracy
    exh = acc["tier"] == "exh"
    exh_solved = replace(  # an Exh accuracy of 12.5% with its CI above 0
        analysis,
        accuracy=acc.assign(
            **{
                "avg@n": np.where(exh, 0.125, acc["avg@n"]),
                "avg@n_ci_low": np.where(exh, 0.05, acc["avg@n_ci_low"]),
                "avg@n_ci_high": np.where(exh, 0.15, acc["avg@n_ci_high"]),
            }
        ),
    )
    assert verdict(exh_solved, "exh") == "no"
    assert verdict(exh_solved, "exh", max=0.2) == "yes"
    assert verdict(exh_solved, "exh", max=0.1) == "inconclusive"  # the CI straddles 10%
    nothing_solved = replace(analysis, accuracy=acc.assign(**{"avg@n": 0.0}))  # 0% on Exh means nothing then
    assert verdict(nothing_solved, "exh") == "not testable"


def test_finding_medium_holds_only_when_exactly_the_qualifying_runs_reach_the_target(analysis):
    acc = analysis.accuracy.copy()
    analysis = replace(analysis, contrasts=analysis.contrasts.iloc[0:0])  # the levels alone
    medium = acc["tier"] == "medium"
    qualifies = acc["experiment"].isin(["sft_n1000", "sft_n4000", "sft_long", "sft_algebra", "sft_number_theory"])
    columns = ["avg@n", "avg@n_ci_low", "avg@n_ci_high"]  # each model counts by its CI (the one verdict rule)
    acc.loc[medium, columns] = np.where(qualifies[medium].to_numpy()[:, None], [0.95, 0.91, 0.99], [0.6, 0.4, 0.8])
    assert verdict(replace(analysis, accuracy=acc), "medium") == "yes"
    gemini = medium & (acc["experiment"] == "sft_gemini")
    acc.loc[gemini, columns] = [0.92, 0.91, 0.99]  # Gemini style reaches Medium too, by its CI
    claim = CLAIMS.finding(1)
    result = rules.medium(replace(analysis, accuracy=acc), claim.thresholds)
    assert result.verdict == "no" and "highest 92%, sft_gemini" in result.this_run
    acc.loc[gemini, columns] = [0.92, 0.7, 0.99]  # 92% as a point, but its CI reaches 70%: undecided
    result = rules.medium(replace(analysis, accuracy=acc), claim.thresholds)
    assert (
        result.verdict == "inconclusive"
        and "sft_gemini's Medium avg@n (CI 70% to 99%) straddles 90%" in result.this_run
    )


def test_finding_stability_needs_high_coverage_and_a_gap(analysis):
    acc = analysis.accuracy.copy()
    sft_medium = (acc["tier"] == "medium") & (acc["role"] == "sft")
    acc["cov@n"], acc["avg@n"] = acc["avg@n"], acc["avg@n"]  # gap 0 everywhere
    acc["gap"], acc["gap_ci_low"], acc["gap_ci_high"] = 0.0, -0.05, 0.05
    assert verdict(replace(analysis, accuracy=acc), "stability") == "no"
    columns = ["cov@n", "cov@n_ci_low", "cov@n_ci_high", "avg@n", "gap", "gap_ci_low", "gap_ci_high"]
    acc.loc[sft_medium, columns] = [0.9, 0.86, 1.0, 0.6, 0.3, 0.1, 0.5]
    assert verdict(replace(analysis, accuracy=acc), "stability") == "inconclusive"  # the CI straddles 20 points
    acc.loc[sft_medium, ["gap_ci_low"]] = 0.25
    assert verdict(replace(analysis, accuracy=acc), "stability") == "yes"
    acc.loc[sft_medium, ["cov@n_ci_low"]] = 0.7  # cov@n 90% as a point, its CI reaching 70%: undecided
    assert verdict(replace(analysis, accuracy=acc), "stability") == "inconclusive"


def test_finding_steps_compare_steps_whole_and_product(analysis):
    two = pd.DataFrame(
        {"tier": ["hard", "hard"], "mean_step": [0.95, 0.9], "product": [0.2, 0.1], "end_to_end": [0.15, 0.1]}
    )
    # Two questions: the paired CIs are too wide to tell (it was yes from the point means before the one rule);
    # the same questions twelve times over narrow them.
    assert verdict(replace(analysis, steps=two), "steps") == "inconclusive"
    compounding = pd.concat([two] * 12, ignore_index=True)
    assert verdict(replace(analysis, steps=compounding), "steps") == "yes"
    independent = compounding.assign(end_to_end=[0.9, 0.85] * 12)  # the whole as easy as its steps
    assert verdict(replace(analysis, steps=independent), "steps") == "no"
    assert verdict(replace(analysis, steps=compounding.assign(tier="medium")), "steps") == "not testable"


def test_bad_inputs_name_what_is_wrong(ladder_run, tmp_path):
    no_tiers = {k: v for k, v in ladder_run.items() if k != PANEL}
    with pytest.raises(AblationsError, match=r"panel: \[tiers, ablations\]"):
        ablations.load_ablation_inputs(no_tiers, AblationsParams(**FAST))
    missing = {**ladder_run, "ghost": {"curate": str(tmp_path / "ghost")}}
    with pytest.raises(AblationsError, match="ghost/params.json: no such file"):
        ablations.load_ablation_inputs(missing, AblationsParams(**FAST))
    odd = tmp_path / "odd"
    odd.mkdir()
    schema.write_table(graded_counts("odd", {"99": 1}), odd / "graded.parquet")
    with pytest.raises(AblationsError, match="experiment 'odd': question.* 99 have no tier"):
        ablations.load_ablation_inputs({**ladder_run, "odd": {"grade": str(odd)}}, AblationsParams(**FAST))
    with pytest.raises(AblationsError, match="reference_experiment 'nope'"):
        ablations.load_ablation_inputs(ladder_run, AblationsParams(**FAST, reference_experiment="nope"))
    with pytest.raises(AblationsError, match=r"base_models \['bsae'\] are neither"):
        ablations.load_ablation_inputs(ladder_run, AblationsParams(**FAST, base_models=["bsae"]))
    with pytest.raises(AblationsError, match="only of 'synthetic_steps'"):
        ablations.load_ablation_inputs(ladder_run, AblationsParams(**{**FAST, "benchmark": "aime24"}))
    with pytest.raises(ValueError, match="extra"):
        AblationsParams(confidance=0.9)


def test_report_files(analysis, tmp_path):
    written = ablations.write_ablation_report(analysis, tmp_path)
    for name in ("experiment_axes", "accuracy_by_tier", "findings", "scaling_fit", "axis_L", "accuracy_vs_n"):
        assert written[name].is_file() and written[name].stat().st_size > 0, name
    table = pd.read_csv(written["findings"])
    assert table["holds"].tolist() == [f.verdict for f in findings.evaluate(analysis, CLAIMS)]
    assert len(pd.read_csv(written["study_findings"])) == sum(len(f.numbers) for f in CLAIMS.findings)


def test_same_inputs_and_seed_give_identical_tables(analysis, ladder_run):
    again = ablations.analyse_ablations(ablations.load_ablation_inputs(ladder_run, analysis.params), analysis.params)
    pd.testing.assert_frame_equal(again.accuracy, analysis.accuracy)
    for frame in (findings.findings_frame, findings.numbers_frame):
        pd.testing.assert_frame_equal(
            frame(findings.evaluate(again, CLAIMS)), frame(findings.evaluate(analysis, CLAIMS))
        )
    pd.testing.assert_frame_equal(again.contrasts, analysis.contrasts)


def test_notebook_runs_through_the_runner(ladder_run, tmp_path):
    from ladder import paths, run

    out = tmp_path / "ablations"
    run.execute_notebook(
        paths.NOTEBOOKS_DIR / "60_ablations.py",
        out,
        {"output_dir": str(out), "inputs": ladder_run, "profile": "test", **FAST},
        cell_timeout_s=300,
        render_html=False,
    )
    table = pd.read_csv(out / "findings.csv")
    assert len(table) == 6 and table.loc[2, "holds"] == "inconclusive"  # 6 Hard questions: see above
    for name in ("accuracy_vs_n", "axis_L", "axis_S", "category_spread", "step_decomposition"):
        assert (out / f"{name}.png").is_file(), name


def test_analysis_only_run_without_curate_stages(ladder_run, tmp_path):
    # The `results` profile: graded files from elsewhere, no curate stage, so no axes: findings say so.
    inputs = {e: {"grade": st["grade"]} for e, st in ladder_run.items() if e in ("sft_n250", "sft_n4000")}
    inputs[PANEL] = ladder_run[PANEL]
    params = AblationsParams(**FAST)
    result = ablations.analyse_ablations(ablations.load_ablation_inputs(inputs, params), params)
    assert result.axes.empty and set(result.accuracy["role"]) == {"other"}
    assert all(t.empty for t in result.comparisons.values())
    assert [f.verdict for f in findings.evaluate(result, CLAIMS)] == ["not testable"] * 6
    assert ablations.plot_accuracy_vs_n(result, tmp_path) is not None and (tmp_path / "accuracy_vs_n.png").is_file()


# The study_logs shape: one grade folder holding the whole panel, models named by hub id (or checkpoint path).
LOG_PANEL = {
    "Qwen/Qwen2.5-32B-Instruct": -2.0,
    "Qwen/QwQ-32B": 2.5,
    "sunyiyou/openr1_diverse_100_lg": 0.0,
    "sunyiyou/openr1_diverse_500_lg": 0.8,
    "/scratch/ckpt/openr1_diverse_1k_lg_0": 1.0,  # a log naming the local checkpoint, not the hub id
    "sunyiyou/openr1_lg_2k_ep4": 1.4,
    "sunyiyou/openr1_algebra_1k_lg_0": 0.9,
    "sunyiyou/openr1_number_theory_1k_lg_0": 1.1,
    "sunyiyou/openr1_diverse_1k_sh": 0.2,
    "simplescaling/s1-32B": 0.1,
    "simplescaling/s1.1-32B": 1.2,
}


def write_log_panel(root: Path, base_models: list[str]) -> dict:
    difficulty = {q: DIFFICULTY[t] for q, t in TIER_OF.items()}
    grade = root / "study_logs" / "grade"
    grade.mkdir(parents=True)
    graded = simulate_graded(LOG_PANEL, difficulty, n_samples=8, benchmark="synthetic")
    schema.write_table(graded, grade / "graded.parquet")
    tiers_dir = root / PANEL / "tiers"
    write_json(tiers_dir, {"base_models": base_models})
    pd.DataFrame({"question_id": list(TIER_OF), "study_tier": list(TIER_OF.values())}).to_csv(
        tiers_dir / "questions.csv", index=False
    )
    return {"study_logs": {"grade": str(grade)}, PANEL: {"tiers": str(tiers_dir)}}


def test_a_folder_of_released_models_logs_is_analysed_per_model_on_the_studys_axes(tmp_path):
    inputs = write_log_panel(tmp_path, base_models=["Qwen/Qwen2.5-32B-Instruct"])
    params = AblationsParams(**FAST)
    data = ablations.load_ablation_inputs(inputs, params)
    result = ablations.analyse_ablations(data, params)

    assert set(result.accuracy["experiment"]) == set(LOG_PANEL)  # one unit per model, named by the model
    assert (result.accuracy["experiment"] == result.accuracy["model"]).all()
    roles = result.accuracy.drop_duplicates("experiment").set_index("experiment")["role"]
    assert roles["Qwen/Qwen2.5-32B-Instruct"] == "base" and roles["Qwen/QwQ-32B"] == "other"
    assert (roles.drop(["Qwen/Qwen2.5-32B-Instruct", "Qwen/QwQ-32B"]) == "sft").all()

    axes = result.axes.set_index("experiment")
    assert (axes["origin"] == "released").all()
    checkpoint = axes.loc["/scratch/ckpt/openr1_diverse_1k_lg_0"]
    assert (checkpoint["N"], checkpoint["L"], checkpoint["C"]) == (1000, "long", "diverse")
    assert checkpoint["axes_from"] == "released model sunyiyou/openr1_diverse_1k_lg_0"
    assert (axes.loc["simplescaling/s1-32B", "S"], axes.loc["simplescaling/s1-32B", "source"]) == ("gemini", "s1k")
    assert axes.loc["sunyiyou/openr1_diverse_1k_sh", "L"] == "short"

    n_values = set(ablations.main_group(result.comparisons["N"])["value"])
    assert n_values == {"100", "500", "1000", "2000"}  # diverse and all are both mixes
    assert (result.scaling["n_sizes"] == 4).all() and result.scaling["slope"].notna().all()
    assert finding(result, 3)["holds"] in ("yes", "inconclusive")  # abilities rise with N (few questions)
    assert "on the same questions, N=2000 minus N=100" in finding(result, 3)["this_run"]
    assert set(ablations.main_group(result.comparisons["C"])["value"]) == {"diverse", "algebra", "number_theory"}
    assert set(result.comparisons["L"]["value"]) == {"short", "long"}
    assert set(result.comparisons["S"]["experiment"]) == {"simplescaling/s1-32B", "simplescaling/s1.1-32B"}
    assert finding(result, 1)["holds"] != "not testable"
    # nobody solves Exh, but 4 questions cannot show 0%: each model's CI reaches above the claims file's 0% bar
    assert finding(result, 6)["holds"] == "inconclusive" and "Exh avg@n (CI 0% to" in finding(result, 6)["this_run"]
    assert any("11 models in one experiment" in note for note in result.notes)

    without = AblationsParams(**FAST, released_models="")
    bare = ablations.load_ablation_inputs(inputs, without)
    assert bare.axes.empty and bare.roles["sunyiyou/openr1_diverse_100_lg"] == "other"


def test_released_models_and_this_runs_reproductions_are_compared_apart(ladder_run, tmp_path):
    # The paper profile: trained experiments (curate stage) beside eval_* experiments of the released models.
    inputs = {e: st for e, st in ladder_run.items() if e in ("sft_n250", "sft_n1000", "sft_n4000", PANEL)}
    difficulty = {q: DIFFICULTY[t] for q, t in TIER_OF.items()}
    for i, hub_id in enumerate(
        ["sunyiyou/openr1_diverse_100_lg", "sunyiyou/openr1_diverse_500_lg", "sunyiyou/openr1_lg_2k_ep4"]
    ):
        grade = tmp_path / f"eval_{i}" / "grade"
        grade.mkdir(parents=True)
        schema.write_table(
            simulate_graded({hub_id: 0.5 * i}, difficulty, 8, seed=i, benchmark="synthetic"), grade / "graded.parquet"
        )
        inputs[f"eval_{i}"] = {"grade": str(grade)}
    params = AblationsParams(**FAST)
    result = ablations.analyse_ablations(ablations.load_ablation_inputs(inputs, params), params)
    origins = result.axes.set_index("experiment")["origin"]
    assert origins[["eval_0", "eval_1", "eval_2"]].eq("released").all() and origins["sft_n250"] == "this run"
    groups = result.comparisons["N"].groupby("group")["experiment"].agg(set)
    assert sorted(groups.tolist(), key=len) == [{"eval_0", "eval_1", "eval_2"}, {"sft_n250", "sft_n1000", "sft_n4000"}]
    assert groups.index.str.contains("origin=released").sum() == 1


def test_a_model_named_like_another_experiment_is_an_error(tmp_path):
    inputs = write_log_panel(tmp_path, base_models=[])
    inputs["Qwen/QwQ-32B"] = inputs["study_logs"]
    with pytest.raises(AblationsError, match="model 'Qwen/QwQ-32B' is also the name of another experiment"):
        ablations.load_ablation_inputs(inputs, AblationsParams(**FAST))
