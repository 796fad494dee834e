"""One way for every stage command to take its params: ``--params FILE``, a flag per field, ``--set KEY=VALUE``.

``ladder sample``, ``ladder train``, ``ladder grade`` and ``ladder tiers`` build their params model here, so a
default lives only in the model: the flags have none of their own, and an unset flag leaves the model's
default. Precedence, as in the runner: model defaults <- ``--params`` file <- per-field flags <- ``--set``.
An error names where the bad value came from (file:line, flag or ``--set``) and the key.

Usage (in a stage's ``add_cli``)::

    parser = subparsers.add_parser("tiers", ...)
    parser.add_argument("files", nargs="+")
    add_params_options(parser, "tiers")
    ...
    params = params_from_args(args, "tiers")
"""

from __future__ import annotations

import argparse
import sys
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from ladder.param_docs import field_help, literal
from ladder.params import ParamsError, StageParams, parse_override, read_yaml, validate_block
from ladder.stages import STAGES

_DEST = "stage_param__"  # prefix of the argparse destinations of the per-field flags


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _is_sequence(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (list, tuple, set)


def add_params_options(parser: argparse.ArgumentParser, stage: str) -> None:
    """Add ``--params FILE``, ``--set KEY=VALUE`` and one ``--<field-name>`` flag per field of ``stage``'s model.

    A field whose flag the command already uses for something else stays settable with ``--set``.
    """
    model = STAGES[stage].model()
    parser.add_argument(
        "--params",
        metavar="FILE",
        help=f"YAML or JSON file of {model.__name__} keys (flat, or under a '{stage}:' block as in a profile)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"set one key (value read as YAML), e.g. --set {next(iter(model.model_fields))}=...; wins over the rest",
    )
    group = parser.add_argument_group(f"{stage} params ({model.__name__}; unset: the default shown)")
    taken = set(parser._option_string_actions)  # argparse has no public view of the flags in use
    for name, field in model.model_fields.items():
        if _flag(name) in taken:
            continue
        default = literal(field.get_default(call_default_factory=True))
        meta = "A,B" if _is_sequence(field.annotation) else "VALUE"
        group.add_argument(
            _flag(name),
            dest=_DEST + name,
            default=argparse.SUPPRESS,
            metavar=meta,
            help=f"{field_help(model, name)} (default {default})".replace("%", "%%"),
        )


def _flag_value(text: str, annotation: Any) -> Any:
    # Sequences take "a,b" or YAML "[a, b]"; everything else is given to pydantic as typed, which
    # converts "0.5", "true" or "5" to the field's type and names the field when it cannot.
    if _is_sequence(annotation):
        if text.lstrip().startswith("["):
            return yaml.safe_load(text)
        item = (typing.get_args(annotation) or (str,))[0]
        items = [part.strip() for part in text.split(",") if part.strip()]
        return items if item is str else [yaml.safe_load(part) for part in items]
    if typing.get_origin(annotation) is dict or annotation is dict:
        return yaml.safe_load(text)
    return text


def _file_values(path_text: str, stage: str) -> tuple[dict[str, Any], dict[str, str]]:
    source = read_yaml(Path(path_text))
    prefix: tuple[str, ...] = ()
    values = source.data
    if isinstance(values.get(stage), dict):
        prefix, values = (stage,), values[stage]
    return dict(values), {key: source.where(*prefix, key) for key in values}


def params_from_args(args: argparse.Namespace, stage: str) -> StageParams:
    """``stage``'s params from the parsed command line; a :class:`ParamsError` names file:line, flag or --set."""
    model = STAGES[stage].model()
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    if getattr(args, "params", None):
        values, origins = _file_values(args.params, stage)
    for name, field in model.model_fields.items():
        if hasattr(args, _DEST + name):
            values[name] = _flag_value(getattr(args, _DEST + name), field.annotation)
            origins[name] = _flag(name)
    for text in getattr(args, "set", None) or []:
        if "=" not in text:
            raise ParamsError(f"--set {text}: expected KEY=VALUE, e.g. --set {next(iter(model.model_fields))}=...")
        block, key, value = parse_override(text if "." in text.split("=", 1)[0] else f"{stage}.{text}")
        if block != stage:
            raise ParamsError(f"--set {text}: this command takes {stage} params, not {block}")
        values[key] = value
        origins[key] = f"--set {text}"
    return validate_block(model, values, origins)


def run_command(
    name: str,
    body: Callable[[], int | None],
    errors: tuple[type[BaseException], ...] = (ValueError, OSError),
) -> int:
    """Run a command's ``body``; one of ``errors`` prints ``ladder NAME: error: MESSAGE`` and returns 2.

    ``ladder.cli.main`` runs every command through it, so that bad input reads the same whatever the command.
    """
    try:
        return int(body() or 0)
    except errors as exc:
        print(f"ladder {name}: error: {exc}", file=sys.stderr)
        return 2
