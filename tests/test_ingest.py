"""Ingest: realistic lm-eval / lighteval / SkyThought files written here from the formats' documented fields,
read into the samples schema with canonical AIME24 ids; malformed input gives errors naming file and line."""

from __future__ import annotations

import argparse
import json
import typing

import pandas as pd
import pytest

from ladder import cli, grade, ingest, schema
from ladder.ingest import IngestError, read_results

AOPS = "https://artofproblemsolving.com/wiki/index.php/2024_AIME_{part}_Problems/Problem_{number}"


def aimo_doc(qid: int, number: int, part: str, answer: str, problem: str = "A problem.") -> dict:
    """A row of AI-MO/aimo-validation-aime (also HuggingFaceH4/aime_2024, simplescaling/aime24_nofigures)."""
    return {
        "id": qid,
        "problem": problem,
        "solution": "...",
        "answer": answer,
        "url": AOPS.format(part=part, number=number),
    }


DOCS = [aimo_doc(60, 1, "I", "204"), aimo_doc(67, 2, "I", "025"), aimo_doc(75, 1, "II", "073")]


def lm_eval_line(doc_id, doc, responses, *, filter_="none", layout="new", target=None, metric=None):
    kwargs = {"until": ["<|im_end|>"], "do_sample": True, "temperature": 1.0, "max_gen_toks": 32768}
    prompt = f"<|im_start|>user\n{doc.get('problem', '')}<|im_end|>\n<|im_start|>assistant\n"
    arguments = {"gen_args_0": {"arg_0": prompt, "arg_1": kwargs}} if layout == "new" else [[prompt, kwargs]]
    line = {
        "doc_id": doc_id,
        "doc": doc,
        "target": target if target is not None else str(doc.get("answer", "")),
        "arguments": arguments,
        "resps": [responses],
        "filtered_resps": [responses[0]],
        "filter": filter_,
        "metrics": ["exact_match"],
        "doc_hash": "d",
        "prompt_hash": "p",
        "target_hash": "t",
    }
    if metric is not None:
        line["exact_match"] = metric
    return json.dumps(line)


def write_lm_eval(folder, task, lines):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"samples_{task}_2025-03-01T12-00-00.123456.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_lm_eval_repeats_and_filters(tmp_path):
    lines = []
    for doc_id, doc in enumerate(DOCS):
        responses = [rf"\boxed{{{doc['answer']}}}", "no answer", r"\boxed{1}", rf"Answer: {int(doc['answer'])}"]
        lines.append(lm_eval_line(doc_id, doc, responses, filter_="none"))
        lines.append(lm_eval_line(doc_id, doc, responses, filter_="flexible-extract"))  # same responses again
    path = write_lm_eval(tmp_path / "Qwen__Qwen2.5-32B-Instruct", "aime24_nofigures", lines)
    frame = read_results([path], "lm-eval")
    assert len(frame) == 12  # 3 docs x 4 repeats, the second filter's lines not duplicated
    assert frame["model"].unique().tolist() == ["Qwen/Qwen2.5-32B-Instruct"]  # from the folder name
    assert frame["question_id"].tolist() == ["60"] * 4 + ["67"] * 4 + ["75"] * 4
    assert frame["sample_idx"].tolist() == [0, 1, 2, 3] * 3
    assert frame["gold"].tolist()[4] == "25"  # the registry's answer, not the source's "025"
    assert (frame["temperature"] == 1.0).all() and (frame["max_new_tokens"] == 32768).all()
    assert (frame["finish_reason"] == "unknown").all() and frame["n_tokens"].isna().all()
    assert frame["backend"].unique().tolist() == ["ingest:lm-eval"]
    assert frame["source_correct"].isna().all()  # lm-eval scores one response per doc: no per-sample verdict
    assert frame["source_file"].iloc[0] == f"{path}:1"
    graded = grade.grade_frame(frame)
    assert graded["correct"].tolist() == [True, False, False, True] * 3


