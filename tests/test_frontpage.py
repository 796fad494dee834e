"""The front page's ladder figure: the per-model panels where the tiers stage drew them, else the overlay."""

from __future__ import annotations

from ladder import frontpage


def _run() -> dict:
    return {"profile": "laptop", "time": "2026-12-08 00:00:00", "results": []}


def test_the_front_page_shows_the_panels_before_the_overlay_and_captions_what_it_shows(tmp_path):
    assert frontpage.ladder_figure(None) is None and frontpage.ladder_figure(tmp_path) is None
    (tmp_path / "tier_ladder.png").write_bytes(b"png")
    assert frontpage.ladder_figure(tmp_path) == tmp_path / "tier_ladder.png"
    (tmp_path / "tier_ladder_panels.png").write_bytes(b"png")
    assert frontpage.ladder_figure(tmp_path) == tmp_path / "tier_ladder_panels.png"

    panels = frontpage.front_page(_run(), tmp_path, {}, "assets/tier_ladder_panels.png")
    overlay = frontpage.front_page(_run(), tmp_path, {}, "assets/tier_ladder.png")
    assert "](assets/tier_ladder_panels.png)" in panels and "against the base's (grey)" in panels
    assert "Each line is a model's avg@n" in overlay and "against the base" not in overlay
    assert "no ladder figure" in frontpage.front_page(_run(), tmp_path, {}, None)
