"""Compute estimate: tokens, FLOPs and GPU-hours of every experiment of a plan, before anything starts.

Per experiment:

* tokens to train = examples x mean tokens per example x epochs (or max_steps x effective batch x mean
  tokens). The mean is the curate manifest's (``token_lengths.dataset.mean``) when that stage already ran,
  else a stated assumption per source and length (:data:`TRAJECTORY_TOKENS`), plus the prompt around it;
* tokens to generate = questions x n x expected new tokens per sample (an assumption, capped by
  ``max_new_tokens``), and the upper bound questions x n x max_new_tokens;
* FLOPs = 6 x params x train tokens and 2 x params x generated tokens (the dense-transformer rule; it leaves
  out attention over long contexts, which adds about 12 x layers x context x width per token: +20-40% at
  16-32K tokens for Qwen2.5-32B, more for small models);
* GPU-hours = FLOPs / (peak FLOP/s x utilisation). Peaks are an H100 SXM's dense figures (bf16 989 TFLOP/s;
  fp32 67 TFLOP/s, what a float32 vLLM engine gets: no TF32). Utilisation (MFU) is a parameter: training
  with FSDP at long context reaches about 35%; decoding is memory-bound and reaches a few percent.

Usage::

    ladder estimate --profile paper       # every experiment, as a table; also runs/paper/compute_estimate.csv
    ladder estimate --profile single_gpu --exp sg_base --train-mfu 0.4 --out runs/single_gpu/compute.csv

    from ladder import compute
    table = compute.estimate_plan(load_plan("paper"))
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from pydantic import Field

from ladder import paths, synthetic, tiny_model
from ladder.params import PANEL, ParamsError, Plan, StageParams, add_plan_arguments, plan_from_arguments
from ladder.prepare import prepare

# Parameter counts of the models the profiles name, counted from each model's config.json (embeddings and
# untied output layer included). Fine-tunes have their base's count.
QWEN25_PARAMS = {
    "0.5B": 494_032_768,
    "1.5B": 1_543_714_304,
    "3B": 3_085_938_688,
    "7B": 7_615_616_512,
    "14B": 14_770_033_664,
    "32B": 32_763_876_352,
    "72B": 72_706_203_648,
}
MODEL_PARAMS = {
    **{f"Qwen/Qwen2.5-{size}-Instruct": count for size, count in QWEN25_PARAMS.items()},
    **{f"Qwen/Qwen2.5-{size}": count for size, count in QWEN25_PARAMS.items()},
    "Qwen/QwQ-32B": QWEN25_PARAMS["32B"],
    "simplescaling/s1-32B": QWEN25_PARAMS["32B"],
    "simplescaling/s1.1-32B": QWEN25_PARAMS["32B"],
    "GAIR/LIMO": QWEN25_PARAMS["32B"],
    "RUC-AIBOX/STILL-3-TOOL-32B": QWEN25_PARAMS["32B"],
    "open-thoughts/OpenThinker-32B": QWEN25_PARAMS["32B"],
    "open-thoughts/OpenThinker2-32B": QWEN25_PARAMS["32B"],
    # Mixture of experts: 671B in total, 37B active per token; the FLOPs per token follow the active ones.
    "deepseek-ai/DeepSeek-R1": 37_000_000_000,
}
# Hub organisations whose every model is a fine-tune of one base (the study's released models).
ORG_PARAMS = {"sunyiyou": QWEN25_PARAMS["32B"]}

# Mean trajectory tokens (Qwen2.5 tokenizer) per source/length, used until the curate stage has measured them.
# Assumptions, not measurements: OpenR1-Math-220k R1 traces average about 5K tokens and were generated with a
# 16K budget (so the 1K longest of a category sit near it); s1K-1.1's R1 traces are longer than s1K's Gemini ones.
TRAJECTORY_TOKENS = {
    "openr1/normal": 5_000,
    "openr1/short": 1_500,
    "openr1/long": 12_000,
    "s1k/gemini": 4_000,
    "s1k-1.1/r1": 9_000,
    "s1k-1.1/gemini": 4_000,
    "synthetic": 100,
}
# Questions per benchmark (when question_ids does not list them).
BENCHMARK_QUESTIONS = {"aime24": 30, "aime25": 30, "math500": 500}


class ComputeAssumptions(StageParams):
    """What the estimate assumes; every number in the table follows from these and the plan's params."""

    gpu: str = "H100 SXM"  # the GPU the peaks below belong to
    peak_flops_bf16: float = Field(989e12, gt=0)  # dense bf16/fp16 tensor-core peak, FLOP/s per GPU
    peak_flops_fp32: float = Field(67e12, gt=0)  # fp32 peak (no TF32), FLOP/s per GPU: float32 sampling
    train_mfu: float = Field(0.35, gt=0, le=1)  # fraction of peak training reaches (FSDP, long sequences)
    sample_mfu: float = Field(0.05, gt=0, le=1)  # fraction of peak decoding reaches (memory-bound)
    expected_new_tokens: int = Field(12_000, ge=1)  # mean tokens per sample of a long-CoT model on AIME24
    prompt_tokens: int = Field(200, ge=0)  # per training example: problem + chat template around the trajectory
    trajectory_tokens: dict[str, int] = dict(TRAJECTORY_TOKENS)  # "<source>/<length|style>" -> mean tokens


