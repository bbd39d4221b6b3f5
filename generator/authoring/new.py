"""Writing new update files from message templates (`statusgen new`), and approving templates.

Everything the command line gets wrong is reported as problems before a file is written, and
every file written is read back by the same validation as a build.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

import yaml
from slugify import slugify as transliterated_slug

from generator.audience import everyone, readers_of
from generator.authoring.message_templates import (
    MessageTemplate,
    fill,
    load_templates,
)
from generator.authoring.prompts import Ask, answer_prompts
from generator.config import SLUG, SiteConfig, load_config
from generator.content import CONTENT_DIRS, Folder, load_folder, split_front_matter
from generator.dates import human_time, iso, parse_timestamp
from generator.errors import Problem, Problems, SiteError, one_of
from generator.i18n import Translator
from generator.markup import TODO, render_markdown
from generator.model import IMPACTS, INCIDENT_STATUSES, KIND_DIRS, MAINTENANCE_STATUSES, Item, Kind
from generator.render.theme import site_tables


@dataclass
class Request:
    """What `statusgen new` was asked for; None means "not given"."""

    kind: Kind
    incident_id: str | None = None  # for a further update
    status: str | None = None
    title: str | None = None
    impact: str | None = None
    components: str | None = None  # comma separated ids
    starts: str | None = None
    ends: str | None = None
    date: str | None = None
    template: str | None = None
    audience: str | None = None
    reopen: bool = False  # a resolved incident is open again (reopened: true)
    amend: bool = False  # a correction note to a resolved incident, which stays resolved
    unapproved: bool = False  # the emergency exit: use an unapproved template, saying why
    reason: str | None = None
    answers: dict[str, str] = field(default_factory=dict)  # --set NAME=TEXT: prompts answered
    ask: Ask | None = None  # on a terminal: asks the writer each prompt not answered by --set
    # on a terminal: shows the update (front matter, body) and says whether to write it
    confirm: Callable[[dict[str, object], str], bool] | None = None
    keep_optional: bool = False  # --edit: optional prompts stay for the editor


@dataclass(frozen=True)
class Written:
    path: Path
    notes: list[str]  # what the writer should know: a held date, a look-alike incident


def create(site_dir: Path, request: Request, now: datetime) -> Written:
    """Write the new update file; raises SiteError before writing anything."""
    problems = Problems(site_dir)
    config = load_config(site_dir, problems)
    problems.raise_if_any()
    assert config is not None
    templates = load_templates(site_dir, config, problems)
    problems.raise_if_any()
    current = _current(site_dir, request, config, problems) if request.incident_id else None
    problems.raise_if_any()  # without the incident, nothing else can be judged
    moment = _when(request.date, "--date", config, problems) or _after_latest(now, current)
    kind = current.kind if current else request.kind
    status = _status(request, kind, problems)
    template = _template(request, kind, status, templates, config, problems)
    fields = _fields(request, kind, template, current, config, problems)
    fields.update(_lifecycle_fields(request, current, status, moment, config, problems))
    exit_fields = _unapproved_field(request, template, config, problems)
    problems.raise_if_any()
    folder, twin = _folder(site_dir, kind, request, current, fields, moment, config)
    path = _free_path(folder, f"{_local(moment, config).strftime('%Y-%m-%dT%H%M')}-{status}")
    front = {"date": _local(moment, config).isoformat(timespec="seconds"), "status": status, **fields}
    words = site_tables(config, site_dir).translator(config.language)  # content's language: the site's
    values = _placeholders(config, kind, status, moment, front, current, words)
    if template:
        front["template"] = template.name
        front["template_version"] = template.version
    front.update(exit_fields)
    body = fill(template.body, values) if template else f"{TODO} write the update for customers here]\n"
    body = answer_prompts(body, request.answers, request.ask, problems, request.keep_optional)
    problems.raise_if_any()
    if request.confirm and not request.confirm(front, body):
        raise SiteError([Problem("new", 0, "not written, as you asked")])
    _write_checked(path, front, body, kind, config, site_dir)
    notes = []
    if moment > now:
        notes.append(
            f"dated {human_time(moment, config.timezone)}, after now: check, build and serve hold "
            "it back until then"
        )
    if twin:
        notes.append(
            f"content/{twin.parent.name}/{twin.name} has the same title and day; if this is the "
            f"same {kind}, delete this new one and use: statusgen new update {twin.name}"
        )
    return Written(path, notes)


def _current(site_dir: Path, request: Request, config: SiteConfig, problems: Problems) -> Item | None:
    """The incident or window an update is added to, as its files say now."""
    incident_id = request.incident_id or ""
    for dirname, kind in CONTENT_DIRS.items():
        folder = site_dir / "content" / dirname / incident_id
        if SLUG.match(incident_id) and folder.is_dir():
            files = tuple(sorted(f for f in folder.glob("*.md")))
            # Prompts not answered yet are for check to report; they must not stop the next update.
            found = Folder(kind, incident_id, folder, files)
            incident, found_problems = load_folder(found, config, site_dir, allow_prompts=True)
            problems.extend(found_problems)
            return incident
    known = sorted(p.name for d in CONTENT_DIRS for p in (site_dir / "content" / d).glob("*") if p.is_dir())
    problems.add("incident-id", 0, one_of(incident_id, known[-20:], "incident or maintenance id"))
    return None


def _after_latest(now: datetime, current: Item | None) -> datetime:
    """Now, in whole seconds; one second later if the latest update has this very second
    (a tie would sort by file name). An update prepared for later does not move it."""
    now = now.replace(microsecond=0)
    if current and any(update.date == now for update in current.updates):
        return now + timedelta(seconds=1)
    return now


def _when(text: str | None, option: str, config: SiteConfig, problems: Problems) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_timestamp(text, config.timezone)
    except ValueError as error:
        problems.add(option, 0, str(error))
        return None


def _status(request: Request, kind: Kind, problems: Problems) -> str:
    statuses = INCIDENT_STATUSES if kind == "incident" else MAINTENANCE_STATUSES
    status = request.status or statuses[0]
    if status not in statuses:
        problems.add("--status", 0, one_of(status, statuses, f"{kind} status"))
    return status


def _template(
    request: Request,
    kind: Kind,
    status: str,
    templates: dict[str, MessageTemplate],
    config: SiteConfig,
    problems: Problems,
) -> MessageTemplate | None:
    """The template asked for, or the site's template for this stage (named after the status)."""
    if request.amend and not request.template:  # a correction is not the resolution's wording again
        return None
    name = request.template or _stage_template(request, kind, status, templates)
    template = templates.get(name)
    if template is None:
        if request.template:
            problems.add("--template", 0, one_of(name, sorted(templates), "template"))
        return None
    if template.kind != kind:
        problems.add("--template", 0, f"template {name!r} is for {template.kind} updates, not {kind} updates")
    elif template.status != status:
        problems.add(
            "--template",
            0,
            f"template {name!r} is for status {template.status!r}, not {status!r}; "
            + _status_hint(request, kind, status, template.status),
        )
    if config.require_approval and not template.approved and not request.unapproved:
        problems.add(
            template.source,
            1,
            f"template {name!r} is not approved as it stands; "
            "it needs approval before use (statusgen approve), or in an emergency: "
            "--unapproved --reason 'WHY'",
        )
    return template


