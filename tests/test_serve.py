"""statusgen serve: incremental rebuilds equal full builds; the HTTP server, live reload, overlay."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup

from generator.cli import main
from generator.render.pages import PageRenderer
from generator.serve.live import LiveSite
from generator.serve.server import Preview

from conftest import NOW, incident, tree_bytes

FILES = {
    "content/incidents/2026-11-20-api-errors/a.md": incident(
        "2026-11-20T10:00:00Z",
        "investigating",
        "API errors.",
        title="API errors",
        impact="major",
        components=["api"],
    ),
    "content/incidents/2026-11-20-api-errors/b.md": incident(
        "2026-11-20T11:00:00Z", "resolved", "Fixed.\n\n::: strategic\nStrategic detail.\n:::"
    ),
    "content/incidents/2026-10-05-slow-web/a.md": incident(
        "2026-10-05T09:00:00Z", "investigating", "Slow.", title="Slow web", impact="minor", components=["web"]
    ),
    "content/incidents/2026-10-05-slow-web/b.md": incident("2026-10-05T10:00:00Z", "resolved", "Done."),
    "content/incidents/2026-09-01-cdn/a.md": incident(
        "2026-09-01T09:00:00Z",
        "investigating",
        "CDN.",
        title="CDN trouble",
        impact="minor",
        components=["cdn"],
    ),
    "content/incidents/2026-09-01-cdn/b.md": incident("2026-09-01T10:00:00Z", "resolved", "Done."),
    "content/incidents/2026-11-26-strategic-only/a.md": incident(
        "2026-11-26T09:00:00Z",
        "identified",
        "Only strategic.",
        title="Strategic only",
        impact="minor",
        components=["api"],
        audience="strategic",
    ),
    "content/maintenance/2026-12-03-db/a.md": incident(
        "2026-11-25T09:00:00Z",
        "scheduled",
        "Upgrade.",
        title="Database upgrade",
        starts="2026-12-03T22:00:00Z",
        ends="2026-12-03T23:00:00Z",
        components=["api"],
    ),
}
OPEN_UPDATE = incident(
    "2026-11-27T11:00:00Z",
    "investigating",
    "Errors again.",
    title="API errors again",
    impact="critical",
    components=["api", "web"],
)


def full_trees(site: Path, tmp_path: Path, build: Callable[..., Path]) -> dict[str, dict[str, bytes]]:
    """What `statusgen build` writes, per audience."""
    out = build(site, tmp_path / "full-build")
    return {audience.name: tree_bytes(audience) for audience in out.iterdir() if audience.is_dir()}


def rebuild(live: LiveSite, *paths: Path) -> None:
    result = live.rebuild(paths)
    assert not result.full and not result.problems, result.describe()


@pytest.fixture
def rendered_items(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The incident pages rendered, in order."""
    calls: list[str] = []
    original = PageRenderer.incident

    def spy(self: PageRenderer, item, sla_costs=()):  # type: ignore[no-untyped-def]
        calls.append(f"{self.view.audience.id}:{item.uri}")
        return original(self, item, sla_costs)

    monkeypatch.setattr(PageRenderer, "incident", spy)
    return calls


