"""SLURM launch scripts: rendered from the profiles, valid bash, resources that follow the work, one experiment per task.

The scripts running on a real SLURM is tests/test_slurm.py; here they are read and run as plain bash."""

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
    assert _sbatch(written["panel.sbatch"].read_text(), "partition") == "gpu"
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
    assert done.stdout.splitlines()[-2] == f"ladder run --profile paper --exp {experiments[3]} --task --no-book"


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
    assert len(re.findall(r"sbatch --parsable --array=[\d,]+%8 array_\dn\dg.sbatch", text)) == 3
    assert re.search(r'--dependency="afterok:.*jobs.*" --kill-on-invalid-dep=yes panel.sbatch', text)
    panel = written["panel.sbatch"].read_text()
    assert "run tiers strategies ablations --profile paper" in panel and "--gres" not in panel


def test_an_experiment_that_reads_another_waits_on_that_task(tmp_path):
    written = launch.write_launch_scripts(load_plan("smoke"), tmp_path, ladder="echo ladder")
    text = written["submit.sh"].read_text()
    assert "sbatch --parsable --array=0%8 array_1n0g.sbatch" in text  # smoke_base alone: smoke_sft reads its model
    assert "--array=1 --dependency=afterok:${task[smoke_base]} --kill-on-invalid-dep=yes array_1n0g.sbatch" in text
    subprocess.run(["bash", "-n", str(written["submit.sh"])], check=True)


@pytest.mark.parametrize(
    ("profile", "gpus"), [("paper", True), ("single_gpu", True), ("smoke", False), ("laptop", False)]
)
def test_gpus_only_where_the_profile_computes_on_cuda(profile, gpus, tmp_path):
    written = launch.write_launch_scripts(load_plan(profile), tmp_path)
    requested = [p for n, p in written.items() if n.startswith("array_") and "--gres=gpu:" in p.read_text()]
    assert bool(requested) == gpus


def test_cluster_block_and_flags_set_what_each_job_asks_for(tmp_path):
    plan = load_plan("laptop", ["base"])
    written = launch.write_launch_scripts(plan, tmp_path, account="proj42", qos="high", constraint="avx512", mem="6G")
    text = written["array_1n0g.sbatch"].read_text()
    assert (_sbatch(text, "cpus-per-task"), _sbatch(text, "mem"), _sbatch(text, "time")) == ("2", "6G", "02:00:00")
    assert (_sbatch(text, "account"), _sbatch(text, "qos"), _sbatch(text, "constraint")) == (
        "proj42",
        "high",
        "avx512",
    )
    paper = launch.write_launch_scripts(load_plan("paper", ["eval_qwq_32b"]), tmp_path / "p")["array_1n8g.sbatch"]
    assert (_sbatch(paper.read_text(), "cpus-per-task"), _sbatch(paper.read_text(), "mem")) == ("32", "0")
    cpu = launch.write_launch_scripts(load_plan("paper", ["eval_qwq_32b"]), tmp_path / "c", device="cpu")
    assert "array_1n0g.sbatch" in cpu


def test_a_cpu_profile_gets_a_gpu_only_where_a_stage_says_cuda(tmp_path):
    plan = load_plan("smoke", ["smoke_base"], ["sample.device=cuda"])
    assert "array_1n1g.sbatch" in launch.write_launch_scripts(plan, tmp_path)


def test_overrides_travel_into_every_job(tmp_path):
    plan = load_plan("paper", ["eval_qwq_32b"], ["sample.dtype=bfloat16"])
    written = launch.write_launch_scripts(plan, tmp_path, overrides=["sample.dtype=bfloat16"], ladder="echo ladder")
    assert "--set sample.dtype=bfloat16" in written["array_1n8g.sbatch"].read_text()


def test_launch_command_writes_the_scripts(tmp_path, capsys):
    assert cli.main(["launch", "--profile", "single_gpu", "--out", str(tmp_path)]) == 0
    assert "submit everything: bash" in capsys.readouterr().out
    assert cli.main(["launch", "--profile", "single_gpu", "--out", str(tmp_path), "--time", "1 day"]) == 2
    assert "--time: key 'time': time must be SLURM time" in capsys.readouterr().err
    text = (tmp_path / "array_1n1g.sbatch").read_text()
    assert _sbatch(text, "gres") == "gpu:1" and "sg_diverse_4k_lg" in text