def _lifecycle_fields(
    request: Request,
    current: Item | None,
    status: str,
    moment: datetime,
    config: SiteConfig,
    problems: Problems,
) -> dict[str, object]:
    """Guard rails after 'resolved': another update needs --reopen (open again) or --amend (a
    correction note, still resolved); ``reopened: true`` for a reopening."""
    option = "--reopen" if request.reopen else "--amend" if request.amend else ""
    if request.reopen and request.amend:
        problems.add("--amend", 0, "use --reopen (the problem is back) or --amend (a correction), not both")
        return {}
    if current is None or current.kind != "incident":
        if option:
            problems.add(option, 0, f"{option} is for an update to a resolved incident")
        return {}
    before = [update for update in current.updates if update.date <= moment]
    resolution = before[-1] if before and before[-1].status == "resolved" else None
    if resolution is None:
        if option:
            latest = f" (its latest update is {before[-1].status!r})" if before else ""
            problems.add(option, 0, f"incident {current.id!r} is not resolved{latest}; leave out {option}")
        return {}
    resolved = f"resolved by {Path(resolution.source).name} ({human_time(resolution.date, config.timezone)})"
    if request.reopen and status == "resolved":
        problems.add(
            "--status",
            0,
            "--reopen opens the incident again: give the status it is at, like --status identified",
        )
    elif request.amend and status != "resolved":
        problems.add(
            "--status",
            0,
            "--amend adds a correction and keeps the incident resolved: use --status resolved "
            "(or --reopen if the problem is back)",
        )
    elif not option:
        problems.add(
            "--status",
            0,
            f"incident {current.id!r} is already {resolved}; "
            + (
                "to correct or add to the resolution note use --amend; if the problem is back use "
                "--reopen with its status"
                if status == "resolved"
                else f"if the problem is back, add --reopen to open it again as {status!r}"
            ),
        )
    return {"reopened": True} if request.reopen else {}