def test_incremental_rebuilds_match_a_full_build_and_touch_only_what_depends_on_the_edit(
    make_site, build, tmp_path, rendered_items
):
    site = make_site(FILES)
    live = LiveSite(site, NOW)
    assert live.rebuild().full
    assert live.trees == full_trees(site, tmp_path, build)

    # A new update to one incident: its pages re-render, no other incident's.
    rendered_items.clear()
    new = site / "content/incidents/2026-10-05-slow-web/c.md"
    new.write_text(incident("2026-10-06T08:00:00Z", "resolved", "Root cause: a full disk."))
    rebuild(live, new)
    assert sorted(rendered_items) == [
        "public:incidents/2026-10-05-slow-web/",
        "strategic:incidents/2026-10-05-slow-web/",
    ]
    assert live.trees == full_trees(site, tmp_path, build)
    page = BeautifulSoup(live.trees["public"]["incidents/2026-10-05-slow-web/index.html"], "html.parser")
    assert "Root cause: a full disk." in page.get_text()

    # A new incident in a month that had none; then an edit that reopens one; then a deletion.
    opened = site / "content/incidents/2026-11-27-api-errors-again/a.md"
    opened.parent.mkdir()
    opened.write_text(OPEN_UPDATE)
    rebuild(live, opened.parent, opened)
    assert live.trees == full_trees(site, tmp_path, build)
    restricted = site / "content/incidents/2026-11-20-api-errors/b.md"
    restricted.write_text(
        incident("2026-11-20T11:00:00Z", "monitoring", "Watching.\n\n::: strategic\nMore.\n:::")
    )
    rebuild(live, restricted)
    assert live.trees == full_trees(site, tmp_path, build)
    removed = site / "content/incidents/2026-09-01-cdn"
    for path in removed.iterdir():
        path.unlink()
    removed.rmdir()
    rendered_items.clear()
    rebuild(live, removed / "a.md", removed / "b.md", removed)
    assert rendered_items == []
    assert "incidents/2026-09-01-cdn/index.html" not in live.trees["public"]
    assert "history/2026-09/index.html" not in live.trees["public"]
    assert live.trees == full_trees(site, tmp_path, build)

    # A maintenance window moved; a message template edited (validated, nothing rendered).
    window = site / "content/maintenance/2026-12-03-db/a.md"
    window.write_text(
        incident(
            "2026-11-25T09:00:00Z",
            "scheduled",
            "Moved.",
            title="Database upgrade",
            starts="2026-12-04T22:00:00Z",
            ends="2026-12-04T23:00:00Z",
            components=["api"],
        )
    )
    rebuild(live, window)
    assert live.trees == full_trees(site, tmp_path, build)


def test_site_yml_or_theme_changes_rebuild_everything(make_site, build, tmp_path):
    site = make_site(FILES)
    live = LiveSite(site, NOW)
    live.rebuild()
    config = site / "site.yml"
    config.write_text(config.read_text().replace("title: Example Status", "title: Renamed Status"))
    assert live.rebuild([config]).full
    index = BeautifulSoup(live.trees["public"]["index.html"], "html.parser")
    assert "Renamed Status" in index.title.get_text()
    theme = site / "themes/default/templates/incident.html"
    theme.parent.mkdir(parents=True)
    theme.write_text('{% extends "default/incident.html" %}{% block title %}Custom{% endblock %}')
    result = live.rebuild([theme])
    assert result.full and not result.problems
    assert live.trees == full_trees(site, tmp_path, build)


def test_a_broken_edit_keeps_the_last_good_site_and_reports_every_problem(make_site):
    site = make_site(FILES)
    live = LiveSite(site, NOW)
    live.rebuild()
    good = dict(live.trees["public"])
    first = site / "content/incidents/2026-10-05-slow-web/a.md"
    second = site / "content/incidents/2026-11-20-api-errors/b.md"
    first.write_text(first.read_text().replace("status: investigating", "status: investigatin"))
    second.write_text(second.read_text().replace("date: 2026-11-20T11:00:00Z", "date: tomorrowish"))
    result = live.rebuild([first, second])
    assert [(p.path, p.line) for p in result.problems] == [
        ("content/incidents/2026-10-05-slow-web/a.md", 3),
        ("content/incidents/2026-11-20-api-errors/b.md", 2),
    ]
    assert "still serving the last good build" in result.describe()
    assert live.trees["public"] == good
    first.write_text(first.read_text().replace("status: investigatin", "status: investigating"))
    result = live.rebuild([first])
    assert [p.path for p in result.problems] == ["content/incidents/2026-11-20-api-errors/b.md"]
    second.write_text(second.read_text().replace("date: tomorrowish", "date: 2026-11-20T11:00:00Z"))
    result = live.rebuild([second])
    assert result.problems == [] and result.fixed
    assert live.trees["public"] == good


