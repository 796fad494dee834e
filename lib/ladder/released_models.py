"""The study's released models and the SFT data each was trained on (``data/released_models.yaml``).

A model evaluated without a curate stage (the paper profile's ``eval_*`` experiments, the study authors'
lm-eval logs in the ``study_logs`` profile) has no curate ``params.json`` that says what data trained it. This
table does, as curate params, so the ablations stage places such a model on the axes C, N, L, S beside the
experiments this run trains. Each entry also names the experiment of ``params/experiments/paper/`` that curates
the same data; a test keeps the two equal.

Usage::

    from ladder import released_models
    table = released_models.load_released_models()            # hub id -> ReleasedModel
    released_models.find(table, "/ckpt/openr1_algebra_1k_lg_0")  # ("sunyiyou/openr1_algebra_1k_lg_0", entry)
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from ladder import paths
from ladder.curate.params import CurateParams
from ladder.yaml_source import load_yaml_model

RELEASED_MODELS_FILE = paths.DATA_DIR / "released_models.yaml"


class ReleasedModelsError(ValueError):
    """The released-models table is missing or malformed; the message names the file and the key."""


class ReleasedModel(BaseModel):
    """One released model: the paper experiment with the same data, and that data as curate params."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    experiment: str  # params/experiments/paper/<experiment>.yaml curates the same data
    curate: CurateParams  # unknown keys are an error (CurateParams forbids extras)


class ReleasedModels(BaseModel):
    """The contents of ``data/released_models.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    source: str
    models: dict[str, ReleasedModel]


def load_released_models(path: str | Path | None = None) -> dict[str, ReleasedModel]:
    """Read and validate the table (default ``data/released_models.yaml``): hub id -> :class:`ReleasedModel`.

    Errors name the file, line and key, e.g. ``data/released_models.yaml:12: key 'models.sunyiyou/x.curate.length'``.
    """
    path = Path(path) if path else RELEASED_MODELS_FILE
    if not path.is_absolute():
        path = paths.ROOT / path  # as the stage hash resolves it (store.files_fingerprint)
    return dict(load_yaml_model(path, ReleasedModels, ReleasedModelsError).models)


def find(table: dict[str, ReleasedModel], model: str) -> tuple[str, ReleasedModel] | None:
    """The entry for ``model``: by hub id, else by its last path component when exactly one hub id ends so.

    Logs often name a model by the local checkpoint folder it was loaded from (``/ckpt/openr1_algebra_1k_lg_0``),
    whose last component is the hub id's repository name.
    """
    if model in table:
        return model, table[model]
    name = model.rstrip("/").rsplit("/", 1)[-1]
    matches = [hub_id for hub_id in table if hub_id.rsplit("/", 1)[-1] == name]
    return (matches[0], table[matches[0]]) if len(matches) == 1 else None
