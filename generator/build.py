"""The pipeline: load everything, validate everything, render, write what changed, publish."""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import jinja2

from generator import output, parallel
from generator.audience import held_back, reopen_warnings, views_for
from generator.authoring.advice import setup_warnings
from generator.authoring.message_templates import approval_problems, load_templates, unapproved_updates
from generator.config import SiteConfig, load_config
from generator.content import Folder, find_folders, load_folder
from generator.dates import parse_timestamp
from generator.errors import Problem, Problems
from generator.incremental import PageLedger, Previous, Reused, fingerprint
from generator.itemcache import ItemCache, folder_key, loading_inputs
from generator.model import Item, Site
from generator.render.theme import make_env, static_files, theme_dirs
from generator.render.tree import Only, Tree
from generator.rendercache import RenderCache
from generator.spool import BodySpool
from generator.unfinished import hold_unfinished
from generator.yamlsource import reading_once

T = TypeVar("T")
default_workers = parallel.default_workers
# Render tasks a worker runs before a fresh fork replaces it: what it copied of the main
# process's memory by reading the site goes back (parallel.run), so the workers' memory
# does not grow with the history.
FRESH_AFTER = 8


@dataclass
class BuildReport:
    files: dict[str, int] = field(default_factory=dict)  # audience id -> files written
    existed: int = 0  # files the previous output has too
    unchanged: int = 0  # of those, files with the same bytes: they keep their mtime
    removed: int = 0  # files of the previous output that the new one does not have
    reused: int = 0  # pages taken from the previous output instead of rendered (incremental.py)
    kept: list[str] = field(default_factory=list)  # uris the previous output has as they should be
    incidents: int = 0
    maintenances: int = 0
    seconds: float = 0.0
    held: list[tuple[str, datetime]] = field(default_factory=list)  # (source, date) not yet published
    unfinished: list[Problem] = field(default_factory=list)  # files with prompts, held back (build only)
    warnings: list[Problem] = field(default_factory=list)  # setup mistakes that do not stop a build

    @property
    def changed(self) -> int:
        """Files new or different since the previous output."""
        return sum(self.files.values()) - self.unchanged


def build_site(
    site_dir: Path, out_dir: Path, now: str | datetime, workers: int = 1, cache: bool = True
) -> BuildReport:
    """Build every audience's tree into out_dir, or change nothing."""
    with body_spool(out_dir) as spool:  # closed however the build ends
        return _build_site(site_dir, out_dir, now, workers, cache, spool)


def _build_site(
    site_dir: Path, out_dir: Path, now: str | datetime, workers: int, cache: bool, spool: BodySpool | None
) -> BuildReport:
    started = time.perf_counter()
    render_cache = RenderCache(site_dir if cache else None)
    item_cache = ItemCache(site_dir if cache else None)
    output.recover(out_dir)  # a build killed while publishing: its previous output first
    unfinished: list[Problem] = []
    site, moment, env = load_site(
        site_dir,
        now,
        workers,
        output.out_dir_problems(out_dir, site_dir),
        render_cache,
        unfinished=unfinished,
        items=item_cache,
        store=True,
        spool=spool,
    )
    with output.exclusive(out_dir):
        staging = output.staging_dir(out_dir)
        try:
            existing, plain = output.survey(out_dir)
            ledger = PageLedger.load(site_dir, out_dir, item_cache.fingerprint, cache)
            previous = Previous(out_dir, ledger, site, moment, plain)
            report = render_site(site, site_dir, env, moment, workers, staging, previous)
            report.removed = len(existing) - (output.MARKER in existing) - report.existed
            report.warnings = setup_warnings(site_dir, site.config) + content_warnings(site, moment)
            report.unfinished = unfinished
            output.publish(staging, out_dir, set(report.kept), existing)
        except output.OutputError as error:  # a full disk, a read-only folder: one clear line
            output.discard(out_dir)
            raise output.cannot_write(out_dir, error) from None
        except BaseException:
            output.discard(out_dir)
            raise
        try:  # still holding the output: the ledger describes this build's files, not another's
            previous.ledger.save(out_dir)
            render_cache.save()
            item_cache.save()
        except KeyboardInterrupt:
            raise output.Swapped from None  # the new output is in place; the caches only save time
    report.seconds = time.perf_counter() - started
    return report


@contextmanager
def body_spool(out_dir: Path) -> Iterator[BodySpool | None]:
    """Where a build keeps loaded bodies (generator/spool.py): beside the output folder, as the
    staging folder is (else in the system's temporary folder); None (bodies in memory) when no
    file can be made."""
    try:
        spool = BodySpool(out_dir.absolute().parent)
    except OSError:  # e.g. --out's parent is made by the build: the system's temporary folder
        try:
            spool = BodySpool(None)
        except OSError:
            yield None
            return
    try:
        yield spool
    finally:
        spool.close()


