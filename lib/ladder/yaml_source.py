"""YAML files read with the line of every key, so that an error names the file and line it comes from.

The params files (profiles, experiments) and the project's YAML data files (``configs/released_models.yaml``) are
read here::

    source = read_yaml(path)          # Source: path, data, lines; source.where("sample", "n") -> "file.yaml:12"
    models = load_yaml_model(path, ReleasedModels)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from ladder import paths
from ladder.stage_params import ParamsError

_Model = TypeVar("_Model", bound=BaseModel)


def dump_yaml_path(path: Path) -> str:
    """``path`` relative to the project root where it lies inside it (as error messages show it)."""
    try:
        return str(path.relative_to(paths.ROOT))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class Source:
    """One YAML file: its parsed mapping and the line of every key path, for error messages."""

    path: Path
    data: dict[str, Any]
    lines: dict[tuple[str, ...], int]

    def where(self, *keys: str) -> str:
        line = self.lines.get(tuple(keys))
        loc = dump_yaml_path(self.path)
        return f"{loc}:{line}" if line else loc


def _key_lines(node: yaml.Node, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], int]:
    # PyYAML's safe_load drops positions; the composed node tree keeps them (1-based lines here).
    out: dict[tuple[str, ...], int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*prefix, str(key_node.value))
            out[key] = key_node.start_mark.line + 1
            out.update(_key_lines(value_node, key))
    return out


def read_yaml(path: Path) -> Source:
    """Read one params file with ``yaml.safe_load``; a syntax error names the file and line."""
    if not path.is_file():
        raise ParamsError(f"{dump_yaml_path(path)}: no such params file")
    text = path.read_text()
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise ParamsError(f"{dump_yaml_path(path)}: not valid YAML: {exc}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ParamsError(f"{dump_yaml_path(path)}:1: expected a mapping of keys, got {type(data).__name__}")
    return Source(path=path, data=data, lines=_key_lines(node) if node is not None else {})


def load_yaml_model(path: Path, model: type[_Model], error: type[Exception] = ParamsError) -> _Model:
    """Read a YAML data file into the pydantic ``model``; raise ``error`` naming the file, line and key path."""
    if not path.is_file():
        raise error(f"{dump_yaml_path(path)}: no such file")
    try:
        source = read_yaml(path)
    except ParamsError as exc:
        raise error(str(exc)) from None
    try:
        return model(**source.data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            keys = tuple(str(k) for k in err["loc"])
            where = next(
                (source.where(*keys[:i]) for i in range(len(keys), 0, -1) if keys[:i] in source.lines), source.where()
            )
            problems.append(f"{where}: key '{'.'.join(keys)}': {err['msg']}")
        raise error("; ".join(problems)) from None
