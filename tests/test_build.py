"""End-to-end builds of small sites: pages, component states, history, maintenance, theme."""

from __future__ import annotations

import json
import shutil
from html import escape
from pathlib import Path

import feedparser

from conftest import NOW, html, incident
from sites import MAINTENANCE

API_DOWN = {
    "content/incidents/api-down/01-investigating.md": incident(
        "2026-11-27T10:00:00+01:00",
        "investigating",
        "We are looking into API errors.",
        title="API errors",
        impact="major",
        components=["api"],
    ),
    "content/incidents/api-down/02-identified.md": incident(
        "2026-11-27T10:30:00+01:00",
        "identified",
        "A bad deploy; rolling back.",
        components={"api": "major_outage", "web": "degraded_performance"},
    ),
}
OLD_RESOLVED = {
    "content/incidents/cdn-slow/a.md": incident(
        "2026-11-20T08:00:00Z",
        "investigating",
        "CDN is slow.",
        title="Slow CDN",
        impact="minor",
        components=["cdn"],
    ),
    "content/incidents/cdn-slow/b.md": incident("2026-11-21T09:30:00Z", "resolved", "Fixed."),
}


def states(page) -> dict[str, str]:
    """Component name -> shown state text, from the components list on an index page."""
    result = {}
    for item in page.select(".components li"):
        name = item.select_one(".component-name a").get_text()
        result[name] = item.select_one(".state").get_text(strip=True)
    return result


def test_index_shows_overall_state_components_and_active_incident(make_site, build):
    out = build(make_site({**API_DOWN, **OLD_RESOLVED}))
    page = html(out / "public" / "index.html")
    assert page.select_one("#overall").get_text(strip=True) == "Major outage"
    assert states(page) == {"API": "Major outage", "Web app": "Degraded performance", "CDN": "Operational"}
    groups = [g.get_text(" ", strip=True) for g in page.select(".group-name")]
    assert groups == ["Core Major outage", "Delivery Operational"]
    active = page.select("#active-heading ~ article")
    assert len(active) == 1
    assert active[0].h3.get_text(strip=True) == "API errors"
    assert active[0].select_one(".latest .body").get_text(strip=True) == "A bad deploy; rolling back."
    assert active[0].h3.a["href"] == "./incidents/api-down/"


def test_first_screen_answers_what_is_affected_and_how_far_the_fix_is(make_site, build):
    site = make_site({**API_DOWN, **OLD_RESOLVED})
    out = build(site)
    page = html(out / "public" / "index.html")
    banner = page.select_one(".banner")
    assert banner.select_one(".banner-affected").get_text() == "Affected: API, Web app"
    steps = page.select_one("#active-heading ~ article .steps")
    assert [li.get_text() for li in steps.select("li")] == [
        "Investigating",
        "Identified",
        "Monitoring",
        "Resolved",
    ]
    assert [li.get_text() for li in steps.select(".done")] == ["Investigating"]
    assert steps.select_one("[aria-current=step]").get_text() == "Identified"
    # Groups where something is wrong are open; calm groups are folded to their state.
    assert [g.has_attr("open") for g in page.select("details.group")] == [True, False]
    assert page.select_one('link[rel="icon"]')["href"].endswith("fill='%2382071e'/%3E%3C/svg%3E")
    shutil.rmtree(site / "content" / "incidents" / "api-down")
    quiet = html(build(site, out.parent / "quiet") / "public" / "index.html")
    assert quiet.select_one(".banner-affected") is None and quiet.select_one(".steps") is None


def test_tab_dot_follows_what_each_page_is_about(make_site, build):
    """Site, component and incident pages each show their own state; month pages none. An
    incident page depending on nothing else is what lets serve re-render only what an edit touches."""
    out = build(make_site({**API_DOWN, **OLD_RESOLVED})) / "public"

    def dot(page: Path) -> str:
        return html(page).select_one('link[rel="icon"]')["href"].split("fill='%23")[1][:6]

    assert dot(out / "index.html") == "82071e"  # major outage
    assert dot(out / "components/web/index.html") == "bf8700"  # degraded
    assert dot(out / "components/cdn/index.html") == "1a7f37"  # operational
    assert dot(out / "incidents/api-down/index.html") == "82071e"
    assert dot(out / "incidents/cdn-slow/index.html") == "1a7f37"  # resolved
    assert dot(out / "history/2026-11/index.html") == "59636e"  # neutral


