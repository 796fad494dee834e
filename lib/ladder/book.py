"""The book: ``book/<profile>/index.html`` linking every rendered notebook of the last run of a profile.

Reads ``runs/<profile>/latest.json`` (written by ``ladder.run``), copies each stage's ``notebook.html``
to ``book/<profile>/<experiment>/<NN_stage>.html`` so the folder can be shared on its own, and writes
an index grouped by experiment with each stage's params, status and wall time::

    ladder book --profile laptop
"""

from __future__ import annotations

import argparse
import html
import json
import shutil
from pathlib import Path

import pandas as pd

from ladder import paths, store
from ladder.params import PANEL

STATUS_COLOURS = {"done": "#1a7f37", "cached": "#57606a", "failed": "#cf222e", "blocked": "#9a6700"}

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ladder book: {profile}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; color: #1f2328; }}
table {{ border-collapse: collapse; width: 100%; margin-bottom: 1.5rem; }}
th, td {{ border-bottom: 1px solid #d0d7de; padding: .35rem .6rem; text-align: left; vertical-align: top; }}
td.params {{ font-family: ui-monospace, monospace; font-size: .8rem; white-space: pre-wrap; }}
.status {{ font-weight: 600; }}
</style></head><body>
<h1>ladder book: profile <code>{profile}</code></h1>
<p>{description}</p>
<p>Last run {time}. Stages: {summary}. Params files: {sources}.</p>
{sections}
{estimate}
</body></html>
"""


def _params_text(params: dict) -> str:
    return "\n".join(f"{k}: {json.dumps(v)}" for k, v in sorted(params.items()))


def build_book(profile: str, runs_dir: Path | None = None, book_dir: Path | None = None) -> Path:
    """Write ``book/<profile>/index.html`` from the profile's last run; returns its path."""
    run = store.read_last_run(profile, runs_dir)
    out = (book_dir or paths.BOOK_DIR) / profile
    out.mkdir(parents=True, exist_ok=True)
    groups: dict[str, list[dict]] = {}
    for result in run["results"]:
        groups.setdefault(result["experiment"], []).append(result)
    sections = []
    for experiment, results in groups.items():
        title = (
            "Across experiments (panel)"
            if experiment == PANEL
            else f"Experiment <code>{html.escape(experiment)}</code>"
        )
        about = run.get("descriptions", {}).get(experiment, "")
        rows = []
        for r in results:
            page = Path(r["dir"]) / "notebook.html"
            link = html.escape(r["notebook"])
            if page.is_file():
                target = out / experiment / f"{r['notebook']}.html"
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(page, target)
                link = f'<a href="{html.escape(str(target.relative_to(out)))}">{link}</a>'
            wall = f"{r['wall_s']:.1f} s" if r.get("wall_s") is not None else "-"
            colour = STATUS_COLOURS.get(r["status"], "#000")
            error = f"<br><small>{html.escape(r['error'].strip().splitlines()[-1])}</small>" if r.get("error") else ""
            rows.append(
                f"<tr><td>{link}</td><td class='status' style='color:{colour}'>{r['status']}{error}</td>"
                f"<td>{wall}</td><td><code>{html.escape(r['hash'])}</code></td>"
                f"<td class='params'>{html.escape(_params_text(r['params']))}</td></tr>"
            )
        sections.append(
            f"<h2>{title}</h2><p>{html.escape(about)}</p><table><tr><th>stage</th><th>status</th><th>wall time</th><th>hash</th>"
            f"<th>params</th></tr>{''.join(rows)}</table>"
        )
    estimate = ""
    estimate_file = store.last_run_path(profile, runs_dir).parent / "compute_estimate.csv"
    if estimate_file.is_file():
        from ladder import compute

        table = compute.summary_table(pd.read_csv(estimate_file))
        estimate = (
            "<h2>Compute estimate (made before the run)</h2>"
            f"<p>{html.escape(compute.assumptions_text(compute.ComputeAssumptions()))}</p>"
            + table.to_html(index=False, na_rep="", border=0)
        )
    counts: dict[str, int] = {}
    for r in run["results"]:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    index = out / "index.html"
    tmp = index.with_name(".index.html.tmp")
    tmp.write_text(PAGE.format(
        profile=html.escape(profile), time=html.escape(run["time"]),
        description=html.escape(run.get("descriptions", {}).get("profile", "")),
        summary=", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none",
        sources=", ".join(f"<code>{html.escape(v)}</code>" for v in run.get("sources", {}).values()),
        sections="\n".join(sections),
        estimate=estimate,
    ))  # fmt: skip
    tmp.replace(index)
    return index


def cmd_book(args: argparse.Namespace) -> int:
    try:
        print(build_book(args.profile))
    except FileNotFoundError as exc:
        print(f"ladder: {exc}")
        return 2
    return 0


def add_cli(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("book", help="rebuild book/<profile>/index.html from the profile's last run")
    p.add_argument("--profile", default="laptop")
    p.set_defaults(func=cmd_book)
