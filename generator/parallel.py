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
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from typing import Any, TypeVar

from generator.errors import Problem, SiteError
from generator.output import STOPPING_SIGNALS  # the main process handles them, never a worker

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
    ``fresh_after``: the tasks go out in batches of ``workers * fresh_after`` chunks, each batch
    to a new pool, so each worker does about ``fresh_after`` chunks before fresh forks take over.
    A worker that reads the inherited objects copies the memory pages they sit on (reading
    updates their reference counts): renewed, it gives those copies back. Each pool is started
    here: a pool renewing its own workers (``maxtasksperchild``) forks them from its handler
    thread while other threads run, and a child can then wait forever on a lock that another
    thread held at the fork.
    """
    if not _worth_a_pool(workers, len(tasks) if work is None else work):
        return [function(task) for task in tasks]
    size = chunksize or max(1, min(64, len(tasks) // (workers * 8)))
    batch = len(tasks) if fresh_after is None else workers * fresh_after * size
    results: list[R] = []
    for start in range(0, len(tasks), batch):
        with _pool(workers) as pool:
            pending = pool.map_async(function, tasks[start : start + batch], chunksize=size)
            results += _patiently(pending, tuple(pool._pool))  # (its workers: see _check)
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
        chunks = [tasks[start : start + size] for start in range(0, len(tasks), size)]
        results = pool.imap(partial(_each_of, function), chunks)  # (chunksize 1: next() can time out)
        started = tuple(pool._pool)  # its workers (multiprocessing keeps them there): see _check
        while True:
            try:
                yield from results.next(timeout=_STEP)
            except multiprocessing.TimeoutError:
                _check(started)  # (see _patiently)
            except StopIteration:
                return


def _each_of(function: Callable[[T], R], tasks: list[T]) -> list[R]:
    return [function(task) for task in tasks]


# How long the main thread waits on workers at a time: a Ctrl-C that lands just as a wait begins
# is only raised when the wait returns (Python runs signal handlers between steps of its own).
_STEP = 0.25


def _patiently(pending: Any, started: tuple[Any, ...]) -> list[Any]:
    """The results of a map_async, waiting in short steps (_STEP), as long as the pool's
    workers (``started``) live."""
    while not pending.ready():
        pending.wait(_STEP)
        _check(started)
    return pending.get()  # type: ignore[no-any-return]


def _check(started: tuple[Any, ...]) -> None:
    """A pool replaces a worker that died (killed, or out of memory) and waits forever for the
    tasks it had: a build that lost one stops, as a problem to report."""
    for worker in started:
        if worker.exitcode is not None:
            code = worker.exitcode
            how = f"exited with code {code}" if code >= 0 else f"was killed by signal {-code}"
            if -code in signal.valid_signals():
                how = f"was killed by {signal.Signals(-code).name}"
            message = f"a worker process {how} (out of memory?); run again, or with --jobs 1"
            raise SiteError([Problem("--jobs", 0, message)])


def _worth_a_pool(workers: int, jobs: int) -> bool:
    """Whether worker processes pay off and can be forked here: only from the main thread
    (serve's rebuild thread works alone), where Ctrl-C arrives."""
    return (
        workers > 1
        and jobs >= PARALLEL_THRESHOLD
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.current_thread() is threading.main_thread()
    )


@contextmanager
def _pool(workers: int) -> Iterator[Any]:
    """A forked process pool, terminated on the way out (also by Ctrl-C).

    The pool is made with the stopping signals blocked: its own threads start blocked (and so do
    workers it forks to replace one that died), so only the main thread receives them and
    raises KeyboardInterrupt at once, instead of a pool thread taking the signal while the main
    thread waits for results. Workers ignore Ctrl-C (a worker killed mid-task would leave the
    pool waiting forever for its result); terminating the pool stops them with SIGTERM.
    """
    gc.freeze()  # keep the collector from touching, and so copying, every inherited object
    try:
        with ExitStack() as stack:
            blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING_SIGNALS)
            try:
                context = multiprocessing.get_context("fork")
                pool = stack.enter_context(context.Pool(workers, initializer=_worker_signals))
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)  # a signal held meanwhile lands now
            yield pool
    finally:
        gc.unfreeze()


def _worker_signals() -> None:
    """In each worker, as it starts (it inherits the main process's handlers and blocked mask)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the pool stops its workers with SIGTERM
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPPING_SIGNALS)
