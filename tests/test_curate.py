"""Curation: real datasets loaders on schema-faithful local files, filters, selection, decontamination, stage files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from ladder import paths
from ladder.curate import CurateParams, CurationError, build_pool, curate_stage
from ladder.curate.decontam import find_contamination, words
from ladder.curate.lengths import count_tokens, load_tokenizer
from ladder.curate.params import STUDY_CATEGORIES
from ladder.curate.select import category_quotas, select_rows
from ladder.curate.similarity import nearest_rank, similarity_matrix
from ladder.sft_pool import THINK_CLOSE
from tests.curate_examples import openr1_rows, s1k_rows, write_rows

N_ROWS = 400


@pytest.fixture(scope="module")
def rows():
    return openr1_rows(N_ROWS, seed=3)


@pytest.fixture(scope="module")
def openr1_file(rows, tmp_path_factory):
    return write_rows(rows, tmp_path_factory.mktemp("openr1") / "openr1.parquet")


@pytest.fixture
def base(openr1_file, tiny_model_dir, tmp_path):
    """Params for a small offline curation: local rows, the tiny tokenizer, no decontamination."""
    return CurateParams(
        local_path=str(openr1_file),
        tokenizer=str(tiny_model_dir),
        cache_dir=str(tmp_path / "cache"),
        decontaminate=[],
        n=70,
    )


def _usable(row, gen_idx, llama=False):
    ok = row["correctness_math_verify"][gen_idx] or (
        llama and bool((row["correctness_llama"] or {}) and row["correctness_llama"][gen_idx])
    )
    return ok and row["is_reasoning_complete"][gen_idx] and row["finish_reasons"][gen_idx] == "stop"


def _answerable(row):
    return row["question_type"] != "proof" and row["answer"].strip().lower() not in {"", "proof", "notfound", "none"}


# --- loaders and pool ------------------------------------------------------------------------------


def test_openr1_pool_keeps_one_correct_complete_finished_trajectory_per_problem(rows, base):
    pool = build_pool(base)
    by_uuid = {r["uuid"]: r for r in rows}
    expected = {r["uuid"] for r in rows if _answerable(r) and any(_usable(r, i) for i in range(len(r["generations"])))}
    assert set(pool.frame["problem_id"]) == expected
    for pid, idx, assistant in zip(
        pool.frame["problem_id"], pool.frame["generation_idx"], pool.frame["assistant"], strict=True
    ):
        row = by_uuid[pid]
        assert _usable(row, idx)
        think, _, final = row["generations"][idx].partition(THINK_CLOSE)
        assert assistant == f"<think>\n{think.replace('<think>', '', 1).strip()}\n</think>\n\n{final.strip()}"
    steps = {s["step"]: s["rows"] for s in pool.steps}
    assert steps["loaded"] == N_ROWS
    assert steps["answerable (no proofs, has an answer)"] == sum(map(_answerable, rows))
    gens = [(r, i) for r in rows if _answerable(r) for i in range(len(r["generations"]))]
    assert steps["generations"] == len(gens)
    assert steps["correct (math-verify)"] == sum(r["correctness_math_verify"][i] for r, i in gens)
    assert steps["finished (finish_reason == stop)"] == sum(_usable(r, i) for r, i in gens)
    # every filter removed something on these rows, so each one is exercised
    assert steps["correct (math-verify)"] > steps["reasoning complete"] > steps["finished (finish_reason == stop)"]


def test_jsonl_and_parquet_give_the_same_pool(rows, base, tmp_path):
    jsonl = write_rows(rows, tmp_path / "rows.jsonl")
    from_parquet = build_pool(base).frame
    from_jsonl = build_pool(base.model_copy(update={"local_path": str(jsonl)})).frame
    pd.testing.assert_frame_equal(from_parquet, from_jsonl)


def test_folder_of_parquet_shards_loads_like_one_file(rows, base, tmp_path):
    write_rows(rows[:150], tmp_path / "shards" / "train-00000.parquet")
    write_rows(rows[150:], tmp_path / "shards" / "train-00001.parquet")
    sharded = build_pool(base.model_copy(update={"local_path": str(tmp_path / "shards")})).frame
    pd.testing.assert_frame_equal(sharded, build_pool(base).frame)


def test_llama_judge_adds_generations_math_verify_rejected(rows, base):
    plain = build_pool(base)
    judged = build_pool(base.model_copy(update={"use_llama_judge": True}))
    plain_steps = {s["step"]: s["rows"] for s in plain.steps}
    judged_steps = {s["step"]: s["rows"] for s in judged.steps}
    extra = sum(
        1
        for r in rows
        if _answerable(r) and r["correctness_llama"]
        for i, v in enumerate(r["correctness_llama"])
        if v and not r["correctness_math_verify"][i]
    )
    assert extra > 0
    assert judged_steps["correct (math-verify or llama judge)"] == plain_steps["correct (math-verify)"] + extra
    assert len(judged.frame) >= len(plain.frame)


def test_seed_changes_which_generation_is_picked_and_nothing_else(base):
    a, b = build_pool(base).frame, build_pool(base.model_copy(update={"seed": 1})).frame
    assert list(a["problem_id"]) == list(b["problem_id"])
    assert (a["generation_idx"] != b["generation_idx"]).any()
    pd.testing.assert_frame_equal(a, build_pool(base).frame)


@pytest.mark.parametrize("column", ["finish_reasons", "generations", "problem_type"])
def test_missing_column_is_an_error_naming_it(rows, base, tmp_path, column):
    trimmed = [{k: v for k, v in r.items() if k != column} for r in rows[:20]]
    path = write_rows(trimmed, tmp_path / "trimmed.parquet")
    with pytest.raises(CurationError, match=f"missing column\\(s\\) {column}"):
        build_pool(base.model_copy(update={"local_path": str(path)}))


def test_renamed_column_is_named_with_its_new_name(rows, base, tmp_path):
    renamed = [
        {("Is-Reasoning-Complete" if k == "is_reasoning_complete" else k): v for k, v in r.items()} for r in rows[:20]
    ]
    path = write_rows(renamed, tmp_path / "renamed.jsonl")
    with pytest.raises(CurationError, match="'is_reasoning_complete' looks renamed to 'Is-Reasoning-Complete'"):
        build_pool(base.model_copy(update={"local_path": str(path)}))


def test_scalar_where_a_list_belongs_is_an_error(rows, base, tmp_path):
    flat = [{**r, "generations": r["generations"][0]} for r in rows[:20]]
    path = write_rows(flat, tmp_path / "flat.parquet")
    with pytest.raises(CurationError, match="column 'generations' should hold a list per row"):
        build_pool(base.model_copy(update={"local_path": str(path)}))


def test_numbers_where_text_belongs_is_an_error(rows, base, tmp_path):
    numeric = [{**r, "answer": i} for i, r in enumerate(rows[:20])]
    path = write_rows(numeric, tmp_path / "numeric.parquet")
    with pytest.raises(CurationError, match="column 'answer' should hold text"):
        build_pool(base.model_copy(update={"local_path": str(path)}))


def test_judge_column_null_on_every_row_loads(rows, base, tmp_path):
    unjudged = [{**r, "correctness_llama": None} for r in rows]
    path = write_rows(unjudged, tmp_path / "unjudged.jsonl")
    pool = build_pool(base.model_copy(update={"local_path": str(path), "use_llama_judge": True}))
    pd.testing.assert_frame_equal(pool.frame, build_pool(base).frame)


def test_list_columns_of_different_lengths_name_the_row(rows, base, tmp_path):
    broken = [dict(r) for r in rows[:20]]
    broken[7]["finish_reasons"] = broken[7]["finish_reasons"][:-1]
    path = write_rows(broken, tmp_path / "broken.parquet")
    with pytest.raises(CurationError, match=f"row 7 \\(uuid {broken[7]['uuid']}\\): column 'finish_reasons'"):
        build_pool(base.model_copy(update={"local_path": str(path)}))


def test_hub_source_offline_says_how_to_work_offline(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path))
    import datasets.config

    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path)
    with pytest.raises(
        CurationError, match="open-r1/OpenR1-Math-220k .default. from the Hugging Face hub.*local_path"
    ):
        build_pool(CurateParams())


def test_missing_local_path_is_an_error(base, tmp_path):
    with pytest.raises(CurationError, match="no such file or folder"):
        build_pool(base.model_copy(update={"local_path": str(tmp_path / "nope.parquet")}))


def test_s1k_and_s1k11_share_questions_and_container_but_not_style(tmp_path, tiny_model_dir):
    s1, s11 = s1k_rows(30, seed=0)
    s1_path, s11_path = write_rows(s1, tmp_path / "s1k.parquet"), write_rows(s11, tmp_path / "s1k11.jsonl")
    gemini = build_pool(CurateParams(source="s1k", category="all", style="gemini", local_path=str(s1_path))).frame
    r1 = build_pool(CurateParams(source="s1k-1.1", category="all", style="r1", local_path=str(s11_path))).frame
    gemini11 = build_pool(
        CurateParams(source="s1k-1.1", category="all", style="gemini", local_path=str(s11_path))
    ).frame
    assert list(gemini["problem_id"]) == list(r1["problem_id"]) and len(r1) == 30
    pattern = r"\A<think>\n.+\n</think>\n\n.+\Z"
    assert (
        gemini["assistant"].str.match(pattern, flags=16).all() and r1["assistant"].str.match(pattern, flags=16).all()
    )
    assert (gemini["assistant"] != r1["assistant"]).all()
    by_q = {r["question"]: r for r in s11}
    first = by_q[r1["problem"].iloc[0]]
    assert first["deepseek_thinking_trajectory"] in r1["assistant"].iloc[0]
    # s1K's Gemini trace and s1K-1.1's Gemini column hold the same text, so the two Gemini pools are identical
    pd.testing.assert_frame_equal(gemini.drop(columns="origin"), gemini11.drop(columns="origin"))


def test_unknown_source_module_is_a_clear_error(monkeypatch, base):
    from ladder.curate import sources

    monkeypatch.setitem(sources.SOURCES, "synthetic", "ladder.not_written_yet:curation_pool")
    with pytest.raises(CurationError, match="source 'synthetic' needs ladder.not_written_yet:curation_pool"):
        build_pool(base.model_copy(update={"source": "synthetic"}))


# --- params ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"source": "openr1", "style": "gemini"}, "source 'openr1' has no 'gemini' traces"),
        ({"source": "s1k", "style": "r1", "category": "all"}, "source 's1k' has no 'r1' traces"),
        ({"source": "s1k-1.1", "category": "algebra"}, "use category 'all'"),
        ({"similarity": "similar", "length": "long"}, "use length 'normal'"),
        ({"n": 0}, "greater than or equal to 1"),
        ({"category": "algebra2"}, "category"),
        ({"lenght": "long"}, "Extra inputs are not permitted"),
    ],
)
def test_bad_params_are_refused(values, message):
    with pytest.raises(ValueError, match=message):
        CurateParams(**values)


EXPECTED_EXPERIMENTS = (
    [f"openr1_{c}_1k_lg_{s}" for c in (*STUDY_CATEGORIES, "diverse") for s in range(4)]
    + [f"openr1_diverse_{n}_lg" for n in (100, 200, 500)]
    + [f"openr1_lg_{k}_ep4" for k in ("2k", "5k", "10k", "20k")]
    + ["openr1_diverse_1k_sh", "openr1_diverse_1k_nm", "s1k_gemini_1k", "s1k11_r1_1k"]
    + ["openr1_sim_aime24mdhd_1k_0", "openr1_insim_aime24mdhd_1k_0", "openr1_random_1k_0"]
)


def test_every_study_dataset_has_a_params_file_whose_curate_block_validates():
    folder = paths.PARAMS_DIR / "experiments" / "paper"
    files = {p.stem: p for p in folder.glob("*.yaml")}
    assert set(EXPECTED_EXPERIMENTS) <= set(files)
    seen = {}
    for name in EXPECTED_EXPERIMENTS:
        data = yaml.safe_load(files[name].read_text())
        assert data["description"] and data["stages"][0] == "curate", name
        params = CurateParams(**data["curate"])
        seen[name] = params
    assert seen["openr1_geometry_1k_lg_2"].category == "geometry" and seen["openr1_geometry_1k_lg_2"].seed == 2
    assert seen["openr1_diverse_1k_sh"].length == "short" and seen["openr1_lg_20k_ep4"].n == 20000
    assert seen["s1k_gemini_1k"].style == "gemini" and seen["s1k11_r1_1k"].source == "s1k-1.1"
    assert seen["openr1_sim_aime24mdhd_1k_0"].similarity == "similar"
    assert seen["openr1_insim_aime24mdhd_1k_0"].anchor_tiers == ["medium", "hard"]
    # The four seeds of one category differ only in the seed.
    seeds = [seen[f"openr1_algebra_1k_lg_{s}"].model_dump() for s in range(4)]
    assert all(
        {k: v for k, v in d.items() if k != "seed"} == {k: v for k, v in seeds[0].items() if k != "seed"}
        for d in seeds
    )


# --- selection -------------------------------------------------------------------------------------


def test_diverse_quotas_are_equal_parts_and_small_categories_give_all_they_have():
    plenty = {c: 500 for c in STUDY_CATEGORIES}
    quotas = category_quotas(plenty, "diverse", 1000)
    assert sum(quotas.values()) == 1000 and max(quotas.values()) - min(quotas.values()) <= 1
    scarce = {**plenty, "calculus": 40, "inequalities": 100}
    quotas = category_quotas(scarce, "diverse", 1000)
    assert quotas["calculus"] == 40 and quotas["inequalities"] == 100
    assert sum(quotas.values()) == 1000
    assert {quotas[c] for c in STUDY_CATEGORIES if scarce[c] == 500} == {(1000 - 40 - 100) // 5}


@pytest.mark.parametrize(
    ("category", "n", "message"),
    [
        ("geometry", 51, "category 'geometry' but the pool holds 50"),
        ("all", 1000, "the pool holds 400"),
        ("diverse", 351, "the seven study categories hold 350"),
    ],
)
def test_asking_for_more_rows_than_the_pool_holds_says_how_many(category, n, message):
    available = {c: 50 for c in (*STUDY_CATEGORIES, "other")}
    with pytest.raises(CurationError, match=message):
        category_quotas(available, category, n)


def _toy_pool(n=200):
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "problem_id": [f"p{i:04d}" for i in range(n)],
            "category": [STUDY_CATEGORIES[i % 7] for i in range(n)],
            "n_tokens": rng.integers(10, 5000, n),
        }
    )


def test_short_and_long_take_the_extremes_and_normal_is_a_seeded_draw():
    pool = _toy_pool()
    short = select_rows(pool, {"all": 20}, "short", "none", seed=0)
    long = select_rows(pool, {"all": 20}, "long", "none", seed=0)
    ordered = np.sort(pool["n_tokens"].to_numpy())
    assert sorted(short["n_tokens"]) == list(ordered[:20])
    assert sorted(long["n_tokens"]) == list(ordered[-20:])
    normal = [set(select_rows(pool, {"all": 20}, "normal", "none", seed=s)["problem_id"]) for s in (0, 0, 1)]
    assert normal[0] == normal[1] != normal[2]
    shuffled = pool.sample(frac=1.0, random_state=5)
    assert list(select_rows(shuffled, {"all": 20}, "normal", "none", seed=0)["problem_id"]) == list(
        select_rows(pool, {"all": 20}, "normal", "none", seed=0)["problem_id"]
    )


def test_per_category_quotas_are_met():
    quotas = category_quotas(_toy_pool()["category"].value_counts().to_dict(), "diverse", 70)
    chosen = select_rows(_toy_pool(), quotas, "long", "none", seed=0)
    assert chosen["category"].value_counts().to_dict() == quotas == {c: 10 for c in STUDY_CATEGORIES}


def test_nearest_rank_is_the_union_of_each_anchors_neighbours():
    sims = np.array([[0.9, 0.1], [0.8, 0.2], [0.1, 0.95], [0.0, 0.5], [0.3, 0.3]])
    ranks = nearest_rank(sims)
    assert list(ranks) == [0, 1, 0, 1, 2]


def test_tfidf_similarity_ranks_the_paraphrase_first():
    anchors = ["Find the number of rectangles that can be formed inside a fixed regular dodecagon"]
    pool = [
        "How many rectangles fit inside a regular dodecagon with sides on its diagonals",
        "Solve x + 3 = 7",
        "A train leaves the station at noon",
    ]
    sims = similarity_matrix(pool, anchors, embedder="tfidf")
    assert sims.shape == (3, 1) and sims[0, 0] > max(sims[1, 0], sims[2, 0])


def test_minilm_from_the_pip_package_embeds_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    anchors = ["What is the area of a triangle with sides 3, 4 and 5?"]
    pool = ["Compute the area of the right triangle whose legs are 3 and 4.", "The knight moves in an L shape."]
    sims = similarity_matrix(pool, anchors, cache_dir=tmp_path)
    assert sims[0, 0] > sims[1, 0] + 0.2
    assert list((tmp_path / "embeddings").rglob("part-*.npz"))
    np.testing.assert_array_equal(similarity_matrix(pool, anchors, cache_dir=tmp_path), sims)


# --- token counting --------------------------------------------------------------------------------


def test_token_counts_match_the_tokenizer_and_come_back_from_the_cache(tiny_model_dir, tmp_path):
    texts = ["<think>\nlet me add 12 and 35\n</think>\n\n\\boxed{47}", "short", "x" * 300, ""]
    tokenizer = load_tokenizer(str(tiny_model_dir))
    expected = [len(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts]
    assert list(count_tokens(texts, str(tiny_model_dir), tmp_path)) == expected
    parts = list((tmp_path / "tokens").rglob("part-*.npz"))
    assert len(parts) == 1
    assert list(count_tokens([texts[2], "new text", texts[0]], str(tiny_model_dir), tmp_path)) == [
        expected[2],
        len(tokenizer("new text", add_special_tokens=False)["input_ids"]),
        expected[0],
    ]
    assert len(list((tmp_path / "tokens").rglob("part-*.npz"))) == 2  # only the new text was counted and stored


def test_another_tokenizer_never_reads_the_first_ones_cache(tmp_path):
    from ladder.tiny_model import build_tiny_model

    small = build_tiny_model(tmp_path / "a", corpus=["aaaa bbbb"], vocab_size=300)
    other = build_tiny_model(tmp_path / "b", corpus=["aaaa bbbb aaaabbbb"] * 20, vocab_size=600)
    text = ["aaaabbbb aaaabbbb"]
    first = count_tokens(text, str(small), tmp_path / "cache")
    second = count_tokens(text, str(other), tmp_path / "cache")
    assert first[0] != second[0]
    assert len(list((tmp_path / "cache" / "tokens").iterdir())) == 2


# --- decontamination -------------------------------------------------------------------------------


def test_decontamination_removes_benchmark_questions_and_reports_the_match(benchmark_dir):
    from ladder.benchmarks import load_benchmark

    aime24 = load_benchmark("aime24", benchmark_dir / "aime24.jsonl")
    math500 = load_benchmark("math500", benchmark_dir / "math500.jsonl")
    copied = aime24.iloc[3]
    problems = [
        "Reworded: " + copied["problem"].upper() + " Give your answer mod 1000.",  # case and context differ
        "Solve x + 3 = 7 for x.",
        math500.iloc[10]["problem"],
    ]
    removed = find_contamination(["a", "b", "c"], problems, {"aime24": aime24, "math500": math500}, n=8)
    assert list(removed["problem_id"]) == ["a", "c"]
    assert removed.iloc[0][["benchmark", "question_id"]].tolist() == ["aime24", copied["question_id"]]
    assert removed.iloc[1][["benchmark", "question_id"]].tolist() == ["math500", math500.iloc[10]["question_id"]]
    assert len(removed.iloc[0]["ngram"].split()) == 8


def test_ngram_length_decides_what_counts_as_overlap():
    bench = {"b": pd.DataFrame({"question_id": ["q1"], "problem": ["one two three four five six seven eight nine"]})}
    text = ["zero one two three four five six seven ten"]  # shares 7 consecutive words
    assert len(find_contamination(["p"], text, bench, n=8)) == 0
    assert len(find_contamination(["p"], text, bench, n=7)) == 1


# --- the stage -------------------------------------------------------------------------------------


def test_stage_writes_a_chat_dataset_and_manifest(base, tmp_path, tiny_model_dir):
    result = curate_stage(base.model_copy(update={"length": "long"}), tmp_path / "out")
    out = tmp_path / "out"
    for name in (
        "dataset.parquet",
        "manifest.json",
        "selection.parquet",
        "pool_lengths.parquet",
        "decontamination.parquet",
    ):
        assert (out / name).is_file(), name
    data = pd.read_parquet(out / "dataset.parquet")
    assert list(data.columns) == ["messages"] and len(data) == 70
    for messages in data["messages"]:
        assert [m["role"] for m in messages] == ["user", "assistant"]
        assert messages[1]["content"].startswith("<think>\n") and "\n</think>\n\n" in messages[1]["content"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["rows"] == 70 and manifest["seed"] == 0 and manifest["params"]["length"] == "long"
    assert manifest["categories"] == {c: 10 for c in STUDY_CATEGORIES}
    assert manifest["source"]["files"][0]["sha256"] and manifest["source"]["dataset"] == "open-r1/OpenR1-Math-220k"
    steps = [s["step"] for s in manifest["filters"]]
    assert steps[0] == "loaded" and steps[-1] == "selected n=70 (long)"
    pool = result.pool_lengths
    # long = the longest of each category
    for category, group in pool.groupby("category"):
        if category in STUDY_CATEGORIES:
            assert group.loc[group["selected"], "n_tokens"].min() >= group.loc[~group["selected"], "n_tokens"].max()
    assert manifest["token_lengths"]["dataset"]["median"] > manifest["token_lengths"]["pool"]["median"]
    # The dataset loads with datasets and renders through the tokenizer's chat template, as training will.
    from datasets import load_dataset

    loaded = load_dataset("parquet", data_files=str(out / "dataset.parquet"), split="train")
    text = load_tokenizer(str(tiny_model_dir)).apply_chat_template(loaded[0]["messages"], tokenize=False)
    assert "<|im_start|>assistant\n<think>" in text


def test_same_params_and_seed_give_byte_identical_files_and_hash(base, tmp_path):
    first = curate_stage(base, tmp_path / "a")
    second = curate_stage(base, tmp_path / "b")  # served from the token cache this time
    for name in ("dataset.parquet", "manifest.json", "selection.parquet"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert first.manifest["content_hash"] == second.manifest["content_hash"]
    other = curate_stage(base.model_copy(update={"seed": 1}), tmp_path / "c")
    assert other.manifest["content_hash"] != first.manifest["content_hash"]


def test_pool_cache_is_reused_and_keyed_by_the_source_content(rows, base, tmp_path):
    from ladder.curate.pool_cache import pool_key

    curate_stage(base, tmp_path / "a")
    pools = list((tmp_path / "cache" / "pools").iterdir())
    assert len(pools) == 1 and pools[0].name == pool_key(base, {})
    assert pool_key(base.model_copy(update={"seed": 1}), {}) != pools[0].name
    changed = write_rows(rows[:-1], tmp_path / "changed.parquet")
    assert pool_key(base.model_copy(update={"local_path": str(changed)}), {}) != pool_key(
        base.model_copy(update={"local_path": str(write_rows(rows, tmp_path / "same.parquet"))}), {}
    )
    from_cache = curate_stage(base, tmp_path / "b")
    assert from_cache.filters.equals(
        curate_stage(base.model_copy(update={"cache_dir": str(tmp_path / "cold")}), tmp_path / "c").filters
    )


def test_bad_benchmark_names_fail_before_any_loading(base, tmp_path, benchmark_dir):
    missing_source = base.model_copy(update={"local_path": str(tmp_path / "not_there.parquet")})
    with pytest.raises(ValueError, match="unknown benchmark 'aime2024'"):
        curate_stage(missing_source.model_copy(update={"decontaminate": ["aime2024"]}), tmp_path / "x")
    anchored = missing_source.model_copy(
        update={
            "similarity": "similar",
            "anchor_tiers": ["medium", "hardest"],
            "benchmark_files": {"aime24": str(benchmark_dir / "aime24.jsonl")},
        }
    )
    with pytest.raises(CurationError, match=r"unknown tier\(s\) \['hardest'\]"):
        curate_stage(anchored, tmp_path / "x")


def test_stage_refuses_too_large_n_with_the_pool_size(base, tmp_path):
    with pytest.raises(
        CurationError, match=r"asked for n=5000 trajectories of category 'algebra' but the pool holds \d+"
    ):
        curate_stage(base.model_copy(update={"category": "algebra", "n": 5000}), tmp_path / "x")
    assert not (tmp_path / "x" / "dataset.parquet").exists()


def test_stage_decontaminates_and_selects_by_similarity(rows, tiny_model_dir, tmp_path, benchmark_dir):
    from ladder.benchmarks import load_benchmark

    aime24 = load_benchmark("aime24", benchmark_dir / "aime24.jsonl")
    anchors = aime24[aime24["study_tier"].isin(["medium", "hard"])]

    def usable(row, problem):
        k = len(row["generations"])
        return {
            **row,
            "problem": problem,
            "question_type": "math-word-problem",
            "answer": "7",
            "generations": ["<think>\nok\n</think>\n\n7"] * k,
            "correctness_math_verify": [True] * k,
            "is_reasoning_complete": [True] * k,
            "finish_reasons": ["stop"] * k,
        }

    planted = [dict(r) for r in rows]
    # Five copies of anchor questions (contaminated) and ten close paraphrases sharing < 8 words in a row.
    for i in range(5):
        planted[i] = usable(planted[i], anchors.iloc[i]["problem"])
    for i in range(5, 15):
        tokens = words(anchors.iloc[i]["problem"])
        planted[i] = usable(planted[i], " ".join(w if k % 4 else f"{w} indeed" for k, w in enumerate(tokens)))
    copied_ids = {planted[i]["uuid"] for i in range(5)}
    paraphrased = [planted[i]["uuid"] for i in range(5, 15)]
    path = write_rows(planted, tmp_path / "planted.parquet")
    params = CurateParams(
        local_path=str(path),
        tokenizer=str(tiny_model_dir),
        cache_dir=str(tmp_path / "cache"),
        category="all",
        n=20,
        similarity="similar",
        embedder="tfidf",
        benchmark_files={name: str(benchmark_dir / f"{name}.jsonl") for name in ("aime24", "aime25", "math500")},
    )
    similar = curate_stage(params, tmp_path / "sim")
    removed = similar.removed
    assert copied_ids <= set(removed["problem_id"]) and set(removed["benchmark"]) == {"aime24"}
    assert similar.manifest["decontamination"]["removed"] == len(removed)
    assert not set(similar.selection["problem_id"]) & copied_ids
    assert not set(removed["problem_id"]) & set(paraphrased)
    assert set(paraphrased) <= set(similar.selection["problem_id"])
    far = curate_stage(params.model_copy(update={"similarity": "dissimilar"}), tmp_path / "far")
    assert not set(paraphrased) & set(far.selection["problem_id"])
    assert (
        far.manifest["similarity"]["mean_similarity_selected"]
        < similar.manifest["similarity"]["mean_similarity_selected"]
    )
    assert len(similar.manifest["similarity"]["anchor_ids"]) == 22


@pytest.mark.slow
def test_notebook_renders_the_dataset_card(base, tmp_path):
    from ladder.run import execute_notebook

    out = tmp_path / "nb"
    params = base.model_dump()
    executed = execute_notebook(
        paths.NOTEBOOKS_DIR / "10_curate.py",
        out,
        {**params, "output_dir": str(out), "input_dir": "", "experiment": "test", "profile": "test"},
    )
    assert executed.is_file() and (out / "notebook.html").is_file()
    assert (out / "dataset.parquet").is_file() and (out / "lengths.png").stat().st_size > 1000
    html = (out / "notebook.html").read_text()
    assert "logic_and_puzzles" in html and "content hash" in html
    assert "Traceback" not in html and "TqdmWarning" not in html  # no noise in the card


def test_synthetic_source_plugs_in_through_the_registry(tiny_model_dir, tmp_path):
    params = CurateParams(
        source="synthetic",
        synthetic_pool_size=300,
        n=40,
        length="short",
        decontaminate=[],
        tokenizer=str(tiny_model_dir),
        cache_dir=str(tmp_path / "cache"),
    )
    result = curate_stage(params, tmp_path / "out")
    assert result.manifest["rows"] == 40 and result.manifest["filters"][0]["rows"] == 300
    assert set(result.selection["category"]) <= set(STUDY_CATEGORIES)
    for _, group in result.pool_lengths.groupby("category"):
        if group["selected"].any():  # short: the shortest of each category
            assert group.loc[group["selected"], "n_tokens"].max() <= group.loc[~group["selected"], "n_tokens"].min()
