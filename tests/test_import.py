"""statusgen import: real Statuspage and cState history in, a site that builds and says the same out."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import socket
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup

from generator.cli import main
from generator.importers.cstate import parse_cstate_date
from generator.importers.text import convert
from generator.markup import render_markdown

from conftest import SITE_YML, html

DATA = Path(__file__).parent / "data" / "import"
GITHUB = DATA / "github"
SYNTHETIC = DATA / "statuspage-synthetic"
JENKINS = DATA / "jenkins-cstate"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def imported(site: Path) -> dict[str, str]:
    """source id -> content folder, as the import recorded it."""
    return json.loads((site / "content" / ".imported.json").read_text(encoding="utf-8"))["items"]


def snapshot(site: Path) -> dict[str, bytes]:
    return {
        p.relative_to(site).as_posix(): p.read_bytes()
        for p in sorted(site.rglob("*"))
        if p.is_file() and "_site" not in p.parts and ".statusgen-cache" not in p.parts
    }


def source_incident(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))["incident"]


def by_display(updates: list[dict]) -> list[dict]:
    return sorted(updates, key=lambda u: (u["display_at"], u["created_at"], u["id"]))


def seconds(stamp: str) -> str:
    """A Statuspage timestamp to the second, the way our API writes it."""
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(timezone.utc)
    return moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def words(text: str) -> str:
    return " ".join(text.split())


def keeps_lines(old: str, new: str) -> bool:
    """Every line of ``old`` is still in ``new``, in the same order."""
    remaining = iter(new.splitlines())
    return all(line in remaining for line in old.splitlines())


def api_incident(public: Path, folder: str) -> dict:
    """Our JSON API's view of one imported incident (folder: "incidents/<id>")."""
    return json.loads((public / "api/v2" / f"{folder}.json").read_text())["incident"]


# --- Statuspage: GitHub's real history ----------------------------------------------------------


def test_github_history_imports_and_builds_with_the_same_dates_statuses_and_bodies(make_site, build, capsys):
    site = make_site()
    code, out, err = run(capsys, "import", "statuspage", str(GITHUB), "--site", str(site))
    assert code == 0, err
    sources = sorted(GITHUB.glob("*.json"))
    total = sum(len(source_incident(p)["incident_updates"]) for p in sources)
    assert f"{len(sources)} new incidents, 0 new maintenance windows, {total} new updates" in out
    folders = imported(site)
    out_dir = build(site)
    public = out_dir / "public"
    for path in sources:
        source = source_incident(path)
        folder = folders[f"statuspage:{source['id']}"]
        assert folder.startswith("incidents/")
        incident_id = folder.split("/", 1)[1]
        api = api_incident(public, folder)
        assert api["name"] == source["name"]
        assert api["status"] == "resolved"
        assert api["impact"] == source["impact"]
        expected = list(reversed(by_display(source["incident_updates"])))
        assert [u["status"] for u in api["incident_updates"]] == [u["status"] for u in expected]
        shown_at = [seconds(u["display_at"]) for u in expected]
        assert [u["display_at"] for u in api["incident_updates"]] == shown_at
        page = html(public / "incidents" / incident_id / "index.html")
        assert page.h1.get_text() == source["name"]
        for ours, theirs in zip(api["incident_updates"], expected, strict=True):
            stem = ours["id"].split("/", 1)[1]
            body = page.find(id=f"update-{stem}").find(class_="body")
            shown = BeautifulSoup(theirs["body"], "html.parser").get_text()
            assert words(body.get_text()) == words(shown)
    # the folder is named after the date customers saw (in the site's zone) and the title
    assert folders["statuspage:00km0kwpz23b"] == (
        "incidents/2023-01-10-incident-with-actions-and-git-operations"
    )


def test_github_components_and_their_states_follow_affected_components(make_site, build, capsys):
    site = make_site()
    assert run(capsys, "import", "statuspage", str(GITHUB), "--site", str(site))[0] == 0
    public = build(site) / "public"
    api = api_incident(public, imported(site)["statuspage:gqx5l06jjxhp"])
    source = by_display(source_incident(GITHUB / "gqx5l06jjxhp.json")["incident_updates"])
    first_ours = api["incident_updates"][-1]
    assert {(a["name"], a["new_status"]) for a in first_ours["affected_components"]} == {
        (a["name"], a["new_status"]) for a in source[0]["affected_components"]
    }
    states_ours = {
        a["name"]: a["new_status"]
        for u in api["incident_updates"][:-1][::-1]
        if u["status"] != "resolved"
        for a in u["affected_components"] or ()
    }
    states_theirs = {a["name"]: a["new_status"] for u in source[:-1] for a in u["affected_components"] or ()}
    assert states_ours == states_theirs
    # an existing component of the same name is reused; the others are added with their names
    components = json.loads((public / "api" / "v2" / "components.json").read_text())["components"]
    names = [c["name"] for c in components]
    assert names.count("Git Operations") == 1 and "Copilot" in names and "API" in names
    # GitHub's old incidents have an impact and no components: the impact shows once resolved
    quiet_api = api_incident(public, imported(site)["statuspage:sz8pjjhzcy3t"])
    assert quiet_api["impact"] == source_incident(GITHUB / "sz8pjjhzcy3t.json")["impact"] == "minor"


