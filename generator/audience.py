"""What one audience may see: the ONE place where visibility is decided.

Content is written for a set of audiences (an update's ``audience:``, a block's ``::: a b``);
it may be read by every audience that is, or transitively includes, one of them (``readers``,
computed here when the content is loaded); unmarked content by every audience. Nested blocks
are read only by the audiences that may read every level. Everything downstream (pages, feeds,
component states, counts) is computed from the view returned here, so nothing restricted can
reach an audience that does not include the audience it was written for.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, tzinfo
from typing import TYPE_CHECKING, TypeVar

from babel.lists import format_list
from markupsafe import escape

from generator.config import Audience, SiteConfig
from generator.errors import Problem
from generator.i18n import babel_locale
from generator.markup import RawSegment
from generator.model import (
    ACTIVE_STATUSES,
    CLOSED_STATUSES,
    IMPACTS,
    KIND_DIRS,
    STATE_FROM_IMPACT,
    STATE_ORDER,
    Body,
    Item,
    Kind,
    Segment,
    Site,
    Update,
    unpack,
)

if TYPE_CHECKING:
    from generator.spool import Stored


def sees(audience: Audience, readers: frozenset[str]) -> bool:
    """Visibility's one rule: whether ``audience`` may see content that ``readers`` may read."""
    return audience.id in readers


def everyone(config: SiteConfig) -> frozenset[str]:
    """Who reads unmarked content: every audience, whatever its includes."""
    return frozenset(a.id for a in config.audiences)


def readers_of(config: SiteConfig, names: Iterable[str]) -> frozenset[str]:
    """Who may read content written for ``names``: every audience that is, or includes, one."""
    wanted = frozenset(names)
    return frozenset(a.id for a in config.audiences if a.included & wanted)


def segment_readers(
    config: SiteConfig, segment: RawSegment, outer: frozenset[str], outer_names: tuple[str, ...] = ()
) -> tuple[frozenset[str], tuple[str, ...]]:
    """Who may read a segment inside a file that ``outer`` may read, written for ``outer_names``
    (every level must allow them), and whom its label names (() for the file's own text, and
    when everyone reads it)."""
    readers = outer
    for names in segment.levels:
        readers &= readers_of(config, names)
    if not segment.levels:  # a file's own text: its audience's badge, if any, says who it is for
        return readers, ()
    written_for = [*outer_names, *(name for names in segment.levels for name in names)]
    return readers, restricted_names(config, readers, written_for)


def restricted_names(
    config: SiteConfig, readers: frozenset[str], written_for: Iterable[str]
) -> tuple[str, ...]:
    """The audiences content is for, as its label names them: those it was written for that may
    read it, in the order written; () when every audience reads it."""
    if readers == everyone(config):
        return ()
    named = tuple(name for name in dict.fromkeys(written_for) if name in readers)
    return named or tuple(a.id for a in config.audiences if a.id in readers)


def audience_texts(
    pieces: Sequence[tuple[frozenset[str], tuple[str, ...], str]], audiences: Sequence[Audience]
) -> list[list[tuple[frozenset[str], tuple[str, ...], str]]]:
    """For each audience (by position), the (readers, names, text) pieces it sees, to be rendered
    one by one. Consecutive pieces for the same readers are one text: an audience sees the body
    as if the blocks it may not see had never been written (no list split in two, no ``start="4"``).
    """
    views: list[list[tuple[frozenset[str], tuple[str, ...], str]]] = []
    for audience in audiences:
        joined: list[tuple[frozenset[str], tuple[str, ...], list[str]]] = []
        for readers, names, text in pieces:
            if not sees(audience, readers):
                continue
            if joined and joined[-1][:2] == (readers, names):
                joined[-1][2].append(text)
            else:
                joined.append((readers, names, [text]))
        views.append([(readers, names, "\n".join(texts)) for readers, names, texts in joined])
    return views


