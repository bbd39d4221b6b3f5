"""Loaded items kept between builds, so that a build reads, parses and validates only the folders
that changed: a hash of a folder's files (and of everything else that shapes loading: statusgen's
code, site.yml, the library versions) -> the item loaded from them, in SQLite.

Only folders that loaded without a problem are kept, so every problem is still found and
reported by loading. Like the render cache this only ever saves time: any trouble with it means
loading as if it were not there. Entries are unpickled with an allowlist of the model's own
types, so a tampered cache file cannot run code. It can change what pages say, as a tampered
previous output can (incremental.py), or make a build fail: both are build state, trusted like
the checkout (the CI recipes keep them in the CI's own cache, which only the default branch's
runs write).

Each entry also lists the render cache's keys of the texts the item was rendered from: they are
still in use, and the render cache keeps them when it forgets unused entries.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import sqlite3
from pathlib import Path
from typing import Any

from generator import model
from generator.content import Folder
from generator.rendercache import CACHE_DIR

_FILE = "items.sqlite3"
_ALLOWED = {
    ("datetime", "datetime"),
    ("datetime", "date"),
    ("datetime", "timezone"),
    ("datetime", "timedelta"),
    ("zoneinfo", "ZoneInfo._unpickle"),
    ("zoneinfo", "ZoneInfo"),
}


class _ModelUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module == "generator.model" and isinstance(getattr(model, name, None), type):
            return getattr(model, name)
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a loaded item")


def folder_key(folder: Folder, fingerprint: str) -> bytes | None:
    """What the folder loads from; None when a file cannot be read (loading says why)."""
    digest = hashlib.blake2b(f"{fingerprint}|{folder.kind}|{folder.id}|{folder.path}".encode())
    try:
        for path in folder.files:
            data = path.read_bytes()
            digest.update(f"\0{path.name}\0{len(data)}\0".encode())
            digest.update(data)
    except OSError:
        return None
    return digest.digest()[:16]


class ItemCache:
    """Looked up from any process (connections open per process); written by the main one."""

    def __init__(self, site_dir: Path | None):
        self.path = site_dir / CACHE_DIR / _FILE if site_dir else None
        self._connection: sqlite3.Connection | None = None
        self._pid = 0
        self._unreadable = False
        self.new: dict[bytes, bytes] = {}  # loaded here since the last take_log()
        self.used: list[bytes] = []

    def get(self, key: bytes) -> tuple[model.Item, list[bytes]] | None:
        """The item loaded from the folder of this key, and the render cache keys of its texts."""
        self.used.append(key)
        data = self._lookup(key)
        if data is None:
            return None
        try:
            item, texts = _ModelUnpickler(io.BytesIO(data)).load()
        except Exception:  # noqa: BLE001 (damaged or foreign: load the folder instead)
            return None
        if not isinstance(item, model.Item) or not all(isinstance(text, bytes) for text in texts):
            return None
        return item, texts

    def put(self, key: bytes, item: model.Item, texts: list[bytes]) -> None:
        self.new[key] = pickle.dumps((item, texts), protocol=pickle.HIGHEST_PROTOCOL)

    def take_log(self) -> tuple[dict[bytes, bytes], list[bytes]]:
        log = (self.new, self.used)
        self.new, self.used = {}, []
        return log

    def absorb(self, log: tuple[dict[bytes, bytes], list[bytes]]) -> None:
        self.new.update(log[0])
        self.used.extend(log[1])

    def _lookup(self, key: bytes) -> bytes | None:
        connection = self._open()
        if connection is None:
            return None
        try:
            row = connection.execute("SELECT item FROM items WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            self._unreadable = True
            return None
        return bytes(row[0]) if row else None

    def _open(self) -> sqlite3.Connection | None:
        if self.path is None or self._unreadable or not self.path.is_file():
            return None
        if self._connection is None or self._pid != os.getpid():  # never share one across fork
            try:
                self._connection = sqlite3.connect(
                    f"file:{self.path}?mode=ro", uri=True, check_same_thread=False
                )
            except sqlite3.Error:
                self._unreadable = True
                return None
            self._pid = os.getpid()
        return self._connection

    def save(self) -> None:
        """Store what was loaded; forget entries no longer used. A cache that cannot be written
        costs speed, never the build."""
        if self.path is None:
            return
        try:
            self._write(self.path)
        except sqlite3.OperationalError:
            pass  # locked by another build: it will store its own results
        except sqlite3.DatabaseError:  # damaged: start afresh
            try:
                self.path.unlink()
                self._write(self.path)
            except (sqlite3.Error, OSError):
                pass
        except (sqlite3.Error, OSError):
            pass

    def _write(self, path: Path) -> None:
        new, used = self.new, set(self.used)
        if not new and path.is_file():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.parent / ".gitignore").write_text("*\n")
        connection = sqlite3.connect(path, timeout=5)
        try:
            with connection:
                connection.execute("CREATE TABLE IF NOT EXISTS items (key BLOB PRIMARY KEY, item BLOB)")
                connection.executemany("INSERT OR REPLACE INTO items VALUES (?, ?)", new.items())
                total = connection.execute("SELECT count(*) FROM items").fetchone()[0]
                if total > len(used) + 100:  # an edited folder leaves its old entry behind
                    connection.execute("CREATE TEMP TABLE used (key BLOB PRIMARY KEY)")
                    connection.executemany("INSERT OR IGNORE INTO used VALUES (?)", ((k,) for k in used))
                    connection.execute("DELETE FROM items WHERE key NOT IN (SELECT key FROM used)")
        finally:
            connection.close()
