"""The front page on a calm site shows every component name, and colour is the state now."""

from __future__ import annotations

import shutil

from conftest import REPO, html

RESOLVED = "---\ndate: 2026-11-27T07:05:00+01:00\nstatus: resolved\n---\nAll clear.\n"


def test_calm_site_opens_every_group_and_keeps_the_peak_impact(tmp_path, build):
    site = tmp_path / "site"
    shutil.copytree(REPO / "content", site / "content")
    shutil.copy(REPO / "site.yml", site / "site.yml")
    (site / "content/incidents/2026-11-27-api-errors-frankfurt/2026-11-27T0705-resolved.md").write_text(
        RESOLVED
    )
    page = html(build(site, tmp_path / "out", "2026-11-27T08:00:00+01:00") / "public" / "index.html")
    assert page.select_one(".banner-operational") is not None
    groups = page.select("details.group")
    assert len(groups) >= 2 and all(group.has_attr("open") for group in groups)
    names = [a.get_text() for a in page.select("details.group .component-name > a")]
    assert "REST API" in names and "Webhooks" in names
    # The closed incident keeps its peak impact in the past list.
    row = next(
        r for r in page.select(".item-row") if "Frankfurt" in r.a.get_text() and "API" in r.a.get_text()
    )
    assert row.select_one(".impact-major").get_text() == "Major impact"
