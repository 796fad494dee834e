"""The smoke profile end to end through the real runner: curate, train, sample, grade (two experiments), tiers,
strategies, ablations.

This is `make smoke` inside `make test`: every stage notebook runs with papermill on a tiny Qwen2 model.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import matplotlib.image
import pandas as pd
import pytest

from ladder import base_model, browser, calibration, compute, paths, schema, store, synthetic
from ladder.book import build_book
from ladder.params import load_plan
from ladder.run import run_plan

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    plan = load_plan("smoke")
    results = run_plan(plan, runs_dir=runs, echo=False)
    return runs, plan, {f"{r.experiment}/{r.stage}": r for r in results}


def test_every_stage_runs(smoke_run):
    _, plan, results = smoke_run
    failed = {k: r.error for k, r in results.items() if r.status != "done"}
    assert not failed
    stages = ("curate", "train", "sample", "grade")
    assert list(results) == [f"{e}/{s}" for e in plan.experiments for s in stages] + [
        "_panel/tiers",
        "_panel/strategies",
        "_panel/ablations",
    ]


def test_stage_outputs_chain_together(smoke_run):
    _, _, results = smoke_run
    sft_train = store.read_json(f"{results['smoke_sft/train'].dir}/params.json")
    assert "smoke_base/train" in sft_train["upstream"]  # the SFT model starts from the base model
    graded = schema.read_table(f"{results['smoke_sft/grade'].dir}/graded.parquet", graded=True)
    n_questions = len(synthetic.evaluation_set())
    assert len(graded) == n_questions * 2 and set(graded["model"]) == {"smoke_sft"}
    questions = pd.read_csv(f"{results['_panel/tiers'].dir}/questions.csv", dtype={"question_id": str})
    assert len(questions) == n_questions and set(questions["study_tier"]) == {"easy", "medium", "hard", "exh"}
    assert {"acc_smoke_base", "acc_smoke_sft"} <= set(questions.columns)
    findings = pd.read_csv(f"{results['_panel/ablations'].dir}/findings.csv")
    assert len(findings) == 6 and set(findings["holds"]) <= {"yes", "no", "inconclusive", "not testable"}
    strategy = pd.read_csv(f"{results['_panel/strategies'].dir}/strategy_by_tier.csv").dropna(subset=["similarity"])
    assert set(strategy["measure"]) == {"exact", "proxy"} and set(strategy["model"]) == {"smoke_base", "smoke_sft"}
    assert ((strategy["ci_low"] <= strategy["similarity"]) & (strategy["similarity"] <= strategy["ci_high"])).all()


def test_every_reported_estimate_lies_inside_its_interval(smoke_run):
    _, _, results = smoke_run
    tables = {
        "tiers": pd.read_csv(f"{results['_panel/tiers'].dir}/tiers.csv"),
        "accuracy_by_tier": pd.read_csv(f"{results['_panel/ablations'].dir}/accuracy_by_tier.csv"),
    }
    for name, table in tables.items():
        metrics = [c[: -len("_ci_low")] for c in table.columns if c.endswith("_ci_low")]
        assert metrics, name
        for metric in metrics:
            value, low, high = table[metric], table[f"{metric}_ci_low"], table[f"{metric}_ci_high"]
            assert (low <= value).all() and (value <= high).all(), (name, metric)
            open_rows = (value > 0) & (value < 1)  # 0 or 1: all or none solved, the estimate is a bound
            assert ((low < value) & (value < high))[open_rows].all(), (name, metric)
    pairs = pd.read_csv(f"{results['_panel/tiers'].dir}/sft_vs_base.csv")
    assert set(pairs["first"]) == {"smoke_sft"} and set(pairs["second"]) == {"smoke_base"}
    assert ((pairs["ci_low"] <= pairs["difference"]) & (pairs["difference"] <= pairs["ci_high"])).all()


def test_rerun_is_cached_and_book_links_every_stage(smoke_run, tmp_path):
    runs, plan, first = smoke_run
    again = run_plan(plan, runs_dir=runs, echo=False)
    assert {r.status for r in again} == {"cached"}
    table, _ = compute.record_estimate(plan, runs_dir=runs)  # as `ladder run` does before running
    assert table["experiment"].tolist() == [*plan.experiments, "total"]
    index = build_book("smoke", runs_dir=runs, book_dir=tmp_path, screenshot=False)
    text = index.read_text()
    assert "Compute estimate (made before the run)" in text and "smoke_sft" in text
    for key in first:
        experiment, _ = key.split("/")
        folder = "panel" if experiment == "_panel" else experiment
        assert f"{folder}/{first[key].notebook}.html" in text
        assert (index.parent / folder / f"{first[key].notebook}.html").is_file()


def test_book_opens_offline_in_a_real_browser_without_errors_or_absolute_paths(smoke_run, tmp_path):
    runs, _, _ = smoke_run
    reason = browser.browser_unavailable()
    if reason:
        pytest.skip(f"no headless browser: {reason}")
    index = build_book("smoke", runs_dir=runs, book_dir=tmp_path)
    site = index.parent
    problems = [line for report in browser.check_site(site) for line in report.problems()]
    assert not problems, "\n".join(problems[:20])
    for page in site.rglob("*"):
        if page.is_file() and page.suffix in (".html", ".js", ".css", ".json"):
            text = page.read_text(encoding="utf-8", errors="replace")
            for machine_path in (str(runs), str(paths.ROOT), str(tmp_path)):
                assert machine_path not in text, (page, machine_path)
            assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?://", text), page
    front = site / "front_page.png"  # the screenshot kept for the README: the ladder figure is drawn
    pixels = matplotlib.image.imread(front)
    assert pixels.shape[:2] == (800, 1280) and pixels[..., :3].std() > 0.05
    html = index.read_text()
    assert html.index("The ladder") < html.index("Per model and tier") < html.index("findings in this run")
    assert 'src="assets/tier_ladder_panels.png"' in html and "against the base" in html


def test_every_stage_page_opens_on_a_result_with_readable_tables(smoke_run, tmp_path):
    """At 1280x800: the first figure or table within the first screen, no table wider than the content column, no
    raw float (more than 4 decimals) in a visible output; the parameters cells left to the executed notebook."""
    runs, _, results = smoke_run
    reason = browser.browser_unavailable()
    if reason:
        pytest.skip(f"no headless browser: {reason}")
    site = build_book("smoke", runs_dir=runs, book_dir=tmp_path, screenshot=False).parent
    layouts = browser.check_layout(site)
    assert len(layouts) == len(results)  # one notebook page per stage
    problems = [line for layout in layouts for line in layout.problems()]
    assert not problems, "\n".join(problems)
    page = (site / "smoke_sft" / "20_train.html").read_text()
    assert "Parameters of this run" in page and "injected by the runner" not in page
    executed = (Path(results["smoke_sft/train"].dir) / "notebook.ipynb").read_text()
    assert '"parameters"' in executed and '"injected-parameters"' in executed


def test_base_model_export_loads_and_detects_a_stale_generator(smoke_run, tmp_path):
    """`make base-model`'s export on the smoke base: a loadable checkpoint whose provenance re-curates to the same data."""
    from transformers import AutoModelForCausalLM, AutoTokenizer  # seconds to import: only this test loads a model

    runs, _, results = smoke_run
    dest = base_model.export(tmp_path / "tiny-instruct", runs_dir=runs, profile="smoke", experiment="smoke_base")
    record = base_model.provenance(dest)
    manifest = store.read_json(f"{results['smoke_base/curate'].dir}/manifest.json")
    assert record["data_content_hash"] == manifest["content_hash"]
    assert record["train"]["steps"] == 8 and set(record["accuracy_by_level"]) == {"easy", "medium", "hard", "exh"}
    assert not (dest / "training_args.bin").exists()
    model = AutoModelForCausalLM.from_pretrained(dest)
    tokenizer = AutoTokenizer.from_pretrained(dest)
    assert model.config.model_type == "qwen2" and tokenizer.chat_template

    assert base_model.check(dest) == record["data_content_hash"]
    record["curate_params"]["seed"] += 1  # as a changed generator would: other problems for the same params
    store.write_json(dest / "provenance.json", record)
    with pytest.raises(base_model.StaleBaseModel, match="make base-model"):
        base_model.check(dest)


