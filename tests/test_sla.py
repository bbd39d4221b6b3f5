"""SLA periods, the sla/ report, api/sla.json and an open incident's SLA cost: hand-computed
figures at month, quarter and year boundaries in the site's zone, from each audience's view."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import SITE_YML, html, incident, run, sla_audience, tree_bytes
from sites import UPGRADE_WINDOW

# Berlin. api: its own monthly 99.9 %; web: the Core group's quarterly 99.5 %; cdn: yearly 99 %.
# public and strategic get no report; exec (and, in one test, strategic) do.
SLA_YML = (
    SITE_YML.replace("    name: API\n", "    name: API\n    sla: {target: 99.9, period: month}\n")
    .replace("    name: CDN\n", "    name: CDN\n    sla: {target: 99, period: year}\n")
    .replace("    base_url: https://strategic.example.com/\n", "")
    + "  - id: exec\n    title: Executives\n    sla_report: true\n"
    + "sla:\n  groups:\n    Core: {target: 99.5, period: quarter}\n"
)
NOW = "2026-11-27T12:00:00Z"
NOVEMBER = 30 * 86400  # Nov 1 00:00 CET to Dec 1 00:00 CET: no clock change
NOVEMBER_SO_FAR = 26 * 86400 + 13 * 3600  # Oct 31 23:00Z to Nov 27 12:00Z


def sla(out: Path, audience: str = "exec") -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((out / audience / "api/sla.json").read_bytes())["periods"]
    return data


def row(out: Path, label: str, component: str, audience: str = "exec") -> dict[str, Any]:
    period = next(p for p in sla(out, audience) if p["label"] == label)
    return next(c for c in period["components"] if c["id"] == component)


def costs(entry: dict[str, Any]) -> list[tuple[str, float]]:
    return [(item["uri"], item["seconds"]) for item in entry["items"]]


def outage(name: str, start: str, end: str | None, states: dict[str, str], **keys: object) -> dict[str, str]:
    restricted = {"audience": keys["audience"]} if "audience" in keys else {}
    files = {
        f"content/incidents/{name}/1.md": incident(
            start, "investigating", title=name.title(), impact="major", components=states, **keys
        )
    }
    if end:
        files[f"content/incidents/{name}/2.md"] = incident(end, "resolved", "Fixed.", **restricted)
    return files


def test_overlapping_incidents_count_the_worst_state_once_and_share_it(make_site, build):
    files = {
        **outage("a", "2026-11-26T09:00:00Z", "2026-11-26T11:00:00Z", {"api": "partial_outage"}),
        **outage("b", "2026-11-26T10:00:00Z", "2026-11-26T12:00:00Z", {"api": "major_outage"}),
        **outage("c", "2026-11-26T10:00:00Z", "2026-11-26T11:00:00Z", {"api": "major_outage"}),
    }
    api = row(build(make_site(files, SLA_YML), None, NOW), "November 2026", "api")
    # 09-10 partial (a: 0.3 * 3600); 10-11 major, b and c share it; 11-12 major (b).
    assert api["used_seconds"] == 1080 + 3600 + 3600 == 8280
    assert costs(api) == [("incidents/b/", 5400), ("incidents/c/", 1800), ("incidents/a/", 1080)]
    assert api["period_seconds"] == NOVEMBER and api["allowed_seconds"] == 2592  # 0.1 % of 30 days
    assert api["left_seconds"] == 2592 - 8280 and api["breached"] is True
    assert api["uptime"] == round((1 - 8280 / NOVEMBER_SO_FAR) * 100, 3) == 99.639


def test_an_incident_across_midnight_and_a_month_end_counts_in_both_months(make_site, build):
    # Oct 31 23:30 CET to Nov 1 00:30 CET; October 2026 has 745 hours (the clocks went back on the 25th).
    files = outage(
        "x", "2026-10-31T22:30:00Z", "2026-10-31T23:30:00Z", {"api": "major_outage", "web": "major_outage"}
    )
    out = build(make_site(files, SLA_YML), None, NOW)
    october, november = row(out, "October 2026", "api"), row(out, "November 2026", "api")
    assert october["period_seconds"] == 745 * 3600 and october["allowed_seconds"] == 2682
    assert october["used_seconds"] == november["used_seconds"] == 1800
    assert october["breached"] is False and october["projection"] is None  # a past period
    assert costs(november) == [("incidents/x/", 1800)]
    # web's quarter Q4 2026: Oct 1 00:00 CEST to Jan 1 00:00 CET is 92 days and 1 hour.
    q4 = row(out, "Q4 2026", "web")
    assert q4["period_seconds"] == (92 * 24 + 1) * 3600 and q4["allowed_seconds"] == 39762
    assert q4["used_seconds"] == 3600 and q4["target"] == 99.5
    periods = [(p["period"], p["label"], p["current"]) for p in sla(out)]
    assert periods == [
        ("month", "November 2026", True),
        ("month", "October 2026", False),
        ("quarter", "Q4 2026", True),
        ("year", "2026", True),
    ]


def test_a_year_end_splits_an_incident_between_two_years_quarters_and_months(make_site, build):
    files = outage(
        "y", "2025-12-31T22:00:00Z", "2026-01-01T00:00:00Z", {"cdn": "major_outage", "web": "major_outage"}
    )
    out = build(make_site(files, SLA_YML), None, "2026-01-15T12:00:00Z")
    assert row(out, "2025", "cdn")["used_seconds"] == row(out, "2026", "cdn")["used_seconds"] == 3600
    assert row(out, "2025", "cdn")["period_seconds"] == 365 * 86400
    assert row(out, "2025", "cdn")["allowed_seconds"] == 315360
    assert row(out, "Q4 2025", "web")["used_seconds"] == row(out, "Q1 2026", "web")["used_seconds"] == 3600


def test_an_open_incident_counts_up_to_now_and_its_page_says_what_it_cost(make_site, build):
    files = outage("open", "2026-11-27T11:30:00Z", None, {"api": "major_outage"})
    out = build(make_site(files, SLA_YML), None, NOW)
    api = row(out, "November 2026", "api")
    assert api["used_seconds"] == 1800 and api["known_seconds"] == NOVEMBER_SO_FAR
    projected = 1800 * NOVEMBER / NOVEMBER_SO_FAR  # at the rate so far, over the whole month
    assert api["projection"] == {
        "downtime_seconds": round(projected, 1),
        "uptime": round((1 - projected / NOVEMBER) * 100, 3),
        "holds": True,
    }
    assert api["projection"]["downtime_seconds"] == 2034.5
    page = html(out / "exec/incidents/open/index.html")
    assert [li.get_text() for li in page.select(".sla-cost li")] == [
        "API: 30 min of 43 min allowed this month — 13 min left"
    ]
    assert page.select_one(".sla-cost a")["href"] == "../../sla/"
    report = html(out / "exec/sla/index.html")
    cells = [td.get_text(" ") for td in report.select("table")[0].select("tbody tr")[0].select("td")]
    assert report.select("table")[0].select_one("tbody th").get_text(" ") == "API 99.9 %"
    assert cells[:5] == ["99.92 %", "43 min", "30 min", "13 min", "On track projected 99.92 %"]
    assert report.select("table")[0].select_one("tbody tr a")["href"] == "../incidents/open/"


def test_early_in_a_month_a_modest_outage_puts_the_target_at_risk_then_breaches_it(make_site, build):
    files = outage("early", "2026-11-02T10:00:00Z", "2026-11-02T10:30:00Z", {"api": "major_outage"})
    out = build(make_site(files, SLA_YML), None, "2026-11-02T12:00:00Z")
    api = row(out, "November 2026", "api")
    so_far = 37 * 3600  # Oct 31 23:00Z to Nov 2 12:00Z
    assert api["breached"] is False and api["projection"]["holds"] is False
    assert api["projection"]["downtime_seconds"] == round(1800 * NOVEMBER / so_far, 1) == 35027.0
    verdict = html(out / "exec/sla/index.html").select_one("tbody .sla-verdict").parent.get_text(" ")
    assert verdict == "At risk projected 98.65 %"
    files |= outage("more", "2026-11-02T11:00:00Z", "2026-11-02T11:20:00Z", {"api": "major_outage"})
    out = build(make_site(files, SLA_YML), None, "2026-11-02T12:00:00Z")
    assert row(out, "November 2026", "api")["breached"] is True  # 3000 s of 2592 s: spent
    assert html(out / "exec/sla/index.html").select_one("tbody .sla-verdict").get_text() == "Breached"


def test_a_dst_change_month_has_one_hour_less_and_an_outage_across_the_change_counts_real_time(
    make_site, build
):
    # Sunday 29 March 2026, 01:00 UTC: Berlin goes from UTC+1 to UTC+2; March has 743 hours.
    files = outage("dst", "2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z", {"api": "major_outage"})
    api = row(build(make_site(files, SLA_YML), None, "2026-03-30T12:00:00Z"), "March 2026", "api")
    assert api["period_seconds"] == 743 * 3600 and api["allowed_seconds"] == 2674.8
    assert api["used_seconds"] == 3600


def test_maintenance_inside_an_outage_is_the_outage_and_counts_only_when_configured(make_site, build):
    files = {
        **UPGRADE_WINDOW,
        **outage("out", "2026-11-26T09:00:00Z", "2026-11-26T12:00:00Z", {"api": "major_outage"}),
    }
    out = build(make_site(files, SLA_YML), None, NOW)
    assert costs(row(out, "November 2026", "api")) == [("incidents/out/", 10800)]
    assert row(out, "Q4 2026", "web")["used_seconds"] == 0 and costs(row(out, "Q4 2026", "web")) == []
    down = SLA_YML + "uptime:\n  maintenance_counts_as_down: true\n"
    out = build(make_site(files, down), None, NOW)
    assert costs(row(out, "November 2026", "api")) == [("incidents/out/", 10800)]  # once, the outage
    assert costs(row(out, "Q4 2026", "web")) == [("maintenance/upgrade/", 3600)]


def test_a_component_added_mid_period_is_held_to_its_target_from_its_since_day(make_site, build):
    site_yml = SLA_YML.replace("    name: CDN\n", "    name: CDN\n    since: 2026-11-15\n")
    files = {
        **outage("before", "2026-11-10T09:00:00Z", "2026-11-10T10:00:00Z", {"cdn": "major_outage"}),
        **outage("old", "2025-06-01T09:00:00Z", "2025-06-01T10:00:00Z", {"api": "major_outage"}),
    }
    out = build(make_site(files, site_yml), None, NOW)
    cdn = row(out, "2026", "cdn")
    # Nov 15 00:00 CET (Nov 14 23:00Z) to Jan 1 00:00 CET: 47 days; so far to Nov 27 12:00Z.
    assert cdn["period_seconds"] == 47 * 86400 and cdn["allowed_seconds"] == 40608
    assert cdn["known_seconds"] == (12 * 24 + 13) * 3600 and cdn["used_seconds"] == 0
    assert all(c["id"] != "cdn" for c in next(p for p in sla(out) if p["label"] == "2025")["components"])


def test_a_state_changed_by_a_later_update_counts_with_its_new_weight(make_site, build):
    files = outage("x", "2026-11-26T10:00:00Z", "2026-11-26T12:00:00Z", {"api": "major_outage"})
    files["content/incidents/x/1b.md"] = incident(
        "2026-11-26T10:30:00Z", "identified", components={"api": "degraded_performance"}
    )
    files["content/incidents/x/1c.md"] = incident(
        "2026-11-26T11:00:00Z", "monitoring", components={"api": "partial_outage"}
    )
    api = row(build(make_site(files, SLA_YML), None, NOW), "November 2026", "api")
    assert api["used_seconds"] == 1800 + 0 + 0.3 * 3600 == 2880 and api["breached"] is True


def test_a_reopened_incident_counts_both_times_and_not_the_gap(make_site, build):
    files = outage("r", "2026-11-26T09:00:00Z", "2026-11-26T09:30:00Z", {"api": "major_outage"})
    files["content/incidents/r/3.md"] = incident(
        "2026-11-26T10:00:00Z", "investigating", reopened="true", components={"api": "major_outage"}
    )
    files["content/incidents/r/4.md"] = incident("2026-11-26T10:15:00Z", "resolved")
    api = row(build(make_site(files, SLA_YML), None, NOW), "November 2026", "api")
    assert costs(api) == [("incidents/r/", 1800 + 900)] and api["breached"] is True


def test_past_periods_start_at_the_oldest_item_and_stop_at_the_cap(make_site, build):
    recent = outage("recent", "2026-09-10T09:00:00Z", "2026-09-10T10:00:00Z", {"api": "major_outage"})
    out = build(make_site(recent, SLA_YML), None, NOW)
    assert [p["label"] for p in sla(out) if p["period"] == "month"] == [
        "November 2026",
        "October 2026",
        "September 2026",
    ]
    old = outage("old", "2019-01-10T09:00:00Z", "2019-01-10T10:00:00Z", {"web": "major_outage"})
    out = build(make_site({**recent, **old}, SLA_YML), None, NOW)
    labels = [p["label"] for p in sla(out)]
    assert [p["period"] for p in sla(out)].count("month") == 13 and "November 2025" in labels
    assert [label for label in labels if label.startswith("Q")][-1] == "Q4 2024"  # 8 past quarters
    assert [p["label"] for p in sla(out) if p["period"] == "year"] == ["2026", "2025", "2024", "2023"]


def test_only_sla_report_audiences_get_any_of_it_and_each_from_its_own_view(make_site, build, tmp_path):
    site_yml = SLA_YML.replace(
        "    title: Strategic customers\n", "    title: Strategic customers\n    sla_report: true\n"
    )
    seen = outage("seen", "2026-11-26T09:00:00Z", "2026-11-26T10:00:00Z", {"api": "major_outage"})
    canary = outage(
        "canary-x",
        "2026-11-26T11:00:00Z",
        None,
        {"api": "major_outage", "cdn": "major_outage"},
        audience="exec",
    )
    out = build(make_site({**seen, **canary}, site_yml), tmp_path / "with", NOW)
    public = tree_bytes(out / "public")
    assert "sla/index.html" not in public and "api/sla.json" not in public
    assert not any(b"SLA" in data or b"sla" in data for data in public.values())
    assert costs(row(out, "November 2026", "api", "strategic")) == [("incidents/seen/", 3600)]
    assert costs(row(out, "November 2026", "api", "exec")) == [  # open: 11:00 Nov 26 to now, 25 h
        ("incidents/canary-x/", 90000),
        ("incidents/seen/", 3600),
    ]
    twin = build(make_site(seen, site_yml), tmp_path / "twin", NOW)
    assert tree_bytes(out / "strategic") == tree_bytes(twin / "strategic")
    assert html(out / "exec/incidents/canary-x/index.html").select(".sla-cost li")
    assert not html(out / "exec/incidents/seen/index.html").select(".sla-cost")  # resolved: no costs


def test_sla_mistakes_are_site_yml_lines_all_in_one_run(make_site, capsys, tmp_path):
    site_yml = (
        SITE_YML.replace("    name: API\n", "    name: API\n    sla: {target: 100, period: month}\n")
        .replace("    name: Web app\n", "    name: Web app\n    sla: {target: 99.9, period: week}\n")
        .replace("    name: CDN\n", "    name: CDN\n    sla: {target: true, perod: year}\n")
        + "sla:\n  groups:\n    Cor: {target: 0, period: month}\n    Delivery: {target: 99}\n"
    )
    site = make_site({}, site_yml)
    code, _, err = run(capsys, "build", "--site", str(site), "--out", str(tmp_path / "o"), "--now", NOW)
    assert code == 1 and "Traceback" not in err
    assert [line for line in err.splitlines() if line.startswith("site.yml")] == [
        "site.yml:7: 'target' must be a percentage between 0 and 100 (like 99.9), not 100",
        "site.yml:11: unknown period 'week'; expected one of month, quarter, year",
        "site.yml:15: 'target' must be a percentage between 0 and 100 (like 99.9), not true",
        "site.yml:15: missing required key 'period' in sla",
        "site.yml:15: unknown key in sla 'perod'; expected one of target, period (did you mean 'period'?)",
        "site.yml:25: unknown group 'Cor'; expected one of Core, Delivery (did you mean 'Core'?)",
        "site.yml:26: missing required key 'period' in sla.groups.Delivery",
    ]


def test_the_preview_renders_open_incident_pages_again_when_another_item_changes_their_costs(
    make_site, build, tmp_path
):
    from generator.serve.live import LiveSite

    open_one = outage("open", "2026-11-27T11:30:00Z", None, {"api": "major_outage"})
    site = make_site(open_one, SLA_YML)
    live = LiveSite(site, NOW)
    assert live.rebuild().full
    other = site / "content/incidents/other"
    other.mkdir()
    for relative, text in outage(
        "other", "2026-11-26T09:00:00Z", "2026-11-26T10:00:00Z", {"api": "major_outage"}
    ).items():
        (site / relative).write_text(text)
    result = live.rebuild([other, *other.iterdir()])
    assert not result.full and not result.problems, result.describe()
    out = build(site, tmp_path / "full")
    built = {audience.name: tree_bytes(audience) for audience in out.iterdir() if audience.is_dir()}
    assert live.trees == built
    page = html(out / "exec/incidents/open/index.html")  # the other incident spent the budget
    assert [li.get_text() for li in page.select(".sla-cost li")] == [
        "API: 30 min of 43 min allowed this month — SLA breached"
    ]


def test_the_example_sites_report_has_figures_and_its_open_incident_a_cost(example_sla_out, example_out):
    audience = sla_audience(example_sla_out)
    current = [p for p in sla(example_sla_out, audience) if p["current"]]
    assert {p["period"] for p in current} == {"month", "quarter"}
    november = next(p for p in current if p["period"] == "month")
    api = next(c for c in november["components"] if c["id"] == "api")
    assert api["target"] == 99.95 and api["items"] and api["used_seconds"] > 0
    assert next(c for c in november["components"] if c["id"] == "web")["target"] == 99.9  # its group's
    page = html(example_sla_out / audience / "incidents/2026-11-27-api-errors-frankfurt/index.html")
    assert any(li.get_text().startswith("REST API: ") for li in page.select(".sla-cost li"))
    # As shipped, executives and business have the report, and no other audience.
    assert sorted(p.parent.parent.name for p in example_out.glob("*/sla/index.html")) == [
        "business",
        "executives",
    ]
    assert sorted(p.parent.parent.name for p in example_out.glob("*/api/sla.json")) == [
        "business",
        "executives",
    ]


def test_an_incremental_build_renders_open_incident_costs_again_as_the_clock_and_others_move(
    make_site, build, tmp_path
):
    site = make_site(outage("open", "2026-11-27T11:30:00Z", None, {"api": "major_outage"}), SLA_YML)
    out = tmp_path / "same-out"

    def cost() -> list[str]:
        return [li.get_text() for li in html(out / "exec/incidents/open/index.html").select(".sla-cost li")]

    build(site, out, NOW)
    assert cost() == ["API: 30 min of 43 min allowed this month — 13 min left"]
    build(site, out, "2026-11-27T11:50:00Z")  # the clock moved back within the same moments
    assert cost() == ["API: 20 min of 43 min allowed this month — 23 min left"]
    for relative, text in outage(
        "other", "2026-11-26T09:00:00Z", "2026-11-26T10:00:00Z", {"api": "major_outage"}
    ).items():
        (site / relative).parent.mkdir(parents=True, exist_ok=True)
        (site / relative).write_text(text)
    build(site, out, NOW)
    assert cost() == ["API: 30 min of 43 min allowed this month — SLA breached"]