def test_lm_eval_unclosed_think_is_graded_unfinished(tmp_path):
    # lm-eval logs carry no finish reason: a think block that never closes is the only trace of a cut
    responses = [
        "<think>\nmaybe it is \\boxed{204} but let me keep checking the cases one by one",
        "<think>\nchecked</think>\n\nThe answer is \\boxed{204}.",
        "<think>\nno answer yet",
    ]
    path = write_lm_eval(tmp_path / "org__reasoner", "aime24", [lm_eval_line(0, DOCS[0], responses)])
    frame = read_results([path], "lm-eval")
    assert frame["response"].tolist() == responses and (frame["finish_reason"] == "unknown").all()
    graded = grade.grade_frame(frame)
    assert graded["reason"].tolist() == ["unfinished", "ok", "unfinished"]
    assert graded["correct"].tolist() == [False, True, False]
    assert graded["unfinished"].tolist() == [True, False, True] and not graded["truncated"].any()
    assert graded["answer_matches"].tolist() == [True, True, False]
    assert grade.truncation_summary(graded)["truncated_or_unfinished"].item() == pytest.approx(2 / 3)
    lenient = grade.grade_frame(frame, unfinished_think="last_answer")
    assert lenient["reason"].tolist() == ["ok", "ok", "no_answer"] and lenient["unfinished"].sum() == 2


def test_lm_eval_old_arguments_layout_and_doc_id_numbering(tmp_path):
    # lm-eval's aime_2024 task numbers the 2024 rows 0..29; a doc without identifying fields falls back on it
    lines = [
        lm_eval_line(5, {"problem": "unknown text"}, [r"\boxed{104}"], layout="old", target="104", metric=1),
        lm_eval_line(6, {"problem": "unknown text 2"}, [r"\boxed{7}"], layout="old", target="721", metric=0),
    ]
    path = write_lm_eval(tmp_path / "m", "aime_2024", lines)
    frame = read_results([path], "lm-eval", model="my-model")
    assert frame["question_id"].tolist() == ["65", "66"]
    assert frame["model"].unique().tolist() == ["my-model"]
    assert frame["source_correct"].tolist() == [True, False]
    assert "<|im_start|>user" in frame["prompt"].iloc[0] and frame["prompt_hash"].str.len().eq(16).all()
    # the old `aime` task numbers AI-MO rows 0..89: doc 12 is a 2022 question, not AIME24
    path = write_lm_eval(tmp_path / "old", "aime", [lm_eval_line(12, {"problem": "x"}, ["1"])])
    with pytest.raises(IngestError, match=r"samples_aime_.*:1: .*lm_eval_aime id 12 is not a question"):
        read_results([path], "lm-eval", model="m")


def test_lm_eval_model_name_from_results_json(tmp_path):
    folder = tmp_path / "out" / "run1"
    path = write_lm_eval(
        folder, "aime24", [lm_eval_line(0, {"ID": "2024-II-4", "Problem": "p", "Answer": 33}, ["33"])]
    )
    (folder / "results_2025-03-01T12-00-00.123456.json").write_text(
        json.dumps(
            {"config": {"model": "vllm", "model_args": "pretrained=simplescaling/s1.1-32B,tensor_parallel_size=8"}}
        )
    )
    frame = read_results([path], "lm-eval")
    assert frame["model"].tolist() == ["simplescaling/s1.1-32B"]
    assert frame["question_id"].tolist() == ["84"]  # Maxwell-Jia row joined by "2024-II-4", not by position


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"doc_id": 0, "resps": [["a"]]}\n{"doc_id": 1, "resps": [["b"]\n', r":2: not valid JSON"),
        ('{"doc_id": 0, "doc": {}}\n', r":1: missing field 'resps'"),
        ('{"resps": [["a"]]}\n', r":1: missing field 'doc_id'"),
        ('{"doc_id": 0, "resps": ["a"]}\n', r":1: field 'resps' must be a list of lists"),
        ('{"doc_id": 0, "resps": [[[-1.5, false]]]}\n', r":1: field 'resps' holds non-text responses"),
        ("[1, 2]\n", r":1: expected a JSON object"),
    ],
)
def test_lm_eval_malformed_lines_name_file_and_line(tmp_path, content, message):
    path = tmp_path / "samples_aime24_2025-01-01T00-00-00.jsonl"
    path.write_text(content)
    with pytest.raises(IngestError, match=message):
        read_results([path], "lm-eval", model="m")


