"""HTML pages of one audience's tree, as ``{uri: bytes}``: pure functions of a view."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2

from generator.api import ApiWriter
from generator.audience import IncidentView, SiteView
from generator.badges import badge_svg
from generator.calendar import render_calendar
from generator.config import Audience, Component
from generator.errors import SiteError
from generator.feeds import FEEDS, by_activity, component_feed_uris, render_feeds
from generator.status import (
    OVERALL_LABELS,
    STATE_LABELS,
    component_states,
    grouped_components,
    history_months,
    past_days,
    worst,
)
from generator.theme import template_problem

COMPONENT_HISTORY = 25  # incidents listed on a component's page


class PageRenderer:
    """Renders the pages of one audience's view; what every page shares is computed once."""

    def __init__(self, env: jinja2.Environment, view: SiteView, site_dir: Path,
                 api_memo: dict[str, tuple[IncidentView, list[dict[str, Any]]]] | None = None,
                 newest_activity_first: list[IncidentView] | None = None):
        self.env = env
        self.site_dir = site_dir
        self.view = view
        self.states = component_states(view)
        self.overall = worst(list(self.states.values()))
        self.component_names = {c.id: c.name for c in view.config.components}
        self.months = history_months(view)
        self.items_by_uri = {item.uri: item for item in view.items}
        self.by_activity = newest_activity_first or by_activity(view.items)  # feeds read these
        self.by_component: dict[str, list[IncidentView]] = {}  # what ever affected each component
        for item in self.by_activity:
            for component_id in item.component_ids:
                self.by_component.setdefault(component_id, []).append(item)
        self.api = ApiWriter(view, self.states, self.by_activity, api_memo)  # the JSON API, alongside

    def render(self, template: str, uri: str, **context: object) -> bytes:
        """A page at ``uri``. Only the shared pages are given ``now``: incident and month pages must
        not depend on the clock, or a live preview would have to re-render them all as it moves."""
        depth = uri.count("/")
        root = "../" * depth if depth else "./"
        return self._render(
            template,
            site=self.view.config,
            audience=self.view.audience,
            root=root,
            canonical=self.view.audience.base_url + uri.removesuffix("index.html"),
            feeds={kind: root + name for kind, name in FEEDS.items()},
            component_names=self.component_names,
            **context,
        )

    def _render(self, template: str, **context: object) -> bytes:
        """Render to bytes; a failing (site-overridden) template becomes a reported problem."""
        try:
            return self.env.get_template(template).render(**context).encode("utf-8")
        except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError, LookupError,
                AttributeError) as error:  # e.g. a filter given the wrong type in an override
            raise SiteError([template_problem(error, self.site_dir)]) from None

    def index(self) -> dict[str, bytes]:
        view = self.view
        upcoming = sorted((m for m in view.maintenances if m.upcoming), key=lambda m: (m.started, m.id))
        return {"index.html": self.render(
            "index.html", "index.html",
            now=self.view.now,
            overall=self.overall,
            tab_state=self.overall,
            overall_text=OVERALL_LABELS[self.overall],
            groups=grouped_components(view, self.states),
            active=[i for i in view.incidents if i.active],
            maintenance_now=[m for m in view.maintenances if m.active],
            upcoming=upcoming,
            days=past_days(view),
        )}

    def incident(self, item: IncidentView) -> dict[str, bytes]:
        """The item's page: a function of the item alone, so an edit elsewhere never touches it."""
        uri = item.uri + "index.html"
        tab = {} if item.upcoming else {"tab_state": worst([s for _, s in item.components]) if item.active
                                        else "operational"}
        return {uri: self.render("incident.html", uri, item=item, **tab)}

    def shared(self, pages_of: Collection[str] | None = None, feeds_of: Collection[str] | None = None,
               calendar: bool = True) -> dict[str, bytes]:
        """Every file of the tree but the incident and month pages: cheap, and what any change touches.

        A live preview's edit touches a few components and maybe no maintenance window:
        ``pages_of`` and ``feeds_of`` narrow the component pages and feeds (None: all), and
        ``calendar`` says whether the maintenance calendar is needed.
        """
        return {**self.index(), **self.history_index(), **self.not_found(), **self.robots(),
                **render_feeds(self.view, items=self.by_activity), **self.api.shared(), **self.badges(),
                **self.components(pages_of), **self.component_feeds(feeds_of),
                **(render_calendar(self.view) if calendar else {})}

    def history_index(self) -> dict[str, bytes]:
        years: dict[str, list[tuple[str, str]]] = {}
        for month, items in self.months:
            years.setdefault(month[:4], []).append((month, _count_items(items)))
        return {"history/index.html": self.render("history.html", "history/index.html", now=self.view.now,
                                                  years=list(years.items()), tab_state=self.overall)}

    def month_keys(self) -> list[str]:
        return [month for month, _ in self.months]

    def month_pages(self, months: Iterable[str]) -> dict[str, bytes]:
        """history/<month>/index.html for the given months ("2026-11"), linked to their neighbours."""
        position = {month: index for index, (month, _) in enumerate(self.months)}
        pages = {}
        for month in months:
            index = position[month]
            uri = f"history/{month}/index.html"
            newer = self.months[index - 1][0] if index > 0 else None
            older = self.months[index + 1][0] if index + 1 < len(self.months) else None
            pages[uri] = self.render("month.html", uri, month=month, items=self.months[index][1],
                                     newer=newer, older=older)
        return pages

    def not_found(self) -> dict[str, bytes]:
        """Hosts serve 404.html at whatever path was asked for, so its links cannot be relative to
        it; root-relative ones (base_url's path) work at any depth, on any host, and before
        base_url's host is live."""
        root = tree_root(self.view.audience)
        return {"404.html": self._render(
            "404.html", site=self.view.config, audience=self.view.audience, now=self.view.now,
            root=root, canonical=self.view.audience.base_url,
            feeds={kind: root + name for kind, name in FEEDS.items()},
            component_names=self.component_names, tab_state=self.overall)}

    def components(self, only: Collection[str] | None = None) -> dict[str, bytes]:
        """components/<id>/index.html: one component's state, its recent incidents, its feeds."""
        pages = {}
        for component in self._components(only):
            uri = f"components/{component.id}/index.html"
            items = [item for item in self.by_component.get(component.id, []) if not item.upcoming]
            items.sort(key=lambda i: (i.started, i.id), reverse=True)
            state = self.states[component.id]
            pages[uri] = self.render("component.html", uri, now=self.view.now, component=component,
                                     state=state, tab_state=state, items=items[:COMPONENT_HISTORY],
                                     component_feeds={kind: name.rsplit("/", 1)[1] for kind, name in
                                                      component_feed_uris(component.id).items()})
        return pages

    def badges(self) -> dict[str, bytes]:
        """badge.svg for the whole page and components/<id>/badge.svg for each component."""
        badges = {"badge.svg": badge_svg("status", OVERALL_LABELS[self.overall].lower(), self.overall)}
        for component in self.view.config.components:
            state = self.states[component.id]
            badges[f"components/{component.id}/badge.svg"] = badge_svg(
                component.name, STATE_LABELS[state].lower(), state)
        return badges

    def component_feeds(self, only: Collection[str] | None = None) -> dict[str, bytes]:
        files: dict[str, bytes] = {}
        for component in self._components(only):
            files.update(render_feeds(self.view, component.id, self.by_component.get(component.id, [])))
        return files

    def _components(self, only: Collection[str] | None) -> list[Component]:
        return [c for c in self.view.config.components if only is None or c.id in only]

    def robots(self) -> dict[str, bytes]:
        if self.view.audience.noindex:
            return {"robots.txt": b"User-agent: *\nDisallow: /\n"}
        return {}


def tree_root(audience: Audience) -> str:
    """The root-relative path an audience's tree is published at: base_url's path ("/", "/status/")."""
    return urlsplit(audience.base_url).path or "/"


def _count_items(items: list[IncidentView]) -> str:
    """'3 incidents, 1 maintenance window' for the history overview."""
    incidents = sum(1 for item in items if item.kind == "incident")
    windows = len(items) - incidents
    parts = [f"{incidents} incident{'s' * (incidents != 1)}" if incidents else "",
             f"{windows} maintenance window{'s' * (windows != 1)}" if windows else ""]
    return ", ".join(p for p in parts if p)
