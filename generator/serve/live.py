"""The whole site in memory for ``statusgen serve``, kept current file by file.

An edit to one incident's files re-renders only what depends on that incident: its page, the
month pages that list it, the pages and feeds of the components it touches, and the shared
files (front page, history index, feeds, API, badges, calendar). site.yml, the theme, or a
change to the folder structure rebuild everything. The result is byte for byte what
``statusgen build`` writes for the same content and time.
"""

from __future__ import annotations

import bisect
import gc
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from datetime import time as dt_time
from pathlib import Path
from typing import Any

import jinja2

from generator.audience import (
    ItemView,
    audience_labels,
    by_start,
    held_back,
    item_view,
    site_view,
    view_for,
)
from generator.authoring.message_templates import TEMPLATES_DIR, load_templates
from generator.build import Trees, load_site, render_all
from generator.config import SiteConfig
from generator.content import CONTENT_DIRS, folder_at, load_folder
from generator.dates import parse_timestamp
from generator.errors import Problem, Problems, SiteError
from generator.model import KIND_DIRS, Item
from generator.render.feeds import activity
from generator.render.pages import tree_root
from generator.render.theme import static_files
from generator.render.tree import Only, PreviewMemo, Tree
from generator.rendercache import RenderCache

FolderKey = tuple[str, str]  # (content folder: "incidents" or "maintenance", incident id)
_SOURCE_SUFFIXES = (".md", ".yml", ".yaml", ".html", ".css")
_API_ITEM_PREFIXES = ("api/v2/incidents/", "api/v2/scheduled-maintenances/")


@dataclass
class Rebuild:
    """What one rebuild did: the terminal prints it as one line."""

    changed: list[str]  # site-relative paths
    full: bool = False
    rendered: int = 0
    incident_pages: int = 0
    month_pages: int = 0
    removed: int = 0
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)  # the site's problems after it
    fixed: bool = False  # the site had problems before it and has none now
    serving: bool = True  # a good build is being served (False until the first one)
    held: list[tuple[str, datetime]] = field(default_factory=list)  # updates dated after now, after it

    def describe(self) -> str:
        what = ", ".join(self.changed[:3]) + (
            f" and {len(self.changed) - 3} more" if len(self.changed) > 3 else ""
        ) or ("site" if self.full else "the clock")
        took = f"in {self.seconds * 1000:.0f} ms"
        if self.problems:
            count = len(self.problems)
            serving = "still serving the last good build" if self.serving else "nothing to serve until fixed"
            return f"{what}: {count} problem{'s' * (count != 1)}; {serving} ({took})"
        if self.full:
            return f"{what}: rebuilt everything, {self.rendered} files {took}"
        fixed = "problems fixed; " if self.fixed else ""
        if not self.rendered and not self.removed:
            return f"{what}: {fixed}nothing to re-render ({took})"
        removed = f", removed {self.removed}" if self.removed else ""
        return (
            f"{what}: {fixed}re-rendered {_count(self.incident_pages, 'incident page')}, "
            f"{_count(self.month_pages, 'month page')} and "
            f"{_count(self.rendered - self.incident_pages - self.month_pages, 'shared file')}"
            f"{removed} {took}"
        )


@dataclass
class _State:
    """The last good site: what it was made from, and per audience what each item looks like."""

    config: SiteConfig
    env: jinja2.Environment
    moment: datetime
    incidents: dict[FolderKey, Item]
    views: dict[str, dict[FolderKey, ItemView]]  # audience id -> item -> view
    months: dict[str, list[str]]  # audience id -> month keys, newest first
    shared: dict[str, set[str]]  # audience id -> uris of its shared files
    orders: dict[str, _Orders]  # audience id -> its views in the orders pages and feeds read them
    held: dict[FolderKey, list[tuple[str, datetime]]]  # updates dated after now: (source, date)
    moments: _Moments
    api_memo: dict[str, dict[str, Any]] = field(default_factory=dict)  # audience id -> the API's memo


