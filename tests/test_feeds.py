"""Atom and RSS feeds, parsed with feedparser."""

from __future__ import annotations

import feedparser

from conftest import html, incident

SITE_YML_SMALL_FEED = """\
title: Example Status
base_url: https://status.example.com/
timezone: UTC
feed_size: 3
components: [{id: api, name: API}]
"""


def updates(count: int) -> dict[str, str]:
    files = {}
    for n in range(count):
        first = {"title": f"Incident {n}", "impact": "minor", "components": ["api"]}
        files[f"content/incidents/i{n}/a.md"] = incident(f"2026-11-{10 + n}T08:00:00Z", "investigating",
                                                          f"Looking at {n}.", **first)
        files[f"content/incidents/i{n}/b.md"] = incident(f"2026-11-{10 + n}T09:00:00Z", "resolved",
                                                          f"Fixed {n}.")
    return files


def test_feeds_hold_visible_updates_newest_first(make_site, build):
    out = build(make_site(updates(2)))
    atom = feedparser.parse((out / "public" / "history.atom").read_bytes())
    rss = feedparser.parse((out / "public" / "history.rss").read_bytes())
    assert not atom.bozo and not rss.bozo
    titles = ["Resolved: Incident 1", "Investigating: Incident 1", "Resolved: Incident 0",
              "Investigating: Incident 0"]
    assert [e.title for e in atom.entries] == titles
    assert [e.title for e in rss.entries] == titles
    first = atom.entries[0]
    assert first.id == "https://status.example.com/incidents/i1/#update-b"
    assert first.link == "https://status.example.com/incidents/i1/#update-b"
    assert first.content[0].value == "<p>Impact: Minor · Affected: API</p>\n<p>Fixed 1.</p>"
    assert first.published == "2026-11-11T09:00:00+00:00"
    assert rss.entries[0].id == first.id
    assert rss.entries[0].description == first.content[0].value
    assert rss.feed.link == atom.feed.link == "https://status.example.com/"


def test_feed_date_comes_from_content_not_clock(make_site, build, tmp_path):
    site = make_site(updates(2))
    a = build(site, tmp_path / "a", "2026-11-27T12:00:00Z")
    b = build(site, tmp_path / "b", "2027-03-01T12:00:00Z")
    atom = feedparser.parse((a / "public" / "history.atom").read_bytes())
    rss = feedparser.parse((a / "public" / "history.rss").read_bytes())
    assert atom.feed.updated == "2026-11-11T09:00:00+00:00"
    assert rss.feed.updated == "Wed, 11 Nov 2026 09:00:00 +0000"
    for name in ("history.atom", "history.rss"):
        assert (a / "public" / name).read_bytes() == (b / "public" / name).read_bytes()


def test_feed_is_capped_at_feed_size(make_site, build):
    out = build(make_site(updates(3), site_yml=SITE_YML_SMALL_FEED))
    atom = feedparser.parse((out / "public" / "history.atom").read_bytes())
    assert [e.title for e in atom.entries] == ["Resolved: Incident 2", "Investigating: Incident 2",
                                               "Resolved: Incident 1"]


def test_empty_site_has_valid_empty_feeds(make_site, build):
    out = build(make_site())
    atom = feedparser.parse((out / "public" / "history.atom").read_bytes())
    assert not atom.bozo and atom.entries == []
    assert atom.feed.title == "Example Status"


def test_pages_link_feeds_for_autodiscovery(make_site, build):
    out = build(make_site(updates(1)))
    page = html(out / "strategic" / "incidents" / "i0" / "index.html")
    links = {link["type"]: link["href"] for link in page.select("link[rel=alternate]")}
    assert links == {"application/atom+xml": "../../history.atom",
                     "application/rss+xml": "../../history.rss"}
    feed = feedparser.parse((out / "strategic" / "history.atom").read_bytes())
    assert feed.feed.title == "Example Status (Strategic customers)"
    assert feed.entries[0].link == "https://strategic.example.com/incidents/i0/#update-b"


def test_maintenance_entries_give_the_window_and_postmortems_get_an_entry(make_site, build):
    files = {
        "content/maintenance/w/1.md": (
            "---\ndate: 2026-11-20T10:00:00Z\nstatus: scheduled\ntitle: Upgrade\n"
            "starts: 2026-12-01T10:00:00Z\nends: 2026-12-01T11:30:00Z\ncomponents: [api, web]\n---\nSoon.\n"),
        **updates(1),
        "content/incidents/i0/postmortem.md": "---\ndate: 2026-11-15T08:00:00Z\n---\nWhat we learned.\n",
    }
    out = build(make_site(files))
    atom = feedparser.parse((out / "public" / "history.atom").read_bytes())
    by_title = {e.title: e for e in atom.entries}
    assert by_title["Scheduled: Upgrade"].content[0].value == (
        "<p>Window: Dec 1, 2026, 11:00 CET – Dec 1, 2026, 12:30 CET · Affected: API, Web app</p>\n"
        "<p>Soon.</p>")
    postmortem = by_title["Postmortem: Incident 0"]
    assert postmortem.link == "https://status.example.com/incidents/i0/#postmortem"
    assert postmortem.content[0].value == "<p>What we learned.</p>"


def test_every_feed_of_the_example_site_is_complete_and_consistent(example_out):
    checked = 0
    for tree in (example_out / "public", example_out / "strategic"):
        base = html(tree / "index.html").select_one("link[rel=canonical]")["href"]
        for atom_path in sorted(tree.rglob("*.atom")):
            where = atom_path.relative_to(example_out)
            atom = feedparser.parse(atom_path.read_bytes())
            rss = feedparser.parse(atom_path.with_suffix(".rss").read_bytes())
            assert not atom.bozo and not rss.bozo, where
            assert atom.feed.title and atom.feed.link.startswith(base)
            ids = [entry.id for entry in atom.entries]
            assert len(set(ids)) == len(ids), f"{where}: duplicate entry ids"
            for entry in atom.entries:
                assert entry.title and entry.published_parsed and entry.updated_parsed, entry.id
                # The id is the entry's permanent link: a page of this tree and an anchor on it.
                assert entry.id == entry.link and entry.link.startswith(base), entry.id
                page_uri, _, anchor = entry.link.removeprefix(base).partition("#")
                page = tree / page_uri / "index.html"
                assert page.is_file(), f"{where}: {entry.link} is not a built page"
                assert html(page).find(id=anchor) is not None, f"{where}: no #{anchor} on {page_uri}"
            assert [(e.id, e.title, e.link, e.published_parsed) for e in rss.entries] == [
                (e.id, e.title, e.link, e.published_parsed) for e in atom.entries], where
            checked += len(atom.entries)
    assert len(list(example_out.rglob("*.atom"))) > 20 and checked > 100
