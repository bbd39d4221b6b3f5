"""Uptime: per component and day, from each audience's view, with hand-computed expectations."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import SITE_YML, html, incident, tree_bytes
from sites import UPGRADE_WINDOW

DAYS3 = SITE_YML + "uptime:\n  days: 3\n"
NOW = "2026-11-27T12:00:00Z"  # 13:00 in Berlin: today (Nov 27) has 13 hours so far
TODAY_SECONDS = 13 * 3600


def uptime(out: Path, audience: str = "public") -> dict[str, dict[str, object]]:
    data = json.loads((out / audience / "api/uptime.json").read_bytes())
    return {c["id"]: c for c in data["components"]}


def days(component: dict[str, object]) -> dict[str, dict[str, object]]:
    return {d["date"]: d for d in component["days"]}  # type: ignore[attr-defined,index]


def outage(start: str, end: str | None, states: dict[str, str], **keys: object) -> dict[str, str]:
    name = keys.pop("name", "out")
    keys.setdefault("impact", "major")
    restricted = {"audience": keys["audience"]} if "audience" in keys else {}
    files = {
        f"content/incidents/{name}/1.md": incident(
            start, "investigating", title="Outage", components=states, **keys
        )
    }
    if end:
        files[f"content/incidents/{name}/2.md"] = incident(end, "resolved", "Fixed.", **restricted)
    return files


def test_an_outage_spanning_midnight_counts_on_both_days(make_site, build):
    # 23:00 to 02:00 in Berlin: one hour on the 25th, two on the 26th.
    files = outage("2026-11-25T22:00:00Z", "2026-11-26T01:00:00Z", {"api": "major_outage"})
    api = uptime(build(make_site(files, DAYS3), None, NOW))["api"]
    by_day = days(api)
    assert by_day["2026-11-25"]["uptime"] == round((1 - 3600 / 86400) * 100, 3) == 95.833
    assert by_day["2026-11-26"]["uptime"] == 91.667
    assert by_day["2026-11-26"]["seconds"]["major_outage"] == 7200
    assert by_day["2026-11-27"] | {"seconds": None} == {
        "date": "2026-11-27",
        "uptime": 100.0,
        "worst": "operational",
        "known_seconds": TODAY_SECONDS,
        "seconds": None,
        "items": [],
    }
    assert api["known_seconds"] == 2 * 86400 + TODAY_SECONDS and api["downtime_seconds"] == 10800
    assert api["uptime"] == round((1 - 10800 / 219600) * 100, 3) == 95.082


def test_overlapping_incidents_count_the_worst_state_once(make_site, build):
    files = {
        **outage("2026-11-26T09:00:00Z", "2026-11-26T11:00:00Z", {"api": "partial_outage"}, name="a"),
        **outage("2026-11-26T10:00:00Z", "2026-11-26T12:00:00Z", {"api": "major_outage"}, name="b"),
    }
    day = days(uptime(build(make_site(files, DAYS3), None, NOW))["api"])["2026-11-26"]
    # 09-10 partial (0.3 of down), 10-12 major (the overlap is major, counted once).
    assert day["seconds"] == {
        "under_maintenance": 0,
        "degraded_performance": 0,
        "partial_outage": 3600,
        "major_outage": 7200,
    }
    assert day["uptime"] == round((1 - (7200 + 0.3 * 3600) / 86400) * 100, 3) == 90.417
    assert day["worst"] == "major_outage" and day["items"] == ["incidents/a/", "incidents/b/"]


def test_an_open_incident_counts_up_to_now_in_the_state_each_update_gives(make_site, build):
    files = outage("2026-11-27T10:00:00Z", None, {"api": "major_outage"})
    files["content/incidents/out/2.md"] = incident(
        "2026-11-27T11:00:00Z", "identified", "Better.", components={"api": "degraded_performance"}
    )
    api = uptime(build(make_site(files, DAYS3), None, NOW))["api"]
    day = days(api)["2026-11-27"]
    assert day["seconds"]["major_outage"] == 3600 and day["seconds"]["degraded_performance"] == 3600
    assert day["uptime"] == round((1 - 3600 / TODAY_SECONDS) * 100, 3) == 92.308
    assert days(api).keys() == {"2026-11-25", "2026-11-26", "2026-11-27"}  # no day after now


def test_a_daylight_saving_day_has_23_hours(make_site, build):
    # Sunday 29 March 2026: Berlin goes from UTC+1 to UTC+2, the day is 23 hours long.
    files = outage("2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z", {"api": "major_outage"})
    api = uptime(build(make_site(files, DAYS3), None, "2026-03-30T12:00:00Z"))["api"]
    day = days(api)["2026-03-29"]
    assert day["known_seconds"] == 23 * 3600
    assert day["uptime"] == round((1 - 3600 / 82800) * 100, 3) == 95.652
    assert days(api)["2026-03-30"]["known_seconds"] == 14 * 3600  # from 22:00 UTC to noon UTC


def test_maintenance_inside_an_outage_is_the_outage(make_site, build):
    files = {
        **UPGRADE_WINDOW,
        **outage("2026-11-26T09:00:00Z", "2026-11-26T12:00:00Z", {"api": "major_outage"}),
    }
    figures = uptime(build(make_site(files, DAYS3), None, NOW))
    api, web = days(figures["api"])["2026-11-26"], days(figures["web"])["2026-11-26"]
    assert api["seconds"]["major_outage"] == 10800 and api["seconds"]["under_maintenance"] == 0
    assert api["uptime"] == 87.5
    # Maintenance alone counts as up by default, and as down when configured so.
    assert web["seconds"]["under_maintenance"] == 3600 and web["worst"] == "under_maintenance"
    assert web["uptime"] == 100.0
    down = DAYS3 + "  maintenance_counts_as_down: true\n"
    web = days(uptime(build(make_site(files, down), None, NOW))["web"])["2026-11-26"]
    assert web["uptime"] == 95.833


def test_history_starts_at_since_and_days_before_it_have_no_data(make_site, build):
    site_yml = DAYS3.replace("    name: CDN\n", "    name: CDN\n    since: 2026-11-26\n")
    out = build(make_site({}, site_yml), None, NOW)
    cdn = uptime(out)["cdn"]
    assert days(cdn)["2026-11-25"] | {"seconds": None} == {
        "date": "2026-11-25",
        "uptime": None,
        "worst": None,
        "known_seconds": 0,
        "seconds": None,
        "items": [],
    }
    assert cdn["known_seconds"] == 86400 + TODAY_SECONDS and cdn["uptime"] == 100.0
    page = html(out / "public/components/cdn/index.html")
    bars = page.select(".uptime-bar li")
    assert len(bars) == 3 and bars[0].get_text() == "Nov 25, 2026: no data"
    assert "d-none" in bars[0]["class"] and "100 % uptime" in bars[1].get_text()


def test_a_day_with_an_incident_says_so_in_text_and_links_to_it(make_site, build):
    files = outage("2026-11-26T09:00:00Z", "2026-11-26T10:00:00Z", {"api": "partial_outage"})
    out = build(make_site(files, DAYS3), None, NOW)
    bar = html(out / "public/components/api/index.html").select(".uptime-bar li")[1]
    assert bar.a["href"] == "../../incidents/out/"
    assert bar.get_text() == "Nov 26, 2026: 98.75 % uptime, partial outage; Outage" == bar["title"]
    front = html(out / "public/index.html")
    assert [s.get_text() for s in front.select(".components small")] == ["99.51 %", "100 %", "100 %"]


def test_a_restricted_outage_changes_only_its_audience_figures(make_site, build, tmp_path):
    canary = outage(
        "2026-11-26T09:00:00Z",
        "2026-11-26T12:00:00Z",
        {"api": "major_outage"},
        name="canary-x",
        audience="strategic",
    )
    public_only = outage("2026-11-20T09:00:00Z", "2026-11-20T10:00:00Z", {"web": "major_outage"}, name="seen")
    out = build(make_site({**public_only, **canary}, DAYS3), tmp_path / "with", NOW)
    assert uptime(out)["api"]["uptime"] == 100.0
    assert uptime(out, "strategic")["api"]["uptime"] == round((1 - 10800 / 219600) * 100, 3)
    twin = tmp_path / "twin"
    twin_site = make_site(public_only, DAYS3)
    twin_out = build(twin_site, twin, NOW)
    assert tree_bytes(out / "public") == tree_bytes(twin_out / "public")


def test_a_since_outside_1970_to_2999_is_a_problem_not_a_crash(make_site, tmp_path, capsys):
    from generator.cli import main

    site_yml = DAYS3.replace("    name: CDN\n", "    name: CDN\n    since: 0001-01-01\n")
    code = main(["build", "--site", str(make_site({}, site_yml)), "--out", str(tmp_path / "o"), "--now", NOW])
    err = capsys.readouterr().err
    assert code == 1 and "'since' must be a date between 1970 and 2999, not '0001-01-01'" in err
    assert "Traceback" not in err
