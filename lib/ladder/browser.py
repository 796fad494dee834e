"""Headless Chromium for the book: screenshots, and checks of every page as a reader opens it (errors, network,
links, images; on the notebook pages, where the first result starts, tables too wide, raw floats).

Uses Playwright's Python API driving the system's Chromium (Debian's ``chromium`` package; Playwright's own
browser downloads need the network). Without Chromium or Playwright, :func:`save_screenshot` does nothing and
:func:`browser_unavailable` says why, so the book still builds.

    from ladder import browser
    problems = browser.check_site(Path("book/laptop"))     # [] when every page is clean
    layouts = browser.check_layout(Path("book/laptop"))    # each notebook page as a reader sees its first screen
    browser.save_screenshots(Path("book/laptop"), Path("docs/images"))   # the README's pictures
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

try:  # a dev dependency: the book builds without it
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - exercised where playwright is not installed
    sync_playwright = None
    PlaywrightError = Exception

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
VIEWPORT = {"width": 1280, "height": 800}


def find_chromium() -> str | None:
    """Path of an installed Chromium (or Chrome), or None."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def browser_unavailable() -> str | None:
    """Why no headless browser can run here (None when one can)."""
    if sync_playwright is None:
        return "the playwright package is not installed (pip install playwright)"
    if find_chromium() is None:
        return "no Chromium on PATH (Debian: apt-get install -y chromium)"
    return None


def _launch(playwright):
    # No sandbox and no /dev/shm: CI containers run as root with a small /dev/shm.
    return playwright.chromium.launch(
        executable_path=find_chromium(), args=["--no-sandbox", "--disable-dev-shm-usage"]
    )


def save_screenshot(page: Path, png: Path) -> Path | None:
    """Screenshot ``page`` (a local HTML file) at 1280x800 into ``png``; None when no browser can run."""
    if browser_unavailable():
        return None
    with sync_playwright() as playwright:
        chromium = _launch(playwright)
        try:
            tab = chromium.new_page(viewport=VIEWPORT)
            tab.goto(page.resolve().as_uri(), wait_until="load")
            tab.wait_for_timeout(300)  # MathJax typesets after load
            tab.screenshot(path=str(png))
        finally:
            chromium.close()
    return png


@dataclass
class PageReport:
    """What opening one page showed: console errors, network requests, broken links and images."""

    page: str
    console_errors: list[str] = field(default_factory=list)
    network_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    broken_links: list[str] = field(default_factory=list)
    broken_images: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Every problem as a line naming the page."""
        groups = {
            "console error": self.console_errors,
            "network request": self.network_requests,
            "failed request": self.failed_requests,
            "broken link": self.broken_links,
            "missing image": self.broken_images,
        }
        return [f"{self.page}: {kind}: {item}" for kind, items in groups.items() for item in items]

    def on_console(self, message) -> None:
        """Playwright's ``console`` event: errors count."""
        if message.type == "error":
            self.console_errors.append(message.text)

    def on_request(self, request) -> None:
        """Playwright's ``request`` event: anything beyond the local files (and data/blob URLs) counts."""
        if not request.url.startswith(("file:", "data:", "blob:")):
            self.network_requests.append(request.url)


_IMAGES_JS = "Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
_LINKS_JS = "Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"


def _local_target(url: str) -> Path | None:
    parsed = urlparse(url)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else None


def check_site(site: Path) -> list[PageReport]:
    """Open every HTML page of ``site`` in headless Chromium (offline) and report what a reader would hit."""
    reports = []
    with sync_playwright() as playwright:
        chromium = _launch(playwright)
        try:
            context = chromium.new_context(viewport=VIEWPORT, offline=True)
            for page_file in sorted(site.rglob("*.html")):
                report = PageReport(str(page_file.relative_to(site)))
                tab = context.new_page()
                tab.on("console", report.on_console)
                tab.on("pageerror", lambda e, r=report: r.console_errors.append(str(e)))
                tab.on("request", report.on_request)
                tab.on("requestfailed", lambda q, r=report: r.failed_requests.append(q.url))
                tab.goto(page_file.resolve().as_uri(), wait_until="load")
                tab.wait_for_timeout(300)  # scripts that run after load (search index, MathJax)
                report.broken_images = tab.evaluate(_IMAGES_JS)
                for url in tab.evaluate(_LINKS_JS):
                    target = _local_target(url)
                    if target is not None and not target.exists():
                        report.broken_links.append(url)
                tab.close()
                reports.append(report)
        finally:
            chromium.close()
    return reports


