"""What a source reader hands to the writer: items and components, keyed by source ids."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime

from generator.model import Kind


@dataclass(frozen=True)
class SourceComponent:
    key: str  # stable source id, e.g. "statuspage:8l4ygp009s5s" or "cstate:ci.jenkins.io"
    name: str
    group: str = ""
    description: str = ""


@dataclass(frozen=True)
class SourceUpdate:
    key: str  # stable source id of the update: re-imports match files by it
    date: datetime
    status: str
    body: str  # Markdown, converted to statusgen's dialect
    title: str | None = None
    impact: str | None = None
    # Component keys with their state (None: from the impact); None: not given in this update.
    components: tuple[tuple[str, str | None], ...] | None = None
    starts: datetime | None = None
    ends: datetime | None = None


@dataclass(frozen=True)
class SourcePostmortem:
    key: str
    date: datetime
    body: str


@dataclass(frozen=True)
class SourceItem:
    """One incident or maintenance window, its updates in order."""

    key: str  # stable source id, e.g. "statuspage:00km0kwpz23b"
    kind: Kind
    title: str
    date: datetime  # names the folder: <date>-<title-slug>
    updates: tuple[SourceUpdate, ...]
    postmortem: SourcePostmortem | None = None


@dataclass
class Batch:
    """Everything one source holds, plus what was left out and why."""

    source: str  # what was read, for the summary
    items: list[SourceItem] = field(default_factory=list)
    components: list[SourceComponent] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "where: what was left out, and why"
    notes: list[str] = field(default_factory=list)  # worth knowing, nothing left out


def defer_impact(updates: list[SourceUpdate], what: str, batch: Batch) -> list[SourceUpdate]:
    """An incident with an impact that names no component: hosted pages allow it, statusgen
    only once it is resolved (while open, an impact must show on a component). Such an
    incident gets impact 'none' until its resolved update, which carries its impact."""
    impact = updates[0].impact
    if impact in (None, "none") or any(u.components for u in updates):
        return updates
    resolved = next((i for i, u in enumerate(updates) if u.status == "resolved"), None)
    if resolved == 0:
        return updates  # resolved from its first update: the impact may stay where it is
    if resolved is None:
        batch.notes.append(
            f"{what} has impact {impact!r} but names no component; imported with impact "
            "'none' (name its components in site.yml and the update to show it)"
        )
        return [dataclasses.replace(updates[0], impact="none"), *updates[1:]]
    batch.notes.append(
        f"{what} has impact {impact!r} but names no component; its impact is given "
        "from its resolved update on (statusgen shows an impact without components only "
        "once resolved)"
    )
    return [
        dataclasses.replace(updates[0], impact="none"),
        *updates[1:resolved],
        dataclasses.replace(updates[resolved], impact=impact),
        *updates[resolved + 1 :],
    ]
