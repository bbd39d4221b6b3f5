"""Builds that redo only what changed: pages taken from the previous output and folders taken from
the item cache must give exactly what a cold build gives, after any edit."""

from __future__ import annotations

import json
import pickle
import random
import re
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.rendercache import RenderCache

from conftest import incident, run, tree_bytes
from sites import LEAKY_SITE, MAINTENANCE

EARLY = "2026-11-27T10:00:00Z"  # before the maintenance window (11:00-13:00)


def _site_files(count: int) -> dict[str, str]:
    files = {**LEAKY_SITE, **MAINTENANCE}
    for n in range(count):
        month = 1 + n % 11
        files[f"content/incidents/i{n:02d}/a.md"] = incident(
            f"2026-{month:02d}-{1 + n % 27:02d}T08:00:00Z",
            "investigating",
            f"Looking at [{n}](../i{(n + 1) % count:02d}/).\n\n::: strategic\nDetail {n}.\n:::\n",
            title=f"Incident {n}",
            impact="minor",
            components=["api"],
        )
        files[f"content/incidents/i{n:02d}/b.md"] = incident(
            f"2026-{month:02d}-{1 + n % 27:02d}T09:00:00Z", "resolved", f"Fixed {n}."
        )
    return files


def _build(capsys: pytest.CaptureFixture[str], site: Path, out: Path, now: str, *extra: str) -> str:
    code, stdout, stderr = run(capsys, "build", "--site", str(site), "--out", str(out), "--now", now, *extra)
    assert code == 0, stderr
    return stdout


def _reused(report: str) -> int:
    found = re.search(r"(\d+) pages? taken from the previous build", report)
    assert found, report
    return int(found.group(1))


Edit = Callable[[Path, random.Random], str]


def _edit_body(site: Path, rng: random.Random) -> str:
    path = rng.choice(sorted(site.glob("content/incidents/i*/*.md")))
    path.write_text(path.read_text() + f"\nMore words {rng.random()}.\n")
    return f"edit {path.name} of {path.parent.name}"


def _add_update(site: Path, rng: random.Random) -> str:
    folder = rng.choice(sorted(site.glob("content/incidents/i*")))
    first = (folder / "a.md").read_text()
    date = re.search(r"date: (\S+)", first)
    assert date
    name = f"c{rng.randint(0, 999):03d}.md"
    (folder / name).write_text(
        incident(date.group(1).replace("T08", "T10"), "investigating", "Back again.", reopened="true")
    )
    return f"add an update to {folder.name}"


def _delete(site: Path, rng: random.Random) -> str:
    folders = sorted(site.glob("content/incidents/i*"))
    folder = rng.choice(folders)
    shutil.rmtree(folder)
    return f"delete {folder.name}"


def _change_site_yml(site: Path, rng: random.Random) -> str:
    path = site / "site.yml"
    path.write_text(path.read_text().replace("name: API", f"name: API {rng.randint(1, 99)}", 1))
    return "rename a component in site.yml"


def _change_theme(site: Path, rng: random.Random) -> str:
    path = site / "themes/default/templates/month.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '{% extends "base.html" %}{% block main %}<h1>{{ month }}</h1>'
        f"<p>{rng.randint(1, 99)} items: {{{{ items | length }}}}</p>{{% endblock %}}"
    )
    return "override a theme template"


EDITS: list[Edit] = [_edit_body, _add_update, _delete, _change_site_yml, _change_theme]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_builds_equal_cold_builds_after_random_edits(make_site, capsys, tmp_path, seed):
    rng = random.Random(seed)
    site = make_site(_site_files(12))
    out, cold = tmp_path / "out", tmp_path / "cold"
    _build(capsys, site, out, EARLY)
    now = EARLY
    for step in range(6):
        if step == 3:
            now, what = "2026-11-27T12:00:00Z", "the clock enters the maintenance window"
        else:
            what = rng.choice(EDITS)(site, rng)
        report = _build(capsys, site, out, now)
        shutil.rmtree(cold, ignore_errors=True)
        _build(capsys, site, cold, now, "--no-cache")
        assert tree_bytes(out) == tree_bytes(cold), f"seed {seed}, step {step}: {what}"
        if what.startswith(("edit", "add", "the clock")):
            assert _reused(report) > 0, f"{what}: nothing was taken from the previous build"


