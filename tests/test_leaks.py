"""Audience separation: nothing restricted may reach an audience that does not include its audience."""

from __future__ import annotations

import json
import random
from pathlib import Path

import feedparser
import pytest

from generator.cli import main
from generator.serve.live import LiveSite

from conftest import NOW, html, incident, tree_bytes
from sites import (
    CANARIES,
    GRAPH,
    KIND_TIMES,
    LEAKY_SITE,
    PLACE_KINDS,
    SITE_YML_HEAD,
    Placement,
    closures,
    graph_files,
    graph_site_yml,
    readers,
)

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


# --- On an audience graph --------------------------------------------------------------------


def _graph_placements() -> list[Placement]:
    """A canary for each restricted audience in every restricted place, then several audiences
    at once and nested blocks (GRAPH: executives and engineering each see what the other does not)."""
    levels: list[tuple[str, tuple[tuple[str, ...], ...]]] = [
        (kind, ((name,), (name,)) if kind == "update_block" else ((name,),))
        for name in GRAPH
        if name != "public"
        for kind in PLACE_KINDS
    ]
    levels += [
        ("block", (("executives", "engineering"),)),
        ("update", (("business", "engineering"),)),
        ("incident", (("strategic", "business"),)),
        ("postmortem", (("executives", "business"),)),
        ("maintenance", (("support", "business"),)),
        ("block", (("support",), ("executives",))),  # nested: executives only
        ("block", (("business", "engineering"), ("strategic",))),  # executives and engineering
        ("postmortem_block", (("support",), ("engineering", "business"))),  # engineering and executives
        ("update_block", (("engineering",), ("support",))),  # engineering only
        ("update_block", (("support", "business"), ("executives", "strategic"))),
    ]
    return [
        Placement(kind, nested, f"CANARY-{i:03d}-{kind.upper()}") for i, (kind, nested) in enumerate(levels)
    ]


def _searchable(root: Path) -> bytes:
    """Every file's path and bytes under root, as one text to look for needles in."""
    return b"\0".join(uri.encode() + b"\0" + data for uri, data in tree_bytes(root).items())


def assert_separated(out: Path, graph: dict[str, list[str]], placements: list[Placement]) -> None:
    """Each canary is in the trees of the audiences that may read it and in no other file: no
    text, slug, time, state or count of a place reaches an audience that does not include it."""
    trees = {audience: _searchable(out / audience) for audience in graph}
    for placement in placements:
        allowed = readers(graph, *placement.levels)
        assert allowed, placement  # a placement nobody may read is an error (tested elsewhere)
        needles = (placement.canary.encode(), placement.canary.lower().encode())
        for audience, blob in trees.items():
            found = any(needle in blob for needle in needles)
            assert found == (audience in allowed), (placement, audience, sorted(allowed))
    for kind, times in KIND_TIMES.items():
        for audience, blob in trees.items():
            if not any(p.kind == kind and audience in readers(graph, *p.levels) for p in placements):
                leaked = [t for t in times if t.encode() in blob]
                assert leaked == [], f"{kind}'s times {leaked} reached {audience}"
    for audience in graph:
        visible = [p for p in placements if audience in readers(graph, *p.levels)]
        summary = json.loads((out / audience / "api/v2/summary.json").read_text())
        states = {c["id"]: c["status"] for c in summary["components"]}
        worst = "major_outage"
        assert states["cdn"] == (worst if any(p.kind == "update" for p in visible) else "operational")
        assert states["web"] == (worst if any(p.kind == "incident" for p in visible) else "operational")
        listed = json.loads((out / audience / "api/v2/incidents.json").read_text())["incidents"]
        public = {f"p{i}" for i, p in enumerate(placements) if p.kind not in ("incident", "maintenance")}
        whole = {p.canary.lower() for p in visible if p.kind == "incident"}
        assert {i["id"] for i in listed} == public | whole, audience


def test_on_a_graph_nothing_reaches_an_audience_that_does_not_include_its_audience(make_site, build):
    placements = _graph_placements()
    out = build(make_site(graph_files(placements), site_yml=graph_site_yml(GRAPH)))
    assert_separated(out, GRAPH, placements)
    # Every ordered pair where one audience does not include the other was put to the test: a
    # canary written for the second alone, in every kind of place, is kept from the first.
    included = closures(GRAPH)
    pairs = {(viewer, owner) for viewer in GRAPH for owner in GRAPH if owner not in included[viewer]}
    tested = {
        (viewer, p.levels[0][0])
        for p in placements
        for viewer in GRAPH
        if set(p.levels) == {p.levels[0]}
        and len(p.levels[0]) == 1
        and viewer not in readers(GRAPH, *p.levels)
    }
    assert (
        pairs == tested and ("executives", "engineering") in pairs and ("engineering", "executives") in pairs
    )


def test_on_a_graph_every_audiences_sla_report_holds_only_what_it_includes(make_site, build):
    """The same canaries with SLA targets on every component and the report for every audience:
    incidents used a budget only in the reports of the audiences that see them."""
    placements = _graph_placements()
    site_yml = graph_site_yml(GRAPH).replace("    includes:", "    sla_report: true\n    includes:")
    site_yml += (
        "sla:\n  groups:\n    Core: {target: 99.9, period: month}\n    Delivery: {target: 99, period: year}\n"
    )
    out = build(make_site(graph_files(placements), site_yml=site_yml))
    assert all((out / audience / "sla/index.html").is_file() for audience in GRAPH)
    assert_separated(out, GRAPH, placements)
    used_by: dict[str, set[str]] = {}
    for audience in GRAPH:
        listed = {
            i["id"] for i in json.loads((out / audience / "api/v2/incidents.json").read_text())["incidents"]
        }
        windows = json.loads((out / audience / "api/v2/scheduled-maintenances.json").read_text())
        listed |= {m["id"] for m in windows["scheduled_maintenances"]}
        used = {
            item["uri"].split("/")[1]
            for period in json.loads((out / audience / "api/sla.json").read_text())["periods"]
            for component in period["components"]
            for item in component["items"]
        }
        assert used <= listed, audience
        used_by[audience] = used
    # Restricted incidents and updates put cdn and web down: readers' reports show what they cost.
    assert not used_by["public"] and all(used_by[a] for a in GRAPH if a != "public")


