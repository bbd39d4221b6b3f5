"""Reading Atlassian Statuspage history: public API v2 JSON files, folders of them, or a live page.

Accepted payloads: ``incidents.json``, ``incidents/<id>.json`` (``{"incident": ...}``),
``summary.json``, ``components.json``, ``scheduled-maintenances*.json`` and single
``scheduled-maintenances/<id>.json``. The same incident found in several payloads is merged:
every update any of them holds is kept, the newest version of each winning.
"""

from __future__ import annotations

import dataclasses
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from generator import __version__
from generator.dates import parse_timestamp
from generator.errors import Problem, SiteError
from generator.importers.source import (
    Batch,
    SourceComponent,
    SourceItem,
    SourcePostmortem,
    SourceUpdate,
    defer_impact,
)
from generator.importers.text import convert
from generator.model import COMPONENT_STATES, IMPACTS, INCIDENT_STATUSES, MAINTENANCE_STATUSES, Kind

PREFIX = "statuspage:"
ENDPOINTS = ("summary.json", "incidents.json", "scheduled-maintenances.json")
_LIST_KEYS: dict[str, Kind] = {"incidents": "incident", "scheduled_maintenances": "maintenance"}
_ONE_KEYS: dict[str, Kind] = {"incident": "incident", "scheduled_maintenance": "maintenance"}


@dataclass
class _Payload:
    where: str  # file path or URL, for messages
    text: str
    data: Any


@dataclass
class _Found:
    """One incident or maintenance object, where it was found and the line it starts on."""

    kind: Kind
    data: dict[str, Any]
    where: str


def is_url(source: str) -> bool:
    return urlsplit(source).scheme in ("http", "https")


def read_statuspage(source: str, timeout: float = 30.0) -> Batch:
    """Everything a Statuspage source holds; raises SiteError for what cannot be read at all."""
    payloads = list(_fetch_all(source, timeout) if is_url(source) else _read_files(Path(source)))
    batch = Batch(source=source)
    if is_url(source):
        batch.notes.append(
            f"{source}: a live page's API lists only its 50 most recent incidents and "
            "maintenance windows; import an archive of incidents/<id>.json payloads for "
            "older ones"
        )
    found: dict[str, _Found] = {}
    components = _Components()
    for payload in payloads:
        if not isinstance(payload.data, dict) or not _recognised(payload.data):
            batch.skipped.append(
                f"{payload.where}: no incidents, scheduled_maintenances or components in it; left out"
            )
            continue
        components.read(payload.data.get("components"))
        for obj, kind in _objects(payload.data):
            if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
                batch.skipped.append(f"{payload.where}: an {kind} without an id; left out")
                continue
            components.read(obj.get("components"))
            where = f"{payload.where}:{_line_of(payload.text, obj['id'])}"
            known = found.get(obj["id"])
            found[obj["id"]] = _Found(kind, _merge(known.data, obj) if known else obj, where)
    for key in sorted(found, key=lambda k: (str(found[k].data.get("created_at")), k)):
        item = _item(found[key], components, batch)
        if item is not None:
            batch.items.append(item)
    batch.components = components.listed()
    return batch


def _recognised(data: dict[str, Any]) -> bool:
    return any(key in data for key in (*_LIST_KEYS, *_ONE_KEYS, "components"))


def _objects(data: dict[str, Any]) -> Iterator[tuple[Any, Kind]]:
    for key, kind in _LIST_KEYS.items():
        for obj in data.get(key) or ():
            yield obj, kind
    for key, kind in _ONE_KEYS.items():
        if data.get(key) is not None:
            yield data[key], kind


