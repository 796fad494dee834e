"""ladder.plots: each figure function draws what it claims from real analysis tables and saves a PNG."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ladder import plots, tiers  # noqa: E402
from tests.simulated_panel import simulate_graded  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def analysis() -> tiers.TierAnalysis:
    """A real tier analysis of a simulated 3-model panel on AIME24 (4 samples per question)."""
    study = tiers.study_tiers()
    difficulty = {q: {"easy": -2, "medium": 0, "hard": 1.5, "exh": 4}[t] for q, t in sorted(study.items())}
    graded = simulate_graded({"base": -1.0, "sft": 1.0, "big": 2.5}, difficulty, n_samples=4, seed=3)
    params = tiers.TiersParams(base_models=["base"], sft_models=["sft"], reference_models=["big"], n_bootstrap=100)
    return tiers.analyse_panel(graded, params)


def test_question_order_sorts_by_tier_then_by_mean_accuracy():
    accuracy = pd.DataFrame({"m": [0.1, 0.9, 0.5, 0.7]}, index=["a", "b", "c", "d"])
    tier_of = {"a": "easy", "b": "hard", "c": "easy", "d": "hard"}
    assert plots.question_order(accuracy, tier_of) == ["c", "a", "b", "d"]


def test_tier_ladder_draws_one_line_per_model_over_questions_in_tier_order(analysis, tmp_path):
    fig = plots.plot_tier_ladder(analysis.accuracy, analysis.tier_of, out_dir=tmp_path)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == list(analysis.accuracy.columns)
    order = [t.get_text() for t in ax.get_xticklabels()]
    assert [analysis.tier_of[q] for q in order] == sorted(
        (analysis.tier_of[q] for q in order), key=tiers.TIER_ORDER.index
    )
    first = ax.get_lines()[0]
    expected = analysis.accuracy.loc[order, first.get_label()].to_numpy() * 100
    np.testing.assert_allclose(first.get_ydata(), expected)
    assert len(ax.patches) == 4  # one band per tier
    assert (tmp_path / "tier_ladder.png").read_bytes()[:8] == PNG_MAGIC


def test_tier_ladder_groups_average_their_members(analysis):
    fig = plots.plot_tier_ladder(analysis.accuracy, analysis.tier_of, groups={"small": ["sft", "base"]})
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    assert set(lines) == {"small", "big"}
    order = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    expected = analysis.accuracy.loc[order, ["sft", "base"]].mean(axis=1).to_numpy() * 100
    np.testing.assert_allclose(lines["small"].get_ydata(), expected)


def test_heatmap_has_a_row_per_model_and_a_cell_per_question(analysis, tmp_path):
    fig = plots.plot_accuracy_heatmap(analysis.accuracy, analysis.tier_of, out_dir=tmp_path)
    mesh = fig.axes[0].collections[0]
    assert mesh.get_array().shape == (3, 30) or mesh.get_array().size == 3 * 30
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == list(analysis.accuracy.columns)
    assert (tmp_path / "accuracy_heatmap.png").read_bytes()[:8] == PNG_MAGIC


def test_tier_accuracy_bars_match_the_table_and_carry_its_cis(analysis, tmp_path):
    fig = plots.plot_tier_accuracy(analysis.tiers, out_dir=tmp_path)
    ax = fig.axes[0]
    bars = [p for p in ax.patches]
    assert len(bars) == 3 * 5  # models x (4 tiers + all)
    heights = sorted(round(b.get_height(), 6) for b in bars)
    assert heights == sorted(round(v * 100, 6) for v in analysis.tiers["avg@n"])
    assert len(ax.containers) >= 3 and "with CIs" in ax.get_title()
    assert (tmp_path / "tier_accuracy.png").read_bytes()[:8] == PNG_MAGIC


def test_potential_vs_stability_has_a_panel_per_tier_and_a_point_per_model(analysis, tmp_path):
    fig = plots.plot_potential_vs_stability(analysis.tiers, out_dir=tmp_path)
    assert [ax.get_title() for ax in fig.axes] == ["Easy", "Medium", "Hard", "Exh"]
    hard = analysis.tiers[analysis.tiers["tier"] == "hard"].set_index("model")
    points = {c.get_label(): c for c in fig.axes[2].containers}
    for model, row in hard.iterrows():
        x, y = points[model].lines[0].get_data()
        assert (x[0], y[0]) == pytest.approx((row["avg@n"] * 100, row["cov@n"] * 100))
        assert y[0] >= x[0] - 1e-9  # cov@n is never below avg@n
    assert (tmp_path / "potential_vs_stability.png").read_bytes()[:8] == PNG_MAGIC


def test_irt_difficulty_plot_sorts_questions_by_difficulty(analysis, tmp_path):
    fig = plots.plot_irt_difficulty(analysis.questions, analysis.tier_of, out_dir=tmp_path)
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    by_difficulty = analysis.questions.sort_values("irt_difficulty")["question_id"].tolist()
    assert labels == by_difficulty
    assert (tmp_path / "irt_difficulty.png").read_bytes()[:8] == PNG_MAGIC


def test_save_figure_without_a_folder_writes_nothing(tmp_path):
    fig = Figure()
    assert plots.save_figure(fig, None, "x") is None
    assert plots.save_figure(fig, tmp_path / "sub", "x") == tmp_path / "sub" / "x.png"


def test_sorted_within_tiers_ranks_each_tier_highest_first_in_the_study_order():
    values = pd.Series({"a": 0.1, "b": 0.9, "c": 0.5, "d": 0.7, "e": 0.0})
    tier_of = {"a": "easy", "b": "hard", "c": "easy", "d": "hard", "e": "exh"}
    ranked = plots.sorted_within_tiers(values, tier_of)
    assert ranked.index.tolist() == ["c", "a", "b", "d", "e"]
    assert ranked.tolist() == [0.5, 0.1, 0.9, 0.7, 0.0]


def test_ladder_panels_draw_one_panel_per_model_with_the_base_beneath(analysis, tmp_path):
    fig = plots.plot_ladder_panels(analysis.accuracy, analysis.tier_of, ["base"], ["big", "sft"], out_dir=tmp_path)
    drawn = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title() for ax in drawn] == ["big", "sft"]  # the order asked for; no panel for the base
    tiers_present = len(set(analysis.tier_of.values()))
    for ax, model in zip(drawn, ["big", "sft"], strict=True):
        lines = ax.get_lines()
        assert len(lines) == 2 * tiers_present  # base and model, one segment per tier
        base_y = np.concatenate([line.get_ydata() for line in lines[:tiers_present]])
        model_y = np.concatenate([line.get_ydata() for line in lines[tiers_present:]])
        expected = plots.sorted_within_tiers(analysis.accuracy[model], analysis.tier_of).to_numpy() * 100
        assert np.allclose(model_y, expected)
        assert np.allclose(base_y, plots.sorted_within_tiers(analysis.accuracy["base"], analysis.tier_of) * 100)
        for line in lines:  # sorted within its tier: never rises
            assert (np.diff(line.get_ydata()) <= 0).all()
    assert (tmp_path / "tier_ladder_panels.png").read_bytes().startswith(PNG_MAGIC)


def test_a_ladder_of_many_questions_stays_readable_on_a_page():
    # 144 questions (the mini-ladder): the figure stops widening at 15 inches and drops the per-question labels,
    # which at that width would overlap; the 30 of AIME keep one label each
    many = pd.DataFrame({"m": np.linspace(0, 1, 144)}, index=[f"{i:03d}" for i in range(1, 145)])
    tier_of = {q: ("easy", "medium", "hard", "exh")[i // 36] for i, q in enumerate(many.index)}
    fig = plots.plot_tier_ladder(many, tier_of)
    assert fig.get_size_inches()[0] == 15.0
    assert len(fig.axes[0].get_xticklabels()) < 20  # matplotlib's positions, not 144 ids
    few = many.iloc[:30]
    fig = plots.plot_tier_ladder(few, {q: tier_of[q] for q in few.index})
    assert fig.get_size_inches()[0] < 15.0
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == sorted(few.index, key=lambda q: -few.loc[q, "m"])
