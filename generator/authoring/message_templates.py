"""Message templates: pre-approved wording for each incident stage, in content/templates/.

A template is Markdown with front matter (its kind, status and defaults, and who approved it)
and ``{placeholders}`` that ``statusgen new`` fills by plain substitution: a template can never
run code, and a value that looks like a placeholder comes out literally.

Approval is tied to the template's exact wording by a version hash, so a template edited after
its approval counts as unapproved until it is approved again.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from generator.config import SiteConfig
from generator.content import inside_site, split_front_matter
from generator.errors import Problem, Problems, one_of
from generator.model import IMPACTS, INCIDENT_STATUSES, MAINTENANCE_STATUSES, Kind, Site
from generator.yamlsource import YamlMap

TEMPLATES_DIR = Path("content") / "templates"
PLACEHOLDERS = {
    "title": "the incident's or window's title",
    "components": "names of the affected components, comma separated",
    "impact": "the impact (Minor, Major, ...)",
    "status": "the update's status (Investigating, ...)",
    "date": "the update's time",
    "start": "when the incident started, or the maintenance window starts",
    "end": "when the maintenance window ends",
    "next_update": "the update's time plus 30 minutes",
    "site": "the status page's title",
}
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_PLACEHOLDER_LIKE = re.compile(r"\{\s*([A-Za-z_][\w-]*)\s*\}")
_APPROVAL_KEYS = ("approved_by", "approved_on", "approved_version", "approvals")
_KEYS = ("kind", "status", "impact", "audience", "description", *_APPROVAL_KEYS)


@dataclass(frozen=True)
class RoleApproval:
    """One role's sign-off (templates.approvers), tied to the wording it saw."""

    role: str
    by: str
    on: date
    version: str


@dataclass(frozen=True)
class MessageTemplate:
    name: str
    source: str  # site-relative path, for messages
    kind: Kind
    status: str
    impact: str | None
    audiences: tuple[str, ...]  # who its updates are for (front matter audience:); empty: everyone
    body: str
    version: str  # hash of everything but the approval itself
    approved_by: str | None = None
    approved_on: date | None = None
    approved_version: str | None = None
    approvals: tuple[RoleApproval, ...] = ()  # per role, with templates.approvers

    @property
    def approved(self) -> bool:
        return bool(self.approved_by and self.approved_on and self.approved_version == self.version)


def fill(text: str, values: dict[str, str]) -> str:
    """Replace known ``{placeholders}`` in one pass; everything else stays as written."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def template_version(front: dict[str, object], body: str) -> str:
    wording = {k: str(v) for k, v in front.items() if k not in (*_APPROVAL_KEYS, "description")}
    return hashlib.sha256((json.dumps(wording, sort_keys=True) + "\n" + body).encode()).hexdigest()[:12]


def load_templates(site_dir: Path, config: SiteConfig, problems: Problems) -> dict[str, MessageTemplate]:
    """Every template in content/templates/, validated; problems for each mistake."""
    folder = site_dir / TEMPLATES_DIR
    templates: dict[str, MessageTemplate] = {}
    if not folder.is_dir():
        return templates
    if not inside_site(folder, site_dir, problems):
        return templates
    for path in sorted(folder.glob("*.md")):
        if not inside_site(path, site_dir, problems):
            continue
        document = split_front_matter(path, problems)
        if document is not None:
            template = _template(path, *document, config, problems)
            if template:
                templates[template.name] = template
    return templates


def _template(
    path: Path, front: YamlMap, body: str, body_line: int, config: SiteConfig, problems: Problems
) -> MessageTemplate | None:
    """One template file; None if it has any mistake (each one a problem)."""
    before = len(problems.items)
    _unknown_key_problems(path, front, problems)
    kind = _kind(path, front, problems)
    status = _status(path, front, kind, problems)
    _default_problems(path, front, config, problems)
    _placeholder_problems(path, body, body_line, problems)
    approved_on = _approved_on(path, front, problems)
    approvals = role_approvals(path, front, problems)
    if len(problems.items) != before:
        return None
    template = MessageTemplate(
        name=path.stem,
        source=problems.display(path),
        kind=kind,
        status=status,
        impact=_optional(front, "impact"),
        audiences=_audiences(front),
        body=body,
        version=template_version(front, body),
        approved_by=_optional(front, "approved_by"),
        approved_on=approved_on,
        approved_version=_optional(front, "approved_version"),
    )
    return _with_roles(template, approvals, config.approvers)


def _unknown_key_problems(path: Path, front: YamlMap, problems: Problems) -> None:
    for key in front:
        if key not in _KEYS:
            problems.add(path, front.line_of(key), one_of(key, _KEYS, "template key"))


def _kind(path: Path, front: YamlMap, problems: Problems) -> Kind:
    """The kind of update the template is for; 'incident' if not given (or not valid)."""
    kind = str(front.get("kind", "incident"))
    if kind == "maintenance":
        return "maintenance"
    if kind != "incident":
        problems.add(path, front.line_of("kind"), one_of(kind, ("incident", "maintenance"), "kind"))
    return "incident"


def _status(path: Path, front: YamlMap, kind: Kind, problems: Problems) -> str:
    """The stage the template is for; the kind's first stage if not given."""
    statuses = INCIDENT_STATUSES if kind == "incident" else MAINTENANCE_STATUSES
    status = str(front.get("status", statuses[0]))
    if status not in statuses:
        problems.add(path, front.line_of("status"), one_of(status, statuses, "status"))
    return status