@pytest.fixture
def loaded_folders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The folders a full load parsed (not taken from the item cache)."""
    import generator.build

    calls: list[str] = []
    original = generator.build.load_folder

    def spy(folder, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(folder.id)
        return original(folder, *args, **kwargs)

    monkeypatch.setattr(generator.build, "load_folder", spy)
    return calls


def test_a_start_from_the_kept_cache_parses_no_folder_and_renders_pages_only_when_asked(
    make_site, build, tmp_path, rendered_items, loaded_folders
):
    site = make_site(FILES)
    assert LiveSite(site, NOW).rebuild().full  # a first start: parses every folder, keeps them
    assert sorted(loaded_folders) == sorted({path.split("/")[2] for path in FILES})
    loaded_folders.clear()
    rendered_items.clear()
    live = LiveSite(site, NOW)
    assert live.rebuild().full and not live.problems
    assert loaded_folders == []
    # Rendered at once: the newest incident and window of each audience, to show a theme's mistakes.
    assert sorted(rendered_items) == [
        "public:incidents/2026-11-20-api-errors/",
        "public:maintenance/2026-12-03-db/",
        "strategic:incidents/2026-11-26-strategic-only/",
        "strategic:maintenance/2026-12-03-db/",
    ]
    rendered_items.clear()
    page = "incidents/2026-10-05-slow-web/index.html"
    assert not live.trees["public"].rendered(page)
    assert b"Slow web" in live.trees["public"][page]
    assert b"Slow web" in live.trees["public"][page]
    assert rendered_items == ["public:incidents/2026-10-05-slow-web/"]  # once, then kept
    assert live.trees == full_trees(site, tmp_path, build)


def test_a_site_yml_change_reparses_folders_only_when_loading_reads_what_changed(
    make_site, build, tmp_path, loaded_folders
):
    site = make_site(FILES)
    live = LiveSite(site, NOW)
    live.rebuild()
    config = site / "site.yml"
    loaded_folders.clear()
    config.write_text(config.read_text().replace("title: Example Status", "title: Renamed Status"))
    assert live.rebuild([config]).full and not live.problems
    assert loaded_folders == []  # the title is only shown: every folder comes from the item cache
    assert live.trees == full_trees(site, tmp_path, build)
    loaded_folders.clear()
    support = "  - id: support\n    title: Support\n    base_url: https://support.example.com/\n"
    config.write_text(config.read_text() + support)
    assert live.rebuild([config]).full and not live.problems
    # Who reads what is decided as folders load: every folder is read anew.
    assert sorted(loaded_folders) == sorted({path.split("/")[2] for path in FILES})
    assert live.trees == full_trees(site, tmp_path / "support", build)


def test_an_edit_carries_over_every_page_it_does_not_touch(make_site, rendered_items):
    site = make_site(FILES)
    live = LiveSite(site, NOW)
    live.rebuild()
    pages = ["incidents/2026-10-05-slow-web/index.html", "incidents/2026-09-01-cdn/index.html"]
    before = {page: live.trees["public"][page] for page in pages}
    rendered_items.clear()
    edited = site / "content/incidents/2026-10-05-slow-web/b.md"
    edited.write_text(incident("2026-10-05T10:00:00Z", "resolved", "Done, for good."))
    rebuild(live, edited)
    assert rendered_items == [
        "public:incidents/2026-10-05-slow-web/",
        "strategic:incidents/2026-10-05-slow-web/",
    ]  # the edited item's pages, at once
    assert live.trees["public"].rendered(pages[1])
    assert live.trees["public"][pages[1]] is before[pages[1]]
    assert b"Done, for good." in live.trees["public"][pages[0]]
    assert len(rendered_items) == 2


# ---- the HTTP server ------------------------------------------------------------------------------


@pytest.fixture
def serve(make_site) -> Iterator[Callable[..., Preview]]:
    previews: list[Preview] = []

    def start(files: dict[str, str] = FILES, now: str | None = NOW) -> Preview:
        preview = Preview(make_site(files), port=0, now=now)
        previews.append(preview)
        return preview

    yield start
    for preview in previews:
        preview.stop()


def fetch(preview: Preview, path: str, method: str = "GET") -> http.client.HTTPResponse:
    host, port = preview.server.server_address[:2]
    connection = http.client.HTTPConnection(str(host), port, timeout=10)
    connection.request(method, path)  # sent as given: no client-side normalisation of ../
    response = connection.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    connection.close()
    return response


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_serves_every_audience_with_content_types(serve):
    preview = serve()
    assert preview.server.server_address[0] == "127.0.0.1"
    root = fetch(preview, "/")
    assert root.status == 302 and root.getheader("Location") == "/_statusgen/"
    listing = BeautifulSoup(fetch(preview, "/_statusgen/").body, "html.parser")
    assert [a["href"] for a in listing.find_all("a")] == ["/public/", "/strategic/"]
    assert fetch(preview, "/public").getheader("Location") == "/public/"
    expected = {
        "/public/": "text/html; charset=utf-8",
        "/public/history.atom": "application/atom+xml; charset=utf-8",
        "/public/history.rss": "application/rss+xml; charset=utf-8",
        "/public/api/v2/summary.json": "application/json",
        "/public/maintenance.ics": "text/calendar; charset=utf-8",
        "/public/badge.svg": "image/svg+xml",
        "/public/assets/style.css": "text/css; charset=utf-8",
        "/strategic/incidents/2026-11-26-strategic-only/": "text/html; charset=utf-8",
    }
    for path, content_type in expected.items():
        response = fetch(preview, path)
        assert (response.status, response.getheader("Content-Type")) == (200, content_type), path
        head = fetch(preview, path, "HEAD")
        assert head.status == 200 and head.body == b""
        assert head.getheader("Content-Length") == response.getheader("Content-Length")
    summary = json.loads(fetch(preview, "/public/api/v2/summary.json").body)
    assert summary["page"]["name"] == "Example Status"
    # What the strategic tree alone holds is not in the public one.
    assert fetch(preview, "/public/incidents/2026-11-26-strategic-only/").status == 404
    assert fetch(preview, "/public/history/2026-11/").status == 200
    assert fetch(preview, "/public/history/2026-11").getheader("Location") == "/public/history/2026-11/"


@pytest.mark.parametrize(
    "path",
    [
        "/../site.yml",
        "/public/../site.yml",
        "/public/../../site.yml",
        "/%2e%2e/site.yml",
        "/public/%2e%2e/site.yml",
        "/public/..%2fsite.yml",
        "/public/%2e%2e%2f%2e%2e%2fsite.yml",
        "/public/..%5c..%5csite.yml",
        "/public/%00",
        "/public/./index.html",
        "/content/incidents/",
        "/site.yml",
        "//etc/passwd",
        "/public//etc/passwd",
        "/nope/",
    ],
)
def test_path_traversal_and_unknown_paths_get_404(serve, path):
    preview = serve()
    response = fetch(preview, path)
    assert response.status == 404
    assert b"components:" not in response.body and b"root:" not in response.body
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"


def test_other_host_names_are_refused_on_loopback(serve):
    """A page whose domain resolves to 127.0.0.1 (DNS rebinding) must not read the strategic tree."""
    preview = serve()
    host, port = preview.server.server_address[:2]
    for name, status in (
        (f"127.0.0.1:{port}", 200),
        (f"localhost:{port}", 200),
        ("localhost", 200),
        (f"attacker.example:{port}", 403),
        ("attacker.example", 403),
        ("[::1", 403),
    ):
        connection = http.client.HTTPConnection(str(host), port, timeout=10)
        connection.putrequest("GET", "/strategic/", skip_host=True)
        connection.putheader("Host", name)
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == status, name
        assert (b"Strategic" in response.read()) == (status == 200)
        connection.close()


def test_404_inside_a_tree_is_that_audiences_page(serve):
    preview = serve()
    response = fetch(preview, "/strategic/no/such/page/")
    assert response.status == 404
    # The tree's page, its root-relative links (strategic's base_url is at its host's root) rebased
    # to where the preview serves the tree; tests/test_not_found.py follows them.
    built = preview.live.trees["strategic"]["404.html"]
    assert b'href="/assets/style.css"' in built
    rebased = built.replace(b'="/', b'="/strategic/')
    assert response.body.startswith(rebased.split(b"</body>")[0])


class EventStream:
    """Reads the reload stream in a thread; ``data`` holds each generation announced."""

    def __init__(self, preview: Preview):
        host, port = preview.server.server_address[:2]
        self.connection = http.client.HTTPConnection(str(host), port, timeout=30)
        self.connection.request("GET", "/_statusgen/events")
        self.response = self.connection.getresponse()
        assert self.response.getheader("Content-Type") == "text/event-stream"
        self.data: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        wait_for(lambda: len(self.data) == 1)

    def _read(self) -> None:
        try:
            for line in self.response:
                if line.startswith(b"data: "):
                    self.data.append(line[6:].strip().decode())
        except (OSError, ValueError):
            pass

    def close(self) -> None:
        self.connection.close()


@pytest.mark.slow
def test_one_reload_per_burst_of_editor_events(serve):
    preview = serve()
    stream = EventStream(preview)
    path = preview.live.site_dir / "content/incidents/2026-10-05-slow-web/b.md"
    # An editor's save: a backup, a temporary file renamed over the original, then touches.
    backup = path.with_name("b.md~")
    backup.write_text(path.read_text())
    temporary = path.with_name(".b.md.tmp")
    temporary.write_text(incident("2026-10-05T10:00:00Z", "resolved", "Done, with a root cause."))
    os.replace(temporary, path)
    for _ in range(3):
        os.utime(path)
    backup.unlink()
    wait_for(lambda: len(stream.data) == 2)
    time.sleep(0.5)  # long past the quiet period: nothing else may follow
    assert len(stream.data) == 2 and preview.rebuilds == 1
    page = fetch(preview, "/public/incidents/2026-10-05-slow-web/")
    assert b"Done, with a root cause." in page.body
    stream.close()


def test_overlay_shows_problems_on_every_page_and_goes_when_fixed(serve):
    preview = serve()
    path = preview.live.site_dir / "content/incidents/2026-10-05-slow-web/a.md"
    generation = preview.live.generation
    path.write_text(path.read_text().replace("impact: minor", "impact: huge"))
    wait_for(lambda: preview.live.generation > generation)
    status = json.loads(fetch(preview, "/_statusgen/status.json").body)
    assert status["problems"] == [
        "content/incidents/2026-10-05-slow-web/a.md:5: unknown impact 'huge'; expected one of none, "
        "minor, major, critical"
    ]
    for page in ("/public/", "/strategic/history/", "/public/incidents/2026-10-05-slow-web/", "/_statusgen/"):
        overlay = BeautifulSoup(fetch(preview, page).body, "html.parser").find(id="statusgen-problems")
        assert overlay is not None, page
        assert [li.get_text() for li in overlay.find_all("li")] == status["problems"]
    generation = preview.live.generation
    path.write_text(path.read_text().replace("impact: huge", "impact: major"))
    wait_for(lambda: preview.live.generation > generation)
    page = BeautifulSoup(fetch(preview, "/public/incidents/2026-10-05-slow-web/").body, "html.parser")
    assert page.find(id="statusgen-problems") is None
    assert "Major" in page.get_text()


@pytest.mark.slow
def test_on_the_clock_a_held_update_appears_when_it_comes_due(serve):
    due = datetime.now(timezone.utc) + timedelta(seconds=2)
    held = incident(due.isoformat(timespec="seconds"), "resolved", "Resolved on schedule.")
    preview = serve({**FILES, "content/incidents/2026-10-05-slow-web/c.md": held}, now=None)
    page = "/public/incidents/2026-10-05-slow-web/"
    assert b"Resolved on schedule." not in fetch(preview, page).body
    generation = preview.live.generation
    wait_for(lambda: preview.live.generation > generation, timeout=15)
    assert b"Resolved on schedule." in fetch(preview, page).body
    assert preview.rebuilds == 1  # woken by the clock, not by a file


def test_theme_folder_made_after_start_is_watched(serve):
    preview = serve()
    template = preview.live.site_dir / "themes/default/templates/incident.html"
    generation = preview.live.generation
    template.parent.mkdir(parents=True)
    template.write_text('{% extends "default/incident.html" %}{% block title %}OVERRIDE-ONE{% endblock %}')
    wait_for(lambda: b"OVERRIDE-ONE" in fetch(preview, "/public/incidents/2026-10-05-slow-web/").body)
    generation = preview.live.generation
    template.write_text(template.read_text().replace("ONE", "TWO"))
    wait_for(lambda: preview.live.generation > generation)
    assert b"OVERRIDE-TWO" in fetch(preview, "/public/incidents/2026-10-05-slow-web/").body


class FakeClock:
    """The preview's clock, moved by hand: tests of what the clock does need not wait for it."""

    def __init__(self, now: str):
        self.now = datetime.fromisoformat(now)

    def __call__(self) -> datetime:
        return self.now


