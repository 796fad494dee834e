"""The stages of the book: which notebook runs each, its params model, and whether it spans experiments.

Per-experiment stages run once per experiment, in this order, each reading the output folder of the
stage before it in that experiment (``input_dir``). Panel stages run once per profile, after all
experiments, reading every experiment's stage folders (``inputs``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from ladder import paths
from ladder.stage_params import StageParams

# Parameters the runner injects into every notebook, beside the stage's own params.
EXPERIMENT_RUNNER_KEYS = ("output_dir", "input_dir", "experiment", "profile")
PANEL_RUNNER_KEYS = ("output_dir", "inputs", "profile")


@dataclass(frozen=True)
class Stage:
    """One stage: ``name`` as used in params and on the command line, ``notebook`` the file stem."""

    name: str
    notebook: str
    params_model: str  # "module:Class", imported lazily so `import ladder.stages` stays cheap
    panel: bool = False
    cell_timeout_s: int | None = None  # None: the profile's runner.cell_timeout_s
    # params naming local files or folders whose size and modification time go into the stage hash, so
    # editing an input file in place re-runs the stage (a hub id or an empty value is left alone)
    file_params: tuple[str, ...] = ()

    def model(self) -> type[StageParams]:
        module, _, cls = self.params_model.partition(":")
        return getattr(importlib.import_module(module), cls)

    def notebook_path(self, notebooks_dir: Path | None = None) -> Path:
        return (notebooks_dir or paths.NOTEBOOKS_DIR) / f"{self.notebook}.py"

    @property
    def runner_keys(self) -> tuple[str, ...]:
        return PANEL_RUNNER_KEYS if self.panel else EXPERIMENT_RUNNER_KEYS


STAGES: dict[str, Stage] = {
    s.name: s
    for s in [
        Stage(
            "curate",
            "10_curate",
            "ladder.curate:CurateParams",
            file_params=("local_path", "benchmark_files", "tokenizer"),
        ),
        Stage("train", "20_train", "ladder.train:TrainParams", file_params=("model",)),
        Stage("sample", "30_sample", "ladder.sample:SampleParams", file_params=("model", "benchmark_path")),
        Stage("grade", "40_grade", "ladder.grade:GradeParams", file_params=("inputs", "benchmark_path")),
        Stage("tiers", "50_tiers", "ladder.tiers:TiersParams", panel=True, file_params=("graded_files",)),
        Stage(
            "strategies",
            "55_strategies",
            "ladder.strategies:StrategiesParams",
            panel=True,
            file_params=("benchmark_path", "intended"),
        ),
        Stage(
            "ablations",
            "60_ablations",
            "ladder.ablations:AblationsParams",
            panel=True,
            file_params=("released_models", "claims"),
        ),
    ]
}
