"""ladder.released_models: the study's released models and their SFT data, kept equal to the paper experiments."""

from __future__ import annotations

import pytest

from ladder import released_models
from ladder.ablations import AXES
from ladder.curate.params import STUDY_CATEGORIES
from ladder.params import load_plan
from ladder.released_models import ReleasedModelsError

CATEGORIES = [*STUDY_CATEGORIES, "diverse"]
# The released models of the study that were trained on data the curate stage can build (issue 8's list).
STUDY_SFT_MODELS = (
    [f"sunyiyou/openr1_{c}_1k_lg_{seed}" for c in CATEGORIES for seed in range(4)]
    + [f"sunyiyou/openr1_diverse_{n}_lg" for n in (100, 200, 500)]
    + [f"sunyiyou/openr1_lg_{n}_ep4" for n in ("2k", "5k", "10k", "20k")]
    + [
        "sunyiyou/openr1_diverse_1k_sh",
        "sunyiyou/openr1_diverse_1k_nm",
        "sunyiyou/openr1_sim_aime24mdhd_1k_0",
        "sunyiyou/openr1_insim_aime24mdhd_1k_0",
        "simplescaling/s1-32B",
        "simplescaling/s1.1-32B",
    ]
)


@pytest.fixture(scope="module")
def table():
    return released_models.load_released_models()


def test_every_released_sft_model_of_the_study_is_in_the_table(table):
    assert sorted(table) == sorted(STUDY_SFT_MODELS)


def test_each_entry_matches_the_curate_params_of_its_paper_experiment(table):
    plan = load_plan("paper", [entry.experiment for entry in table.values()])
    curate = {r.experiment: r.params for r in plan.requests if r.stage == "curate"}
    for hub_id, entry in table.items():
        for axis, name in AXES.items():
            assert getattr(entry.curate, name) == getattr(curate[entry.experiment], name), (hub_id, axis)
        assert entry.curate.seed == curate[entry.experiment].seed, hub_id
    sims = {h: e.curate for h, e in table.items() if e.curate.similarity != "none"}
    assert {h: c.similarity for h, c in sims.items()} == {
        "sunyiyou/openr1_sim_aime24mdhd_1k_0": "similar",
        "sunyiyou/openr1_insim_aime24mdhd_1k_0": "dissimilar",
    }


def test_the_paper_eval_experiments_name_the_models_by_the_tables_hub_ids(table):
    evals = [f"eval_{hub_id.split('/')[1]}" for hub_id in table if hub_id.startswith("sunyiyou/")]
    plan = load_plan("paper", evals + ["eval_s1_32b", "eval_s1_1_32b"])
    names = {r.params.model_name for r in plan.requests if r.stage == "sample"}
    assert names == set(table)


def test_find_by_hub_id_or_checkpoint_folder(table):
    assert released_models.find(table, "simplescaling/s1.1-32B")[0] == "simplescaling/s1.1-32B"
    hub_id, entry = released_models.find(table, "/ckpt/runs/openr1_lg_20k_ep4/")
    assert hub_id == "sunyiyou/openr1_lg_20k_ep4" and entry.curate.n == 20000
    assert released_models.find(table, "Qwen/QwQ-32B") is None
    twins = {"a/m": table["simplescaling/s1-32B"], "b/m": table["simplescaling/s1.1-32B"]}
    assert released_models.find(twins, "/ckpt/m") is None  # two hub ids end in "m": no guess


def test_bad_table_names_the_file_and_key(tmp_path):
    path = tmp_path / "released.yaml"
    path.write_text("source: x\nmodels:\n  a/b:\n    experiment: e\n    curate: {n: 10, length: longest}\n")
    with pytest.raises(ReleasedModelsError, match=r"released.yaml:5: key 'models.a/b.curate.length'"):
        released_models.load_released_models(path)
    path.write_text("source: x\nmodels:\n  a/b:\n    experiment: e\n    curate: {n: 10, lenght: long}\n")
    with pytest.raises(ReleasedModelsError, match=r"released.yaml:5: key 'models.a/b.curate.lenght': Extra inputs"):
        released_models.load_released_models(path)
    with pytest.raises(ReleasedModelsError, match="nope.yaml: no such file"):
        released_models.load_released_models(tmp_path / "nope.yaml")
