"""The book's notebook pages as a reader sees them: the parameters cells left out of the book's copy, and the
browser check (first result within the first screen, no table wider than the column, no raw float) catching
each fault on pages made to have it. The real pages are checked in test_smoke.py."""

from __future__ import annotations

import json

import pytest

from ladder import book, browser


def _cell(source: str, tags: list[str] | None = None, outputs: list | None = None) -> dict:
    return {
        "cell_type": "code",
        "metadata": {"tags": tags or []},
        "source": source,
        "outputs": outputs or [],
        "execution_count": 1,
    }


def test_the_books_copy_leaves_out_the_parameters_cells_and_log_output():
    stream = [{"output_type": "stream", "name": "stderr", "text": "INFO engine started\n"}]
    nb = {
        "cells": [
            _cell("output_dir: str = 'x'", ["parameters"]),
            _cell("output_dir = '/runs/a'", ["injected-parameters"]),
            _cell("samples = sample.sample_stage(...)", ["log"], stream),
            _cell("display.table(samples)", [], stream),
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    copy = json.loads(book.book_notebook(json.dumps(nb)))
    assert [c["source"] for c in copy["cells"]] == ["samples = sample.sample_stage(...)", "display.table(samples)"]
    assert copy["cells"][0]["outputs"] == [] and copy["cells"][1]["outputs"] == stream


PAGE = """<html><body style="margin:0"><div class="md-content__inner" style="width:600px">{body}</div></body></html>"""
OUTPUT = '<div class="jp-OutputArea-output">{}</div>'


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("site")
    pages = {
        "good": '<div style="height:300px"></div>'
        + OUTPUT.format("<table><tr><td>94% [72, 99]</td></tr></table>")
        + OUTPUT.format("<details><summary>all</summary><table><tr><td>0.875000</td></tr></table></details>")
        + OUTPUT.format('<table style="width:2000px;display:none"><tr><td>1.588966</td></tr></table>'),
        "late": '<div style="height:900px"></div>' + OUTPUT.format("<table><tr><td>1</td></tr></table>"),
        "wide": OUTPUT.format('<table style="width:900px"><tr><td>a</td></tr></table>'),
        "raw": OUTPUT.format("<table><tr><td>-1.588966</td></tr></table>")
        + OUTPUT.format("<pre>loss 0.38699528</pre>"),
        "empty": "<p>no output at all</p>",
    }
    for name, body in pages.items():
        (folder / f"{name}.html").write_text(PAGE.format(body=body))
    return folder


def test_layout_check_catches_each_fault_and_passes_a_clean_page(site):
    reason = browser.browser_unavailable()
    if reason:
        pytest.skip(f"no headless browser: {reason}")
    names = ["good", "late", "wide", "raw", "empty"]
    layouts = {p.page: p for p in browser.check_layout(site, [site / f"{n}.html" for n in names])}
    assert layouts["good.html"].problems() == []  # what is collapsed or hidden does not count
    assert layouts["good.html"].first_result_px == 300
    assert (
        layouts["late.html"].first_result_px == 900 and "below the first 800 px" in layouts["late.html"].problems()[0]
    )
    assert layouts["wide.html"].problems() == ["wide.html: table wider than the 600 px column: a (900 px)"]
    assert layouts["raw.html"].raw_floats == ["1.588966", "0.38699528"]
    assert layouts["empty.html"].first_result_px is None and layouts["empty.html"].problems()
