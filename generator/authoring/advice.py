"""Warnings about a site's setup: things that build fine but are probably not what the user meant.

They never fail a build or a check (a status update must always be publishable); the CLI prints
them as ``path:line: warning: message``.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from generator import __version__
from generator.authoring.scaffold import PLACEHOLDER_OWNER, STARTER
from generator.config import CONFIG_NAME, SiteConfig
from generator.errors import Problem
from generator.notify.channels import secret_warnings
from generator.render.theme import site_tables
from generator.yamlsource import SourceError, YamlList, YamlMap, load_yaml, read_text

REQUIREMENTS = "requirements.txt"
# pip's own rule: a comment starts at a '#' at the start of a line or after whitespace
# (so a URL fragment such as #egg=statusgen is not a comment).
_COMMENT = re.compile(r"(^|\s)#.*$")
_TAG_VERSION = re.compile(r"^v?(\d+(?:\.\d+)*(?:(?:a|b|rc|\.post|\.dev)\d+)*)$")
_FILE_VERSION = re.compile(r"^statusgen-([^-]+?)(?:-[^-]+){0,4}\.(?:whl|tar\.gz|zip)$", re.IGNORECASE)


def setup_warnings(site_dir: Path, config: SiteConfig, running: str = __version__) -> list[Problem]:
    """Every warning about the site's setup, sorted like problems."""
    channels = {audience.id: audience.notify for audience in config.audiences}
    return sorted(
        [
            *placeholder_urls(site_dir, config),
            *requirement_warnings(site_dir, running),
            *secret_warnings(channels, CONFIG_NAME),
            *site_tables(config, site_dir).warnings,  # languages without a table, phrases missing
        ]
    )


def starter_placeholders() -> set[str]:
    """The base URLs the starter site.yml ships with (read from it, so the two cannot drift)."""
    text = (STARTER / CONFIG_NAME).read_text(encoding="utf-8")
    return {_slashed(url) for url in re.findall(r"^\s*base_url:\s*(\S+)", text, re.MULTILINE)}


def placeholder_urls(site_dir: Path, config: SiteConfig) -> list[Problem]:
    """base_url values still at the starter's placeholders: feeds and canonical links go nowhere."""
    placeholders = starter_placeholders()
    found = [(key_line, url) for key_line, url in _base_url_lines(site_dir) if _slashed(url) in placeholders]
    return [
        Problem(
            CONFIG_NAME,
            line,
            f"base_url is still the starter's placeholder {url}; feed links, "
            "canonical URLs and the API point there until you set where "
            "this tree is published",
        )
        for line, url in found
    ]


def _base_url_lines(site_dir: Path) -> list[tuple[int, str]]:
    """(line, value) of the site's base_url and of each audience's, as written in site.yml."""
    try:
        data = load_yaml(read_text(site_dir / CONFIG_NAME))
    except (OSError, SourceError):
        return []
    if not isinstance(data, YamlMap):
        return []
    mappings = [data]
    if isinstance(data.get("audiences"), YamlList):
        mappings += [item for item in data["audiences"] if isinstance(item, YamlMap)]
    return [(m.line_of("base_url"), m["base_url"]) for m in mappings if isinstance(m.get("base_url"), str)]


def _slashed(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def requirement_warnings(site_dir: Path, running: str = __version__) -> list[Problem]:
    """A requirements.txt that installs another statusgen in CI than the one running here."""
    path = site_dir / REQUIREMENTS
    try:
        text = read_text(path)
    except (OSError, SourceError):
        return []
    warnings = []
    for line, requirement in statusgen_requirements(text):
        if requirement.url and PLACEHOLDER_OWNER in requirement.url:
            warnings.append(
                Problem(
                    REQUIREMENTS,
                    line,
                    f"still points at the placeholder repository "
                    f"{PLACEHOLDER_OWNER}/statusgen: point it at the "
                    "release or git tag you install statusgen from",
                )
            )
            continue
        named = named_version(requirement)
        if named is not None and not _matches(named, running):
            warnings.append(
                Problem(
                    REQUIREMENTS,
                    line,
                    f"installs statusgen {named} in CI, but this is "
                    f"statusgen {running}: CI would build with another "
                    "version than the one you check with here",
                )
            )
    return warnings


def statusgen_requirements(text: str) -> list[tuple[int, Requirement]]:
    """(line, requirement) for each line of a requirements file that names statusgen."""
    found = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = _COMMENT.sub("", raw).strip()
        if not line or line.startswith("-"):  # options such as -r, -e, --index-url
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if canonicalize_name(requirement.name) == "statusgen":
            found.append((number, requirement))
    return found


def named_version(requirement: Requirement) -> str | None:
    """The version a requirement pins: ==X, a git URL's @tag, or a wheel/sdist file name.

    None when it does not say (a branch, a commit, a range that the running version is in is
    handled by the caller through the specifier).
    """
    if requirement.url:
        parts = urlsplit(requirement.url)
        if parts.scheme.startswith("git+") or parts.path.endswith(".git"):
            ref = parts.path.rpartition("@")[2] if "@" in parts.path else ""
            match = _TAG_VERSION.match(ref)
            return match.group(1) if match else None
        match = _FILE_VERSION.match(parts.path.rpartition("/")[2])
        return match.group(1) if match else None
    specifier = str(requirement.specifier)
    return specifier or None


def _matches(named: str, running: str) -> bool:
    """Whether a named version (or a specifier such as ==0.1.0 or >=0.2) admits the running one."""
    try:
        if named[0].isdigit():
            return Version(named) == Version(running)
        return SpecifierSet(named).contains(running, prereleases=True)
    except (InvalidVersion, InvalidSpecifier):
        return True  # cannot tell: say nothing rather than something wrong
