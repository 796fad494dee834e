"""ladder.display: tables as a reader sees them (percentages, intervals in one cell, no raw floats, long tables
collapsed, tier grids colour-scaled) and the parameters box with where each value came from."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from ladder import display
from ladder.train import TrainParams

RAW_FLOAT = re.compile(r"\d\.\d{5,}")


def _cells(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", html, re.S)]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.875, "0.88"),
        (-1.588966, "-1.59"),
        (1e-05, "1.0e-05"),
        (0.0001, "1.0e-04"),
        (0.00028, "2.8e-04"),  # a p-value of the smoke book: .2g writes 0.00028, five decimals
        (0.0028, "0.0028"),
        (1234.0, "1,234"),
        (3, "3"),
    ],
)
def test_number_never_prints_a_raw_float(value, shown):
    assert display.number(value) == shown and not RAW_FLOAT.search(shown)


def test_a_metric_and_its_interval_share_one_cell():
    assert display.interval(0.94, 0.72, 0.99) == "94% [72, 99]"
    assert display.interval(1.234, 0.5, 2.0, rate=False) == "1.23 [0.50, 2.00]"
    assert display.interval(0.5, np.nan, np.nan) == "50%"
    assert display.interval(np.nan, 0.1, 0.2) == ""


def test_readable_joins_intervals_and_shows_rates_as_percentages():
    frame = pd.DataFrame(
        {
            "model": ["a", "b"],
            "avg@n": [0.875, 0.1],
            "avg@n_ci_low": [0.7, 0.02],
            "avg@n_ci_high": [0.95, 0.3],
            "difference": [0.123456, -0.5],
            "ci_low": [0.01, -0.7],
            "ci_high": [0.2, -0.3],
            "accuracy": [1.5, 2.0],  # named like a rate but not a share: stays a number
            "p_value": [0.0312345, 0.5],
        }
    )
    view = display.readable(frame)
    assert view.columns.tolist() == ["model", "avg@n [95% CI]", "difference [95% CI]", "accuracy", "p_value"]
    assert view["avg@n [95% CI]"].tolist() == ["88% [70, 95]", "10% [2, 30]"]
    assert view["difference [95% CI]"].tolist() == ["0.12 [0.01, 0.20]", "-0.50 [-0.70, -0.30]"]
    assert view["accuracy"].tolist() == ["1.50", "2"] and view["p_value"].tolist() == ["0.03", "0.50"]
    forced = display.readable(frame, percent_columns=["difference"])
    assert forced["difference [95% CI]"].tolist() == ["12% [1, 20]", "-50% [-70, -30]"]


def test_table_hides_a_meaningless_index_keeps_a_named_one_and_escapes_text():
    frame = pd.DataFrame({"model": ["<think>"], "share": [0.25]})
    html = display.table(frame).to_html()
    assert _cells(html) == ["&lt;think&gt;", "25%"]  # no row number, text escaped
    named = display.table(frame.set_index("model")).to_html()
    assert "&lt;think&gt;" in named and ">model<" in named


def test_a_long_table_is_collapsed_under_a_line_naming_its_file_and_no_cell_holds_a_raw_float():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"question_id": [f"q{i}" for i in range(40)], "irt_difficulty": rng.normal(size=40)})
    shown = display.table(frame, source="questions.csv")
    html = shown._repr_html_()
    assert html.startswith('<details class="ladder-box"><summary>The full table: 40 rows, in questions.csv')
    assert len(_cells(html)) == 80 and not RAW_FLOAT.search(html.replace("T_", ""))
    assert not isinstance(display.table(frame.head(display.MAX_ROWS)), display.HTMLBlock)
    assert str(display.table(frame.head(0))) == "<p><em>none (no rows)</em></p>"


def test_tier_grid_is_model_by_tier_with_intervals_counts_and_colours_that_follow_the_values():
    rows = pd.DataFrame(
        {
            "model": ["base", "base", "sft", "sft"],
            "tier": ["hard", "easy", "hard", "easy"],
            "n_questions": [12, 8, 12, 8],
            "avg@n": [0.05, 0.9, 0.6, 1.0],
            "avg@n_ci_low": [0.01, 0.6, 0.3, 0.7],
            "avg@n_ci_high": [0.2, 0.98, 0.8, 1.0],
        }
    )
    grid = display.tier_grid(rows, "avg@n")
    assert grid.data.columns.tolist() == ["Easy (8)", "Hard (12)"]  # the study's order, not the table's
    assert grid.data.loc["sft"].tolist() == ["100% [70, 100]", "60% [30, 80]"]
    html = grid.to_html()
    colours = dict(re.findall(r"#T_\w+_(row\d+_col\d+)\s*\{\s*background-color:\s*(#[0-9a-f]{6})", html))
    assert len(colours) == 4 and len(set(colours.values())) == 4
    darkness = {cell: sum(int(c[i : i + 2], 16) for i in (1, 3, 5)) for cell, c in colours.items()}
    assert darkness["row1_col0"] < darkness["row0_col1"]  # 100% is darker than 5%


def test_parameters_table_says_where_each_value_came_from_changed_ones_first():
    params = TrainParams(model="models/tiny-instruct", epochs=1.0, seed=3)
    origins = {
        "model": "params/profiles/laptop.yaml:37",
        "epochs": "params/experiments/laptop/sft_n500.yaml:12",
        "seed": "command line (--set train.*)",
    }
    table = display.parameters_table(params, origins)
    assert table.iloc[:3].to_dict("records") == [
        {"parameter": "model", "value": "models/tiny-instruct", "from": "profile laptop.yaml:37"},
        {"parameter": "epochs", "value": "1", "from": "experiment sft_n500.yaml:12"},
        {"parameter": "seed", "value": "3", "from": "command line (--set train.*)"},
    ]
    assert set(table["from"].iloc[3:]) == {"default"} and len(table) == len(TrainParams.model_fields)
    by_hand = display.parameters_table(params, None)  # no params.json: the notebook ran outside the runner
    assert by_hand.set_index("parameter").loc[["model", "epochs", "seed", "learning_rate"], "from"].tolist() == [
        "given",
        "given",
        "given",
        "default",
    ]


def test_parameters_box_reads_the_runners_record_and_starts_closed(tmp_path):
    params = TrainParams(model="models/tiny-instruct")
    (tmp_path / "params.json").write_text(json.dumps({"origins": {"model": "params/profiles/laptop.yaml:37"}}))
    html = display.parameters_box(params, tmp_path)._repr_html_()
    assert html.startswith('<details class="ladder-box"><summary>Parameters of this run (1 of ')
    assert "<details open" not in html and "profile laptop.yaml:37" in html
    assert html.index(">model<") < html.index(">learning_rate<")


def test_record_notes_and_files_written():
    report = {"steps": 32, "train_loss": 0.38699528356148627, "timing": {"tokens_per_s": 1234.5678}}
    html = display.record(report).to_html()
    assert _cells(html) == ["steps", "32", "train_loss", "0.39", "timing.tokens_per_s", "1,234.57"]
    assert str(display.notes([])) == "<p><em>none</em></p>"
    assert "<li>a &lt;b&gt;</li>" in str(display.notes(["a <b>"]))
    box = str(display.files_written({"b": "/x/tiers.csv", "a": "/x/questions.csv"}))
    assert "<code>questions.csv</code>, <code>tiers.csv</code>" in box and box.startswith("<details")