def label(names: Iterable[str], labels: dict[str, str], viewer: Audience) -> str:
    """'Executives', 'Executives and Business teams', 'A, B and C': who restricted content is
    for, as ``viewer`` may be told, in its language (CLDR's list patterns)."""
    titles = label_titles(names, labels, viewer)
    return _joined(titles, viewer.language) if titles else ""


@functools.cache
def _joined(titles: tuple[str, ...], language: str) -> str:
    """Titles as one list in a language (the same few lists label ten years of history)."""
    return format_list(list(titles), locale=babel_locale(language))


def label_titles(names: Iterable[str], labels: dict[str, str], viewer: Audience) -> tuple[str, ...]:
    """The titles a label names: only audiences the viewer is or includes (the title of an
    audience it does not include is not its business), and none on the public tree."""
    if not names or viewer.position == 0:
        return ()  # most content: read on every page of ten years of history
    return _one(tuple(labels[name] for name in names if name in viewer.included))


@dataclass(frozen=True, slots=True)
class Labelled:
    """A piece of a body that some audience does not see, as one audience sees it:
    ``restricted_to`` names the audiences it is for, and the theme labels it."""

    packed: bytes | Stored  # its HTML, compressed (model.pack), or where it is kept (spool.py)
    restricted_to: str  # the titles, joined in the reader's language
    titles: tuple[str, ...]  # the same titles (the API joins them in English)

    @property
    def html(self) -> str:
        return unpack(self.packed)


# A piece of a body as one audience sees it: a Segment (unlabelled) or a Labelled one. Both have
# ``html``, ``restricted_to`` ("" for no label) and ``titles``; a view shows the loaded segments
# themselves wherever it can, so that two audiences' views do not copy every body's pieces.
BodyPiece = Segment | Labelled


def _english_only(piece: BodyPiece) -> str:
    """The label as the JSON API writes it, whatever the audience's language."""
    return f"{_joined(piece.titles, 'en')} only"


def joined_html(pieces: tuple[BodyPiece, ...], only: Callable[[str], str] | None = None) -> str:
    """A body's pieces as one HTML text, restricted pieces labelled (``only``: the label in the
    reader's language; English without it): for feeds, the API and the calendar (pages render
    the pieces through the theme's ``body`` macro, the same markup)."""
    return "\n".join(
        piece.html
        if not piece.restricted_to
        else '<div class="restricted"><p class="restricted-label">'
        f"{escape(only(piece.restricted_to) if only else _english_only(piece))}</p>\n{piece.html}</div>"
        for piece in pieces
    )


@dataclass(frozen=True, slots=True)
class UpdateView:
    item_id: str  # its item's (an "<item id>/<stem>" string each would be most of what it holds)
    stem: str  # its file's name without .md: its anchor on the item's page
    date: datetime
    status: str
    title: str  # the incident's title as of this update
    impact: str | None
    components: tuple[tuple[str, str], ...]  # affected components and their states
    body: tuple[BodyPiece, ...]
    starts: datetime | None = None
    ends: datetime | None = None
    restricted_to: str = ""  # the titles of the audiences it is for, when some audience does not see it
    reopened: bool = False  # it follows a resolution this audience saw: the incident is open again

    @property
    def id(self) -> str:
        """Its permanent id, "<item id>/<stem>", as feeds and the API name it."""
        return f"{self.item_id}/{self.stem}"

    @property
    def body_html(self) -> str:
        return joined_html(self.body)


@dataclass(frozen=True, slots=True)
class PostmortemView:
    date: datetime
    title: str
    body: tuple[BodyPiece, ...]
    restricted_to: str = ""

    @property
    def body_html(self) -> str:
        return joined_html(self.body)


@dataclass(frozen=True, slots=True)
class ItemView:
    """An incident or maintenance window as one audience sees it."""

    id: str
    kind: Kind
    title: str
    status: str  # effective status (maintenance status follows the clock)
    impact: str | None
    components: tuple[tuple[str, str], ...]
    updates: tuple[UpdateView, ...]  # oldest first
    started: datetime  # first update (incident) or window start (maintenance)
    ended: datetime | None  # resolution or completion; None while open
    # Derived once, when the view is made: every page, feed and index reads them.
    day: date  # the day it started, in the site's time zone
    last_activity: datetime  # its newest update or postmortem: how feeds order their search
    component_ids: tuple[str, ...]  # every component a visible update named, first named first
    starts: datetime | None = None
    ends: datetime | None = None
    postmortem: PostmortemView | None = None
    reopened: bool = False  # open again after a resolution this audience saw

    @property
    def latest(self) -> UpdateView:
        return self.updates[-1]

    # Read for every item on every page of a 10-year history, so computed once:
    active: bool = field(init=False, compare=False)
    upcoming: bool = field(init=False, compare=False)
    uri: str = field(init=False, compare=False)
    month: str = field(init=False, compare=False)  # "2026-11": the history page that lists it

    def __post_init__(self) -> None:
        derived = {
            "active": self.status in ACTIVE_STATUSES,
            "upcoming": self.status == "scheduled",
            # One string for every audience's view (and the months' few for all their items).
            "uri": sys.intern(f"{KIND_DIRS[self.kind]}/{self.id}/"),
            "month": sys.intern(f"{self.day.year:04d}-{self.day.month:02d}"),
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)  # frozen: set once, here


@dataclass(frozen=True, slots=True)
class SiteView:
    config: SiteConfig
    audience: Audience
    now: datetime
    incidents: tuple[ItemView, ...]  # newest first
    maintenances: tuple[ItemView, ...]  # by window start, newest first
    items: tuple[ItemView, ...]  # both, newest first: (started, id) descending


def view_for(site: Site, audience: Audience, now: datetime) -> SiteView:
    """Drop everything this audience may not see, before anything is rendered."""
    labels, tz = audience_labels(site.config), site.config.timezone
    views = [v for v in (item_view(i, audience, now, labels, tz) for i in site.items) if v]
    return site_view(site.config, audience, now, views)


def views_for(site: Site, audiences: Sequence[Audience], now: datetime) -> list[SiteView]:
    """Each audience's view, as ``view_for`` makes it, made item by item for all of them at once:
    where an item's view, or one of its updates' views, is for an audience the very value an
    audience before it got (every field equal: the same pieces, states and labels), it is that
    object, not a copy (a long history holds one view per audience otherwise). Equal values
    render alike, so nothing one audience may not see can come to it this way."""
    labels, tz = audience_labels(site.config), site.config.timezone
    views: list[list[ItemView]] = [[] for _ in audiences]
    for item in site.items:
        made: list[ItemView] = []
        for index, audience in enumerate(audiences):
            view = item_view(item, audience, now, labels, tz, made)
            if view is not None:
                made.append(view)
                views[index].append(view)
    return [site_view(site.config, a, now, v) for a, v in zip(audiences, views, strict=True)]


def site_view(
    config: SiteConfig, audience: Audience, now: datetime, views: Iterable[ItemView], presorted: bool = False
) -> SiteView:
    """Put one audience's incident views in the order every page lists them (``presorted``: they are)."""
    newest_first = list(views) if presorted else sorted(views, key=by_start, reverse=True)
    return SiteView(
        config=config,
        audience=audience,
        now=now,
        incidents=tuple(v for v in newest_first if v.kind == "incident"),
        maintenances=tuple(v for v in newest_first if v.kind == "maintenance"),
        items=tuple(newest_first),
    )


def by_start(view: ItemView) -> tuple[datetime, str]:
    """The order pages list items in (newest first, when reversed)."""
    return view.started, view.id


def held_back(incident: Item, now: datetime) -> list[tuple[str, datetime]]:
    """(source, date) of its updates and postmortem dated after now: nobody sees them yet."""
    items = (*incident.updates, *((incident.postmortem,) if incident.postmortem else ()))
    return [(item.source, item.date) for item in items if item.date > now]


def audience_labels(config: SiteConfig) -> dict[str, str]:
    return {a.id: a.title for a in config.audiences}


def visible_body(body: Body, audience: Audience, labels: dict[str, str]) -> tuple[BodyPiece, ...]:
    """The body as this audience sees it; restricted pieces name the audiences they are for."""
    written = body[audience.position]
    pieces = tuple(
        _piece(s, label_titles(s.names, labels, audience), audience)
        for s in written
        if sees(audience, s.readers)
    )
    if len(pieces) == len(written) and all(p is s for p, s in zip(pieces, written, strict=True)):
        return written  # the loaded tuple itself (most bodies): no copy per audience
    return pieces


def _piece(segment: Segment, titles: tuple[str, ...], viewer: Audience) -> BodyPiece:
    if not titles:
        return segment
    return Labelled(segment.packed, _joined(titles, viewer.language), titles)


def item_view(
    incident: Item,
    audience: Audience,
    now: datetime,
    labels: dict[str, str],
    tz: tzinfo,
    earlier: Sequence[ItemView] = (),
) -> ItemView | None:
    """The incident as ``audience`` sees it at ``now``; None if it sees no update of it.

    Updates dated after ``now`` are held back until their time comes. ``earlier``: views of the
    same item that other audiences got; where this view, or one of its update views, is equal to
    one of theirs (every field), it is that object (see views_for).
    """
    visible = [u for u in incident.updates if sees(audience, u.readers) and u.date <= now]
    if not visible:
        return None
    updates = _reopenings(_fold(visible, incident.kind, audience, labels), visible)
    if earlier:
        updates = _shared_updates(updates, earlier)
    latest = updates[-1]
    status = latest.status
    if incident.kind == "maintenance":
        status = _maintenance_status(latest, now)
        started = latest.starts or latest.date
    else:
        started = updates[0].date
    ended = _ended(updates, status, incident.kind)
    postmortem = incident.postmortem
    shown_postmortem = (
        postmortem if (postmortem and sees(audience, postmortem.readers) and postmortem.date <= now) else None
    )
    view = ItemView(
        id=incident.id,
        kind=incident.kind,
        title=latest.title,
        status=status,
        impact=latest.impact if status not in CLOSED_STATUSES else _peak_impact(updates),
        components=latest.components if status not in CLOSED_STATUSES else _ever_affected(updates),
        updates=updates,
        started=started,
        ended=ended,
        day=_one(started.astimezone(tz).date()),
        last_activity=max(latest.date, shown_postmortem.date) if shown_postmortem else latest.date,
        component_ids=_one(tuple(dict.fromkeys(cid for update in updates for cid, _ in update.components))),
        starts=latest.starts,
        ends=latest.ends,
        postmortem=PostmortemView(
            date=shown_postmortem.date,
            title=shown_postmortem.title or "Postmortem",
            body=visible_body(shown_postmortem.body, audience, labels),
            restricted_to=label(shown_postmortem.audiences, labels, audience),
        )
        if shown_postmortem
        else None,
        reopened=status not in CLOSED_STATUSES and any(u.reopened for u in updates),
    )
    return next((other for other in earlier if other == view), view)


def _shared_updates(updates: tuple[UpdateView, ...], earlier: Sequence[ItemView]) -> tuple[UpdateView, ...]:
    """The update views, each replaced by an equal one of ``earlier`` (by value: see views_for)."""
    for other in earlier:
        if other.updates == updates:
            return other.updates
    known = {view.stem: view for other in earlier for view in other.updates}  # one item's
    shared = []
    for view in updates:
        same = known.get(view.stem)
        shared.append(same if same is not None and same == view else view)
    return tuple(shared)


def _peak_impact(updates: tuple[UpdateView, ...]) -> str | None:
    """Once it is over, the worst impact it had (a last update that lowers it does not lessen it)."""
    return max((u.impact for u in updates if u.impact), key=IMPACTS.index, default=None)


