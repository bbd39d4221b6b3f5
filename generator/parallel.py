"""Worker processes: a forked pool whose workers inherit what the main process loaded.

Forking shares the loaded site, views and render cache with the workers, so nothing is pickled
on the way in. Tasks take their inputs with ``inherited()``, set by ``inheriting(value)`` around
the pool's work: the only module-level state of the pipeline, and it lives here.

Workers write the files they render themselves (into the staging folder) and return counts: one
writer would receive every page through a pipe (269 MB for a 10,000-incident site) only to write
each file once, by name, into a staging folder that is published whole either way.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")
# Below this many units of work, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 200

_INHERITED: Any = None


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@contextmanager
def inheriting(value: Any) -> Iterator[None]:
    """Make ``value`` what tasks see through ``inherited()``, here and in workers forked now."""
    global _INHERITED
    _INHERITED = value
    try:
        yield
    finally:
        _INHERITED = None


def inherited() -> Any:
    assert _INHERITED is not None, "a task ran outside parallel.inheriting()"
    return _INHERITED


def run(
    function: Callable[[T], R],
    tasks: list[T],
    workers: int,
    chunksize: int | None = None,
    work: int | None = None,
    fresh_after: int | None = None,
) -> list[R]:
    """function over tasks, in order: in worker processes when there is enough work, else here.

    ``work``: how many units (pages, folders) the tasks hold; by default one a task.
    ``fresh_after``: each worker does at most this many tasks (of ``chunksize``) before a fresh
    fork takes its place. A worker that reads the inherited objects copies the memory pages they
    sit on (reading updates their reference counts): renewed, it gives those copies back. The
    tasks go out in batches, each to a new pool started here: a pool renewing its own workers
    (``maxtasksperchild``) forks them from its handler thread while other threads run, and a
    child can then wait forever on a lock that another thread held at the fork.
    """
    if not _worth_a_pool(workers, len(tasks) if work is None else work):
        return [function(task) for task in tasks]
    size = chunksize or max(1, min(64, len(tasks) // (workers * 8)))
    batch = len(tasks) if fresh_after is None else workers * fresh_after * size
    results: list[R] = []
    for start in range(0, len(tasks), batch):
        with _pool(workers) as pool:
            results += pool.map(function, tasks[start : start + batch], chunksize=size)
    return results


def each(function: Callable[[T], R], tasks: list[T], workers: int) -> Iterator[R]:
    """run(), one result at a time as they come (in order): the caller can store and drop each
    instead of holding them all."""
    if not _worth_a_pool(workers, len(tasks)):
        yield from map(function, tasks)
        return
    with _pool(workers) as pool:
        # Small chunks: folders differ in size, and the last chunks decide when loading ends.
        size = max(1, min(16, len(tasks) // (workers * 8)))
        yield from pool.imap(function, tasks, chunksize=size)


def _worth_a_pool(workers: int, jobs: int) -> bool:
    """Whether worker processes pay off (and can be forked here)."""
    return workers > 1 and jobs >= PARALLEL_THRESHOLD and "fork" in multiprocessing.get_all_start_methods()


@contextmanager
def _pool(workers: int) -> Iterator[Any]:
    """A forked process pool; its workers are forked here, in the calling thread, before the
    pool starts its own threads, and never replaced."""
    gc.freeze()  # keep the collector from touching, and so copying, every inherited object
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(workers, initializer=_worker_signals) as pool:
            yield pool
    finally:
        gc.unfreeze()


def _worker_signals() -> None:
    # Workers inherit the CLI's SIGTERM handler; the pool stops them with SIGTERM.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