def test_html_and_line_breaks_and_links_render_as_on_statuspage(make_site, build, capsys):
    site = make_site()
    assert run(capsys, "import", "statuspage", str(GITHUB), "--site", str(site))[0] == 0
    public = build(site) / "public"
    folders = imported(site)

    def bodies(source_id: str) -> list[BeautifulSoup]:
        page = html(public / folders[f"statuspage:{source_id}"] / "index.html")
        return page.select("li.update .body")

    legacy = bodies("pfsrq8bbt6bm")[0]  # 2010: an HTML list in the body
    times = [li.strong.get_text() for li in legacy.select("ul li")]
    assert times == ["2010-07-29 02:06:00", "2010-07-29 02:43:00"]
    broken = [b for b in bodies("bdtztmrydlwz") if "can be used as a workaround" in b.get_text()][0]
    assert broken.find_all("p")[-1].get_text() == "The VS Code desktop client can be used as a workaround."


# --- Statuspage: idempotency, newer exports, human edits ----------------------------------------


def copy_sources(tmp_path: Path, names: list[str], name: str = "export") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    for stem in names:
        shutil.copy(GITHUB / f"{stem}.json", folder)
    return folder


def test_importing_twice_changes_nothing_and_a_newer_export_adds_only_new(make_site, tmp_path, capsys):
    site = make_site()
    older = copy_sources(tmp_path, ["00km0kwpz23b", "pfsrq8bbt6bm", "rgy28jwprr1c"])
    # the older export saw 00km0kwpz23b before it was resolved
    payload = json.loads((older / "00km0kwpz23b.json").read_text())
    resolved = [u for u in payload["incident"]["incident_updates"] if u["status"] == "resolved"]
    payload["incident"]["incident_updates"] = [
        u for u in payload["incident"]["incident_updates"] if u["status"] != "resolved"
    ]
    payload["incident"]["status"] = "investigating"
    (older / "00km0kwpz23b.json").write_text(json.dumps(payload))
    assert run(capsys, "import", "statuspage", str(older), "--site", str(site))[0] == 0
    first = snapshot(site)

    code, out, _ = run(capsys, "import", "statuspage", str(older), "--site", str(site))
    assert code == 0
    assert "0 new incidents, 0 new maintenance windows, 0 new updates, 0 new components" in out
    assert snapshot(site) == first  # byte for byte, site.yml and the manifest included

    newer = copy_sources(tmp_path, ["00km0kwpz23b", "pfsrq8bbt6bm", "rgy28jwprr1c", "zh2t5xzg70rp"], "newer")
    code, out, _ = run(capsys, "import", "statuspage", str(newer), "--site", str(site))
    assert code == 0
    assert "1 new incident, 0 new maintenance windows, 2 new updates, 1 new component (issues)" in out
    second = snapshot(site)
    changed = {path for path in first if first[path] != second.get(path)}
    assert changed == {"content/.imported.json", "site.yml"}
    assert keeps_lines(first["site.yml"].decode(), second["site.yml"].decode())
    added = sorted(set(second) - set(first))
    folder = imported(site)["statuspage:00km0kwpz23b"]
    assert f"content/{folder}/2023-01-10T1914-resolved.md" in added  # Berlin time: 18:14 UTC
    assert len(added) == 2
    assert resolved[0]["body"] in second[f"content/{folder}/2023-01-10T1914-resolved.md"].decode()