def _merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Two versions of one incident: the newer object, with every update either one holds."""
    newer, older = (new, old) if str(new.get("updated_at")) >= str(old.get("updated_at")) else (old, new)
    updates = {u.get("id"): u for u in _updates(older)}
    for update in _updates(newer):
        updates[update.get("id")] = update
    return {**newer, "incident_updates": list(updates.values())}


def _updates(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return [u for u in obj.get("incident_updates") or () if isinstance(u, dict)]


def _line_of(text: str, object_id: str) -> int:
    at = text.find(f'"{object_id}"')
    return text.count("\n", 0, at) + 1 if at >= 0 else 1


# --- reading ------------------------------------------------------------------------------


def _read_files(path: Path) -> Iterator[_Payload]:
    if not path.exists():
        raise SiteError(
            [
                Problem(
                    str(path),
                    0,
                    "no such file or folder; give a Statuspage API JSON file, "
                    "a folder of them, or a page's https:// address",
                )
            ]
        )
    files = sorted(p for p in path.rglob("*.json") if p.is_file()) if path.is_dir() else [path]
    if not files:
        raise SiteError([Problem(str(path), 0, "no *.json files in this folder")])
    problems = []
    payloads = []
    for file in files:
        try:
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            problems.append(Problem(str(file), 1, f"cannot read: {error}"))
            continue
        try:
            payloads.append(_Payload(str(file), text, json.loads(text)))
        except json.JSONDecodeError as error:
            problems.append(
                Problem(str(file), error.lineno, f"not valid JSON: {error.msg} (column {error.colno})")
            )
    if problems:
        raise SiteError(problems)
    # summary.json and components.json first: their component names and groups are the page's own.
    payloads.sort(
        key=lambda p: (
            not (
                isinstance(p.data, dict)
                and "page" in p.data
                and "components" in p.data
                and "incident" not in p.data
            )
        )
    )
    yield from payloads


def _fetch_all(base: str, timeout: float) -> Iterator[_Payload]:
    root = base.split("/api/v2", 1)[0].rstrip("/")
    problems = []
    payloads = []
    for endpoint in ENDPOINTS:
        url = f"{root}/api/v2/{endpoint}"
        try:
            text = _fetch(url, timeout)
            payloads.append(_Payload(url, text, json.loads(text)))
        except json.JSONDecodeError as error:
            problems.append(
                Problem(
                    url,
                    error.lineno,
                    f"not valid JSON: {error.msg} (column {error.colno}); is this a Statuspage page?",
                )
            )
        except _FetchError as error:
            problems.append(Problem(url, 0, str(error)))
    if problems:
        raise SiteError(problems)
    yield from payloads


class _FetchError(Exception):
    pass


def _fetch(url: str, timeout: float) -> str:
    request = urllib.request.Request(
        url, headers={"User-Agent": f"statusgen/{__version__} (import)", "Accept": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http(s) only)
            return str(response.read().decode("utf-8-sig"))
    except urllib.error.HTTPError as error:
        raise _FetchError(f"the server answered HTTP {error.code} {error.reason}") from None
    except urllib.error.URLError as error:
        raise _FetchError(f"cannot reach the page: {error.reason}") from None
    except TimeoutError:
        raise _FetchError(f"no answer within {timeout:g} seconds") from None
    except UnicodeDecodeError:
        raise _FetchError("the answer is not UTF-8 text") from None
    except (OSError, ValueError) as error:
        raise _FetchError(f"cannot fetch: {error}") from None


# --- components -----------------------------------------------------------------------------


class _Components:
    """Components and groups seen anywhere, newest name winning, in order of first sight."""

    def __init__(self) -> None:
        self.groups: dict[str, str] = {}
        self.seen: dict[str, tuple[str, dict[str, Any]]] = {}  # code -> (updated_at, object)
        self.named: dict[str, str] = {}  # code -> name from affected_components ("Group - Name")

    def read(self, objects: Any) -> None:
        for obj in objects or ():
            if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) or not obj.get("name"):
                continue
            if obj.get("group"):
                self.groups[obj["id"]] = str(obj["name"]).strip()
                continue
            stamp = str(obj.get("updated_at") or "")
            if obj["id"] not in self.seen or stamp > self.seen[obj["id"]][0]:
                self.seen[obj["id"]] = (stamp, obj)

    def affected(self, code: str, name: str) -> None:
        self.named.setdefault(code, name)

    def listed(self) -> list[SourceComponent]:
        result = []
        for code, (_, obj) in self.seen.items():
            name = str(obj["name"]).strip()
            group = self.groups.get(str(obj.get("group_id")), "")
            shown = self.named.get(code, "")
            if not group and obj.get("group_id") and shown.endswith(f" - {name}"):
                group = shown[: -len(name) - 3].strip()  # the group object was not in the source
            result.append(
                SourceComponent(PREFIX + code, name, group, str(obj.get("description") or "").strip())
            )
        group_names = set(self.groups.values())
        for code, name in self.named.items():
            if code in self.seen:
                continue
            group, _, rest = name.partition(" - ")
            if rest and group in group_names:
                result.append(SourceComponent(PREFIX + code, rest.strip(), group))
            else:
                result.append(SourceComponent(PREFIX + code, name.strip()))
        return result


# --- items ----------------------------------------------------------------------------------


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_timestamp(value, timezone.utc)
    except ValueError:
        return None


_Dated = tuple[datetime, str, dict[str, Any]]  # an update's moment, its id and its object
_States = tuple[tuple[str, str | None], ...]  # component keys with their state (None: from the impact)


def _item(found: _Found, components: _Components, batch: Batch) -> SourceItem | None:
    """The item for one incident or window; None if it has nothing statusgen can show (why: in batch).

    What is left out is reported in the order a reader meets it: updates without an id or a
    date, a window without a valid schedule, the impact, then each update by date.
    """
    obj, kind, where = found.data, found.kind, found.where
    key = PREFIX + obj["id"]
    title = " ".join(str(obj.get("name") or "").split()) or f"Untitled {kind}"
    dated = _dated_updates(obj, where, title, batch)
    window = _window(obj, kind, where, title, batch)
    if window is None:
        return None
    starts, ends = window
    impact = _impact(obj, kind, where, title, batch)
    postmortems = [entry for entry in dated if _is_postmortem(kind, entry)]
    shown = _shown_updates(
        kind, [entry for entry in dated if not _is_postmortem(kind, entry)], where, title, batch
    )
    updates = _source_updates(key, shown, _component_states(obj, kind, shown, components))
    if not updates:
        batch.skipped.append(f"{where}: {kind} {title!r} has no updates statusgen can show; left out")
        return None
    updates[0] = dataclasses.replace(updates[0], title=title, impact=impact, starts=starts, ends=ends)
    # Changes only an incident with an impact that none of its updates shows on a component.
    updates = defer_impact(updates, f"{where}: incident {title!r}", batch)
    return SourceItem(
        key,
        kind,
        title,
        starts if kind == "maintenance" and starts else updates[0].date,
        tuple(updates),
        _postmortem(key, obj, postmortems, where, title, batch),
    )


def _window(
    obj: dict[str, Any], kind: Kind, where: str, title: str, batch: Batch
) -> tuple[datetime | None, datetime | None] | None:
    """scheduled_for and scheduled_until; None for a maintenance window without a valid pair."""
    starts, ends = _time(obj.get("scheduled_for")), _time(obj.get("scheduled_until"))
    if kind == "maintenance" and not (starts and ends and ends > starts):
        batch.skipped.append(
            f"{where}: maintenance {title!r} has no valid scheduled_for/scheduled_until window; left out"
        )
        return None
    return starts, ends


def _source_updates(key: str, shown: list[_Dated], states: list[_States | None]) -> list[SourceUpdate]:
    """The updates as statusgen files hold them; the caller adds what only the first one carries."""
    return [
        SourceUpdate(
            key=f"{key}/{update_id}",
            date=moment,
            status=_status(update),
            body=convert(str(update.get("body") or ""), hard_breaks=True),
            components=state,
        )
        for (moment, update_id, update), state in zip(shown, states, strict=True)
    ]


def _dated_updates(obj: dict[str, Any], where: str, title: str, batch: Batch) -> list[_Dated]:
    """The updates with an id and a date, oldest first (ties: by created_at, then by id)."""
    dated = []
    for update in _updates(obj):
        moment = _time(update.get("display_at")) or _time(update.get("created_at"))
        if moment is None or not isinstance(update.get("id"), str):
            batch.skipped.append(f"{where}: an update of {title!r} without an id or date; left out")
            continue
        dated.append((moment, str(update.get("created_at") or ""), update["id"], update))
    dated.sort(key=lambda entry: entry[:3])
    return [(moment, update_id, update) for moment, _, update_id, update in dated]


def _status(update: dict[str, Any]) -> str:
    return str(update.get("status") or "")


def _is_postmortem(kind: Kind, entry: _Dated) -> bool:
    """An incident's 'postmortem' update: imported as its postmortem, not as an update."""
    return kind == "incident" and _status(entry[2]) == "postmortem"


