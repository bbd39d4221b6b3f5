"""Bodies on disk: a build's main process keeps the rendered bodies of the items it loads in an
unnamed temporary file, holding only where each one is, so that its memory does not grow with
the history's text (each body is read by the few pages, feeds and API entries that show it).

Render workers are forked: they inherit the open file and read from it (``os.pread`` leaves the
shared file offset alone). Only the process that made the spool writes to it; in any other, or
once the spool is closed, ``keep`` leaves items as they are. The file has no name (or loses it at
once), so nothing is left behind when a build fails or is killed. A pickled body (the item cache,
a worker's result) is its bytes again, so every pickle stays self-contained.

``keep`` also makes loaded items share what many of them hold alike (sets of readers, statuses,
component lists): items read back from the item cache or from a worker each bring their own copies.
"""

from __future__ import annotations

import dataclasses
import operator
import os
import tempfile
import weakref
from pathlib import Path
from typing import Any, TypeVar

from generator.model import Body, Item, Segment, Update

T = TypeVar("T")


class Stored:
    """Where a spool keeps one packed body (model.pack)."""

    __slots__ = ("spool", "where")

    def __init__(self, spool: BodySpool, where: int):
        self.spool = spool
        self.where = where  # offset << 32 | size: one int object, not two

    def read(self) -> bytes:
        return self.spool.read(self.where)

    def __reduce__(self) -> tuple[Any, ...]:
        return (bytes, (self.read(),))  # pickled, it is the body itself

    def __eq__(self, other: object) -> bool:  # as the bytes it stands for (Segment's equality)
        if isinstance(other, Stored):
            return other is self or other.read() == self.read()
        return isinstance(other, bytes) and other == self.read()

    def __hash__(self) -> int:
        return hash(self.read())


class BodySpool:
    """An unnamed temporary file of packed bodies, in ``folder`` (None: the system's)."""

    def __init__(self, folder: Path | None = None):
        with tempfile.TemporaryFile(dir=folder, prefix=".statusgen-bodies-") as file:
            self._fd = os.dup(file.fileno())
        self._close = weakref.finalize(self, os.close, self._fd)  # when the loaded site goes
        self._size = 0
        self._owner = os.getpid()
        self._pending: list[bytes] = []  # written at the end of each keep()
        self._full = False
        self._shared: dict[Any, Any] = {}

    def __enter__(self) -> BodySpool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._close()

    @property
    def size(self) -> int:
        """Bytes kept on disk."""
        return self._size

    def read(self, where: int) -> bytes:
        if not self._close.alive:  # its descriptor's number may name another file by now
            raise ValueError("body spool: read after close")
        at, size = where >> 32, where & 0xFFFFFFFF
        data = os.pread(self._fd, size, at)
        if len(data) != size:
            raise OSError(f"body spool: read {len(data)} of {size} bytes at {at}")
        return data

    def keep(self, item: Item) -> Item:
        """The item with its bodies on disk and its common parts shared."""
        if os.getpid() != self._owner or self._full or not self._close.alive or _kept_already(item):
            return item
        segments: dict[int, Segment] = {}  # by id: a segment shared between audiences stays shared

        def segment(found: Segment) -> Segment:
            kept = segments.get(id(found))
            if kept is None:
                packed = found.packed if isinstance(found.packed, Stored) else self._write(found.packed)
                kept = Segment(self._share(found.readers), packed, self._share(found.names))
                segments[id(found)] = kept
            return kept

        def body(found: Body) -> Body:
            views: list[tuple[Segment, ...]] = []
            for view in found:  # audiences that see the same segments share one tuple
                kept = tuple(segment(s) for s in view)
                same = [v for v in views if len(v) == len(kept) and all(map(operator.is_, v, kept))]
                views.append(same[0] if same else kept)
            return tuple(views)

        updates = tuple(self._update(u, body(u.body)) for u in item.updates)
        postmortem = item.postmortem
        if postmortem:
            postmortem = dataclasses.replace(
                postmortem,
                readers=self._share(postmortem.readers),
                audiences=self._share(postmortem.audiences),
                body=body(postmortem.body),
            )
        try:  # before anything reads it, or a worker is forked
            self._flush()
        except OSError:  # a full disk: this item and the rest keep their bodies in memory
            self._full = True
            return item
        return dataclasses.replace(item, updates=updates, postmortem=postmortem)

    def _flush(self) -> None:
        data = memoryview(b"".join(self._pending))
        self._pending.clear()
        at = self._size - len(data)
        while data:
            written = os.pwrite(self._fd, data, at)
            data, at = data[written:], at + written

    def _update(self, update: Update, body: Body) -> Update:
        share = self._share
        return dataclasses.replace(
            update,
            body=body,
            stem=share(update.stem),
            status=share(update.status),
            readers=share(update.readers),
            impact=share(update.impact),
            components=share(update.components),
            audiences=share(update.audiences),
            template=share(update.template),
            template_version=share(update.template_version),
        )

    def _write(self, packed: bytes) -> Stored:
        where = self._size << 32 | len(packed)
        self._pending.append(packed)
        self._size += len(packed)
        return Stored(self, where)

    def _share(self, value: T) -> T:
        """One object for equal values (hashable ones: sets of readers, tuples, strings)."""
        if value is None:
            return value
        return self._shared.setdefault(value, value)  # type: ignore[no-any-return]


def _kept_already(item: Item) -> bool:
    """Whether every body of the item is on disk already (read back from the item cache, say)."""
    bodies = [u.body for u in item.updates] + ([item.postmortem.body] if item.postmortem else [])
    segments = [s for body in bodies for view in body for s in view]
    return bool(segments) and all(isinstance(s.packed, Stored) for s in segments)
