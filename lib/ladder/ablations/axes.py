"""The study's data axes, P = f(C, N, L, S): each experiment's position on them and what it varies.

An experiment's curate params place it on the axes (N = n, L = length, S = style, C = category, plus source,
similarity and trace verbosity); the reference setting is the most common value of each axis among the SFT
experiments (or ``reference_experiment``'s), and ``varies`` names the axes on which an experiment differs from it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ladder.ablations.params import AblationsError

# Axis name -> CurateParams field. The first four are the study's P = f(C, N, L, S).
AXES = {
    "N": "n",
    "L": "length",
    "S": "style",
    "C": "category",
    "source": "source",
    "similarity": "similarity",
    "verbosity": "synthetic_verbosity",
}
# Axes that change together with the compared one by construction: the study's style axis is s1 (s1K) vs s1.1
# (s1K-1.1), two sources.
COMPANIONS = {"S": ("source",)}
COMPARED_AXES = ("N", "L", "S", "C", "similarity")
# Order of each axis's values in paired contrasts: each contrast is a later value minus an earlier one.
VALUE_ORDER = ("short", "normal", "long", "gemini", "r1", "dissimilar", "none", "similar")


def _most_common(values: pd.Series):
    # Ties go to the value seen first, so the reference does not depend on pandas' sort of mixed types.
    counts = values.value_counts(sort=False)
    return counts.index[int(np.argmax(counts.to_numpy()))]


def experiment_axes(
    curate_params: Mapping[str, Mapping],
    base: list[str],
    reference_experiment: str = "",
    mixed_categories: Sequence[str] = ("diverse", "all"),
    released: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per experiment with known curate params: its value on every axis, role, and the axes it varies.

    ``varies`` lists the axes (``+``-joined) whose value differs from the reference setting: the most common
    value of each axis among SFT experiments, or ``reference_experiment``'s values. Categories in
    ``mixed_categories`` count as one value ("mix") when deciding what varies. ``released`` maps experiments
    whose params come from the released-models table to the hub id: their ``origin`` is "released", the
    others' "this run".
    """
    released = dict(released or {})
    rows = []
    for experiment, values in curate_params.items():
        missing = [f for f in AXES.values() if f not in values]
        if missing:
            raise AblationsError(f"experiment {experiment!r}: curate params lack {', '.join(missing)}")
        row = {"experiment": experiment, "role": "base" if experiment in base else "sft"}
        row.update({axis: values[name] for axis, name in AXES.items()})
        row["origin"] = "released" if experiment in released else "this run"
        row["axes_from"] = f"released model {released[experiment]}" if experiment in released else "curate stage"
        rows.append(row)
    columns = ["experiment", "role", *AXES, "C_group", "origin", "axes_from", "varies", "is_reference"]
    if not rows:
        return pd.DataFrame(columns=columns)
    table = pd.DataFrame(rows)
    table["N"] = table["N"].astype(int)
    table["C_group"] = table["C"].where(~table["C"].isin(list(mixed_categories)), "mix")
    sft = table[table["role"] == "sft"]
    keys = [a for a in AXES if a != "C"] + ["C_group"]
    if reference_experiment:
        if reference_experiment not in set(table["experiment"]):
            raise AblationsError(
                f"reference_experiment {reference_experiment!r} has no curate stage; experiments "
                f"with one: {', '.join(table['experiment'])}"
            )
        reference = table.set_index("experiment").loc[reference_experiment, keys].to_dict()
    elif sft.empty:
        reference = {}
    else:
        reference = {k: _most_common(sft[k]) for k in keys}
    varies = []
    for _, row in table.iterrows():
        differ = [("C" if k == "C_group" else k) for k in keys if reference and row[k] != reference[k]]
        differ = [a for a in AXES if a in differ]
        varies.append("+".join(differ) if differ else ("reference" if reference else ""))
    table["varies"] = varies
    table["is_reference"] = table["varies"].eq("reference") & table["role"].eq("sft")
    return table[columns]