def test_all_operational_when_everything_is_resolved(make_site, build):
    out = build(make_site(OLD_RESOLVED))
    page = html(out / "public" / "index.html")
    assert page.select_one("#overall").get_text(strip=True) == "All systems operational"
    assert set(states(page).values()) == {"Operational"}
    assert page.select_one("#active-heading") is None


def test_plain_component_list_takes_state_from_current_impact(make_site, build):
    files = {
        "content/incidents/x/1.md": incident(
            "2026-11-27T08:00:00Z", "investigating", title="X", impact="minor", components=["cdn"]
        ),
        "content/incidents/x/2.md": incident("2026-11-27T09:00:00Z", "identified", impact="critical"),
    }
    page = html(build(make_site(files)) / "public" / "index.html")
    assert states(page)["CDN"] == "Major outage"


def test_past_incidents_grouped_by_day_with_quiet_days(make_site, build):
    out = build(make_site(OLD_RESOLVED))
    page = html(out / "public" / "index.html")
    days = page.select(".day")
    assert len(days) == 14
    assert days[0].h3.get_text() == "Fri, Nov 27, 2026"
    assert days[0].select_one(".quiet").get_text() == "No incidents reported."
    nov20 = next(d for d in days if d.h3.get_text() == "Fri, Nov 20, 2026")
    row = nov20.select_one(".item-row")
    assert row.a.get_text() == "Slow CDN"
    assert "1 d 1 h" in row.get_text()  # duration from first update to resolution


def test_incident_page_has_timeline_newest_first_and_facts(make_site, build):
    out = build(
        make_site(
            {
                **OLD_RESOLVED,
                "content/incidents/cdn-slow/postmortem.md": (
                    "---\ndate: 2026-11-24T10:00:00Z\n---\nRoot cause: **cache stampede**.\n"
                ),
            }
        )
    )
    page = html(out / "public" / "incidents" / "cdn-slow" / "index.html")
    assert page.h1.get_text() == "Slow CDN"
    updates = page.select(".timeline .update")
    assert [u["id"] for u in updates] == ["update-b", "update-a"]
    assert updates[0].select_one(".status").get_text() == "Resolved"
    assert updates[1].select_one("time")["datetime"] == "2026-11-20T08:00:00Z"
    assert updates[1].select_one("time").get_text() == "Nov 20, 2026, 09:00 CET"
    facts = {d.dt.get_text(): d.dd.get_text(strip=True) for d in page.select(".facts > div")}
    assert facts["Impact"] == "Minor impact"
    assert facts["Status"] == "Resolved"
    assert facts["Duration"] == "1 d 1 h"
    assert page.select_one(".postmortem strong").get_text() == "cache stampede"


def test_title_and_impact_changes_follow_latest_update(make_site, build):
    files = {
        "content/incidents/x/1.md": incident(
            "2026-11-27T08:00:00Z", "investigating", title="Old title", impact="minor", components=["api"]
        ),
        "content/incidents/x/2.md": incident(
            "2026-11-27T09:00:00Z", "identified", title="New title", impact="major"
        ),
    }
    out = build(make_site(files))
    page = html(out / "public" / "incidents" / "x" / "index.html")
    assert page.h1.get_text() == "New title"
    feed = feedparser.parse((out / "public" / "history.atom").read_bytes())
    assert [e.title for e in feed.entries] == ["Identified: New title", "Investigating: Old title"]


def test_updates_order_by_date_then_file_name(make_site, build):
    files = {
        "content/incidents/x/b.md": incident("2026-11-27T08:00:00Z", "identified", "second"),
        "content/incidents/x/a.md": incident(
            "2026-11-27T08:00:00Z", "investigating", "first", title="X", impact="minor", components=["api"]
        ),
        "content/incidents/x/0.md": incident("2026-11-27T09:00:00Z", "monitoring", "third"),
    }
    page = html(build(make_site(files)) / "public" / "incidents" / "x" / "index.html")
    assert [u["id"] for u in page.select(".timeline .update")] == ["update-0", "update-b", "update-a"]