def _unapproved_field(
    request: Request, template: MessageTemplate | None, config: SiteConfig, problems: Problems
) -> dict[str, object]:
    """The emergency exit: ``unapproved_reason`` records why an unapproved template was used."""
    if not request.unapproved:
        if request.reason is not None:
            problems.add("--reason", 0, "--reason goes with --unapproved (using an unapproved template)")
        return {}
    reason = " ".join((request.reason or "").split())
    if not reason:
        problems.add("--reason", 0, "--unapproved needs --reason 'WHY' (kept in the file for the review)")
    if template is None or not config.require_approval or template.approved:
        return {}  # nothing unapproved is used: nothing to review
    return {"unapproved_reason": reason}


def _status_hint(request: Request, kind: Kind, status: str, wanted: str) -> str:
    """How to use a template of another stage."""
    if request.incident_id or kind == "incident":
        return f"use --status {wanted} or another template"
    return (
        f"a maintenance window starts as {status!r}: use a template for that stage, then add the "
        f"{wanted!r} update with `statusgen new update ID --status {wanted}`"
    )


def _stage_template(request: Request, kind: Kind, status: str, templates: dict[str, MessageTemplate]) -> str:
    """The template named after the stage; for an incident of a given impact, the one named after
    stage and impact (`investigating-critical`) if the site has it."""
    name = status if kind == "incident" else f"maintenance-{status}"
    impact = request.impact
    if kind == "incident" and impact and f"{name}-{impact}" in templates:
        return f"{name}-{impact}"
    return name


def _fields(
    request: Request,
    kind: Kind,
    template: MessageTemplate | None,
    current: Item | None,
    config: SiteConfig,
    problems: Problems,
) -> dict[str, object]:
    """Front matter keys besides date and status, each checked as a build would.

    A first update (``current`` is None) must give what starts an incident or window; a later
    one gives only what it changes. The keys come in the order the file shows them.
    """
    first = current is None
    impact = request.impact or (template.impact if template and first else None)
    return {
        **_title_field(request, first, problems),
        **_impact_field(request, kind, impact, first, problems),
        **_components_field(request, kind, impact, first, config, problems),
        **(_window_fields(request, first, config, problems) if kind == "maintenance" else {}),
        **_audience_field(request, template, config, problems),
    }


def _title_field(request: Request, first: bool, problems: Problems) -> dict[str, object]:
    if request.title is None and not first:
        return {}
    title = (request.title or "").strip()
    if not title:
        problems.add("--title", 0, "a new incident or maintenance window needs --title")
    return {"title": title}


def _impact_field(
    request: Request, kind: Kind, impact: str | None, first: bool, problems: Problems
) -> dict[str, object]:
    """An incident's impact (``impact``: asked for, or the template's); a window has none."""
    if kind == "maintenance":
        if request.impact:
            problems.add("--impact", 0, "maintenance windows have no impact; leave out --impact")
        return {}
    if impact is None and not first:
        return {}
    if impact is None:
        problems.add("--impact", 0, f"a new incident needs --impact ({', '.join(IMPACTS)})")
    elif impact not in IMPACTS:
        problems.add("--impact", 0, one_of(impact, IMPACTS, "impact"))
    return {"impact": impact}


