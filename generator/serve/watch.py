"""Watching the site's files for ``statusgen serve``: a burst of events becomes one batch.

Editors save in many ways (write in place, write a temporary file and rename it over the
original, keep a backup): each save is several events within a few milliseconds. The
batch ends once the files have been quiet for ``QUIET`` seconds, so one save is one rebuild.
"""

from __future__ import annotations

import queue
import threading
import time
import warnings
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
from watchdog.observers.api import BaseObserver, ObservedWatch
from watchdog.observers.polling import PollingObserver

QUIET = 0.05  # seconds without events that end a burst
LONGEST = 1.0  # a burst that goes on (a git checkout) is cut here, and the rest makes a second batch
SUBTREES = ("content", "themes")
_CHANGES = ("created", "modified", "deleted", "moved")
# Only changes: a build reads thousands of files, and their open/close events would flood the queue.
_EVENTS = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileDeletedEvent,
    FileMovedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
]


class Watcher:
    """Collects changed paths under ``site_dir`` that ``relevant`` accepts."""

    def __init__(self, site_dir: Path, relevant: Callable[[Path], bool]):
        self.site_dir = site_dir
        self.relevant = relevant
        self.events: queue.SimpleQueue[Path] = queue.SimpleQueue()
        self.note = ""  # set when watching fell back to polling
        # A folder made with its subfolders (mkdir -p themes/x/templates) is watched twice over
        # for a moment: once by the new watch on themes/, once as a new folder inside it.
        # watchdog keeps one and says so with a warning, harmlessly; keep it off the terminal.
        warnings.filterwarnings(
            "ignore", message="Callback with id .* already exists", category=RuntimeWarning
        )
        self._handler = _Handler(self)
        self._subtrees: dict[str, ObservedWatch] = {}
        try:
            self.observer: BaseObserver = Observer()
            self._observe()
        except OSError as error:  # e.g. the system's inotify watch limit
            self.note = (
                f"cannot watch files efficiently ({error.strerror or error}); polling instead, "
                "which notices changes more slowly"
            )
            self.observer = PollingObserver(timeout=0.5)
            self._subtrees.clear()
            self._observe()

    def _observe(self) -> None:
        # site.yml and the logo; then content/ and themes/ with everything in them.
        self.observer.schedule(self._handler, str(self.site_dir), recursive=False, event_filter=_EVENTS)
        for name in SUBTREES:
            self.watch_subtree(name)
        self.observer.start()

    def watch_subtree(self, name: str) -> None:
        """(Re)start watching content/ or themes/: also when it appears, or comes back, later."""
        old = self._subtrees.pop(name, None)
        if old is not None:
            try:
                self.observer.unschedule(old)
            except KeyError:
                pass  # already dropped with the folder
        path = self.site_dir / name
        if path.is_dir():
            self._subtrees[name] = self.observer.schedule(
                self._handler, str(path), recursive=True, event_filter=_EVENTS
            )

    def next_batch(self, stop: threading.Event, wait: float | None = None) -> set[Path]:
        """Wait for a change, then for the burst it starts to end; empty when stopping, or when
        ``wait`` seconds pass without a change."""
        batch: set[Path] = set()
        give_up = None if wait is None else time.monotonic() + wait
        while not batch:
            if stop.is_set() or (give_up is not None and time.monotonic() >= give_up):
                return batch
            try:
                batch.add(
                    self.events.get(
                        timeout=0.2 if give_up is None else max(0.0, min(0.2, give_up - time.monotonic()))
                    )
                )
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
                if event.is_directory and path.parent == self.watcher.site_dir and path.name in SUBTREES:
                    self.watcher.watch_subtree(path.name)
                if not _is_scratch(path) and self.watcher.relevant(path):
                    self.watcher.events.put(path)


def _is_scratch(path: Path) -> bool:
    """Editors' temporary and backup files (.x.md.swp, x.md~, #x.md#, .#x.md, vim's 4913)."""
    name = path.name
    return name.startswith((".", "#")) or name.endswith(("~", ".swp", ".swx", ".tmp")) or name == "4913"