def test_date_without_offset_is_in_site_timezone(make_site, build):
    files = {
        "content/incidents/x/a.md": incident(
            "2026-07-01T10:00:00", "resolved", title="X", impact="minor", components=["api"]
        )
    }
    page = html(build(make_site(files)) / "public" / "incidents" / "x" / "index.html")
    assert page.select_one(".update time")["datetime"] == "2026-07-01T08:00:00Z"  # CEST
    assert page.select_one(".update time").get_text() == "Jul 1, 2026, 10:00 CEST"


def test_maintenance_follows_the_clock(make_site, build, tmp_path):
    site = make_site(MAINTENANCE)
    before = html(build(site, tmp_path / "a", "2026-11-27T10:00:00Z") / "public" / "index.html")
    assert before.select_one("#upcoming-heading").get_text() == "Scheduled maintenance"
    assert before.select_one("#overall").get_text() == "All systems operational"

    during = html(build(site, tmp_path / "b", "2026-11-27T12:00:00Z") / "public" / "index.html")
    assert during.select_one("#upcoming-heading") is None
    assert during.select_one("#maintenance-now-heading") is not None
    assert during.select_one("#overall").get_text() == "Maintenance in progress"
    assert states(during) == {
        "API": "Under maintenance",
        "Web app": "Under maintenance",
        "CDN": "Operational",
    }
    steps = during.select_one("#maintenance-now-heading ~ article .steps")
    assert steps.select_one("[aria-current=step]").get_text() == "In progress"
    assert [li.get_text() for li in steps.select(".done")] == ["Scheduled"]

    after_out = build(site, tmp_path / "c", "2026-11-27T14:00:00Z")
    after = html(after_out / "public" / "index.html")
    assert after.select_one("#maintenance-now-heading") is None
    assert set(states(after).values()) == {"Operational"}
    page = html(after_out / "public" / "maintenance" / "db-upgrade" / "index.html")
    facts = {d.dt.get_text(): d.dd.get_text(strip=True) for d in page.select(".facts > div")}
    assert facts["Status"] == "Completed"
    assert facts["Duration"] == "2 h"


def test_outage_outranks_maintenance_on_a_component(make_site, build):
    files = {
        **MAINTENANCE,
        "content/incidents/x/a.md": incident(
            "2026-11-27T11:30:00Z", "investigating", title="X", impact="critical", components=["api"]
        ),
    }
    page = html(build(make_site(files)) / "public" / "index.html")
    assert states(page)["API"] == "Major outage"
    assert states(page)["Web app"] == "Under maintenance"


def test_update_dated_after_now_is_held_back(make_site, build):
    files = {
        **OLD_RESOLVED,
        "content/incidents/cdn-slow/c.md": incident(
            "2026-12-01T00:00:00Z", "investigating", "Reopened later.", reopened="true"
        ),
    }
    out = build(make_site(files))
    page = html(out / "public" / "incidents" / "cdn-slow" / "index.html")
    assert [u["id"] for u in page.select(".timeline .update")] == ["update-b", "update-a"]


def test_history_is_paginated_by_month_newest_first(make_site, build):
    files = {
        **OLD_RESOLVED,
        "content/incidents/older/a.md": incident(
            "2026-09-03T08:00:00Z", "resolved", title="September thing", impact="minor", components=["web"]
        ),
    }
    out = build(make_site(files))
    index = html(out / "public" / "history" / "index.html")
    assert [a["href"] for a in index.select(".months a")] == ["../history/2026-11/", "../history/2026-09/"]
    assert [a.get_text() for a in index.select(".months a")] == ["November 2026", "September 2026"]
    november = html(out / "public" / "history" / "2026-11" / "index.html")
    assert [a.get_text() for a in november.select(".item-row > a")] == ["Slow CDN"]
    assert november.select_one("a[rel=next]")["href"] == "../../history/2026-09/"
    assert november.select_one("a[rel=prev]") is None


