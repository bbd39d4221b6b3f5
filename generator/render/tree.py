"""One audience's tree: the one place that lists every file it holds.

``Tree.render(only)`` renders all of it, or the part ``only`` names: a build shares the parts out
to worker processes (shared files, batches of month pages, batches of incident pages), and the
live preview renders just what an edit touched, and a build renders only the incident and month
pages whose inputs (``item_page_inputs``, ``month_page_inputs``) changed since the previous build
(generator/incremental.py). Any new output of a tree is added here.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import jinja2

from generator.audience import ItemView, SiteView
from generator.render.api import StatuspageApi
from generator.render.badges import badge_svg
from generator.render.calendar import render_calendar
from generator.render.feeds import render_feeds
from generator.render.pages import MonthContext, PageRenderer
from generator.render.sla import CostLine, cost_line, sla_json
from generator.render.uptime import uptime_json
from generator.render.viewfacts import view_facts
from generator.sla import Period, current_costs, sla_report
from generator.uptime import uptime


@dataclass(frozen=True)
class Only:
    """A part of a tree (None: all of that kind).

    ``shared``: every file but the month and incident pages (front page, history index, 404,
    robots.txt, feeds, API, uptime, the SLA report, badges, component pages and feeds, calendar), narrowed by
    ``components`` (component pages), ``component_feeds`` and ``calendar``.
    """

    shared: bool = True
    components: Collection[str] | None = None
    component_feeds: Collection[str] | None = None
    calendar: bool = True
    months: Collection[str] | None = None  # "2026-11": history/2026-11/index.html
    items: Collection[str] | None = None  # item uris: "incidents/<id>/"

    @classmethod
    def shared_files(cls) -> Only:
        return cls(months=(), items=())

    @classmethod
    def month_pages(cls, months: Collection[str]) -> Only:
        return cls(shared=False, months=months, items=())

    @classmethod
    def item_pages(cls, items: Collection[str]) -> Only:
        return cls(shared=False, months=(), items=items)


EVERYTHING = Only()


@dataclass
class PreviewMemo:
    """What the live preview keeps between rebuilds of one tree; a build needs none of it."""

    api: dict[str, tuple[ItemView, list[dict[str, Any]]]] = field(default_factory=dict)
    newest_activity_first: list[ItemView] | None = None  # kept sorted edit by edit


class Tree:
    """One audience's files; what they share is computed once, when the tree is made."""

    def __init__(
        self, env: jinja2.Environment, view: SiteView, site_dir: Path, memo: PreviewMemo | None = None
    ):
        self.facts = view_facts(view, memo.newest_activity_first if memo else None)
        self.view = view
        self.pages = PageRenderer(env, self.facts, site_dir)
        self.api = StatuspageApi(view, self.facts.states, self.facts.by_activity, memo.api if memo else None)

    def render(self, only: Only = EVERYTHING) -> dict[str, bytes]:
        files = self.shared(only) if only.shared else {}
        files.update(self.pages.month_pages(self.facts.month_keys if only.months is None else only.months))
        for uri in self.facts.items_by_uri if only.items is None else only.items:
            item = self.facts.items_by_uri[uri]
            files.update(self.pages.incident(item, self.sla_costs(item)))
        return files

    def sla_files(self) -> dict[str, bytes]:
        """sla/index.html and api/sla.json, in an audience with ``sla_report`` only."""
        if not self.view.audience.sla_report:
            return {}
        return {**self.pages.sla(self.sla), **sla_json(self.view, self.sla)}

    @cached_property
    def sla(self) -> list[Period]:
        """This audience's SLA report (only read when it has ``sla_report``): computed once per tree."""
        return sla_report(self.view)

    def sla_costs(self, item: ItemView) -> list[CostLine]:
        """What an open item has cost each affected component's SLA this period, in an audience with
        ``sla_report`` (a maintenance window only when maintenance counts as down). These pages
        depend on the clock and on other items: ``statusgen serve`` re-renders them whenever it
        renders the audience's shared files (serve/live.py)."""
        if not self._priced(item):
            return []
        return [
            cost_line(period, row, row.cost_of(item), self.pages.t)
            for period, row in current_costs(self.sla, item)
        ]

    def _priced(self, item: ItemView) -> bool:
        """Whether the item's page shows SLA costs (see sla_costs)."""
        if not self.view.audience.sla_report or not item.active:
            return False
        if item.kind == "maintenance" and not self.view.config.uptime.maintenance_counts_as_down:
            return False
        targets = {c.id for c in self.view.config.components if c.sla is not None}
        return any(cid in targets for cid in item.component_ids)

    def item_page_inputs(self, uri: str) -> ItemView | None:
        """What an item's page is a function of, besides the site (see PageRenderer.incident);
        None when it is a function of the clock and of every item too: an open item's page in an
        audience with ``sla_report`` (its SLA costs), which an incremental build never reuses."""
        item = self.facts.items_by_uri[uri]
        return None if self._priced(item) else item

    def month_page_inputs(self, month: str) -> MonthContext:
        """What a month's page is a function of, besides the site: its items and neighbours."""
        return self.pages.month_context(month)

    def shared(self, only: Only = EVERYTHING) -> dict[str, bytes]:
        """Every file but the month and incident pages: cheap, and what any change touches."""
        pages = self.pages
        figures = uptime(self.view)  # depends on now and every item: shared, like the front page
        by_id = {figure.component.id: figure for figure in figures}
        return {
            **pages.index(by_id),
            **pages.history_index(),
            **pages.not_found(),
            **self.robots(),
            **render_feeds(self.view, pages.t, items=self.facts.by_activity),
            **self.api.shared(),
            **uptime_json(self.view, figures),
            **self.sla_files(),
            **self.badges(),
            **pages.components(by_id, only.components),
            **self.component_feeds(only.component_feeds),
            **(render_calendar(self.view, pages.t) if only.calendar else {}),
        }

    def badges(self) -> dict[str, bytes]:
        """badge.svg for the whole page and components/<id>/badge.svg for each component."""
        overall, t = self.facts.overall, self.pages.t
        badges = {"badge.svg": badge_svg(t("badge.status"), t(f"overall_inline.{overall}"), overall)}
        for component in self.view.config.components:
            state = self.facts.states[component.id]
            badges[f"components/{component.id}/badge.svg"] = badge_svg(
                component.name, t(f"state_inline.{state}"), state
            )
        return badges

    def component_feeds(self, only: Collection[str] | None = None) -> dict[str, bytes]:
        files: dict[str, bytes] = {}
        for component in self.view.config.components:
            if only is None or component.id in only:
                items = self.facts.by_component.get(component.id, [])
                files.update(render_feeds(self.view, self.pages.t, component.id, items))
        return files

    def robots(self) -> dict[str, bytes]:
        if self.view.audience.noindex:
            return {"robots.txt": b"User-agent: *\nDisallow: /\n"}
        return {}


def render_tree(
    env: jinja2.Environment, view: SiteView, site_dir: Path, only: Only = EVERYTHING
) -> dict[str, bytes]:
    """Every file of one audience's tree (or the part ``only`` names), as {uri: bytes}."""
    return Tree(env, view, site_dir).render(only)