class ComputeError(ValueError):
    """The estimate cannot be made: e.g. a model whose size is unknown and has no config.json here."""


def count_parameters(model: str) -> tuple[float, str]:
    """Parameters of ``model`` and where the number came from: table, org rule, name, or config.json of a path.

    A local folder (or a ``tiny:`` preset already built) is read from its ``config.json`` by building the model
    on the meta device (no weights are allocated), so the count is exactly what ``from_pretrained`` would load.
    """
    if model in MODEL_PARAMS:
        return float(MODEL_PARAMS[model]), "table"
    local = Path(model)
    if model.startswith(tiny_model.TINY_PREFIX):
        return math.nan, "tiny model, built on first use"
    if model.startswith("@"):
        return math.nan, "output of a stage not yet run"
    if (local / "config.json").is_file():
        return float(_params_from_config(local)), "config.json"
    org = model.split("/", 1)[0] if "/" in model else ""
    if org in ORG_PARAMS:
        return float(ORG_PARAMS[org]), f"org {org}"
    match = re.search(r"(\d+(?:\.\d+)?)B\b", model)
    if match:
        return float(match.group(1)) * 1e9, "from the name"
    return math.nan, "unknown"


def _params_from_config(folder: Path) -> int:
    # torch, transformers and accelerate take seconds to import: only for a local model folder's count
    from accelerate import init_empty_weights
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(folder)
    with init_empty_weights():
        model = AutoModelForCausalLM.from_config(config)
    model.tie_weights()  # shared input/output embeddings count once, as from_pretrained loads them
    return model.num_parameters()


def _questions(sample: Mapping) -> float:
    if sample.get("question_ids"):
        return float(len(sample["question_ids"]))
    name = sample.get("benchmark", "")
    if name in BENCHMARK_QUESTIONS:
        return float(BENCHMARK_QUESTIONS[name])
    if name == "synthetic":
        return float(len(synthetic.evaluation_set()))
    return math.nan


def _trajectory_tokens(curate: Mapping, assumptions: ComputeAssumptions) -> float:
    source = curate.get("source", "openr1")
    for key in (f"{source}/{curate.get('length', 'normal')}", f"{source}/{curate.get('style', 'r1')}", source):
        if key in assumptions.trajectory_tokens:
            return float(assumptions.trajectory_tokens[key])
    return math.nan


def _manifest_mean(folder: Path | None) -> float | None:
    manifest = folder / "manifest.json" if folder is not None else None
    if manifest is None or not manifest.is_file():
        return None
    lengths = json.loads(manifest.read_text()).get("token_lengths", {}).get("dataset", {})
    return float(lengths["mean"]) if "mean" in lengths else None