def test_every_page_links_feeds_and_css_relatively(make_site, build):
    out = build(make_site({**API_DOWN, **OLD_RESOLVED}))
    for page_path in (out / "public").rglob("*.html"):
        if page_path.name == "404.html":
            continue
        page = html(page_path)
        for link in page.select("link[rel=alternate], link[rel=stylesheet], a[href]"):
            href = link["href"]
            if href.startswith(("http:", "https:", "#")):
                continue
            target = (page_path.parent / href).resolve()
            if href.endswith("/"):
                target = target / "index.html"
            assert target.is_file(), f"{page_path}: broken link {href}"


def test_restricted_tree_is_noindex_and_public_is_not(make_site, build):
    out = build(make_site(OLD_RESOLVED))
    public = html(out / "public" / "index.html")
    strategic = html(out / "strategic" / "index.html")
    assert public.select_one('meta[name="robots"]') is None
    assert strategic.select_one('meta[name="robots"]')["content"] == "noindex, nofollow"
    assert (out / "strategic" / "robots.txt").read_text() == "User-agent: *\nDisallow: /\n"
    assert not (out / "public" / "robots.txt").exists()
    assert strategic.select_one('link[rel="canonical"]')["href"] == "https://strategic.example.com/"


def test_markdown_is_rendered_and_raw_html_sanitized(make_site, build):
    body = (
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n```\ncode here\n```\n\n- one\n- two\n\n"
        "[docs](https://example.com/docs) <script>alert(1)</script>"
        "<img src=x onerror=alert(2)> [bad](javascript:alert(3))\n\n"
        '<iframe src=https://evil.example></iframe><p style="color:red">styled</p>\n'
    )
    files = {
        "content/incidents/x/a.md": incident(
            "2026-11-27T08:00:00Z", "resolved", body, title="X", impact="minor", components=["api"]
        )
    }
    page = html(build(make_site(files)) / "public" / "incidents" / "x" / "index.html")
    body_html = page.select_one(".update .body")
    assert body_html.table.select("td")[1].get_text() == "2"
    assert body_html.pre.code.get_text() == "code here\n"
    assert [li.get_text() for li in body_html.select("li")] == ["one", "two"]
    assert body_html.select_one('a[href="https://example.com/docs"]').get_text() == "docs"
    assert body_html.find("script") is None and body_html.find("iframe") is None
    assert all(not attr.startswith("on") for tag in body_html.find_all(True) for attr in tag.attrs)
    assert all("javascript" not in (a.get("href") or "") for a in body_html.find_all("a"))
    assert body_html.find(attrs={"style": True}) is None
    assert "alert(1)" not in str(body_html.find_all("script"))


def test_site_theme_overrides_one_template_and_extends_default(make_site, build):
    files = {
        **OLD_RESOLVED,
        "themes/default/templates/history.html": (
            '{% extends "default/history.html" %}{% block title %}OVERRIDDEN{% endblock %}'
        ),
    }
    out = build(make_site(files))
    assert html(out / "public" / "history" / "index.html").title.get_text() == "OVERRIDDEN"
    assert html(out / "public" / "index.html").title.get_text() == "Example Status"


def test_custom_audiences_nest(make_site, build):
    site_yml = """\
        title: T
        base_url: https://s.example/
        timezone: UTC
        components: [{id: api, name: API}]
        audiences:
          - {id: everyone, title: Everyone}
          - {id: partners, title: Partners}
          - {id: staff, title: Staff}
        """
    files = {
        "content/incidents/x/a.md": incident(
            "2026-11-27T08:00:00Z",
            "resolved",
            "all\n\n::: partners\nPARTNER-NOTE\n:::\n\n::: staff\nSTAFF-NOTE\n:::\n",
            title="X",
            impact="minor",
            components=["api"],
        )
    }
    out = build(make_site(files, site_yml=site_yml))
    text = {a: (out / a / "incidents/x/index.html").read_text() for a in ("everyone", "partners", "staff")}
    assert "PARTNER-NOTE" not in text["everyone"] and "STAFF-NOTE" not in text["everyone"]
    assert "PARTNER-NOTE" in text["partners"] and "STAFF-NOTE" not in text["partners"]
    assert "PARTNER-NOTE" in text["staff"] and "STAFF-NOTE" in text["staff"]