def check_site(site_dir: Path, now: str | datetime, workers: int = 1, cache: bool = True) -> BuildReport:
    """Validate config, content and templates, rendering every page in memory; write nothing."""
    site, moment, env = load_site(
        site_dir,
        now,
        workers,
        (),
        RenderCache(site_dir if cache else None),
        checking=True,
        items=ItemCache(site_dir if cache else None),  # read, never written: check writes nothing
    )
    report = render_site(site, site_dir, env, moment, workers, staging=None)
    report.warnings = setup_warnings(site_dir, site.config) + content_warnings(site, moment, checking=True)
    return report


def content_warnings(site: Site, now: datetime, checking: bool = False) -> list[Problem]:
    """What is valid but needs a look: an update that will reopen a resolved incident when it
    comes due, and (for check) updates written from unapproved templates, to review."""
    warnings = [warning for item in site.items for warning in reopen_warnings(item, now)]
    return warnings + (unapproved_updates(site) if checking else [])


def load_site(
    site_dir: Path,
    now: str | datetime,
    workers: int = 1,
    problems_so_far: Iterable[Problem] = (),
    cache: RenderCache | None = None,
    checking: bool = False,
    unfinished: list[Problem] | None = None,
    items: ItemCache | None = None,
    store: bool = False,
    spool: BodySpool | None = None,
) -> tuple[Site, datetime, jinja2.Environment]:
    """Read and validate the whole site and its templates; raises SiteError listing every problem.

    Given ``unfinished`` (a build), files with unanswered prompts are held back, each with a
    warning added to it (generator/unfinished.py); otherwise they are problems. Given ``items``,
    folders unchanged since it was saved are taken from it instead of loaded. ``store``: the
    caches store what is added as it comes (a build: they are saved at its end anyway).
    ``spool``: where loaded items keep their bodies, instead of memory.
    """
    problems = Problems(site_dir)
    problems.extend(problems_so_far)
    config = load_config(site_dir, problems)
    if config is None:
        problems.raise_if_any()
    assert config is not None
    moment = _resolve_now(now, config, problems)
    env = make_env(config, site_dir, problems)
    folders = find_folders(site_dir, problems)
    items = items or ItemCache(None)
    items.spool = spool
    if items.path:
        items.fingerprint = fingerprint(site_dir, theme_dirs(config, site_dir), config)
        items.loading = fingerprint(None, [], config, loading_inputs(config))
    incidents: list[Item] = []
    with parallel.inheriting((cache or RenderCache(None), items)):  # forked workers share the caches
        tasks = [(f, config, site_dir, unfinished is not None) for f in folders]
        for incident, folder_problems, (cache_log, items_log), held in _load_folders(tasks, workers):
            problems.extend(folder_problems)
            if unfinished is not None:
                unfinished.extend(held)
            if cache:
                cache.absorb(cache_log)
            items.absorb(items_log)
            if store:  # stored as they come, never all held here (memory)
                for kept in (cache, items):
                    if kept:
                        kept.flush()
            if incident:
                incidents.append(spool.keep(incident) if spool else incident)
    site = Site(config=config, items=tuple(incidents))
    templates = load_templates(site_dir, config, problems)
    if checking:  # template governance gates pull requests, never publishing during an incident
        approval_problems(site, templates, problems)
    problems.raise_if_any()
    return site, moment, env


CacheLogs = tuple[tuple[dict[bytes, str], list[bytes]], tuple[dict[bytes, bytes], list[bytes]]]
LoadTask = tuple[Folder, SiteConfig, Path, bool]
Loaded = tuple[Item | None, list[Problem], CacheLogs, list[Problem]]


def _load_folders(tasks: list[LoadTask], workers: int) -> Iterator[Loaded]:
    """Each folder loaded, in order. With worker processes, the folders the item cache has are
    read back here first: unpickling an item costs less than a worker's pickling it back through
    a pipe (a rebuild of 10,000 unchanged folders: 3 s here, 8 s through two workers). Only the
    folders that changed are shared out."""
    _, items = parallel.inherited()
    kept: dict[int, Loaded] = {}
    if items.loading and items.readable and workers > 1:  # (a first build has nothing to read back)
        for index, task in enumerate(tasks):
            found = _from_item_cache(task[0])
            if found is not None:
                kept[index] = found
    loaded = parallel.each(_load_folder_task, [t for i, t in enumerate(tasks) if i not in kept], workers)
    for index in range(len(tasks)):
        yield kept.pop(index) if index in kept else next(loaded)


def _from_item_cache(folder: Folder) -> Loaded | None:
    return _kept(folder_key(folder, parallel.inherited()[1].loading))


def _kept(key: bytes | None) -> Loaded | None:
    """The folder of this key as the item cache has it (None: not there)."""
    cache, items = parallel.inherited()
    kept = items.get(key) if key else None
    if kept is None:
        return None
    incident, texts = kept
    cache.used.extend(texts)  # still in use: the render cache keeps them
    return incident, [], (cache.take_log(), items.take_log()), []


