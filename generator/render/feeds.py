"""Atom and RSS feeds of one audience's updates, written with feedgen."""

from __future__ import annotations

import functools
import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

from feedgen.feed import FeedGenerator
from markupsafe import escape

from generator.audience import ItemView, SiteView, UpdateView, joined_html
from generator.i18n import Translator
from generator.markup import absolute_links

FEEDS = {"atom": "history.atom", "rss": "history.rss"}
MEDIA_TYPES = {"atom": "application/atom+xml", "rss": "application/rss+xml"}
# Sanitized HTML (nh3) always quotes attribute values with double quotes.
# Feeds need a date even when nothing has happened yet; never the wall clock.
_EMPTY_FEED_DATE = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Entry:
    link: str  # also the entry's permanent id
    title: str
    date: datetime
    html: str


def activity(item: ItemView) -> tuple[datetime, str]:
    """The order feeds search items in (newest activity first, when reversed)."""
    return item.last_activity, item.uri


def by_activity(items: Iterable[ItemView]) -> list[ItemView]:
    return sorted(items, key=activity, reverse=True)


def feed_entries(
    view: SiteView, t: Translator, component_id: str | None = None, items: list[ItemView] | None = None
) -> list[Entry]:
    """Every visible update and postmortem (of one component, if given), newest first, capped.

    ``items`` narrows the search to the incidents and windows that affected the component;
    it must be in ``by_activity`` order, which lets the search stop once older items cannot
    make the cut (a feed of 50 entries reads about 50 items, not 10 years of history).
    """
    base, names, size = (
        view.audience.base_url,
        {c.id: c.name for c in view.config.components},
        view.config.feed_size,
    )
    # The best `size` light references so far (a min-heap); only those are composed.
    best: list[tuple[datetime, str, ItemView, UpdateView | None]] = []  # (date, link) is unique
    for item in items if items is not None else by_activity(view.items):
        if len(best) >= size and item.last_activity < best[0][0]:
            break
        found: list[tuple[datetime, str, UpdateView | None]] = []
        before: set[str] = set()
        for update in item.updates:
            now_affected = {cid for cid, _ in update.components}
            # A component's feed gets the updates that name it, and the one that drops it.
            named, before = component_id in now_affected or component_id in before, now_affected
            if component_id and not named:
                continue
            found.append((update.date, f"{base}{item.uri}#update-{update.stem}", update))
        if item.postmortem:
            found.append((item.postmortem.date, f"{base}{item.uri}#postmortem", None))
        for date, link, maybe_update in found:
            candidate = (date, link, item, maybe_update)
            if len(best) < size:
                heapq.heappush(best, candidate)
            elif (date, link) > best[0][:2]:
                heapq.heapreplace(best, candidate)
    entries = []
    for date, link, item, maybe_update in sorted(best, key=lambda c: c[:2], reverse=True):
        if maybe_update is None:
            assert item.postmortem is not None
            title = t("feed.postmortem", postmortem=item.postmortem.title, title=item.title)
            entries.append(Entry(link, title, date, joined_html(item.postmortem.body, t.only)))
        else:
            entries.append(
                Entry(
                    link,
                    f"{_status_label(maybe_update, t)}: {maybe_update.title}",
                    date,
                    _facts(item, maybe_update, view, names, t) + joined_html(maybe_update.body, t.only),
                )
            )
    return entries


def _status_label(update: UpdateView, t: Translator) -> str:
    """'Reopened' for an update that opens the incident again in this view, else its status."""
    return t("status.reopened") if update.reopened else t(f"status.{update.status}")


def _facts(item: ItemView, update: UpdateView, view: SiteView, names: dict[str, str], t: Translator) -> str:
    """A first line with what a reader needs without opening the page: impact or window, components."""
    facts = []
    zone = view.config.timezone
    if item.kind == "maintenance" and update.starts and update.ends:
        facts.append(t("feed.window", starts=t.when(update.starts, zone), ends=t.when(update.ends, zone)))
    elif update.impact:
        facts.append(t("feed.impact", impact=t(f"impact.{update.impact}")))
    if update.components:
        facts.append(t("feed.affected", names=", ".join(names[cid] for cid, _ in update.components)))
    return f"<p>{escape(' · '.join(facts))}</p>\n" if facts else ""


def component_feed_uris(component_id: str) -> dict[str, str]:
    return {kind: f"components/{component_id}/{name}" for kind, name in FEEDS.items()}


def render_feeds(
    view: SiteView, t: Translator, component_id: str | None = None, items: list[ItemView] | None = None
) -> dict[str, bytes]:
    """history.atom and history.rss: of the whole page, or of one component's updates."""
    base = view.audience.base_url
    uris = component_feed_uris(component_id) if component_id else dict(FEEDS)
    page = f"{base}components/{component_id}/" if component_id else base
    entries = feed_entries(view, t, component_id, items)
    feed = FeedGenerator()
    title = (
        view.config.title if view.audience.position == 0 else f"{view.config.title} ({view.audience.title})"
    )
    if component_id:
        name = next(c.name for c in view.config.components if c.id == component_id)
        title = f"{name} · {title}"
    feed.id(page)
    feed.title(title)
    feed.subtitle(view.config.description or t("feed.subtitle", title=view.config.title))
    _author(feed, view)
    feed.link(href=page, rel="alternate", type="text/html")
    feed.language(view.audience.language)
    feed.generator("statusgen")
    updated = entries[0].date if entries else _EMPTY_FEED_DATE
    feed.updated(updated)
    feed.lastBuildDate(updated)
    for item in reversed(entries):  # feedgen prepends each new entry
        entry = feed.add_entry()
        entry.id(item.link)
        entry.guid(item.link, permalink=True)
        entry.title(item.title)
        entry.link(href=item.link, rel="alternate", type="text/html")
        entry.published(item.date)
        entry.updated(item.date)
        entry.content(absolute_urls(item.html, item.link) or f"<p>{escape(item.title)}</p>", type="html")
    feed.link(href=base + uris["atom"], rel="self", type=MEDIA_TYPES["atom"])
    atom = feed.atom_str(pretty=True)
    # feedgen takes RSS's <link> from the last link given, so the page goes last.
    feed.link(
        [
            {"href": base + uris["rss"], "rel": "self", "type": MEDIA_TYPES["rss"]},
            {"href": page, "rel": "alternate"},
        ],
        replace=True,
    )
    rss = feed.rss_str(pretty=True)
    return {uris["atom"]: atom, uris["rss"]: rss}


def _author(feed: FeedGenerator, view: SiteView) -> None:
    """Atom's required author; RSS's managingEditor, which must be an email address, only with one."""
    author = view.config.feed_author
    feed.author(
        {
            key: value
            for key, value in (("name", author.name), ("email", author.email), ("uri", author.uri))
            if value
        }
    )
    if author.email:
        feed.managingEditor(f"{author.email} ({author.name})")


@functools.lru_cache(maxsize=1024)
def absolute_urls(html: str, page_url: str) -> str:
    """Links and images of an update's HTML, made absolute: in a feed, a relative URL would
    resolve against the feed's address, not the page the update was written for. Kept for
    the other feeds of the tree: an update is in the whole page's feeds and its components'."""
    return absolute_links(html, page_url)