# What each audience of the example must see of its open incident (and no other audience):
# a phrase from each kind of block, the nested one and the update for executives and business.
EXAMPLE_PHRASES = {
    "We have traced the errors": {"public", "strategic", "support", "business", "executives", "engineering"},
    "Workaround:": {"strategic", "support", "executives", "engineering"},
    "What to tell customers who ask": {"support", "executives", "engineering"},
    "Customer impact:": {"business", "executives"},
    "For leadership and the business teams": {"business", "executives"},
    "Escalations:": {"executives"},
    "upstream prematurely closed connection": {"engineering"},
}


def test_example_site_builds(build):
    repo = Path(__file__).resolve().parent.parent
    out = build(repo, None, "2026-11-27T06:30:00+01:00")
    audiences = {"public", "strategic", "support", "business", "executives", "engineering"}
    assert {p.name for p in out.iterdir() if not p.name.startswith(".")} == audiences
    public = html(out / "public" / "index.html")
    assert len(public.select("#active-heading ~ article")) == 1
    assert len(list((out / "public" / "incidents").iterdir())) >= 8
    for audience in audiences:
        page = html(out / audience / "incidents/2026-11-27-api-errors-frankfurt/index.html").get_text()
        feed = (out / audience / "history.atom").read_text()
        for phrase, readers in EXAMPLE_PHRASES.items():
            assert (phrase in page) == (audience in readers), (audience, phrase)
            assert (escape(phrase) in feed) == (audience in readers), (audience, phrase)
    executives = html(out / "executives/incidents/2026-11-27-api-errors-frankfurt/index.html")
    labels = [p.get_text() for p in executives.select(".restricted-label")]
    strategic, support, top = (
        "Strategic customers only",
        "Customer support only",
        "Executives and Business teams only",
    )
    assert labels == [
        strategic,
        support,
        top,
        strategic,
        support,
        "Executives only",
        top,
        strategic,
        support,
        top,
    ]
    badges = [b.get_text() for b in executives.select(".timeline .restricted-badge")]
    assert badges == [top]  # the 05:48 update, for executives and business teams


