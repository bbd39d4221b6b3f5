"""The Markdown render cache: reused between builds, never changes the output."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import markup
from generator.sqlitecache import CACHE_DIR

from conftest import incident, tree_bytes

FILES = {
    "content/incidents/x/a.md": incident(
        "2026-11-27T08:00:00Z",
        "investigating",
        'Some **bold** words, next update by <time datetime="2026-11-27T09:00:00Z">09:00 UTC</time>.'
        "\n\n::: strategic\nDetail.\n:::\n",
        title="X",
        impact="minor",
        components=["api"],
    ),
}


def test_second_build_renders_nothing_and_gives_the_same_bytes(make_site, build, tmp_path, monkeypatch):
    site = make_site(FILES)
    first = tree_bytes(build(site, tmp_path / "a"))
    assert (site / CACHE_DIR / "markdown.sqlite3").is_file()

    def refuse(text: str) -> str:
        raise AssertionError(f"rendered again: {text!r}")

    monkeypatch.setattr(markup, "render_markdown", refuse)
    assert tree_bytes(build(site, tmp_path / "b")) == first
    assert b'<time datetime="2026-11-27T09:00:00Z">' in first["public/incidents/x/index.html"]


def test_changed_text_is_rendered_again(make_site, build, tmp_path):
    site = make_site(FILES)
    build(site, tmp_path / "a")
    (site / "content/incidents/x/a.md").write_text(
        FILES["content/incidents/x/a.md"].replace("**bold**", "*new*")
    )
    page = (build(site, tmp_path / "b") / "public/incidents/x/index.html").read_text()
    assert "<em>new</em>" in page and "bold" not in page


def test_no_cache_option_leaves_no_cache(make_site, build, tmp_path):
    site = make_site(FILES)
    build(site, tmp_path / "a", "2026-11-27T12:00:00Z", "--no-cache")
    assert not (site / CACHE_DIR).exists()


@pytest.mark.parametrize("damage", [b"not a database", b""])
def test_damaged_cache_is_ignored(make_site, build, tmp_path, damage):
    site = make_site(FILES)
    clean = tree_bytes(build(site, tmp_path / "a", "2026-11-27T12:00:00Z", "--no-cache"))
    cache_file: Path = site / CACHE_DIR / "markdown.sqlite3"
    cache_file.parent.mkdir()
    cache_file.write_bytes(damage)
    assert tree_bytes(build(site, tmp_path / "b")) == clean


def test_damaged_cache_is_replaced_by_a_working_one(make_site, build, tmp_path, monkeypatch):
    site = make_site(FILES)
    cache_file = site / CACHE_DIR / "markdown.sqlite3"
    cache_file.parent.mkdir()
    cache_file.write_bytes(b"garbage" * 100)
    first = tree_bytes(build(site, tmp_path / "a"))
    monkeypatch.setattr(markup, "render_markdown", lambda text: 1 / 0)
    assert tree_bytes(build(site, tmp_path / "b")) == first


def test_a_cache_reads_what_it_saved_but_not_what_it_stores_while_building(tmp_path):
    """A build's cache that started empty makes no lookups in the store it fills as it goes (a
    cold build: no query per text); once saved, the same cache (serve's next rebuild) reads it."""
    from generator.rendercache import RenderCache

    cache = RenderCache(tmp_path)
    html = cache.render("first *text*")
    assert cache.new and "<em>text</em>" in html
    cache.flush(at_least=1)  # stored during the build: this build does not read it back
    assert (tmp_path / CACHE_DIR).is_dir()
    cache.render("first *text*")
    assert len(cache.new) == 1  # rendered again, not read back
    cache.save()
    cache.take_log()
    assert cache.render("first *text*") == html
    assert cache.new == {}  # read from what was saved
