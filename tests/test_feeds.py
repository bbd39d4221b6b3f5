"""Atom and RSS feeds, parsed with feedparser."""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree

import feedparser
import pytest

from generator.cli import main

from checkers import feed_problems, html_urls, tree_feed_problems
from conftest import NOW, SITE_YML, html, incident

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
        files[f"content/incidents/i{n}/a.md"] = incident(
            f"2026-11-{10 + n}T08:00:00Z", "investigating", f"Looking at {n}.", **first
        )
        files[f"content/incidents/i{n}/b.md"] = incident(
            f"2026-11-{10 + n}T09:00:00Z", "resolved", f"Fixed {n}."
        )
    return files


def test_feeds_hold_visible_updates_newest_first(make_site, build):
    out = build(make_site(updates(2)))
    atom = feedparser.parse((out / "public" / "history.atom").read_bytes())
    rss = feedparser.parse((out / "public" / "history.rss").read_bytes())
    assert not atom.bozo and not rss.bozo
    titles = [
        "Resolved: Incident 1",
        "Investigating: Incident 1",
        "Resolved: Incident 0",
        "Investigating: Incident 0",
    ]
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
    assert [e.title for e in atom.entries] == [
        "Resolved: Incident 2",
        "Investigating: Incident 2",
        "Resolved: Incident 1",
    ]


def test_empty_site_has_valid_empty_feeds(make_site, build):
    out = build(make_site())
    atom = feedparser.parse((out / "public" / "history.atom").read_bytes())
    assert not atom.bozo and atom.entries == []
    assert atom.feed.title == "Example Status"


def test_pages_link_feeds_for_autodiscovery(make_site, build):
    out = build(make_site(updates(1)))
    page = html(out / "strategic" / "incidents" / "i0" / "index.html")
    links = {link["type"]: link["href"] for link in page.select("link[rel=alternate]")}
    assert links == {"application/atom+xml": "../../history.atom", "application/rss+xml": "../../history.rss"}
    feed = feedparser.parse((out / "strategic" / "history.atom").read_bytes())
    assert feed.feed.title == "Example Status (Strategic customers)"
    assert feed.entries[0].link == "https://strategic.example.com/incidents/i0/#update-b"


def test_maintenance_entries_give_the_window_and_postmortems_get_an_entry(make_site, build):
    files = {
        "content/maintenance/w/1.md": (
            "---\ndate: 2026-11-20T10:00:00Z\nstatus: scheduled\ntitle: Upgrade\n"
            "starts: 2026-12-01T10:00:00Z\nends: 2026-12-01T11:30:00Z\ncomponents: [api, web]\n---\nSoon.\n"
        ),
        **updates(1),
        "content/incidents/i0/postmortem.md": "---\ndate: 2026-11-15T08:00:00Z\n---\nWhat we learned.\n",
    }
    out = build(make_site(files))
    atom = feedparser.parse((out / "public" / "history.atom").read_bytes())
    by_title = {e.title: e for e in atom.entries}
    assert by_title["Scheduled: Upgrade"].content[0].value == (
        "<p>Window: Dec 1, 2026, 11:00 CET – Dec 1, 2026, 12:30 CET · Affected: API, Web app</p>\n"
        "<p>Soon.</p>"
    )
    postmortem = by_title["Postmortem: Incident 0"]
    assert postmortem.link == "https://status.example.com/incidents/i0/#postmortem"
    assert postmortem.content[0].value == "<p>What we learned.</p>"


@pytest.mark.quality
def test_every_feed_of_the_example_site_is_complete_and_consistent(example_out):
    checked = 0
    for tree in sorted(p for p in example_out.iterdir() if p.is_dir()):
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
                (e.id, e.title, e.link, e.published_parsed) for e in atom.entries
            ], where
            checked += len(atom.entries)
    assert len(list(example_out.rglob("*.atom"))) > 20 and checked > 100


# --------------------------------------------------------------------------- the strict feed rules

ATOM = "{http://www.w3.org/2005/Atom}"
AUTHOR_YML = """\
author:
  name: Acme Operations
  email: ops@acme.example
  uri: https://acme.example/ops
"""


