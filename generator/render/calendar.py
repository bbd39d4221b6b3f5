"""maintenance.ics: the maintenance windows as an iCalendar feed (RFC 5545), for calendar apps.

Each window is one VEVENT with a stable UID; SEQUENCE counts the times its window moved, so
calendar apps update the event instead of adding a second one. Stamps come from content.
"""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlsplit

from icalendar import Calendar, Event

from generator.audience import ItemView, SiteView, joined_html
from generator.i18n import Translator
from generator.render.api import plain_text

CALENDAR = "maintenance.ics"


def render_calendar(view: SiteView, t: Translator) -> dict[str, bytes]:
    calendar = Calendar()
    calendar.add("prodid", "-//statusgen//maintenance windows//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", t("calendar.name", title=view.config.title))
    host = urlsplit(view.audience.base_url).hostname or "statusgen"
    names = {c.id: c.name for c in view.config.components}
    for item in sorted(view.maintenances, key=lambda m: m.id):
        if item.starts and item.ends:
            calendar.add_component(_event(item, view, host, names, t))
    return {CALENDAR: calendar.to_ical()}


def _event(item: ItemView, view: SiteView, host: str, names: dict[str, str], t: Translator) -> Event:
    event = Event()
    # Each audience sees its own version of a window: one UID per audience keeps them apart.
    event.add("uid", f"maintenance-{item.id}-{view.audience.id}@{host}")
    event.add("dtstamp", _utc(item.latest.date))
    event.add("last-modified", _utc(item.latest.date))
    event.add("dtstart", _utc(item.starts))
    event.add("dtend", _utc(item.ends))
    event.add("summary", item.title)
    affected = ", ".join(names.get(cid, cid) for cid, _ in item.components)
    description = plain_text(joined_html(item.latest.body, t.only))
    if affected:
        description = f"{t('calendar.affected', names=affected)}\n\n{description}".strip()
    event.add("description", description)
    event.add("url", view.audience.base_url + item.uri)
    event.add("status", "CANCELLED" if item.status == "cancelled" else "CONFIRMED")
    event.add("sequence", _moves(item))
    if affected:
        event.add("categories", [names.get(cid, cid) for cid, _ in item.components])
    return event


def _moves(item: ItemView) -> int:
    """The event's SEQUENCE: every change of window or of cancellation counts, so it only grows."""
    changes, previous = 0, None
    for update in item.updates:
        state = (update.starts, update.ends, update.status == "cancelled")
        if previous is not None and state != previous:
            changes += 1
        previous = state
    return changes


def _utc(moment: datetime | None) -> datetime:
    assert moment is not None
    return moment.astimezone(timezone.utc)