def _default_problems(path: Path, front: YamlMap, config: SiteConfig, problems: Problems) -> None:
    """The impact and audience a template gives its updates must be ones the site knows."""
    impact = front.get("impact")
    if impact is not None and impact not in IMPACTS:
        problems.add(path, front.line_of("impact"), one_of(impact, IMPACTS, "impact"))
    audience = front.get("audience")
    if audience is None:
        return
    listed = audience if isinstance(audience, list) else [audience]
    if not listed or not all(isinstance(a, str) for a in listed):
        problems.add(path, front.line_of("audience"), "'audience' must be an audience id or a list of ids")
        return
    for name in listed:
        if config.audience(name) is None:
            problems.add(
                path, front.line_of("audience"), one_of(name, [a.id for a in config.audiences], "audience")
            )


def _placeholder_problems(path: Path, body: str, body_line: int, problems: Problems) -> None:
    """Every ``{word}`` in the body must be a known placeholder, written exactly so.

    ``fill`` leaves anything else as written, so a misspelt placeholder would reach readers.
    """
    known = [f"{{{name}}}" for name in PLACEHOLDERS]
    for offset, line in enumerate(body.split("\n")):
        for match in _PLACEHOLDER_LIKE.finditer(line):
            if match.group(0) not in known:
                problems.add(path, body_line + offset, one_of(match.group(0), known, "placeholder"))


def _approved_on(path: Path, front: YamlMap, problems: Problems) -> date | None:
    approved_on = front.get("approved_on")
    if approved_on is None:
        return None
    try:
        return date.fromisoformat(str(approved_on))
    except ValueError:
        problems.add(path, front.line_of("approved_on"), "'approved_on' must be a date like 2026-11-27")
        return None


def _audiences(front: YamlMap) -> tuple[str, ...]:
    audience = front.get("audience")
    listed = audience if isinstance(audience, list) else [audience] if audience else []
    return tuple(dict.fromkeys(str(a) for a in listed))


def _optional(front: YamlMap, key: str) -> str | None:
    """A key's value as text; None if it is missing or empty."""
    return str(front[key]) if front.get(key) else None


