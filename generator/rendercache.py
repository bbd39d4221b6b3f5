"""Rendered Markdown kept between builds: a hash of the text -> its sanitized HTML, in SQLite.

Markdown rendering is most of a cold build's time, and most texts never change. Entries are
keyed by the text and by everything that shapes the HTML (statusgen's markup code and the
Markdown and nh3 versions), so a cached result is always what rendering would give. The cache
is an accelerator only: any trouble with it means rendering as if it were not there.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import sqlite3
from pathlib import Path

from generator import markup

CACHE_DIR = ".statusgen-cache"
_FILE = "markdown.sqlite3"


def _salt() -> bytes | None:
    """Everything that shapes the HTML; None (no caching) when it cannot be known."""
    try:
        versions = "|".join(importlib.metadata.version(name) for name in ("markdown", "nh3"))
        return hashlib.blake2b(Path(markup.__file__).read_bytes() + versions.encode()).digest()
    except (importlib.metadata.PackageNotFoundError, OSError):
        return None


class RenderCache:
    """Looked up from any process (connections open per process); written by the main one."""

    def __init__(self, site_dir: Path | None):
        salt = _salt() if site_dir else None
        self.path = site_dir / CACHE_DIR / _FILE if site_dir and salt else None
        self._salt = salt or b"\0" * 64
        self._connection: sqlite3.Connection | None = None
        self._pid = 0
        self._unreadable = False
        self.new: dict[bytes, str] = {}  # rendered here since the last take_log()
        self.used: list[bytes] = []

    def render(self, text: str) -> str:
        key = hashlib.blake2b(text.encode(), key=self._salt[:64], digest_size=16).digest()
        self.used.append(key)
        cached = self._lookup(key)
        if cached is not None:
            return markup.sanitize(cached)  # cheap, and a tampered cache file cannot inject markup
        html = markup.render_markdown(text)
        self.new[key] = html
        return html

    def take_log(self) -> tuple[dict[bytes, str], list[bytes]]:
        """What this process rendered and used since the last call (sent back to the main one)."""
        log = (self.new, self.used)
        self.new, self.used = {}, []
        return log

    def absorb(self, log: tuple[dict[bytes, str], list[bytes]]) -> None:
        """Take in what a worker process rendered and used."""
        self.new.update(log[0])
        self.used.extend(log[1])

    def _lookup(self, key: bytes) -> str | None:
        connection = self._open()
        if connection is None:
            return None
        try:
            row = connection.execute("SELECT html FROM rendered WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            self._unreadable = True
            return None
        return row[0] if row else None

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
        """Store what was rendered; forget entries no longer used when they pile up.

        A cache that cannot be written costs speed, never the build.
        """
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
                connection.execute("CREATE TABLE IF NOT EXISTS rendered (key BLOB PRIMARY KEY, html TEXT)")
                connection.executemany("INSERT OR REPLACE INTO rendered VALUES (?, ?)", new.items())
                total = connection.execute("SELECT count(*) FROM rendered").fetchone()[0]
                if total > 2 * len(used) + 1000:
                    connection.execute("CREATE TEMP TABLE used (key BLOB PRIMARY KEY)")
                    connection.executemany("INSERT OR IGNORE INTO used VALUES (?)", ((k,) for k in used))
                    connection.execute("DELETE FROM rendered WHERE key NOT IN (SELECT key FROM used)")
        finally:
            connection.close()