def test_a_build_with_nothing_changed_renders_no_incident_or_month_page(make_site, capsys, tmp_path):
    site = make_site(_site_files(6))
    out = tmp_path / "out"
    _build(capsys, site, out, EARLY)
    first = tree_bytes(out)
    pages = [uri for uri in first if re.match(r"[^/]+/(incidents|maintenance|history)/[^/]+/index.html", uri)]
    # The second build may still re-render month pages once (see incremental.page_key); the third may not.
    _build(capsys, site, out, EARLY)
    assert _reused(_build(capsys, site, out, EARLY)) == len(pages)
    assert tree_bytes(out) == first


def test_an_output_page_changed_by_hand_is_rendered_again(make_site, capsys, tmp_path):
    site = make_site(_site_files(3))
    out = tmp_path / "out"
    _build(capsys, site, out, EARLY)
    before = tree_bytes(out)
    page = out / "public/incidents/i01/index.html"
    page.write_text("defaced")
    _build(capsys, site, out, EARLY)
    assert tree_bytes(out) == before


def test_a_damaged_ledger_or_item_cache_costs_time_not_correctness(make_site, capsys, tmp_path):
    site = make_site(_site_files(3))
    out, cold = tmp_path / "out", tmp_path / "cold"
    _build(capsys, site, out, EARLY)
    for ledger in (site / ".statusgen-cache").glob("pages-*.json*"):
        ledger.write_text('{"version": 1, "fingerprint": [], "pages": 7}')
    items = site / ".statusgen-cache/items.sqlite3"
    with sqlite3.connect(items) as connection:
        connection.execute("UPDATE items SET item = ?", (b"not a pickle",))
    _build(capsys, site, out, EARLY)
    _build(capsys, site, cold, EARLY, "--no-cache")
    assert tree_bytes(out) == tree_bytes(cold)


class _Exploit:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (print, ("ran code from the cache",))


def test_a_tampered_item_cache_cannot_run_code(make_site, capsys, tmp_path):
    site = make_site(_site_files(3))
    out = tmp_path / "out"
    _build(capsys, site, out, EARLY)
    items = site / ".statusgen-cache/items.sqlite3"
    with sqlite3.connect(items) as connection:
        connection.execute("UPDATE items SET item = ?", (pickle.dumps((_Exploit(), [])),))
    report = _build(capsys, site, tmp_path / "again", EARLY)
    assert "ran code from the cache" not in report
    _build(capsys, site, tmp_path / "cold", EARLY, "--no-cache")
    assert tree_bytes(tmp_path / "again") == tree_bytes(tmp_path / "cold")


def test_texts_of_items_from_the_item_cache_stay_in_the_render_cache(
    make_site, capsys, tmp_path, monkeypatch
):
    """The render cache forgets entries a build did not use: the texts of folders taken from
    the item cache are used too, or one edit would empty the render cache."""
    site = make_site(_site_files(4))
    _build(capsys, site, tmp_path / "out", EARLY)
    with sqlite3.connect(site / ".statusgen-cache/markdown.sqlite3") as connection:
        stored = {row[0] for row in connection.execute("SELECT key FROM rendered")}
    used: list[set[bytes]] = []
    save = RenderCache.save

    def spy(self: RenderCache) -> None:
        used.append(set(self.used))
        save(self)

    monkeypatch.setattr(RenderCache, "save", spy)
    _build(capsys, site, tmp_path / "out", EARLY)
    assert used == [stored]


def test_check_reads_the_item_cache_but_writes_nothing(make_site, capsys, tmp_path):
    site = make_site(_site_files(3))
    _build(capsys, site, tmp_path / "out", EARLY)
    cache = site / ".statusgen-cache"
    before = {p.name: p.read_bytes() for p in cache.iterdir()}
    (site / "content/incidents/i00/a.md").write_text("---\ndate: nonsense\n---\n")
    code, _, stderr = run(capsys, "check", "--site", str(site), "--now", EARLY)
    assert code == 1 and "content/incidents/i00/a.md:" in stderr
    assert {p.name: p.read_bytes() for p in cache.iterdir()} == before


