"""A build keeps loaded bodies on disk (generator/spool.py), not in memory: the output is the same
as with bodies in memory, cold, warm and unchanged, in one process or with workers; a loaded site
and its views hold no body; nothing is left behind, whether the build succeeds or fails."""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import fields, is_dataclass
from pathlib import Path

import pytest

from generator import build as build_module
from generator import parallel
from generator.audience import view_for
from generator.build import load_site
from generator.cli import main
from generator.config import Audience, SiteConfig
from generator.itemcache import ItemCache
from generator.model import Item, Segment
from generator.spool import BodySpool, Stored

from conftest import NOW, dedent, incident, tree_bytes
from sites import LEAKY_SITE


def _site(make_site) -> Path:  # type: ignore[no-untyped-def]
    """LEAKY_SITE (restricted blocks, updates, postmortems, a window) and a dozen more incidents,
    some of them with the same words in several bodies (each body is kept once per segment)."""
    files = dict(LEAKY_SITE)
    for number in range(12):
        block = (
            f"\n\n::: strategic\nOnly for strategic customers, number {number}.\n:::\n" if number % 2 else ""
        )
        files[f"content/incidents/extra-{number:02d}/a.md"] = incident(
            f"2026-10-{number + 1:02d}T08:00:00Z",
            "investigating",
            f"Users see **errors** on page {number}.\n\n- one\n- two{block}",
            title=f"Errors {number}",
            impact="minor",
            components=["api"],
        )
        files[f"content/incidents/extra-{number:02d}/b.md"] = incident(
            f"2026-10-{number + 1:02d}T09:00:00Z", "resolved", "Fixed." if number % 3 else f"Fixed {number}."
        )
    return make_site(files)


@pytest.fixture
def few_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Worker processes even for a small site, so that their paths run too."""
    monkeypatch.setattr(parallel, "PARALLEL_THRESHOLD", 2)


def _build(site: Path, out: Path, jobs: str, *extra: str) -> dict[str, bytes]:
    assert main(["build", "--site", str(site), "--out", str(out), "--now", NOW, "--jobs", jobs, *extra]) == 0
    return tree_bytes(out)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_bodies_on_disk_build_what_bodies_in_memory_build(
    make_site, tmp_path, monkeypatch, few_workers, jobs
):
    site = _site(make_site)
    spooled = [_build(site, tmp_path / "out", jobs)]  # cold: loaded here or in the workers
    spooled.append(_build(site, tmp_path / "fresh", jobs))  # warm: read back from the item cache
    spooled.append(_build(site, tmp_path / "out", jobs))  # unchanged: pages taken from the output
    monkeypatch.setattr(build_module, "body_spool", lambda out: contextlib.nullcontext(None))
    in_memory = _build(site, tmp_path / "memory", jobs, "--no-cache")
    secret = b"Only for strategic customers, number 1."
    assert all(any(secret in data for data in files.values()) for files in (in_memory, *spooled))
    for files in spooled:
        assert files == in_memory


def _bodies_in_memory(roots: object) -> list[bytes]:
    """Every bytes object longer than a digest reachable from roots (the model's and the views'
    dataclasses, tuples, lists; not site.yml's)."""
    found: list[bytes] = []
    seen: set[int] = set()
    todo = [roots]
    while todo:
        value = todo.pop()
        if id(value) in seen or isinstance(value, (SiteConfig, Audience)):
            continue
        seen.add(id(value))
        if isinstance(value, bytes):
            found += [value] if len(value) > 16 else []
        elif isinstance(value, (tuple, list, frozenset)):
            todo.extend(value)
        elif is_dataclass(value):
            todo.extend(getattr(value, f.name) for f in fields(value))
    return found


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_loaded_site_and_its_views_hold_no_body(make_site, few_workers, jobs):
    site_dir = _site(make_site)
    for attempt in ("cold", "from the item cache"):
        with BodySpool(site_dir) as spool:
            items = ItemCache(site_dir)
            site, now, _ = load_site(site_dir, NOW, jobs, items=items, spool=spool, store=True)
            items.save()
            segments = [s for i in site.items for u in i.updates for view in u.body for s in view]
            assert segments and all(isinstance(s.packed, Stored) for s in segments), attempt
            assert _bodies_in_memory(site.items) == [], attempt
            views = [view_for(site, audience, now) for audience in site.config.audiences]
            assert _bodies_in_memory(views) == [], attempt
            assert spool.size >= len({s.packed.where for s in segments if isinstance(s.packed, Stored)})
            shown = "".join(p.html for v in views for i in v.items for u in i.updates for p in u.body)
            assert "Only for strategic customers, number 3." in shown and "Public words." in shown


def _segments(item: Item) -> list[Segment]:
    return [s for u in item.updates for view in u.body for s in view]


def test_a_kept_body_pickles_as_its_bytes(make_site, tmp_path):
    """The item cache (and a worker's result) pickles items: a pickle never points into a spool."""
    site_dir = _site(make_site)
    stored = ItemCache(tmp_path)
    with BodySpool(site_dir) as spool:
        site, _, _ = load_site(site_dir, NOW, 1, spool=spool)
        for number, item in enumerate(site.items):
            stored.put(bytes([number]), item, [])
        expected = [[s.html for s in _segments(item)] for item in site.items]
    stored.save()
    read = ItemCache(tmp_path)
    items = [read.get(bytes([number])) for number in range(len(site.items))]
    assert [[s.html for s in _segments(found[0])] for found in items if found] == expected
    assert all(isinstance(s.packed, bytes) for found in items if found for s in _segments(found[0]))


def _open_unlinked(folder: Path) -> list[str]:
    """Unlinked files in folder that this process still has open (a spool)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/self/fd/{fd}")
            found += [target] if target.startswith(str(folder)) and target.endswith("(deleted)") else []
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts open files in /proc")
def test_the_spool_leaves_nothing_behind(make_site, tmp_path, capsys):
    site = _site(make_site)
    listing = sorted(os.listdir(tmp_path))
    with BodySpool(tmp_path):  # what the check sees of a spool that is open
        assert _open_unlinked(tmp_path)
    assert _open_unlinked(tmp_path) == []
    _build(site, tmp_path / "out", "1")
    assert _open_unlinked(tmp_path) == []
    assert sorted(os.listdir(tmp_path)) == sorted([*listing, "out"])
    (site / "content/incidents/extra-00/c.md").write_text(dedent("---\nstatus: nonsense\n---\nBroken.\n"))
    assert main(["build", "--site", str(site), "--out", str(tmp_path / "out"), "--now", NOW]) == 1
    assert "nonsense" in capsys.readouterr().err
    assert _open_unlinked(tmp_path) == []
    assert sorted(os.listdir(tmp_path)) == sorted([*listing, "out"])