def test_serve_gives_each_audience_of_a_graph_what_build_gives_it(make_site, build, tmp_path):
    placements = _graph_placements()
    site = make_site(graph_files(placements), site_yml=graph_site_yml(GRAPH))
    live = LiveSite(site, NOW)
    assert live.rebuild().full
    out = build(site)
    assert live.trees == {audience: tree_bytes(out / audience) for audience in GRAPH}


def _random_graph(rng: random.Random) -> dict[str, list[str]]:
    """3 to 6 audiences listed in one order, each including a random few of those before it in
    another (random) order: any graph without cycles."""
    names = [f"aud{n}" for n in range(rng.randint(3, 6))]
    order = [names[0], *rng.sample(names[1:], len(names) - 1)]  # the first (public) includes no one
    return {
        name: sorted(rng.sample(order[: order.index(name)], rng.randint(0, min(2, order.index(name)))))
        for name in names
    }


def _random_placements(rng: random.Random, graph: dict[str, list[str]]) -> list[Placement]:
    placements: list[Placement] = []
    while len(placements) < 14:
        kind = rng.choice(PLACE_KINDS)
        depth = {
            "update_block": rng.randint(2, 3),
            "block": rng.randint(1, 3),
            "postmortem_block": rng.randint(1, 2),
        }
        levels = tuple(tuple(rng.sample(list(graph), rng.randint(1, 2))) for _ in range(depth.get(kind, 1)))
        if readers(graph, *levels):  # one nobody may read is an error: tested on its own
            placements.append(
                Placement(kind, levels, f"CANARY-{len(placements):03d}-R{rng.randrange(10**6)}")
            )
    return placements


@pytest.mark.parametrize("seed", range(5))
def test_random_graphs_and_canaries_keep_every_audience_to_what_it_includes(make_site, build, seed):
    rng = random.Random(seed)
    graph = _random_graph(rng)
    placements = _random_placements(rng, graph)
    out = build(make_site(graph_files(placements), site_yml=graph_site_yml(graph)))
    assert_separated(out, graph, placements)


def test_graph_labels_name_the_audiences_a_block_is_for(make_site, build):
    body = (
        "Public words.\n\n::: executives business\nSLA words.\n:::\n\n::: support\nOuter words.\n"
        "::: executives\nInner words.\n:::\n:::\n"
    )
    files = {
        "content/incidents/x/a.md": incident(
            "2026-11-27T08:00:00Z", "investigating", body, title="X", impact="minor", components=["api"]
        ),
        "content/incidents/x/b.md": incident(
            "2026-11-27T09:00:00Z", "identified", "For two.", audience="[executives, engineering]"
        ),
    }
    out = build(make_site(files, site_yml=graph_site_yml(GRAPH)))
    page = html(out / "executives/incidents/x/index.html")
    labels = [p.get_text() for p in page.select(".restricted-label")]
    assert labels == [
        "Executives people and Business people only",
        "Support people only",
        "Executives people only",
    ]
    badges = [b.get_text() for b in page.select(".timeline .restricted-badge")]
    assert badges == ["Executives people only"]  # not told that engineering reads it too
    public = html(out / "public/incidents/x/index.html")
    assert public.select(".restricted, .restricted-badge") == []
    assert "Outer words" not in public.get_text() and "Inner words" not in public.get_text()
    support = html(out / "support/incidents/x/index.html")
    assert [p.get_text() for p in support.select(".restricted-label")] == ["Support people only"]
    assert "Inner words" not in support.get_text() and "SLA words" not in support.get_text()
    # A label names only audiences the reader is or includes: engineering is not told that
    # executives read the update too.
    engineering = html(out / "engineering/incidents/x/index.html")
    assert [b.get_text() for b in engineering.select(".timeline .restricted-badge")] == [
        "Engineering people only"
    ]


def test_the_public_tree_names_no_other_audience(make_site, build):
    """Content for [public, acquisition] is read by everyone but an audience that includes
    neither; the public tree must still not learn that 'Project Falcon buyers' exist."""
    site_yml = SITE_YML_HEAD + (
        "  - id: public\n"
        "  - id: acquisition\n    title: Project Falcon buyers\n    includes: [public]\n"
        "  - id: internal\n    title: Internal\n    includes: []\n"
    )
    body = "Words.\n\n::: public acquisition\nShared words.\n:::\n"
    files = {
        "content/incidents/x/a.md": incident(
            "2026-11-27T08:00:00Z", "investigating", body, title="X", impact="minor", components=["api"]
        ),
        "content/incidents/x/b.md": incident(
            "2026-11-27T09:00:00Z", "identified", "For two.", audience="[public, acquisition]"
        ),
    }
    out = build(make_site(files, site_yml=site_yml))
    public = b"".join(p.read_bytes() for p in (out / "public").rglob("*") if p.is_file())
    assert b"Shared words." in public and b"For two." in public
    assert b"Falcon" not in public
