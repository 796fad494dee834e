"""The base of every stage's params model, the error bad params raise, and how that error names where they came from.

A leaf module (it imports no other ``ladder`` module), so that the stage table (``ladder.stages``), the YAML
reader (``ladder.yaml_source``) and the plan loader (``ladder.params``) can all import it. Import the names from
``ladder.params``, as the stages' own params models do. :func:`validate_block` builds a model from merged values
and turns pydantic's errors into one :class:`ParamsError` naming, for each problem, the key(s) and the file:line,
flag or ``--set`` each value came from.

A check across fields (a pydantic ``model_validator``) says which fields each problem is about, so that an error
names the file and line each of those values came from::

    @model_validator(mode="after")
    def _check(self):
        problems = FieldProblems()
        if self.n < 1:
            problems.add(f"n must be >= 1 (got {self.n})", "n")
        problems.raise_if_any()  # FieldsError: a ValueError whose .problems name the fields
        return self
"""

from __future__ import annotations

import re
import typing
from collections.abc import Collection, Mapping, Sequence
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, model_validator


class ParamsError(ValueError):
    """Bad params: says what is wrong, where (file, line, key) and what is accepted."""


def _confidence_level(value: float) -> float:
    if not 0.0 < value < 1.0:
        raise ValueError(f"a confidence level is in (0, 1), got {value}")
    return value


ConfidenceLevel = Annotated[float, AfterValidator(_confidence_level)]
"""A two-sided confidence level in (0, 1): the type of every stage's ``confidence`` param."""


class FieldsError(ValueError):
    """A check across fields failed: ``problems`` holds (field paths, text) pairs, a path being a tuple of keys."""

    def __init__(self, problems: Sequence[tuple[Sequence[tuple[str, ...]], str]]):
        self.problems = [(tuple(tuple(path) for path in paths), text) for paths, text in problems]
        super().__init__("; ".join(text for _, text in self.problems))


class FieldProblems:
    """Problems a model validator finds, each with the fields it is about; :meth:`raise_if_any` raises them."""

    def __init__(self) -> None:
        self.problems: list[tuple[tuple[tuple[str, ...], ...], str]] = []

    def add(self, text: str, *fields: str | tuple[str, ...]) -> None:
        """One problem: its text (a whole sentence) and the fields (names, or key paths as tuples) it is about."""
        self.problems.append((tuple((f,) if isinstance(f, str) else tuple(f) for f in fields), text))

    def raise_if_any(self) -> None:
        if self.problems:
            raise FieldsError(self.problems)


def error_fields(
    error: Mapping[str, Any], known: Collection[tuple[str, ...]] = ()
) -> list[tuple[list[tuple[str, ...]], str]]:
    """The (field paths, text) problems of one pydantic error (an item of ``ValidationError.errors()``).

    Paths are relative to the error's ``loc``. A :class:`FieldsError` names its fields. Any other error is about the
    deepest paths of ``known`` (the paths below ``loc``) that its text mentions, else about ``loc`` itself (path
    ``()``): a check of the whole model may mention field names (``n``), a field's check only dotted paths below it
    (``thresholds.target``), as a plain word is too likely to be a value or just a word.
    """
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, FieldsError):
        return [(list(paths), text) for paths, text in cause.problems]
    text = str(cause) if cause is not None and error.get("type") == "value_error" else str(error.get("msg", ""))
    words = re.findall(r"[A-Za-z_](?:[\w.]*\w)?", text)
    shortest = 2 if error.get("loc") else 1
    paths = dict.fromkeys(tuple(word.split(".")) for word in words)
    mentioned = [path for path in paths if path in known and len(path) >= shortest]
    deepest = max(map(len, mentioned), default=0)
    return [([path for path in mentioned if len(path) == deepest] or [()], text)]


class StageParams(BaseModel):
    """Base of every stage's params model: unknown keys are errors and instances are frozen.

    A list-of-text field also takes comma-separated text (``--set tiers.sft_models=a,b``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, protected_namespaces=())

    @model_validator(mode="before")
    @classmethod
    def _split_commas(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        out = dict(data)
        for name, field in cls.model_fields.items():
            if isinstance(out.get(name), str) and typing.get_args(field.annotation) == (str,):
                if typing.get_origin(field.annotation) is list:
                    out[name] = [part.strip() for part in out[name].split(",") if part.strip()]
        return out


def _default(model: type[StageParams], name: str) -> str:
    field_info = model.model_fields.get(name)
    return f"default {field_info.get_default(call_default_factory=True)!r}" if field_info else "not given"


def _problem_lines(
    model: type[StageParams], err: Mapping[str, Any], origins: Mapping[str, str]
) -> list[tuple[str, str]]:
    """(where, text) of one pydantic error: each key it is about, and the file:line, flag or default it came from."""
    loc = tuple(str(k) for k in err["loc"])
    lines = []
    for fields, text in error_fields(err, {(name,) for name in model.model_fields}):
        shown = loc and err["type"] != "missing" and str(err["input"]) not in text  # a check's text may show it
        got = f" (got {err['input']!r})" if shown else ""
        keys = [(*loc, *path) for path in fields if (*loc, *path)]
        if not keys:
            lines.append((model.__name__, f"{text}{got}"))
            continue
        first = next((k for k in keys if k[0] in origins), keys[0])
        named = [f"key '{'.'.join(first)}'"]
        named += [f"key '{'.'.join(k)}' ({origins.get(k[0]) or _default(model, k[0])})" for k in keys if k != first]
        lines.append((origins.get(first[0], "defaults"), f"{', '.join(named)}: {text}{got}"))
    return lines


def validate_block(model: type[StageParams], values: Mapping[str, Any], origins: Mapping[str, str]) -> StageParams:
    """Build ``model`` from merged ``values``; an error names each key involved and the file:line it came from.

    ``origins`` maps a key to where its value was set (``file.yaml:12``, a flag, ``--set ...``); a key not in it
    has the model's default. A check across fields (:class:`ladder.stage_params.FieldsError`) names every field.
    """
    try:
        return model(**values)
    except ValidationError as exc:
        problems = [f"{where}: {text}" for err in exc.errors() for where, text in _problem_lines(model, err, origins)]
        raise ParamsError(f"invalid params for {model.__name__}:\n  " + "\n  ".join(problems)) from None
