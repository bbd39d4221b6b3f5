"""The benchmark's Markdown floor renders exactly the texts a build renders (bench/markdown_floor.py)."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys

from conftest import REPO, incident


def test_markdown_floor_renders_the_texts_a_build_renders(tmp_path, make_site, build):
    strategic = "Shared.\n\n::: strategic\nOnly for *strategic* accounts.\n:::\n\nAfter the block."
    site = make_site(
        {
            "content/incidents/2026-11-01-a/01-investigating.md": incident(
                "2026-11-01T10:00:00Z", "investigating", title="A", impact="minor", components=["api"]
            ),
            "content/incidents/2026-11-01-a/02-resolved.md": incident(
                "2026-11-01T11:00:00Z", "resolved", body=strategic
            ),
            "content/incidents/2026-11-02-b/01-resolved.md": incident(
                "2026-11-02T10:00:00Z", "resolved", title="B", impact="minor", components=["web"]
            ),
            # Unfinished (a template's prompt): a build holds the incident back, renders none of it.
            "content/incidents/2026-11-03-c/01-investigating.md": incident(
                "2026-11-03T10:00:00Z",
                "investigating",
                "[TODO: what customers see]",
                title="C",
                impact="minor",
                components=["web"],
            ),
            "content/incidents/2026-11-03-c/02-resolved.md": incident(
                "2026-11-03T11:00:00Z", "resolved", "HELD-BACK-CANARY"
            ),
        }
    )
    build(site)
    cache = site / ".statusgen-cache" / "markdown.sqlite3"
    with sqlite3.connect(cache) as connection:
        rendered = connection.execute("SELECT count(*) FROM rendered").fetchone()[0]

    texts = tmp_path / "texts.json"
    collected = floor("collect", str(site), str(texts))
    # 'Body.' in two files; the public text as if the block had never been written; the
    # strategic text in its three pieces (shared, for strategic accounts only, shared).
    assert collected == "6 texts (5 different)\n"
    assert sorted(json.loads(texts.read_text())) == sorted(
        [
            "Body.\n",
            "Body.\n",
            "Shared.\n\n\nAfter the block.\n",
            "Shared.\n",
            "Only for *strategic* accounts.",
            "\nAfter the block.\n",
        ]
    )
    assert floor("render", str(texts), "--jobs", "2").startswith("6 texts rendered, ")
    assert len(set(json.loads(texts.read_text()))) == rendered  # what the build's cache holds


def test_markdown_floor_refuses_a_site_with_problems(tmp_path, make_site):
    site = make_site({"content/incidents/2026-11-01-a/01.md": "---\nstatus: nope\n---\n"})
    done = run_floor("collect", str(site), str(tmp_path / "t"))
    assert done.returncode == 1
    assert "the site has problems" in done.stderr
    assert not (tmp_path / "t").exists()


def floor(*args: str) -> str:
    done = run_floor(*args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def run_floor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "bench" / "markdown_floor.py"), *args], capture_output=True, text=True
    )


def test_markdown_floor_on_the_example_site(tmp_path):
    site = tmp_path / "example"
    shutil.copytree(REPO / "content", site / "content")
    shutil.copy(REPO / "site.yml", site / "site.yml")
    texts = tmp_path / "texts.json"
    assert re.match(r"[1-9][\d,]* texts", floor("collect", str(site), str(texts)))
    assert re.match(r"[1-9][\d,]* texts rendered, [1-9]", floor("render", str(texts), "--jobs", "1"))
    assert not (site / ".statusgen-cache").exists()  # it renders, it keeps nothing
