"""What there is to tell one audience: events read from its view, never from the content itself.

Each event carries the item as the audience saw it at the event's moment (``view_for`` at that
time), so a message says what the audience's pages said then, and nothing they did not say.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from generator.audience import ItemView, SiteView, UpdateView, view_for
from generator.config import Audience
from generator.dates import iso
from generator.model import KIND_DIRS, Site


@dataclass(frozen=True)
class Event:
    id: str  # an update's id, or "<kind dir>/<item id>/started|completed|postmortem"
    kind: str  # one of channels.EVENT_KINDS
    time: datetime
    item: ItemView  # as this audience saw it at ``time``
    view: SiteView  # this audience's whole view at ``time`` (the webhook's page status)
    update: UpdateView | None = None  # the update told of (None: the clock, or a postmortem)


def audience_events(site: Site, audience: Audience, now: datetime, since: timedelta) -> list[Event]:
    """Every event this audience sees from ``now - since`` to ``now``, oldest first."""
    horizon = now - since
    current = view_for(site, audience, now)
    wanted = [c for c in _candidates(current, now) if c[2] >= horizon]
    # Views at earlier moments need only what can have changed since the horizon, and what is
    # open (it shapes the page's status): everything else looks then as it does now.
    recent = {v.uri for v in current.items if v.active or _last_moment(v) >= horizon}
    lately = Site(site.config, tuple(i for i in site.items if f"{KIND_DIRS[i.kind]}/{i.id}/" in recent))
    views: dict[datetime, SiteView] = {}
    events = []
    for event_id, kind, time, uri, update_id in wanted:
        if time not in views:
            views[time] = current if time == now else view_for(lately, audience, time)
        item = next((i for i in views[time].items if i.uri == uri), None)
        if item is None:
            continue
        update = next((u for u in item.updates if u.id == update_id), None) if update_id else None
        event = Event(event_id, kind, time, item, views[time], update)
        if (update is not None or not update_id) and by_clock(event):
            events.append(event)
    return sorted(events, key=lambda e: (e.time, e.id))


def _last_moment(item: ItemView) -> datetime:
    return max(moment for moment in (item.last_activity, item.starts, item.ends) if moment is not None)


Candidate = tuple[str, str, datetime, str, str]  # id, kind, time, item uri, update id ("" if none)


def _candidates(view: SiteView, now: datetime) -> Iterator[Candidate]:
    for item in view.items:
        for index, update in enumerate(item.updates):
            yield update.id, _update_kind(item, update, index), update.date, item.uri, update.id
        if item.kind == "maintenance":
            yield from _clock(item, now)
        if item.postmortem:
            yield f"{item.uri}postmortem", "postmortem_published", item.postmortem.date, item.uri, ""


def _update_kind(item: ItemView, update: UpdateView, index: int) -> str:
    if item.kind == "incident":
        if index == 0 or update.reopened:
            return "incident_opened"
        return "incident_resolved" if update.status == "resolved" else "incident_updated"
    by_status = {
        "in_progress": "maintenance_started",
        "completed": "maintenance_completed",
        "cancelled": "maintenance_cancelled",
    }
    if update.status in by_status:
        return by_status[update.status]
    return "maintenance_scheduled" if index == 0 else "maintenance_updated"


def _clock(item: ItemView, now: datetime) -> Iterator[Candidate]:
    """A window the clock opens or closes (no update says so): told at its start and its end.

    Whether the clock did it is decided from the view at that moment, in ``_by_clock``."""
    # The time is part of the id: a window moved after it started starts again, and is told so.
    if item.starts and item.starts <= now:
        yield f"{item.uri}started@{iso(item.starts)}", "maintenance_started", item.starts, item.uri, ""
    if item.ends and item.ends <= now:
        yield f"{item.uri}completed@{iso(item.ends)}", "maintenance_completed", item.ends, item.uri, ""


def by_clock(event: Event) -> bool:
    """A clock event stands only if, at that moment, the clock (not an update) moved the window."""
    if event.update is not None or event.kind == "postmortem_published":
        return True
    expected = "in_progress" if event.kind == "maintenance_started" else "completed"
    return event.item.status == expected and event.item.latest.status != expected