def _components_field(
    request: Request, kind: Kind, impact: str | None, first: bool, config: SiteConfig, problems: Problems
) -> dict[str, object]:
    """The component ids; a first update names at least one, unless it is an incident of impact none."""
    if request.components is None and not first:
        return {}
    ids = _id_list(request.components)
    for component_id in ids:
        if component_id not in config.component_ids:
            problems.add("--components", 0, one_of(component_id, sorted(config.component_ids), "component"))
    if first and not ids and not (kind == "incident" and impact == "none"):
        problems.add("--components", 0, "name the affected components, like --components api,web")
    return {"components": ids}


def _id_list(text: str | None) -> list[str]:
    """'api, web,' -> ['api', 'web']."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _window_fields(
    request: Request, first: bool, config: SiteConfig, problems: Problems
) -> dict[str, object]:
    """A maintenance window's starts and ends, in the site's time zone; a first update gives both."""
    fields: dict[str, object] = {}
    window = {}
    for option, key in (("--starts", "starts"), ("--ends", "ends")):
        value = getattr(request, key)
        moment = _when(value, option, config, problems)
        if first and value is None:
            problems.add(option, 0, f"a new maintenance window needs {option}")
        if moment:
            window[key] = moment
            fields[key] = _local(moment, config).isoformat(timespec="seconds")
    if len(window) == 2 and window["ends"] <= window["starts"]:
        problems.add("--ends", 0, "the window must end after it starts")
    return fields


def _audience_field(
    request: Request, template: MessageTemplate | None, config: SiteConfig, problems: Problems
) -> dict[str, object]:
    """The audiences asked for (comma separated), or the template's; none: visible to every
    audience. One audience is written as its id, several as a list, as a writer would."""
    if request.audience is not None:
        ids = list(dict.fromkeys(part for part in re.split(r"[,\s]+", request.audience) if part))
        if not ids:  # fail closed: an empty list (unset variables?) must not make it public
            problems.add("--audience", 0, "no audience id given; write e.g. --audience strategic")
        for audience in ids:
            if config.audience(audience) is None:
                problems.add("--audience", 0, one_of(audience, [a.id for a in config.audiences], "audience"))
    else:
        ids = list(template.audiences) if template else []
    if not ids:
        return {}
    return {"audience": ids[0] if len(ids) == 1 else ids}


def _folder(
    site_dir: Path,
    kind: Kind,
    request: Request,
    current: Item | None,
    fields: dict[str, object],
    moment: datetime,
    config: SiteConfig,
) -> tuple[Path, Path | None]:
    """The folder to write in, and the folder of a look-alike (same title and day) if one is there."""
    dirname = KIND_DIRS[kind]
    if current:
        return site_dir / "content" / dirname / current.id, None
    day = _local(
        moment if kind == "incident" else parse_timestamp(str(fields["starts"]), config.timezone), config
    ).strftime("%Y-%m-%d")
    base = f"{day}-{slugify(str(fields['title']))}"[:60].rstrip("-")
    folder = site_dir / "content" / dirname / base
    number, twin = 2, None
    while folder.exists():
        # Two titles can share a slug (punctuation, a transliteration): the titles decide.
        if twin is None and _same_title(folder, str(fields["title"])):
            twin = folder
        folder, number = site_dir / "content" / dirname / f"{base}-{number}", number + 1
    return folder, twin


def _same_title(folder: Path, title: str) -> bool:
    """Whether the incident or window in ``folder`` has this title (its latest, as written)."""
    written = None
    for path in sorted(folder.glob("*.md")):
        document = split_front_matter(path, Problems(folder))
        if document and isinstance(document[0].get("title"), str):
            written = document[0]["title"]
    return written is not None and " ".join(written.casefold().split()) == " ".join(title.casefold().split())


_SLUG_LENGTH = 60  # with the date in front, well within MAX_ID_LENGTH


def slugify(text: str) -> str:
    """ASCII, lowercase, dashes: 'Élevated API errors (EU)' -> 'elevated-api-errors-eu'."""
    # Transliterated, so 'Διακοπή API' -> 'diakope-api' and 'Сбой оплаты' -> 'sboi-oplaty'.
    slug = re.sub(r"[^a-z0-9]+", "-", transliterated_slug(text)).strip("-")
    if len(slug) > _SLUG_LENGTH:  # ids have a length limit; cut at a word where there is one
        cut = slug[: _SLUG_LENGTH + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut[:_SLUG_LENGTH] else cut[:_SLUG_LENGTH]
    return slug or "incident"


def _free_path(folder: Path, stem: str) -> Path:
    path, number = folder / f"{stem}.md", 2
    while path.exists():
        path, number = folder / f"{stem}-{number}.md", number + 1
    return path


def _local(moment: datetime, config: SiteConfig) -> datetime:
    return moment.astimezone(config.timezone)


def _time_element(moment: datetime, zone: tzinfo, t: Translator) -> str:
    """A time written into an update's text: in the site's zone, labelled, and in a ``<time>``
    element so that the reader's-time-zone script converts it like every other time."""
    return f'<time datetime="{iso(moment)}">{t.when(moment, zone)}</time>'


