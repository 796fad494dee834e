"""Params: merge order, overrides, YAML read with key lines, hashing (bad params: tests/test_bad_inputs.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError, model_validator

from ladder.params import ParamsError, StageParams, load_plan, params_hash, read_yaml, validate_block
from ladder.sample import SampleParams
from tests.fixtures import stages as fx


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def params_dir(tmp_path):
    write(tmp_path, "profiles/p.yaml", "experiments: [a]\npanel: [total]\ncommon:\n  value: 7\ndouble:\n  factor: 3\n")
    write(tmp_path, "experiments/a.yaml", "stages: [make, double]\nmake:\n  sleep_s: 0.5\n")
    write(tmp_path, "experiments/sub/b.yaml", "stages: [make]\ncommon:\n  value: 9\n")
    return tmp_path


def plan(params_dir, experiments=None, overrides=None, profile="p"):
    return load_plan(profile, experiments, overrides, stages=fx.STAGES, params_dir=params_dir)


def by_key(p):
    return {(r.experiment, r.stage): r for r in p.requests}


def test_merge_order_profile_experiment_override(params_dir):
    p = by_key(plan(params_dir, ["a", "b"], ["double.factor=5"]))
    assert p[("a", "make")].params.value == 7  # profile common
    assert p[("a", "make")].params.sleep_s == 0.5  # experiment block
    assert p[("b", "make")].params.value == 9  # experiment common beats profile common
    assert p[("a", "double")].params.factor == 5  # command line beats profile
    assert ("_panel", "total") in p
    assert p[("a", "double")].origins["factor"] == "command line (--set double.*)"
    assert p[("a", "make")].origins["sleep_s"].endswith("experiments/a.yaml:3")


def test_default_experiments_come_from_profile(params_dir):
    assert plan(params_dir).experiments == ["a"]


def test_anchors_aliases_and_merge_keys_are_plain_yaml(params_dir):
    # Errors for a key given twice must not fire on YAML's own ways of repeating a value.
    write(
        params_dir,
        "experiments/a.yaml",
        "stages: [make, double]\nmake: &m\n  value: 2\n  sleep_s: 0.5\ndouble:\n  factor: 4\n"
        "common:\n  <<: *m\n  value: 5\n",
    )
    p = by_key(plan(params_dir))
    assert (p[("a", "make")].params.value, p[("a", "double")].params.factor) == (2, 4)
    assert p[("a", "make")].origins["value"].endswith("experiments/a.yaml:3")
    source = read_yaml(params_dir / "experiments/a.yaml")
    assert (source.where("common", "value"), source.where("common", "sleep_s")) == (
        f"{source.path}:9",  # its own key wins over the merged one
        f"{source.path}:4",  # merged from the anchor
    )


def test_a_source_knows_the_line_of_every_key_and_list_item(tmp_path):
    path = write(tmp_path, "x.yaml", "a:\n  b: 1\n  c:\n    - d: 2\n    - 3\n")
    source = read_yaml(path)
    assert source.data == {"a": {"b": 1, "c": [{"d": 2}, 3]}}
    assert (source.where("a", "b"), source.where("a", "c", "1"), source.where("a", "c", "0", "d")) == (
        f"{path}:2",
        f"{path}:5",
        f"{path}:4",
    )
    assert source.nearest(("a", "c", "7", "e")) == f"{path}:3"


def test_checks_across_fields_pass_good_values_through():
    params = SampleParams(n=2, temperature=0.0, prompt_template="Q: {problem}")
    assert (params.n, params.template_text()) == (2, "Q: {problem}")
    with pytest.raises(ValueError, match=r"n must be >= 1 \(got 0\); temperature must be >= 0"):
        SampleParams(n=0, temperature=-1)  # built directly (a notebook): the texts, joined


class Window(StageParams):
    low: int = 0
    high: int = 10

    @model_validator(mode="after")
    def _ordered(self):
        if self.low > self.high:
            raise ValueError(f"low must be <= high (got {self.low} > {self.high})")  # a plain check, no FieldProblems
        return self


def test_a_plain_check_across_fields_is_placed_by_the_fields_it_mentions():
    with pytest.raises(ParamsError) as err:
        validate_block(Window, {"low": 11}, {"low": "x.yaml:4"})
    assert "x.yaml:4: key 'low', key 'high' (default 10): low must be <= high (got 11 > 10)" in str(err.value)


def test_params_are_frozen_and_hash_is_stable(params_dir):
    req = by_key(plan(params_dir))[("a", "make")]
    with pytest.raises(ValidationError, match="frozen"):
        req.params.value = 3
    assert params_hash({"a": 1, "b": [1, 2]}) == params_hash({"b": [1, 2], "a": 1})
    assert params_hash({"a": 1}) != params_hash({"a": 2})


def test_a_reference_brings_in_the_experiment_it_names(params_dir):
    write(params_dir, "experiments/c.yaml", 'stages: [make, double]\ndouble:\n  add_from: "@b/make"\n')
    assert plan(params_dir, ["c"]).experiments == ["b", "c"]