def test_duplicates_unknown_questions_and_formats(tmp_path):
    doc = DOCS[0]
    first = write_lm_eval(tmp_path / "a", "aime24", [lm_eval_line(0, doc, ["1", "2"])])
    second = write_lm_eval(tmp_path / "b", "aime24", [lm_eval_line(0, doc, ["3"])])
    with pytest.raises(IngestError, match=r"duplicate sample \(model='m', question_id='60', sample_idx=0\)"):
        read_results([first, second], "lm-eval", model="m")
    assert len(read_results([first, second], "lm-eval")) == 3  # folder names give two models
    conflicting = write_lm_eval(tmp_path / "c", "aime24", [lm_eval_line(0, doc, ["1"]), lm_eval_line(0, doc, ["2"])])
    with pytest.raises(IngestError, match=r":2: doc_id 0 appears again with other responses \(first at .*:1\)"):
        read_results([conflicting], "lm-eval", model="m")
    url_2023 = {"problem": "p", "url": "https://artofproblemsolving.com/wiki/index.php/2023_AIME_I_Problems/Problem_1"}
    unknown = write_lm_eval(tmp_path / "d", "aime24", [lm_eval_line(0, url_2023, ["1"])])
    with pytest.raises(
        IngestError, match=r"unknown question\(s\) for benchmark 'aime24'.*:\n  .*samples_aime24.*:1: "
    ):
        read_results([unknown], "lm-eval", model="m")
    with pytest.raises(
        IngestError, match="unknown format 'lm_eval'. Known formats: lm-eval, lighteval, skythought, ladder"
    ):
        read_results([first], "lm_eval")
    with pytest.raises(IngestError, match="no such file"):
        read_results([tmp_path / "nope.jsonl"], "lm-eval")


@pytest.fixture(scope="module")
def aime_rows(benchmark_dir):
    return [json.loads(line) for line in (benchmark_dir / "aime24.jsonl").read_text().splitlines()]


TEMPLATE = "Solve the following math problem efficiently and clearly. Think step by step before answering.\n\n{}"


def test_lighteval_new_layout(tmp_path, aime_rows):
    rows = []
    for r in aime_rows[:3]:
        rows.append(
            {
                "doc": {
                    "query": TEMPLATE.format(r["problem"]),
                    "choices": [r["answer"]],
                    "gold_index": 0,
                    "task_name": "lighteval|aime24|0",
                    "id": "0",
                },
                "model_response": {
                    "input": TEMPLATE.format(r["problem"]),
                    "text": [rf"\boxed{{{r['answer']}}}", ""],
                    "reasonings": ["so it is 5", "unfinished, maybe \\boxed{1}"],
                    "output_tokens": [[1, 2, 3], [4, 5, 6, 7]],
                },
                "metric": {"pass@k:k=1&n=2": 0.5},
            }
        )
    folder = tmp_path / "details" / "open-r1" / "OpenR1-Qwen-7B" / "2025-02-01T10-00-00.000000"
    folder.mkdir(parents=True)
    path = folder / "details_lighteval|aime24|0_2025-02-01T10-00-00.000000.parquet"
    pd.DataFrame(rows).to_parquet(path)
    frame = read_results([path], "lighteval")
    assert frame["model"].unique().tolist() == ["open-r1/OpenR1-Qwen-7B"]
    assert frame["question_id"].tolist() == ["60", "60", "61", "61", "62", "62"]  # matched through the query text
    assert frame["n_tokens"].tolist() == [3, 4] * 3
    assert frame["source_gold"].tolist()[:2] == ["204", "204"]
    assert frame["response"].iloc[1] == "<think>unfinished, maybe \\boxed{1}</think>\n\n"
    graded = grade.grade_frame(frame)
    assert graded["reason"].tolist() == ["ok", "wrong"] * 3
    assert graded["answer_in_think"].tolist() == [False, True] * 3


