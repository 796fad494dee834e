"""Tables for people: how every stage notebook shows a table, a tier grid and the parameters of its run.

One look for every page of the book (pandas Styler, nothing drawn by hand): rates as percentages, other numbers
with 2 decimals (never a raw float), a metric and its interval in one cell (``94% [72, 99]``), model x tier grids
colour-scaled, no meaningless index column, and a table of more than ``MAX_ROWS`` rows collapsed under a line that
names the CSV file holding it (the notebook shows a figure or a summary above it). Only the display changes: the
frames and the files the stages write are never touched. Usage in a notebook::

    from ladder import display
    display.parameters_box(params, output_dir)          # the collapsed "Parameters of this run" box
    display.tier_grid(analysis.tiers, "avg@n")          # model x tier, "88% [72, 95]", colour-scaled
    display.table(analysis.questions, source="questions.csv")   # 40 rows: collapsed beneath a summary line
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from pandas.io.formats.style import Styler

from ladder import store
from ladder.stage_params import StageParams

MAX_ROWS = 20  # a longer table is collapsed (the notebook shows a figure or summary above it)
ONE_ROW_COLUMNS = 6  # a single row with more columns is shown as a column: field, value
TIER_NAMES = {"easy": "Easy", "medium": "Medium", "hard": "Hard", "exh": "Exh", "all": "All"}
# Columns holding a share of samples or questions (0-1), shown as percentages when every value lies in [-1, 1].
RATE = re.compile(
    r"^(avg|cov|pass|maj)@|accuracy|^acc_|share|_rate$|^rate$|^truncated|^unfinished$|^unfinished_|^answer_in|"
    r"^no_answer$|^finish_reason_unknown$|^consistency$|^step_accuracy$|_step$|^product$|^end_to_end$|_mean$|"
    r"^(base|small SFT|best model)$"
)
HEAT_CMAP = "YlGnBu"  # sequential, readable with black or white text (Styler picks the text colour)


class HTMLBlock:
    """HTML that a notebook shows as it is (what IPython's ``HTML`` does, without importing IPython)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def _repr_html_(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text


def number(value: Any) -> str:
    """A number for a reader: integers with thousands separators, else 2 decimals (2 significant digits below 0.01,
    and in powers of ten below 0.001, as a p-value of 0.00028 reads 2.8e-04); anything else as text, missing values
    empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e15):
        return f"{int(value):,}"
    if isinstance(value, float):
        if value != 0 and abs(value) < 0.001:
            return f"{value:.1e}"
        if value != 0 and abs(value) < 0.01:
            return f"{value:.2g}"
        return f"{value:,.2f}"
    return str(value)


def percent(value: Any) -> str:
    """A share (0-1) as a whole percentage, ``0.875`` -> ``88%``; missing values empty."""
    if value is None or pd.isna(value):
        return ""
    return f"{float(value) * 100:.0f}%"


def interval(value: Any, low: Any, high: Any, rate: bool = True) -> str:
    """A value with its interval in one cell: ``94% [72, 99]`` for a rate, ``1.23 [0.50, 2.00]`` otherwise."""
    if value is None or pd.isna(value):
        return ""
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return percent(value) if rate else number(float(value))
    if rate:
        return f"{percent(value)} [{float(low) * 100:.0f}, {float(high) * 100:.0f}]"
    return f"{float(value):.2f} [{float(low):.2f}, {float(high):.2f}]"


def is_rate(column: str, values: pd.Series) -> bool:
    """Whether a column is a share: its name says so (``RATE``) and every value lies in [-1, 1]."""
    if not RATE.search(str(column)) or not pd.api.types.is_numeric_dtype(values) or values.dtype == bool:
        return False
    present = values.dropna()
    return bool(len(present)) and bool(((present >= -1) & (present <= 1)).all())


def _interval_columns(frame: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """value column -> (low, high) columns: ``<m>_ci_low``/``<m>_ci_high``, or ``ci_low``/``ci_high`` after a value."""
    columns = [str(c) for c in frame.columns]
    pairs = {}
    for c in columns:
        if f"{c}_ci_low" in columns and f"{c}_ci_high" in columns:
            pairs[c] = (f"{c}_ci_low", f"{c}_ci_high")
    if "ci_low" in columns and "ci_high" in columns:
        before = columns.index("ci_low") - 1
        if before >= 0 and columns[before] not in pairs and pd.api.types.is_numeric_dtype(frame[columns[before]]):
            pairs[columns[before]] = ("ci_low", "ci_high")
    return pairs


def readable(frame: pd.DataFrame, percent_columns: Iterable[str] = ()) -> pd.DataFrame:
    """``frame`` as text cells: each interval joined into its value's cell (the CI columns dropped), rates as
    percentages, other numbers by :func:`number`. The index is kept."""
    frame = frame.copy()
    frame.columns = [str(c) for c in frame.columns]
    forced = set(percent_columns)
    rates = {c for c in frame.columns if c in forced or is_rate(c, frame[c])}
    out = {}
    pairs = _interval_columns(frame)
    dropped = {col for pair in pairs.values() for col in pair}
    for column in frame.columns:
        if column in dropped:
            continue
        values = frame[column]
        if column in pairs:
            low, high = pairs[column]
            rate = column in rates
            cells = [interval(v, lo, hi, rate) for v, lo, hi in zip(values, frame[low], frame[high], strict=True)]
            out[f"{column} [{'95% CI' if 'ci' in low else 'CI'}]"] = cells
        elif column in rates:
            out[column] = [percent(v) for v in values]
        elif pd.api.types.is_numeric_dtype(values) and values.dtype != bool:
            out[column] = [number(v.item() if hasattr(v, "item") else v) for v in values]
        else:
            out[column] = [_text(v) for v in values]
    return pd.DataFrame(out, index=frame.index)


def _text(value: Any) -> str:
    if isinstance(value, float):
        return number(value)
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value)
    if value is None or (not isinstance(value, str | dict) and pd.isna(value)):
        return ""
    return str(value)


def _meaningful_index(frame: pd.DataFrame) -> bool:
    """An index worth a column: named, or anything but 0..n-1."""
    index = frame.index
    if any(name is not None for name in index.names):
        return True
    return not (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1)


def _escaped(styler: Styler) -> Styler:
    """Cells, index and column labels shown as text, never read as HTML (a response holds ``<think>``); a label
    may wrap after an underscore (``truncated_or_unfinished``), so that a table of many columns fits the page."""
    return (
        styler.format(escape="html")
        .format_index(escape="html", axis=0)
        .format_index(lambda label: str(label).replace("_", "_<wbr>"), escape="html", axis=1)
    )


def style(frame: pd.DataFrame, percent_columns: Iterable[str] = (), caption: str | None = None) -> Styler:
    """A Styler of :func:`readable` cells: the index hidden unless it means something, the book's table class; a
    single row of more than ``ONE_ROW_COLUMNS`` columns turned into a column (field, value), as people read it."""
    view = readable(frame, percent_columns)
    show_index = _meaningful_index(frame)
    if len(view) == 1 and view.shape[1] > ONE_ROW_COLUMNS:
        view = view.T.set_axis([str(frame.index[0]) if show_index else "value"], axis=1).rename_axis("field")
        show_index = True
    styler = _escaped(view.style).set_table_attributes('class="ladder-table"')
    if not show_index:
        styler = styler.hide(axis="index")
    if caption:
        styler = styler.set_caption(html.escape(caption))
    return styler


def collapsed(summary: str, content: Any) -> HTMLBlock:
    """``content`` (a Styler, frame or HTML) in a closed ``<details>`` box under ``summary``."""
    if isinstance(content, Styler):
        body = content.to_html()
    elif isinstance(content, pd.DataFrame):
        body = style(content).to_html()
    else:
        body = str(content)
    return HTMLBlock(f'<details class="ladder-box"><summary>{html.escape(summary)}</summary>\n{body}\n</details>')


def table(
    frame: pd.DataFrame,
    percent_columns: Iterable[str] = (),
    source: str | None = None,
    caption: str | None = None,
    max_rows: int = MAX_ROWS,
) -> Styler | HTMLBlock:
    """A frame as people read it (:func:`style`); longer than ``max_rows``: collapsed under a line naming its
    rows and ``source`` (the CSV file the stage writes it to), for the notebook to show a figure or summary above;
    empty: a line saying so (not a row of headers)."""
    if frame.empty:
        return HTMLBlock("<p><em>none (no rows)</em></p>")
    styled = style(frame, percent_columns, caption)
    if len(frame) <= max_rows:
        return styled
    where = f", in {source}" if source else ""
    return collapsed(f"The full table: {len(frame)} rows{where}", styled)


def tier_grid(
    rows: pd.DataFrame,
    metric: str = "avg@n",
    row: str = "model",
    column: str = "tier",
    caption: str | None = None,
) -> Styler:
    """A long table of ``row`` x ``column`` rows as a grid: ``metric`` with its interval in each cell
    (``88% [72, 95]``), colour-scaled from 0 to 100%, tiers in the study's order with their question counts."""
    low, high = f"{metric}_ci_low", f"{metric}_ci_high"
    if low not in rows:
        low, high = "ci_low", "ci_high"
    has_ci = low in rows and high in rows
    cells = rows.assign(
        _cell=[interval(v, lo, hi) for v, lo, hi in zip(rows[metric], rows[low], rows[high], strict=True)]
        if has_ci
        else [percent(v) for v in rows[metric]]
    )
    order = (
        [t for t in TIER_NAMES if t in set(rows[column])] if column == "tier" else list(dict.fromkeys(rows[column]))
    )
    order += [t for t in dict.fromkeys(rows[column]) if t not in order]
    index = list(dict.fromkeys(rows[row]))
    text = cells.pivot_table(index=row, columns=column, values="_cell", aggfunc="first").reindex(index)[order]
    values = rows.pivot_table(index=row, columns=column, values=metric, aggfunc="first").reindex(index)[order]
    labels = {t: TIER_NAMES.get(t, str(t)) for t in order}
    if column == "tier" and "n_questions" in rows:
        counts = rows.drop_duplicates(column).set_index(column)["n_questions"]
        labels = {t: f"{TIER_NAMES.get(t, t)} ({int(counts[t])})" for t in order}
    text = text.rename(columns=labels).rename_axis(index=None, columns=None).fillna("")
    values = values.rename(columns=labels)
    styler = _escaped(text.style).set_table_attributes('class="ladder-table ladder-grid"')
    styler = styler.background_gradient(cmap=HEAT_CMAP, vmin=0, vmax=1, gmap=values.to_numpy(dtype=float), axis=None)
    label = f"{metric}{' [95% CI]' if has_ci else ''}"
    return styler.set_caption(html.escape(caption or label))


# --- the parameters of a run ------------------------------------------------------------------------------------


def _value_text(value: Any) -> str:
    if isinstance(value, dict):
        return json.dumps(value) if value else "{}"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) if value else "[]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value) if value != "" else '""'


