"""Per-component pages and feeds, and the SVG badges."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import feedparser

from conftest import html, incident
from sites import LEAKY_SITE

SVG = "{http://www.w3.org/2000/svg}"
NOW = "2026-11-27T12:00:00Z"
FILES = {
    "content/incidents/api/1.md": incident(
        "2026-11-27T10:00:00Z",
        "investigating",
        "API down.",
        title="API errors",
        impact="critical",
        components=["api"],
    ),
    "content/incidents/both/1.md": incident(
        "2026-11-20T08:00:00Z",
        "investigating",
        "Both slow.",
        title="Slow",
        impact="minor",
        components=["api", "cdn"],
    ),
    "content/incidents/both/2.md": incident(
        "2026-11-20T09:00:00Z", "identified", "Only the CDN now.", components=["cdn"]
    ),
    "content/incidents/both/3.md": incident("2026-11-20T10:00:00Z", "resolved", "Fixed."),
}


def test_component_feed_holds_exactly_the_updates_that_affected_it(make_site, build):
    out = build(make_site(FILES), None, NOW)
    api = feedparser.parse((out / "public/components/api/history.atom").read_bytes())
    cdn = feedparser.parse((out / "public/components/cdn/history.rss").read_bytes())
    web = feedparser.parse((out / "public/components/web/history.atom").read_bytes())
    assert not api.bozo and not cdn.bozo
    base = "https://status.example.com/incidents/"
    # The API's feed gets the update that dropped it from the incident, not the later ones.
    assert [e.link for e in api.entries] == [
        f"{base}api/#update-1",
        f"{base}both/#update-2",
        f"{base}both/#update-1",
    ]
    assert [e.link for e in cdn.entries] == [
        f"{base}both/#update-3",
        f"{base}both/#update-2",
        f"{base}both/#update-1",
    ]
    assert web.entries == []
    assert api.feed.title == "API · Example Status"
    assert api.feed.link == "https://status.example.com/components/api/"


def test_component_page_shows_state_history_and_links_its_feeds(make_site, build):
    out = build(make_site(FILES), None, NOW)
    page = html(out / "public/components/api/index.html")
    assert page.h1.get_text() == "API"
    assert page.select_one("#component-state").get_text() == "Major outage"
    assert [a.get_text() for a in page.select(".item-row > a")] == ["API errors", "Slow"]
    alternates = [link["href"] for link in page.select("link[rel=alternate]")]
    assert alternates[:2] == ["history.atom", "history.rss"]
    assert [link["href"] for link in page.select('link[title="API (Atom)"]')] == ["history.atom"]
    assert [link["href"] for link in page.select('link[title="API (RSS)"]')] == ["history.rss"]
    index = html(out / "public/index.html")
    assert index.select_one('.components a[href="./components/api/"]').get_text() == "API"


def test_badges_say_the_state_in_text_and_color(make_site, build):
    out = build(make_site(FILES), None, NOW)
    overall = ET.fromstring((out / "public/badge.svg").read_bytes())
    assert overall.get("role") == "img"
    assert overall.find(f"{SVG}title").text == "status: major outage"
    assert overall.get("aria-label") == "status: major outage"
    texts = [t.text for t in overall.iter(f"{SVG}text")]
    assert texts == ["status", "major outage"]
    cdn = ET.fromstring((out / "public/components/cdn/badge.svg").read_bytes())
    assert cdn.find(f"{SVG}title").text == "CDN: operational"
    assert [r.get("fill") for r in cdn.iter(f"{SVG}rect")][1] == "#1a7f37"


def test_component_outputs_show_only_what_the_audience_sees(make_site, build):
    out = build(make_site(LEAKY_SITE))
    public_cdn = ET.fromstring((out / "public/components/cdn/badge.svg").read_bytes())
    strategic_cdn = ET.fromstring((out / "strategic/components/cdn/badge.svg").read_bytes())
    assert public_cdn.find(f"{SVG}title").text == "CDN: operational"
    assert strategic_cdn.find(f"{SVG}title").text == "CDN: major outage"
    public_feed = feedparser.parse((out / "public/components/cdn/history.atom").read_bytes())
    assert public_feed.entries == []
    public_page = html(out / "public/components/cdn/index.html")
    assert public_page.select(".item-row") == []
