"""Reading a cState site: config.yml systems and categories, and content/issues/*.md.

cState (a Hugo theme) has no update stages: an issue is one text, open until ``resolved: true``.
Each issue becomes an incident with an opening update holding the text, and, once resolved, a
``resolved`` update at ``resolvedWhen``. Severity sets the impact and the affected systems'
state: ``down`` → critical (major outage), ``disrupted`` → major (partial outage), ``notice``
→ none; ``informational: true`` issues never change a system's state, so they get impact none.
"""

from __future__ import annotations

import email.utils
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from generator.content import split_front_matter
from generator.dates import parse_timestamp
from generator.errors import Problem, Problems, SiteError
from generator.importers.source import Batch, SourceComponent, SourceItem, SourceUpdate, defer_impact
from generator.importers.text import convert
from generator.yamlsource import SourceError, YamlList, YamlMap, load_yaml, read_text

PREFIX = "cstate:"
CONFIG_NAMES = ("config.yml", "config.yaml", "hugo.yml", "hugo.yaml")
SEVERITY_IMPACT = {"down": "critical", "disrupted": "major", "notice": "none"}
RESOLVED_BODY = "This issue has been resolved."


def read_cstate(site: Path) -> Batch:
    """Every issue of a cState site; raises SiteError for what cannot be read at all."""
    problems = Problems(site)
    config_path = next((site / name for name in CONFIG_NAMES if (site / name).is_file()), None)
    if config_path is None:
        what = (
            "config.toml is not supported; convert it to config.yml"
            if (site / "config.toml").exists()
            else f"no {' or '.join(CONFIG_NAMES[:2])} here; give the folder of a cState site"
        )
        raise SiteError([Problem(str(site), 0, what)])
    config = _load_config(config_path, problems)
    issues_dir = site / "content" / "issues"
    if not issues_dir.is_dir():
        problems.add(issues_dir, 0, "no content/issues/ folder; give the folder of a cState site")
    problems.raise_if_any()
    batch = Batch(source=str(site))
    zone = _zone(config, config_path, batch)
    batch.components = _systems(config)
    systems = {c.name for c in batch.components}
    others: dict[str, list[str]] = {}  # affected names that are no system -> issues naming them
    for path in sorted(issues_dir.glob("*.md")):
        if path.name.startswith(("_", ".")):
            continue
        item = _issue(path, zone, systems, others, problems, batch)
        if item is not None:
            batch.items.append(item)
    problems.raise_if_any()
    for name, issues in others.items():
        count = f"{len(issues)} issue{'s' if len(issues) > 1 else ''}"
        batch.notes.append(
            f"{issues[0]}: affected {name!r} is not among {config_path.name}'s systems "
            f"(named in {count}); kept in their text as 'Affected: ...', not as a component"
        )
    batch.items.sort(key=lambda item: (item.date, item.key))
    return batch


def _load_config(path: Path, problems: Problems) -> YamlMap:
    try:
        data = load_yaml(read_text(path))
    except SourceError as error:
        problems.add(path, error.line, error.message)
        return YamlMap()
    if not isinstance(data, YamlMap):
        problems.add(path, 1, "a cState config.yml is a mapping of settings")
        return YamlMap()
    return data


def _zone(config: YamlMap, path: Path, batch: Batch) -> tzinfo:
    """Hugo reads a date without an offset in the site's timeZone setting, else in UTC."""
    name = config.get("timeZone") or config.get("timezone")
    if not name:
        return timezone.utc
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        batch.notes.append(f"{path}: unknown timeZone {name!r}; dates without an offset read as UTC")
        return timezone.utc


def _params(config: YamlMap) -> dict[str, Any]:
    params = config.get("params")
    return params if isinstance(params, dict) else {}


def _systems(config: YamlMap) -> list[SourceComponent]:
    """Systems in the order cState shows them: by category, then as listed."""
    params = _params(config)
    categories = [c for c in params.get("categories") or () if isinstance(c, dict) and c.get("name")]
    titled = {str(c["name"]): not c.get("untitled") for c in categories}
    order = {str(c["name"]): index for index, c in enumerate(categories)}
    systems = []
    for index, system in enumerate(params.get("systems") or ()):
        if isinstance(system, str):  # cState before 4.0: a list of names
            system = {"name": system}
        if not isinstance(system, dict) or not system.get("name"):
            continue
        category = str(system.get("category") or "")
        name = " ".join(str(system["name"]).split())
        systems.append(
            (
                order.get(category, len(order)),
                index,
                SourceComponent(
                    PREFIX + name,
                    name,
                    category if titled.get(category, bool(category)) else "",
                    " ".join(str(system.get("description") or "").split()),
                ),
            )
        )
    return [component for _, _, component in sorted(systems, key=lambda s: s[:2])]