def estimate_experiment(
    stages: Mapping[str, Mapping], assumptions: ComputeAssumptions, curate_dir: Path | None = None
) -> dict:
    """One experiment's row from its stage params (stage -> params dict); ``curate_dir`` may hold a manifest."""
    a = assumptions
    curate, train, sample = stages.get("curate"), stages.get("train"), stages.get("sample")
    row: dict = {}
    model = (train or {}).get("model") or (sample or {}).get("model", "")
    params, params_source = count_parameters(model) if model else (math.nan, "no model")
    row.update(model=model, params_b=params / 1e9, params_source=params_source)

    if train is not None:
        examples = float(curate["n"]) if curate is not None else math.nan
        measured = _manifest_mean(curate_dir)
        trajectory = measured if measured is not None else (_trajectory_tokens(curate, a) if curate else math.nan)
        mean_tokens = min(trajectory + a.prompt_tokens, float(train["max_length"]))
        if train.get("max_steps", -1) > 0:
            epochs = train["max_steps"] * train["effective_batch_size"] / examples
        else:
            epochs = float(train["epochs"])
        train_tokens = examples * mean_tokens * epochs
        train_flops = 6 * params * train_tokens
        peak = a.peak_flops_bf16 if train.get("bf16", "auto") in (True, "auto") else a.peak_flops_fp32
        gpus = int(train.get("num_processes", 1)) * int(train.get("num_nodes", 1))
        gpu_hours = train_flops / (peak * a.train_mfu) / 3600
        row.update(
            train_examples=examples,
            mean_tokens=mean_tokens,
            mean_tokens_source="manifest" if measured is not None else "assumed",
            epochs=epochs,
            train_tokens=train_tokens,
            train_flops=train_flops,
            train_gpus=gpus,
            train_gpu_hours=gpu_hours,
            train_wall_hours=gpu_hours / gpus,
        )
    if sample is not None:
        questions, n, budget = _questions(sample), int(sample["n"]), int(sample["max_new_tokens"])
        expected = min(a.expected_new_tokens, budget)
        gen_tokens, gen_tokens_max = questions * n * expected, questions * n * budget
        remote = sample.get("backend") == "openai"
        peak = a.peak_flops_fp32 if sample.get("dtype") == "float32" else a.peak_flops_bf16
        gpus = int(sample.get("tensor_parallel_size", 1)) * int(sample.get("data_parallel_size", 1))
        rate = peak * a.sample_mfu * 3600
        row.update(
            questions=questions,
            n=n,
            expected_new_tokens=expected,
            max_new_tokens=budget,
            gen_tokens=gen_tokens,
            gen_tokens_max=gen_tokens_max,
            gen_flops=2 * params * gen_tokens,
            sample_gpus=math.nan if remote else gpus,
            sample_gpu_hours=math.nan if remote else 2 * params * gen_tokens / rate,
            sample_gpu_hours_max=math.nan if remote else 2 * params * gen_tokens_max / rate,
        )
        row["sample_wall_hours"] = row["sample_gpu_hours"] / gpus
        if remote:
            row["note"] = "sampled by a remote endpoint: tokens only"
    row["gpu_hours"] = sum(v for v in (row.get("train_gpu_hours"), row.get("sample_gpu_hours")) if _finite(v))
    return row


def _finite(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


COLUMNS = (
    "experiment model params_b params_source train_examples mean_tokens mean_tokens_source epochs train_tokens "
    "train_flops train_gpus train_gpu_hours train_wall_hours questions n expected_new_tokens max_new_tokens gen_tokens "
    "gen_tokens_max gen_flops sample_gpus sample_gpu_hours sample_gpu_hours_max sample_wall_hours gpu_hours note"
).split()
# Columns the total row adds up.
SUMMED = (
    "train_tokens train_flops train_gpu_hours gen_tokens gen_tokens_max gen_flops sample_gpu_hours "
    "sample_gpu_hours_max gpu_hours"
).split()


def estimate_plan(
    plan: Plan, assumptions: ComputeAssumptions | None = None, runs_dir: Path | None = None
) -> pd.DataFrame:
    """One row per experiment of ``plan`` (:func:`estimate_experiment`) and a final ``total`` row.

    Stage folders are located as the runner would (``ladder.prepare.prepare``) so a curate stage that already ran
    gives its measured mean tokens; nothing is downloaded.
    """
    assumptions = assumptions or ComputeAssumptions()
    by_exp: dict[str, dict[str, Mapping]] = {}
    curate_dirs: dict[str, Path] = {}
    for item in prepare(plan, runs_dir=runs_dir):
        exp = item.request.experiment
        if exp == PANEL:
            continue
        # item.parameters has references (@exp/stage/path) resolved to folders, which may hold a config.json
        by_exp.setdefault(exp, {})[item.stage.name] = item.parameters
        if item.stage.name == "curate":
            curate_dirs[exp] = item.final
    rows = [
        {"experiment": exp, **estimate_experiment(st, assumptions, curate_dirs.get(exp))} for exp, st in by_exp.items()
    ]
    table = pd.DataFrame(rows).reindex(columns=COLUMNS)
    total = {"experiment": "total", **{c: table[c].sum(min_count=1) for c in SUMMED}}
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


ESTIMATE_FILE = "compute_estimate.csv"


def record_estimate(plan: Plan, runs_dir: Path | None = None) -> tuple[pd.DataFrame, Path]:
    """Estimate ``plan`` before it runs and write ``runs/<profile>/compute_estimate.csv`` (the book shows it)."""
    table = estimate_plan(plan, runs_dir=runs_dir)
    out = (runs_dir or paths.RUNS_DIR) / plan.profile / ESTIMATE_FILE
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False)
    return table, out


