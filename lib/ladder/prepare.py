"""Prepare a plan before anything runs: each stage's hash, folder and injected parameters, its notebook checked.

A stage's hash covers its params, the hashes of the stages it reads from, its notebook and every ``ladder`` module
the notebook imports (``ladder.store.code_hash``), and the size and time of the local files its ``file_params``
name. The runner (``ladder.run``) executes the prepared stages; the compute estimate (``ladder.compute``) reads
their resolved parameters and folders without running anything::

    from ladder.prepare import prepare
    for item in prepare(load_plan("laptop")):
        print(item.key, item.final)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ladder import store
from ladder.notebook import declared_parameters, read_notebook, refuse_undeclared
from ladder.params import PANEL, ParamsError, Plan, StageRequest, stage_references
from ladder.stages import STAGES, Stage


@dataclass
class PreparedStage:
    """One stage of a plan, ready to run: its notebook, hash, final folder and the parameters it gets."""

    request: StageRequest
    stage: Stage
    notebook: Path
    hash: str
    final: Path
    parameters: dict[str, Any]
    upstream: list[str]  # keys ("experiment/stage") of the stages this one waits for
    cell_timeout_s: int

    @property
    def key(self) -> str:
        """``experiment/stage``, as results and ``upstream`` name it."""
        return f"{self.request.experiment}/{self.request.stage}"


def _needed(plan: Plan, targets: list[str] | None, stages: Mapping[str, Stage]) -> list[StageRequest]:
    """The requests to run for ``targets`` (stage names): each target and everything upstream of it."""
    if not targets:
        return plan.requests
    for t in targets:
        if t not in stages:
            raise ParamsError(f"unknown stage '{t}'. Stages: {', '.join(stages)}")
    order = list(stages)
    keep = []
    for req in plan.requests:
        for t in targets:
            if stages[t].panel:
                # a panel stage needs every experiment stage and the panel stages before it
                if not stages[req.stage].panel or order.index(req.stage) <= order.index(t):
                    keep.append(req)
                    break
            elif req.experiment != PANEL and order.index(req.stage) <= order.index(t):
                keep.append(req)
                break
    if not keep:
        raise ParamsError(f"no experiment of this plan has stage(s) {', '.join(targets)}")
    return keep


def prepare(
    plan: Plan,
    targets: list[str] | None = None,
    stages: Mapping[str, Stage] = STAGES,
    notebooks_dir: Path | None = None,
    runs_dir: Path | None = None,
) -> list[PreparedStage]:
    """Hash every stage, decide its folder and injected parameters, and check notebooks: before running anything."""
    requests = _needed(plan, targets, stages)
    code_hashes: dict[str, str] = {}
    declared: dict[str, dict[str, Any]] = {}
    by_key: dict[str, PreparedStage] = {}
    last_in_experiment: dict[str, PreparedStage] = {}
    out: list[PreparedStage] = []
    for req in requests:
        stage = stages[req.stage]
        notebook = stage.notebook_path(notebooks_dir)
        if str(notebook) not in code_hashes:
            if not notebook.is_file():
                raise ParamsError(f"stage '{stage.name}': notebook {notebook} not found")
            code_hashes[str(notebook)] = store.code_hash(notebook)
            declared[str(notebook)] = declared_parameters(read_notebook(notebook))
        values = req.params.model_dump(mode="json")
        prev = None if stage.panel else last_in_experiment.get(req.experiment)
        if stage.panel:
            upstream = list(by_key.values())
        else:
            upstream = [prev] if prev else []
        resolved: dict[str, str] = {}
        for name, ref in stage_references(req.params).items():
            target = by_key.get(f"{ref.experiment}/{ref.stage}")
            if target is None:
                raise ParamsError(
                    f"{req.experiment}/{req.stage}: '{name}: {values[name]}' refers to a stage that is "
                    f"not part of this run"
                )
            upstream.append(target)
            resolved[name] = str(target.final / ref.subpath) if ref.subpath else str(target.final)
        files = {name: store.files_fingerprint(values[name]) for name in stage.file_params}
        digest = store.stage_hash(values, [u.hash for u in upstream], code_hashes[str(notebook)], files)
        final = store.stage_dir(plan.profile, req.experiment, stage.notebook, digest, runs_dir)
        injected: dict[str, Any] = {"output_dir": str(store.partial_dir(final)), "profile": plan.profile}
        if stage.panel:
            inputs: dict[str, dict[str, str]] = {}
            for u in upstream:
                inputs.setdefault(u.request.experiment, {})[u.request.stage] = str(u.final)
            injected["inputs"] = inputs
        else:
            injected["input_dir"] = str(prev.final) if prev else ""
            injected["experiment"] = req.experiment
        clash = set(injected) & set(values)
        if clash:
            raise ParamsError(f"stage '{stage.name}': params model uses reserved name(s) {', '.join(sorted(clash))}")
        parameters = {**values, **resolved, **injected}
        refuse_undeclared(notebook, declared[str(notebook)], parameters)
        prepared = PreparedStage(
            request=req,
            stage=stage,
            notebook=notebook,
            hash=digest,
            final=final,
            parameters=parameters,
            upstream=[u.key for u in upstream],
            cell_timeout_s=stage.cell_timeout_s or plan.runner.cell_timeout_s,
        )
        by_key[prepared.key] = prepared
        if not stage.panel:
            last_in_experiment[req.experiment] = prepared
        out.append(prepared)
    return out
