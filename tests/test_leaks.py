"""Audience separation: nothing restricted may reach a less privileged audience's output."""

from __future__ import annotations

import feedparser
import pytest

from generator.cli import main

from conftest import NOW, html, incident, tree_bytes
from sites import CANARIES, LEAKY_SITE

C = CANARIES


def test_no_canary_reaches_the_public_tree(make_site, build):
    out = build(make_site(LEAKY_SITE))
    public = tree_bytes(out / "public")
    strategic = tree_bytes(out / "strategic")
    for name, canary in CANARIES.items():
        needle = canary.encode()
        leaks = [uri for uri, data in public.items() if needle in data or needle.decode() in uri]
        assert leaks == [], f"{name} canary leaked into public: {leaks}"
        # The canary must really be in the strategic tree, or this test proves nothing.
        assert any(needle in data or canary in uri for uri, data in strategic.items()), name


def test_public_states_counts_and_feeds_ignore_restricted_updates(make_site, build):
    out = build(make_site(LEAKY_SITE))
    public = html(out / "public" / "index.html")
    strategic = html(out / "strategic" / "index.html")
    states = {
        li.select_one(".component-name a").get_text(): li.select_one(".state").get_text(strip=True)
        for li in public.select(".components li")
    }
    # Public sees only the open minor incident on the API: no maintenance, no CDN outage.
    assert states == {"API": "Degraded performance", "Web app": "Operational", "CDN": "Operational"}
    assert public.select_one("#overall").get_text() == "Some systems are degraded"
    assert strategic.select_one("#overall").get_text() == "Major outage"
    assert public.select_one("#maintenance-now-heading") is None

    mixed = html(out / "public" / "incidents" / "mixed" / "index.html")
    facts = {d.dt.get_text(): d.dd.get_text(strip=True) for d in mixed.select(".facts > div")}
    assert facts == {
        "Impact": "Minor impact",
        "Status": "Investigating",
        "Started": "Nov 27, 2026, 09:00 CET",
    }
    assert len(mixed.select(".timeline .update")) == 1

    feed = feedparser.parse((out / "public" / "history.atom").read_bytes())
    assert [e.title for e in feed.entries] == [
        "Investigating: Public title",
        "Postmortem: Older",
        "Resolved: Old",
        "Resolved: Older",
    ]
    strategic_feed = feedparser.parse((out / "strategic" / "history.atom").read_bytes())
    assert len(strategic_feed.entries) == 8

    history = html(out / "public" / "history" / "index.html")
    assert history.select_one(".count").get_text() == "3 incidents"
    strategic_history = html(out / "strategic" / "history" / "index.html")
    assert strategic_history.select_one(".count").get_text() == "4 incidents, 1 maintenance window"
    assert not (out / "public" / "incidents" / C["incident_slug"]).exists()
    assert not (out / "public" / "maintenance" / C["maintenance_slug"]).exists()


# The other tricks (quote, more colons, non-breaking spaces, closed inside a fence, ...) are in
# test_fail_closed.py's MARKER_TRICKS, whose test also asserts that no traceback is printed.
MARKER_TRICKS = {
    "indented in a list": "- step\n  ::: strategic\n  SECRET\n  :::\n",
}


@pytest.mark.parametrize("body", MARKER_TRICKS.values(), ids=MARKER_TRICKS.keys())
def test_malformed_markers_fail_closed(make_site, capsys, tmp_path, body):
    """A line that looks like a marker but is not exactly one is an error, never public text."""
    site = make_site(
        {
            "content/incidents/x/a.md": incident(
                "2026-11-27T08:00:00Z", "resolved", body, title="X", impact="minor", components=["api"]
            )
        }
    )
    code = main(["build", "--site", str(site), "--out", str(tmp_path / "out"), "--now", NOW])
    err = capsys.readouterr().err
    assert code == 1
    assert "content/incidents/x/a.md:" in err
    assert not (tmp_path / "out").exists()


def test_markers_with_trailing_spaces_work_and_code_can_show_colons(make_site, build):
    body = "::: strategic\u00a0\nSECRET\n:::\t\n\n```\nfoo ::: bar\n```\n"
    out = build(
        make_site(
            {
                "content/incidents/x/a.md": incident(
                    "2026-11-27T08:00:00Z", "resolved", body, title="X", impact="minor", components=["api"]
                )
            }
        )
    )
    public = (out / "public/incidents/x/index.html").read_text()
    assert "SECRET" not in public and "foo ::: bar" in public
    assert "SECRET" in (out / "strategic/incidents/x/index.html").read_text()


def test_restricted_tree_marks_what_the_public_does_not_see(make_site, build):
    out = build(make_site(LEAKY_SITE))
    strategic = html(out / "strategic" / "incidents" / "mixed" / "index.html")
    block = strategic.select_one(".restricted")
    assert block.select_one(".restricted-label").get_text() == "Strategic customers only"
    assert block.get_text(" ", strip=True).endswith(C["block"])
    badges = [u.select_one(".restricted-badge") for u in strategic.select(".timeline .update")]
    assert [b.get_text() if b else None for b in badges] == ["Strategic customers only", None]
    public = html(out / "public" / "incidents" / "mixed" / "index.html")
    assert public.select(".restricted, .restricted-badge") == []


def test_public_json_api_is_computed_from_the_public_view(make_site, build):
    import json

    out = build(make_site(LEAKY_SITE))
    public = json.loads((out / "public/api/v2/summary.json").read_text())
    strategic = json.loads((out / "strategic/api/v2/summary.json").read_text())
    assert public["status"] == {"indicator": "minor", "description": "Partially Degraded Service"}
    assert strategic["status"] == {"indicator": "major", "description": "Partial System Outage"}
    assert [i["id"] for i in public["incidents"]] == ["mixed"]
    assert public["scheduled_maintenances"] == []
    assert {c["id"]: c["status"] for c in public["components"] if not c["group"]} == {
        "api": "degraded_performance",
        "web": "operational",
        "cdn": "operational",
    }
    assert C["incident_slug"] not in [i["id"] for i in public["incidents"]]
    assert C["incident_slug"] in [i["id"] for i in strategic["incidents"]]
