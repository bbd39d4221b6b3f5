"""Pure derivations on one audience's view: component states, overall status, history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from generator.audience import ItemView, SiteView
from generator.config import Component
from generator.model import STATE_ORDER

STATE_LABELS = {
    "operational": "Operational",
    "under_maintenance": "Under maintenance",
    "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
}
OVERALL_LABELS = {
    "operational": "All systems operational",
    "under_maintenance": "Maintenance in progress",
    "degraded_performance": "Some systems are degraded",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
}
STATUS_LABELS = {
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
    "scheduled": "Scheduled",
    "in_progress": "In progress",
    "verifying": "Verifying",
    "completed": "Completed",
    "cancelled": "Cancelled",
}
IMPACT_LABELS = {"none": "No impact", "minor": "Minor", "major": "Major", "critical": "Critical"}
# The tab's dot on each page (hex, no '#': it goes into a data: URL).
TAB_COLOURS = {
    "operational": "1a7f37",
    "under_maintenance": "0969da",
    "degraded_performance": "bf8700",
    "partial_outage": "d1242f",
    "major_outage": "82071e",
}


def worst(states: list[str]) -> str:
    return max(states, key=STATE_ORDER.index, default="operational")


def component_states(view: SiteView) -> dict[str, str]:
    """Each component's current state from the open incidents and windows this audience sees."""
    states = {c.id: "operational" for c in view.config.components}
    for item in view.items:
        if not item.active:
            continue
        for component_id, state in item.components:
            states[component_id] = worst([states[component_id], state])
    return states


@dataclass(frozen=True)
class ComponentGroup:
    name: str  # "" for components outside any group
    components: tuple[tuple[Component, str], ...]

    @property
    def state(self) -> str:
        return worst([state for _, state in self.components])


def grouped_components(view: SiteView, states: dict[str, str]) -> list[ComponentGroup]:
    """Components by group, groups in the order they first appear in site.yml."""
    order: dict[str, list[tuple[Component, str]]] = {}
    for component in view.config.components:
        order.setdefault(component.group, []).append((component, states[component.id]))
    return [ComponentGroup(name, tuple(items)) for name, items in order.items()]


def local_day(moment: datetime, view: SiteView) -> date:
    return moment.astimezone(view.config.timezone).date()


def past_days(view: SiteView) -> list[tuple[date, list[ItemView]]]:
    """The last ``history_days`` days (today first) with what started on each."""
    today = local_day(view.now, view)
    first = today - timedelta(days=view.config.history_days - 1)
    by_day: dict[date, list[ItemView]] = {}
    for item in view.items:  # newest first, so the search ends at the first older day
        if item.day < first:
            break
        if not item.upcoming and item.day <= today:
            by_day.setdefault(item.day, []).append(item)
    return [
        (today - timedelta(days=n), by_day.get(today - timedelta(days=n), []))
        for n in range(view.config.history_days)
    ]


def history_months(view: SiteView) -> list[tuple[str, list[ItemView]]]:
    """Every past incident and window by month ("2026-11"), newest month first, newest item first."""
    months: dict[str, list[ItemView]] = {}
    for item in view.items:
        if not item.upcoming:
            months.setdefault(item.month, []).append(item)
    return sorted(months.items(), reverse=True)
