"""Every profile and experiment file validates, and the GPU profiles hold the study's settings.

No GPU and no hub here: ``load_plan`` and ``prepare`` must work offline (conftest sets HF_HUB_OFFLINE=1, so
a download attempt would fail the test).
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from ladder import compute, paths
from ladder.curate.params import STUDY_CATEGORIES
from ladder.params import EXPERIMENT_KEYS, PANEL, ParamsError, load_plan, read_yaml
from ladder.prepare import prepare
from ladder.run import run_plan
from ladder.stages import STAGES
from tests.lm_eval_logs import write_panel_logs

PROFILES = sorted(p.stem for p in (paths.PARAMS_DIR / "profiles").glob("*.yaml"))
EXPERIMENT_FILES = sorted((paths.PARAMS_DIR / "experiments").rglob("*.yaml"))

# The models issue 8 names, by hub id (LIMO-32B is GAIR/LIMO, STILL-3 is RUC-AIBOX/STILL-3-TOOL-32B).
CATEGORIES = [*STUDY_CATEGORIES, "diverse"]
RELEASED = (
    [f"sunyiyou/openr1_{c}_1k_lg_{s}" for c in CATEGORIES for s in range(4)]
    + [f"sunyiyou/openr1_diverse_{n}_lg" for n in (100, 200, 500)]
    + [f"sunyiyou/openr1_lg_{n}_ep4" for n in ("2k", "5k", "10k", "20k")]
    + ["sunyiyou/openr1_diverse_1k_sh", "sunyiyou/openr1_diverse_1k_nm"]
    + ["sunyiyou/openr1_sim_aime24mdhd_1k_0", "sunyiyou/openr1_insim_aime24mdhd_1k_0"]
)
PANEL_MODELS = [
    "Qwen/Qwen2.5-32B-Instruct",
    "simplescaling/s1-32B",
    "simplescaling/s1.1-32B",
    "GAIR/LIMO",
    "deepseek-ai/DeepSeek-R1",
    "Qwen/QwQ-32B",
    "RUC-AIBOX/STILL-3-TOOL-32B",
    "open-thoughts/OpenThinker-32B",
    "open-thoughts/OpenThinker2-32B",
]


_PLANS: dict = {}


@pytest.fixture
def plans():
    return _PLANS


def _plan(name, cache):
    if name not in cache:
        cache[name] = load_plan(name)
    return cache[name]


@pytest.mark.parametrize("profile", PROFILES)
def test_every_profile_loads_and_prepares_offline(profile, plans, tmp_path):
    plan = _plan(profile, plans)
    prepared = prepare(plan, runs_dir=tmp_path)
    assert prepared and {p.request.experiment for p in prepared} - {PANEL} == set(plan.experiments)
    assert not any(tmp_path.iterdir())  # preparing creates nothing


@pytest.mark.parametrize("path", EXPERIMENT_FILES, ids=lambda p: str(p.relative_to(paths.PARAMS_DIR)))
def test_every_experiment_file_validates_against_its_stage_models(path, plans):
    """Listed or not, each experiment validates on top of a profile: the ones listing it, else any profile."""
    source = read_yaml(path)
    stages = source.data.get("stages")
    assert isinstance(stages, list) and stages and set(stages) <= set(STAGES), f"{path}: bad stages {stages}"
    assert set(source.data) <= EXPERIMENT_KEYS | set(stages), f"{path}: unknown top-level keys"
    hosts = [name for name in PROFILES if path.stem in _plan(name, plans).experiments] or PROFILES
    errors = {}
    for profile in hosts:
        try:
            plan = load_plan(profile, [path.stem])
        except ParamsError as exc:
            errors[profile] = str(exc)
            continue
        assert [r.stage for r in plan.requests if r.experiment == path.stem] == sorted(stages, key=list(STAGES).index)
        return
    pytest.fail(f"{path} validates on no profile: {errors}")


def test_experiment_names_are_unique():
    names = [p.stem for p in EXPERIMENT_FILES]
    assert len(names) == len(set(names))


def _stage(plan, experiment, stage):
    return next(r.params for r in plan.requests if r.experiment == experiment and r.stage == stage)


def test_paper_profile_holds_the_study_settings(plans):
    plan = _plan("paper", plans)
    sample = _stage(plan, "openr1_algebra_1k_lg_0", "sample")
    assert (sample.backend, sample.tensor_parallel_size, sample.n, sample.temperature) == ("vllm", 8, 8, 1.0)
    assert sample.dtype == "float32" and sample.prompt_template == "raw" and sample.apply_chat_template
    assert sample.benchmark == "aime24" and sample.benchmark_path == ""  # AI-MO ids 60..89 from the hub
    # prompt + budget fit Qwen2.5-32B's 32,768-token context with room for the longest AIME24 prompt
    assert sample.max_model_len == 32768 and sample.max_new_tokens <= 32768 - 512
    train = _stage(plan, "openr1_algebra_1k_lg_0", "train")
    assert train.model == "Qwen/Qwen2.5-32B-Instruct" and train.distributed == "fsdp" and train.num_nodes > 1
    assert (train.learning_rate, train.warmup_ratio, train.weight_decay, train.epochs) == (1e-5, 0.05, 1e-4, 5)
    assert (train.adam_beta2, train.effective_batch_size, train.max_length) == (0.95, 32, 32768)
    train.gradient_accumulation_steps()  # 32 divides over the ranks
    for size in ("2k", "5k", "10k", "20k"):
        assert _stage(plan, f"openr1_lg_{size}_ep4", "train").epochs == 4
    assert plan.runner.cell_timeout_s >= 24 * 3600


def test_paper_profile_runs_every_training_experiment_and_the_whole_eval_panel(plans):
    plan = _plan("paper", plans)
    training = {p.stem for p in (paths.PARAMS_DIR / "experiments" / "paper").glob("*.yaml")}
    assert training <= set(plan.experiments)
    evaluated = {
        _stage(plan, exp, "sample").model: exp
        for exp in plan.experiments
        if [r.stage for r in plan.requests if r.experiment == exp] == ["sample", "grade"]
        and _stage(plan, exp, "sample").benchmark == "aime24"
    }
    assert set(RELEASED + PANEL_MODELS) == set(evaluated)
    for model, exp in evaluated.items():
        assert _stage(plan, exp, "sample").model_name == model  # tier roles and lm-eval logs name hub ids
    r1 = _stage(plan, evaluated["deepseek-ai/DeepSeek-R1"], "sample")
    assert r1.backend == "openai" and r1.openai_api == "chat"
    # finding 5 on AIME: a trained and a released model asked the sub-steps of the decomposed Hard questions
    steps = {exp: _stage(plan, exp, "sample") for exp in ("openr1_lg_20k_ep4_steps", "eval_s1_1_32b_steps")}
    assert {s.benchmark for s in steps.values()} == {"aime24_steps"}
    assert steps["openr1_lg_20k_ep4_steps"].model == "@openr1_lg_20k_ep4/train/model"
    ablations = _stage(plan, PANEL, "ablations")
    assert ablations.steps_benchmark == "aime24_steps" and ablations.step_pairs == {
        "eval_s1_1_32b_steps": "eval_s1_1_32b"
    }


def test_paper_tier_roles_are_the_studys_six_models(plans):
    tiers = _stage(_plan("paper", plans), PANEL, "tiers")
    assert tiers.base_models == ["Qwen/Qwen2.5-32B-Instruct"]
    assert tiers.sft_models == ["simplescaling/s1.1-32B", "GAIR/LIMO"]
    assert tiers.reference_models == ["deepseek-ai/DeepSeek-R1", "Qwen/QwQ-32B", "RUC-AIBOX/STILL-3-TOOL-32B"]
    assert sorted(tiers.exh_models) == sorted(tiers.base_models + tiers.sft_models + tiers.reference_models)


def test_single_gpu_profile_fits_one_gpu_and_a_day(plans):
    plan = _plan("single_gpu", plans)
    stages_run = {r.stage for r in plan.requests}
    assert stages_run == set(STAGES)  # every stage of the book
    for req in plan.requests:
        if req.stage == "train":
            assert req.params.world_size() == 1 and req.params.distributed == "none"
            assert re.fullmatch(r"Qwen/Qwen2\.5-(1\.5|3|7)B-Instruct", req.params.model)
        if req.stage == "sample":
            assert req.params.tensor_parallel_size * req.params.data_parallel_size == 1
            assert req.params.max_new_tokens < req.params.max_model_len == 32768
        if req.stage == "curate":
            assert req.params.source != "synthetic"  # real datasets
    table = compute.estimate_plan(plan).set_index("experiment")
    worst = table.loc["total", "train_gpu_hours"] + table.loc["total", "sample_gpu_hours_max"]
    assert worst <= 24, f"single_gpu needs up to {worst:.1f} GPU-hours"


def test_study_logs_profile_analyses_a_folder_of_lm_eval_logs(plans):
    plan = _plan("study_logs", plans)
    assert [(r.experiment, r.stage) for r in plan.requests] == [
        ("study_logs", "grade"),
        (PANEL, "tiers"),
        (PANEL, "strategies"),
        (PANEL, "ablations"),
    ]
    grade = plan.requests[0].params
    assert grade.input_format == "lm-eval" and grade.inputs and grade.benchmark == "aime24"


@pytest.mark.slow
def test_study_logs_profile_rebuilds_tiers_ablations_and_the_study_comparison(benchmark_dir, tmp_path):
    solved = {
        "Qwen__Qwen2.5-32B-Instruct": {"easy"},
        "simplescaling__s1.1-32B": {"easy", "medium"},
        "GAIR__LIMO": {"easy", "medium"},
        "deepseek-ai__DeepSeek-R1": {"easy", "medium", "hard"},
        "Qwen__QwQ-32B": {"easy", "medium", "hard"},
        "RUC-AIBOX__STILL-3-TOOL-32B": {"easy", "medium", "hard"},
        # released models of the study's N axis: the ablations place them by data/released_models.yaml
        "sunyiyou__openr1_diverse_100_lg": {"easy"},
        "sunyiyou__openr1_diverse_500_lg": {"easy", "medium"},
        "sunyiyou__openr1_lg_2k_ep4": {"easy", "medium", "hard"},
    }
    write_panel_logs(tmp_path / "logs", benchmark_dir / "aime24.jsonl", solved)
    overrides = [f"grade.inputs=[{tmp_path / 'logs'}]", "tiers.n_bootstrap=50"]
    plan = load_plan("study_logs", overrides=overrides)
    results = {f"{r.experiment}/{r.stage}": r for r in run_plan(plan, runs_dir=tmp_path / "runs", echo=False)}
    assert {k: r.status for k, r in results.items()} == dict.fromkeys(
        ["study_logs/grade", "_panel/tiers", "_panel/strategies", "_panel/ablations"], "done"
    ), [r.error for r in results.values()]
    means = pd.read_csv(f"{results['_panel/tiers'].dir}/study_tier_means.csv").set_index(["group", "tier"])
    base = means.loc[("base (Qwen2.5-32B-Instruct)", "easy")]
    # each model answers 3 of 4 samples right on the tiers it solves (tests/lm_eval_logs.py)
    assert base["this_run"] == 0.75 and base["difference"] == pytest.approx(0.75 - 0.72)
    large = means.loc[[g for g in means.index.get_level_values(0) if g.startswith("large")][0]]
    assert large.loc["hard", "this_run"] == 0.75 and large.loc["exh", "this_run"] == 0
    findings = pd.read_csv(f"{results['_panel/ablations'].dir}/study_findings.csv").set_index("key")
    assert findings.loc["qwq_hard", "this_run"] == 0.75 and findings.loc["qwq_hard", "from"] == "Qwen/QwQ-32B"
    assert findings.loc["hard_plateau", "from"] == "sunyiyou/openr1_lg_2k_ep4"  # the largest N of the logs
    assert findings.loc["hard_plateau", "this_run"] == 0.75
    axes = pd.read_csv(f"{results['_panel/ablations'].dir}/experiment_axes.csv").set_index("experiment")
    assert axes["N"].to_dict() == {
        "sunyiyou/openr1_diverse_100_lg": 100,
        "sunyiyou/openr1_diverse_500_lg": 500,
        "sunyiyou/openr1_lg_2k_ep4": 2000,
        "simplescaling/s1.1-32B": 1000,
    }
    fit = pd.read_csv(f"{results['_panel/ablations'].dir}/scaling_fit.csv").set_index("tier")
    assert fit.loc["hard", "n_sizes"] == 3 and fit.loc["hard", "slope"] > 0
    # strategies: the logs' SFT models against DeepSeek-R1's samples, through the MiniLM proxy only (no judge set)
    strategy = pd.read_csv(f"{results['_panel/strategies'].dir}/strategy_by_tier.csv")
    assert set(strategy["measure"]) == {"proxy"} and set(strategy["reference"]) == {"deepseek-ai/DeepSeek-R1"}
    assert {"simplescaling/s1.1-32B", "GAIR/LIMO"} <= set(strategy["model"])
    sixth = pd.read_csv(f"{results['_panel/ablations'].dir}/findings.csv").iloc[5]
    assert "strategy similarity not measured: no judge and no exact strategies" in sixth["this_run"]
