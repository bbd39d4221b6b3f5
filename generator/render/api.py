"""A static, Statuspage-compatible JSON API (api/v2/...) of one audience's view.

Same endpoints, keys, key order and value vocabularies as Atlassian Statuspage's public API,
so the tools that read hosted status pages (exporters, aggregators, chat bots) read ours.
Ids are stable and come from content: incident folder names, update ids, component ids.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from html import unescape
from typing import Any

import nh3

from generator.audience import ItemView, SiteView, UpdateView
from generator.config import SLUG
from generator.dates import iso
from generator.model import CLOSED_STATUSES
from generator.status import worst

PREFIX = "api/v2/"
_NEVER = datetime(1970, 1, 1, tzinfo=timezone.utc)  # a page with no updates yet: never the clock
RECENT = 50  # incidents.json and scheduled-maintenances.json hold the 50 most recent, as the real API
# The page indicator and its words, as hosted pages derive them from component states.
_INDICATORS = {
    "operational": ("none", "All Systems Operational"),
    "under_maintenance": ("maintenance", "Service Under Maintenance"),
    "degraded_performance": ("minor", "Partially Degraded Service"),
    "partial_outage": ("major", "Partial System Outage"),
    "major_outage": ("major", "Partial System Outage"),
}


class StatuspageApi:
    """The JSON files of one audience's view; shared objects are computed once."""

    def __init__(
        self,
        view: SiteView,
        states: dict[str, str],
        by_activity: list[ItemView],
        memo: dict[str, tuple[ItemView, list[dict[str, Any]]]] | None = None,
    ):
        self.view = view
        self.states = states
        # A live preview keeps each item's update objects between rebuilds, while the item is unchanged.
        self.memo = {} if memo is None else memo
        self.page_id = _slug(view.config.title)
        self.last_named = self._last_named(by_activity)
        self.components = self._components()
        self.by_id = {c["id"]: c for c in self.components}
        latest: datetime | None = None  # the newest update: items come newest activity first
        for item in by_activity:
            if latest is not None and item.last_activity < latest:
                break
            latest = max(latest or item.latest.date, item.latest.date)
        self.page = {
            "id": self.page_id,
            "name": view.config.title,
            "url": view.audience.base_url.rstrip("/"),
            "time_zone": view.config.timezone.key,
            "updated_at": _time(latest or _NEVER),
        }

    def shared(self) -> dict[str, bytes]:
        """Every endpoint, and incidents/<id>.json for each incident or window listed in one."""
        view = self.view
        unresolved = [i for i in view.incidents if i.active]
        upcoming = sorted((m for m in view.maintenances if m.upcoming), key=lambda m: (m.started, m.id))
        active = [m for m in view.maintenances if m.active]
        objects = {
            item.uri: self.incident(item)
            for item in (
                *unresolved,
                *upcoming,
                *active,
                *view.incidents[:RECENT],
                *view.maintenances[:RECENT],
            )
        }
        data = self._shared_data(
            unresolved=[objects[i.uri] for i in unresolved],
            upcoming=[objects[m.uri] for m in upcoming],
            active=[objects[m.uri] for m in active],
            incidents=[objects[i.uri] for i in view.incidents[:RECENT]],
            maintenances=[objects[m.uri] for m in view.maintenances[:RECENT]],
            status=self.status(),
        )
        for obj in objects.values():
            data[f"incidents/{obj['id']}.json"] = {"page": self.page, "incident": obj}
            if obj["impact"] == "maintenance":
                data[f"scheduled-maintenances/{obj['id']}.json"] = {"page": self.page, "incident": obj}
        return {PREFIX + uri: _dump(content) for uri, content in data.items()}

    def _shared_data(
        self,
        unresolved: list[dict[str, Any]],
        upcoming: list[dict[str, Any]],
        active: list[dict[str, Any]],
        incidents: list[dict[str, Any]],
        maintenances: list[dict[str, Any]],
        status: dict[str, str],
    ) -> dict[str, Any]:
        page = self.page
        return {
            "summary.json": {
                "page": page,
                "components": self.components,
                "incidents": unresolved,
                "scheduled_maintenances": [*active, *upcoming],
                "status": status,
            },
            "status.json": {"page": page, "status": status},
            "components.json": {"page": page, "components": self.components},
            "incidents.json": {"page": page, "incidents": incidents},
            "incidents/unresolved.json": {"page": page, "incidents": unresolved},
            "scheduled-maintenances.json": {"page": page, "scheduled_maintenances": maintenances},
            "scheduled-maintenances/upcoming.json": {"page": page, "scheduled_maintenances": upcoming},
            "scheduled-maintenances/active.json": {"page": page, "scheduled_maintenances": active},
        }

    def status(self) -> dict[str, str]:
        """From component states, like the page's banner: everything down is critical."""
        states = list(self.states.values())
        if states and all(state == "major_outage" for state in states):
            return {"indicator": "critical", "description": "Major Service Outage"}
        indicator, description = _INDICATORS[worst(states)]
        return {"indicator": indicator, "description": description}

    def incident(self, item: ItemView) -> dict[str, Any]:
        """An incident or scheduled maintenance object, as the real API shapes it."""
        status = item.status
        if status == "resolved" and item.postmortem:
            status = "postmortem"
        elif status == "cancelled":  # not in the real API's vocabulary; clients know "completed"
            status = "completed"
        monitoring = next((u.date for u in item.updates if u.status == "monitoring"), None)
        data: dict[str, Any] = {
            "id": item.id,
            "name": item.title,
            "status": status,
            "created_at": _time(item.updates[0].date),
            "updated_at": _time(item.latest.date),
            "monitoring_at": _time(monitoring),
            "resolved_at": _time(item.ended),
            "impact": item.impact if item.kind == "incident" else "maintenance",
            "shortlink": self.view.audience.base_url + item.uri,
            "started_at": _time(item.started if item.kind == "incident" else item.updates[0].date),
            "page_id": self.page_id,
            "incident_updates": self._updates(item),
            "components": [self.by_id[cid] for cid, _ in item.components if cid in self.by_id],
        }
        if item.kind == "maintenance":
            data["scheduled_for"] = _time(item.starts)
            data["scheduled_until"] = _time(item.ends)
        return data

    def _updates(self, item: ItemView) -> list[dict[str, Any]]:
        """Newest first, each with the component changes it made."""
        kept = self.memo.get(item.uri)
        if kept and kept[0] is item:
            return kept[1]
        objects = self._update_objects(item)
        self.memo[item.uri] = (item, objects)
        return objects

    def _update_objects(self, item: ItemView) -> list[dict[str, Any]]:
        names = {c["id"]: c["name"] for c in self.components}
        previous: dict[str, str] = {}
        objects = []
        for update in item.updates:
            current = _states_after(update, item)
            changes = [
                {
                    "code": cid,
                    "name": names.get(cid, cid),
                    "old_status": previous.get(cid, "operational"),
                    "new_status": state,
                }
                for cid, state in current.items()
                if previous.get(cid, "operational") != state
            ]
            changes += [
                {"code": cid, "name": names.get(cid, cid), "old_status": state, "new_status": "operational"}
                for cid, state in previous.items()
                if cid not in current
            ]
            previous = current
            stamp = _time(update.date)
            objects.append(
                {
                    "id": update.id,
                    "status": "completed" if update.status == "cancelled" else update.status,
                    "body": plain_text(update.body_html),
                    "incident_id": item.id,
                    "created_at": stamp,
                    "updated_at": stamp,
                    "display_at": stamp,
                    "affected_components": changes or None,
                    "deliver_notifications": True,
                    "custom_tweet": None,
                    "tweet_id": None,
                }
            )
        return objects[::-1]

    def _components(self) -> list[dict[str, Any]]:
        """Components in site.yml order; each group as a group component listing its children."""
        objects: list[dict[str, Any]] = []
        groups: dict[str, dict[str, Any]] = {}
        for component in self.view.config.components:
            group_id = None
            if component.group:
                if component.group not in groups:
                    # Component ids never hold "_", so a group id cannot collide with one.
                    group_id = f"group_{len(groups) + 1}_{_slug(component.group)}"
                    groups[component.group] = self._component(group_id, component.group, "", None, True)
                    objects.append(groups[component.group])
                group_id = groups[component.group]["id"]
                groups[component.group]["components"].append(component.id)
            objects.append(
                self._component(component.id, component.name, component.description, group_id, False)
            )
        for group in groups.values():
            group["status"] = worst([self.states[cid] for cid in group["components"]])
        for position, data in enumerate(objects, start=1):
            data["position"] = position
        return objects

    def _component(
        self, component_id: str, name: str, description: str, group_id: str | None, group: bool
    ) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": component_id,
            "name": name,
            "status": self.states.get(component_id, "operational"),
            "created_at": None,
            "updated_at": _time(self.last_named.get(component_id)),
            "position": 0,
            "description": description or None,
            "showcase": False,
            "start_date": None,
            "group_id": group_id,
            "page_id": self.page_id,
            "group": group,
            "only_show_if_degraded": False,
        }
        if group:
            data["components"] = []
        return data

    def _last_named(self, by_activity: list[ItemView]) -> dict[str, datetime]:
        """When an update last named each component (content-derived, never the clock).

        Items come newest activity first, so the search ends once no older item can change it.
        """
        last: dict[str, datetime] = {}
        everything = len(self.view.config.components)
        for item in by_activity:
            if len(last) == everything and item.last_activity < min(last.values()):
                break
            for update in item.updates:
                for component_id, _ in update.components:
                    if component_id not in last or update.date > last[component_id]:
                        last[component_id] = update.date
        return last