def test_on_a_moved_clock_a_held_update_appears_without_a_full_rebuild(make_site):
    clock = FakeClock("2026-11-27T12:00:00+00:00")
    held = incident("2026-11-27T12:10:00Z", "resolved", "Resolved on schedule.")
    live = LiveSite(make_site({**FILES, "content/incidents/2026-10-05-slow-web/c.md": held}), clock=clock)
    assert live.rebuild().full and not live.problems
    page = "incidents/2026-10-05-slow-web/index.html"
    assert b"Resolved on schedule." not in live.trees["public"][page]
    assert live.seconds_to_next_moment() == pytest.approx(600.01)  # wakes when it comes due
    clock.now += timedelta(minutes=11)
    result = live.rebuild()  # what the woken preview does
    assert not result.full and b"Resolved on schedule." in live.trees["public"][page]
    assert live.held == []


def test_a_broken_site_waits_for_a_fix_not_for_the_clock(make_site):
    clock = FakeClock("2026-11-27T12:00:00+00:00")
    held = incident("2026-11-27T12:10:00Z", "resolved", "Resolved on schedule.")
    site = make_site({**FILES, "content/incidents/2026-10-05-slow-web/c.md": held})
    live = LiveSite(site, clock=clock)
    live.rebuild()
    config = site / "site.yml"
    config.write_text(config.read_text().replace("timezone:", "timezon:"))
    assert live.rebuild([config]).problems
    clock.now += timedelta(minutes=11)
    assert live.seconds_to_next_moment() is None  # no wake-up while broken: only a save rebuilds
    config.write_text(config.read_text().replace("timezon:", "timezone:"))
    assert not live.rebuild([config]).problems
    assert b"Resolved on schedule." in live.trees["public"]["incidents/2026-10-05-slow-web/index.html"]