def summary_table(table: pd.DataFrame) -> pd.DataFrame:
    """The columns a reader needs, tokens in millions and FLOPs in units of 1e18, rounded for printing."""
    out = pd.DataFrame(
        {
            "experiment": table["experiment"],
            "model": table["model"].fillna(""),
            "params_B": table["params_b"].round(2),
            "train_Mtok": (table["train_tokens"] / 1e6).round(1),
            "tokens_from": table["mean_tokens_source"].fillna(""),
            "train_EFLOP": (table["train_flops"] / 1e18).round(1),
            "train_GPUh": table["train_gpu_hours"].round(1),
            "gen_Mtok": (table["gen_tokens"] / 1e6).round(2),
            "gen_Mtok_max": (table["gen_tokens_max"] / 1e6).round(2),
            "sample_GPUh": table["sample_gpu_hours"].round(1),
            "sample_GPUh_max": table["sample_gpu_hours_max"].round(1),
            "GPUh": table["gpu_hours"].round(1),
        }
    )
    return out


def assumptions_text(assumptions: ComputeAssumptions) -> str:
    """One paragraph stating what the table assumes (printed under it)."""
    a = assumptions
    return (
        f"GPU {a.gpu}: peak {a.peak_flops_bf16 / 1e12:.0f} TFLOP/s bf16 dense, {a.peak_flops_fp32 / 1e12:.0f} "
        f"TFLOP/s fp32; utilisation {a.train_mfu:.0%} training, {a.sample_mfu:.0%} sampling. Training FLOPs "
        f"6 x params x tokens, sampling 2 x params x tokens (attention over long contexts not counted). Expected "
        f"{a.expected_new_tokens:,} new tokens per sample (max_new_tokens is the upper bound, *_max columns); "
        f"mean trajectory tokens from the curate manifest where it exists, else assumed per source "
        f"({', '.join(f'{k} {v:,}' for k, v in a.trajectory_tokens.items())}) plus {a.prompt_tokens} prompt tokens."
    )


# --- command line -----------------------------------------------------------------------------------


def cmd_estimate(args: argparse.Namespace) -> int:
    """``ladder estimate``: print the compute table of a profile's experiments (and write it as CSV)."""
    try:
        given = {name: getattr(args, name) for name in ("train_mfu", "sample_mfu", "expected_new_tokens")}
        assumptions = ComputeAssumptions(**{k: v for k, v in given.items() if v is not None})
        plan = plan_from_arguments(args)
        table = estimate_plan(plan, assumptions)
    except (ParamsError, ComputeError, FileNotFoundError, ValueError) as exc:
        print(f"ladder estimate: error: {exc}", file=sys.stderr)
        return 2
    with pd.option_context("display.max_rows", None, "display.width", 200, "display.max_columns", None):
        print(summary_table(table).to_string(index=False))
    print("\n" + assumptions_text(assumptions))
    out = Path(args.out) if args.out else paths.RUNS_DIR / plan.profile / ESTIMATE_FILE
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False)
    print(f"written: {out}")
    return 0


def add_cli(sub: argparse._SubParsersAction) -> None:
    """Add ``ladder estimate``."""
    p = sub.add_parser("estimate", help="tokens, FLOPs and GPU-hours per experiment of a profile, before running")
    add_plan_arguments(p, default_profile="laptop")
    p.add_argument("--train-mfu", type=float, help="training utilisation (default 0.35)")
    p.add_argument("--sample-mfu", type=float, help="sampling utilisation (default 0.05)")
    p.add_argument("--expected-new-tokens", type=int, help="mean new tokens per sample (default 12000)")
    p.add_argument("--out", help="where to write the full table as CSV (default runs/<profile>/compute_estimate.csv)")
    p.set_defaults(func=cmd_estimate)
