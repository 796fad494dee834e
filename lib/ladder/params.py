"""Params: load YAML profiles and experiments, merge them, validate with pydantic, hash.

A profile (``params/profiles/<name>.yaml``) holds defaults for every stage; an experiment
(``params/experiments/**/<name>.yaml``) overrides some of them; command-line overrides
(``--set sample.temperature=0.7``) win over both::

    profile <- experiment <- overrides

Every block is checked against the stage's pydantic model before anything runs. An unknown key, a
wrong type, a failed check across fields, a key given twice or a missing file is a :class:`ParamsError` that
names the file, the line, the key(s) and the accepted keys. :class:`ParamsError`, :class:`StageParams` and
:func:`validate_block` (``ladder.stage_params``) and the YAML reading (:func:`read_yaml`, :func:`load_yaml_model`:
``ladder.yaml_source``) are defined apart, so that the stage table can import them without this module; they can
be imported from here too.

Usage::

    from ladder.params import load_plan
    plan = load_plan("laptop", ["base"], overrides=["sample.n=4"])
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field

from ladder import paths
from ladder.cluster import ClusterParams
from ladder.stage_params import FieldProblems as FieldProblems  # re-exported: the stages' checks use it
from ladder.stage_params import FieldsError as FieldsError
from ladder.stage_params import ParamsError, StageParams, validate_block
from ladder.stages import STAGES, Stage
from ladder.yaml_source import Source, dump_yaml_path, parse_yaml, read_yaml
from ladder.yaml_source import load_yaml_model as load_yaml_model  # re-exported: data files read like params files


class RunnerParams(StageParams):
    """How the runner executes notebooks (the profile's ``runner:`` block)."""

    kernel: str = "ladder"  # Jupyter kernel name; `make setup` registers it inside .venv
    cell_timeout_s: int = 3600  # papermill per-cell timeout; a stage's own default can be lower
    render_html: bool = True  # render each executed notebook to HTML with nbconvert
    exclude_input: bool = False  # reader edition: hide code cells in the HTML
    workers: int = Field(1, ge=1)  # stages run at once; a stage starts when the stages it reads from are done
    progress_interval_s: float = Field(30, ge=0)  # print a running stage's progress this often (s) if it moved; 0: off


# Top-level keys of the two kinds of file. Stage blocks are validated by the stage's own model.
PROFILE_KEYS = {"description", "experiments", "runner", "common", "cluster"}  # cluster: ladder.cluster
EXPERIMENT_KEYS = {"description", "stages", "common"}


def _suggest(key: str, accepted: Iterable[str]) -> str:
    close = difflib.get_close_matches(key, list(accepted), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _check_keys(source: Source, block: Mapping[str, Any], accepted: set[str], *prefix: str) -> None:
    for key in block:
        if key not in accepted:
            where = source.where(*prefix, key)
            name = ".".join((*prefix, key))
            raise ParamsError(
                f"{where}: unknown key '{name}'{_suggest(key, accepted)}. Accepted keys: {', '.join(sorted(accepted))}"
            )


def _check_shapes(source: Source, blocks: Iterable[str], lists: Iterable[str]) -> None:
    """Blocks (``runner``, ``common``, a stage's) must be mappings and ``lists`` lists of names, where given."""
    for key in blocks:
        value = source.data.get(key)
        if value is not None and not isinstance(value, dict):
            raise ParamsError(
                f"{source.where(key)}: '{key}' must be a block of 'key: value' lines, got {type(value).__name__} "
                f"{value!r:.60}"
            )
    for key in lists:
        value = source.data.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise ParamsError(f"{source.where(key)}: '{key}' must be a list of names, e.g. [a, b], got {value!r:.60}")


def profile_path(name: str, params_dir: Path | None = None) -> Path:
    path = (params_dir or paths.PARAMS_DIR) / "profiles" / f"{name}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in path.parent.glob("*.yaml"))
        raise ParamsError(
            f"profile '{name}': no file {dump_yaml_path(path)}{_suggest(name, known)}. "
            f"Known profiles: {', '.join(known) or '(none)'}"
        )
    return path


def experiment_path(name: str, params_dir: Path | None = None) -> Path:
    """Find ``params/experiments/**/<name>.yaml``; names are unique across subfolders."""
    root = (params_dir or paths.PARAMS_DIR) / "experiments"
    found = sorted(root.rglob(f"{name}.yaml")) if root.is_dir() else []
    if not found:
        known = sorted(p.stem for p in root.rglob("*.yaml")) if root.is_dir() else []
        listed = ", ".join(known[:12]) + (f" ... ({len(known)} in all)" if len(known) > 12 else "")
        raise ParamsError(
            f"experiment '{name}': no file params/experiments/**/{name}.yaml{_suggest(name, known)}. "
            f"Known experiments: {listed or '(none)'}"
        )
    if len(found) > 1:
        raise ParamsError(f"experiment '{name}' is defined twice: {', '.join(map(dump_yaml_path, found))}")
    return found[0]


def parse_override(text: str) -> tuple[str, str, Any]:
    """``stage.key=value`` (value parsed as YAML) -> (stage, key, value)."""
    if "=" not in text or "." not in text.split("=", 1)[0]:
        raise ParamsError(f"override '{text}': expected STAGE.KEY=VALUE, e.g. sample.temperature=0.7")
    lhs, raw = text.split("=", 1)
    block, key = lhs.split(".", 1)
    value, _ = parse_yaml(raw, f"override '{text}'", numbered=False)
    return block, key, value


def params_hash(obj: Any, length: int = 10) -> str:
    """sha256 of the canonical JSON of ``obj``, cut to ``length`` hex digits."""
    blob = json.dumps(obj, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:length]


def from_namespace(model: type[StageParams], namespace: Mapping[str, Any]) -> StageParams:
    """Build a stage's params model from a notebook's parameter variables (``globals()``)."""
    return model(**{name: namespace[name] for name in model.model_fields if name in namespace})


@dataclass
class StageRequest:
    """One stage of one experiment as the runner will run it: validated params and where they came from."""

    experiment: str  # experiment name, or PANEL for stages that span all experiments
    stage: str
    params: StageParams
    origins: dict[str, str] = field(default_factory=dict)


PANEL = "_panel"


REFERENCE_PREFIX = "@"


@dataclass(frozen=True)
class StageReference:
    """A param value ``@<experiment>/<stage>[/<path>]``: the output of another experiment's stage.

    The smoke profile's SFT experiment starts from ``@smoke_base/train/model``, the base model that the
    ``smoke_base`` experiment trains. The runner replaces the reference by that folder and makes the
    referenced stage an upstream of this one (so its hash counts).
    """

    experiment: str
    stage: str
    subpath: str = ""

    @classmethod
    def parse(cls, value: Any) -> StageReference | None:
        if not isinstance(value, str) or not value.startswith(REFERENCE_PREFIX):
            return None
        parts = value[len(REFERENCE_PREFIX) :].split("/", 2)
        if len(parts) < 2 or not all(parts[:2]):
            raise ParamsError(f"reference '{value}': expected @EXPERIMENT/STAGE[/PATH], e.g. @base/train/model")
        return cls(parts[0], parts[1], parts[2] if len(parts) > 2 else "")


def stage_references(params: StageParams, origins: Mapping[str, str] | None = None) -> dict[str, StageReference]:
    """The params of a stage whose value refers to another experiment's stage output.

    A malformed reference is a :class:`ParamsError` naming the key and, from ``origins``, where it was set.
    """
    out = {}
    for key, value in params.model_dump().items():
        try:
            ref = StageReference.parse(value)
        except ParamsError as exc:
            raise ParamsError(f"{(origins or {}).get(key, 'defaults')}: key '{key}': {exc}") from None
        if ref is not None:
            out[key] = ref
    return out


def _dependency_order(experiments: list[str], by_experiment: Mapping[str, list[StageRequest]]) -> list[str]:
    """Experiments in the order given, except that a referenced experiment comes before those referring to it."""
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in ordered:
            return
        if name in visiting:
            raise ParamsError(f"experiments refer to each other in a cycle through '{name}'")
        visiting.add(name)
        for req in by_experiment[name]:
            for key, ref in stage_references(req.params, req.origins).items():
                stages_there = [r.stage for r in by_experiment.get(ref.experiment, [])]
                if ref.stage not in stages_there:
                    raise ParamsError(
                        f"{req.origins.get(key, 'defaults')}: key '{req.stage}.{key}' of experiment '{name}': "
                        f"'{ref.experiment}' has no stage '{ref.stage}' (its stages: {', '.join(stages_there) or 'none'})"
                    )
                if ref.experiment != name:
                    visit(ref.experiment)
        visiting.discard(name)
        ordered.append(name)

    for name in experiments:
        visit(name)
    return ordered


@dataclass
class Plan:
    """Everything one ``ladder run`` will do: runner settings and the validated stage requests, in order."""

    profile: str
    experiments: list[str]
    runner: RunnerParams
    requests: list[StageRequest]
    sources: dict[str, str]  # "profile" / experiment name -> params file
    descriptions: dict[str, str] = field(default_factory=dict)  # "profile" / experiment name -> description
    cluster: ClusterParams = field(default_factory=ClusterParams)  # the profile's cluster: block (ladder launch)


def _layer(
    merged: dict[str, Any], origins: dict[str, str], block: Mapping[str, Any], source: Source | str, *prefix: str
) -> None:
    for key, value in block.items():
        merged[key] = value
        origins[key] = source.where(*prefix, key) if isinstance(source, Source) else source


def load_plan(
    profile: str,
    experiments: list[str] | None = None,
    overrides: list[str] | None = None,
    stages: Mapping[str, Stage] | None = None,
    params_dir: Path | None = None,
) -> Plan:
    """Read, merge and validate a profile, its experiments and overrides. Raises :class:`ParamsError`.

    ``stages`` is the stage registry (default :data:`ladder.stages.STAGES`); tests pass their own.
    """
    stages = STAGES if stages is None else stages
    order = list(stages)
    per_exp = [s for s in order if not stages[s].panel]
    panel_names = [s for s in order if stages[s].panel]
    models = {name: stage.model() for name, stage in stages.items()}
    common_ok = set().union(*(m.model_fields for m in models.values()))

    prof = read_yaml(profile_path(profile, params_dir))
    _check_keys(prof, prof.data, PROFILE_KEYS | {"panel"} | set(order))
    _check_shapes(prof, ["runner", "common", "cluster", *order], ["experiments", "panel"])
    runner_block = prof.data.get("runner") or {}
    parsed = [parse_override(o) for o in overrides or []]
    for block, key, _ in parsed:
        if block not in {"common", "runner", *order}:
            raise ParamsError(
                f"override '{block}.{key}': unknown block '{block}'{_suggest(block, order)}. "
                f"Accepted: common, runner, {', '.join(order)}"
            )
    _check_keys(prof, runner_block, set(RunnerParams.model_fields), "runner")
    runner_values = {**runner_block, **{k: v for b, k, v in parsed if b == "runner"}}
    runner = validate_block(RunnerParams, runner_values, {k: prof.where("runner", k) for k in runner_block})
    cluster_block = prof.data.get("cluster") or {}
    _check_keys(prof, cluster_block, set(ClusterParams.model_fields), "cluster")
    cluster = validate_block(ClusterParams, cluster_block, {k: prof.where("cluster", k) for k in cluster_block})

    def check_common(source: Source, block: Mapping[str, Any]) -> None:
        _check_keys(source, block, common_ok, "common")

    check_common(prof, prof.data.get("common") or {})
    for block, key, _ in parsed:
        if block == "common" and key not in common_ok:
            raise ParamsError(f"override 'common.{key}': no stage has a key '{key}'{_suggest(key, common_ok)}")
        if block in models and key not in models[block].model_fields:
            accepted = models[block].model_fields
            raise ParamsError(
                f"override '{block}.{key}': unknown key{_suggest(key, accepted)}. "
                f"Accepted keys: {', '.join(sorted(accepted))}"
            )
    for name in order:
        _check_keys(prof, prof.data.get(name) or {}, set(models[name].model_fields), name)

    if experiments is None:
        experiments = list(prof.data.get("experiments") or [])
    panel_list = prof.data.get("panel") or []
    for name in panel_list:
        if name not in panel_names:
            raise ParamsError(
                f"{prof.where('panel')}: '{name}' is not a panel stage. Panel stages: {', '.join(panel_names)}"
            )

    def merged_for(stage: str, exp: Source | None) -> StageRequest:
        fields = models[stage].model_fields
        values: dict[str, Any] = {}
        origins: dict[str, str] = {}
        layers: list[tuple[Mapping[str, Any], Source | str, tuple[str, ...]]] = [
            ({k: v for k, v in (prof.data.get("common") or {}).items() if k in fields}, prof, ("common",)),
            (prof.data.get(stage) or {}, prof, (stage,)),
        ]
        if exp is not None:
            layers += [
                ({k: v for k, v in (exp.data.get("common") or {}).items() if k in fields}, exp, ("common",)),
                (exp.data.get(stage) or {}, exp, (stage,)),
            ]
        layers += [
            ({k: v for b, k, v in parsed if b == "common" and k in fields}, "command line (--set common.*)", ()),
            ({k: v for b, k, v in parsed if b == stage}, f"command line (--set {stage}.*)", ()),
        ]
        for block, source, prefix in layers:
            _layer(values, origins, block, source, *prefix)
        return StageRequest(
            experiment=exp.path.stem if exp is not None else PANEL,
            stage=stage,
            params=validate_block(models[stage], values, origins),
            origins=origins,
        )

    requests: list[StageRequest] = []
    sources = {"profile": dump_yaml_path(prof.path)}
    descriptions = {"profile": str(prof.data.get("description", ""))}
    experiments = list(experiments)
    pending = list(experiments)
    referred_from: dict[str, str] = {}  # experiment brought in by a reference -> where that reference is
    by_experiment: dict[str, list[StageRequest]] = {}
    while pending:
        name = pending.pop(0)
        if name in by_experiment:
            continue
        try:
            exp = read_yaml(experiment_path(name, params_dir))
        except ParamsError as exc:  # an experiment a reference brought in: say where the reference is
            raise ParamsError(f"{referred_from[name]}: {exc}" if name in referred_from else str(exc)) from None
        sources[name] = dump_yaml_path(exp.path)
        descriptions[name] = str(exp.data.get("description", ""))
        _check_keys(exp, exp.data, EXPERIMENT_KEYS | set(per_exp))
        _check_shapes(exp, ["common", *per_exp], ["stages"])
        check_common(exp, exp.data.get("common") or {})
        listed = exp.data.get("stages")
        if not listed or not isinstance(listed, list):
            raise ParamsError(
                f"{exp.where('stages')}: 'stages' must list this experiment's stages, e.g. [{', '.join(per_exp)}]"
            )
        for stage in listed:
            if stage not in per_exp:
                raise ParamsError(
                    f"{exp.where('stages')}: unknown stage '{stage}'{_suggest(str(stage), per_exp)}. "
                    f"Per-experiment stages: {', '.join(per_exp)}"
                )
        for stage in per_exp:
            if stage in exp.data and stage not in listed:
                raise ParamsError(f"{exp.where(stage)}: block '{stage}' given but '{stage}' is not in 'stages'")
            _check_keys(exp, exp.data.get(stage) or {}, set(models[stage].model_fields), stage)
        by_experiment[name] = [merged_for(stage, exp) for stage in sorted(listed, key=order.index)]
        for req in by_experiment[name]:
            for key, ref in stage_references(req.params, req.origins).items():
                if ref.experiment not in by_experiment and ref.experiment not in pending:
                    referred_from[ref.experiment] = f"{req.origins.get(key, 'defaults')}: key '{req.stage}.{key}'"
                    experiments.insert(0, ref.experiment)  # a referenced experiment runs first, even if not asked for
                    pending.append(ref.experiment)
    ordered = _dependency_order(experiments, by_experiment)
    for name in ordered:
        requests.extend(by_experiment[name])
    requests += [merged_for(stage, None) for stage in panel_names if stage in panel_list]
    return Plan(profile, ordered, runner, requests, sources, descriptions, cluster)


# --- command-line options ---------------------------------------------------------------------------


def add_plan_arguments(p: argparse.ArgumentParser, default_profile: str = "laptop") -> None:
    """``--profile``, ``--exp`` and ``--set``: what every command that reads a plan accepts."""
    p.add_argument(
        "--profile", default=os.environ.get("PROFILE") or default_profile, help="params/profiles/<name>.yaml"
    )
    p.add_argument("--exp", action="append", help="experiment name(s), comma-separated (default: the profile's)")
    p.add_argument("--set", action="append", default=[], metavar="STAGE.KEY=VALUE", help="override a param")


def split_names(values: list[str] | None) -> list[str] | None:
    """Names given as repeated and/or comma-separated options (``--exp a,b --exp c``); None when none."""
    if not values:
        return None
    return [v for item in values for v in item.split(",") if v]


def plan_from_arguments(args: argparse.Namespace) -> Plan:
    """The validated plan named by :func:`add_plan_arguments`' options."""
    return load_plan(args.profile, split_names(args.exp), args.set)