def test_an_update_dated_after_now_is_named_on_every_page_until_it_is_not(serve):
    held = incident("2026-11-27T13:00:00Z", "resolved", "Prepared in advance.")
    preview = serve({**FILES, "content/incidents/2026-10-05-slow-web/c.md": held})
    status = json.loads(fetch(preview, "/_statusgen/status.json").body)
    assert status["held"] == [
        {"path": "content/incidents/2026-10-05-slow-web/c.md", "date": "2026-11-27T13:00:00+00:00"}
    ]
    banner = BeautifulSoup(fetch(preview, "/strategic/").body, "html.parser").find(id="statusgen-held")
    assert [li.get_text() for li in banner.find_all("li")] == [
        "content/incidents/2026-10-05-slow-web/c.md: dated 2026-11-27T13:00+00:00"
    ]
    path = preview.live.site_dir / "content/incidents/2026-10-05-slow-web/c.md"
    generation = preview.live.generation
    path.write_text(held.replace("2026-11-27T13:00:00Z", "2026-11-27T11:00:00Z"))
    wait_for(lambda: preview.live.generation > generation)
    page = BeautifulSoup(fetch(preview, "/public/incidents/2026-10-05-slow-web/").body, "html.parser")
    assert page.find(id="statusgen-held") is None
    assert "Prepared in advance." in page.get_text()