def import_one(site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    """Import GitHub incident rgy28jwprr1c (all four stages); returns the source and its folder."""
    source = copy_sources(tmp_path, ["rgy28jwprr1c"])
    assert run(capsys, "import", "statuspage", str(source), "--site", str(site))[0] == 0
    return source, site / "content" / imported(site)["statuspage:rgy28jwprr1c"]


def without_resolution(source: Path, name: str) -> dict:
    """Drop the resolved update from a copied payload (an older export); returns the full one."""
    path = source / f"{name}.json"
    full = json.loads(path.read_text())
    payload = json.loads(path.read_text())
    payload["incident"]["incident_updates"] = [
        u for u in payload["incident"]["incident_updates"] if u["status"] != "resolved"
    ]
    payload["incident"]["status"] = "monitoring"
    path.write_text(json.dumps(payload))
    return full


def import_unresolved(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[Path, dict, Path]:
    """Import an older export of rgy28jwprr1c (before it was resolved): its source, the newer
    payload, and the folder it went to."""
    source = copy_sources(tmp_path, ["rgy28jwprr1c"])
    full = without_resolution(source, "rgy28jwprr1c")
    assert run(capsys, "import", "statuspage", str(source), "--site", str(site))[0] == 0
    return source, full, site / "content" / imported(site)["statuspage:rgy28jwprr1c"]


def test_a_folder_renamed_by_hand_is_followed(make_site, tmp_path, capsys):
    site = make_site()
    source, full, old = import_unresolved(site, tmp_path, capsys)
    renamed = old.with_name("2023-01-10-actions-outage")
    old.rename(renamed)

    (source / "rgy28jwprr1c.json").write_text(json.dumps(full))  # the newer export is resolved
    code, out, err = run(capsys, "import", "statuspage", str(source), "--site", str(site))
    assert code == 0, err
    assert "1 new update" in out
    assert (
        f"content/incidents/{renamed.name}: note: renamed from {old.name} since it was imported; "
        "followed" in err
    )
    assert not old.exists()
    assert len(list(renamed.glob("*-resolved.md"))) == 1
    assert imported(site)["statuspage:rgy28jwprr1c"] == f"incidents/{renamed.name}"
    assert run(capsys, "check", "--site", str(site))[0] == 0


def test_a_folder_deleted_by_hand_is_not_imported_again_unless_forced(make_site, tmp_path, capsys):
    site = make_site()
    source, full, folder = import_unresolved(site, tmp_path, capsys)
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()

    (source / "rgy28jwprr1c.json").write_text(json.dumps(full))
    code, out, err = run(capsys, "import", "statuspage", str(source), "--site", str(site))
    assert code == 0, err
    relative = folder.relative_to(site).as_posix()
    assert f"{relative}: deleted since it was imported; not written again (--force imports it again)" in err
    assert not folder.exists()
    assert run(capsys, "import", "statuspage", str(source), "--site", str(site), "--force")[0] == 0
    assert len(list(folder.glob("*.md"))) == 4


def test_a_file_edited_by_hand_is_kept_and_a_deleted_one_stays_deleted(make_site, tmp_path, capsys):
    site = make_site()
    source, folder = import_one(site, tmp_path, capsys)
    update = sorted(folder.glob("*-monitoring.md"))[0]
    edited = update.read_text() + "\nAdded by a responder.\n"
    update.write_text(edited)
    deleted = sorted(folder.glob("*-identified.md"))[0]
    deleted.unlink()
    before = snapshot(site)

    code, out, err = run(capsys, "import", "statuspage", str(source), "--site", str(site))
    assert code == 0, err
    assert "1 kept as edited here" in out
    assert snapshot(site) == before  # the source did not change them: yours stand


def test_a_file_changed_both_here_and_in_the_source_is_refused_unless_forced(make_site, tmp_path, capsys):
    site = make_site()
    source, folder = import_one(site, tmp_path, capsys)
    update = sorted(folder.glob("*-monitoring.md"))[0]
    update.write_text(update.read_text() + "\nAdded by a responder.\n")
    deleted = sorted(folder.glob("*-identified.md"))[0]
    deleted.unlink()
    path = source / "rgy28jwprr1c.json"
    payload = json.loads(path.read_text())
    monitoring = next(u for u in payload["incident"]["incident_updates"] if u["status"] == "monitoring")
    monitoring["body"] = "Corrected in the source."
    path.write_text(json.dumps(payload))
    before = snapshot(site)

    code, out, err = run(capsys, "import", "statuspage", str(source), "--site", str(site))
    assert code == 1 and out == ""
    relative = update.relative_to(site).as_posix()
    assert err.splitlines() == [
        f"{relative}:1: changed here since it was imported (edited by hand?) and changed in the source "
        "too; nothing was written: bring the source's change in by hand, or run the import with --force "
        "to replace your version with the source's text",
        "statusgen: 1 problem; nothing was written.",
    ]
    assert snapshot(site) == before

    code, out, err = run(capsys, "import", "statuspage", str(source), "--site", str(site), "--force")
    assert code == 0
    assert f"{relative}: replaced with the source's text (--force)" in err
    assert "Corrected in the source." in update.read_text()
    assert "Added by a responder." not in update.read_text()
    assert deleted.exists()  # --force also writes what was deleted since the import


def test_an_update_the_source_corrected_is_rewritten_if_nobody_edited_it(make_site, tmp_path, capsys):
    site = make_site()
    source, folder = import_one(site, tmp_path, capsys)
    path = source / "rgy28jwprr1c.json"
    payload = json.loads(path.read_text())
    monitoring = next(u for u in payload["incident"]["incident_updates"] if u["status"] == "monitoring")
    monitoring["body"] = "Corrected: notifications are delayed by about five minutes."
    path.write_text(json.dumps(payload))
    code, out, _ = run(capsys, "import", "statuspage", str(source), "--site", str(site))
    assert code == 0 and "0 new updates" in out and "1 changed, 0 replaced, 3 unchanged" in out
    update = sorted(folder.glob("*-monitoring.md"))[0]
    assert update.read_text().endswith("\n---\nCorrected: notifications are delayed by about five minutes.\n")


def test_a_deleted_file_is_not_written_again_without_force(make_site, tmp_path, capsys):
    site = make_site()
    source, folder = import_one(site, tmp_path, capsys)
    gone = sorted(folder.glob("*-identified.md"))[0]
    gone.unlink()
    code, out, err = run(capsys, "import", "statuspage", str(source), "--site", str(site))
    assert code == 0 and not gone.exists()
    assert f"{gone.relative_to(site).as_posix()}: deleted since it was imported; not written again" in err
    assert "1 skipped" in out


# --- Statuspage: maintenance, postmortems, markup, site.yml ---------------------------------------

COMMENTED_SITE_YML = """\
# Our status page. Keep this comment.
title: Example Status
base_url: https://status.example.com/
timezone: UTC

components:
  # The public API
  - id: api
    name: API
    group: Core   # trailing comment
  - id: web
    name: Web app
    group: Core

  # Storage (more to come)
  - id: s3
    name: S3
    group: Storage

# Who reads what
audiences:
  - id: public
    title: Public
  - id: strategic
    title: Strategic customers
"""


def test_components_are_added_to_site_yml_keeping_comments_order_and_groups(make_site, build, capsys):
    site = make_site(site_yml=COMMENTED_SITE_YML)
    code, out, err = run(capsys, "import", "statuspage", str(SYNTHETIC), "--site", str(site))
    assert code == 0, err
    assert "2 new components (ams3, nyc3)" in out  # API exists already (same name)
    text = (site / "site.yml").read_text()
    assert keeps_lines(COMMENTED_SITE_YML, text)
    new_lines = text.splitlines()
    assert new_lines[new_lines.index("    group: Storage") + 1 :][:7] == [
        "  - id: ams3",
        "    name: AMS3",
        "    description: Object storage in Amsterdam",
        "    group: Storage",
        "  - id: nyc3",
        "    name: NYC3",
        "    group: Storage",
    ]
    public = build(site) / "public"
    groups = {
        group.find(class_="group-name").span.get_text(): [
            a.get_text() for a in group.select(".component-name a")
        ]
        for group in html(public / "index.html").select("details.group")
    }
    assert groups == {"Core": ["API", "Web app"], "Storage": ["S3", "AMS3", "NYC3"]}


def test_maintenance_windows_postmortems_and_skipped_updates(make_site, build, capsys):
    site = make_site()
    code, out, err = run(capsys, "import", "statuspage", str(SYNTHETIC), "--site", str(site))
    assert code == 0, err
    assert "1 new incident, 2 new maintenance windows, 8 new updates, 1 postmortem" in out
    assert "update i1u3 of 'API errors' has status 'escalated', which an incident cannot have here" in err
    assert "1 skipped" in out
    public = build(site) / "public"
    source = json.loads((SYNTHETIC / "scheduled-maintenances.json").read_text())["scheduled_maintenances"]
    ours = json.loads((public / "api/v2/scheduled-maintenances.json").read_text())["scheduled_maintenances"]
    assert [(m["name"], m["status"], m["scheduled_for"], m["scheduled_until"]) for m in ours] == [
        (m["name"], m["status"], m["scheduled_for"], m["scheduled_until"]) for m in source
    ]
    statuses = [u["status"] for u in source[1]["incident_updates"]]
    assert [u["status"] for u in ours[1]["incident_updates"]] == statuses
    upcoming = json.loads((public / "api/v2/scheduled-maintenances/upcoming.json").read_text())
    assert [m["name"] for m in upcoming["scheduled_maintenances"]] == ["NYC3 network maintenance"]

    page = html(public / imported(site)["statuspage:incident0001"] / "index.html")
    assert [s.get_text() for s in page.select("li.update .update-head .status")] == [
        "Resolved",
        "Identified",
        "Investigating",
    ]
    postmortem = page.find(id="postmortem")
    assert postmortem.h3.get_text() == "What happened"
    assert "blocks such changes" in postmortem.get_text()
    identified = page.select("li.update .body")[1]
    assert identified.get_text().splitlines() == [
        "We found the cause:",
        "::: strategic",
        "not a marker, just text",
        "[TODO: nothing] is literal too, and so is <script>alert(1)</script>.",
        "Details: https://example.net/incidents/1.",
    ]
    assert identified.find("script") is None
    assert identified.find("a")["href"] == "https://example.net/incidents/1"


def test_components_of_the_same_name_in_different_groups_stay_apart(make_site, build, tmp_path, capsys):
    payload = json.loads((SYNTHETIC / "incidents" / "incident0001.json").read_text())
    incident = payload["incident"]
    incident["components"] = [
        {"id": "spaces-nyc3", "name": "NYC3", "group_id": "grp-spaces", "group": False},
        {"id": "droplets-nyc3", "name": "NYC3", "group_id": "grp-droplets", "group": False},
    ]
    first = incident["incident_updates"][-1]  # the oldest
    first["affected_components"] = [  # group objects are not in this payload: names tell the group
        {
            "code": "spaces-nyc3",
            "name": "Spaces - NYC3",
            "old_status": "operational",
            "new_status": "major_outage",
        },
        {
            "code": "droplets-nyc3",
            "name": "Droplets - NYC3",
            "old_status": "operational",
            "new_status": "degraded_performance",
        },
    ]
    source = tmp_path / "incident.json"
    source.write_text(json.dumps(payload))
    site = make_site()
    code, out, err = run(capsys, "import", "statuspage", str(source), "--site", str(site))
    assert code == 0, err
    assert "2 new components (nyc3, droplets-nyc3)" in out
    public = build(site) / "public"
    api = api_incident(public, imported(site)["statuspage:incident0001"])
    opening = api["incident_updates"][-1]["affected_components"]
    assert sorted((a["name"], a["new_status"]) for a in opening) == [
        ("NYC3", "degraded_performance"),
        ("NYC3", "major_outage"),
    ]
    groups = {
        group.find(class_="group-name").span.get_text(): [a.get_text() for a in group.select("a")]
        for group in html(public / "index.html").select("details.group")
    }
    assert groups["Spaces"] == ["NYC3"] and groups["Droplets"] == ["NYC3"]


def test_a_postmortem_body_becomes_the_postmortem(make_site, build, tmp_path, capsys):
    payload = json.loads((SYNTHETIC / "incidents" / "incident0001.json").read_text())
    payload["incident"]["postmortem_body"] = "Root cause: an expired certificate.\nFixed for good."
    payload["incident"]["postmortem_published_at"] = "2026-11-06T08:00:00.000Z"
    source = tmp_path / "incident.json"
    source.write_text(json.dumps(payload))
    site = make_site(site_yml=SITE_YML.replace("Europe/Berlin", "UTC"))
    code, _, err = run(capsys, "import", "statuspage", str(source), "--site", str(site))
    assert code == 0
    assert (
        "postmortem update i1u5 of 'API errors' left out: the incident's postmortem_body is imported"
    ) in err
    page = html(build(site) / "public" / imported(site)["statuspage:incident0001"] / "index.html")
    postmortem = page.find(id="postmortem")
    assert postmortem.time["datetime"] == "2026-11-06T08:00:00Z"
    assert postmortem.find(class_="body").get_text().splitlines() == [
        "Root cause: an expired certificate.",
        "Fixed for good.",
    ]


# --- Statuspage: a live page -----------------------------------------------------------------------


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A local HTTP server (no internet) serving a folder as a Statuspage page's base URL."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_live_page_is_fetched_from_its_api(make_site, build, served, capsys):
    url, root = served
    api = root / "api" / "v2"
    api.mkdir(parents=True)
    shutil.copy(SYNTHETIC / "summary.json", api / "summary.json")
    shutil.copy(SYNTHETIC / "scheduled-maintenances.json", api / "scheduled-maintenances.json")
    incidents = [source_incident(p) for p in sorted(GITHUB.glob("*.json"))[:4]]
    (api / "incidents.json").write_text(json.dumps({"page": {"id": "x"}, "incidents": incidents}))
    site = make_site()
    code, out, err = run(capsys, "import", "statuspage", url + "/", "--site", str(site))
    assert code == 0, err
    assert "4 new incidents, 2 new maintenance windows" in out
    assert "lists only its 50 most recent incidents" in err
    public = build(site) / "public"
    names = {i["name"] for i in json.loads((public / "api/v2/incidents.json").read_text())["incidents"]}
    assert {i["name"] for i in incidents} <= names


def test_an_unreachable_page_is_a_clear_error(make_site, capsys):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    site = make_site()
    before = snapshot(site)
    code, out, err = run(capsys, "import", "statuspage", f"http://127.0.0.1:{port}", "--site", str(site))
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert [line.split(": cannot reach the page: ")[0] for line in lines[:-1]] == [
        f"http://127.0.0.1:{port}/api/v2/{name}"
        for name in ("incidents.json", "scheduled-maintenances.json", "summary.json")
    ]
    assert lines[-1] == "statusgen: 3 problems; nothing was written."
    assert snapshot(site) == before


def test_a_page_that_is_not_statuspage_answers_404(make_site, served, capsys):
    url, _ = served
    code, _, err = run(capsys, "import", "statuspage", url, "--site", str(make_site()))
    assert code == 1
    assert f"{url}/api/v2/incidents.json: the server answered HTTP 404 File not found" in err.splitlines()


def test_bad_json_is_reported_with_its_path_and_line(make_site, tmp_path, capsys):
    source = tmp_path / "export"
    source.mkdir()
    (source / "good.json").write_text((GITHUB / "1cdsggtd2q5k.json").read_text())
    (source / "bad.json").write_text('{\n  "incidents": [\n    {"id": "x",,}\n  ]\n}\n')
    site = make_site()
    before = snapshot(site)
    code, out, err = run(capsys, "import", "statuspage", str(source), "--site", str(site))
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"{source / 'bad.json'}:3: not valid JSON: Expecting property name enclosed in double quotes "
        "(column 16)",
        "statusgen: 1 problem; nothing was written.",
    ]
    assert snapshot(site) == before


# --- cState: the Jenkins project's real site ----------------------------------------------------------


def cstate_front(path: Path) -> dict[str, str]:
    lines = path.read_text().split("---\n")[1].splitlines()
    return {
        k.strip(): v.strip()
        for k, _, v in (line.partition(":") for line in lines)
        if not k.startswith((" ", "#", "-")) and v.strip()
    }


def test_jenkins_cstate_site_imports_and_builds(make_site, build, capsys):
    site = make_site(site_yml=SITE_YML.replace("Europe/Berlin", "UTC"))
    code, out, err = run(capsys, "import", "cstate", str(JENKINS), "--site", str(site))
    assert code == 0, err
    issues = sorted((JENKINS / "content" / "issues").glob("*.md"))
    assert f"{len(issues)} new incidents, 0 new maintenance windows, {2 * len(issues)} new updates" in out
    public = build(site) / "public"
    folders = imported(site)
    impacts = {"down": "critical", "disrupted": "major", "notice": "none"}
    for path in issues:
        front = cstate_front(path)
        folder = folders[f"cstate:{path.stem}"]
        api = api_incident(public, folder)
        assert api["name"] == front["title"].strip('"')
        assert api["impact"] == impacts[front["severity"]]
        assert [u["status"] for u in api["incident_updates"]] == ["resolved", "investigating"]
        opened = parse_cstate_date(front["date"], timezone.utc)
        assert api["incident_updates"][1]["display_at"] == opened.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    # messy dates, read as Hugo reads them (no offset: UTC, as the config sets no timeZone)
    starts = {
        stem: api_incident(public, folders[f"cstate:{stem}"])["created_at"]
        for stem in (
            "2023-12-04-x86medium-migration",
            "2021-06-01-maintenance-wiki",
            "2020-11-12-get-jenkins-io",
        )
    }
    assert starts == {
        "2023-12-04-x86medium-migration": "2023-12-04T08:00:00.000Z",
        "2021-06-01-maintenance-wiki": "2021-06-01T23:00:00.000Z",
        "2020-11-12-get-jenkins-io": "2020-11-12T15:54:00.000Z",
    }
    wiki = api_incident(public, folders["cstate:2021-06-01-maintenance-wiki"])
    assert wiki["resolved_at"] == "2021-06-01T23:15:00.000Z"
    # resolvedWhen before date (a typo in the source): resolved at its start, and said so
    assert "content/issues/2021-09-23-puppet-outage.md: note: resolved but resolvedWhen is before date" in err
    # systems become components (categories here are untitled, so no groups); state from severity
    listed = json.loads((public / "api/v2/components.json").read_text())["components"]
    components = {c["name"] for c in listed}
    assert {"ci.jenkins.io", "get.jenkins.io", "wiki.jenkins.io", "www.jenkins.io"} <= components
    get = api_incident(public, folders["cstate:2020-11-12-get-jenkins-io"])
    assert {(a["name"], a["new_status"]) for a in get["incident_updates"][1]["affected_components"]} == {
        (name, "major_outage") for name in ("get.jenkins.io", "updates.jenkins.io", "pkg.jenkins.io")
    }
    # bodies: lists and links as cState (CommonMark) shows them; unknown systems named in the text
    azure = html(public / folders["cstate:2025-01-08-ci.jenkins.io-azure-outage"] / "index.html")
    links = [a["href"] for a in azure.select("li.update .body a")]
    assert "https://github.com/jenkins-infra/helpdesk/issues/4490" in links
    assert "https://azure.status.microsoft/en-us/status/history/" in links
    get_page = html(public / folders["cstate:2020-11-12-get-jenkins-io"] / "index.html")
    assert len(get_page.select("li.update .body ul li")) == 4
    x86 = html(public / folders["cstate:2023-12-04-x86medium-migration"] / "index.html")
    opening = x86.select("li.update .body")[-1]  # newest first
    assert opening.p.get_text() == (
        "Affected: artifact-caching-proxy, mirrorbits, ldap, keycloak, falco, datadog"
    )

    code, out, _ = run(capsys, "import", "cstate", str(JENKINS), "--site", str(site))
    assert code == 0 and "0 new incidents, 0 new maintenance windows, 0 new updates, 0 new components" in out


def test_cstate_dates_without_offset_use_the_hugo_time_zone(make_site, tmp_path, build, capsys):
    source = tmp_path / "cstate"
    (source / "content" / "issues").mkdir(parents=True)
    (source / "config.yml").write_text(
        "timeZone: Europe/Berlin\nparams:\n  categories:\n    - name: Backend\n  systems:\n"
        "    - name: API\n      category: Backend\n    - name: Website\n"
    )
    (source / "content" / "issues" / "one.md").write_text(
        "---\ntitle: Slow API\ndate: 2025-01-01 9:00:00\nresolved: true\nresolvedWhen: 2025-01-01T10:30:00Z\n"
        "severity: disrupted\naffected:\n  - API\n---\nSlow.\n"
    )
    (source / "content" / "issues" / "two.md").write_text(
        "---\ntitle: Website down\ndate: 2026-11-27T09:00:00+01:00\nresolved: false\nseverity: down\n"
        "affected:\n  - Website\n---\nWe are on it.\n"
    )
    (source / "content" / "issues" / "three.md").write_text(
        "---\ntitle: Status page moved\ndate: 2026-11-27T08:00:00Z\nresolved: false\nseverity: down\n"
        "informational: true\naffected:\n  - API\n---\nJust so you know.\n"
    )
    (source / "content" / "issues" / "four.md").write_text(
        "---\ntitle: Not yet\ndate: 2026-11-27T08:00:00Z\ndraft: true\nseverity: down\n---\nDraft.\n"
    )
    site = make_site(site_yml=SITE_YML.replace("    name: API\n", "    name: REST API\n"))
    code, out, err = run(capsys, "import", "cstate", str(source), "--site", str(site))
    assert code == 0 and "3 new incidents, 0 new maintenance windows, 4 new updates" in out
    assert "content/issues/four.md: a draft (draft: true), which cState does not publish; left out" in err
    assert "1 skipped" in out
    public = build(site) / "public"
    assert imported(site)["cstate:one"] == "incidents/2025-01-01-slow-api"
    api = api_incident(public, "incidents/2025-01-01-slow-api")
    assert (api["created_at"], api["resolved_at"]) == ("2025-01-01T08:00:00.000Z", "2025-01-01T10:30:00.000Z")
    # an open issue keeps its system down; a titled category is a group
    states = {
        c["name"]: (c["status"], c["group_id"])
        for c in json.loads((public / "api/v2/components.json").read_text())["components"]
    }
    assert states["Website"] == ("major_outage", None)
    assert states["API"][0] == "operational" and states["API"][1] is not None
    assert api_incident(public, "incidents/2026-11-27-website-down")["status"] == "investigating"
    informational = api_incident(public, "incidents/2026-11-27-status-page-moved")
    assert (informational["status"], informational["impact"]) == ("investigating", "none")


def test_a_bad_cstate_date_is_reported_with_its_line(make_site, tmp_path, capsys):
    source = tmp_path / "cstate"
    (source / "content" / "issues").mkdir(parents=True)
    (source / "config.yml").write_text("params:\n  systems:\n    - API\n")
    (source / "content" / "issues" / "bad.md").write_text(
        "---\ntitle: Broken\ndate: yesterday at noon\nseverity: down\n---\nText.\n"
    )
    code, out, err = run(capsys, "import", "cstate", str(source), "--site", str(make_site()))
    assert code == 1 and out == ""
    assert err.splitlines()[0].startswith(
        "content/issues/bad.md:3: 'date': invalid timestamp 'yesterday at noon'"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-01T9:00:00-00:00", "2025-01-01T09:00:00+00:00"),
        ("2025-01-01T09:00:00", "2025-01-01T09:00:00+00:00"),
        ("2025-01-01 09:00:00", "2025-01-01T09:00:00+00:00"),
        ("2025-01-01T09:00:00+0200", "2025-01-01T07:00:00+00:00"),
        ("2025-01-01 09:00:00 -07:00", "2025-01-01T16:00:00+00:00"),
        ("2025-01-01", "2025-01-01T00:00:00+00:00"),
        ("Wed, 01 Jan 2025 09:00:00 +0100", "2025-01-01T08:00:00+00:00"),
    ],
)
def test_cstate_date_forms_hugo_accepts(text, expected):
    assert parse_cstate_date(text, timezone.utc).isoformat() == expected
    assert parse_cstate_date(text.replace("-00:00", ""), ZoneInfo("UTC")).tzinfo is not None


