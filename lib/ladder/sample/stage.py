"""The sampling stage: questions -> requests -> a backend -> ``samples.parquet``, resumable.

The notebook 30_sample calls :func:`sample_stage`; the command line calls :func:`run_sampling`
through ``ladder sample`` (or ``python -m ladder.sample``)::

    ladder sample --params my_sample.yaml --questions aime24.jsonl --out runs/x --experiment base
    ladder sample --model runs/tiny --n 4 --set max_new_tokens=64 --questions q.jsonl --out runs/x

Files in the output folder: ``request.json`` (the run's identity), ``samples.jsonl`` (rows as they
are produced) and, once every request is done, ``samples.parquet`` (schema
``ladder.schema.SAMPLE_COLUMNS``, rows in canonical order: questions in benchmark order, samples 0..n-1).
"""

from __future__ import annotations

import argparse
import hashlib
import re
from pathlib import Path

import pandas as pd
from huggingface_hub import snapshot_download
from tqdm import tqdm

from ladder import schema, store
from ladder.benchmarks import load_benchmark
from ladder.params import ParamsError
from ladder.sample import hf_backend, openai_backend, vllm_backend
from ladder.sample.params import SampleParams
from ladder.sample.progress import SAMPLES_JSONL, ProgressLog, read_records
from ladder.sample.requests import (
    Generation,
    SampleError,
    SampleRequest,
    build_requests,
    check_questions,
    prompt_hash,
    run_identity,
    select_questions,
)
from ladder.stage_cli import add_params_options, params_from_args, run_command

SAMPLES_PARQUET = "samples.parquet"
_WHOLE_FILE_LIMIT = 64 * 2**20  # files up to this size are hashed whole for the checkpoint fingerprint
# The files of a checkpoint folder that determine the model's outputs. Everything else records where, when or how
# it was trained: training_args.bin (TRL pickles the run's output path into it), trainer_state.json, optimizer,
# scheduler and RNG states, README.md model cards, checkpoints/ subfolders.
_OUTPUT_FILES = re.compile(
    r"(.+\.safetensors|.+\.safetensors\.index\.json|pytorch_model.*\.bin|pytorch_model.*\.bin\.index\.json"
    r"|config\.json|generation_config\.json|tokenizer.*\.json|special_tokens_map\.json|added_tokens\.json"
    r"|vocab\..+|merges\.txt|.+\.model|chat_template\.(jinja|json)|adapter_config\.json)"
)


def checkpoint_fingerprint(model_dir: str | Path) -> str:
    """A revision for a local checkpoint: sha256 over the files that determine its outputs (``local:<16 hex>``).

    Counted, at the top of the folder: the weights (``*.safetensors`` and their index, ``pytorch_model*.bin``), the
    config (``config.json``, ``generation_config.json``; ``adapter_config.json`` for adapters), the tokenizer
    (``tokenizer*.json``, ``special_tokens_map.json``, ``added_tokens.json``, ``vocab.*``, ``merges.txt``,
    ``*.model``) and the chat template (``chat_template.jinja`` / ``.json``). Not counted: anything that records
    where or when the model was trained (``training_args.bin`` holds the run's output path; trainer state,
    optimizer states, model cards, subfolders), so the same weights trained in two checkouts get the same
    revision. Files up to 64 MiB are hashed whole; larger ones (weight shards of big models) by size plus their
    first and last MiB, which include the safetensors header, so fingerprinting a 64 GB checkpoint stays fast.
    """
    digest = hashlib.sha256()
    root = Path(model_dir)
    files = sorted(p for p in root.iterdir() if p.is_file() and _OUTPUT_FILES.fullmatch(p.name))
    if not any(p.name.endswith((".safetensors", ".bin")) for p in files):
        raise ValueError(f"{root}: no weights (*.safetensors or pytorch_model*.bin) in this model folder")
    for path in files:
        size = path.stat().st_size
        digest.update(f"{path.name}\x1f{size}\x1f".encode())
        with open(path, "rb") as handle:
            if size <= _WHOLE_FILE_LIMIT:
                digest.update(handle.read())
            else:
                digest.update(handle.read(2**20))
                handle.seek(size - 2**20)
                digest.update(handle.read())
    return "local:" + digest.hexdigest()[:16]