def test_lighteval_old_layout(tmp_path, aime_rows):
    rows = [
        {
            "example": r["problem"],
            "full_prompt": TEMPLATE.format(r["problem"]),
            "predictions": [f"Answer: {r['answer']}"],
            "gold": [r["answer"]],
            "metrics": {"extractive_match": 1.0},
            "specifics": {"extracted_predictions": ["x"]},
            "num_effective_few_shots": 0,
        }
        for r in aime_rows[10:12]
    ]
    path = tmp_path / "details_custom|aime24|0_2024-12-01.parquet"
    pd.DataFrame(rows).to_parquet(path)
    frame = read_results([path], "lighteval", model="old-model")
    assert frame["question_id"].tolist() == ["70", "71"]
    assert frame["source_correct"].tolist() == [True, True]
    assert grade.grade_frame(frame)["correct"].all()


def test_lighteval_wrong_columns(tmp_path):
    path = tmp_path / "details.parquet"
    pd.DataFrame({"foo": [1]}).to_parquet(path)
    with pytest.raises(IngestError, match="not a lighteval details file.*found foo"):
        read_results([path], "lighteval", model="m")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(IngestError, match="broken.parquet: not a readable parquet file"):
        read_results([tmp_path / "broken.parquet"], "lighteval", model="m")


def skythought_record(doc, responses, *, by_temperature=False):
    entries = [{"content": text, "correctness": ok, "reason": ""} for text, ok in responses]
    usages = [{"completion_tokens": 100 + i, "prompt_tokens": 50} for i in range(len(entries))]
    record = {
        **doc,
        "_index": doc["id"] - 60,
        "prompt": doc["problem"],
        "input_conversation": [],
        "responses": entries,
        "token_usages": usages,
    }
    if by_temperature:
        record["responses"], record["token_usages"] = {"0.7": entries}, {"0.7": usages}
    return record


def test_skythought_results(tmp_path):
    results = {
        "0": skythought_record(DOCS[0], [(r"\boxed{204}", True), (r"\boxed{205}", False)]),
        "7": skythought_record(DOCS[1], [(r"\boxed{25}", True), ("The answer is 26", True)]),
    }
    folder = tmp_path / "Qwen_QwQ-32B-Preview_aime_myHash"
    folder.mkdir()
    (folder / "results.json").write_text(json.dumps(results, indent=4))
    (folder / "summary.json").write_text(json.dumps({"configuration": {"model": "Qwen/QwQ-32B-Preview"}}))
    frame = read_results([folder / "results.json"], "skythought")
    assert frame["model"].unique().tolist() == ["Qwen/QwQ-32B-Preview"]
    assert frame["question_id"].tolist() == ["60", "60", "67", "67"]
    assert frame["n_tokens"].tolist() == [100, 101, 100, 101]
    graded = grade.grade_frame(frame)
    disagreements = grade.grader_disagreements(graded)
    # SkyThought accepted "26" for gold 25: our grade and theirs disagree on exactly that sample
    assert disagreements[["question_id", "sample_idx", "ours", "theirs"]].values.tolist() == [["67", 1, False, True]]


def test_skythought_temperature_keyed_and_broken(tmp_path):
    old = {"0": skythought_record(DOCS[2], [(r"\boxed{73}", True)], by_temperature=True)}
    (tmp_path / "old.json").write_text(json.dumps(old))
    frame = read_results([tmp_path / "old.json"], "skythought", model="sky")
    assert frame[["question_id", "temperature", "gold"]].values.tolist() == [["75", 0.7, "73"]]
    (tmp_path / "broken.json").write_text('{\n  "0": {\n    "responses": [\n  }\n')
    with pytest.raises(IngestError, match=r"broken.json:4: not valid JSON"):
        read_results([tmp_path / "broken.json"], "skythought", model="sky")
    (tmp_path / "noresp.json").write_text(json.dumps({"3": {"problem": "p"}}))
    with pytest.raises(IngestError, match=r"noresp.json: record '3': missing field 'responses'"):
        read_results([tmp_path / "noresp.json"], "skythought", model="sky")