def test_a_template_that_raises_is_a_problem_and_the_preview_recovers(make_site):
    site = make_site(FILES)
    live = LiveSite(site, NOW)
    live.rebuild()
    template = site / "themes/default/templates/incident.html"
    template.parent.mkdir(parents=True)
    template.write_text(
        '{% extends "default/incident.html" %}{% block title %}{{ "%d"|format("x") }}{% endblock %}'
    )
    result = live.rebuild([template])
    assert [(p.path, p.line) for p in result.problems] == [("themes/default/templates/incident.html", 1)]
    assert "TypeError" in result.problems[0].message
    template.write_text('{% extends "default/incident.html" %}{% block title %}Fixed{% endblock %}')
    result = live.rebuild([template])
    assert result.problems == [] and result.full
    assert b"<title>Fixed</title>" in live.trees["public"]["incidents/2026-10-05-slow-web/index.html"]


def test_a_page_that_fails_when_asked_for_is_a_problem_shown_on_every_page_until_fixed(serve):
    preview = serve()
    site = preview.live.site_dir
    template = site / "themes/default/templates/incident.html"
    template.parent.mkdir(parents=True)
    generation = preview.live.generation
    # Fails only on an old incident's page, which no rebuild renders until it is asked for.
    template.write_text(
        '{% extends "default/incident.html" %}{% block title %}'
        '{% if item.id == "2026-09-01-cdn" %}{{ "%d"|format("x") }}{% endif %}{% endblock %}'
    )
    wait_for(lambda: preview.live.generation > generation)
    assert not preview.live.problems
    response = fetch(preview, "/public/incidents/2026-09-01-cdn/")
    assert response.status == 500
    status = json.loads(fetch(preview, "/_statusgen/status.json").body)
    [problem] = status["problems"]
    assert problem.startswith("themes/default/templates/incident.html:1: ")
    for page in ("/public/", "/public/incidents/2026-10-05-slow-web/"):
        overlay = BeautifulSoup(fetch(preview, page).body, "html.parser").find(id="statusgen-problems")
        assert [li.get_text() for li in overlay.find_all("li")] == status["problems"]
    preview.live.rebuild()  # the clock (no save): the problem stays until a save
    assert json.loads(fetch(preview, "/_statusgen/status.json").body)["problems"] == status["problems"]
    generation = preview.live.generation
    template.write_text('{% extends "default/incident.html" %}{% block title %}Fixed{% endblock %}')
    wait_for(lambda: preview.live.generation > generation)
    response = fetch(preview, "/public/incidents/2026-09-01-cdn/")
    assert response.status == 200 and b"<title>Fixed</title>" in response.body
    assert BeautifulSoup(response.body, "html.parser").find(id="statusgen-problems") is None


