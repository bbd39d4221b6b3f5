"""Watching the site's files for ``statusgen serve``: a burst of events becomes one batch.

Editors save in many ways (write in place, write a temporary file and rename it over the
original, keep a backup): each save is several events within a few milliseconds. The
batch ends once the files have been quiet for ``QUIET`` seconds, so one save is one rebuild.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

QUIET = 0.025  # seconds without events that end a burst
LONGEST = 1.0  # a burst that goes on (a git checkout) is cut here, and the rest makes a second batch
_CHANGES = ("created", "modified", "deleted", "moved")
# Only changes: a build reads thousands of files, and their open/close events would flood the queue.
_EVENTS = [FileCreatedEvent, FileModifiedEvent, FileDeletedEvent, FileMovedEvent,
           DirCreatedEvent, DirDeletedEvent, DirMovedEvent]


class Watcher:
    """Collects changed paths under ``site_dir`` that ``relevant`` accepts."""

    def __init__(self, site_dir: Path, relevant: Callable[[Path], bool]):
        self.site_dir = site_dir
        self.relevant = relevant
        self.events: queue.SimpleQueue[Path] = queue.SimpleQueue()
        self.note = ""  # set when watching fell back to polling
        try:
            self.observer = self._observe(Observer())
        except OSError as error:  # e.g. the system's inotify watch limit
            self.note = (f"cannot watch files efficiently ({error.strerror or error}); polling instead, "
                         "which notices changes more slowly")
            self.observer = self._observe(PollingObserver(timeout=0.5))

    def _observe(self, observer: BaseObserver) -> BaseObserver:
        handler = _Handler(self)
        # site.yml and the logo; then content/ and themes/ with everything in them.
        observer.schedule(handler, str(self.site_dir), recursive=False, event_filter=_EVENTS)
        for name in ("content", "themes"):
            if (self.site_dir / name).is_dir():
                observer.schedule(handler, str(self.site_dir / name), recursive=True, event_filter=_EVENTS)
        observer.start()
        return observer

    def next_batch(self, stop: threading.Event, wait: float | None = None) -> set[Path]:
        """Wait for a change, then for the burst it starts to end; empty when stopping, or when
        ``wait`` seconds pass without a change."""
        batch: set[Path] = set()
        give_up = None if wait is None else time.monotonic() + wait
        while not batch:
            if stop.is_set() or (give_up is not None and time.monotonic() >= give_up):
                return batch
            try:
                batch.add(self.events.get(timeout=0.2 if give_up is None
                                          else max(0.0, min(0.2, give_up - time.monotonic()))))
            except queue.Empty:
                continue
        deadline = time.monotonic() + LONGEST
        while time.monotonic() < deadline:
            try:
                batch.add(self.events.get(timeout=QUIET))
            except queue.Empty:
                break
        return batch

    def stop(self) -> None:
        self.observer.stop()
        self.observer.join(timeout=5)


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: Watcher):
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in _CHANGES or (event.is_directory and event.event_type == "modified"):
            return  # opened/closed files, and a folder "modified" because a file in it changed
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if raw:
                path = Path(raw.decode() if isinstance(raw, bytes) else raw)
                if not _is_scratch(path) and self.watcher.relevant(path):
                    self.watcher.events.put(path)


def _is_scratch(path: Path) -> bool:
    """Editors' temporary and backup files (.x.md.swp, x.md~, #x.md#, .#x.md, vim's 4913)."""
    name = path.name
    return (name.startswith((".", "#")) or name.endswith(("~", ".swp", ".swx", ".tmp"))
            or name == "4913")