def origin_label(origin: str) -> str:
    """Where a value came from, for a reader: ``profile laptop.yaml:84``, ``experiment sft_n500.yaml:12``, or the
    origin as the runner recorded it (``command line (--set train.*)``)."""
    file, _, line = origin.rpartition(":")
    if file and line.isdigit():
        kind = "profile" if "/profiles/" in f"/{file}" else "experiment" if "/experiments/" in f"/{file}" else "file"
        return f"{kind} {Path(file).name}:{line}"
    return origin


def parameters_table(params: StageParams, origins: Mapping[str, str] | None) -> pd.DataFrame:
    """One row per field of ``params``: its value and where it came from, the values that differ from the
    defaults first. ``origins`` (field -> "file:line", as the runner records them in ``params.json``): None when
    the notebook ran outside the runner, where a value other than the default reads "given"."""
    defaults = type(params)()
    rows = []
    for name in type(params).model_fields:
        value = getattr(params, name)
        if origins is not None and name in origins:
            where = origin_label(origins[name])
        elif value != getattr(defaults, name):
            where = "given"
        else:
            where = "default"
        rows.append({"parameter": name, "value": _value_text(value), "from": where})
    table = pd.DataFrame(rows, columns=["parameter", "value", "from"])
    return table.sort_values("from", key=lambda s: s.eq("default"), kind="stable").reset_index(drop=True)


