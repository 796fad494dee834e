"""The book: ``book/<profile>/``, an offline site of the profile's last run, built with mkdocs-material.

Reads ``runs/<profile>/latest.json`` (written by ``ladder.run``) and builds a static site:

* the front page (``ladder.frontpage``): the ladder figure, per model x tier metrics with intervals, the
  findings with their verdicts beside the study's, the compute estimate, links to the notebooks;
* ``status.html``: every stage's status, wall time, hash and params (behind a disclosure);
* every executed stage notebook, rendered by mkdocs-jupyter, in a sidebar by experiment, with full-text search;
  the book's copy leaves out the parameters cells (each page has a "Parameters of this run" box instead) and the
  output of cells tagged ``log`` (:func:`book_notebook`).

The site works from the file system with no network: mkdocs-material's ``offline`` plugin (search included),
no web fonts, no require.js, and MathJax bundled (``lib/ladder/assets/mathjax``). No page contains an absolute
path of the machine that ran it: paths under the project root or the runs folder are shown relative to the
project root. When Chromium is installed, the build also saves a screenshot of the front page
(``book/<profile>/front_page.png``, ``ladder.browser``). Usage::

    ladder book --profile laptop           # also the last step of `make reproduce`
    ladder book --profile laptop --screenshots docs/images   # and the README's pictures (ladder.browser)
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

import yaml
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config

from ladder import browser, frontpage, paths, store
from ladder.params import PANEL

ASSETS = paths.PACKAGE_DIR / "assets"
MATHJAX = ASSETS / "mathjax" / "tex-svg.js"
IFRAME_WORKER = ASSETS / "iframe-worker" / "shim.js"  # search from file://; the offline plugin would fetch it
# MathJax 3 reads this before it loads: notebooks write $...$ and $$...$$.
MATHJAX_CONFIG = (
    "window.MathJax = {tex: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']], processEscapes: true}, "
    "svg: {fontCache: 'global'}};\n"
)
PANEL_FOLDER = "panel"  # the book's folder for the panel stages (mkdocs skips nothing, but "_" reads as private)
EXTRA_CSS = """
.ladder-table { font-size: .72rem; }
.ladder-table td, .ladder-table th { padding: .2rem .5rem !important; vertical-align: top; }
.ladder-table small.ci { white-space: nowrap; }
.md-typeset details pre { font-size: .65rem; }
.status-failed { color: #cf222e; font-weight: 600; } .status-blocked { color: #9a6700; font-weight: 600; }
.status-done { color: #1a7f37; }
.jp-OutputArea-output { min-width: 0; flex: 1 1 auto; }
.jp-OutputArea-output table { font-size: .62rem; max-width: 100%; }
.jp-OutputArea-output table td, .jp-OutputArea-output table th { padding: .15rem .3rem !important; }
.jp-OutputArea-output table td, .jp-OutputArea-output table th { overflow-wrap: anywhere; }
.jp-OutputArea-output caption { caption-side: top; text-align: left; font-weight: 600; padding: .2rem 0; }
.jp-OutputArea-output details.ladder-box { margin: .3rem 0; }
.jp-OutputArea-output details.ladder-box > summary { cursor: pointer; font-size: .7rem; color: #444; }
.jp-RenderedMarkdown details > summary { cursor: pointer; }
"""
# Cells the executed notebook.ipynb keeps and the book leaves out: the parameters cell (its defaults) and papermill's
# injected-parameters cell (each page shows a "Parameters of this run" box instead, ladder.display.parameters_box).
# Done on the book's copy: mkdocs-jupyter's remove_tag_config (0.26) honours only the first tag of each list.
HIDDEN_CELL_TAGS = frozenset({"parameters", "injected-parameters"})
LOG_TAG = "log"  # a cell whose output is an engine's log lines as it runs: the book shows the cell without them


def path_replacements(runs_dir: Path) -> list[tuple[str, str]]:
    """(absolute prefix, what a reader sees instead), longest first: the runs folder shows as ``runs`` and the
    project root as ``.``, as stages record paths (``ladder.store.portable``)."""
    pairs = {str(runs_dir.resolve()): "runs", str(paths.ROOT): "."}
    return sorted(pairs.items(), key=lambda kv: -len(kv[0]))


def relative_paths(text: str, replacements: list[tuple[str, str]]) -> str:
    """``text`` with every absolute path under the runs folder or the project root shown relative to the root."""
    for prefix, shown in replacements:
        text = re.sub(re.escape(prefix) + r"(?=[/\\\"'<\s,)\]]|$)", shown, text)
    return text


def _folder(experiment: str) -> str:
    return PANEL_FOLDER if experiment == PANEL else experiment


def book_notebook(text: str) -> str:
    """The book's copy of an executed notebook (JSON text): without the parameters cells, the outputs of cells
    tagged ``log`` emptied."""
    nb = json.loads(text)
    cells = []
    for cell in nb["cells"]:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & HIDDEN_CELL_TAGS:
            continue
        if LOG_TAG in tags and cell.get("outputs"):
            cell = {**cell, "outputs": []}
        cells.append(cell)
    return json.dumps({**nb, "cells": cells}, ensure_ascii=False, indent=1)


def _copy_notebooks(run: dict, docs: Path, replacements: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Each finished stage's executed notebook into ``docs/<experiment>/<NN_stage>.ipynb``, paths made relative."""
    pages = {}
    for r in run["results"]:
        executed = Path(r["dir"]) / "notebook.ipynb"
        if not executed.is_file():
            continue
        page = f"{_folder(r['experiment'])}/{r['notebook']}.ipynb"
        (docs / page).parent.mkdir(parents=True, exist_ok=True)
        text = relative_paths(book_notebook(executed.read_text(encoding="utf-8")), replacements)
        # An absolute path inside JSON text is escaped only for backslashes (Windows); slashes stay as they are.
        (docs / page).write_text(text, encoding="utf-8")
        pages[(r["experiment"], r["stage"])] = page
    return pages


def _nav(run: dict, pages: dict[tuple[str, str], str]) -> list:
    nav: list = [{"The answer first": "index.md"}, {"Run status": "status.md"}]
    for experiment in dict.fromkeys(r["experiment"] for r in run["results"]):
        entries = [
            {r["notebook"]: pages[(r["experiment"], r["stage"])]}
            for r in run["results"]
            if r["experiment"] == experiment and (r["experiment"], r["stage"]) in pages
        ]
        if entries:
            nav.append({"Panel: tiers, strategies, ablations" if experiment == PANEL else experiment: entries})
    return nav


def site_config(profile: str, docs: Path, site: Path, nav: list) -> dict:
    """The mkdocs.yml of the book, as a dict."""
    return {
        "site_name": f"ladder book: {profile}",
        "docs_dir": str(docs),
        "site_dir": str(site),
        "use_directory_urls": False,  # the offline plugin needs file names, and file:// cannot list folders
        "nav": nav,
        "theme": {"name": "material", "font": False, "features": ["navigation.sections", "search.highlight"]},
        "extra_css": ["assets/ladder.css"],
        "extra": {"polyfills": ["assets/iframe-worker/shim.js"]},  # bundled: the offline plugin would use unpkg
        "markdown_extensions": ["tables", "md_in_html", "admonition", {"pymdownx.details": {}}],
        "plugins": [
            "search",
            "offline",
            {
                "mkdocs-jupyter": {
                    "execute": False,
                    "include_source": False,
                    "include_requirejs": False,
                    "ignore_h1_titles": True,
                    "no_prompt": True,  # no "In [3]:" column: the outputs get the whole content column
                    # Notebook pages sit one folder down (<experiment>/<stage>.html).
                    "custom_mathjax_url": "../assets/mathjax/tex-svg-ladder.js",
                }
            },
        ],
        "validation": {"links": {"unrecognized_links": "ignore"}},
    }


def _strip_network(site: Path, replacements: list[tuple[str, str]]) -> None:
    """Last pass over the built pages: no absolute paths, no script or stylesheet fetched from the network."""
    remote = re.compile(r"<(script|link)\b[^>]*\b(?:src|href)=\"https?://[^\"]*\"[^>]*>(?:\s*</script>)?", re.I)
    # nbconvert's Mermaid loader imports mermaid from a CDN when a page has a diagram; the book has none.
    remote_import = re.compile(r"<script type=\"module\">(?:(?!</script>).)*?import\(\"https?://.*?</script>", re.S)
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        cleaned = remote_import.sub("", remote.sub("", relative_paths(text, replacements)))
        if cleaned != text:
            page.write_text(cleaned, encoding="utf-8")


def build_book(
    profile: str, runs_dir: Path | None = None, book_dir: Path | None = None, screenshot: bool = True
) -> Path:
    """Build ``book/<profile>/`` from the profile's last run; returns the path of its ``index.html``."""
    runs_dir = Path(runs_dir or paths.RUNS_DIR)
    run = store.read_last_run(profile, runs_dir)
    out = (book_dir or paths.BOOK_DIR) / profile
    replacements = path_replacements(runs_dir)
    with tempfile.TemporaryDirectory(prefix="ladder-book-") as tmp:
        docs, site = Path(tmp) / "docs", Path(tmp) / "site"
        (docs / "assets" / "mathjax").mkdir(parents=True)
        pages = _copy_notebooks(run, docs, replacements)
        (docs / "assets" / "mathjax" / "tex-svg-ladder.js").write_text(
            MATHJAX_CONFIG + MATHJAX.read_text(encoding="utf-8"), encoding="utf-8"
        )
        (docs / "assets" / "ladder.css").write_text(EXTRA_CSS)
        (docs / "assets" / "iframe-worker").mkdir()
        shutil.copyfile(IFRAME_WORKER, docs / "assets" / "iframe-worker" / "shim.js")
        ladder_png = frontpage.ladder_figure(frontpage.panel_folder(run, "tiers"))
        if ladder_png is not None:
            shutil.copyfile(ladder_png, docs / "assets" / ladder_png.name)
        figure = f"assets/{ladder_png.name}" if ladder_png is not None else None
        run_dir = store.last_run_path(profile, runs_dir).parent  # latest.json and compute_estimate.csv
        front = frontpage.front_page(run, run_dir, pages, figure)
        (docs / "index.md").write_text(relative_paths(front, replacements), encoding="utf-8")
        (docs / "status.md").write_text(relative_paths(frontpage.status_page(run), replacements), encoding="utf-8")
        config_file = Path(tmp) / "mkdocs.yml"
        config_file.write_text(yaml.safe_dump(site_config(profile, docs, site, _nav(run, pages)), sort_keys=False))
        mkdocs_build(load_config(config_file=str(config_file)))
        _strip_network(site, replacements)
        for server_only in ("404.html", "sitemap.xml", "sitemap.xml.gz"):  # absolute URLs, for web servers only
            (site / server_only).unlink(missing_ok=True)
        staged = out.with_name(f".{profile}.partial")
        shutil.rmtree(staged, ignore_errors=True)
        shutil.copytree(site, staged)
    shutil.rmtree(out, ignore_errors=True)
    staged.replace(out)
    index = out / "index.html"
    if screenshot:
        browser.save_screenshot(index, out / "front_page.png")  # skipped without Chromium
    return index


def cmd_book(args: argparse.Namespace) -> int:
    try:
        index = build_book(args.profile)
    except FileNotFoundError as exc:
        print(f"ladder book: error: {exc}", file=sys.stderr)
        return 2
    print(index)
    if args.screenshots:
        reason = browser.browser_unavailable()
        if reason:
            print(f"ladder book: error: no screenshots: {reason}", file=sys.stderr)
            return 2
        for png in browser.save_screenshots(index.parent, Path(args.screenshots)):
            print(png)
    return 0


def add_cli(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("book", help="rebuild book/<profile>/ (an offline site) from the profile's last run")
    p.add_argument("--profile", default="laptop")
    p.add_argument(
        "--screenshots",
        metavar="DIR",
        help="also save the top (1280x800) of the front page, 20 Train, 50 Tiers and 60 Ablations as DIR/*.png "
        "(the README's: docs/images)",
    )
    p.set_defaults(func=cmd_book)