def test_a_broken_link_as_incident_folder_is_a_problem_not_a_deletion(make_site):
    site = make_site(FILES)
    live = LiveSite(site, NOW)
    live.rebuild()
    link = site / "content/incidents/2026-11-27-link"
    link.symlink_to(site / "nowhere")
    result = live.rebuild([link])
    assert [str(p) for p in result.problems] == [
        "content/incidents/2026-11-27-link:1: broken symbolic link; refused"
    ]


def test_on_the_clock_the_preview_wakes_by_the_next_midnight_at_the_latest(make_site):
    live = LiveSite(make_site(FILES))  # the clock; nothing held
    live.rebuild()
    wait = live.seconds_to_next_moment()
    assert wait is not None and 0 < wait <= 24 * 3600 + 3600


def test_reload_script_is_served_but_never_built(serve, build, make_site):
    preview = serve()
    served = fetch(preview, "/public/").body
    assert b"/_statusgen/events" in served
    out = build(preview.live.site_dir)
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"_statusgen" not in data and b"EventSource" not in data, path
    assert (
        served.replace(re.search(rb"<script>/\* statusgen serve.*?</script>", served).group(), b"")
        == (out / "public/index.html").read_bytes()
    )


@pytest.mark.slow
def test_cli_serve_starts_on_loopback_and_stops_cleanly_on_ctrl_c(make_site):
    site = make_site(FILES)
    command = [sys.executable, "-m", "generator", "serve", "--site", str(site), "--port", "0", "--now", NOW]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        try:
            lines = []
            while not lines or not lines[-1].startswith("Serving"):
                line = process.stdout.readline()
                assert line, process.stderr.read()
                lines.append(line)
            url = urlsplit(lines[-1].split()[1].rstrip(","))
            assert url.hostname == "127.0.0.1" and url.path == "/public/"
            connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
            connection.request("GET", "/public/")
            assert connection.getresponse().status == 200
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=10) == 0
            assert "stopped" in process.stderr.read()
            assert "Traceback" not in "".join(lines)
        finally:
            if process.poll() is None:
                process.kill()