def read_origins(output_dir: str | Path) -> dict[str, str] | None:
    """The origins the runner recorded in ``output_dir/params.json``; None when there is none (run by hand)."""
    path = Path(output_dir) / "params.json"
    if not path.is_file():
        return None
    return dict(store.read_json(path).get("origins") or {})


def parameters_box(params: StageParams, output_dir: str | Path) -> HTMLBlock:
    """The collapsed "Parameters of this run" box: each parameter, its value and where it came from (default,
    profile or experiment file, command line), what differs from the defaults first."""
    table = parameters_table(params, read_origins(output_dir))
    changed = int((table["from"] != "default").sum())
    styled = _escaped(table.style).hide(axis="index").set_table_attributes('class="ladder-table"')
    summary = f"Parameters of this run ({changed} of {len(table)} differ from the defaults)"
    return collapsed(summary, styled)


def record(mapping: Mapping[str, Any], source: str | None = None) -> Styler | HTMLBlock:
    """A mapping (nested keys joined with ".") as a field/value :func:`table`, numbers formatted by :func:`number`."""
    flat = pd.json_normalize(dict(mapping), sep=".").iloc[0] if mapping else pd.Series(dtype=object)
    values = [_text(v.item() if hasattr(v, "item") else v) for v in flat.to_numpy()]
    return table(pd.DataFrame({"field": list(flat.index), "value": values}), source=source)


def notes(lines: Iterable[str]) -> HTMLBlock:
    """An analysis's notes as a list ("none" when it had nothing to decide)."""
    items = [f"<li>{html.escape(str(line))}</li>" for line in lines]
    return HTMLBlock(f"<ul>{''.join(items)}</ul>" if items else "<p><em>none</em></p>")


def files_written(written: Mapping[str, str | Path]) -> HTMLBlock:
    """The files a stage wrote (name -> path), collapsed: their names, in the stage's folder."""
    names = sorted(Path(path).name for path in written.values())
    return collapsed(
        f"Files written ({len(names)})", f"<p>{', '.join(f'<code>{html.escape(n)}</code>' for n in names)}</p>"
    )