# --- body conversion ---------------------------------------------------------------------------------


def test_statuspage_bodies_keep_line_breaks_and_autolink_urls():
    rendered = BeautifulSoup(
        render_markdown(
            convert("Line one\nline two, see https://example.com/a_(b).\n- first\n- second", hard_breaks=True)
        ),
        "html.parser",
    )
    assert len(rendered.p.find_all("br")) == 1
    assert rendered.p.a["href"] == "https://example.com/a_(b)"
    assert rendered.p.get_text().endswith("https://example.com/a_(b).")
    assert [li.get_text() for li in rendered.select("ul li")] == ["first", "second"]


def test_bare_urls_in_parentheses_are_links_and_markdown_links_stay_as_they_are():
    rendered = BeautifulSoup(
        render_markdown(
            convert(
                "(https://a.example/x) and [text](https://b.example) and (see https://c.example/y_(z)).",
                hard_breaks=True,
            )
        ),
        "html.parser",
    )
    assert [a["href"] for a in rendered.find_all("a")] == [
        "https://a.example/x",
        "https://b.example",
        "https://c.example/y_(z)",
    ]
    assert rendered.p.get_text() == "(https://a.example/x) and text and (see https://c.example/y_(z))."


def test_text_that_means_something_to_statusgen_is_kept_literal():
    body = convert("::: strategic\n[TODO: x] a<b and <nil>\n```\n::: public\n```", hard_breaks=False)
    rendered = BeautifulSoup(render_markdown(body), "html.parser")
    assert rendered.p.get_text() == "::: strategic\n[TODO: x] a<b and <nil>"
    assert rendered.code.get_text().strip("\n\u200b") == "::: public"