def test_serve_outside_a_site_is_an_error(tmp_path, capsys):
    assert main(["serve", "--site", str(tmp_path), "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert f"site.yml:1: no site.yml in {tmp_path}; is --site pointing at your status site?" in err


def test_port_in_use_is_a_clear_error(make_site, capsys):
    site = make_site(FILES)
    preview = Preview(site, port=0, now=NOW)
    try:
        port = preview.server.server_address[1]
        assert main(["serve", "--site", str(site), "--port", str(port), "--now", NOW]) == 1
        err = capsys.readouterr().err
        assert (
            f"--port: cannot listen on 127.0.0.1:{port}: Address already in use; choose another --port"
        ) in err
        assert "Traceback" not in err
    finally:
        preview.stop()


# ---- cross-site requests, and a rebuild loop that survives any error ------------------------------


def fetch_with(preview: Preview, path: str, headers: dict[str, str]) -> http.client.HTTPResponse:
    host, port = preview.server.server_address[:2]
    connection = http.client.HTTPConnection(str(host), port, timeout=10)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    connection.close()
    return response


@pytest.mark.parametrize(
    "path",
    [
        "/strategic/",
        "/strategic/badge.svg",
        "/strategic/incidents/2026-11-26-strategic-only/",
        "/strategic/incidents/no-such-id/",
        "/_statusgen/status.json",
        "/_statusgen/events",
        "/",
        "/public/",
    ],
)
def test_cross_site_requests_are_refused(serve, path):
    """Another site's page (an <img> of a badge, a probe for an incident id) learns nothing."""
    preview = serve()
    for value in ("cross-site", "Cross-Site", " cross-site "):
        response = fetch_with(preview, path, {"Sec-Fetch-Site": value})
        assert response.status == 403, (path, value)
        assert b"Strategic" not in response.body and b"strategic-only" not in response.body
        assert response.getheader("Cross-Origin-Resource-Policy") == "same-origin"
    if path != "/_statusgen/events":  # an event stream does not end by itself
        for value in ("same-origin", "none", "same-site"):
            assert fetch_with(preview, path, {"Sec-Fetch-Site": value}).status != 403, (path, value)


def test_every_response_forbids_cross_origin_embedding(serve):
    preview = serve()
    responses = [
        fetch(preview, "/"),
        fetch(preview, "/public/"),
        fetch(preview, "/public/badge.svg"),
        fetch(preview, "/public/nope/"),
        fetch(preview, "/public/", "HEAD"),
        fetch(preview, "/_statusgen/status.json"),
        fetch(preview, "/_statusgen/"),
        fetch_with(preview, "/public/", {"Host": "attacker.example"}),
        fetch(preview, "/public/", "POST"),
    ]
    assert [r.status for r in responses] == [302, 200, 200, 404, 200, 200, 200, 403, 501]
    for response in responses:
        assert response.getheader("Cross-Origin-Resource-Policy") == "same-origin"
    host, port = preview.server.server_address[:2]
    connection = http.client.HTTPConnection(str(host), port, timeout=10)
    connection.request("GET", "/_statusgen/events")
    response = connection.getresponse()
    assert response.getheader("Cross-Origin-Resource-Policy") == "same-origin"
    connection.close()


@pytest.mark.slow
@pytest.mark.parametrize(
    "error",
    [OSError(28, "No space left on device"), BrokenPipeError(32, "Broken pipe"), RuntimeError("a bug")],
)
def test_an_error_outside_the_rebuild_is_shown_and_the_preview_keeps_rebuilding(make_site, error):
    """Here the terminal fails (the report callback raises): the error must reach the pages,
    and later saves must still be served."""
    failures = [error]

    def report(result: object) -> None:
        if failures:
            raise failures.pop()

    preview = Preview(make_site(FILES), port=0, now=NOW, report=report)
    try:
        path = preview.live.site_dir / "content/incidents/2026-10-05-slow-web/b.md"
        generation = preview.live.generation
        path.write_text(path.read_text().replace("Done.", "Done, first save."))
        wait_for(lambda: preview.live.generation > generation + 1)
        status = json.loads(fetch(preview, "/_statusgen/status.json").body)
        assert len(status["problems"]) == 1 and type(error).__name__ in status["problems"][0], status
        overlay = BeautifulSoup(fetch(preview, "/public/").body, "html.parser").find(id="statusgen-problems")
        assert overlay is not None and str(error) in overlay.get_text()
        generation = preview.live.generation
        path.write_text(path.read_text().replace("first save", "second save"))
        wait_for(lambda: preview.live.generation > generation)
        page = BeautifulSoup(fetch(preview, "/public/incidents/2026-10-05-slow-web/").body, "html.parser")
        assert "Done, second save." in page.get_text()
        assert page.find(id="statusgen-problems") is None
        assert all(thread.is_alive() for thread in preview._threads)
    finally:
        preview.stop()


@pytest.mark.slow
def test_cli_serve_survives_its_terminal_going_away(make_site):
    """A real closed pipe: `statusgen serve | head -1` once head has exited."""
    site = make_site(FILES)
    command = [sys.executable, "-m", "generator", "serve", "--site", str(site), "--port", "0", "--now", NOW]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        try:
            line = ""
            while not line.startswith("Serving"):
                line = process.stdout.readline()
                assert line, process.stderr.read()
            url = urlsplit(line.split()[1].rstrip(","))
            process.stdout.close()  # the next line printed meets a broken pipe

            def get(path: str) -> bytes:
                connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
                connection.request("GET", path)
                body = connection.getresponse().read()
                connection.close()
                return body

            path = site / "content/incidents/2026-10-05-slow-web/b.md"
            path.write_text(path.read_text().replace("Done.", "Done, first save."))
            wait_for(lambda: b"BrokenPipeError" in get("/_statusgen/status.json"))
            path.write_text(path.read_text().replace("first save", "second save"))
            wait_for(lambda: b"Done, second save." in get("/public/incidents/2026-10-05-slow-web/"))
            process.send_signal(signal.SIGINT)
            process.wait(timeout=10)
            err = process.stderr.read()
            assert "BrokenPipeError" in err and "Traceback" not in err, err
        finally:
            if process.poll() is None:
                process.kill()