def resolve_model(params: SampleParams, input_dir: str | Path | None = None) -> tuple[str, str]:
    """(what to load: a local folder or, for openai, the served name; its revision).

    A trained model in ``input_dir/model`` wins over ``params.model``. A hub id is fetched with
    ``huggingface_hub.snapshot_download`` (cache first), whose folder name is the commit hash.
    """
    if input_dir and (Path(input_dir) / "model").is_dir():
        path = Path(input_dir) / "model"
        return str(path), checkpoint_fingerprint(path)
    if not params.model:
        raise SampleError("sample.model is empty and no trained model was found in input_dir/model; set sample.model")
    if Path(params.model).exists():
        if not (Path(params.model) / "config.json").is_file() and params.backend != "openai":
            raise SampleError(f"sample.model {params.model!r}: a folder without config.json is not an HF checkpoint")
        return params.model, checkpoint_fingerprint(params.model)
    if params.model.startswith((".", "/", "~")):
        raise SampleError(f"sample.model {params.model!r}: no such local folder")
    if params.backend == "openai" and not (params.apply_chat_template and params.openai_api == "completions"):
        return params.model, ""  # the server holds the model; nothing is needed here
    # The openai backend needs only the tokenizer (for the chat template), not the weights.
    tokenizer_files = ["*.json", "*.jinja", "*.model", "*.txt", "*.tiktoken"] if params.backend == "openai" else None
    try:
        path = snapshot_download(params.model, revision=params.revision, allow_patterns=tokenizer_files)
    except Exception as exc:
        raise SampleError(
            f"sample.model {params.model!r}@{params.revision}: cannot fetch from the hub: {exc}"
        ) from exc
    return path, Path(path).name


def read_questions(path: str | Path) -> pd.DataFrame:
    """A local questions table (jsonl, json, csv or parquet) with question_id (or id), problem, answer."""
    path = Path(path)
    if not path.is_file():
        raise SampleError(f"{path}: no such questions file")
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json"):
        frame = pd.read_json(path, lines=suffix == ".jsonl", dtype=False)
    elif suffix == ".csv":
        frame = pd.read_csv(path, dtype=str)
    elif suffix == ".parquet":
        frame = pd.read_parquet(path)
    else:
        raise SampleError(f"{path}: unknown questions format {suffix!r}; use .jsonl, .json, .csv or .parquet")
    if "question_id" not in frame.columns and "id" in frame.columns:
        frame = frame.rename(columns={"id": "question_id"})
    return check_questions(frame, str(path))


def _record(request: SampleRequest, generation: Generation, params: SampleParams, meta: dict) -> dict:
    return {
        "model": meta["model_name"],
        "model_revision": meta["model_revision"],
        "benchmark": params.benchmark,
        "question_id": request.question_id,
        "sample_idx": request.sample_idx,
        "prompt": request.prompt,
        "prompt_hash": prompt_hash(request.prompt),
        "response": generation.response,
        "n_tokens": generation.n_tokens,
        "finish_reason": generation.finish_reason,
        "seed": request.seed,
        "temperature": params.temperature,
        "top_p": params.top_p,
        "max_new_tokens": params.max_new_tokens,
        "backend": params.backend,
        "backend_version": meta["backend_version"],
        "gold": request.gold,
    }


# SampleParams.backend -> the module that generates (each imports its engine only when it runs)
BACKENDS = {"hf": hf_backend, "vllm": vllm_backend, "openai": openai_backend}


def _needs_tokenizer(params: SampleParams) -> bool:
    return params.backend in ("hf", "vllm") or (params.apply_chat_template and params.openai_api == "completions")


def run_sampling(
    params: SampleParams,
    questions: pd.DataFrame,
    output_dir: str | Path,
    model_path: str,
    model_revision: str = "",
    model_name: str = "",
    progress: bool | None = None,
) -> pd.DataFrame:
    """Sample every pending (question, sample) into ``output_dir`` and return the complete samples table.

    Resumes from ``output_dir/samples.jsonl`` when it holds the same request (refuses a different
    one). ``progress=None`` shows a tqdm bar unless ``TQDM_DISABLE`` is set (as in notebooks).
    """
    output_dir = Path(output_dir)
    questions = select_questions(check_questions(questions), params.question_ids)
    if questions.empty:
        raise SampleError("no questions to sample")
    backend = BACKENDS[params.backend]
    meta = {
        "model_name": model_name or params.model_name or params.model or Path(model_path).name,
        "model_revision": model_revision,
        "backend_version": backend.backend_version(),  # fails fast when the engine is not installed
    }
    tokenizer = None
    if _needs_tokenizer(params):
        from transformers import AutoTokenizer  # transformers: seconds to import; the openai backend may not need it

        tokenizer = AutoTokenizer.from_pretrained(model_path)
    requests = build_requests(questions, params, tokenizer)
    engine = backend.engine_info(model_path, params, requests, tokenizer)
    identity = run_identity(params, meta["model_name"], model_revision, meta["backend_version"], requests)
    log = ProgressLog.open(output_dir, {**identity, "engine": identity_of_engine(engine)})
    record_engine(output_dir, engine)
    pending = {r.key for r in requests} - log.done
    if pending:
        # No explicit `disable` unless asked: tqdm then honours TQDM_DISABLE (set by the notebook runner).
        bar_options = {} if progress is None else {"disable": not progress}
        bar = tqdm(total=len(pending), desc=f"sample {params.backend}", unit="sample", **bar_options)
        if params.backend == "openai":
            served = params.openai_model or params.model or model_path
            chunks = backend.generate(served, params, requests, pending, progress=bar)
        elif params.backend == "vllm":  # the engine recorded above is the one that runs
            chunks = backend.generate(model_path, params, requests, pending, tokenizer, engine, progress=bar)
        else:
            chunks = backend.generate(model_path, params, requests, pending, tokenizer, progress=bar)
        for chunk in chunks:
            log.append(_record(r, g, params, meta) for r, g in chunk)
        bar.close()
    return finish(output_dir, requests)