def test_importing_into_a_new_init_site_points_at_the_example_to_delete(tmp_path, capsys):
    site = tmp_path / "status"
    assert run(capsys, "init", str(site))[0] == 0
    source = copy_sources(tmp_path, ["rgy28jwprr1c"])
    code, _, err = run(capsys, "import", "statuspage", str(source), "--site", str(site))
    assert code == 0
    example = next(site.glob("content/incidents/*-status-page-live"))
    assert (
        f"content/incidents/{example.name}: note: the example from statusgen init is still here; delete it"
    ) in err
    shutil.rmtree(example)
    code, _, err = run(capsys, "import", "statuspage", str(source), "--site", str(site))
    assert code == 0 and "example from statusgen init" not in err


def test_an_incident_the_source_reopened_imports_with_reopened_true(make_site, build, tmp_path, capsys):
    payload = json.loads((SYNTHETIC / "incidents" / "incident0001.json").read_text())
    updates = payload["incident"]["incident_updates"]
    first_resolved = next(u for u in updates if u["status"] == "resolved")
    first_resolved["display_at"] = first_resolved["created_at"] = (
        "2026-11-03T09:55:00.000Z"  # before identified
    )
    source = tmp_path / "reopened.json"
    source.write_text(json.dumps(payload))
    site = make_site()
    assert main(["import", "statuspage", str(source), "--site", str(site)]) == 0, capsys.readouterr().err
    assert main(["check", "--site", str(site), "--now", "2026-11-20T12:00:00Z"]) == 0, capsys.readouterr().err
    (folder,) = (site / "content/incidents").iterdir()
    reopened = [p.name for p in sorted(folder.glob("*.md")) if "reopened: true" in p.read_text()]
    assert reopened == ["2026-11-03T1100-identified.md"]  # 10:00 UTC in Europe/Berlin
    page = html(
        build(site, tmp_path / "out", "2026-11-20T12:00:00Z")
        / "public/incidents"
        / folder.name
        / "index.html"
    )
    assert "Reopened" in page.get_text()
