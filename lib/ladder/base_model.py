"""The laptop profile's committed "instruct" base: export it from a run, record how it was made, check it is current.

The study starts from a released instruct model (Qwen2.5-32B-Instruct); the laptop profile starts from
``models/tiny-instruct``, a tiny Qwen2 that the ``laptop_base`` profile trains from random weights through
the real curate and train stages (``make base-model``, about 40 minutes on 2 cores). It is committed so
that ``make reproduce`` spends its 15 minutes on what the study varies: the fine-tuning.
``provenance.json`` beside the weights records the curated data's content hash and the training params;
``check`` recomputes the data and fails when the generator has moved on without a rebuild.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from ladder import paths, store, synthetic
from ladder.curate import CurateParams, curate_stage

BASE_DIR = paths.ROOT / "models" / "tiny-instruct"
PROFILE = "laptop_base"
EXPERIMENT = "instruct"
# What a checkpoint folder needs to load; the trainer's pickled arguments are left behind.
MODEL_FILES = (
    "config.json",
    "generation_config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "chat_template.jinja",
)


class StaleBaseModel(RuntimeError):
    """The committed base was trained on other data than the current generator makes."""


def _stage_results(runs_dir: Path | None, profile: str, experiment: str) -> dict[str, dict[str, Any]]:
    by_stage = {stage: r for (exp, stage), r in store.finished_stages(profile, runs_dir).items() if exp == experiment}
    for stage in ("curate", "train"):
        if stage not in by_stage:
            raise FileNotFoundError(
                f"{store.last_run_path(profile, runs_dir)}: no finished '{stage}' stage of experiment '{experiment}'"
            )
    return by_stage


def export(
    dest: Path = BASE_DIR, runs_dir: Path | None = None, profile: str = PROFILE, experiment: str = EXPERIMENT
) -> Path:
    """Copy the model that ``experiment`` trained in ``profile``'s last run into ``dest``, with ``provenance.json``."""
    by_stage = _stage_results(runs_dir, profile, experiment)
    curate_dir, train_dir = Path(by_stage["curate"]["dir"]), Path(by_stage["train"]["dir"])
    model_dir = train_dir / "model"
    missing = [f for f in MODEL_FILES if not (model_dir / f).is_file()]
    if missing:
        raise FileNotFoundError(f"{model_dir}: missing {', '.join(missing)}")
    report = store.read_json(train_dir / "train_report.json")
    provenance: dict[str, Any] = {
        "built_by": "make base-model",
        "profile": profile,
        "experiment": experiment,
        "git": store.git_sha(),
        "curate_params": by_stage["curate"]["params"],
        "train_params": by_stage["train"]["params"],
        "data_content_hash": store.read_json(curate_dir / "manifest.json")["content_hash"],
        "train": {k: report.get(k) for k in ("steps", "train_runtime_s", "train_loss", "tokens_seen")},
    }
    if "grade" in by_stage:
        graded = pd.read_parquet(Path(by_stage["grade"]["dir"]) / "graded.parquet", columns=["question_id", "correct"])
        levels = synthetic.evaluation_set()[["question_id", "level"]]
        by_level = graded.merge(levels, on="question_id").groupby("level")["correct"].mean()
        provenance["accuracy_by_level"] = by_level.reindex(list(synthetic.LEVELS)).round(3).to_dict()
    tmp = store.partial_dir(dest)
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name in MODEL_FILES:
        shutil.copy2(model_dir / name, tmp / name)
    store.write_json(tmp / "provenance.json", provenance)
    return store.publish(tmp, dest)


def provenance(dest: Path = BASE_DIR) -> dict[str, Any]:
    path = dest / "provenance.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: build the base with `make base-model`")
    return store.read_json(path)


def check(dest: Path = BASE_DIR) -> str:
    """Re-curate the base's training data with its recorded params; raise ``StaleBaseModel`` if it differs."""
    record = provenance(dest)
    params = CurateParams(**record["curate_params"])
    with tempfile.TemporaryDirectory() as tmp:
        manifest = curate_stage(params, Path(tmp)).manifest
    if manifest["content_hash"] != record["data_content_hash"]:
        raise StaleBaseModel(
            f"{dest}: trained on data with content hash {record['data_content_hash'][:12]}, but the same curate "
            f"params now give {manifest['content_hash'][:12]} (the synthetic generator changed). "
            f"Rebuild it: make base-model"
        )
    return manifest["content_hash"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ladder.base_model", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["export", "check"])
    parser.add_argument("--dest", type=Path, default=BASE_DIR)
    args = parser.parse_args(argv)
    if args.command == "export":
        print(f"exported {export(args.dest)}")
    else:
        try:
            print(f"{args.dest} is current (data {check(args.dest)[:12]})")
        except StaleBaseModel as error:
            print(error, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