def parse_cstate_date(value: object, zone: tzinfo) -> datetime:
    """What Hugo accepts in front matter: ISO 8601 with a one-digit hour, a space for 'T', no
    offset (the site's zone), an offset without a colon; and RFC 1123/822 dates."""
    text = str(value).strip()
    try:
        return parse_timestamp(text, zone)
    except ValueError as error:
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            raise error from None
        return parse_timestamp(parsed if parsed.tzinfo else parsed.replace(tzinfo=zone), zone)


def _issue(
    path: Path,
    zone: tzinfo,
    systems: set[str],
    others: dict[str, list[str]],
    problems: Problems,
    batch: Batch,
) -> SourceItem | None:
    """One issue as an incident; None for a draft, or with a problem for a missing title or date."""
    document = split_front_matter(path, problems)
    if document is None:
        return None
    front, body, _ = document
    where = problems.display(path)
    if front.get("draft") is True:
        batch.skipped.append(f"{where}: a draft (draft: true), which cState does not publish; left out")
        return None
    title = " ".join(str(front.get("title") or "").split())
    if not title:
        problems.add(path, front.line, "missing 'title'")
    opened = _date(front, "date", path, zone, problems)
    if not title or opened is None:
        return None
    impact = _impact(front, where, batch)
    keys, unknown = _affected(front, systems, others, where)
    if unknown:  # cState names them on the issue page (affected is a taxonomy), not as systems
        body = f"Affected: {', '.join(unknown)}\n\n{body.lstrip(chr(10))}"
    key = PREFIX + path.stem
    updates: list[SourceUpdate] = [
        SourceUpdate(
            key=f"{key}/opened",
            date=opened,
            status="investigating",
            body=convert(body, hard_breaks=False),
            title=title,
            impact=impact,
            components=tuple((k, None) for k in keys),
        )
    ]
    if front.get("resolved") is True:
        updates.append(_resolved_update(front, key, opened, path, zone, problems, batch))
    updates = defer_impact(updates, f"{where}: incident {title!r}", batch)
    return SourceItem(key, "incident", title, opened, tuple(updates))


def _impact(front: YamlMap, where: str, batch: Batch) -> str:
    """From the severity; an informational issue changes no system's state, so its impact is none."""
    severity = str(front.get("severity") or "")
    if severity not in SEVERITY_IMPACT:
        batch.notes.append(
            f"{where}:{front.line_of('severity')}: severity {severity or 'missing'!s}; "
            "cState shows it as a notice, imported with impact 'none'"
        )
    return "none" if front.get("informational") is True else SEVERITY_IMPACT.get(severity, "none")


def _affected(
    front: YamlMap, systems: set[str], others: dict[str, list[str]], where: str
) -> tuple[tuple[str, ...], list[str]]:
    """The component keys of the affected systems, and the affected names that are no system.

    Those names are recorded in ``others`` (name -> issues naming it) for one note each.
    """
    affected = front.get("affected")
    names = [" ".join(str(a).split()) for a in affected] if isinstance(affected, YamlList) else []
    unknown = [name for name in names if name not in systems]
    for name in unknown:
        others.setdefault(name, []).append(where)
    return tuple(dict.fromkeys(PREFIX + n for n in names if n in systems)), unknown


def _resolved_update(
    front: YamlMap, key: str, opened: datetime, path: Path, zone: tzinfo, problems: Problems, batch: Batch
) -> SourceUpdate:
    """The closing update of a resolved issue, at resolvedWhen (at its start without a usable one)."""
    resolved = _date(front, "resolvedWhen", path, zone, problems) if front.get("resolvedWhen") else None
    if resolved is None or resolved < opened:
        why = "no resolvedWhen" if resolved is None else "resolvedWhen is before date"
        batch.notes.append(
            f"{problems.display(path)}: resolved but {why}; its resolved update is dated at its start"
        )
        resolved = opened
    return SourceUpdate(key=f"{key}/resolved", date=resolved, status="resolved", body=RESOLVED_BODY + "\n")


def _date(front: YamlMap, key: str, path: Path, zone: tzinfo, problems: Problems) -> datetime | None:
    value = front.get(key)
    if value is None:
        problems.add(path, front.line, f"missing {key!r}")
        return None
    try:
        return parse_cstate_date(value, zone)
    except ValueError as error:
        problems.add(path, front.line_of(key), f"{key!r}: {error}")
        return None
