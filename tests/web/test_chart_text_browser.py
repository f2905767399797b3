"""Charts that read (UX #7), measured in real Chromium: on every demo page no
text of an SVG chart overlaps another text of that chart, and none is cut by
the chart's edge. The boxes are the browser's own (``getBoundingClientRect`` of
each ``<text>``), so the check holds for the fonts the browser really uses.

A first test runs the same check on a chart drawn wrongly on purpose, so the
check is known to fail when it should.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from api_world import World
from browser_setup import new_tab, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

playwright_api = pytest.importorskip("playwright.sync_api")

#: For each svg.chart: its title, the texts cut by its edge and the pairs of
#: texts that overlap (by more than 1 px each way).
CHECK = """
() => [...document.querySelectorAll('svg.chart')].map(svg => {
  const edge = svg.getBoundingClientRect();
  const visible = t => [...t.childNodes]
    .filter(n => !(n.nodeType === 1 && n.tagName.toLowerCase() === 'title'))
    .map(n => n.textContent).join('').trim();
  const texts = [...svg.querySelectorAll('text')]
    .map(t => ({text: visible(t), box: t.getBoundingClientRect()}))
    .filter(t => t.text && t.box.width > 0);
  const clipped = texts.filter(t => t.box.left < edge.left - 0.5 || t.box.right > edge.right + 0.5
    || t.box.top < edge.top - 0.5 || t.box.bottom > edge.bottom + 0.5).map(t => t.text);
  const overlaps = [];
  for (let i = 0; i < texts.length; i++) {
    for (let j = i + 1; j < texts.length; j++) {
      const a = texts[i].box, b = texts[j].box;
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 1 && h > 1) overlaps.push([texts[i].text, texts[j].text]);
    }
  }
  const title = svg.querySelector('title');
  return {chart: (title ? title.textContent : svg.dataset.chart), n: texts.length,
          clipped, overlaps};
})
"""


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    with new_tab(browser, live_server) as tab:
        yield tab


def test_the_check_finds_overlapping_and_clipped_labels(page: Any) -> None:
    page.set_content(
        '<svg class="chart" width="180" height="60" viewBox="0 0 180 60" '
        'xmlns="http://www.w3.org/2000/svg" font-size="12"><title>bad</title>'
        '<text x="120" y="20">2025-09</text><text x="150" y="20">2025-10</text>'
        '<text x="10" y="50">Service visit (ProService Technik)</text></svg>'
    )
    (chart,) = page.evaluate(CHECK)
    assert chart["overlaps"] == [["2025-09", "2025-10"]]
    assert "Service visit (ProService Technik)" in chart["clipped"]
    assert "2025-10" in chart["clipped"]  # runs past the right edge


@pytest.mark.parametrize("path", ["/", "/account", "/touchpoints", "/text", "/strategy"])
def test_chart_text_neither_overlaps_nor_is_cut(page: Any, web_world: World, path: str) -> None:
    sign_in(page, web_world.admin)
    page.goto(f"/accounts/{web_world.own_account}" if path == "/account" else path)
    charts = page.evaluate(CHECK)
    assert charts, f"no chart on {path}"
    assert sum(c["n"] for c in charts) > 0
    bad = [c for c in charts if c["clipped"] or c["overlaps"]]
    if bad:
        shot(page, f"charts-bad-{path.strip('/') or 'portfolio'}")
    assert not bad, bad
