"""Rendered Markdown kept between builds: a hash of the text -> its sanitized HTML, in SQLite.

Markdown rendering is most of a cold build's time, and most texts never change. Entries are
keyed by the text and by everything that shapes the HTML (statusgen's markup code and the
Markdown and nh3 versions), so a cached result is always what rendering would give. The cache
is an accelerator only: any trouble with it means rendering as if it were not there.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from pathlib import Path

from generator import markup
from generator.sqlitecache import CACHE_DIR, SqliteCache

_FILE = "markdown.sqlite3"


def _salt() -> bytes | None:
    """Everything that shapes the HTML; None (no caching) when it cannot be known."""
    try:
        versions = "|".join(importlib.metadata.version(name) for name in ("markdown", "nh3"))
        return hashlib.blake2b(Path(markup.__file__).read_bytes() + versions.encode()).digest()
    except (importlib.metadata.PackageNotFoundError, OSError):
        return None


class RenderCache(SqliteCache[str]):
    """Text -> sanitized HTML; looked up from any process, written by the main one."""

    TABLE, COLUMN = "rendered", "html"

    def __init__(self, site_dir: Path | None):
        salt = _salt() if site_dir else None
        super().__init__(site_dir / CACHE_DIR / _FILE if site_dir and salt else None)
        self._salt = salt or b"\0" * 64

    def render(self, text: str) -> str:
        key = hashlib.blake2b(text.encode(), key=self._salt[:64], digest_size=16).digest()
        cached = self.lookup(key)
        if cached is not None:
            return markup.sanitize(cached)  # cheap, and a tampered cache file cannot inject markup
        html = markup.render_markdown(text)
        self.new[key] = html
        return html
