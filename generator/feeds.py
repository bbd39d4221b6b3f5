"""Atom and RSS feeds of one audience's updates, written with feedgen."""

from __future__ import annotations

from datetime import datetime, timezone

from feedgen.feed import FeedGenerator

from generator.audience import IncidentView, SiteView, UpdateView
from generator.pages import FEEDS
from generator.status import STATUS_LABELS

# Feeds need a date even when nothing has happened yet; never the wall clock.
_EMPTY_FEED_DATE = datetime(1970, 1, 1, tzinfo=timezone.utc)


def feed_entries(view: SiteView) -> list[tuple[IncidentView, UpdateView]]:
    """Every visible update, newest first, capped at the site's feed size."""
    entries = [(item, update) for item in (*view.incidents, *view.maintenances) for update in item.updates]
    entries.sort(key=lambda pair: (pair[1].date, pair[1].id), reverse=True)
    return entries[: view.config.feed_size]


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
    updated = entries[0][1].date if entries else _EMPTY_FEED_DATE
    feed.updated(updated)
    feed.lastBuildDate(updated)
    for item, update in reversed(entries):  # feedgen prepends each new entry
        link = f"{base}{item.uri}#update-{update.stem}"
        entry = feed.add_entry()
        entry.id(link)
        entry.guid(link, permalink=True)
        entry.title(f"{STATUS_LABELS[update.status]}: {update.title}")
        entry.link(href=link)
        entry.published(update.date)
        entry.updated(update.date)
        entry.content(update.body_html or f"<p>{STATUS_LABELS[update.status]}.</p>", type="html")
    feed.link(href=base + FEEDS["atom"], rel="self")
    atom = feed.atom_str(pretty=True)
    # feedgen takes RSS's <link> from the last link given, so the page goes last.
    feed.link([{"href": base + FEEDS["rss"], "rel": "self"}, {"href": base, "rel": "alternate"}],
              replace=True)
    rss = feed.rss_str(pretty=True)
    return {FEEDS["atom"]: atom, FEEDS["rss"]: rss}
