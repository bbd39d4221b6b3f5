"""The pipeline: load everything, validate everything, render, write, swap in."""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

import jinja2

from generator import output
from generator.advice import setup_warnings
from generator.audience import SiteView, held_back, view_for
from generator.config import SiteConfig, load_config
from generator.content import Folder, find_folders, load_folder
from generator.dates import parse_timestamp
from generator.errors import Problem, Problems
from generator.model import Incident, Site
from generator.pages import PageRenderer
from generator.rendercache import RenderCache
from generator.templates import approval_problems, load_templates
from generator.theme import make_env, static_files

T = TypeVar("T")
R = TypeVar("R")
# Below this many folders or pages, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 200


@dataclass
class BuildReport:
    files: dict[str, int] = field(default_factory=dict)  # audience id -> files written
    incidents: int = 0
    maintenances: int = 0
    seconds: float = 0.0
    held: list[tuple[str, datetime]] = field(default_factory=list)  # (source, date) not yet published
    warnings: list[Problem] = field(default_factory=list)  # setup mistakes that do not stop a build


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def build_site(site_dir: Path, out_dir: Path, now: str | datetime, workers: int = 1,
               cache: bool = True) -> BuildReport:
    """Build every audience's tree into out_dir, or change nothing."""
    started = time.perf_counter()
    render_cache = RenderCache(site_dir if cache else None)
    output.recover(out_dir)  # a build killed while swapping: its previous output first
    site, moment, env = load_site(site_dir, now, workers, output.out_dir_problems(out_dir, site_dir),
                                  render_cache)
    with output.exclusive(out_dir):
        staging = output.staging_dir(out_dir)
        try:
            report = render_site(site, site_dir, env, moment, workers, staging)
            report.warnings = setup_warnings(site_dir, site.config)
            output.swap_in(staging, out_dir)
        except output.OutputError as error:  # a full disk, a read-only folder: one clear line
            output.discard(staging)
            raise output.cannot_write(out_dir, error) from None
        except BaseException:
            output.discard(staging)
            raise
    render_cache.save()
    report.seconds = time.perf_counter() - started
    return report


def check_site(site_dir: Path, now: str | datetime, workers: int = 1, cache: bool = True) -> BuildReport:
    """Validate config, content and templates, rendering every page in memory; write nothing."""
    site, moment, env = load_site(site_dir, now, workers, (), RenderCache(site_dir if cache else None),
                                  checking=True)
    report = render_site(site, site_dir, env, moment, workers, staging=None)
    report.warnings = setup_warnings(site_dir, site.config)
    return report


def load_site(site_dir: Path, now: str | datetime, workers: int = 1,
              problems_so_far: Iterable[Problem] = (),
              cache: RenderCache | None = None,
              checking: bool = False) -> tuple[Site, datetime, jinja2.Environment]:
    """Read and validate the whole site and its templates; raises SiteError listing every problem."""
    global _CACHE
    problems = Problems(site_dir)
    problems.extend(problems_so_far)
    config = load_config(site_dir, problems)
    if config is None:
        problems.raise_if_any()
    assert config is not None
    moment = _resolve_now(now, config, problems)
    env = make_env(config, site_dir, problems)
    folders = find_folders(site_dir, problems)
    _CACHE = cache or RenderCache(None)
    try:
        loaded = _map(_load_folder_task, [(f, config, site_dir) for f in folders], workers)
    finally:
        _CACHE = None
    incidents: list[Incident] = []
    for incident, folder_problems, cache_log in loaded:
        problems.extend(folder_problems)
        if cache:
            cache.absorb(cache_log)
        if incident:
            incidents.append(incident)
    site = Site(config=config, incidents=tuple(incidents))
    templates = load_templates(site_dir, config, problems)
    if checking:  # template governance gates pull requests, never publishing during an incident
        approval_problems(site, templates, problems)
    problems.raise_if_any()
    return site, moment, env


# The render cache of this build; forked workers inherit it instead of receiving it pickled.
_CACHE: RenderCache | None = None


def _load_folder_task(
    args: tuple[Folder, SiteConfig, Path],
) -> tuple[Incident | None, list[Problem], tuple[dict[bytes, str], list[bytes]]]:
    assert _CACHE is not None
    incident, problems = load_folder(*args, render=_CACHE.render)
    return incident, problems, _CACHE.take_log()


def _resolve_now(now: str | datetime, config: SiteConfig, problems: Problems) -> datetime:
    if isinstance(now, datetime):
        return now
    try:
        return parse_timestamp(now, config.timezone)
    except ValueError as error:
        problems.add("--now", 0, str(error))
        return datetime.now().astimezone()


