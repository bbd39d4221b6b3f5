"""The Statuspage-compatible JSON API: shapes, values, and a real Statuspage client reading it."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from pathlib import Path

import pytest

from conftest import incident
from sites import MAINTENANCE

PAGE_KEYS = ["id", "name", "url", "time_zone", "updated_at"]
COMPONENT_KEYS = [
    "id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "position",
    "description",
    "showcase",
    "start_date",
    "group_id",
    "page_id",
    "group",
    "only_show_if_degraded",
]
INCIDENT_KEYS = [
    "id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "monitoring_at",
    "resolved_at",
    "impact",
    "shortlink",
    "started_at",
    "page_id",
    "incident_updates",
    "components",
]
UPDATE_KEYS = [
    "id",
    "status",
    "body",
    "incident_id",
    "created_at",
    "updated_at",
    "display_at",
    "affected_components",
    "deliver_notifications",
    "custom_tweet",
    "tweet_id",
]
NOW = "2026-11-27T12:00:00Z"

SITE = {
    **MAINTENANCE,  # in progress at NOW (11:00-13:00)
    "content/incidents/api-down/1.md": incident(
        "2026-11-27T10:00:00Z",
        "investigating",
        "We are looking into **API** errors.",
        title="API errors",
        impact="major",
        components=["api"],
    ),
    "content/incidents/api-down/2.md": incident("2026-11-27T10:30:00Z", "monitoring", "- fixed\n- watching"),
    "content/incidents/old/1.md": incident(
        "2026-11-20T08:00:00Z", "investigating", "Slow.", title="Slow CDN", impact="minor", components=["cdn"]
    ),
    "content/incidents/old/2.md": incident("2026-11-20T09:00:00Z", "resolved", "Fixed."),
}


def load(out: Path, uri: str, audience: str = "public") -> dict:
    return json.loads((out / audience / "api" / "v2" / uri).read_text(encoding="utf-8"))


def test_every_endpoint_has_the_real_apis_shape(make_site, build):
    out = build(make_site(SITE), None, NOW)
    expected_keys = {
        "summary.json": ["page", "components", "incidents", "scheduled_maintenances", "status"],
        "status.json": ["page", "status"],
        "components.json": ["page", "components"],
        "incidents.json": ["page", "incidents"],
        "incidents/unresolved.json": ["page", "incidents"],
        "incidents/api-down.json": ["page", "incident"],
        "scheduled-maintenances/db-upgrade.json": ["page", "incident"],
        "scheduled-maintenances.json": ["page", "scheduled_maintenances"],
        "scheduled-maintenances/upcoming.json": ["page", "scheduled_maintenances"],
        "scheduled-maintenances/active.json": ["page", "scheduled_maintenances"],
    }
    for uri, keys in expected_keys.items():
        data = load(out, uri)
        assert list(data) == keys, uri
        assert list(data["page"]) == PAGE_KEYS
    summary = load(out, "summary.json")
    assert summary["page"] == {
        "id": "example-status",
        "name": "Example Status",
        "url": "https://status.example.com",
        "time_zone": "Europe/Berlin",
        "updated_at": "2026-11-27T10:30:00.000Z",
    }
    for component in summary["components"]:
        assert list(component) == COMPONENT_KEYS + (["components"] if component["group"] else [])
    for item in summary["incidents"] + summary["scheduled_maintenances"]:
        window = ["scheduled_for", "scheduled_until"] if item["impact"] == "maintenance" else []
        keys = INCIDENT_KEYS + window
        assert list(item) == keys
        for update in item["incident_updates"]:
            assert list(update) == UPDATE_KEYS


def test_values_follow_the_view(make_site, build):
    out = build(make_site(SITE), None, NOW)
    summary = load(out, "summary.json")
    assert summary["status"] == {"indicator": "major", "description": "Partial System Outage"}
    groups = {c["id"]: c for c in summary["components"] if c["group"]}
    assert groups["group_1_core"]["components"] == ["api", "web"]
    assert groups["group_1_core"]["status"] == "partial_outage"
    assert {c["group_id"] for c in summary["components"] if c["id"] in ("api", "web")} == {"group_1_core"}
    states = {c["id"]: c["status"] for c in summary["components"] if not c["group"]}
    assert states == {"api": "partial_outage", "web": "under_maintenance", "cdn": "operational"}
    assert [c["position"] for c in summary["components"]] == [1, 2, 3, 4, 5]

    [active] = summary["incidents"]
    assert (active["id"], active["status"], active["impact"]) == ("api-down", "monitoring", "major")
    assert active["monitoring_at"] == "2026-11-27T10:30:00.000Z" and active["resolved_at"] is None
    assert active["shortlink"] == "https://status.example.com/incidents/api-down/"
    assert [u["id"] for u in active["incident_updates"]] == ["api-down/2", "api-down/1"]
    assert active["incident_updates"][1]["body"] == "We are looking into API errors."
    assert active["incident_updates"][0]["body"] == "- fixed\n- watching"
    assert active["incident_updates"][1]["affected_components"] == [
        {"code": "api", "name": "API", "old_status": "operational", "new_status": "partial_outage"}
    ]
    assert active["incident_updates"][0]["affected_components"] is None
    assert [c["id"] for c in active["components"]] == ["api"]

    [window] = summary["scheduled_maintenances"]
    assert (window["status"], window["impact"]) == ("in_progress", "maintenance")
    assert window["scheduled_for"] == "2026-11-27T11:00:00.000Z"
    assert window["scheduled_until"] == "2026-11-27T13:00:00.000Z"
    assert load(out, "scheduled-maintenances/active.json")["scheduled_maintenances"][0]["id"] == "db-upgrade"
    assert load(out, "scheduled-maintenances/upcoming.json")["scheduled_maintenances"] == []

    history = load(out, "incidents.json")["incidents"]
    assert [(i["id"], i["status"]) for i in history] == [("api-down", "monitoring"), ("old", "resolved")]
    assert history[1]["resolved_at"] == "2026-11-20T09:00:00.000Z"
    assert [i["id"] for i in load(out, "incidents/unresolved.json")["incidents"]] == ["api-down"]


def test_status_indicator_for_quiet_and_maintenance_only_pages(make_site, build, tmp_path):
    quiet = load(build(make_site({}), tmp_path / "a", NOW), "status.json")["status"]
    assert quiet == {"indicator": "none", "description": "All Systems Operational"}
    maintenance = load(build(make_site(MAINTENANCE), tmp_path / "b", NOW), "status.json")["status"]
    assert maintenance == {"indicator": "maintenance", "description": "Service Under Maintenance"}


def test_incidents_json_holds_the_50_most_recent(make_site, build):
    files = {}
    for n in range(55):
        files[f"content/incidents/i{n:02d}/a.md"] = incident(
            f"2026-10-{1 + n % 28:02d}T{n % 24:02d}:00:00Z",
            "resolved",
            title=f"I{n}",
            impact="minor",
            components=["api"],
        )
    out = build(make_site(files), None, NOW)
    incidents = load(out, "incidents.json")["incidents"]
    assert len(incidents) == 50
    starts = [i["started_at"] for i in incidents]
    assert starts == sorted(starts, reverse=True)
    # Each listed incident can be fetched by id, as clients do after reading a list.
    files_by_id = {p.stem for p in (out / "public/api/v2/incidents").glob("*.json")} - {"unresolved"}
    assert files_by_id == {i["id"] for i in incidents}
    assert load(out, f"incidents/{incidents[0]['id']}.json")["incident"] == incidents[0]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def serve(request):
    def start(root: Path) -> str:
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root))
        )
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        request.addfinalizer(lambda: (server.shutdown(), server.server_close()))
        return f"http://127.0.0.1:{server.server_address[1]}/"

    return start


def test_a_real_statuspage_client_reads_the_summary(make_site, build, serve):
    # Imported here, not skipped when missing: statuscheck is a test dependency, and its httpx
    # (0.16, which imports cgi) must fail this test loudly on a Python without cgi, not hide it.
    from statuscheck.services.bases._statuspageio import BaseStatusPageAPI
    from statuscheck.services.models.generic import (
        COMPONENT_TYPE_GOOD,
        COMPONENT_TYPE_MAINTENANCE,
        COMPONENT_TYPE_PARTIAL_OUTAGE,
    )

    out = build(make_site(SITE), None, NOW)
    base = serve(out / "public")

    class Ours(BaseStatusPageAPI):
        name = "Example"

        def _get_base_url(self) -> str:
            return base + "api/v2/"

    summary = Ours().get_summary()
    assert (summary.status.code, summary.status.is_ok) == ("major", False)
    assert {c.id: c.status for c in summary.components if c.id in ("api", "web", "cdn")} == {
        "api": COMPONENT_TYPE_PARTIAL_OUTAGE,
        "web": COMPONENT_TYPE_MAINTENANCE,
        "cdn": COMPONENT_TYPE_GOOD,
    }
    assert [(i.id, i.status) for i in summary.incidents] == [
        ("api-down", "monitoring"),
        ("db-upgrade", "in_progress"),
    ]
    assert [c.id for c in summary.incidents[0].components] == ["api"]


def test_everything_down_is_critical(make_site, build):
    files = {
        "content/incidents/x/1.md": incident(
            "2026-11-27T10:00:00Z",
            "investigating",
            title="Down",
            impact="critical",
            components=["api", "web", "cdn"],
        )
    }
    status = load(build(make_site(files), None, NOW), "status.json")["status"]
    assert status == {"indicator": "critical", "description": "Major Service Outage"}