def tree_bases(out: Path) -> dict[Path, str]:
    """Each audience tree of a build and the base URL it is published at (its canonical link)."""
    return {
        tree: html(tree / "index.html").select_one("link[rel=canonical]")["href"]
        for tree in sorted(out.iterdir())
        if (tree / "index.html").is_file()
    }


def assert_strict_feeds(out: Path) -> int:
    """Every feed of every audience passes the strict rules; returns how many were checked."""
    checked = 0
    for tree, base in tree_bases(out).items():
        count, problems = tree_feed_problems(tree, base)
        assert problems == [], f"{len(problems)} problems in {tree.name}:\n" + "\n".join(problems)
        checked += count
    return checked


@pytest.mark.quality
def test_every_feed_of_every_audience_of_the_example_passes_the_strict_rules(example_out):
    # 1 site-wide + 12 component feeds, Atom and RSS, in each of the six audiences.
    assert assert_strict_feeds(example_out) == 6 * 2 * 13
    for tree in tree_bases(example_out):
        atom = ElementTree.parse(tree / "history.atom").getroot()
        assert [a.findtext(ATOM + "name") for a in atom.findall(ATOM + "author")] == ["Acme Cloud Status"]


def test_the_feeds_of_a_fresh_init_site_pass_the_strict_rules(tmp_path, capsys):
    site = tmp_path / "status"
    assert main(["init", str(site), "--title", "Acme Status"]) == 0
    # init dates its example at the real clock; pin it before the build's --now.
    example = next(site.glob("content/incidents/*/01-resolved.md"))
    example.write_text(re.sub(r"(?m)^date: .*$", "date: 2026-11-27T07:59:00+00:00", example.read_text()))
    out = tmp_path / "out"
    assert main(["build", "--site", str(site), "--out", str(out), "--now", NOW]) == 0
    capsys.readouterr()
    assert assert_strict_feeds(out) == 2 * 2 * 5
    assert len(feedparser.parse((out / "public" / "history.atom").read_bytes()).entries) == 1


def test_author_from_site_yml_in_every_feed_and_managing_editor_in_rss(make_site, build):
    out = build(make_site(updates(1), site_yml=SITE_YML + AUTHOR_YML))
    assert assert_strict_feeds(out) == 2 * 2 * 4
    for path in (out / "public" / "history.atom", out / "strategic" / "components" / "api" / "history.atom"):
        (author,) = ElementTree.parse(path).getroot().findall(ATOM + "author")
        assert [(child.tag.removeprefix(ATOM), child.text) for child in author] == [
            ("name", "Acme Operations"),
            ("email", "ops@acme.example"),
            ("uri", "https://acme.example/ops"),
        ]
    channel = ElementTree.parse(out / "public" / "history.rss").getroot().find("channel")
    assert channel.findtext("managingEditor") == "ops@acme.example (Acme Operations)"


def test_without_an_author_the_feeds_name_the_site_and_rss_has_no_managing_editor(make_site, build):
    out = build(make_site(updates(1)))
    atom = ElementTree.parse(out / "strategic" / "history.atom").getroot()
    assert [[(c.tag.removeprefix(ATOM), c.text) for c in a] for a in atom.findall(ATOM + "author")] == [
        [("name", "Example Status")]
    ]
    assert ElementTree.parse(out / "public" / "history.rss").getroot().find("channel/managingEditor") is None


def test_relative_links_in_an_update_are_absolute_in_the_feeds(make_site, build):
    files = updates(1)
    files["content/incidents/i0/b.md"] = incident(
        "2026-11-10T09:00:00Z",
        "resolved",
        "See [the first update](#update-a), [the history](../../history/) and [our blog](https://blog.example.com/x).",
    )
    out = build(make_site(files))
    page = "https://status.example.com/incidents/i0/"
    expected = [f"{page}#update-a", "https://status.example.com/history/", "https://blog.example.com/x"]
    atom = ElementTree.parse(out / "public" / "history.atom").getroot()
    rss = ElementTree.parse(out / "public" / "history.rss").getroot()
    assert html_urls(atom.find(f"{ATOM}entry/{ATOM}content").text) == expected
    assert html_urls(rss.find("channel/item/description").text) == expected
    assert (
        html_urls(
            ElementTree.parse(out / "public" / "components" / "api" / "history.atom")
            .getroot()
            .find(f"{ATOM}entry/{ATOM}content")
            .text
        )
        == expected
    )
    # The page itself keeps the relative links, which work wherever the tree is served.
    links = [a["href"] for a in html(out / "public" / "incidents" / "i0" / "index.html").select("main p a")]
    assert {"#update-a", "../../history/"} <= set(links)
    assert_strict_feeds(out)


