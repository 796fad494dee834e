"""Each parameter declared once: a params model's ``# meaning`` comments, and the notebook cell rendered from them.

A stage's params model is the one place a parameter is declared: its name, type, default and, in a trailing
``# meaning`` comment, what it does (the nanoGPT way: every knob at the top, with a comment). The stage
notebook's ``parameters`` cell, the command-line flags' help and the book's params tables are derived from it.
Pydantic keeps no comments, so they are read from the class's source with :mod:`tokenize`.

Usage::

    python -m ladder.param_docs           # check every notebook's parameters cell against its model
    python -m ladder.param_docs --write   # rewrite the cells from the models (`make params-cells`)
"""

from __future__ import annotations

import argparse
import ast
import inspect
import io
import json
import re
import sys
import textwrap
import tokenize
import typing
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from ladder import paths
from ladder.stages import STAGES, Stage

PARAMETERS_TAG = '# %% tags=["parameters"]'


@cache
def field_comments(model: type[BaseModel]) -> dict[str, str]:
    """The trailing ``# meaning`` comment of each field of ``model`` (its base classes' fields included)."""
    comments: dict[str, str] = {}
    for cls in reversed(model.__mro__):
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or cls is BaseModel:
            continue
        source = textwrap.dedent(inspect.getsource(cls))
        by_line = {
            token.start[0]: token.string.lstrip("#").strip()
            for token in tokenize.generate_tokens(io.StringIO(source).readline)
            if token.type == tokenize.COMMENT
        }
        source_lines = source.splitlines()
        body = ast.parse(source).body[0].body
        for node in body:
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                lines = range(node.lineno, (node.end_lineno or node.lineno) + 1)
                found = [by_line[line] for line in lines if line in by_line]
                above = node.lineno - 1
                block = not found  # no trailing comment: the comment block right above the field
                while block and above in by_line and source_lines[above - 1].lstrip().startswith("#"):
                    found.insert(0, by_line[above])
                    above -= 1
                if found:
                    comments[node.target.id] = " ".join(found)
    return comments


def literal(value: Any) -> str:
    """``value`` as Python source in the notebooks' style (double-quoted strings)."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


def choices(annotation: Any) -> list[str]:
    """The values a ``Literal`` field accepts (also inside a union), as text; [] for other fields."""
    if typing.get_origin(annotation) is Literal:
        return [str(v) for v in typing.get_args(annotation)]
    return [c for arg in typing.get_args(annotation) for c in choices(arg)]


def field_help(model: type[BaseModel], name: str) -> str:
    """A field's meaning: its comment, plus the accepted values of a ``Literal`` the comment does not list."""
    comment = field_comments(model).get(name, "")
    accepted = choices(model.model_fields[name].annotation)
    if accepted and not all(value in comment for value in accepted):
        comment = f"{comment} ({' | '.join(accepted)})".strip()
    return comment


def parameter_lines(model: type[BaseModel]) -> list[str]:
    """One ``name: type = default  # meaning`` line per field of ``model``, in the model's order."""
    lines = []
    for name, field in model.model_fields.items():
        if "=" in field_help(model, name):
            # papermill reads `name: type = value  # comment` with a regex that a second "=" breaks
            raise ValueError(f"{model.__name__}.{name}: its comment may not contain '=' (papermill cannot parse it)")
        default = field.get_default(call_default_factory=True)
        kind = "list" if isinstance(default, tuple) else type(default).__name__
        lines.append(f"{name}: {kind} = {literal(default)}  # {field_help(model, name)}".rstrip(" #"))
    return lines


def _cell_span(lines: list[str]) -> tuple[int, int]:
    start = lines.index(PARAMETERS_TAG) + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("# %%")), len(lines))
    while end > start and not lines[end - 1].strip():
        end -= 1
    return start, end


def expected_cell(stage: Stage, lines: list[str]) -> list[str]:
    """The parameters cell ``stage``'s notebook should have: its runner-key lines as written, then the model's."""
    start, end = _cell_span(lines)
    runner = [line for line in lines[start:end] if line.split(":", 1)[0] in stage.runner_keys]
    return runner + parameter_lines(stage.model())


def cell_differences(stage: Stage, notebooks_dir: Path | None = None) -> list[str]:
    """Lines where ``stage``'s notebook parameters cell differs from what its params model declares."""
    lines = stage.notebook_path(notebooks_dir).read_text().splitlines()
    start, end = _cell_span(lines)
    have, want = lines[start:end], expected_cell(stage, lines)
    names = [re.split(r"[:=\s]", line, maxsplit=1)[0] for line in have]
    missing = [k for k in stage.runner_keys if k not in names]
    problems = [f"{stage.notebook}: runner key '{k}' is not declared" for k in missing]
    for got, expected in zip(have, want, strict=False):
        if got != expected:
            problems.append(f"{stage.notebook}: '{got}' should read '{expected}'")
    if len(have) != len(want):
        problems.append(f"{stage.notebook}: {len(have)} parameter lines, the model declares {len(want)}")
    return problems


def write_cell(stage: Stage, notebooks_dir: Path | None = None) -> bool:
    """Rewrite ``stage``'s notebook parameters cell from its model; True when the file changed."""
    path = stage.notebook_path(notebooks_dir)
    lines = path.read_text().splitlines()
    start, end = _cell_span(lines)
    new = lines[:start] + expected_cell(stage, lines) + lines[end:]
    if new == lines:
        return False
    path.write_text("\n".join(new) + "\n")
    return True


def main(argv: list[str] | None = None) -> int:
    """Check (or with ``--write`` rewrite) every stage notebook's parameters cell."""
    parser = argparse.ArgumentParser(prog="python -m ladder.param_docs", description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true", help="rewrite the cells from the params models")
    args = parser.parse_args(argv)
    if args.write:
        for stage in STAGES.values():
            if write_cell(stage):
                print(f"rewrote the parameters cell of {stage.notebook_path(paths.NOTEBOOKS_DIR)}")
        return 0
    problems = [p for stage in STAGES.values() for p in cell_differences(stage)]
    print("\n".join(problems) or "every parameters cell matches its params model")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
