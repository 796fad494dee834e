"""The book's front page: the answer first, generated from this run's outputs (never from text written in advance).

Reads the last run of a profile (``runs/<profile>/latest.json``) and the panel stages' tables:

* the ladder figure of the tiers stage: one panel per model against the base (``tier_ladder_panels.png``), or
  where a run lacks it the study's Figure 1 style overlay of every model (``tier_ladder.png``);
* per model x tier: avg@n and cov@n with their CIs (``tiers.csv``);
* the study's findings, each verdict beside what this run measured and what the study says (``findings.csv``),
  and the study's tier means beside this run's (``study_tier_means.csv``);
* the compute estimate made before the run (``compute_estimate.csv``);
* links to the notebooks behind each number.

Whatever a run lacks (no tiers stage, a failed ablations stage) is said on the page, never left blank.
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import pandas as pd

from ladder import compute, store
from ladder.params import PANEL

TIER_NAMES = {"easy": "Easy", "medium": "Medium", "hard": "Hard", "exh": "Exh", "all": "all"}
# The front page's ladder figure, first found first, and its caption. The panels come first: ten lines overlaid
# on 168 questions (the laptop book) hide which model climbs where; the overlay stays on the tiers page.
LADDER_FIGURES = {
    "tier_ladder_panels.png": "Each panel is one model's avg@n per question (blue) against the base's (grey); "
    "questions sorted within their tier.",
    "tier_ladder.png": "Each line is a model's avg@n per question; questions sorted within their tier.",
}


def panel_folder(run: dict, stage: str) -> Path | None:
    """The output folder of a finished panel stage of the run, or None."""
    result = store.finished_results(run).get((PANEL, stage))
    return Path(result["dir"]) if result else None


def _interval(value: float, low: float, high: float) -> str:
    if any(pd.isna(v) for v in (value, low, high)):
        return "" if pd.isna(value) else f"{value:.2f}"
    return f'{value:.2f} <small class="ci">[{low:.2f}, {high:.2f}]</small>'


def tier_table(tiers_csv: Path, metric: str) -> str:
    """HTML: one row per model, one column per tier, ``metric`` with its CI in each cell."""
    table = pd.read_csv(tiers_csv)
    n = int(table["n"].iloc[0]) if "n" in table and len(table) else 0
    order = [t for t in TIER_NAMES if t in set(table["tier"])]
    cells = table.assign(
        cell=[
            _interval(v, lo, hi)
            for v, lo, hi in zip(table[metric], table[f"{metric}_ci_low"], table[f"{metric}_ci_high"], strict=True)
        ]
    )
    wide = cells.pivot(index="model", columns="tier", values="cell")[order]
    counts = table.drop_duplicates("tier").set_index("tier")["n_questions"]
    wide.columns = [f"{TIER_NAMES[t]} ({int(counts[t])})" for t in order]
    label = metric.replace("@n", f"@{n}") if n else metric
    return wide.rename_axis(f"{label} [95% CI]").to_html(escape=False, border=0, classes="ladder-table")


def findings_table(findings_csv: Path) -> str:
    """HTML: each finding's verdict, what this run measured and what the study says."""
    findings = pd.read_csv(findings_csv)
    view = findings.rename(columns={"holds": "verdict", "this_run": "this run", "study_says": "the study says"})
    view = view[["finding", "verdict", "this run", "the study says"]]
    view["verdict"] = [f"<strong>{html.escape(str(v))}</strong>" for v in view["verdict"]]
    return view.to_html(index=False, escape=False, border=0, classes="ladder-table")


def study_means_table(means_csv: Path) -> str:
    """HTML: the study's tier means per model group beside this run's (with CI)."""
    means = pd.read_csv(means_csv)
    keep = [c for c in ("group", "tier", "study", "this_run", "ci_low", "ci_high", "difference", "note") if c in means]
    view = means[keep].copy()
    if {"this_run", "ci_low", "ci_high"} <= set(view.columns):
        view["this run [95% CI]"] = [
            _interval(v, lo, hi)
            for v, lo, hi in zip(view.pop("this_run"), view.pop("ci_low"), view.pop("ci_high"), strict=True)
        ]
    return view.to_html(
        index=False, escape=False, border=0, na_rep="", float_format="{:.2f}".format, classes="ladder-table"
    )


def estimate_table(run_dir: Path) -> str:
    """HTML: the compute estimate made before the run, with its assumptions (empty if none was recorded)."""
    estimate = run_dir / "compute_estimate.csv"
    if not estimate.is_file():
        return ""
    table = compute.summary_table(pd.read_csv(estimate))
    return f"<p>{html.escape(compute.assumptions_text(compute.ComputeAssumptions()))}</p>" + table.to_html(
        index=False, na_rep="", border=0, classes="ladder-table"
    )


def _link(pages: dict[tuple[str, str], str], experiment: str, stage: str, text: str) -> str:
    page = pages.get((experiment, stage))
    return f"[{text}]({page})" if page else text


def ladder_figure(tiers_dir: Path | None) -> Path | None:
    """The tiers stage's figure the front page shows (the first of ``LADDER_FIGURES`` it wrote), or None."""
    if tiers_dir is None:
        return None
    return next((tiers_dir / name for name in LADDER_FIGURES if (tiers_dir / name).is_file()), None)


