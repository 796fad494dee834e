"""YAML files read with the line of every key, so that an error names the file and line it comes from.

The params files (profiles, experiments) and the project's YAML data files (``configs/released_models.yaml``,
``data/study_claims.yaml``) are read here::

    source = read_yaml(path)          # Source: path, data, lines; source.where("sample", "n") -> "file.yaml:12"
    models = load_yaml_model(path, ReleasedModels)

Plain YAML only: a tag (``!!python/object/apply:...``) is refused, and so is a key given twice in one mapping
(YAML's own rule, which PyYAML does not enforce: the last value would win unseen). Every error names the file and
line: ``params/experiments/x.yaml:4: key 'sample.n' given twice (first at line 3)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from ladder import paths
from ladder.stage_params import ParamsError, error_fields

_Model = TypeVar("_Model", bound=BaseModel)

_MERGE_TAG = "tag:yaml.org,2002:merge"


def dump_yaml_path(path: Path) -> str:
    """``path`` relative to the project root where it lies inside it (as error messages show it)."""
    try:
        return str(path.relative_to(paths.ROOT))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class Source:
    """One YAML file: its parsed mapping and the line of every key path, for error messages.

    A path is the tuple of keys from the top; an item of a list is keyed by its position (``("findings", "0")``).
    """

    path: Path
    data: dict[str, Any]
    lines: dict[tuple[str, ...], int]

    def where(self, *keys: str) -> str:
        line = self.lines.get(tuple(map(str, keys)))
        loc = dump_yaml_path(self.path)
        return f"{loc}:{line}" if line else loc

    def nearest(self, keys: tuple[str, ...]) -> str:
        """``where`` of the longest prefix of ``keys`` that is in the file (the file alone if none is)."""
        found = next((keys[:i] for i in range(len(keys), 0, -1) if keys[:i] in self.lines), ())
        return self.where(*found)


def _at(name: str, line: int, numbered: bool) -> str:
    return f"{name}:{line}" if numbered else name


def _check_repeats(node: yaml.Node | None, name: str, numbered: bool = True) -> None:
    # A key given twice in one mapping is an error, as the YAML spec has it (PyYAML keeps the last value).
    pending, seen = [(node, ())], set()
    while pending:
        current, prefix = pending.pop()
        if current is None or id(current) in seen:  # an alias shares its anchor's node: check each node once
            continue
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            first: dict[tuple[str, str], int] = {}
            for key_node, value_node in current.value:
                key, line = (*prefix, str(key_node.value)), key_node.start_mark.line + 1
                identity = (key_node.tag, str(key_node.value))
                if identity in first and key_node.tag != _MERGE_TAG:
                    raise ParamsError(
                        f"{_at(name, line, numbered)}: key '{'.'.join(key)}' given twice (first at line "
                        f"{first[identity]}); give each key once"
                    )
                first[identity] = line
                pending.append((value_node, key))
        elif isinstance(current, yaml.SequenceNode):
            pending += [(item, (*prefix, str(i))) for i, item in enumerate(current.value)]


def _key_lines(node: yaml.Node | None, limit: int = 100_000) -> dict[tuple[str, ...], int]:
    # PyYAML's safe_load drops positions; the composed node tree keeps them (1-based lines here). An alias is
    # followed (its keys are at their anchor's lines), but not into itself, and at most ``limit`` paths are kept.
    # Keys a merge ("<<: *anchor") brings in are weak: the mapping's own keys of the same name win, as in the data.
    out: dict[tuple[str, ...], int] = {}
    pending: list[tuple[yaml.Node | None, tuple[str, ...], frozenset[int], bool]] = [(node, (), frozenset(), False)]
    while pending and len(out) < limit:
        current, prefix, above, weak = pending.pop()
        if current is None or id(current) in above:
            continue
        above = above | {id(current)}
        if isinstance(current, yaml.MappingNode):
            for key_node, value_node in current.value:
                if key_node.tag == _MERGE_TAG:
                    pending.append((value_node, prefix, above, True))
                    continue
                key = (*prefix, str(key_node.value))
                if weak:
                    out.setdefault(key, key_node.start_mark.line + 1)
                else:
                    out[key] = key_node.start_mark.line + 1
                pending.append((value_node, key, above, weak))
        elif isinstance(current, yaml.SequenceNode):
            for position, item in enumerate(current.value):
                out.setdefault((*prefix, str(position)), item.start_mark.line + 1)
                pending.append((item, (*prefix, str(position)), above, weak))
    return out


def _yaml_problem(exc: yaml.YAMLError, name: str, numbered: bool = True) -> str:
    if not isinstance(exc, yaml.MarkedYAMLError):  # a reader error (a control character): no line to give
        return f"{name}: not valid YAML: {str(exc).replace('<unicode string>', name)}"
    mark = exc.problem_mark or exc.context_mark
    where = _at(name, mark.line + 1, numbered) if mark else name
    problem = exc.problem or exc.context or "syntax error"
    if mark:
        problem += f" (column {mark.column + 1}"
        if exc.context and exc.context_mark and exc.context_mark.line != mark.line:
            problem += f"; {exc.context} at line {exc.context_mark.line + 1}"
        problem += ")"
    if isinstance(exc, yaml.constructor.ConstructorError) and "constructor for the tag" in problem:
        problem += ": YAML tags are not allowed, only plain values"
    return f"{where}: not valid YAML: {problem}"


def parse_yaml(text: str, name: str, numbered: bool = True) -> tuple[Any, dict[tuple[str, ...], int]]:
    """Parse one YAML document safely: (data, line of every key path).

    ``name`` is what errors call the text, followed by ``:LINE`` where ``numbered`` (a file, not a one-line value).
    """
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        _check_repeats(node, name, numbered)
        lines = _key_lines(node)
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise ParamsError(_yaml_problem(exc, name, numbered)) from None
    finally:
        loader.dispose()
    return data, lines


def read_yaml(path: Path) -> Source:
    """Read one params file as a mapping; a syntax error, a tag or a repeated key names the file and line."""
    name = dump_yaml_path(path)
    if not path.is_file():
        raise ParamsError(f"{name}: no such params file")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ParamsError(f"{name}:{line}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    data, lines = parse_yaml(text, name)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ParamsError(f"{name}:1: expected a mapping of keys, got {type(data).__name__}")
    return Source(path=path, data=data, lines=lines)


def _problems(exc: ValidationError, source: Source) -> list[str]:
    out = []
    for err in exc.errors():
        loc = tuple(str(k) for k in err["loc"])
        below = {key[len(loc) :] for key in source.lines if key[: len(loc)] == loc and len(key) > len(loc)}
        for fields, text in error_fields(err, below):
            keys = [(*loc, *field) for field in fields]
            first, others = keys[0], keys[1:]
            named = [f"key '{'.'.join(first)}'"] + [f"key '{'.'.join(k)}' ({source.nearest(k)})" for k in others]
            out.append(f"{source.nearest(first)}: {', '.join(named)}: {text}")
    return out


def load_yaml_model(path: Path, model: type[_Model], error: type[Exception] = ParamsError) -> _Model:
    """Read a YAML data file into the pydantic ``model``; raise ``error`` naming the file, line and key path."""
    return load_yaml_with_source(path, model, error)[0]


def load_yaml_with_source(
    path: Path, model: type[_Model], error: type[Exception] = ParamsError
) -> tuple[_Model, Source]:
    """:func:`load_yaml_model`, and the file's :class:`Source` (its key lines) for checks across entries."""
    if not path.is_file():
        raise error(f"{dump_yaml_path(path)}: no such file")
    try:
        source = read_yaml(path)
    except ParamsError as exc:
        raise error(str(exc)) from None
    try:
        return model(**source.data), source
    except ValidationError as exc:
        raise error("; ".join(_problems(exc, source))) from None