def _shown_updates(kind: Kind, dated: list[_Dated], where: str, title: str, batch: Batch) -> list[_Dated]:
    """The updates whose status this kind of item can have here; the others are left out."""
    statuses = INCIDENT_STATUSES if kind == "incident" else MAINTENANCE_STATUSES
    what = "an incident" if kind == "incident" else "a maintenance window"
    shown = []
    for entry in dated:
        status = _status(entry[2])
        if status in statuses:
            shown.append(entry)
            continue
        batch.skipped.append(
            f"{where}: update {entry[1]} of {title!r} has status {status!r}, which "
            f"{what} cannot have here ({', '.join(statuses)}); left out"
        )
    return shown


def _component_states(
    obj: dict[str, Any], kind: Kind, shown: list[_Dated], components: _Components
) -> list[_States | None]:
    """For each update, the components it gives (None: it gives none).

    An update's affected_components change the state carried from the update before. The first
    update always gives the state, the incident's own component list if nothing named any; a
    later one only when the state changed and it does not close the item.
    """
    state: dict[str, str | None] = {}
    result: list[_States | None] = []
    for number, (_, _, update) in enumerate(shown):
        first = number == 0
        before = dict(state)
        _apply_affected(state, update, kind, components)
        if first and not state:
            state = _listed_components(obj)
        changed = first or (state != before and _status(update) not in ("resolved", "completed"))
        result.append(tuple(state.items()) if changed else None)
    return result