def approval_problems(site: Site, templates: dict[str, MessageTemplate], problems: Problems) -> None:
    """With templates.require_approval: unapproved templates, and updates written from them."""
    if not site.config.require_approval:
        return
    for template in templates.values():
        if site.config.approvers:
            _role_problems(template, site.config.approvers, problems)
        elif not (template.approved_by and template.approved_on):
            problems.add(
                template.source,
                1,
                f"template {template.name!r} is not approved; after review, "
                f"run: statusgen approve {template.name} --by 'NAME'",
            )
        elif not template.approved:
            who = f"{template.approved_by} approved it on {template.approved_on}"
            problems.add(
                template.source,
                1,
                f"template {template.name!r} changed since {who}; after "
                f"review, run: statusgen approve {template.name} --by 'NAME'",
            )
    for incident in site.items:
        for update in incident.updates:
            used = templates.get(update.template or "")
            if used is None or not used.approved or update.template_version == used.approved_version:
                continue  # renamed or since-edited templates are reported above, once
            if used.approved_on and update.date.date() > used.approved_on:
                problems.add(
                    update.source,
                    1,
                    f"written from template {used.name!r} as it was before "
                    f"its approval on {used.approved_on}; check the wording",
                )


def role_approvals(path: Path, front: YamlMap, problems: Problems) -> tuple[RoleApproval, ...]:
    """``approvals:`` as ``statusgen approve --role`` writes it: role: {by, on, version}."""
    value = front.get("approvals")
    if value is None:
        return ()
    if not isinstance(value, YamlMap):
        problems.add(path, front.line_of("approvals"), "'approvals' must map each role to {by, on, version}")
        return ()
    approvals = []
    for role, entry in value.items():
        line = value.line_of(role)
        on = _approval_date(entry)
        if not isinstance(entry, YamlMap) or on is None:
            problems.add(
                path, line, f"approval of {role!r} must have by, on (a date) and version; re-run approve"
            )
            continue
        approvals.append(RoleApproval(str(role), str(entry["by"]), on, str(entry["version"])))
    return tuple(approvals)


def _approval_date(entry: object) -> date | None:
    if not isinstance(entry, YamlMap) or set(entry) != {"by", "on", "version"}:
        return None
    try:
        return date.fromisoformat(str(entry["on"]))
    except ValueError:
        return None


def _with_roles(
    template: MessageTemplate, approvals: tuple[RoleApproval, ...], roles: tuple[str, ...]
) -> MessageTemplate:
    """With templates.approvers, a template is approved when every role approved this wording."""
    if not roles:
        return replace(template, approvals=approvals)
    current = {a.role: a for a in approvals if a.role in roles and a.version == template.version}
    if len(current) < len(roles):
        return replace(
            template, approvals=approvals, approved_by=None, approved_on=None, approved_version=None
        )
    return replace(
        template,
        approvals=approvals,
        approved_by=", ".join(f"{current[role].by} ({role})" for role in roles),
        approved_on=max(a.on for a in current.values()),
        approved_version=template.version,
    )


def missing_roles(template: MessageTemplate, roles: tuple[str, ...]) -> list[str]:
    """The roles whose approval of the template's current wording is missing."""
    signed = {a.role for a in template.approvals if a.version == template.version}
    return [role for role in roles if role not in signed]


def _role_problems(template: MessageTemplate, roles: tuple[str, ...], problems: Problems) -> None:
    missing = missing_roles(template, roles)
    if not missing:
        return
    earlier = [
        f"{a.role} approved an earlier wording on {a.on}" for a in template.approvals if a.role in missing
    ]
    problems.add(
        template.source,
        1,
        f"template {template.name!r} needs approval by {', '.join(missing)}"
        + (f" ({'; '.join(earlier)})" if earlier else "")
        + f"; after review, run: statusgen approve {template.name} --by 'NAME' --role {missing[0]}",
    )


def unapproved_updates(site: Site) -> list[Problem]:
    """Updates written with ``new --unapproved``: valid and published, listed for review afterwards."""
    return [
        Problem(
            update.source,
            1,
            f"written from unapproved template {update.template or '(none)'!r} "
            f"(reason: {update.unapproved_reason}); review the wording after the incident, "
            "then delete the 'unapproved_reason' line",
        )
        for item in site.items
        for update in item.updates
        if update.unapproved_reason
    ]
