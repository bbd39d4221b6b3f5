"""The HTML pages of one audience's tree, as ``{uri: bytes}``: pure functions of its view."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

import jinja2

from generator.audience import ItemView
from generator.config import Audience
from generator.errors import SiteError
from generator.render.feeds import FEEDS, component_feed_uris
from generator.render.sla import CostLine, minutes_text, period_label
from generator.render.sla import status as sla_status
from generator.render.theme import template_problem, translator
from generator.render.uptime import percent_text
from generator.render.viewfacts import ViewFacts
from generator.sla import Period
from generator.status import grouped_components, past_days, worst
from generator.uptime import ComponentUptime

COMPONENT_HISTORY = 25  # incidents listed on a component's page


class MonthContext(NamedTuple):
    month: str  # "2026-11"
    items: list[ItemView]
    newer: str | None
    older: str | None


class PageRenderer:
    """The HTML pages of one audience's tree (the other files are the Tree's: see tree.py)."""

    def __init__(self, env: jinja2.Environment, facts: ViewFacts, site_dir: Path):
        self.env = env
        self.site_dir = site_dir
        self.facts = facts
        self.view = facts.view
        # The audience's words, made once per tree: every page is given them (``t`` and the labels).
        self.t = translator(env, self.view.audience.language)
        self.words = {"t": self.t, **self.t.words()}

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
            component_names=self.facts.component_names,
            **context,
        )

    def _render(self, template: str, **context: object) -> bytes:
        """Render to bytes; a failing (site-overridden) template becomes a reported problem."""
        try:
            return self.env.get_template(template).render(**self.words, **context).encode("utf-8")
        except (
            jinja2.TemplateError,
            TypeError,
            ValueError,
            ArithmeticError,
            LookupError,
            AttributeError,
        ) as error:  # e.g. a filter given the wrong type in an override
            raise SiteError([template_problem(error, self.site_dir)]) from None

    def index(self, uptime: dict[str, ComponentUptime]) -> dict[str, bytes]:
        view = self.view
        upcoming = sorted((m for m in view.maintenances if m.upcoming), key=lambda m: (m.started, m.id))
        return {
            "index.html": self.render(
                "index.html",
                "index.html",
                now=self.view.now,
                overall=self.facts.overall,
                tab_state=self.facts.overall,
                overall_text=self.t(f"overall.{self.facts.overall}"),
                groups=grouped_components(view, self.facts.states),
                active=[i for i in view.incidents if i.active],
                maintenance_now=[m for m in view.maintenances if m.active],
                upcoming=upcoming,
                days=past_days(view),
                uptime={cid: percent_text(figure.uptime, self.t) for cid, figure in uptime.items()},
                uptime_days=view.config.uptime.days,
            )
        }

    def incident(self, item: ItemView, sla_costs: Sequence[CostLine] = ()) -> dict[str, bytes]:
        """The item's page: a function of the item alone, so an edit elsewhere never touches it
        (except, in an audience with ``sla_report``, an open item's ``sla_costs``: see tree.py)."""
        uri = item.uri + "index.html"
        tab = (
            {}
            if item.upcoming
            else {"tab_state": worst([s for _, s in item.components]) if item.active else "operational"}
        )
        return {uri: self.render("incident.html", uri, item=item, sla_costs=sla_costs, **tab)}

    def sla(self, report: list[Period]) -> dict[str, bytes]:
        """sla/index.html: every period's figures (audiences with ``sla_report`` only)."""
        settings = self.view.config.uptime
        return {
            "sla/index.html": self.render(
                "sla.html",
                "sla/index.html",
                now=self.view.now,
                tab_state=self.facts.overall,
                report=report,
                kinds=self.t.join([self.t(f"sla.kind.{k}") for k in dict.fromkeys(p.kind for p in report)]),
                weight=self.t.number(f"{settings.partial_outage_weight:g}"),
                maintenance_down=settings.maintenance_counts_as_down,
                status=lambda row, period: sla_status(row, period, self.t),
                period_label=lambda period: period_label(period, self.t),
                minutes=lambda seconds: minutes_text(seconds, self.t),
                percent_text=lambda fraction: percent_text(fraction, self.t),
            )
        }

    def history_index(self) -> dict[str, bytes]:
        years: dict[str, list[tuple[str, str]]] = {}
        for month, items in self.facts.months:
            years.setdefault(month[:4], []).append((month, self._count_items(items)))
        return {
            "history/index.html": self.render(
                "history.html",
                "history/index.html",
                now=self.view.now,
                years=list(years.items()),
                tab_state=self.facts.overall,
            )
        }

    def _count_items(self, items: list[ItemView]) -> str:
        """'3 incidents, 1 maintenance window' for the history overview."""
        incidents = sum(1 for item in items if item.kind == "incident")
        windows = len(items) - incidents
        parts = [
            self.t.plural("history.incidents", incidents) if incidents else "",
            self.t.plural("history.windows", windows) if windows else "",
        ]
        return ", ".join(p for p in parts if p)

    def month_pages(self, months: Iterable[str]) -> dict[str, bytes]:
        """history/<month>/index.html for the given months ("2026-11"), linked to their neighbours."""
        pages = {}
        for month in months:
            uri = f"history/{month}/index.html"
            pages[uri] = self.render("month.html", uri, **self.month_context(month)._asdict())
        return pages

    def month_context(self, month: str) -> MonthContext:
        """Everything a month page shows besides the site: its items and its neighbours' links."""
        listed = self.facts.months
        index = self.facts.month_position[month]
        newer = listed[index - 1][0] if index > 0 else None
        older = listed[index + 1][0] if index + 1 < len(listed) else None
        return MonthContext(month, listed[index][1], newer, older)

    def not_found(self) -> dict[str, bytes]:
        """Hosts serve 404.html at whatever path was asked for, so its links cannot be relative to
        it; root-relative ones (base_url's path) work at any depth, on any host, and before
        base_url's host is live."""
        root = tree_root(self.view.audience)
        return {
            "404.html": self._render(
                "404.html",
                site=self.view.config,
                audience=self.view.audience,
                now=self.view.now,
                root=root,
                canonical=self.view.audience.base_url,
                feeds={kind: root + name for kind, name in FEEDS.items()},
                component_names=self.facts.component_names,
                tab_state=self.facts.overall,
            )
        }

    def components(
        self, uptime: dict[str, ComponentUptime], only: Collection[str] | None = None
    ) -> dict[str, bytes]:
        """components/<id>/index.html: one component's state, its recent incidents, its feeds."""
        pages = {}
        for component in self.view.config.components:
            if only is not None and component.id not in only:
                continue
            uri = f"components/{component.id}/index.html"
            items = [item for item in self.facts.by_component.get(component.id, []) if not item.upcoming]
            items.sort(key=lambda i: (i.started, i.id), reverse=True)
            state = self.facts.states[component.id]
            pages[uri] = self.render(
                "component.html",
                uri,
                now=self.view.now,
                component=component,
                state=state,
                tab_state=state,
                items=items[:COMPONENT_HISTORY],
                uptime=uptime[component.id],
                percent_text=lambda fraction: percent_text(fraction, self.t),
                component_feeds={
                    kind: name.rsplit("/", 1)[1] for kind, name in component_feed_uris(component.id).items()
                },
            )
        return pages


def tree_root(audience: Audience) -> str:
    """The root-relative path an audience's tree is published at: base_url's path ("/", "/status/")."""
    return urlsplit(audience.base_url).path or "/"