# --- what a reader sees of a notebook page ----------------------------------------------------------------------

RAW_FLOAT = r"\d\.\d{5,}"  # a number printed with more than 4 decimals: a raw float nobody formatted
# Measured in the page: the top of the first output figure or table (px from the top of the page), the tables
# wider than the content column, and the visible outputs' text that holds a raw float. What a closed <details> box
# holds, or what is not displayed, does not count: a reader sees it only once opened.
_LAYOUT_JS = """(pattern) => {
  const shown = (e) => e.checkVisibility() && !e.closest('details:not([open])');
  const column = document.querySelector('.md-content__inner').getBoundingClientRect();
  const results = Array.from(document.querySelectorAll('.jp-OutputArea-output img, .jp-OutputArea-output table'))
    .filter(shown);
  const first = results.length ? results[0].getBoundingClientRect().top + window.scrollY : null;
  const wide = Array.from(document.querySelectorAll('.jp-OutputArea-output table')).filter(shown)
    .filter(t => t.getBoundingClientRect().right > column.right + 1)
    .map(t => (t.querySelector('tr') || t).innerText.slice(0, 80) + ' (' + Math.round(t.getBoundingClientRect().width)
      + ' px)');
  const floats = Array.from(document.querySelectorAll('.jp-OutputArea-output')).filter(shown)
    .flatMap(o => o.innerText.match(new RegExp(pattern, 'g')) || []);
  return {first: first, column: column.width, wide: wide, floats: floats};
}"""


@dataclass
class PageLayout:
    """A notebook page at 1280x800: where its first result starts, tables too wide, raw floats shown."""

    page: str
    first_result_px: float | None  # top of the first output figure or table; None: the page has none
    column_px: float  # width of the content column
    wide_tables: list[str] = field(default_factory=list)
    raw_floats: list[str] = field(default_factory=list)

    def problems(self, fold_px: int = VIEWPORT["height"]) -> list[str]:
        """Every way the page fails a reader: no result in the first screen, a table overflowing, a raw float."""
        out = []
        if self.first_result_px is None or self.first_result_px > fold_px:
            out.append(
                f"{self.page}: first figure or table at {self.first_result_px} px, below the first {fold_px} px"
            )
        out += [f"{self.page}: table wider than the {self.column_px:.0f} px column: {t}" for t in self.wide_tables]
        out += [f"{self.page}: raw float in an output: {f}" for f in self.raw_floats[:5]]
        return out


def notebook_pages(site: Path) -> list[Path]:
    """The book's notebook pages (one per stage of every experiment)."""
    return [p for p in sorted(site.rglob("*.html")) if 'class="jp-Notebook' in p.read_text(encoding="utf-8")]


def check_layout(site: Path, pages: list[Path] | None = None) -> list[PageLayout]:
    """Open each notebook page of ``site`` (default: all) at 1280x800 and measure what a reader sees."""
    layouts = []
    with sync_playwright() as playwright:
        chromium = _launch(playwright)
        try:
            context = chromium.new_context(viewport=VIEWPORT, offline=True)
            tab = context.new_page()
            for page_file in pages if pages is not None else notebook_pages(site):
                tab.goto(page_file.resolve().as_uri(), wait_until="load")
                tab.wait_for_timeout(200)  # MathJax typesets after load and may move what follows
                seen = tab.evaluate(_LAYOUT_JS, RAW_FLOAT)
                layouts.append(
                    PageLayout(
                        str(page_file.relative_to(site)), seen["first"], seen["column"], seen["wide"], seen["floats"]
                    )
                )
        finally:
            chromium.close()
    return layouts


SCREENSHOTS = {  # the README's pictures (docs/images/<name>.png): the front page and the top of three stage pages
    "front_page": "index.html",
    "train": "*/20_train.html",  # the first experiment with a train stage, by name
    "tiers": "panel/50_tiers.html",
    "ablations": "panel/60_ablations.html",
}


def save_screenshots(site: Path, out_dir: Path) -> list[Path]:
    """Screenshot the top (1280x800) of the front page, a 20 Train page, 50 Tiers and 60 Ablations of the built
    book ``site`` into ``out_dir/<name>.png`` (names: ``SCREENSHOTS``); pages the book lacks are skipped."""
    out_dir.mkdir(parents=True, exist_ok=True)
    saved = []
    for name, pattern in SCREENSHOTS.items():
        found = sorted(site.glob(pattern))
        if found and save_screenshot(found[0], out_dir / f"{name}.png") is not None:
            saved.append(out_dir / f"{name}.png")
    return saved