def test_ladder_format_and_cli_round_trip(tmp_path):
    path = write_lm_eval(tmp_path / "org__model", "aime24", [lm_eval_line(0, DOCS[0], [r"\boxed{204}", "x"])])
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    ingest.add_cli(sub)
    grade.add_cli(sub)
    args = parser.parse_args(["ingest", "--format", "lm-eval", str(path), "--out", str(tmp_path / "samples.parquet")])
    assert args.func(args) == 0
    again = read_results([tmp_path / "samples.parquet"], "ladder")
    assert again["model"].tolist() == ["org/model", "org/model"]
    args = parser.parse_args(["grade", str(tmp_path / "samples.parquet"), "--out", str(tmp_path / "graded.parquet")])
    assert args.func(args) == 0
    graded = schema.read_table(tmp_path / "graded.parquet", graded=True)
    assert graded["correct"].tolist() == [True, False]


def test_grade_params_accept_exactly_the_known_formats():
    assert typing.get_args(grade.GradeParams.model_fields["input_format"].annotation) == ingest.KNOWN_FORMATS


def test_cli_ingest_errors_are_one_line(tmp_path, capsys):
    (tmp_path / "broken.json").write_text("{")
    out = str(tmp_path / "x.parquet")
    assert cli.main(["ingest", "--format", "skythought", str(tmp_path / "broken.json"), "--out", out]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ladder ingest: error: ") and "broken.json:1: not valid JSON" in err
    assert not (tmp_path / "x.parquet").exists()


def test_answers_that_contradict_the_registry_reveal_a_wrong_mapping(tmp_path):
    # an `aime_2024` log read as if it were the old `aime` task: doc 5 would be AI-MO id 5, not AIME24
    line = lm_eval_line(5, {"problem": "p"}, [r"\boxed{104}"], target="104")
    path = write_lm_eval(tmp_path / "m", "aime_2024", [line])
    assert read_results([path], "lm-eval", model="m")["question_id"].tolist() == ["65"]
    wrong_target = write_lm_eval(tmp_path / "w", "aime_2024", [lm_eval_line(5, {"problem": "p"}, ["1"], target="721")])
    with pytest.raises(
        IngestError, match=r":1: the file's answer '721' differs from aime24 question 65's answer '104'"
    ):
        read_results([wrong_target], "lm-eval", model="m")


def test_benchmark_without_registry_checks_ids_against_its_problems(tmp_path, benchmark_dir):
    doc = {"problem": "Convert the point", "answer": "x", "unique_id": "test/precalculus/807.json"}
    path = write_lm_eval(
        tmp_path / "m", "math500", [lm_eval_line(0, doc, [r"\boxed{\left( 3, \frac{\pi}{2} \right)}"])]
    )
    frame = read_results(
        [path], "lm-eval", model="m", benchmark="math500", benchmark_path=benchmark_dir / "math500.jsonl"
    )
    assert frame["question_id"].tolist() == ["test/precalculus/807.json"]
    assert grade.grade_frame(frame)["correct"].tolist() == [True]
    bad = write_lm_eval(tmp_path / "b", "math500", [lm_eval_line(0, {**doc, "unique_id": "test/x/1.json"}, ["1"])])
    with pytest.raises(IngestError, match=r":1: question id 'test/x/1.json' is not a question of benchmark 'math500'"):
        read_results([bad], "lm-eval", model="m", benchmark="math500", benchmark_path=benchmark_dir / "math500.jsonl")


def test_other_years_of_the_aime_task_are_an_error_or_dropped_with_a_warning(tmp_path):
    lines = [lm_eval_line(doc_id, {"problem": "x"}, ["1"]) for doc_id in (12, 59, 60, 89)]
    path = write_lm_eval(tmp_path / "m", "aime", lines)
    with pytest.raises(IngestError, match=r"unknown question\(s\).*--drop-unknown.*\n  .*:1: .*\n  .*:2: "):
        read_results([path], "lm-eval", model="m")
    with pytest.warns(UserWarning, match=r"left out 2 question\(s\)"):
        frame = read_results([path], "lm-eval", model="m", drop_unknown=True)
    assert frame["question_id"].tolist() == ["60", "89"]
