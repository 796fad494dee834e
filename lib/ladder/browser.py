"""Headless Chromium for the book: a screenshot of the front page, and a check of every page as a reader opens it.

Uses Playwright's Python API driving the system's Chromium (Debian's ``chromium`` package; Playwright's own
browser downloads need the network). Without Chromium or Playwright, :func:`save_screenshot` does nothing and
:func:`browser_unavailable` says why, so the book still builds.

    from ladder import browser
    problems = browser.check_site(Path("book/laptop"))     # [] when every page is clean
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