def front_page(run: dict, run_dir: Path, pages: dict[tuple[str, str], str], figure: str | None) -> str:
    """The front page as Markdown (with HTML tables). ``pages`` maps (experiment, stage) to the notebook page's
    source path relative to the docs root; ``figure`` is the ladder figure's path there (None: no tiers stage)."""
    profile = run["profile"]
    counts: dict[str, int] = {}
    for r in run["results"]:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    status = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    lines = [
        f"# What SFT unlocks: profile `{profile}`",
        "",
        f"Run of {html.escape(run['time'])}: {status} ([run status](status.md); [about this profile](#about-this-run)).",
        "",
    ]
    broken = [r for r in run["results"] if r["status"] in ("failed", "blocked")]
    if broken:
        lines += ['!!! failure "Stages that did not finish"', ""]
        for r in broken:
            last = r["error"].strip().splitlines()[-1] if r.get("error") else ""
            lines.append(f"    - `{r['experiment']}/{r['stage']}` {r['status']}: {html.escape(last)}")
        lines.append("")
    tiers_dir, ablations_dir = panel_folder(run, "tiers"), panel_folder(run, "ablations")
    tiers_link = _link(pages, PANEL, "tiers", "50 Tiers")
    ablations_link = _link(pages, PANEL, "ablations", "60 Ablations")
    lines += ["## The ladder", ""]
    if figure:
        lines += [
            f"![avg@n per question, sorted within tiers]({figure})",
            "",
            f"{LADDER_FIGURES.get(Path(figure).name, '')} From {tiers_link}.".lstrip(),
            "",
        ]
    else:
        lines += ["This run has no finished tiers stage, so there is no ladder figure.", ""]
    if tiers_dir is not None and (tiers_dir / "tiers.csv").is_file():
        lines += [
            "## Per model and tier",
            "",
            tier_table(tiers_dir / "tiers.csv", "avg@n"),
            "",
            tier_table(tiers_dir / "tiers.csv", "cov@n"),
            "",
            "avg@n (stability: mean correctness over the n samples) and cov@n (potential: any of the first n samples "
            "correct, as the study computes it), with 95% intervals for questions like the tier's "
            f"({tiers_link} says how they are computed; the number of questions is beside each tier).",
            "",
        ]
    if ablations_dir is not None and (ablations_dir / "findings.csv").is_file():
        lines += [
            "## The study's findings in this run",
            "",
            "`yes` / `no`: the run's intervals (paired, for comparisons) support the finding or exclude it; "
            f"`inconclusive`: an interval straddles the claim; `not testable`: the run lacks the experiments. From "
            f"{ablations_link}.",
            "",
            findings_table(ablations_dir / "findings.csv"),
            "",
        ]
    else:
        lines += ["## The study's findings in this run", "", "This run has no finished ablations stage.", ""]
    if tiers_dir is not None and (tiers_dir / "study_tier_means.csv").is_file():
        lines += [
            "## This run vs the study",
            "",
            f"The study's mean avg@8 per model group and tier (its Figure 1) beside this run's. From {tiers_link}.",
            "",
            study_means_table(tiers_dir / "study_tier_means.csv"),
            "",
        ]
    estimate = estimate_table(run_dir)
    if estimate:
        lines += ["## Compute estimate (made before the run)", "", estimate, ""]
    lines += ["## About this run", "", html.escape(run.get("descriptions", {}).get("profile", "")), ""]
    lines += ["## Every stage", ""]
    for experiment in dict.fromkeys(r["experiment"] for r in run["results"]):
        links = [
            _link(pages, r["experiment"], r["stage"], r["notebook"])
            for r in run["results"]
            if r["experiment"] == experiment
        ]
        name = "panel" if experiment == PANEL else f"`{experiment}`"
        lines.append(f"- {name}: " + ", ".join(links))
    return "\n".join(lines) + "\n"


def status_page(run: dict) -> str:
    """Markdown: one row per stage (status, wall time, hash) and each stage's params behind a disclosure."""
    lines = [
        f"# Run status: profile `{run['profile']}`",
        "",
        f"Run of {html.escape(run['time'])}. Params files: "
        + ", ".join(f"`{v}`" for v in run.get("sources", {}).values()),
        "",
    ]
    rows = []
    for r in run["results"]:
        wall = "-" if r.get("wall_s") is None or math.isnan(r["wall_s"]) else f"{r['wall_s']:.1f} s"
        error = html.escape(r["error"].strip().splitlines()[-1]) if r.get("error") else ""
        params = html.escape("\n".join(f"{k}: {v!r}" for k, v in sorted(r["params"].items())))
        rows.append(
            f"<tr><td>{html.escape(r['experiment'])}</td><td>{html.escape(r['notebook'])}</td>"
            f"<td class='status-{html.escape(r['status'])}'>{html.escape(r['status'])}"
            f"{'<br><small>' + error + '</small>' if error else ''}</td><td>{wall}</td>"
            f"<td><code>{html.escape(r['hash'])}</code></td>"
            f"<td><details><summary>{len(r['params'])} params</summary><pre>{params}</pre></details></td></tr>"
        )
    lines += [
        "<table class='ladder-table'><tr><th>experiment</th><th>stage</th><th>status</th><th>wall time</th>"
        "<th>hash</th><th>params</th></tr>",
        *rows,
        "</table>",
        "",
    ]
    return "\n".join(lines)
