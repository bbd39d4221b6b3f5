"""The whole site in memory for ``statusgen serve``, kept current file by file.

The site is loaded as ``statusgen build`` loads it (folders unchanged since the item cache was
saved are not parsed again), and each file is rendered when it is first asked for (lazy.py). An
edit to one incident's files re-renders only what depends on that incident: its page and the
month pages that list it at once, and, when next asked for, the pages and feeds of the
components it touches and the shared files (front page, history index, feeds, API, badges,
calendar). site.yml, the theme, or a change to the folder structure reload the site and start
every tree afresh. What is served is byte for byte what ``statusgen build`` writes for the same
content and time.
"""

from __future__ import annotations

import bisect
import gc
import threading
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
from generator.build import load_site
from generator.config import SiteConfig
from generator.content import CONTENT_DIRS, folder_at, load_folder
from generator.dates import parse_timestamp
from generator.errors import Problem, Problems, SiteError
from generator.itemcache import ItemCache
from generator.model import KIND_DIRS, Item
from generator.render.feeds import activity
from generator.render.pages import tree_root
from generator.render.theme import static_files
from generator.render.tree import Only, PreviewMemo, Tree
from generator.rendercache import RenderCache
from generator.serve.lazy import LazyTree

FolderKey = tuple[str, str]  # (content folder: "incidents" or "maintenance", incident id)
Trees = dict[str, LazyTree]  # audience id -> its tree
_SOURCE_SUFFIXES = (".md", ".yml", ".yaml", ".html", ".css")


@dataclass
class Rebuild:
    """What one rebuild did: the terminal prints it as one line."""

    changed: list[str]  # site-relative paths
    full: bool = False
    files: int = 0  # after a full rebuild: the incident and month pages of every tree
    rendered: int = 0  # files rendered by the rebuild itself (the others when first asked for)
    incident_pages: int = 0
    month_pages: int = 0
    removed: int = 0
    stale: bool = False  # what is served changed: some shared files render again when asked for
    page: str = ""  # not a rebuild: "<audience>/<uri>" failed to render when asked for
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
        count = len(self.problems)
        if self.page:
            return f"{self.page}: {count} problem{'s' * (count != 1)} rendering it; served as an error page"
        if self.problems:
            serving = "still serving the last good build" if self.serving else "nothing to serve until fixed"
            return f"{what}: {count} problem{'s' * (count != 1)}; {serving} ({took})"
        if self.full:
            return f"{what}: rebuilt everything, {self.files} pages (rendered when first asked for) {took}"
        fixed = "problems fixed; " if self.fixed else ""
        if not self.rendered and not self.removed and not self.stale:
            return f"{what}: {fixed}nothing to re-render ({took})"
        removed = f", removed {self.removed}" if self.removed else ""
        return (
            f"{what}: {fixed}re-rendered {_count(self.incident_pages, 'incident page')} and "
            f"{_count(self.month_pages, 'month page')}{removed}; the shared files when next asked for {took}"
        )