def test_calibration_reads_the_run_and_samples_the_base_asked_to_work_it_out(smoke_run):
    runs, _, _ = smoke_run
    report = calibration.health("smoke", base="smoke_base", sft="smoke_sft", runs_dir=runs, n=1, max_new_tokens=64)
    assert set(report["levels"]) == {"smoke_base", "smoke_sft", "smoke_base (asked to work it out)"}
    for table in report["levels"].values():
        assert list(table.index) == ["easy", "medium", "hard", "exh", "all"] and table["avg@n"].between(0, 1).all()
    (folder,) = (runs / "smoke" / "_calibration").glob("smoke_base_worked-*-n1")
    worked = pd.read_parquet(folder / "samples.parquet")
    assert (
        len(worked) == len(synthetic.evaluation_set())
        and worked["prompt"].str.contains("Work it out step by step.").all()
    )
    assert report["sft_loss"]["first_loss"] > 0 and 0 <= report["steps"]["smoke_sft (plain question)"]["misread"] <= 1
    text = calibration.report_text(report, "smoke_sft")
    assert "first SFT loss" in text and "per-step accuracy" in text


def test_same_run_in_another_folder_gives_the_same_bytes(smoke_run, tmp_path):
    # Nothing that the analysis reads may depend on where the run lives (issue: model_revision hashed
    # training_args.bin, which TRL pickles with the output path).
    runs, plan, first = smoke_run
    other = tmp_path / "elsewhere" / "runs"
    second = {f"{r.experiment}/{r.stage}": r for r in run_plan(plan, runs_dir=other, echo=False)}
    assert {r.status for r in second.values()} == {"done"}
    compared = [("_panel/tiers", "tiers.csv"), ("_panel/tiers", "questions.csv"), ("_panel/ablations", "findings.csv")]
    compared += [(f"{e}/grade", "graded.parquet") for e in plan.experiments]
    compared += [(f"{e}/curate", name) for e in plan.experiments for name in ("manifest.json", "lengths.png")]
    for key, name in compared:
        a, b = Path(first[key].dir) / name, Path(second[key].dir) / name
        assert a.read_bytes() == b.read_bytes(), f"{key}/{name} differs between {runs} and {other}"
    revisions = schema.read_table(Path(second["smoke_sft/grade"].dir) / "graded.parquet", graded=True)
    assert revisions["model_revision"].str.startswith("local:").all()
    for run_root, results in ((runs, first), (other, second)):
        report = store.read_json(Path(results["smoke_sft/train"].dir) / "train_report.json")
        assert report["model"].startswith("runs/smoke/smoke_base/") and str(run_root) not in json.dumps(report)
