"""Page weight and no-JavaScript guarantees: the front page with everything it loads stays small."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import NOW, REPO, html

pytestmark = pytest.mark.quality

#: The public front page plus what it loads (CSS, script, images), uncompressed. Raised from
#: 30,000 for issue 16 by what the uptime percentages measured on the 1,000-incident page (20
#: components): 29,583 bytes before, 30,262 after (+679: about 25 bytes of markup per component
#: and 174 of CSS). The 90-day bars, 90 cells per component, are on component pages for this
#: reason; their styles (assets/uptime.css) are not loaded by the front page.
BUDGET = 31_000


def front_page_weight(tree: Path) -> dict[str, int]:
    page = tree / "index.html"
    sizes = {"index.html": page.stat().st_size}
    soup = html(page)
    for tag in soup.select("link[rel=stylesheet][href], img[src], script[src], link[rel=icon][href]"):
        ref = tag.get("href") or tag["src"]
        if ref.startswith(("http:", "https:", "data:")):
            continue
        asset = (tree / ref).resolve()
        sizes[asset.relative_to(tree.resolve()).as_posix()] = asset.stat().st_size
    assert "assets/style.css" in sizes and "assets/localtime.js" in sizes
    return sizes


def test_example_front_page_with_its_css_is_under_budget(example_out):
    sizes = front_page_weight(example_out / "public")
    assert sum(sizes.values()) < BUDGET, sizes


def test_thousand_incident_front_page_with_its_css_is_under_budget(build, tmp_path):
    site = tmp_path / "bench-site"
    subprocess.run(
        [sys.executable, str(REPO / "bench" / "make_site.py"), str(site), "--incidents", "1000"],
        check=True,
        capture_output=True,
    )
    out = build(site, tmp_path / "out", NOW, "--no-cache")
    sizes = front_page_weight(out / "public")
    assert sum(sizes.values()) < BUDGET, sizes
    # It is the busy page it should be: an open incident and two weeks of history.
    page = html(out / "public" / "index.html")
    assert page.select("#active-heading ~ article") and len(page.select(".day")) >= 14


def test_no_page_needs_javascript(example_out):
    pages = sorted(example_out.rglob("*.html"))
    assert len(pages) > 50
    for path in pages:
        page = html(path)
        # One optional, deferred, external script (local times); nothing inline.
        scripts = page.find_all("script")
        assert [s["src"].rsplit("/", 1)[-1] for s in scripts] == ["localtime.js"], path
        assert scripts[0].has_attr("defer") and not scripts[0].string, path
        handlers = [attr for tag in page.find_all(True) for attr in tag.attrs if attr.startswith("on")]
        assert not handlers, path
        # The answer to "is it down?" is in the HTML itself.
        assert page.find("h1") is not None and page.find("h1").get_text(strip=True), path
