"""`statusgen init`: a new, working site from the starter files shipped in the package."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from importlib.resources import files
from pathlib import Path

from generator import __version__
from generator.errors import Problem, SiteError
from generator.templates import fill

STARTER = Path(str(files("generator"))) / "starter"
# Packaged without their leading dot (package data skips hidden files), renamed on the way out.
_RENAMES = {"dot-gitignore": ".gitignore", "dot-github": ".github", "dot-gitlab-ci.yml": ".gitlab-ci.yml",
            "dot-pre-commit-config.yaml": ".pre-commit-config.yaml"}
_EXAMPLE = """\
---
date: {date}
status: resolved
title: Our status page is live
impact: none
components: []
---
This page shows the current status of our services, incidents as they happen, and scheduled
maintenance. Subscribe to the Atom or RSS feed to hear about updates.
"""


def leftover_example(site_dir: Path) -> Path | None:
    """The example incident `init` wrote, if it is still there unchanged in its first lines."""
    for path in sorted(site_dir.glob("content/incidents/*-status-page-live/01-resolved.md")):
        if "title: Our status page is live" in path.read_text(encoding="utf-8", errors="replace"):
            return path.parent
    return None


def init_site(target: Path, title: str, now: datetime) -> list[Path]:
    """Write the starter site into target; refuses if any of its files exists already."""
    planned = {target / _destination(path.relative_to(STARTER)): path
               for path in sorted(STARTER.rglob("*")) if path.is_file() and "__pycache__" not in path.parts}
    example_day = now.strftime("%Y-%m-%d")
    example = target / "content" / "incidents" / f"{example_day}-status-page-live" / "01-resolved.md"
    existing = [path for path in (*planned, example) if path.exists()]
    if existing:
        raise SiteError([Problem(str(path), 0, "already exists; init never overwrites files "
                                               "(choose an empty folder)") for path in existing])
    values = {"title": json.dumps(title), "version": __version__}
    for destination, source in planned.items():
        destination.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text(encoding="utf-8")
        if source.name in ("site.yml", "requirements.txt"):
            text = fill(text, values)
        destination.write_text(text, encoding="utf-8")
    example.parent.mkdir(parents=True, exist_ok=True)
    stamp = (now - timedelta(minutes=1)).replace(microsecond=0).isoformat()
    example.write_text(_EXAMPLE.format(date=stamp), encoding="utf-8")
    return sorted([*planned, example])


def _destination(relative: Path) -> Path:
    return Path(*(_RENAMES.get(part, part) for part in relative.parts))