def _apply_affected(
    state: dict[str, str | None], update: dict[str, Any], kind: Kind, components: _Components
) -> None:
    """Record an update's affected_components in ``state`` (a window's: None, no state of their own)."""
    for affected in update.get("affected_components") or ():
        if isinstance(affected, dict) and isinstance(affected.get("code"), str):
            components.affected(affected["code"], str(affected.get("name") or affected["code"]))
            new = affected.get("new_status")
            known = kind == "incident" and new in COMPONENT_STATES
            state[PREFIX + affected["code"]] = new if known else None


def _listed_components(obj: dict[str, Any]) -> dict[str, str | None]:
    """The incident's own component list (groups left out), each with its state from the impact."""
    return {
        PREFIX + c["id"]: None
        for c in obj.get("components") or ()
        if isinstance(c, dict) and isinstance(c.get("id"), str) and not c.get("group")
    }


def _impact(obj: dict[str, Any], kind: Kind, where: str, title: str, batch: Batch) -> str | None:
    if kind == "maintenance":
        return None
    impact = obj.get("impact")
    if impact in IMPACTS:
        return str(impact)
    if impact not in (None, "maintenance"):
        batch.notes.append(f"{where}: incident {title!r} has impact {impact!r}; imported with impact 'none'")
    return "none"


def _postmortem(
    key: str, obj: dict[str, Any], updates: list[_Dated], where: str, title: str, batch: Batch
) -> SourcePostmortem | None:
    """The incident's postmortem_body if it has one, else its latest 'postmortem' update."""
    body = obj.get("postmortem_body")
    if isinstance(body, str) and body.strip():
        moment = (
            _time(obj.get("postmortem_published_at"))
            or _time(obj.get("postmortem_body_last_updated_at"))
            or _time(obj.get("updated_at"))
        )
        if moment is not None:
            for _, update_id, _ in updates:
                batch.notes.append(
                    f"{where}: postmortem update {update_id} of {title!r} left out: "
                    "the incident's postmortem_body is imported as its postmortem"
                )
            return SourcePostmortem(f"{key}/postmortem", moment, convert(body, hard_breaks=True))
    if not updates:
        return None
    moment, update_id, update = updates[-1]
    for _, earlier, _ in updates[:-1]:
        batch.skipped.append(
            f"{where}: postmortem update {earlier} of {title!r} left out: a later one "
            f"({update_id}) is the incident's postmortem"
        )
    body = convert(str(update.get("body") or ""), hard_breaks=True)
    return SourcePostmortem(f"{key}/postmortem", moment, body)
