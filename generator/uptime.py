"""Uptime per component and day, from one audience's view only (so restricted incidents never
change the figures of an audience that does not include theirs).

An incident gives a component the state its update names from that update until the next
update of the incident (``UpdateView.components`` is the state as of each update); a closing
update ends it; an open incident lasts until ``now``. A maintenance window gives its components
``under_maintenance`` from its start to its end (or its completion; an overrunning window up to
``now``). Where several overlap, the worst state counts. Days are in the site's time zone (so a
day of a clock change has 23 or 25 hours); today counts up to ``now``; days before a component's
``since`` have no data.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from generator.audience import ItemView, SiteView
from generator.config import Component, UptimeSettings
from generator.model import CLOSED_STATUSES, STATE_ORDER

# States with time counted per day; "operational" is the rest of the known time.
COUNTED = ("under_maintenance", "degraded_performance", "partial_outage", "major_outage")


@dataclass(frozen=True)
class Interval:
    start: datetime
    end: datetime
    state: str
    item: ItemView


@dataclass(frozen=True)
class Day:
    day: date
    known: float  # seconds with data (0: no data)
    seconds: dict[str, float]  # seconds in each non-operational state
    worst: str  # the worst state that day ("" when there is no data)
    uptime: float | None  # 0..1, None when there is no data
    items: tuple[ItemView, ...]  # what affected it that day, in order of start


@dataclass(frozen=True)
class ComponentUptime:
    component: Component
    days: tuple[Day, ...]  # oldest first
    known: float
    down: float  # weighted downtime, seconds

    @property
    def uptime(self) -> float | None:
        return 1 - self.down / self.known if self.known else None


def downtime(seconds: dict[str, float], settings: UptimeSettings) -> float:
    """The weighted down seconds: major outage in full, partial outage by its weight,
    maintenance only if configured, degraded performance never."""
    down = seconds.get("major_outage", 0.0) + settings.partial_outage_weight * seconds.get(
        "partial_outage", 0.0
    )
    if settings.maintenance_counts_as_down:
        down += seconds.get("under_maintenance", 0.0)
    return down


def intervals(view: SiteView, since: datetime) -> dict[str, list[Interval]]:
    """Every component's stateful intervals that end after ``since``, clipped to ``now``."""
    now = view.now
    by_component: dict[str, list[Interval]] = {}
    for item in view.items:
        if item.ended is not None and item.ended <= since:
            continue  # over before the period: most of a long history, skipped cheaply
        for cid, start, end, state in _item_intervals(item, now):
            if end > since and end > start:
                by_component.setdefault(cid, []).append(Interval(start, end, state, item))
    return by_component


def _item_intervals(item: ItemView, now: datetime) -> list[tuple[str, datetime, datetime, str]]:
    if item.kind == "maintenance":
        if item.status == "cancelled" or item.starts is None:
            return []
        end = item.ended or (now if item.active else item.ends or item.starts)
        end = min(end, now)
        return [(cid, item.starts, end, "under_maintenance") for cid, _ in item.latest.components]
    spans: list[tuple[str, datetime, datetime, str]] = []
    updates = item.updates
    for index, update in enumerate(updates):
        if update.status in CLOSED_STATUSES:
            continue
        end = updates[index + 1].date if index + 1 < len(updates) else now
        spans.extend(
            (cid, update.date, end, state) for cid, state in update.components if state != "operational"
        )
    return spans


def midnight(day: date, view: SiteView) -> datetime:
    """The start of ``day`` in the site's time zone, in UTC."""
    return datetime.combine(day, time(), tzinfo=view.config.timezone).astimezone(timezone.utc)


def uptime(view: SiteView) -> list[ComponentUptime]:
    """Each component's last ``uptime.days`` days (today last) and its totals over them."""
    settings = view.config.uptime
    tz = view.config.timezone
    today = view.now.astimezone(tz).date()
    days = [today - timedelta(days=n) for n in range(settings.days - 1, -1, -1)]
    bounds = [(midnight(d, view), min(midnight(d + timedelta(days=1), view), view.now)) for d in days]
    by_component = intervals(view, bounds[0][0])
    result = []
    for component in view.config.components:
        spans = by_component.get(component.id, [])
        first = midnight(component.since, view) if component.since else None
        figures, known_total, down_total = [], 0.0, 0.0
        for day, (start, end) in zip(days, bounds, strict=True):
            if first is not None and start < first:
                figures.append(Day(day, 0.0, {}, "", None, ()))
                continue
            seconds, items = _day(spans, start, end)
            known = max((end - start).total_seconds(), 0.0)
            down = downtime(seconds, settings)
            worst = max(seconds, key=STATE_ORDER.index, default="operational") if known else ""
            figures.append(Day(day, known, seconds, worst, 1 - down / known if known else None, items))
            known_total, down_total = known_total + known, down_total + down
        result.append(ComponentUptime(component, tuple(figures), known_total, down_total))
    return result


def _day(
    spans: list[Interval], start: datetime, end: datetime
) -> tuple[dict[str, float], tuple[ItemView, ...]]:
    """Seconds in each state between start and end (the worst where spans overlap), and the items."""
    inside = [s for s in spans if s.start < end and s.end > start]
    if not inside:
        return {}, ()
    seconds: dict[str, float] = {}
    for length, state, _ in pieces(inside, start, end):
        seconds[state] = seconds.get(state, 0.0) + length
    items = tuple({s.item.uri: s.item for s in sorted(inside, key=lambda s: (s.start, s.item.id))}.values())
    return seconds, items


def pieces(
    inside: list[Interval], start: datetime, end: datetime
) -> Iterator[tuple[float, str, list[Interval]]]:
    """The time between start and end cut wherever a span starts or ends, for each piece some span
    covers: its seconds, its state (the worst of the spans covering it) and the spans in that state.
    ``inside``: the spans that overlap start..end. The one computation of state over time: daily
    uptime and the SLA periods (generator/sla.py) both read it."""
    opening: dict[datetime, list[int]] = {}
    closing: dict[datetime, list[int]] = {}
    for index, span in enumerate(inside):
        left, right = max(span.start, start), min(span.end, end)
        if left < right:
            opening.setdefault(left, []).append(index)
            closing.setdefault(right, []).append(index)
    points = sorted({start, end, *opening, *closing})
    covering: set[int] = set()  # a sweep: the spans covering the piece that starts at each point
    for left, right in zip(points, points[1:], strict=False):
        covering.difference_update(closing.get(left, ()))
        covering.update(opening.get(left, ()))
        if covering:
            spans = [inside[index] for index in sorted(covering)]
            state = max((s.state for s in spans), key=STATE_ORDER.index)
            yield (right - left).total_seconds(), state, [s for s in spans if s.state == state]
