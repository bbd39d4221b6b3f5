"""Atom and RSS feeds of one audience's updates, written with feedgen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from feedgen.feed import FeedGenerator
from markupsafe import escape

from generator.audience import IncidentView, SiteView, UpdateView
from generator.dates import human_time
from generator.pages import FEEDS
from generator.status import IMPACT_LABELS, STATUS_LABELS

# Feeds need a date even when nothing has happened yet; never the wall clock.
_EMPTY_FEED_DATE = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Entry:
    link: str  # also the entry's permanent id
    title: str
    date: datetime
    html: str


def feed_entries(view: SiteView) -> list[Entry]:
    """Every visible update and postmortem, newest first, capped at the site's feed size."""
    base, names = view.audience.base_url, {c.id: c.name for c in view.config.components}
    # Sort light references first: only the few entries that make the cut are composed.
    candidates: list[tuple[datetime, str, IncidentView, UpdateView | None]] = []
    for item in (*view.incidents, *view.maintenances):
        for update in item.updates:
            candidates.append((update.date, f"{base}{item.uri}#update-{update.stem}", item, update))
        if item.postmortem:
            candidates.append((item.postmortem.date, f"{base}{item.uri}#postmortem", item, None))
    candidates.sort(key=lambda candidate: (candidate[0], candidate[1]), reverse=True)
    entries = []
    for date, link, item, maybe_update in candidates[: view.config.feed_size]:
        if maybe_update is None:
            assert item.postmortem is not None
            entries.append(Entry(link, f"{item.postmortem.title}: {item.title}", date,
                                 item.postmortem.body_html))
        else:
            entries.append(Entry(link, f"{STATUS_LABELS[maybe_update.status]}: {maybe_update.title}",
                                 date, _facts(item, maybe_update, view, names) + maybe_update.body_html))
    return entries


def _facts(item: IncidentView, update: UpdateView, view: SiteView, names: dict[str, str]) -> str:
    """A first line with what a reader needs without opening the page: impact or window, components."""
    facts = []
    if item.kind == "maintenance" and update.starts and update.ends:
        facts.append(f"Window: {human_time(update.starts, view.config.timezone)} – "
                     f"{human_time(update.ends, view.config.timezone)}")
    elif update.impact:
        facts.append(f"Impact: {IMPACT_LABELS[update.impact]}")
    if update.components:
        facts.append("Affected: " + ", ".join(names[cid] for cid, _ in update.components))
    return f"<p>{escape(' · '.join(facts))}</p>\n" if facts else ""


def render_feeds(view: SiteView) -> dict[str, bytes]:
    base = view.audience.base_url
    entries = feed_entries(view)
    feed = FeedGenerator()
    title = view.config.title if view.audience.rank == 0 else f"{view.config.title} ({view.audience.title})"
    feed.id(base)
    feed.title(title)
    feed.subtitle(view.config.description or f"Incident and maintenance updates for {view.config.title}")
    feed.link(href=base, rel="alternate")
    feed.language(view.config.language)
    feed.generator("statusgen")
    updated = entries[0].date if entries else _EMPTY_FEED_DATE
    feed.updated(updated)
    feed.lastBuildDate(updated)
    for item in reversed(entries):  # feedgen prepends each new entry
        entry = feed.add_entry()
        entry.id(item.link)
        entry.guid(item.link, permalink=True)
        entry.title(item.title)
        entry.link(href=item.link)
        entry.published(item.date)
        entry.updated(item.date)
        entry.content(item.html or f"<p>{escape(item.title)}</p>", type="html")
    feed.link(href=base + FEEDS["atom"], rel="self")
    atom = feed.atom_str(pretty=True)
    # feedgen takes RSS's <link> from the last link given, so the page goes last.
    feed.link([{"href": base + FEEDS["rss"], "rel": "self"}, {"href": base, "rel": "alternate"}],
              replace=True)
    rss = feed.rss_str(pretty=True)
    return {FEEDS["atom"]: atom, FEEDS["rss"]: rss}
