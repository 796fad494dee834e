"""The base of every stage's params model, and the error bad params raise.

A leaf module (it imports no other ``ladder`` module), so that the stage table (``ladder.stages``), the YAML
reader (``ladder.yaml_source``) and the plan loader (``ladder.params``) can all import it. Import both names from
``ladder.params``, as the stages' own params models do.
"""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator


class ParamsError(ValueError):
    """Bad params: says what is wrong, where (file, line, key) and what is accepted."""


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
