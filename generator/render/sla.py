"""sla/index.html's words, api/sla.json and an open incident's SLA cost, from one audience's report."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from generator.audience import SiteView
from generator.dates import iso
from generator.i18n import Translator
from generator.render.uptime import percent, percent_text
from generator.sla import ComponentPeriod, Period


def minutes_text(seconds: float, t: Translator) -> str:
    """How pages show a downtime: "0 min", "43 min", "2 h 05 min" (rounded to the minute; under a
    minute but more than nothing, "< 1 min")."""
    if 0 < seconds < 30:
        return t("duration.less_than_a_minute")
    minutes = round(seconds / 60)
    if minutes < 120:
        return t("duration.sla_minutes", minutes=minutes)
    return t("duration.sla_hours", hours=minutes // 60, minutes=f"{minutes % 60:02d}")


def period_label(period: Period, t: Translator) -> str:
    """ "November 2026", "Q4 2026", "2026" in the reader's language."""
    if period.kind == "month":
        return t.date(period.first, "month")
    if period.kind == "quarter":
        return t("sla.quarter_label", quarter=(period.first.month - 1) // 3 + 1, year=period.first.year)
    return str(period.first.year)


def status(row: ComponentPeriod, period: Period, t: Translator) -> tuple[str, str, str]:
    """(class, verdict, detail): a past period met or breached its target; the current one is
    breached (its budget is spent), or projected at its rate so far to hold or not."""
    if row.breached:
        return "breached", t("sla.breached"), ""
    if not period.current:
        return "met", t("sla.met"), ""
    if row.projected is None:
        return "none", t("sla.no_data_yet"), ""
    projected = t("sla.projected", percent=percent_text(1 - row.projected / row.length, t))
    if row.projected <= row.allowed:
        return "met", t("sla.on_track"), projected
    return "at-risk", t("sla.at_risk"), projected


@dataclass(frozen=True)
class CostLine:
    """'REST API: 47 min of 43 min allowed this month' and '— SLA breached' (or '— 12 min left')."""

    text: str
    verdict: str
    breached: bool


def cost_line(period: Period, row: ComponentPeriod, seconds: float, t: Translator) -> CostLine:
    return CostLine(
        t(
            f"sla.allowed.{period.kind}",
            component=row.component.name,
            used=minutes_text(seconds, t),
            allowed=minutes_text(row.allowed, t),
        ),
        t("sla.sla_breached") if row.breached else t("sla.left_after", minutes=minutes_text(row.left, t)),
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