def test_a_theme_folder_linked_inside_the_site_is_part_of_what_pages_depend_on(make_site, capsys, tmp_path):
    site = make_site(_site_files(2))
    shared = site / "shared"
    shared.mkdir()
    template = Path(__file__).resolve().parent.parent / "themes/default/templates/incident.html"
    (shared / "incident.html").write_text(template.read_text())
    (site / "themes/default").mkdir(parents=True)
    (site / "themes/default/templates").symlink_to("../../shared")
    out, cold = tmp_path / "out", tmp_path / "cold"
    _build(capsys, site, out, EARLY)
    text = (shared / "incident.html").read_text()
    (shared / "incident.html").write_text(text.replace("{% endblock %}", "<p>EDITED</p>{% endblock %}", 1))
    _build(capsys, site, out, EARLY)
    _build(capsys, site, cold, EARLY, "--no-cache")
    assert tree_bytes(out) == tree_bytes(cold)
    assert b"EDITED" in (out / "public/incidents/i01/index.html").read_bytes()


def test_a_feed_link_that_cannot_be_joined_stays_as_written(make_site, capsys, tmp_path):
    files = _site_files(1)
    files["content/incidents/i00/b.md"] += "\n[odd](//[x)\n"
    site = make_site(files)
    out = tmp_path / "out"
    code, _, stderr = run(capsys, "build", "--site", str(site), "--out", str(out), "--now", EARLY)
    assert code == 0 and "Traceback" not in stderr
    assert b'href="//[x"' in (out / "public/history.atom").read_bytes().replace(b"&quot;", b'"')


def _ledger_lines(site: Path) -> list[list[object]]:
    (ledger,) = (site / ".statusgen-cache").glob("pages-*.jsonl")
    header, *lines = ledger.read_text(encoding="utf-8").splitlines()
    assert json.loads(header)["version"] == 2
    return [json.loads(line) for line in lines]


def test_a_rebuilds_ledger_round_trips_a_page_a_line(make_site, capsys, tmp_path):
    """The ledger is written a page at a time (a line each) and read back the same: a rebuild
    that changes nothing takes every incident and month page from the previous output and
    writes the same ledger again; the next build after an edit renders only what it touched."""
    site = make_site(_site_files(6))
    out = tmp_path / "out"
    _build(capsys, site, out, EARLY)
    first = _ledger_lines(site)
    pages = [page for page, *_ in first]
    assert pages == sorted(pages) and len(set(pages)) == len(pages)
    assert "public/incidents/i00/index.html" in pages and "strategic/incidents/mixed/index.html" in pages
    for page, key, size, mtime in first:
        assert isinstance(key, str) and len(key) == 32
        assert (out / str(page)).stat().st_size == size and (out / str(page)).stat().st_mtime_ns == mtime
    before = tree_bytes(out)
    assert _reused(_build(capsys, site, out, EARLY)) == len(first)
    assert _ledger_lines(site) == first and tree_bytes(out) == before
    (site / "content/incidents/i03/b.md").write_text(incident("2026-04-04T09:00:00Z", "resolved", "Mended."))
    report = _build(capsys, site, out, EARLY)
    assert 0 < _reused(report) < len(first)
    after = _ledger_lines(site)
    assert [page for page, *_ in after] == pages
    assert [line for line in after if "i03" in str(line[0])] != [
        line for line in first if "i03" in str(line[0])
    ]
    assert [line for line in after if "i00" in str(line[0])] == [
        line for line in first if "i00" in str(line[0])
    ]


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text.replace("]\n", "\n", 1),  # a line cut short
        lambda text: text + '{"page": 1}\n',  # not a page's line
        lambda text: text.replace(text.split('"')[9], "zz" * 16, 1),  # a key that is not hex
        lambda text: text.split("\n", 1)[1],  # no header
    ],
)
def test_a_damaged_ledger_line_means_rendering_everything(make_site, capsys, tmp_path, damage):
    site = make_site(_site_files(3))
    out, cold = tmp_path / "out", tmp_path / "cold"
    _build(capsys, site, out, EARLY)
    (ledger,) = (site / ".statusgen-cache").glob("pages-*.jsonl")
    ledger.write_text(damage(ledger.read_text(encoding="utf-8")), encoding="utf-8")
    assert _reused(_build(capsys, site, out, EARLY)) == 0
    _build(capsys, site, cold, EARLY, "--no-cache")
    assert tree_bytes(out) == tree_bytes(cold)
