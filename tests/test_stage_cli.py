"""Each parameter declared once: the params model's comments drive the notebook cells and every stage command.

Bad values given to a stage command, and the form of its errors: tests/test_bad_inputs.py.
"""

from __future__ import annotations

import argparse

import pytest

from ladder import param_docs, stage_cli
from ladder.notebook import declared_parameters, read_notebook
from ladder.params import StageParams
from ladder.stages import STAGES
from ladder.tiers import TiersParams


@pytest.mark.parametrize("stage", list(STAGES))
def test_every_notebook_parameters_cell_is_what_its_params_model_declares(stage):
    # The one consistency check between a model and its notebook: names, order, types, defaults and meanings.
    # `python -m ladder.param_docs --write` (make params-cells) rewrites the cells after a model changes.
    assert param_docs.cell_differences(STAGES[stage]) == []
    # ... and papermill reads every line of it (a comment with a second "=" once hid four curate params)
    declared = declared_parameters(read_notebook(STAGES[stage].notebook_path()))
    assert set(declared) == set(STAGES[stage].model().model_fields) | set(STAGES[stage].runner_keys)


def test_a_model_change_shows_as_a_cell_difference_until_rewritten(tmp_path):
    stage = STAGES["tiers"]
    notebook = tmp_path / f"{stage.notebook}.py"
    text = stage.notebook_path().read_text()
    notebook.write_text(text.replace('irt_model: str = "rasch"', 'irt_model: str = "2pl"'))
    assert any("irt_model" in line for line in param_docs.cell_differences(stage, tmp_path))
    assert param_docs.write_cell(stage, tmp_path) and notebook.read_text() == text


class BlockComment(StageParams):
    # how the rule reads:
    # here, on two lines
    rule: str = "x"


def test_comments_come_from_the_model_source_trailing_or_above():
    comments = param_docs.field_comments(TiersParams)
    assert comments["easy_threshold"].startswith("study: base model above 50%")
    assert comments["exh_rule"].startswith("exh: panel_mean")
    assert param_docs.field_comments(BlockComment) == {"rule": "how the rule reads: here, on two lines"}
    assert param_docs.field_help(TiersParams, "irt_model").endswith("(rasch | 2pl)")


def parse(stage: str, argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(exit_on_error=False)
    parser.add_argument("--out")
    stage_cli.add_params_options(parser, stage)
    return parser.parse_args(argv)


def test_no_flag_means_the_models_defaults():
    for stage in STAGES:
        assert stage_cli.params_from_args(parse(stage, []), stage) == STAGES[stage].model()()


def test_file_then_flags_then_set_win_in_that_order(tmp_path):
    params = tmp_path / "p.yaml"
    params.write_text("tiers:\n  exh_rule: every_model\n  seed: 1\n  ks: [2]\n")
    args = parse(
        "tiers",
        ["--params", str(params), "--seed", "2", "--base-models", "a,b", "--ks", "2,8", "--set", "tiers.seed=3"],
    )
    got = stage_cli.params_from_args(args, "tiers")
    assert (got.exh_rule, got.seed, got.base_models, got.ks) == ("every_model", 3, ["a", "b"], [2, 8])
    flat = tmp_path / "flat.json"
    flat.write_text('{"irt_model": "2pl"}')  # a flat JSON block, as write_params writes one
    assert stage_cli.params_from_args(parse("tiers", ["--params", str(flat)]), "tiers").irt_model == "2pl"


def test_a_flag_the_command_already_uses_stays_settable_with_set():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", help="the command's own --seed")
    stage_cli.add_params_options(parser, "tiers")
    args = parser.parse_args(["--seed", "x", "--set", "seed=5"])
    assert args.seed == "x" and stage_cli.params_from_args(args, "tiers").seed == 5
