"""`statusgen init`: a new, working site from the starter files shipped in the package."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from importlib import metadata
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from generator import __version__
from generator.authoring.message_templates import fill
from generator.errors import Problem, SiteError

STARTER = Path(str(files("generator"))) / "starter"
PLACEHOLDER_OWNER = "OWNER"
# Packaged without their leading dot (package data skips hidden files), renamed on the way out.
_RENAMES = {
    "dot-gitignore": ".gitignore",
    "dot-github": ".github",
    "dot-gitlab-ci.yml": ".gitlab-ci.yml",
    "dot-pre-commit-config.yaml": ".pre-commit-config.yaml",
}
# Starter files in other languages (site.yml and the message templates), over the English ones.
LANGUAGES = STARTER / "languages"
_EXAMPLES = {
    "en": """\
---
date: {date}
status: resolved
title: Our status page is live
impact: none
components: []
---
This page shows the current status of our services, incidents as they happen, and scheduled
maintenance. Subscribe to the Atom or RSS feed to hear about updates.
""",
    "de": """\
---
date: {date}
status: resolved
title: Unsere Statusseite ist online
impact: none
components: []
---
Diese Seite zeigt den aktuellen Status unserer Dienste, Störungen, sobald sie auftreten, und
geplante Wartungen. Abonnieren Sie den Atom- oder RSS-Feed, um über neue Meldungen informiert zu
werden.
""",
}
_EXAMPLE_TITLES = tuple(f"title: {text.split('title: ')[1].splitlines()[0]}" for text in _EXAMPLES.values())


def starter_languages() -> list[str]:
    """The languages `init --language` writes a starter in."""
    return sorted(["en", *(p.name for p in LANGUAGES.iterdir() if p.is_dir())])


def leftover_example(site_dir: Path) -> Path | None:
    """The example incident `init` wrote, if it is still there unchanged in its first lines."""
    for path in sorted(site_dir.glob("content/incidents/*-status-page-live/01-resolved.md")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if any(title in text for title in _EXAMPLE_TITLES):
            return path.parent
    return None


def requirement(version: str = __version__, direct_url: dict[str, Any] | None = None) -> tuple[str, str]:
    """The requirements.txt line that installs this statusgen in CI, and a note if CI cannot reach it.

    direct_url is how pip recorded this install (PEP 610): absent for an install from a package
    index by name, a git URL and commit for `pip install git+...`, a local path for a checkout or a
    wheel file. Never a bare name for a version that came from elsewhere: whoever registered the
    name on an index would have their code run in every such CI.
    """
    if direct_url is None:
        return f"statusgen=={version}", ""
    url = str(direct_url.get("url", ""))
    vcs = direct_url.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") == "git" and vcs.get("commit_id"):
        return f"statusgen @ git+{url}@{vcs['commit_id']}", ""
    if "archive_info" in direct_url and urlsplit(url).scheme in ("http", "https"):
        return f"statusgen @ {url}", ""
    return (
        f"statusgen @ git+https://github.com/{PLACEHOLDER_OWNER}/statusgen@v{version}",
        f"statusgen was installed from {url or 'a local folder'}, which CI cannot reach: point "
        "this line at a release or a git tag (see Deployment in statusgen's README)",
    )


def installed_requirement() -> tuple[str, str]:
    """requirement() for the statusgen that is running, from its installation's metadata."""
    try:
        recorded = metadata.distribution("statusgen").read_text("direct_url.json")
    except metadata.PackageNotFoundError:  # run from a checkout without installing it
        recorded = "{}"
    try:
        direct_url = json.loads(recorded) if recorded is not None else None
    except ValueError:
        direct_url = {}
    return requirement(__version__, direct_url)


def init_site(target: Path, title: str, now: datetime, language: str = "en") -> list[Path]:
    """Write the starter site into target, in ``language`` (one of ``starter_languages()``: its
    site.yml, message templates and example); refuses if any of its files exists already."""
    planned = {
        target / _destination(path.relative_to(STARTER)): path
        for path in sorted(STARTER.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and LANGUAGES not in path.parents
    }
    own = LANGUAGES / language
    if language != "en":
        planned.update(
            {target / path.relative_to(own): path for path in sorted(own.rglob("*")) if path.is_file()}
        )
    example_day = now.strftime("%Y-%m-%d")
    example = target / "content" / "incidents" / f"{example_day}-status-page-live" / "01-resolved.md"
    existing = [path for path in (*planned, example) if path.exists()]
    if existing:
        raise SiteError(
            [
                Problem(str(path), 0, "already exists; init never overwrites files (choose an empty folder)")
                for path in existing
            ]
        )
    line, _ = installed_requirement()
    values = {"title": json.dumps(title), "version": __version__, "requirement": line}
    for destination, source in planned.items():
        destination.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text(encoding="utf-8")
        if source.name in ("site.yml", "requirements.txt"):
            text = fill(text, values)
        destination.write_text(text, encoding="utf-8")
    example.parent.mkdir(parents=True, exist_ok=True)
    stamp = (now - timedelta(minutes=1)).replace(microsecond=0).isoformat()
    example.write_text(_EXAMPLES[language].format(date=stamp), encoding="utf-8")
    return sorted([*planned, example])


def _destination(relative: Path) -> Path:
    return Path(*(_RENAMES.get(part, part) for part in relative.parts))
