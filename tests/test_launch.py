"""SLURM launch scripts: rendered from the paper profile, valid bash, and each array task picks its experiment."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from ladder import cli, launch
from ladder.params import load_plan


@pytest.fixture(scope="module")
def paper_scripts(tmp_path_factory):
    out = tmp_path_factory.mktemp("slurm")
    plan = load_plan("paper")
    # `echo` stands in for the ladder executable, so running a script prints the command it would run
    written = launch.write_launch_scripts(plan, out, partition="gpu", ladder="echo ladder")
    return plan, written


def _sbatch(text: str, key: str) -> str | None:
    match = re.search(rf"^#SBATCH --{key}=(\S+)$", text, re.M)
    return match.group(1) if match else None


def test_every_script_is_valid_bash(paper_scripts):
    _, written = paper_scripts
    for path in written.values():
        subprocess.run(["bash", "-n", str(path)], check=True)


def test_experiments_are_grouped_by_what_they_need(paper_scripts):
    plan, written = paper_scripts
    arrays = {name: path.read_text() for name, path in written.items() if name.startswith("array_")}
    assert set(arrays) == {"array_2n8g.sbatch", "array_1n8g.sbatch", "array_1n0g.sbatch"}
    listed = {name: re.findall(r"^  (\S+)$", text, re.M) for name, text in arrays.items()}
    assert sorted(sum(listed.values(), [])) == sorted(plan.experiments)  # each experiment in exactly one array
    assert listed["array_1n0g.sbatch"] == ["eval_deepseek_r1"]  # remote endpoint: no GPU requested
    assert _sbatch(arrays["array_1n0g.sbatch"], "gres") is None
    train = arrays["array_2n8g.sbatch"]
    assert (_sbatch(train, "nodes"), _sbatch(train, "gres"), _sbatch(train, "partition")) == ("2", "gpu:8", "gpu")
    assert _sbatch(train, "array") == f"0-{len(listed['array_2n8g.sbatch']) - 1}%8"
    assert "openr1_lg_20k_ep4" in listed["array_2n8g.sbatch"] and "eval_qwq_32b" in listed["array_1n8g.sbatch"]


def test_an_array_task_runs_its_own_experiment(paper_scripts):
    _, written = paper_scripts
    script = written["array_1n8g.sbatch"]
    experiments = re.findall(r"^  (\S+)$", script.read_text(), re.M)
    env = {**os.environ, "SLURM_ARRAY_TASK_ID": "3"}
    done = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == f"ladder run --profile paper --exp {experiments[3]} --no-book"


def test_sampling_script_asks_for_the_tensor_parallel_gpus_of_one_node(paper_scripts):
    _, written = paper_scripts
    text = written["sample/eval_qwq_32b"].read_text()
    assert (_sbatch(text, "nodes"), _sbatch(text, "gres")) == ("1", "gpu:8")
    done = subprocess.run(["bash", str(written["sample/eval_qwq_32b"])], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "ladder run sample grade --profile paper --exp eval_qwq_32b --no-book"
    assert _sbatch(written["sample/eval_deepseek_r1"].read_text(), "gres") is None


def test_submit_script_chains_the_panel_after_every_array(paper_scripts):
    _, written = paper_scripts
    text = written["submit.sh"].read_text()
    assert text.count("sbatch --parsable array_") == 3
    assert re.search(r'--dependency="afterok:.*ids.*" .*run tiers strategies ablations --profile paper', text)


def test_overrides_travel_into_every_job(tmp_path):
    plan = load_plan("paper", ["eval_qwq_32b"], ["sample.dtype=bfloat16"])
    written = launch.write_launch_scripts(plan, tmp_path, overrides=["sample.dtype=bfloat16"], ladder="echo ladder")
    assert "--set sample.dtype=bfloat16" in written["array_1n8g.sbatch"].read_text()


def test_launch_command_writes_the_scripts(tmp_path, capsys):
    assert cli.main(["launch", "--profile", "single_gpu", "--out", str(tmp_path)]) == 0
    assert "submit everything: bash" in capsys.readouterr().out
    text = (tmp_path / "array_1n1g.sbatch").read_text()
    assert _sbatch(text, "gres") == "gpu:1" and "sg_diverse_4k_lg" in text