def test_local_logo_is_copied_and_linked_relatively(make_site, build):
    site = make_site(site_yml=__import__("conftest").SITE_YML + "logo: images/logo.svg\n")
    (site / "images").mkdir()
    (site / "images" / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    out = build(site)
    assert (out / "public" / "assets" / "logo.svg").read_text().startswith("<svg")
    history = html(out / "public" / "history" / "index.html")
    assert history.select_one(".brand img")["src"] == "../assets/logo.svg"
    assert html(out / "strategic" / "index.html").select_one(".brand img")["src"] == "./assets/logo.svg"


def test_postponed_window_is_not_shown_in_progress(make_site, build):
    files = {
        **MAINTENANCE,
        "content/maintenance/db-upgrade/2.md": incident(
            "2026-11-27T14:00:00Z", "scheduled", "Postponed; a new date follows."
        ),
    }
    out = build(make_site(files), None, "2026-11-27T15:00:00Z")
    page = html(out / "public" / "index.html")
    assert page.select_one("#maintenance-now-heading") is None
    assert set(states(page).values()) == {"Operational"}


def test_duration_is_real_time_across_a_clock_change(make_site, build):
    files = {
        "content/incidents/x/1.md": incident(
            "2026-03-29T01:30:00", "investigating", title="X", impact="minor", components=["api"]
        ),
        "content/incidents/x/2.md": incident("2026-03-29T03:30:00", "resolved"),
    }
    page = html(build(make_site(files)) / "public" / "incidents" / "x" / "index.html")
    facts = {d.dt.get_text(): d.dd.get_text(strip=True) for d in page.select(".facts > div")}
    assert facts["Duration"] == "1 h"
    assert facts["Resolved"] == "Mar 29, 2026, 03:30 CEST"


def test_duration_ends_at_the_first_of_the_closing_updates(make_site, build):
    files = {
        "content/incidents/x/1.md": incident(
            "2026-11-20T08:00:00Z", "investigating", title="X", impact="minor", components=["api"]
        ),
        "content/incidents/x/2.md": incident("2026-11-20T08:30:00Z", "resolved"),
        "content/incidents/x/3.md": incident("2026-11-24T15:00:00Z", "resolved", "Root cause found."),
    }
    page = html(build(make_site(files)) / "public" / "incidents" / "x" / "index.html")
    facts = {d.dt.get_text(): d.dd.get_text(strip=True) for d in page.select(".facts > div")}
    assert facts["Duration"] == "30 min"


def test_same_date_updates_order_by_full_file_name(make_site, build):
    files = {
        "content/incidents/x/01.md": incident("2026-11-27T08:00:00Z", "identified", "second"),
        "content/incidents/x/01-first.md": incident(
            "2026-11-27T08:00:00Z", "investigating", "first", title="X", impact="minor", components=["api"]
        ),
    }
    page = html(build(make_site(files)) / "public" / "incidents" / "x" / "index.html")
    assert [u["id"] for u in page.select(".timeline .update")] == ["update-01", "update-01-first"]


def test_held_updates_are_announced(make_site, tmp_path, capsys):
    from generator.cli import main

    site = make_site(
        {
            **OLD_RESOLVED,
            "content/incidents/cdn-slow/c.md": incident(
                "2026-12-01T00:00:00Z", "investigating", "Reopened later.", reopened="true"
            ),
        }
    )
    assert main(["build", "--site", str(site), "--out", str(tmp_path / "o"), "--now", NOW]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "content/incidents/cdn-slow/c.md:1: warning: dated 2026-12-01T00:00+00:00, after now: when it "
        "comes due it reopens this incident, resolved by b.md; if it was written before the resolution "
        "and is no longer true, delete it",
        "content/incidents/cdn-slow/c.md: note: dated 2026-12-01T00:00+00:00, after now; "
        "held back until a build after that time",
    ]


def test_progress_shows_skipped_stages_and_a_resolved_incident_keeps_its_peak_impact(make_site, build):
    out = (
        build(
            make_site(
                {
                    "content/incidents/quick/a.md": incident(
                        "2026-11-20T08:00:00Z",
                        "investigating",
                        "Errors.",
                        title="Errors",
                        impact="major",
                        components=["api"],
                    ),
                    "content/incidents/quick/b.md": incident(
                        "2026-11-20T08:30:00Z", "monitoring", "Better.", impact="minor"
                    ),
                    "content/incidents/quick/c.md": incident("2026-11-20T09:00:00Z", "resolved", "Fixed."),
                }
            )
        )
        / "public"
    )
    page = html(out / "incidents/quick/index.html")
    steps = page.select_one(".steps")
    assert [li.get_text() for li in steps.select(".done")] == ["Investigating", "Monitoring"]
    assert [li.get_text() for li in steps.select(".skipped")] == ["Identified (skipped)"]
    assert steps.select_one("[aria-current=step]").get_text() == "Resolved"
    assert page.select_one(".impact").get_text() == "Major impact"
    api = json.loads((out / "api/v2/incidents.json").read_text())
    assert api["incidents"][0]["impact"] == "major"


def test_a_folder_is_read_once_and_seen_alike_by_its_key_its_prompts_and_its_content(tmp_path):
    """Within reading_once() (one folder's loading) a file is read from disk once: a save in the
    middle cannot give the item cache's key one text and the loaded item another."""
    from generator.yamlsource import read_bytes, read_text, reading_once

    update = tmp_path / "update.md"
    update.write_bytes(b"first\r\n")
    with reading_once():
        assert read_bytes(update) == b"first\r\n"
        update.write_bytes(b"second\n")
        assert read_text(update) == "first\n"
        with reading_once():  # a nested one starts afresh, and gives the outer one back
            assert read_bytes(update) == b"second\n"
        assert read_bytes(update) == b"first\r\n"
    assert read_text(update) == "second\n"
