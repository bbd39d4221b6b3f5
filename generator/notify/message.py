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
from generator.i18n import Translator
from generator.model import CLOSED_STATUSES
from generator.notify.events import Event
from generator.render.api import StatuspageApi, plain_text
from generator.status import component_states, worst


@dataclass(frozen=True)
class Message:
    title: str
    body: str  # plain text: chat services and email read it as it is
    digest: str = ""  # what it tells (event_digest): an edit of the update changes it

    def corrected(self, sent_at: str, t: Translator) -> Message:
        return Message(
            t("message.corrected_title", title=self.title),
            f"{t('message.corrected', when=sent_at)}\n\n{self.body}",
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


def message(event: Event, config: SiteConfig, t: Translator) -> Message:
    """The event told in the audience's language (``t``)."""
    item, update = event.item, event.update
    names = {c.id: c.name for c in config.components}
    components = update.components if update else item.components
    status = update.status if update else item.status
    restricted = _restricted_to(event)
    lines = [t.only(restricted)] if restricted else []  # as the pages label it
    lines.append(t("message.status", status=t(f"status.{status}")))
    impact = update.impact if update else item.impact
    if item.kind == "incident" and impact:
        lines.append(t("message.impact", impact=t(f"impact.{impact}")))
    if item.kind == "maintenance" and item.starts and item.ends:
        lines.append(
            t("message.window", starts=when(item.starts, config, t), ends=when(item.ends, config, t))
        )
    if components and status not in CLOSED_STATUSES:
        affected = ", ".join(
            t("message.affected_one", component=names.get(c, c), state=t(f"state_inline.{s}"))
            for c, s in components
        )
        lines.append(t("message.affected", list=affected))
    elif item.component_ids:
        lines.append(t("message.components", list=", ".join(names.get(c, c) for c in item.component_ids)))
    text = _text(event, t)
    link = f"{event.view.audience.base_url}{item.uri}"
    footer = f"{when(event.time, config, t)} · {link}"
    body = "\n".join(lines) + (f"\n\n{text}" if text else "") + f"\n\n{footer}"
    return Message(_title(event, t), body, event_digest(event))


def _restricted_to(event: Event) -> str:
    """The label of what the message tells, when some audience does not see it."""
    if event.kind == "postmortem_published" and event.item.postmortem:
        return event.item.postmortem.restricted_to
    return (event.update or event.item.latest).restricted_to


def _title(event: Event, t: Translator) -> str:
    item, update = event.item, event.update
    title = update.title if update else item.title
    if event.kind == "postmortem_published":
        return t("message.postmortem", title=title)
    if item.kind == "maintenance":
        status = update.status if update else item.status
        return t("message.maintenance", title=title, status=t(f"status.{status}"))
    assert update is not None  # an incident's events are its updates (and its postmortem)
    if update.status == "resolved":
        return t("message.resolved", title=title)
    state = worst([s for _, s in update.components])
    tag = t(f"state.{state}") if state != "operational" else t("message.incident")
    if update.reopened:
        tag = t("message.reopened", tag=tag)
    return t("message.update", tag=tag, title=title, status=t(f"status.{update.status}"))


def _text(event: Event, t: Translator) -> str:
    if event.kind == "postmortem_published" and event.item.postmortem:
        return _pieces(event.item.postmortem.body, t)
    if event.update:
        return _pieces(event.update.body, t)
    if event.kind == "maintenance_started":
        return t("message.maintenance_started")
    return t("message.maintenance_ended")


def _pieces(body: tuple[BodyPiece, ...], t: Translator) -> str:
    """Plain text; a piece for a restricted audience keeps its label, as on the pages."""
    texts = []
    for piece in body:
        text = plain_text(piece.html)
        if text:
            texts.append(
                t("message.piece", label=t.only(piece.restricted_to), text=text)
                if piece.restricted_to
                else text
            )
    return "\n\n".join(texts)


def when(moment: datetime, config: SiteConfig, t: Translator) -> str:
    """A time as messages show it: "2026-11-27 05:08 CET" ("27.11.2026, 05:08 MEZ")."""
    return t.when(moment, config.timezone, "message")


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
