"""One `statusgen notify` pass: what each channel has not been told yet, then telling it.

Planning reads the site (as ``build`` would publish it), each audience's events and the record;
sending goes channel by channel, in event order, and a failing channel stops only itself: what it
missed is retried on the next run, because only what was delivered is recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from generator.authoring.advice import setup_warnings
from generator.build import load_site
from generator.config import Audience
from generator.dates import iso
from generator.errors import Problem
from generator.itemcache import ItemCache
from generator.model import Site
from generator.notify.channels import Channel
from generator.notify.deliver import DeliveryError, deliver
from generator.notify.events import Event, audience_events
from generator.notify.message import Message, message, statuspage_body
from generator.notify.record import Record, Sent
from generator.render.theme import site_tables
from generator.rendercache import RenderCache

Group = Literal["before", "after", "all"]


@dataclass(frozen=True)
class Outbound:
    event: Event
    message: Message  # what is sent (a correction notice for --corrections)
    digest: str  # what is recorded: the current message's digest
    payload: dict[str, Any] | None  # the webhook body (webhook channels only)


@dataclass
class ChannelPlan:
    audience: Audience
    channel: Channel
    outbound: list[Outbound] = field(default_factory=list)
    edited: int = 0  # already sent, changed since, not resent (no --corrections)
    sent: int = 0
    failure: str = ""  # why the first message that failed did not go

    @property
    def waiting(self) -> int:
        return len(self.outbound) - self.sent


@dataclass
class Notification:
    site: Site
    now: datetime
    plans: list[ChannelPlan]
    warnings: list[Problem]
    upgraded: int = 0  # record entries of an older statusgen given this one's digests (saved by send)


def plan_site(
    site_dir: Path,
    now: str | datetime,
    since: timedelta,
    group: Group,
    record: Record,
    corrections: bool,
    workers: int = 1,
) -> Notification:
    """What each channel of the chosen audiences has not been told yet (the site read as
    ``build`` publishes it: files with unanswered prompts held back)."""
    unfinished: list[Problem] = []
    site, moment, _ = load_site(
        site_dir,
        now,
        workers,
        (),
        RenderCache(site_dir),
        unfinished=unfinished,
        items=ItemCache(site_dir),  # read, never written (as check): the build keeps it
    )
    config = site.config
    tables = site_tables(config, site_dir)
    plans = []
    upgraded = 0
    for audience in config.audiences:
        words = tables.translator(audience.language)  # each audience is told in its own language
        if not audience.notify or group != "all" and audience.notify_before_deploy != (group == "before"):
            continue
        events = audience_events(site, audience, moment, since)
        for channel in audience.notify:
            plan = ChannelPlan(audience, channel)
            for event in events:
                if not channel.wants(event.kind, event.item.component_ids):
                    continue
                said = message(event, config, words)
                prior = record.get(audience.id, channel.identity, event.id)
                if prior and not prior.digest:  # an older record's: taken as unchanged, and upgraded
                    record.put(audience.id, channel.identity, event.id, replace(prior, digest=said.digest))
                    upgraded += 1
                    continue
                if prior and prior.digest == said.digest:
                    continue
                if prior and not corrections:
                    plan.edited += 1
                    continue
                shown = said.corrected(prior.sent, words) if prior else said
                payload = statuspage_body(event) if channel.kind == "webhook" else None
                plan.outbound.append(Outbound(event, shown, said.digest, payload))
            plans.append(plan)
    return Notification(site, moment, plans, setup_warnings(site_dir, config) + unfinished, upgraded)


def send(notification: Notification, record: Record, since: timedelta, environ: Mapping[str, str]) -> None:
    """Deliver every plan's messages in order; record each one as soon as it is delivered."""
    if notification.upgraded:
        record.save(notification.now - since)
    for plan in notification.plans:
        for out in plan.outbound:
            try:
                deliver(plan.channel, out.message.title, out.message.body, out.payload or {}, environ)
            except DeliveryError as error:
                plan.failure = str(error)
                break
            sent = Sent(out.digest, iso(out.event.time), iso(notification.now))
            record.put(plan.audience.id, plan.channel.identity, out.event.id, sent)
            record.save(notification.now - since)
            plan.sent += 1
