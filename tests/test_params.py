"""Params: merge order, validation errors that name file, line and key, overrides, hashing."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from ladder.params import ParamsError, load_plan, params_hash, read_yaml
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


def test_unknown_key_names_file_line_and_accepted_keys(params_dir):
    write(params_dir, "experiments/a.yaml", "stages: [make, double]\nmake:\n  valeu: 3\n")
    with pytest.raises(ParamsError) as err:
        plan(params_dir)
    msg = str(err.value)
    assert "experiments/a.yaml:3" in msg and "'make.valeu'" in msg
    assert "did you mean 'value'" in msg and "fail, sleep_s, train_steps, value" in msg


def test_wrong_type_names_file_line_and_key(params_dir):
    write(params_dir, "profiles/p.yaml", "experiments: [a]\ndouble:\n  factor: three\n")
    with pytest.raises(ParamsError) as err:
        plan(params_dir)
    msg = str(err.value)
    assert "profiles/p.yaml:3" in msg and "key 'factor'" in msg and "'three'" in msg


def test_unknown_top_level_and_common_keys(params_dir):
    write(params_dir, "experiments/a.yaml", "stages: [make]\nmkae:\n  value: 1\n")
    with pytest.raises(ParamsError, match=r"a.yaml:2: unknown key 'mkae' \(did you mean 'make'\?\)"):
        plan(params_dir)
    write(params_dir, "experiments/a.yaml", "stages: [make]\ncommon:\n  nope: 1\n")
    with pytest.raises(ParamsError, match=r"a.yaml:3: unknown key 'common.nope'"):
        plan(params_dir)


def test_bad_overrides(params_dir):
    with pytest.raises(ParamsError, match="expected STAGE.KEY=VALUE"):
        plan(params_dir, overrides=["factor=2"])
    with pytest.raises(ParamsError, match="unknown block 'dubble'"):
        plan(params_dir, overrides=["dubble.factor=2"])
    with pytest.raises(ParamsError, match=r"override 'double.fcator': unknown key \(did you mean 'factor'\?\)"):
        plan(params_dir, overrides=["double.fcator=2"])
    with pytest.raises(ParamsError, match="key 'factor'"):
        plan(params_dir, overrides=["double.factor=[1, 2]"])


def test_stage_list_and_blocks_must_agree(params_dir):
    write(params_dir, "experiments/a.yaml", "stages: [make]\ndouble:\n  factor: 2\n")
    with pytest.raises(ParamsError, match="block 'double' given but 'double' is not in 'stages'"):
        plan(params_dir)
    write(params_dir, "experiments/a.yaml", "stages: [make, tripple]\n")
    with pytest.raises(ParamsError, match="unknown stage 'tripple'"):
        plan(params_dir)
    write(params_dir, "experiments/a.yaml", "make:\n  value: 1\n")
    with pytest.raises(ParamsError, match="'stages' must list"):
        plan(params_dir)


def test_missing_files_and_bad_yaml(params_dir):
    with pytest.raises(ParamsError, match="profile 'q': no file .*Known profiles: p"):
        plan(params_dir, profile="q")
    with pytest.raises(ParamsError, match="experiment 'c': no file"):
        plan(params_dir, ["c"])
    write(params_dir, "experiments/a.yaml", "stages: [make\n")
    with pytest.raises(ParamsError, match="a.yaml: not valid YAML"):
        plan(params_dir)
    write(params_dir, "experiments/sub2/a.yaml", "stages: [make]\n")
    with pytest.raises(ParamsError, match="defined twice"):
        plan(params_dir)


def test_yaml_is_safe_loaded(tmp_path):
    path = write(tmp_path, "x.yaml", "a: !!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(ParamsError, match="not valid YAML"):
        read_yaml(path)


def test_params_are_frozen_and_hash_is_stable(params_dir):
    req = by_key(plan(params_dir))[("a", "make")]
    with pytest.raises(ValidationError, match="frozen"):
        req.params.value = 3
    assert params_hash({"a": 1, "b": [1, 2]}) == params_hash({"b": [1, 2], "a": 1})
    assert params_hash({"a": 1}) != params_hash({"a": 2})


def test_references_must_name_an_existing_stage(params_dir):
    write(params_dir, "experiments/c.yaml", 'stages: [make, double]\ndouble:\n  add_from: "@b/double"\n')
    with pytest.raises(ParamsError, match="'b' has no stage 'double'"):
        plan(params_dir, ["c"])
    write(params_dir, "experiments/c.yaml", 'stages: [make, double]\ndouble:\n  add_from: "@b"\n')
    with pytest.raises(ParamsError, match="expected @EXPERIMENT/STAGE"):
        plan(params_dir, ["c"])
    write(params_dir, "experiments/c.yaml", 'stages: [make, double]\ndouble:\n  add_from: "@b/make"\n')
    assert plan(params_dir, ["c"]).experiments == ["b", "c"]