# Engine arguments that change only how fast rows come (memory), never which rows: left out of the run's identity.
_ENGINE_THROUGHPUT_ONLY = {"gpu_memory_utilization", "kv_cache_memory_bytes", "max_model_len"}
ENV_FILE = "env.json"  # written by the runner (store.env_info); the stage adds its engine


def identity_of_engine(engine: dict) -> dict:
    """The part of :func:`engine_info` a resumed run must match: all but the memory settings."""
    arguments = {k: v for k, v in engine.get("arguments", {}).items() if k not in _ENGINE_THROUGHPUT_ONLY}
    return {**engine, "arguments": arguments}


def record_engine(output_dir: Path, engine: dict) -> None:
    """Add the engine (name, version, device, every argument) to ``output_dir/env.json``, written by the runner
    before the stage started; ``ladder sample`` outside a run writes a fresh one."""
    path = output_dir / ENV_FILE
    env = store.read_json(path) if path.is_file() else store.env_info()
    store.write_json(path, {**env, "engine": engine})


def read_engine(output_dir: str | Path) -> dict:
    """The engine a sampling run recorded in its ``env.json`` ({} before it started)."""
    path = Path(output_dir) / ENV_FILE
    return store.read_json(path).get("engine", {}) if path.is_file() else {}


def finish(output_dir: str | Path, requests: list[SampleRequest]) -> pd.DataFrame:
    """Check that every request has its row, then write ``samples.parquet`` in canonical order."""
    output_dir = Path(output_dir)
    log_path = output_dir / SAMPLES_JSONL
    rows = {(r["question_id"], r["sample_idx"]): r for r in read_records(log_path)}
    missing = [r.key for r in requests if r.key not in rows]
    if missing:
        raise SampleError(
            f"{log_path}: {len(missing)} of {len(requests)} samples missing, e.g. {missing[0]}; re-run to resume"
        )
    frame = pd.DataFrame([rows[r.key] for r in requests])
    frame = schema.conform_samples(frame, log_path)
    schema.write_table(frame, output_dir / SAMPLES_PARQUET)
    return frame


def sample_stage(
    params: SampleParams,
    input_dir: str | Path | None,
    output_dir: str | Path,
    experiment: str = "",
    questions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The notebook's entry point: resolve the model, load the benchmark, sample, return the samples table.

    ``questions`` overrides the benchmark loader (tests, ad-hoc question files).
    """
    model_path, revision = resolve_model(params, input_dir)
    if questions is None:
        questions = load_benchmark(params.benchmark, params.benchmark_path or None)
    model_name = params.model_name or experiment
    return run_sampling(params, questions, output_dir, model_path, revision, model_name)


# --- command line ------------------------------------------------------------------------------------


def cli_sample(args: argparse.Namespace) -> int:
    """``ladder sample``: sample into --out, resuming what is there. Bad input: a one-line error, exit code 2."""

    def body() -> None:
        params = params_from_args(args, "sample")
        questions = read_questions(args.questions) if args.questions else None
        frame = sample_stage(params, args.input_dir, args.out, experiment=args.experiment, questions=questions)
        truncated = int((frame["finish_reason"] == "length").sum())
        print(f"{len(frame)} samples in {Path(args.out) / SAMPLES_PARQUET} ({truncated} truncated)")

    return run_command("sample", body, (SampleError, ParamsError, schema.SchemaError))


def add_cli(subparsers) -> None:
    """Add the ``sample`` sub-command: ``--params FILE``, a flag per SampleParams field and ``--set KEY=VALUE``."""
    parser = subparsers.add_parser("sample", help="sample responses from a model (resumable)", description=__doc__)
    parser.add_argument(
        "--questions", help="local questions file (question_id, problem, answer) instead of the benchmark loader"
    )
    parser.add_argument("--input-dir", default="", help="a train stage's output folder holding model/")
    parser.add_argument("--experiment", default="", help="experiment name (default model name)")
    parser.add_argument("--out", required=True, help="output folder (resumed when it holds the same request)")
    add_params_options(parser, "sample")
    parser.set_defaults(func=cli_sample)
