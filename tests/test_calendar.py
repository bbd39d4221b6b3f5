"""maintenance.ics, parsed with icalendar."""

from __future__ import annotations

from datetime import datetime, timezone

from icalendar import Calendar

from conftest import html
from sites import CANARIES, LEAKY_SITE, MAINTENANCE

NOW = "2026-11-27T10:00:00Z"
CANCELLED = "---\ndate: 2026-11-21T10:00:00Z\nstatus: cancelled\n---\nOff.\n"


def events(out, audience="public"):
    calendar = Calendar.from_ical((out / audience / "maintenance.ics").read_bytes())
    return {str(e["uid"]): e for e in calendar.walk("VEVENT")}


def test_one_event_per_window_with_stable_uid_and_times(make_site, build):
    out = build(make_site(MAINTENANCE), None, NOW)
    [(uid, event)] = events(out).items()
    assert uid == "maintenance-db-upgrade-public@status.example.com"
    assert event.decoded("dtstart") == datetime(2026, 11, 27, 11, tzinfo=timezone.utc)
    assert event.decoded("dtend") == datetime(2026, 11, 27, 13, tzinfo=timezone.utc)
    assert event.decoded("dtstamp") == datetime(2026, 11, 20, 10, tzinfo=timezone.utc)
    assert str(event["summary"]) == "Database upgrade"
    assert str(event["status"]) == "CONFIRMED"
    assert int(event["sequence"]) == 0
    assert str(event["description"]) == "Affected: API, Web app\n\nWe will upgrade the database."
    assert str(event["url"]) == "https://status.example.com/maintenance/db-upgrade/"


def test_moving_the_window_raises_sequence_and_cancelling_marks_it(make_site, build, tmp_path):
    moved = {
        **MAINTENANCE,
        "content/maintenance/db-upgrade/2.md": (
            "---\ndate: 2026-11-21T10:00:00Z\nstatus: scheduled\nstarts: 2026-11-28T11:00:00Z\n"
            "ends: 2026-11-28T13:00:00Z\n---\nMoved by a day.\n"
        ),
    }
    site = make_site(moved)
    event = events(build(site, tmp_path / "a", NOW))["maintenance-db-upgrade-public@status.example.com"]
    assert int(event["sequence"]) == 1
    assert event.decoded("dtstart") == datetime(2026, 11, 28, 11, tzinfo=timezone.utc)
    (site / "content/maintenance/db-upgrade/3.md").write_text(
        "---\ndate: 2026-11-22T10:00:00Z\nstatus: cancelled\n---\nCancelled.\n"
    )
    out = build(site, tmp_path / "b", NOW)
    event = events(out)["maintenance-db-upgrade-public@status.example.com"]
    assert (str(event["status"]), int(event["sequence"])) == ("CANCELLED", 2)
    index = html(out / "public" / "index.html")
    assert index.select_one("#upcoming-heading") is None  # a cancelled window is not upcoming


def test_calendar_holds_only_the_windows_the_audience_sees(make_site, build):

    out = build(make_site(LEAKY_SITE))
    assert events(out, "public") == {}
    strategic = events(out, "strategic")
    assert [str(e["summary"]) for e in strategic.values()] == [CANARIES["maintenance_title"]]


def test_sequence_only_grows_when_a_cancelled_window_is_rescheduled(make_site, build):
    files = {
        **MAINTENANCE,
        "content/maintenance/db-upgrade/2.md": CANCELLED,
        "content/maintenance/db-upgrade/3.md": (
            "---\ndate: 2026-11-22T10:00:00Z\nstatus: scheduled\nstarts: 2026-12-01T11:00:00Z\n"
            "ends: 2026-12-01T13:00:00Z\n---\nBack on, a week later.\n"
        ),
    }
    event = events(build(make_site(files), None, NOW))["maintenance-db-upgrade-public@status.example.com"]
    assert (str(event["status"]), int(event["sequence"])) == ("CONFIRMED", 2)


def test_cancelled_window_in_the_json_api(make_site, build):
    import json

    files = {**MAINTENANCE, "content/maintenance/db-upgrade/2.md": CANCELLED}
    out = build(make_site(files), None, NOW)
    listing = json.loads((out / "public/api/v2/scheduled-maintenances.json").read_text())
    window = listing["scheduled_maintenances"][0]
    assert (window["status"], window["resolved_at"]) == ("completed", "2026-11-21T10:00:00.000Z")
    assert [u["status"] for u in window["incident_updates"]] == ["completed", "scheduled"]
