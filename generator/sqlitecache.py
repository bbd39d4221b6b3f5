"""A key -> value store in SQLite, kept between builds: what the render cache and the item cache
share. Looked up from any process (connections open per process, never shared across fork);
written by the main one, which absorbs what worker processes added and used. Any trouble with it
costs speed, never the build: an unreadable store is not there, an unwritable one is not saved.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Generic, TypeVar

CACHE_DIR = ".statusgen-cache"

V = TypeVar("V", str, bytes)
Log = tuple[dict[bytes, V], list[bytes]]


class SqliteCache(Generic[V]):
    """``new``: entries added here since the last take_log(); ``used``: keys looked up. Saving
    forgets the entries no build used once there are more than ``spare(len(used))``."""

    TABLE = ""  # set by each cache: its table and value column
    COLUMN = ""

    def __init__(self, path: Path | None):
        self.path = path
        self._connection: sqlite3.Connection | None = None
        self._pid = 0
        self._unreadable = False
        self.new: dict[bytes, V] = {}
        self.used: list[bytes] = []
        self._stored = False  # flush() stored entries already (save() still prunes)
        self._keep = False  # flush() failed: keep the entries for save()
        # Whether there is a store to read: decided once (a cold build then makes no query and
        # no stat per text), and again after save(). What flush() stores during a build is the
        # build's own new entries: never needed back.
        self._present = path is not None and path.is_file()

    @staticmethod
    def spare(used: int) -> int:
        return 2 * used + 1000

    def take_log(self) -> Log[V]:
        """What this process added and used since the last call (sent back to the main one)."""
        log = (self.new, self.used)
        self.new, self.used = {}, []
        return log

    def absorb(self, log: Log[V]) -> None:
        """Take in what a worker process added and used."""
        self.new.update(log[0])
        self.used.extend(log[1])

    @property
    def readable(self) -> bool:
        """Whether lookups can find anything: there was a store when the build began."""
        return self.path is not None and self._present and not self._unreadable

    def lookup(self, key: bytes) -> V | None:
        """The stored value (and the key noted as used)."""
        self.used.append(key)
        connection = self._open()
        if connection is None:
            return None
        try:
            query = f"SELECT {self.COLUMN} FROM {self.TABLE} WHERE key = ?"  # noqa: S608 (class constants)
            row = connection.execute(query, (key,)).fetchone()
        except sqlite3.Error:
            self._unreadable = True
            return None
        return row[0] if row else None

    def _open(self) -> sqlite3.Connection | None:
        if self.path is None or self._unreadable or not self._present:
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

    def flush(self, at_least: int = 256) -> None:
        """Store what was added so far, once there are ``at_least`` entries, and forget it here.

        A build's main process calls this as worker results come in, so that it never holds
        every rendered text until the end (entries are keyed by content: storing them before
        the build is done is safe). On any trouble it stops, and save() has the rest.
        """
        if self.path is None or self._keep or len(self.new) < at_least:
            return
        try:
            with closing(self._connect(self.path)) as connection, connection:
                self._insert(connection)
        except (sqlite3.Error, OSError):
            self._keep = True  # locked, damaged, unwritable: save() deals with it, as before
            return
        self.new = {}
        self._stored = True

    def save(self) -> None:
        """Store what was added; forget entries no longer used when they pile up."""
        if self.path is None:
            return
        self._save(self.path)
        self._present = self.path.is_file()  # serve's next rebuild reads what is stored now

    def _save(self, path: Path) -> None:
        try:
            self._write(path)
        except sqlite3.OperationalError:
            pass  # locked by another build: it will store its own results
        except sqlite3.DatabaseError:  # damaged: start afresh
            try:
                path.unlink()
                self._write(path)
            except (sqlite3.Error, OSError):
                pass
        except (sqlite3.Error, OSError):
            pass

    def _connect(self, path: Path) -> sqlite3.Connection:
        """A connection to store entries with, its table made."""
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.parent / ".gitignore").write_text("*\n")
        connection = sqlite3.connect(path, timeout=5)
        try:
            with connection:
                table, column = self.TABLE, self.COLUMN
                connection.execute(f"CREATE TABLE IF NOT EXISTS {table} (key BLOB PRIMARY KEY, {column})")
        except BaseException:
            connection.close()
            raise
        return connection

    def _insert(self, connection: sqlite3.Connection) -> None:
        query = f"INSERT OR REPLACE INTO {self.TABLE} VALUES (?, ?)"  # noqa: S608 (class constants)
        connection.executemany(query, self.new.items())

    def _write(self, path: Path) -> None:
        if not self.new and not self._stored and path.is_file():
            return
        used, table = set(self.used), self.TABLE
        with closing(self._connect(path)) as connection, connection:
            self._insert(connection)
            total = connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
            if total > self.spare(len(used)):
                connection.execute("CREATE TEMP TABLE used (key BLOB PRIMARY KEY)")
                connection.executemany("INSERT OR IGNORE INTO used VALUES (?)", ((k,) for k in used))
                connection.execute(f"DELETE FROM {table} WHERE key NOT IN (SELECT key FROM used)")  # noqa: S608