def _broken(feed: bytes, *replacements: tuple[str, str]) -> bytes:
    text = feed.decode()
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return text.encode()


def test_the_strict_checker_reports_what_a_validator_would(make_site, build, tmp_path):
    """The checker can fail: each rule broken by hand in a good feed is reported."""
    out = build(make_site(updates(1)))
    url = "https://status.example.com/history.atom"
    good_atom = (out / "public" / "history.atom").read_bytes()
    good_rss = (out / "public" / "history.rss").read_bytes()
    entry = "https://status.example.com/incidents/i0/#update-b"

    def problems(name: str, content: bytes) -> list[str]:
        path = tmp_path / name
        path.write_bytes(content)
        return [
            p.removeprefix(f"https://status.example.com/{name}: ")
            for p in feed_problems(path, f"https://status.example.com/{name}")
        ]

    assert problems("history.atom", good_atom) == [] and problems("history.rss", good_rss) == []
    no_author = re.sub(rb"\s*<author>.*?</author>", b"", good_atom, flags=re.S)
    assert problems("history.atom", no_author) == [
        f"entry {entry}: no <author>, and the feed has none (RFC 4287 4.1.1)",
        "entry https://status.example.com/incidents/i0/#update-a: no <author>, and the feed has none "
        "(RFC 4287 4.1.1)",
    ]
    assert problems(
        "history.atom",
        _broken(
            good_atom,
            ("<updated>2026-11-10T09:00:00+00:00</updated>", "<updated>2026-11-10 09:00</updated>"),
            (
                f'<link href="{url}" rel="self" type="application/atom+xml"/>',
                f'<link href="{url}" rel="self"/>',
            ),
            ("#update-a</id>", "#update-b</id>"),
            ("&lt;p&gt;Looking", '&lt;a href="../x/"&gt;x&lt;/a&gt;&lt;p&gt;Looking'),
        ),
    ) == [
        "feed: <updated> '2026-11-10 09:00' is not an RFC 3339 date-time with a time zone",
        "feed: <link rel=self> has type None, not application/atom+xml",
        f"entry {entry}: <updated> '2026-11-10 09:00' is not an RFC 3339 date-time with a time zone",
        f"entry {entry}: <id> is not unique in the feed",
        f"entry {entry}: <content> links to relative URL '../x/'",
    ]
    assert problems(
        "history.atom",
        _broken(
            good_atom,
            ("<published>2026-11-10T08:00:00+00:00", "<published>2026-11-10T08:30:00+00:00"),
            (f'<link href="{url}" rel="self" type="application/atom+xml"/>', ""),
        ),
    ) == [
        f"feed: needs one <link rel=self> to {url}, has []",
        "entry https://status.example.com/incidents/i0/#update-a: <updated> 2026-11-10 08:00:00+00:00 is "
        "before <published> 2026-11-10 08:30:00+00:00",
    ]
    assert problems(
        "history.rss",
        _broken(
            good_rss,
            ("Tue, 10 Nov 2026 09:00:00 +0000</pubDate>", "Wed, 10 Nov 2026 09:00:00 +0000</pubDate>"),
            ("<lastBuildDate>Tue, 10 Nov 2026 09:00:00 +0000", "<lastBuildDate>2026-11-10T09:00:00Z"),
            ('rel="self" type="application/rss+xml"', 'rel="self"'),
            (f'<guid isPermaLink="true">{entry}', '<guid isPermaLink="true">update-b'),
        ),
    ) == [
        "channel: <atom:link rel=self> has type None, not application/rss+xml",
        "channel: <lastBuildDate> '2026-11-10T09:00:00Z' is not an RFC 822 date "
        "(Sat, 07 Sep 2002 09:42:31 GMT)",
        "item update-b: <pubDate> 'Wed, 10 Nov 2026 09:00:00 +0000' names the wrong day of the week",
        "item update-b: a permalink <guid> must be an absolute http(s) URL, not 'update-b'",
    ]