class _Orders:
    """One audience's views, sorted (oldest first) as pages and as feeds read them.

    Kept sorted edit by edit: re-sorting ten years of history on every save would cost more
    than rendering what the save changed.
    """

    def __init__(self, views: Iterable[ItemView]):
        self.by_start = sorted(views, key=by_start)
        self.by_activity = sorted(self.by_start, key=activity)

    def replace(self, old: list[ItemView], new: list[ItemView]) -> None:
        gone = {id(view) for view in old}
        if gone:
            self.by_start = [view for view in self.by_start if id(view) not in gone]
            self.by_activity = [view for view in self.by_activity if id(view) not in gone]
        for view in new:
            bisect.insort(self.by_start, view, key=by_start)
            bisect.insort(self.by_activity, view, key=activity)


class _Moments:
    """Every time at which the clock changes how an item looks (an update or postmortem coming
    due, a window starting or ending), sorted and kept edit by edit: on the clock, each rebuild
    asks what the clock passed, and the preview sleeps until the next one."""

    def __init__(self, incidents: dict[FolderKey, Item]):
        self.of: dict[FolderKey, list[datetime]] = {}
        self.order: list[tuple[datetime, FolderKey]] = []
        for key, incident in incidents.items():
            self.of[key] = sorted(set(incident.moments()))
            self.order += [(moment, key) for moment in self.of[key]]
        self.order.sort()

    def replace(self, key: FolderKey, incident: Item | None) -> None:
        for moment in self.of.pop(key, []):
            del self.order[bisect.bisect_left(self.order, (moment, key))]
        if incident is not None:
            self.of[key] = sorted(set(incident.moments()))
            for moment in self.of[key]:
                bisect.insort(self.order, (moment, key))

    def passed(self, before: datetime, after: datetime) -> set[FolderKey]:
        """The items with a moment in (before, after] (or (after, before] if the clock went back)."""
        low, high = min(before, after), max(before, after)
        start = bisect.bisect_right(self.order, low, key=_first)
        end = bisect.bisect_right(self.order, high, key=_first)
        return {key for _, key in self.order[start:end]}

    def next_after(self, moment: datetime) -> datetime | None:
        index = bisect.bisect_right(self.order, moment, key=_first)
        return self.order[index][0] if index < len(self.order) else None


def _first(entry: tuple[datetime, FolderKey]) -> datetime:
    return entry[0]


