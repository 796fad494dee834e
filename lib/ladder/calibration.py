"""The mini-ladder's health at a glance: is the laptop world one in which the study's mechanism can show?

The laptop profile's world (``ladder.synthetic``, the committed base ``models/tiny-instruct``) is designed so
that a one-line "instruct" base solves one-step problems, writes correct multi-step traces only when asked,
and SFT makes those traces its habit. A k-step problem then succeeds with about p^k, p the per-step accuracy
in the trace format, so p is the number to watch. This module measures, from a run's own files:

- the SFT model's first and last training loss (a first loss near ln(vocabulary) means the traces were a
  new language to the base, not a latent skill);
- per-step accuracy in the trace format: the base asked for a worked solution (benchmark
  ``synthetic_worked``) and the SFT model answering plain questions; a step counts when every step before
  it was right, so p^k is comparable with end-to-end accuracy, and a wrong step is a misread (wrong
  operation or operand taken from the text) or an arithmetic slip (right operands, wrong result);
- avg@n and cov@n per level, and the share of samples that stop with a parseable answer.

Usage::

    python -m ladder.calibration --profile laptop --sft sft_n1000     # after `make reproduce`
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import pandas as pd

from ladder import corrections, grade, paths, store, synthetic, synthetic_trajectories
from ladder.sample import SampleParams, run_sampling
from ladder.sample.stage import checkpoint_fingerprint
from ladder.sft_pool import THINK_CLOSE
from ladder.train import read_train_log


def trace_equations(response: str) -> list[str]:
    """The step equations of a trace in order (``ladder.corrections.written_steps``): R1 "Step i:" lines, else
    Gemini's "; "-joined equations; a step that its check redid ("Redo: 5 + 9 = 14.") counts as its redo, since
    the trace goes on from there. A step line without an equation counts as what it says."""
    think = response.split(THINK_CLOSE, 1)[0]
    return [step.final or step.text for step in corrections.written_steps(think)]


def step_outcomes(response: str, problem: synthetic.Problem) -> list[str]:
    """One outcome per step attempted until the first wrong one: ``ok``, ``misread`` or ``arithmetic``.

    A step that is missing (the trace stopped early) counts as ``missing``.
    """
    written = trace_equations(response)
    outcomes = []
    for k, step in enumerate(problem.steps):
        if k >= len(written):
            outcomes.append("missing")
            break
        if written[k] == step.equation:
            outcomes.append("ok")
            continue
        match = corrections.EQUATION.fullmatch(written[k])
        same_operands = match is not None and f"{match.group(1)} {match.group(2)} {match.group(3)}" == (
            f"{step.a} {step.operation}"
        )
        outcomes.append("arithmetic" if same_operands else "misread")
        break
    return outcomes


def step_accuracy(samples: pd.DataFrame, problems: list[synthetic.Problem] | None = None) -> pd.Series:
    """Per-step accuracy p (steps right given every earlier step right) and the share of each error kind.

    ``samples`` needs ``question_id`` and ``response``; only multi-step problems without the held-out
    operation count (a one-step trace says little about chaining, and the held-out step is unknowable).
    """
    by_id = {p.problem_id: p for p in problems or synthetic.evaluation_problems()}
    counts = {"ok": 0, "misread": 0, "arithmetic": 0, "missing": 0}
    for qid, response in zip(samples["question_id"], samples["response"], strict=True):
        problem = by_id.get(str(qid))
        if problem is None or problem.n_steps < 2 or any(s.op == synthetic.NOVEL_OP for s in problem.steps):
            continue
        for outcome in step_outcomes(str(response), problem):
            counts[outcome] += 1
    attempts = sum(counts.values())
    share = {k: (v / attempts if attempts else math.nan) for k, v in counts.items()}
    return pd.Series(
        {
            "per_step_accuracy": share["ok"],
            "misread": share["misread"],
            "arithmetic": share["arithmetic"],
            "missing": share["missing"],
            "steps_scored": attempts,
        }
    )


def level_table(graded: pd.DataFrame) -> pd.DataFrame:
    """avg@n and cov@n per level of the mini-ladder, and the share of samples that stopped with an answer."""
    levels = synthetic.evaluation_set()[["question_id", "level"]]
    frame = graded.merge(levels, on="question_id")
    per_question = frame.groupby(["level", "question_id"])["correct"].mean()
    table = pd.DataFrame(
        {
            "avg@n": per_question.groupby("level").mean(),
            "cov@n": (per_question > 0).groupby("level").mean(),
        }
    ).reindex(list(synthetic.LEVELS))
    answered = (frame["finish_reason"] == "stop") & frame["extracted_answer"].notna()
    if "unfinished" in frame:  # a think block never closed: no final answer (graded files before it lack the flag)
        answered &= ~frame["unfinished"].astype(bool)
    table.loc["all", ["avg@n", "cov@n"]] = [frame["correct"].mean(), math.nan]
    table["stopped_with_answer"] = math.nan
    table.loc["all", "stopped_with_answer"] = answered.mean()
    return table


def first_and_last_loss(train_dir: str | Path) -> dict[str, float]:
    """The first and last logged training loss of a train stage folder (``train_log.jsonl``)."""
    log = read_train_log(train_dir)
    losses = log["loss"].dropna().tolist() if "loss" in log else []
    if not losses:
        raise ValueError(f"{train_dir}/train_log.jsonl: no logged loss")
    return {"first_loss": losses[0], "last_loss": losses[-1]}


def worked_samples(
    model_path: str | Path, out_dir: str | Path, n: int = 8, temperature: float = 1.0, max_new_tokens: int = 340
) -> pd.DataFrame:
    """Sample a model on ``synthetic_worked`` (the evaluation set with the worked-solution request), resumable.

    340 new tokens by default: the laptop's longest trajectory is 296, and its longest request fits the 512 positions
    of the laptop base.
    """
    params = SampleParams(
        model=str(model_path),
        backend="hf",
        benchmark="synthetic_worked",
        prompt_template="raw",
        n=n,
        temperature=temperature,
        max_new_tokens=max_new_tokens,
        batch_size=64,
        cpu_threads=2,
    )
    return run_sampling(
        params,
        synthetic_trajectories.worked_evaluation_set(),
        out_dir,
        str(model_path),
        model_name="base_worked",
        progress=False,
    )


def health(
    profile: str = "laptop",
    base: str = "base",
    sft: str = "sft_n1000",
    runs_dir: Path | None = None,
    n: int = 8,
    max_new_tokens: int = 340,
) -> dict:
    """Every health number of the last run of ``profile``: losses, per-step accuracy, per-level tables.

    The base is sampled (``n`` samples, T = 1) on ``synthetic_worked`` into ``runs/<profile>/_calibration``, once per
    checkpoint: a second call reads what the first wrote.
    """
    dirs = {key: Path(r["dir"]) for key, r in store.finished_stages(profile, runs_dir).items()}
    report: dict = {}
    for name in (base, sft):
        if (name, "grade") not in dirs:
            raise FileNotFoundError(f"{store.last_run_path(profile, runs_dir)}: no finished grade stage of '{name}'")
    graded = {name: pd.read_parquet(dirs[name, "grade"] / "graded.parquet") for name in (base, sft)}
    report["levels"] = {name: level_table(frame) for name, frame in graded.items()}
    report["steps"] = {f"{sft} (plain question)": step_accuracy(graded[sft])}
    if (sft, "train") in dirs:
        report["sft_loss"] = first_and_last_loss(dirs[sft, "train"])
    base_model = _base_model_path(dirs, base)
    revision = checkpoint_fingerprint(base_model).removeprefix("local:")[:10]  # a rebuilt base: a folder of its own
    worked_dir = (runs_dir or paths.RUNS_DIR) / profile / "_calibration" / f"{base}_worked-{revision}-n{n}"
    samples = worked_samples(base_model, worked_dir, n=n, max_new_tokens=max_new_tokens)
    worked = grade.grade_frame(samples)
    report["levels"][f"{base} (asked to work it out)"] = level_table(worked)
    report["steps"][f"{base} (asked to work it out)"] = step_accuracy(samples)
    return report


def _base_model_path(dirs: dict[tuple[str, str], Path], base: str) -> str:
    """The base's checkpoint: what its train stage wrote, or the model its sample stage read."""
    if (base, "train") in dirs:
        return str(dirs[base, "train"] / "model")
    model = Path(store.read_json(dirs[base, "sample"] / "params.json")["params"]["model"])
    return str(model if model.is_absolute() else paths.ROOT / model)


def report_text(report: dict, sft: str) -> str:
    """The health report as the command prints it."""
    lines = []
    if "sft_loss" in report:
        loss = report["sft_loss"]
        lines.append(f"{sft}: first SFT loss {loss['first_loss']:.3f}, last {loss['last_loss']:.3f} nats/token")
    lines.append(
        "\nper-step accuracy in the trace format (multi-step questions; a step counts when all before it were right)"
    )
    lines.append(pd.DataFrame(report["steps"]).T.round(3).to_string())
    for name, table in report["levels"].items():
        lines.append(f"\n{name}: per level (T = 1)")
        lines.append(table.round(3).to_string())
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ladder.calibration", description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="laptop")
    parser.add_argument("--base", default="base", help="the base experiment (default: base)")
    parser.add_argument("--sft", default="sft_n1000", help="the SFT experiment to look at (default: sft_n1000)")
    args = parser.parse_args(argv)
    pd.set_option("display.width", 160)
    print(report_text(health(args.profile, args.base, args.sft), args.sft))
    return 0


if __name__ == "__main__":
    sys.exit(main())