Trees = dict[str, dict[str, bytes]]  # audience id -> uri -> file


def render_site(site: Site, site_dir: Path, env: jinja2.Environment, now: datetime, workers: int,
                staging: Path | None) -> BuildReport:
    """Render every audience's tree into staging (or only in memory, to check, when it is None)."""
    renderers = [PageRenderer(env, view_for(site, audience, now), site_dir)
                 for audience in site.config.audiences]
    report = render_all(renderers, static_files(site.config, site_dir), staging, workers, None)
    report.incidents = sum(1 for i in site.incidents if i.kind == "incident")
    report.maintenances = len(site.incidents) - report.incidents
    report.held = sorted(item for incident in site.incidents for item in held_back(incident, now))
    return report


def render_all(renderers: list[PageRenderer], assets: dict[str, bytes], staging: Path | None,
                workers: int, trees: Trees | None) -> BuildReport:
    """Every audience's files, as tasks the worker processes share (here, when small)."""
    global _FORKED
    report = BuildReport()
    tasks = render_tasks(renderers)
    _FORKED = (renderers, assets, staging, trees is not None)
    try:
        with _pool(workers, sum(len(chunk or ()) for _, _, chunk in tasks)) as pool:
            results = pool.map(_render_task, tasks, chunksize=1) if pool else [_render_task(t) for t in tasks]
    finally:
        _FORKED = None
    for (index, _, _), result in zip(tasks, results, strict=True):
        audience = renderers[index].view.audience.id
        if isinstance(result, dict):
            assert trees is not None
            trees.setdefault(audience, {}).update(result)
            result = len(result)
        report.files[audience] = report.files.get(audience, 0) + result
    return report


# A unit of rendering: (audience index, what, which): the shared files, some month pages, or
# some incident pages. Full builds share them out; live previews run only the ones a change touches.
RenderTask = tuple[int, Literal["shared", "months", "items"], list[str] | None]


def render_tasks(renderers: list[PageRenderer]) -> list[RenderTask]:
    tasks: list[RenderTask] = [(index, "shared", None) for index in range(len(renderers))]
    for index, renderer in enumerate(renderers):
        tasks += [(index, "months", chunk) for chunk in _chunks(renderer.month_keys(), 16)]
        tasks += [(index, "items", chunk) for chunk in _chunks(_item_uris(renderer.view), 64)]
    return tasks


def render_files(renderer: PageRenderer, what: str, which: list[str] | None) -> dict[str, bytes]:
    if what == "shared":
        return renderer.shared()
    if what == "months":
        return renderer.month_pages(which or ())
    files = {}
    for uri in which or ():
        files.update(renderer.incident(renderer.items_by_uri[uri]))
    return files


# What forked workers inherit instead of receiving it pickled: the renderers and views.
_FORKED: tuple[list[PageRenderer], dict[str, bytes], Path | None, bool] | None = None


def _render_task(task: RenderTask) -> int | dict[str, bytes]:
    """Render one task's files (with the shared files, the static assets too); write or keep them."""
    assert _FORKED is not None
    renderers, assets, staging, keep = _FORKED
    index, what, which = task
    files = render_files(renderers[index], what, which)
    if what == "shared":
        files.update(assets)
    return files if keep else _write(staging, renderers[index], files)


def _write(staging: Path | None, renderer: PageRenderer, files: dict[str, bytes]) -> int:
    if staging is None:
        return len(files)
    return output.write_files(staging / renderer.view.audience.id, files)


def _item_uris(view: SiteView) -> list[str]:
    return [item.uri for item in view.items]


def _chunks(items: list[T], size: int) -> Iterable[list[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


@contextmanager
def _pool(workers: int, jobs: int) -> Iterator[Any]:
    """A forked process pool when it pays off (None otherwise); fork shares the loaded site."""
    if workers <= 1 or jobs < PARALLEL_THRESHOLD or "fork" not in multiprocessing.get_all_start_methods():
        yield None
        return
    gc.freeze()  # keep the collector from touching, and so copying, every inherited object
    try:
        with multiprocessing.get_context("fork").Pool(workers, initializer=_worker_signals) as pool:
            yield pool
    finally:
        gc.unfreeze()


def _worker_signals() -> None:
    # Workers inherit the CLI's SIGTERM handler; the pool stops them with SIGTERM.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _map(function: Callable[[T], R], items: list[T], workers: int) -> list[R]:
    with _pool(workers, len(items)) as pool:
        if pool is None:
            return [function(item) for item in items]
        results: list[R] = pool.map(function, items, chunksize=max(1, min(64, len(items) // (workers * 8))))
        return results
