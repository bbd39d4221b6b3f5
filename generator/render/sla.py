"""sla/index.html's words, api/sla.json and an open incident's SLA cost, from one audience's report."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from generator.audience import SiteView
from generator.dates import iso
from generator.render.uptime import percent, percent_text
from generator.sla import ComponentPeriod, Period


def minutes_text(seconds: float) -> str:
    """How pages show a downtime: "0 min", "43 min", "2 h 05 min" (rounded to the minute; under a
    minute but more than nothing, "< 1 min")."""
    if 0 < seconds < 30:
        return "< 1 min"
    minutes = round(seconds / 60)
    if minutes < 120:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def status(row: ComponentPeriod, period: Period) -> tuple[str, str, str]:
    """(class, verdict, detail): a past period met or breached its target; the current one is
    breached (its budget is spent), or projected at its rate so far to hold or not."""
    if row.breached:
        return "breached", "Breached", ""
    if not period.current:
        return "met", "Met", ""
    if row.projected is None:
        return "none", "No data yet", ""
    projected = f"projected {percent_text(1 - row.projected / row.length)}"
    if row.projected <= row.allowed:
        return "met", "On track", projected
    return "at-risk", "At risk", projected


@dataclass(frozen=True)
class CostLine:
    """'REST API: 47 min of 43 min allowed this month' and '— SLA breached' (or '— 12 min left')."""

    text: str
    verdict: str
    breached: bool


def cost_line(period: Period, row: ComponentPeriod, seconds: float) -> CostLine:
    return CostLine(
        f"{row.component.name}: {minutes_text(seconds)} of {minutes_text(row.allowed)} allowed "
        f"this {period.kind}",
        "SLA breached" if row.breached else f"{minutes_text(row.left)} left",
        row.breached,
    )


def sla_json(view: SiteView, report: list[Period]) -> dict[str, bytes]:
    settings = view.config.uptime
    data: dict[str, Any] = {
        "generated_at": iso(view.now),
        "timezone": str(view.config.timezone),
        "formula": {
            "partial_outage_weight": settings.partial_outage_weight,
            "maintenance_counts_as_down": settings.maintenance_counts_as_down,
        },
        "periods": [
            {
                "period": period.kind,
                "label": period.label,
                "first_day": period.first.isoformat(),
                "last_day": (period.after - timedelta(days=1)).isoformat(),
                "start": iso(period.start),
                "end": iso(period.end),
                "current": period.current,
                "components": [_row(period, row) for row in period.rows],
            }
            for period in report
        ],
    }
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return {"api/sla.json": text.encode("utf-8")}


def _row(period: Period, row: ComponentPeriod) -> dict[str, Any]:
    projected = row.projected if period.current else None
    return {
        "id": row.component.id,
        "name": row.component.name,
        "group": row.component.group or None,
        "target": row.target.target,
        "since": row.component.since.isoformat() if row.component.since else None,
        "period_seconds": round(row.length, 1),
        "known_seconds": round(row.known, 1),
        "allowed_seconds": round(row.allowed, 1),
        "used_seconds": round(row.used, 1),
        "left_seconds": round(row.left, 1),
        "uptime": percent(row.uptime),
        "breached": row.breached,
        "projection": None
        if projected is None
        else {
            "downtime_seconds": round(projected, 1),
            "uptime": percent(1 - projected / row.length),
            "holds": projected <= row.allowed,
        },
        "items": [
            {"uri": cost.item.uri, "title": cost.item.title, "seconds": round(cost.seconds, 1)}
            for cost in row.costs
        ],
    }
