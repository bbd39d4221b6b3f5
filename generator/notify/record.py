"""The record of what was sent: exactly once per channel, across runs, retries and rebuilds.

A JSON file, by default ``.statusgen-cache/notified.json`` beside the render cache (which the CI
recipes keep between runs). Each entry is keyed by audience, channel identity (a hash of the
channel as written in site.yml, so no literal secret is stored) and event id, and holds the
message's digest (an edit changes it) and the event's time. It is rewritten atomically after
each successful send, so a run killed halfway loses at most the one message in flight.

Losing the file never floods anyone: nothing older than the horizon (``--since``) is sent.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from generator.dates import iso
from generator.sqlitecache import CACHE_DIR

try:
    import fcntl
except ImportError:  # Windows: CI's one-run-at-a-time keeps runs apart
    fcntl = None  # type: ignore[assignment]

RECORD_FILE = f"{CACHE_DIR}/notified.json"
# 2: digests of what an event tells (message.event_digest); version 1's were of the message's
# words, which a new component name or language changes, so they are read as "" (unknown).
RECORD_VERSION = 2
KEEP = timedelta(days=30)  # entries this much older than the horizon can never be sent again


class RecordError(Exception):
    """The record cannot be read or written: sending without it could repeat messages."""


@dataclass
class Sent:
    digest: str
    time: str  # the event's time (ISO 8601, UTC)
    sent: str  # when it was sent


@dataclass
class Record:
    path: Path
    entries: dict[str, dict[str, dict[str, Sent]]] = field(default_factory=dict)  # audience, channel, event

    def get(self, audience: str, channel: str, event: str) -> Sent | None:
        return self.entries.get(audience, {}).get(channel, {}).get(event)

    def put(self, audience: str, channel: str, event: str, sent: Sent) -> None:
        self.entries.setdefault(audience, {}).setdefault(channel, {})[event] = sent

    def save(self, horizon: datetime) -> None:
        """Write it whole, atomically; entries too old ever to be sent again are dropped."""
        oldest = iso(horizon - KEEP)
        data: dict[str, Any] = {
            "version": RECORD_VERSION,
            "sent": {
                audience: {
                    channel: {
                        event: {"digest": s.digest, "time": s.time, "sent": s.sent}
                        for event, s in sorted(events.items())
                        if s.time >= oldest
                    }
                    for channel, events in sorted(channels.items())
                }
                for audience, channels in sorted(self.entries.items())
            },
        }
        text = json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".notified-", dir=self.path.parent)
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except OSError as error:
            raise RecordError(f"cannot write {self.path}: {error.strerror or error}") from None


def load_record(path: Path) -> Record:
    """The record at path (empty if there is none); a damaged one is an error, not a fresh start:
    starting afresh would resend everything inside the horizon."""
    if not path.exists():
        return Record(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        record = Record(path)
        current = data.get("version") == RECORD_VERSION
        for audience, channels in data["sent"].items():
            for channel, events in channels.items():
                for event, s in events.items():
                    digest = str(s["digest"]) if current else ""
                    record.put(audience, channel, event, Sent(digest, str(s["time"]), str(s["sent"])))
        return record
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
        raise RecordError(
            f"cannot read {path} ({type(error).__name__}); fix or delete it (deleting it resends "
            "what happened inside the horizon, --since)"
        ) from None


@contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """One notify at a time per record: a second run waits, then reads what the first sent.
    The lock goes when the file closes, however the process ends."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = open(path.with_name(path.name + ".lock"), "a")  # held across the yield
    except OSError as error:
        raise RecordError(f"cannot lock {path}: {error.strerror or error}") from None
    with lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield
