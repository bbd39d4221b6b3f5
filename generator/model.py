"""The content model: what the files say, before any audience's view. No I/O here."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, Literal

from generator.config import SiteConfig

if TYPE_CHECKING:
    from generator.spool import Stored

Kind = Literal["incident", "maintenance"]
KIND_DIRS: dict[Kind, str] = {"incident": "incidents", "maintenance": "maintenance"}  # in content/

INCIDENT_STATUSES = ("investigating", "identified", "monitoring", "resolved")
MAINTENANCE_STATUSES = ("scheduled", "in_progress", "verifying", "completed", "cancelled")
# What the statuses mean, in one place (pages, feeds, the API and the theme read these).
ACTIVE_STATUSES = ("investigating", "identified", "monitoring", "in_progress", "verifying")
CLOSED_STATUSES = ("resolved", "completed", "cancelled")
# The progress bar's steps, in order (a cancelled window shows no progress).
PROGRESS_STEPS: dict[str, tuple[str, ...]] = {
    "incident": INCIDENT_STATUSES,
    "maintenance": MAINTENANCE_STATUSES[:-1],
}
IMPACTS = ("none", "minor", "major", "critical")
COMPONENT_STATES = ("operational", "degraded_performance", "partial_outage", "major_outage")
# Worst last; under_maintenance ranks below any outage, as on hosted status pages.
STATE_ORDER = ("operational", "under_maintenance", "degraded_performance", "partial_outage", "major_outage")
STATE_FROM_IMPACT = {
    "none": "operational",
    "minor": "degraded_performance",
    "major": "partial_outage",
    "critical": "major_outage",
}


def pack(html: str) -> bytes:
    """Rendered HTML, compressed: bodies are most of what a loaded site holds (and of what the
    workers send back), while each is read only by the few pages that show it."""
    return zlib.compress(html.encode(), 1)


def unpack(packed: bytes | Stored) -> str:
    return zlib.decompress(packed if isinstance(packed, bytes) else packed.read()).decode()


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of rendered body and who may read it (see generator/audience.py)."""

    readers: frozenset[str]  # the ids of every audience allowed to see it
    packed: bytes | Stored  # its HTML (pack), or where a build keeps it on disk (generator/spool.py)
    names: tuple[str, ...] = ()  # the audiences it was written for (its markers'), for its label
    # An audience's view shows a segment as it is when its label names no one (audience.visible_body).
    restricted_to: ClassVar[str] = ""
    titles: ClassVar[tuple[str, ...]] = ()

    @property
    def html(self) -> str:
        return unpack(self.packed)

    def __reduce__(self) -> tuple[type[Segment], tuple[frozenset[str], bytes, tuple[str, ...]]]:
        """Pickled (the item cache, a worker's result), a body on disk is its bytes again, written
        as plain bytes: the item cache's unpickler needs to allow no call to make them."""
        packed = self.packed if isinstance(self.packed, bytes) else self.packed.read()
        return (Segment, (self.readers, packed, self.names))


# A body as each audience sees it, indexed by audience position: every audience's text is rendered
# from its own source, so nothing of a block it does not see shapes its HTML.
Body = tuple[tuple[Segment, ...], ...]


@dataclass(frozen=True, slots=True)
class Update:
    item_id: str  # its item's id (the item's own string)
    stem: str  # its file's name without .md (one string for equal names: generator/spool.py)
    folder: str  # its folder's site-relative path, one string for all its updates
    date: datetime
    status: str
    readers: frozenset[str]  # the ids of every audience allowed to see it (all: unmarked)
    body: Body
    title: str | None = None
    impact: str | None = None
    # None: not given. Each pair is (component id, state); state None = from impact.
    components: tuple[tuple[str, str | None], ...] | None = None
    starts: datetime | None = None
    ends: datetime | None = None
    audiences: tuple[str, ...] = ()  # its front matter's audience: names, for its label (): everyone
    template: str | None = None  # the message template it was written from, and its version
    template_version: str | None = None
    reopened: bool = False  # an incident's update after its resolution: it is open again
    unapproved_reason: str | None = None  # written from an unapproved template (new --unapproved)

    # Derived, not kept: a long history has many updates, and each name once is enough.
    @property
    def id(self) -> str:
        """Its permanent id, "<incident-id>/<file stem>", as feeds and anchors name it."""
        return f"{self.item_id}/{self.stem}"

    @property
    def source(self) -> str:
        """Its file's site-relative path, for messages."""
        return f"{self.folder}/{self.stem}.md"


@dataclass(frozen=True, slots=True)
class Postmortem:
    source: str
    date: datetime
    readers: frozenset[str]
    body: Body
    title: str | None = None
    audiences: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Item:
    """An incident or a maintenance window, with every update in order."""

    id: str
    kind: Kind
    updates: tuple[Update, ...]  # by date, ties by file name
    postmortem: Postmortem | None = None
    # A hash of the files it was loaded from and of what shaped loading (generator/itemcache.py):
    # what incremental builds key its pages on. Empty when not known (no cache).
    digest: bytes = field(default=b"", compare=False, repr=False)

    def moments(self) -> Iterator[datetime]:
        """The times at which the clock can change how it looks: an update or the postmortem
        coming due, a window starting or ending."""
        for update in self.updates:
            yield update.date
            if update.starts:
                yield update.starts
            if update.ends:
                yield update.ends
        if self.postmortem:
            yield self.postmortem.date


@dataclass(frozen=True, slots=True)
class Site:
    config: SiteConfig
    items: tuple[Item, ...]  # incidents and maintenance windows, sorted by id within kind