@dataclass
class _State:
    """The last good site: what it was made from, and per audience what each item looks like."""

    config: SiteConfig
    env: jinja2.Environment
    moment: datetime
    incidents: dict[FolderKey, Item]
    views: dict[str, dict[FolderKey, ItemView]]  # audience id -> item -> view
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
        for view in old:  # found by their keys, which no two items share (uri, id)
            del self.by_start[
                self.by_start.index(view, bisect.bisect_left(self.by_start, by_start(view), key=by_start))
            ]
            at = bisect.bisect_left(self.by_activity, activity(view), key=activity)
            del self.by_activity[self.by_activity.index(view, at)]
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
    """Every audience's tree as ``{uri: bytes}`` (lazy.py); ``trees`` is replaced whole after each rebuild."""

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
        self._page_problems: list[Problem] = []  # of pages that failed when asked for, since the rebuild
        self._publishing = threading.Lock()  # rebuilds and page requests both publish problems

    def page_failed(self, page: str, error: SiteError) -> Rebuild:
        """A page that failed to render when asked for: its problems are shown with the site's."""
        with self._publishing:
            self._page_problems += [p for p in error.problems if p not in self._page_problems]
            before = self.problems
            self.problems = self._all_problems()
            if self.problems != before:
                self.generation += 1
            return Rebuild([], page=page, problems=self.problems, held=self.held, serving=bool(self.trees))

    def _all_problems(self) -> list[Problem]:
        return SiteError(
            [
                *self._site_problems,
                *self._template_problems,
                *(p for ps in self._folder_problems.values() for p in ps),
                *self._page_problems,
            ]
        ).problems

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
        with self._publishing:
            before, held_before = self.problems, self.held
            if result.changed:  # a save (not the clock): a page that failed fails again when asked for
                self._page_problems = []
            self.problems = self._all_problems()
            if self._state is not None:
                self.held = sorted(item for items in self._state.held.values() for item in items)
            result.problems, result.held, result.serving = self.problems, self.held, bool(self.trees)
            result.fixed = bool(before) and not self.problems
            changed = result.rendered or result.removed or result.stale
            if changed or self.problems != before or self.held != held_before:
                self.generation += 1
        # Keep the collector off the site's million long-lived objects: scanning them on every
        # rebuild would cost more than the rebuild. Garbage of this rebuild goes first; a full
        # rebuild replaced the whole state, so what was frozen before is collected too. (At the
        # first start nothing was: scanning a 10,000-incident site for the load's few thousand
        # objects of garbage would cost a second.)
        first = result.full and gc.get_freeze_count() == 0
        if result.full:
            gc.unfreeze()
        if not first:
            gc.collect()
        gc.freeze()
        gc.enable()
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
        items = ItemCache(self.site_dir)
        # Folders kept in the item cache cost less to take here than to send back from worker
        # processes: only a first start (no cache yet) parses them on every core.
        workers = 1 if items.path and items.path.is_file() else self.workers
        gc.disable()  # a million new objects: collecting as they come costs more than the load (_settle)
        try:
            site, moment, env = load_site(
                self.site_dir, self.fixed_now or self.clock(), workers, (), self.cache, items=items
            )
            env.auto_reload = False  # every template is compiled: a tree renders with its own
            renderers = [
                Tree(env, view_for(site, audience, moment), self.site_dir)
                for audience in site.config.audiences
            ]
            assets = static_files(site.config, self.site_dir)
            trees = {r.view.audience.id: LazyTree(r, assets) for r in renderers}
            rendered = sum(_probe(tree, first=index == 0) for index, tree in enumerate(trees.values()))
        except SiteError as error:
            self._site_problems = error.problems
            return Rebuild(names, full=True)
        self._site_problems = []
        self.cache.save()
        self.cache.take_log()
        items.save()
        incidents = {(KIND_DIRS[i.kind], i.id): i for i in site.items}
        self._state = _State(
            config=site.config,
            env=env,
            moment=moment,
            incidents=incidents,
            views={
                r.view.audience.id: {(KIND_DIRS[v.kind], v.id): v for v in r.view.items} for r in renderers
            },
            orders={r.view.audience.id: _Orders(r.view.items) for r in renderers},
            held={
                key: found for key, incident in incidents.items() if (found := held_back(incident, moment))
            },
            moments=_Moments(incidents),
        )
        self.trees = trees
        self.audiences = [(a.id, a.title) for a in site.config.audiences]
        self.roots = {a.id: tree_root(a) for a in site.config.audiences}
        self.logo = site.config.logo if site.config.logo_uri else None
        return Rebuild(
            names, full=True, rendered=rendered, files=sum(tree.pages() for tree in trees.values())
        )

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
                    trees[audience.id] = self._update(state, trees[audience.id], touched, clock_moved, result)
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

    def _update(
        self, state: _State, tree: LazyTree, touched: list[ItemView], clock_moved: bool, result: Rebuild
    ) -> LazyTree:
        """One audience's next tree: the pages of the touched items (or of the clock) are stale.

        The touched items' and months' pages are rendered now (a template that fails on them is
        reported with the save that made it fail); the shared files when next asked for."""
        audience = tree.renderer.view.audience
        orders = state.orders[audience.id]
        view = site_view(state.config, audience, state.moment, reversed(orders.by_start), presorted=True)
        memo = PreviewMemo(
            api=state.api_memo.setdefault(audience.id, {}), newest_activity_first=orders.by_activity[::-1]
        )
        renderer = Tree(state.env, view, self.site_dir, memo)
        components = {cid for item in touched for cid in item.component_ids}
        items = [item.uri + "index.html" for item in touched]
        months = [f"history/{item.month}/index.html" for item in touched if not item.upcoming]
        changed = Only(
            months=(),
            items=(),
            components=None if clock_moved else components,
            component_feeds=components,
            calendar=any(item.kind == "maintenance" for item in touched),
        )
        new = tree.after(renderer, [*items, *months, *_sla_pages(renderer)], changed)
        result.stale = True
        result.removed += sum(1 for uri in set(items) if tree.has_page(uri) and not new.has_page(uri))
        result.removed += len(set(tree.month_keys) - set(new.month_keys))
        for uri in dict.fromkeys([*items, *months]):
            if new.has_page(uri):
                new[uri]  # noqa: B018 (rendered now)
                result.rendered += 1
                if uri.startswith("history/"):
                    result.month_pages += 1
                else:
                    result.incident_pages += 1
        return new


def _probe(tree: LazyTree, first: bool) -> int:
    """Render a new tree's newest incident, window and month pages, and the first audience's shared
    files: a theme mistake shows with the rebuild, not with the first page that meets it. (The
    other audiences' shared files, a third of a second each at 10,000 incidents, wait.)"""
    facts = tree.renderer.facts
    newest = {item.kind: item.uri + "index.html" for item in reversed(facts.view.items)}
    pages = [*newest.values(), *(f"history/{month}/index.html" for month in facts.month_keys[:1])]
    for uri in pages:
        tree[uri]  # noqa: B018 (rendered now)
    return (len(tree.shared()) if first else 0) + len(pages)


def _sla_pages(renderer: Tree) -> list[str]:
    """In an audience with ``sla_report``, open items' pages show SLA costs that change with the
    clock and with every other item: stale whenever anything of the audience changes."""
    if not renderer.view.audience.sla_report:
        return []
    return [item.uri + "index.html" for item in renderer.view.items if item.active]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