def _ever_affected(updates: tuple[UpdateView, ...]) -> tuple[tuple[str, str], ...]:
    """Once it is over, what it affected at any point (with the worst state each reached)."""
    affected: dict[str, str] = {}
    for update in updates:
        for component_id, state in update.components:
            previous = affected.get(component_id, "operational")
            affected[component_id] = max(previous, state, key=STATE_ORDER.index)
    return _shared(tuple(affected.items()))


def _fold(
    updates: list[Update], kind: Kind, audience: Audience, labels: dict[str, str]
) -> tuple[UpdateView, ...]:
    """Carry title, impact, components and window forward through the visible updates."""
    title, impact, starts, ends = "", None, None, None
    components: tuple[tuple[str, str | None], ...] = ()
    folded = []
    for update in updates:
        title = update.title or title
        impact = update.impact or impact
        components = update.components if update.components is not None else components
        starts, ends = update.starts or starts, update.ends or ends
        folded.append(
            UpdateView(
                item_id=update.item_id,
                stem=update.stem,
                date=update.date,
                status=update.status,
                title=title,
                impact=impact,
                components=_shared(tuple((cid, _state(state, impact, kind)) for cid, state in components)),
                body=visible_body(update.body, audience, labels),
                starts=starts,
                ends=ends,
                restricted_to=label(update.audiences, labels, audience),
            )
        )
    return tuple(folded)


_SHARED: dict[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]] = {}


def _shared(components: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """One object for each list of component states (a few kinds, repeated in every view)."""
    return _SHARED.setdefault(components, components)


_ONE: dict[object, object] = {}
H = TypeVar("H", bound=Hashable)


def _one(value: H) -> H:
    """One object for equal values that views hold many times alike (days, lists of component
    ids, label titles): a few thousand values, in tens of thousands of views."""
    return _ONE.setdefault(value, value)  # type: ignore[return-value]


def _reopenings(folded: tuple[UpdateView, ...], updates: list[Update]) -> tuple[UpdateView, ...]:
    """Mark the updates that reopen the incident in this view: ``reopened: true`` right after a
    resolution this audience saw (a restricted resolution never shows as one to others)."""
    return tuple(
        replace(view, reopened=True)
        if update.reopened and index > 0 and folded[index - 1].status == "resolved"
        else view
        for index, (view, update) in enumerate(zip(folded, updates, strict=True))
    )


def reopen_warnings(item: Item, now: datetime) -> list[Problem]:
    """Updates dated after now that will reopen the incident, resolved as of now, when they come due."""
    shown = [u for u in item.updates if u.date <= now]
    if item.kind != "incident" or not shown or shown[-1].status != "resolved":
        return []
    return [
        Problem(
            update.source,
            1,
            f"dated {update.date.isoformat(timespec='minutes')}, after now: when it comes due it "
            f"reopens this incident, resolved by {shown[-1].source.rsplit('/', 1)[-1]}; if it was "
            "written before the resolution and is no longer true, delete it",
        )
        for update in item.updates
        if update.date > now and update.reopened
    ][:1]


def _state(state: str | None, impact: str | None, kind: Kind) -> str:
    if kind == "maintenance":
        return "under_maintenance"
    return state or STATE_FROM_IMPACT[impact or "none"]


def _maintenance_status(latest: UpdateView, now: datetime) -> str:
    """Windows start and finish on time unless an update written after the end says otherwise."""
    status = latest.status
    if status in ("completed", "cancelled") or latest.starts is None or latest.ends is None:
        return status
    if now >= latest.ends:
        return "completed" if latest.date < latest.ends else status
    if status == "scheduled" and now >= latest.starts:
        return "in_progress"
    return status


def _ended(updates: tuple[UpdateView, ...], status: str, kind: Kind) -> datetime | None:
    """When it ended: the first of the closing updates (a later note does not lengthen it)."""
    final = "resolved" if kind == "incident" else status if status in ("completed", "cancelled") else ""
    if status != final:
        return None
    if updates[-1].status != final:  # a window completed by the clock
        return updates[-1].ends
    ended = updates[-1].date
    for update in reversed(updates):
        if update.status != final:
            break
        ended = update.date
    return ended