def _placeholders(
    config: SiteConfig,
    kind: Kind,
    status: str,
    moment: datetime,
    front: dict[str, object],
    current: Item | None,
    t: Translator,
) -> dict[str, str]:
    """Values for a template's placeholders, from the new file and the incident so far: only
    from the updates that every reader of the new file may read, or a restricted update's
    title, components or times would be copied into text its readers do not include."""
    audience = front.get("audience")
    listed = audience if isinstance(audience, list) else [audience] if audience else []
    readers = readers_of(config, [str(a) for a in listed]) if listed else everyone(config)
    seen = [update for update in (current.updates if current else ()) if readers <= update.readers]

    def latest(key: str) -> object:
        if key in front:
            return front[key]
        for update in reversed(seen):
            value = getattr(update, key)
            if value is not None:
                return value if key != "components" else [cid for cid, _ in value]
        return None

    def every_component() -> list[object]:  # once it is over: everything it affected
        named = [cid for update in seen for cid, _ in update.components or ()]
        return list(dict.fromkeys([*named, *_as_list(front.get("components"))]))

    names = {c.id: c.name for c in config.components}
    zone = config.timezone
    starts, ends = latest("starts"), latest("ends")
    components = every_component() if status in ("resolved", "completed") else _as_list(latest("components"))
    start = seen[0].date if seen and kind == "incident" else moment
    return {
        "title": str(latest("title") or ""),
        "components": t.join([names.get(str(c), str(c)) for c in components]),
        "impact": t(f"impact.{latest('impact')}") if latest("impact") in IMPACTS else "",
        "status": t(f"status.{status}"),
        "date": _time_element(moment, zone, t),
        "start": _time_element(_as_time(starts, config) if starts else start, zone, t),
        "end": _time_element(_as_time(ends, config), zone, t) if ends else "",
        "next_update": _time_element(moment + timedelta(minutes=30), zone, t),
        "site": config.title,
    }


def _as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, (list, tuple)) else []


def _as_time(value: object, config: SiteConfig) -> datetime:
    return value if isinstance(value, datetime) else parse_timestamp(str(value), config.timezone)


def _write_checked(
    path: Path, front: dict[str, object], body: str, kind: Kind, config: SiteConfig, site_dir: Path
) -> None:
    """Write the file, then read its folder back; a file that would break the build is removed."""
    text = "---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1000) + "---\n" + body
    new_folders = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    problems = folder_problems(path.parent, kind, config, site_dir, allow_prompts=True)
    if problems:
        path.unlink()
        for folder in new_folders:  # innermost first, all empty now
            folder.rmdir()
        raise SiteError(problems)


def folder_problems(
    folder: Path, kind: Kind, config: SiteConfig, site_dir: Path, allow_prompts: bool = False
) -> list[Problem]:
    """What a build would say about one incident's or window's folder."""
    files = tuple(sorted(folder.glob("*.md")))
    found = Folder(kind, folder.name, folder, files)
    return load_folder(found, config, site_dir, render=render_markdown, allow_prompts=allow_prompts)[1]


def check_written(path: Path, site_dir: Path) -> None:
    """Re-check a file after the writer edited it; raises SiteError with what a build would say."""
    problems = Problems(site_dir)
    config = load_config(site_dir, problems)
    problems.raise_if_any()
    assert config is not None
    kind = CONTENT_DIRS[path.parent.parent.name]
    found = folder_problems(path.parent, kind, config, site_dir)
    if found:
        raise SiteError(found)
