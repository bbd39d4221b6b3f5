"""api/uptime.json and what the pages show of uptime, from one audience's figures."""

from __future__ import annotations

import json
from typing import Any

from generator.audience import SiteView
from generator.dates import iso
from generator.i18n import Translator
from generator.uptime import COUNTED, ComponentUptime


def percent(fraction: float | None) -> float | None:
    """A fraction as a percentage with up to three decimals (None stays None: no data)."""
    return None if fraction is None else round(fraction * 100, 3)


def percent_text(fraction: float | None, t: Translator) -> str:
    """How pages show it: "99.95 %" ("99,95 %"), "100 %", or "no data"."""
    value = percent(fraction)
    if value is None:
        return t("uptime.no_data")
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    if text == "100" and fraction is not None and fraction < 1:
        text = "99.99"  # never round a day with downtime up to a clean 100 %
    return f"{t.number(text)} %"


def uptime_json(view: SiteView, figures: list[ComponentUptime]) -> dict[str, bytes]:
    settings = view.config.uptime
    data: dict[str, Any] = {
        "generated_at": iso(view.now),
        "timezone": str(view.config.timezone),
        "days": settings.days,
        "formula": {
            "partial_outage_weight": settings.partial_outage_weight,
            "maintenance_counts_as_down": settings.maintenance_counts_as_down,
        },
        "components": [
            {
                "id": figure.component.id,
                "name": figure.component.name,
                "group": figure.component.group or None,
                "since": figure.component.since.isoformat() if figure.component.since else None,
                "uptime": percent(figure.uptime),
                "known_seconds": round(figure.known),
                "downtime_seconds": round(figure.down),
                "days": [
                    {
                        "date": day.day.isoformat(),
                        "uptime": percent(day.uptime),
                        "worst": day.worst or None,
                        "known_seconds": round(day.known),
                        "seconds": {state: round(day.seconds.get(state, 0.0)) for state in COUNTED},
                        "items": [item.uri for item in day.items],
                    }
                    for day in figure.days
                ],
            }
            for figure in figures
        ],
    }
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return {"api/uptime.json": text.encode("utf-8")}
