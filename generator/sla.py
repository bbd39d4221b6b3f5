"""SLA periods per component, from one audience's view only: the uptime module's states, overlap
rule and weights (generator/uptime.py), summed over months, quarters or years in the site's time
zone, with the share of the downtime each incident or window used.

A period's allowed downtime is ``(100 - target) / 100`` of its length (from the component's
``since`` when that falls inside it); downtime is the weighted downtime of the uptime formula.
Where items overlap, a piece of time's downtime is shared equally by the items in its worst
state, so the items' shares add up to the period's downtime. The current period counts up to
now and is projected at its current rate: ``used * length / elapsed``.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from generator.audience import ItemView, SiteView
from generator.config import SLA_PERIODS, Component, SlaTarget
from generator.uptime import Interval, downtime, intervals, midnight, pieces

# How many periods before the current one the report lists (fewer when the view's oldest item is
# more recent): a year of months, two years of quarters, three years.
PAST_PERIODS = {"month": 12, "quarter": 8, "year": 3}
MONTHS = {"month": 1, "quarter": 3, "year": 12}


@dataclass(frozen=True)
class Cost:
    item: ItemView
    seconds: float  # its share of the weighted downtime


@dataclass(frozen=True)
class ComponentPeriod:
    """One component's figures for one period."""

    component: Component
    target: SlaTarget
    length: float  # seconds of the period with data once it is over (from since, if later)
    known: float  # seconds with data so far (to now)
    used: float  # weighted downtime, seconds
    costs: tuple[Cost, ...]  # largest first (ties: earliest first)

    @property
    def allowed(self) -> float:
        return round(self.length * (100 - self.target.target) / 100, 3)

    @property
    def left(self) -> float:
        return self.allowed - self.used

    @property
    def breached(self) -> bool:
        return self.used > self.allowed

    @property
    def uptime(self) -> float | None:
        return 1 - self.used / self.known if self.known else None

    @property
    def projected(self) -> float | None:
        """The downtime at the end of the period, at the rate so far (None: no time yet)."""
        return self.used * self.length / self.known if self.known else None

    def cost_of(self, item: ItemView) -> float:
        return next((cost.seconds for cost in self.costs if cost.item.uri == item.uri), 0.0)


@dataclass(frozen=True)
class Period:
    kind: str  # month, quarter or year
    first: date  # its first day, in the site's time zone
    after: date  # the first day after it
    start: datetime  # first's midnight, UTC
    end: datetime  # after's midnight, UTC
    current: bool
    rows: tuple[ComponentPeriod, ...]  # components with a target of this kind, site.yml order

    @property
    def label(self) -> str:
        if self.kind == "month":
            return self.first.strftime("%B %Y")
        if self.kind == "quarter":
            return f"Q{(self.first.month - 1) // 3 + 1} {self.first.year}"
        return str(self.first.year)


def period_first(day: date, kind: str) -> date:
    """The first day of the period of ``kind`` that holds ``day``."""
    month = (day.month - 1) // MONTHS[kind] * MONTHS[kind] + 1
    return date(day.year, month, 1)


def shift(first: date, kind: str, count: int) -> date:
    """The first day of the period ``count`` periods after (or before) the one starting on ``first``."""
    months = first.year * 12 + first.month - 1 + count * MONTHS[kind]
    return date(months // 12, months % 12 + 1, 1)


def sla_report(view: SiteView) -> list[Period]:
    """For each kind of period some component has a target for (month, quarter, year): the current
    period and the past ones since the view's oldest item (at most PAST_PERIODS), newest first."""
    targeted = [c for c in view.config.components if c.sla is not None]
    kinds = [kind for kind in SLA_PERIODS if any(c.sla and c.sla.period == kind for c in targeted)]
    if not kinds:
        return []
    tz = view.config.timezone
    today = view.now.astimezone(tz).date()
    oldest = view.items[-1].started.astimezone(tz).date() if view.items else today
    firsts = {}
    for kind in kinds:
        current = period_first(today, kind)
        since_oldest = _periods_between(period_first(min(oldest, today), kind), current, kind)
        past = min(PAST_PERIODS[kind], since_oldest)
        firsts[kind] = [shift(current, kind, -n) for n in range(past + 1)]
    by_component = {
        cid: _Spans(spans)
        for cid, spans in intervals(view, midnight(min(f[-1] for f in firsts.values()), view)).items()
    }
    report = []
    for kind in kinds:
        components = [c for c in targeted if c.sla and c.sla.period == kind]
        for index, first in enumerate(firsts[kind]):
            start, end = midnight(first, view), midnight(shift(first, kind, 1), view)
            rows = tuple(
                row
                for c in components
                if (row := _component_period(view, c, by_component.get(c.id, _NONE), start, end)) is not None
            )
            report.append(Period(kind, first, shift(first, kind, 1), start, end, index == 0, rows))
    return report


class _Spans:
    """A component's spans by start, to find those that overlap a period without reading them all."""

    def __init__(self, spans: list[Interval]):
        self.spans = sorted(spans, key=lambda s: (s.start, s.end, s.item.id))
        self.starts = [s.start for s in self.spans]
        self.longest = max((s.end - s.start for s in spans), default=timedelta())

    def overlapping(self, start: datetime, until: datetime) -> list[Interval]:
        low = bisect_left(self.starts, start - self.longest)
        high = bisect_left(self.starts, until)
        return [s for s in self.spans[low:high] if s.end > start]


_NONE = _Spans([])


def _periods_between(first: date, last: date, kind: str) -> int:
    return ((last.year - first.year) * 12 + last.month - first.month) // MONTHS[kind]


def _component_period(
    view: SiteView, component: Component, spans: _Spans, start: datetime, end: datetime
) -> ComponentPeriod | None:
    """Its figures from start to end (None: its history starts after the period)."""
    assert component.sla is not None
    if component.since is not None:
        start = max(start, midnight(component.since, view))
        if start >= end:
            return None
    until = max(min(end, view.now), start)
    inside = spans.overlapping(start, until)
    settings = view.config.uptime
    used, shares, items = 0.0, dict[str, float](), dict[str, ItemView]()
    for length, state, covering in pieces(inside, start, until) if inside else ():
        down = downtime({state: length}, settings)
        if not down:
            continue
        used += down
        sharing = {s.item.uri: s.item for s in covering}
        items.update(sharing)
        for uri in sharing:
            shares[uri] = shares.get(uri, 0.0) + down / len(sharing)
    costs = sorted(
        (Cost(items[uri], seconds) for uri, seconds in shares.items()),
        key=lambda c: (-round(c.seconds, 3), c.item.started, c.item.id),
    )
    return ComponentPeriod(
        component=component,
        target=component.sla,
        length=(end - start).total_seconds(),
        known=(until - start).total_seconds(),
        used=used,
        costs=tuple(costs),
    )


def current_costs(report: list[Period], item: ItemView) -> list[tuple[Period, ComponentPeriod]]:
    """The current period of each component the item affected that has a target, in the order
    the item names them: what an open incident's page shows."""
    rows = {row.component.id: (period, row) for period in report if period.current for row in period.rows}
    return [rows[cid] for cid in item.component_ids if cid in rows]