class LiveSite:
    """Every audience's tree as ``{uri: bytes}``; ``trees`` is replaced whole after each rebuild."""

    def __init__(
        self,
        site_dir: Path,
        now: str | None = None,
        workers: int = 1,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ):
        self.site_dir = site_dir
        self.fixed_now = now  # None: the clock, read at each rebuild
        self.clock = clock  # the preview's only way to the time (tests move it by hand)
        self.workers = workers
        self.cache = RenderCache(site_dir)
        self.trees: Trees = {}
        self.audiences: list[tuple[str, str]] = []  # (id, title) of the last good site
        self.roots: dict[str, str] = {}  # audience id: the path its 404 page links from (tree_root)
        self.logo: str | None = None  # the logo's site-relative path, when it is a file of the site
        self.problems: list[Problem] = []
        self.held: list[tuple[str, datetime]] = []  # (source, date) of updates dated after now
        self.generation = 0  # grows whenever what is served changes (pages or problems)
        self._state: _State | None = None
        self._site_problems: list[Problem] = []
        self._folder_problems: dict[FolderKey, list[Problem]] = {}
        self._template_problems: list[Problem] = []

    def rebuild(self, changed: Iterable[Path] = ()) -> Rebuild:
        """Bring the trees up to date with the files; ``changed`` are absolute paths."""
        started = time.perf_counter()
        names: list[str] = []
        try:
            paths = sorted(set(changed))
            # Editors' scratch files (sed's sedXXXXXX) come and go within a save: name only what stays.
            names = [
                self._relative(path) for path in paths if path.exists() or path.suffix in _SOURCE_SUFFIXES
            ]
            keys, templates, needs_full = self._classify(paths)
            if needs_full or self._state is None or self._site_problems:
                result = self._full(names)
            else:
                result = self._incremental(self._state, names, keys, templates)
        except Exception as error:  # a bug must not end the preview: report it, start afresh on the next save
            result = self._failed(error, names)
        return self._settle(result, started)

    def failed(self, error: Exception) -> Rebuild:
        """An error outside a rebuild (watching files, printing): shown like a problem of the site."""
        return self._settle(self._failed(error, []), time.perf_counter())

    def _failed(self, error: Exception, names: list[str]) -> Rebuild:
        self._site_problems = [
            Problem(
                "statusgen",
                0,
                f"unexpected error in the preview "
                f"({type(error).__name__}: {error}); save again "
                "to retry, or restart statusgen serve",
            )
        ]
        self._state = None
        return Rebuild(names)

    def _settle(self, result: Rebuild, started: float) -> Rebuild:
        """Publish the problems and held updates after a rebuild; a change of either is a new generation."""
        before, held_before = self.problems, self.held
        self.problems = SiteError(
            [
                *self._site_problems,
                *self._template_problems,
                *(p for ps in self._folder_problems.values() for p in ps),
            ]
        ).problems
        if self._state is not None:
            self.held = sorted(item for items in self._state.held.values() for item in items)
        result.problems, result.held, result.serving = self.problems, self.held, bool(self.trees)
        result.fixed = bool(before) and not self.problems
        if result.rendered or result.removed or self.problems != before or self.held != held_before:
            self.generation += 1
        # Keep the collector off the site's million long-lived objects: scanning them on every
        # rebuild would cost more than the rebuild. Garbage of this rebuild goes first; a full
        # rebuild replaced the whole state, so what was frozen before is collected too.
        if result.full:
            gc.unfreeze()
        gc.collect()
        gc.freeze()
        result.seconds = time.perf_counter() - started
        return result

    def seconds_to_next_moment(self) -> float | None:
        """On the clock: how long until a held update comes due or a window starts or ends."""
        if self.fixed_now is not None or self._state is None or self._site_problems:
            return None  # a broken site is rebuilt by the save that fixes it, not by the clock
        now = self._state.moment
        # Midnight in the site's time zone starts a new day on the front page's history.
        zone = self._state.config.timezone
        upcoming = [datetime.combine(now.astimezone(zone).date() + timedelta(days=1), dt_time(), zone)]
        next_moment = self._state.moments.next_after(now)
        if next_moment is not None:
            upcoming.append(next_moment)
        return max(0.0, (min(upcoming) - self.clock()).total_seconds()) + 0.01

    def _now(self, config: SiteConfig) -> datetime:
        if self.fixed_now is None:
            return self.clock()
        return parse_timestamp(self.fixed_now, config.timezone)

    def _relative(self, path: Path) -> str:
        try:
            return path.relative_to(self.site_dir).as_posix()
        except ValueError:
            return str(path)

    def _classify(self, paths: list[Path]) -> tuple[set[FolderKey], bool, bool]:
        """The incident folders that changed, whether message templates did, and whether
        only a full rebuild will do."""
        keys: set[FolderKey] = set()
        templates = False
        for path in paths:
            parts = Path(self._relative(path)).parts
            if parts[:1] == ("content",) and len(parts) >= 3 and parts[1] in CONTENT_DIRS:
                keys.add((parts[1], parts[2]))
            elif parts[:-1] == TEMPLATES_DIR.parts:
                templates = True  # message templates: validated, never rendered
            else:  # site.yml, the theme, the logo, or content/'s own structure
                return keys, templates, True
        return keys, templates, False

    def _full(self, names: list[str]) -> Rebuild:
        self._folder_problems.clear()
        self._template_problems = []
        try:
            site, moment, env = load_site(
                self.site_dir, self.fixed_now or self.clock(), self.workers, (), self.cache
            )
            renderers = [
                Tree(env, view_for(site, audience, moment), self.site_dir)
                for audience in site.config.audiences
            ]
            trees: Trees = {}
            assets = static_files(site.config, self.site_dir)
            report = render_all(renderers, assets, None, self.workers, trees)
        except SiteError as error:
            self._site_problems = error.problems
            return Rebuild(names, full=True)
        self._site_problems = []
        self.cache.save()
        self.cache.take_log()
        incidents = {(KIND_DIRS[i.kind], i.id): i for i in site.items}
        self._state = _State(
            config=site.config,
            env=env,
            moment=moment,
            incidents=incidents,
            views={
                r.view.audience.id: {(KIND_DIRS[v.kind], v.id): v for v in r.view.items} for r in renderers
            },
            months={r.view.audience.id: r.facts.month_keys for r in renderers},
            orders={r.view.audience.id: _Orders(r.view.items) for r in renderers},
            held={
                key: found for key, incident in incidents.items() if (found := held_back(incident, moment))
            },
            moments=_Moments(incidents),
            shared={
                r.view.audience.id: {uri for uri in trees[r.view.audience.id] if not _is_item_or_month(uri)}
                for r in renderers
            },
        )
        self.trees = trees
        self.audiences = [(a.id, a.title) for a in site.config.audiences]
        self.roots = {a.id: tree_root(a) for a in site.config.audiences}
        self.logo = site.config.logo if site.config.logo_uri else None
        return Rebuild(names, full=True, rendered=sum(report.files.values()))

    def _incremental(self, state: _State, names: list[str], keys: set[FolderKey], templates: bool) -> Rebuild:
        result = Rebuild(names)
        changed = self._reload(state, keys)
        if changed is None:  # an incident and a window now share a name: judged site-wide
            return self._full(names)
        if templates:
            problems = Problems(self.site_dir)
            load_templates(self.site_dir, state.config, problems)
            self._template_problems = problems.items
        moment = self._now(state.config)
        changed |= state.moments.passed(state.moment, moment)
        clock_moved, state.moment = moment != state.moment, moment
        for key in changed:
            incident = state.incidents.get(key)
            found = held_back(incident, moment) if incident else []
            if found:
                state.held[key] = found
            else:
                state.held.pop(key, None)
        trees = dict(self.trees)
        labels, tz = audience_labels(state.config), state.config.timezone
        try:
            for audience in state.config.audiences:
                tree = trees[audience.id] = dict(trees[audience.id])
                views = state.views[audience.id]
                olds, news = [], []  # the views of what changed, before and after
                for key in changed:
                    incident = state.incidents.get(key)
                    new = item_view(incident, audience, moment, labels, tz) if incident else None
                    old = views.get(key)
                    if new == old:
                        continue
                    if old is not None:
                        olds.append(old)
                        del views[key]
                    if new is not None:
                        news.append(new)
                        views[key] = new
                state.orders[audience.id].replace(olds, news)
                touched = olds + news
                if touched or clock_moved:
                    self._render(state, audience.id, tree, touched, clock_moved, result)
        except SiteError as error:  # a theme template that fails only on some content
            self._site_problems = error.problems
            self._state = None  # the in-memory views ran ahead of the trees: start afresh after a fix
            return result
        self.trees = trees
        self.cache.take_log()  # a preview session's renders are not kept: memory stays flat
        return result

    def _reload(self, state: _State, keys: set[FolderKey]) -> set[FolderKey] | None:
        """Read the changed folders; a folder with problems keeps its last good version."""
        changed: set[FolderKey] = set()
        for key in sorted(keys):
            directory, incident_id = key
            path = self.site_dir / "content" / directory / incident_id
            problems = Problems(self.site_dir)
            incident = None
            if path.exists() or path.is_symlink():  # a broken link is a problem, not a deletion
                folder = folder_at(path, self.site_dir, problems)
                other = "maintenance" if directory == "incidents" else "incidents"
                if folder and (self.site_dir / "content" / other / incident_id).exists():
                    return None
                if folder:
                    incident, found = load_folder(
                        folder, state.config, self.site_dir, render=self.cache.render
                    )
                    problems.extend(found)
            if problems.items:
                self._folder_problems[key] = problems.items
                continue
            self._folder_problems.pop(key, None)
            if incident != state.incidents.get(key):
                if incident is None:
                    del state.incidents[key]
                else:
                    state.incidents[key] = incident
                state.moments.replace(key, incident)
                changed.add(key)
        return changed

    def _render(
        self,
        state: _State,
        audience_id: str,
        tree: dict[str, bytes],
        touched: list[ItemView],
        clock_moved: bool,
        result: Rebuild,
    ) -> None:
        """Re-render one audience's files that depend on the touched items (or on the clock)."""
        audience = next(a for a in state.config.audiences if a.id == audience_id)
        orders = state.orders[audience_id]
        view = site_view(state.config, audience, state.moment, reversed(orders.by_start), presorted=True)
        memo = PreviewMemo(
            api=state.api_memo.setdefault(audience_id, {}), newest_activity_first=orders.by_activity[::-1]
        )
        renderer = Tree(state.env, view, self.site_dir, memo)
        components = {cid for item in touched for cid in item.component_ids}
        files = renderer.render(
            Only(
                components=None if clock_moved else components,
                component_feeds=components,
                calendar=any(item.kind == "maintenance" for item in touched),
                months=self._months_to_render(state, audience_id, renderer, tree, touched, result),
                items=_items_to_render(renderer, tree, touched, result) + _sla_pages(renderer, touched),
            )
        )
        self._drop_unlisted_api_files(state, audience_id, tree, files, result)
        tree.update(files)
        result.rendered += len(files)
        result.month_pages += sum(1 for uri in files if uri.startswith("history/") and _is_item_or_month(uri))
        result.incident_pages += sum(1 for uri in files if uri.startswith(("incidents/", "maintenance/")))

    @staticmethod
    def _months_to_render(
        state: _State,
        audience_id: str,
        renderer: Tree,
        tree: dict[str, bytes],
        touched: list[ItemView],
        result: Rebuild,
    ) -> list[str]:
        """The months the touched items are in; all of them when a month appeared or emptied
        (its neighbours' links change), whose page is then removed."""
        months = renderer.facts.month_keys
        if months == state.months[audience_id]:
            return sorted({item.month for item in touched if not item.upcoming} & set(months))
        for month in set(state.months[audience_id]) - set(months):
            del tree[f"history/{month}/index.html"]
            result.removed += 1
        state.months[audience_id] = months
        return months

    @staticmethod
    def _drop_unlisted_api_files(
        state: _State, audience_id: str, tree: dict[str, bytes], files: dict[str, bytes], result: Rebuild
    ) -> None:
        """The API writes incidents/<id>.json only for the items it lists: drop those it no longer does."""
        shared_now = {uri for uri in files if not _is_item_or_month(uri)}
        for uri in state.shared[audience_id]:
            if uri.startswith(_API_ITEM_PREFIXES) and uri not in shared_now:
                del tree[uri]
                result.removed += 1
            else:
                shared_now.add(uri)
        state.shared[audience_id] = shared_now


def _sla_pages(renderer: Tree, touched: list[ItemView]) -> list[str]:
    """In an audience with ``sla_report``, open items' pages show SLA costs that change with the
    clock and with every other item: rendered again with the shared files (not twice)."""
    if not renderer.view.audience.sla_report:
        return []
    again = {item.uri for item in touched}
    return [item.uri for item in renderer.view.items if item.active and item.uri not in again]


def _items_to_render(
    renderer: Tree, tree: dict[str, bytes], touched: list[ItemView], result: Rebuild
) -> list[str]:
    """The touched items this audience still sees; the pages of the others are removed."""
    items = []
    for uri in dict.fromkeys(item.uri for item in touched):
        if uri in renderer.facts.items_by_uri:
            items.append(uri)
        elif tree.pop(uri + "index.html", None) is not None:  # deleted, or no longer visible
            result.removed += 1
    return items


def _is_item_or_month(uri: str) -> bool:
    return uri.startswith(("incidents/", "maintenance/")) or (
        uri.startswith("history/") and uri != "history/index.html"
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
