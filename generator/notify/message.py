"""The words of one event for one audience, and its Statuspage-shaped webhook body.

Everything here is read from the event's view (``Event.item``, ``Event.update``): restricted
pieces the audience sees keep their label, and nothing else of the content is at hand.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from generator.audience import BodyPiece
from generator.config import SiteConfig
from generator.dates import iso
from generator.model import CLOSED_STATUSES
from generator.notify.events import Event
from generator.render.api import StatuspageApi, plain_text
from generator.status import IMPACT_LABELS, STATE_LABELS, STATUS_LABELS, component_states, worst


@dataclass(frozen=True)
class Message:
    title: str
    body: str  # plain text: chat services and email read it as it is
    digest: str = ""  # what it tells (event_digest): an edit of the update changes it

    def corrected(self, sent_at: str) -> Message:
        return Message(
            f"[Corrected] {self.title}",
            f"This corrects the message sent {sent_at}; the update now reads:\n\n{self.body}",
            self.digest,
        )


def event_digest(event: Event) -> str:
    """What the writers said about the event, as this audience sees it: its time, title, status,
    impact, components and their states, window and text. Not the words statusgen puts around
    them, nor site.yml's names, links and labels: changing a component's name, the base_url or
    the page's language is no edit of what was sent."""
    item, update = event.item, event.update
    told: Any = [event.kind, iso(event.time), item.title, item.status, item.impact, item.components]
    if event.kind == "postmortem_published" and item.postmortem:
        told += [item.postmortem.title, [plain_text(piece.html) for piece in item.postmortem.body]]
    elif update is not None:
        told += [update.title, update.status, update.impact, update.components]
        told.append([plain_text(piece.html) for piece in update.body])  # a new Markdown version is no edit
    if item.kind == "maintenance":
        told.extend(iso(moment) if moment else None for moment in (item.starts, item.ends))
    return hashlib.sha256(json.dumps(told).encode()).hexdigest()[:16]


def message(event: Event, config: SiteConfig) -> Message:
    item, update = event.item, event.update
    names = {c.id: c.name for c in config.components}
    components = update.components if update else item.components
    status = update.status if update else item.status
    restricted = _restricted_to(event)
    lines = [f"{restricted} only"] if restricted else []  # as the pages label it
    lines.append(f"Status: {STATUS_LABELS.get(status, status)}")
    impact = update.impact if update else item.impact
    if item.kind == "incident" and impact:
        lines.append(f"Impact: {IMPACT_LABELS.get(impact, impact)}")
    if item.kind == "maintenance" and item.starts and item.ends:
        lines.append(f"Window: {_when(item.starts, config)} to {_when(item.ends, config)}")
    if components and status not in CLOSED_STATUSES:
        affected = ", ".join(f"{names.get(c, c)} ({STATE_LABELS[s].lower()})" for c, s in components)
        lines.append(f"Affected: {affected}")
    elif item.component_ids:
        lines.append(f"Components: {', '.join(names.get(c, c) for c in item.component_ids)}")
    text = _text(event)
    link = f"{event.view.audience.base_url}{item.uri}"
    footer = f"{_when(event.time, config)} · {link}"
    body = "\n".join(lines) + (f"\n\n{text}" if text else "") + f"\n\n{footer}"
    return Message(_title(event), body, event_digest(event))


def _restricted_to(event: Event) -> str:
    """The label of what the message tells, when some audience does not see it."""
    if event.kind == "postmortem_published" and event.item.postmortem:
        return event.item.postmortem.restricted_to
    return (event.update or event.item.latest).restricted_to


def _title(event: Event) -> str:
    item, update = event.item, event.update
    title = update.title if update else item.title
    if event.kind == "postmortem_published":
        return f"[Postmortem] {title}"
    if item.kind == "maintenance":
        status = update.status if update else item.status
        return f"[Maintenance] {title} — {STATUS_LABELS.get(status, status)}"
    assert update is not None  # an incident's events are its updates (and its postmortem)
    if update.status == "resolved":
        return f"[Resolved] {title}"
    state = worst([s for _, s in update.components])
    tag = STATE_LABELS[state] if state != "operational" else "Incident"
    reopened = "Reopened · " if update.reopened else ""
    return f"[{reopened}{tag}] {title} — {STATUS_LABELS.get(update.status, update.status)}"


def _text(event: Event) -> str:
    if event.kind == "postmortem_published" and event.item.postmortem:
        return _pieces(event.item.postmortem.body)
    if event.update:
        return _pieces(event.update.body)
    if event.kind == "maintenance_started":
        return "The maintenance window has started."
    return "The maintenance window has ended."


def _pieces(body: tuple[BodyPiece, ...]) -> str:
    """Plain text; a piece for a restricted audience keeps its label, as on the pages."""
    texts = []
    for piece in body:
        text = plain_text(piece.html)
        if text:
            texts.append(f"{piece.restricted_to} only: {text}" if piece.restricted_to else text)
    return "\n\n".join(texts)


def _when(moment: datetime, config: SiteConfig) -> str:
    return moment.astimezone(config.timezone).strftime("%Y-%m-%d %H:%M %Z")


def statuspage_body(event: Event) -> dict[str, Any]:
    """A Statuspage subscriber webhook's body (``meta``, ``page``, ``incident``), from the same
    serialisation as the audience's api/v2 JSON: tools written for those webhooks read it."""
    view = event.view
    states = component_states(view)
    api = StatuspageApi(view, states, [event.item])
    status = api.status()
    return {
        "meta": {"unsubscribe": view.audience.base_url, "documentation": None},
        "page": {
            "id": api.page_id,
            "status_indicator": status["indicator"],
            "status_description": status["description"],
        },
        "incident": api.incident(event.item),
    }