def _states_after(update: UpdateView, item: ItemView) -> dict[str, str]:
    """Component states once this update is out: none after the end, or before a window opens."""
    closed = update.status in CLOSED_STATUSES
    if closed or (item.kind == "maintenance" and update.status == "scheduled"):
        return {}
    return dict(update.components)


def _time(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds, as the real API writes them."""
    return iso(moment).replace("Z", ".000Z") if moment else None


def _slug(text: str) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")
    while "--" in slug:
        slug = slug.replace("--", "-")
    return slug if SLUG.match(slug) else "page"


def _dump(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


_BLOCK = re.compile(r"<(?:p|pre|table|ul|ol|h[1-6]|div|blockquote)\b")
_LINE = re.compile(r"<(?:tr|br)\b")
_ITEM = re.compile(r"<li\b")
_BLANK_LINES = re.compile(r"\n{3,}")
_BETWEEN_TAGS = re.compile(r">\s*\n\s*<")


def plain_text(html: str) -> str:
    """The update's words without markup, as the real API's plain-text body."""
    html = _BETWEEN_TAGS.sub("><", html).replace("\n", " ")  # in HTML a line break is a space
    marked = _ITEM.sub("\n- <li", _LINE.sub("\n<tr", _BLOCK.sub("\n\n<p", html)))
    text = unescape(nh3.clean(marked, tags=set()))
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
