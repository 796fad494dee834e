"""Benchmark registry: id mapping across AIME24 numberings, tier lists, local loaders checked against the registry."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from ladder import benchmarks
from ladder.benchmarks import BenchmarkError, canonical_question_id


def test_registry_has_the_30_aime24_questions_keyed_by_contest_and_number():
    reg = benchmarks.id_registry("aime24")
    assert sorted(reg["question_id"].astype(int)) == list(range(60, 90))
    assert reg[["year", "contest", "number"]].drop_duplicates().shape[0] == 30
    assert set(reg["contest"]) == {"I", "II"} and set(reg["number"]) == set(range(1, 16))
    # AI-MO rows are sorted by url as text: 2024-I-1, I-10, ..., I-15, I-2, ...
    assert reg["aime_id"].tolist()[:3] == ["2024-I-1", "2024-I-10", "2024-I-11"]
    assert all(reg["answer"].str.fullmatch(r"\d{1,3}"))


@pytest.mark.parametrize(
    ("source_format", "raw", "expected"),
    [
        ("canonical", "65", "65"),
        ("ai_mo", 65, "65"),
        ("simplescaling", 89, "89"),
        ("h4_aime_2024", 0, "60"),
        ("h4_aime_2024", 29, "89"),
        ("lm_eval_aime", 65, "65"),
        ("lm_eval_aime_2024", 5, "65"),
        ("lm_eval_aime_2024", "29", "89"),
        ("aime_id", "2024-I-1", "60"),
        ("aime_id", "2024-I-10", "61"),
        ("aime_id", "2024-II-1", "75"),
        ("aime_id", "2024-II-9", "89"),
        ("lm_eval_aime24", "2024-II-10", "76"),
        ("aime_id", "2024 AIME II Problem 4", "84"),
        ("url", "https://artofproblemsolving.com/wiki/index.php/2024_AIME_I_Problems/Problem_4", "69"),
    ],
)
def test_canonical_ids(source_format, raw, expected):
    assert canonical_question_id("aime24", source_format, raw) == expected


@pytest.mark.parametrize(
    ("source_format", "raw", "message"),
    [
        ("lm_eval_aime", 12, "not a question"),  # a 2022 question of the old `aime` task
        ("lm_eval_aime_2024", 30, "not a question"),
        ("aime_id", "2023-I-1", "names no question"),
        ("aime_id", "2024-III-1", "names no question"),
        ("row_number", 3, "unknown id format"),
    ],
)
def test_bad_ids_are_clear_errors(source_format, raw, message):
    with pytest.raises(BenchmarkError, match=message):
        canonical_question_id("aime24", source_format, raw)


def test_docs_are_joined_by_contest_and_number_not_by_position():
    # Maxwell-Jia/AIME_2024 rows (lm-eval `aime24`): string ID, no AI-MO id
    assert canonical_question_id("aime24", "doc", {"ID": "2024-II-4", "Problem": "edited text", "Answer": 33}) == "84"
    # gneubig-style rows: year / part / number fields
    assert canonical_question_id("aime24", "doc", {"Year": 2024, "Part": "II", "Problem Number": 4}) == "84"
    # our aime24.jsonl's contest field carries the year
    assert canonical_question_id("aime24", "doc", {"contest": "2024-I", "number": 4}) == "69"
    # a bare numeric id is read as an AI-MO id only when nothing else identifies the row
    assert canonical_question_id("aime24", "doc", {"id": 62, "problem": "unknown text"}) == "62"
    with pytest.raises(BenchmarkError, match="different questions"):
        canonical_question_id("aime24", "doc", {"ID": "2024-I-1", "url": ".../2024_AIME_I_Problems/Problem_2"})
    with pytest.raises(BenchmarkError, match="cannot identify"):
        canonical_question_id("aime24", "doc", {"problem": "What is 1+1?"})


def test_problem_text_hash_survives_whitespace_and_prompt_templates(benchmark_dir):
    rows = [json.loads(line) for line in (benchmark_dir / "aime24.jsonl").read_text().splitlines()]
    text = rows[5]["problem"]
    assert canonical_question_id("aime24", "problem", "  " + text.replace(" ", "  ") + "\n") == "65"
    assert canonical_question_id("aime24", "problem", f"Question: {text}\nAnswer:") == "65"
    templated = f"Solve the following math problem efficiently.\n\n{text}\n\nRemember to box your answer."
    assert canonical_question_id("aime24", "doc", {"query": templated}) == "65"
    # an edited text matches only with the problems at hand (fuzzy), and only when clearly closest
    edited = text.replace("the", "teh", 2)
    with pytest.raises(BenchmarkError):
        canonical_question_id("aime24", "problem", edited)
    problems = benchmarks.load_benchmark("aime24", benchmark_dir / "aime24.jsonl")
    assert canonical_question_id("aime24", "problem", edited, problems) == "65"


def test_load_aime24_from_local_files(benchmark_dir):
    frame = benchmarks.load_benchmark("aime24", benchmark_dir / "aime24.jsonl")
    assert frame["question_id"].tolist() == [str(i) for i in range(60, 90)]
    assert {"problem", "answer", "year", "contest", "number", "study_tier"} <= set(frame.columns)
    assert frame.set_index("question_id").loc["67", "answer"] == "25"  # "025" in AI-MO
    assert frame["problem"].str.len().min() > 50
    # an AI-MO file with other years (the fixture: 2023 ids 55..59 and 2024) gives the same 30 rows in order
    full = benchmarks.load_benchmark("aime24", benchmark_dir / "aimo_validation_aime.jsonl")
    pd.testing.assert_frame_equal(
        full.drop(columns=["source_answer", "solution"]), frame.drop(columns="source_answer")
    )
    assert full.set_index("question_id").loc["67", "source_answer"] == "025"
    # AI-MO's worked solutions come along (the strategy stage's reference); a file without them has no column
    assert "solution" not in frame.columns and full["solution"].str.len().min() > 100


def test_local_file_checked_against_registry(benchmark_dir, tmp_path):
    rows = [json.loads(line) for line in (benchmark_dir / "aime24.jsonl").read_text().splitlines()]
    wrong = [dict(r) for r in rows]
    wrong[3]["answer"] = "999"
    (tmp_path / "wrong.jsonl").write_text("".join(json.dumps(r) + "\n" for r in wrong))
    with pytest.raises(BenchmarkError, match=r"row 3 \(question 63\): answer '999' differs"):
        benchmarks.load_benchmark("aime24", tmp_path / "wrong.jsonl")
    (tmp_path / "short.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[:-1]))
    with pytest.raises(BenchmarkError, match="missing question.*89"):
        benchmarks.load_benchmark("aime24", tmp_path / "short.jsonl")
    (tmp_path / "broken.jsonl").write_text(json.dumps(rows[0]) + "\n{not json\n")
    with pytest.raises(BenchmarkError, match=r"broken.jsonl:2: not valid JSON"):
        benchmarks.load_benchmark("aime24", tmp_path / "broken.jsonl")


def test_load_aime25_and_math500(benchmark_dir):
    aime25 = benchmarks.load_benchmark("aime25", benchmark_dir / "aime25.jsonl")
    assert aime25["question_id"].tolist() == [str(i) for i in range(1, 31)]
    assert canonical_question_id("aime25", "aime_id", "2025-II-1") == "16"
    assert canonical_question_id("aime25", "matharena", 30) == "30"
    math500 = benchmarks.load_benchmark("math500", benchmark_dir / "math500.jsonl")
    assert len(math500) == 50 and math500["question_id"].is_unique  # the fixture: the first 50 of 500 rows
    assert math500.loc[0, "question_id"] == "test/precalculus/807.json"
    assert {"subject", "level"} <= set(math500.columns)
    answers = benchmarks.benchmark_answers("math500", benchmark_dir / "math500.jsonl")
    assert answers["test/precalculus/807.json"] == r"\left( 3, \frac{\pi}{2} \right)"


def test_study_tier_lists():
    lists = benchmarks.tier_lists()
    assert {t: len(ids) for t, ids in lists.items()} == {"easy": 4, "medium": 10, "hard": 12, "exh": 4}
    tiers = benchmarks.study_tiers("study-v1")
    assert sorted(tiers, key=int) == [str(i) for i in range(60, 90)]
    assert (tiers["70"], tiers["62"], tiers["81"], tiers["69"]) == ("hard", "exh", "exh", "easy")
    reg = benchmarks.id_registry("aime24").set_index("question_id")
    assert reg["study_tier"].to_dict() == tiers
    with pytest.raises(BenchmarkError, match="no tier version 'v9'"):
        benchmarks.tier_lists("v9")


def test_register_a_benchmark_and_unknown_names():
    def loader(path):
        return pd.DataFrame({"question_id": ["a", "b"], "problem": ["1+1", "2+2"], "answer": [2, 4]})

    benchmarks.register_benchmark("toy_test", loader, description="two sums", replace=True)
    try:
        frame = benchmarks.load_benchmark("toy_test")
        assert frame["answer"].tolist() == ["2", "4"]
        assert benchmarks.benchmark_answers("toy_test") == {"a": "2", "b": "4"}
        assert canonical_question_id("toy_test", "doc", {"question_id": "b"}) == "b"
        with pytest.raises(BenchmarkError, match="already registered"):
            benchmarks.register_benchmark("toy_test", loader)
    finally:
        benchmarks._REGISTRY.pop("toy_test", None)
    with pytest.raises(
        BenchmarkError, match=r"unknown benchmark 'aime2024'.*Known benchmarks: aime24, aime24_steps, aime25"
    ):
        benchmarks.load_benchmark("aime2024")


def test_the_synthetic_ladder_is_registered_on_first_use():
    assert "synthetic" in benchmarks.known_benchmarks()
    frame = benchmarks.load_benchmark("synthetic")
    assert frame["question_id"].is_unique and frame["answer"].str.fullmatch(r"\d+").all()
    qid = frame["question_id"].iloc[0]
    assert benchmarks.benchmark_answers("synthetic")[qid] == frame["answer"].iloc[0]
    assert canonical_question_id("synthetic", "doc", {"question_id": qid, "problem": "x"}) == qid