def _load_folder_task(args: LoadTask) -> Loaded:
    """Load one folder (or take it from the item cache, when none of its files changed)."""
    cache, items = parallel.inherited()
    folder, config, site_dir, hold = args
    with reading_once():  # the key, the prompts and the content: each file read once
        key = (
            folder_key(folder, items.loading) if items.loading else None
        )  # a folder that loads cleanly loads alike in check
        kept = _kept(key)
        if kept is not None:
            return kept
        incident: Item | None = None
        problems: list[Problem] = []
        before = len(cache.used)
        found, held = hold_unfinished(folder, config, site_dir) if hold else (folder, [])
        if found:
            incident, problems = load_folder(found, config, site_dir, render=cache.render)
    if key and incident and not problems and not held:
        incident = dataclasses.replace(incident, digest=key)
        items.put(key, incident, cache.used[before:])
    return incident, problems, (cache.take_log(), items.take_log()), held


def _resolve_now(now: str | datetime, config: SiteConfig, problems: Problems) -> datetime:
    if isinstance(now, datetime):
        return now
    try:
        return parse_timestamp(now, config.timezone)
    except ValueError as error:
        problems.add("--now", 0, str(error))
        return datetime.now().astimezone()


def render_site(
    site: Site,
    site_dir: Path,
    env: jinja2.Environment,
    now: datetime,
    workers: int,
    staging: Path | None,
    previous: Previous | None = None,
) -> BuildReport:
    """Render every audience's tree into staging (or only in memory, to check, when it is None);
    what the ``previous`` output already has is kept (see Previous)."""
    views = views_for(site, site.config.audiences, now)  # what audiences see alike, held once
    trees = [Tree(env, view, site_dir) for view in views]
    del views
    report = render_all(trees, static_files(site.config, site_dir), staging, workers, previous)
    report.incidents = sum(1 for i in site.items if i.kind == "incident")
    report.maintenances = len(site.items) - report.incidents
    report.held = sorted(item for incident in site.items for item in held_back(incident, now))
    return report


def render_all(
    trees: list[Tree],
    assets: dict[str, bytes],
    staging: Path | None,
    workers: int,
    previous: Previous | None = None,
) -> BuildReport:
    """Every audience's files, in parts the worker processes share (here, when small), written
    into staging (or only counted, to check, when it is None)."""
    report = BuildReport()
    reused = [previous.reusable(tree) if previous and staging else Reused() for tree in trees]
    tasks = render_tasks(trees, reused)
    old = previous.compare_root if previous else None
    with parallel.inheriting((trees, assets, staging, old)):
        # The work: the pages, and for each tree's shared files (front page, feeds, API) its
        # items, which they list. So a rebuild that renders no page of a long history still
        # renders the shared files in workers: both audiences at once, and what they build up
        # (the API's incident list, say) is not added to the main process's memory.
        work = sum(
            len(only.months or ())
            + len(only.items or ())
            + (len(trees[index].facts.items_by_uri) if only.shared else 0)
            for index, only in tasks
        )
        results = parallel.run(_render_task, tasks, workers, chunksize=1, work=work, fresh_after=FRESH_AFTER)
    for (index, _), result in zip(tasks, results, strict=True):
        audience = trees[index].view.audience.id
        report.files[audience] = report.files.get(audience, 0) + result.files
        report.existed += result.existed
        report.unchanged += result.unchanged
        report.kept += (f"{audience}/{uri}" for uri in result.kept)
    for tree, found in zip(trees, reused, strict=True):  # left in the output as they are
        audience = tree.view.audience.id
        report.files[audience] = report.files.get(audience, 0) + len(found.uris)
        report.existed += len(found.uris)
        report.unchanged += len(found.uris)
        report.reused += len(found.uris)
        report.kept += (sys.intern(f"{audience}/{uri}") for uri in found.uris)  # the ledger's strings
    return report


# A part of one audience's tree: (audience index, what of it). A build shares them out.
RenderTask = tuple[int, Only]


def render_tasks(trees: list[Tree], reused: list[Reused] | None = None) -> list[RenderTask]:
    """Each tree's shared files, its month pages in batches of 16, its item pages in batches of 64
    (but for the ``reused`` ones)."""
    tasks: list[RenderTask] = [(index, Only.shared_files()) for index in range(len(trees))]
    for index, tree in enumerate(trees):
        skip = reused[index] if reused else Reused()
        months = [month for month in tree.facts.month_keys if month not in skip.months]
        items = [uri for uri in tree.facts.items_by_uri if uri not in skip.items]
        tasks += [(index, Only.month_pages(chunk)) for chunk in _chunks(months, 16)]
        tasks += [(index, Only.item_pages(chunk)) for chunk in _chunks(items, 64)]
    return tasks


def render_files(tree: Tree, only: Only) -> dict[str, bytes]:
    return tree.render(only)


def _render_task(task: RenderTask) -> output.Written:
    """Render one part (the shared files bring the static assets along) and write it."""
    trees, assets, staging, previous = parallel.inherited()
    index, only = task
    files = render_files(trees[index], only)
    if only.shared:
        files.update(assets)
    audience = trees[index].view.audience.id
    if staging is None:
        return output.Written(len(files))
    return output.write_files(staging / audience, files, previous / audience if previous else None)


def _chunks(items: list[T], size: int) -> Iterable[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
