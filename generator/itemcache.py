"""Loaded items kept between builds, so that a build reads, parses and validates only the folders
that changed: a hash of a folder's files (and of everything else that shapes loading: statusgen's
code, the library versions, and the parts of site.yml loading reads, so that a new title, theme or
component name still finds every folder loaded) -> the item loaded from them, in SQLite.

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

import dataclasses
import hashlib
import io
import pickle
from pathlib import Path
from typing import Any

from generator import model
from generator.config import SiteConfig
from generator.content import Folder
from generator.spool import BodySpool
from generator.sqlitecache import CACHE_DIR, SqliteCache
from generator.yamlsource import read_bytes

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


# What only pages, feeds and notifications read: blanked before site.yml is hashed for loading.
# Anything not named here (a key added later) counts, so a new key can cost speed, never correctness.
_NOT_LOADING = {
    "SiteConfig": (
        "title",
        "base_url",
        "description",
        "logo",
        "links",
        "history_days",
        "feed_size",
        "theme",
        "author",
        "require_approval",
        "approvers",
        "uptime",
    ),
    "Component": ("name", "description", "group", "since", "sla"),
    "Audience": (
        "title",
        "base_url",
        "description",
        "noindex",
        "notify",
        "notify_before_deploy",
        "sla_report",
    ),
}


def loading_inputs(config: SiteConfig) -> str:
    """The parts of site.yml that loading a folder reads (the time zone, the audiences and how they
    include each other, the component ids, ...), as a stable text."""
    return repr(_canonical(config))


def _canonical(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        blank = _NOT_LOADING.get(type(value).__name__, ())
        return (
            type(value).__name__,
            tuple(
                (f.name, _canonical(getattr(value, f.name)))
                for f in dataclasses.fields(value)
                if f.name not in blank
            ),
        )
    if isinstance(value, (set, frozenset)):  # their order varies between runs
        return tuple(sorted((_canonical(v) for v in value), key=repr))
    if isinstance(value, (tuple, list)):
        return tuple(_canonical(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted(((repr(k), _canonical(v)) for k, v in value.items()), key=repr))
    return value


def folder_key(folder: Folder, fingerprint: str) -> bytes | None:
    """What the folder loads from; None when a file cannot be read (loading says why)."""
    digest = hashlib.blake2b(f"{fingerprint}|{folder.kind}|{folder.id}|{folder.path}".encode())
    try:
        for path in folder.files:
            data = read_bytes(path)
            digest.update(f"\0{path.name}\0{len(data)}\0".encode())
            digest.update(data)
    except OSError:
        return None
    return digest.digest()[:16]


class ItemCache(SqliteCache[bytes]):
    """Folder digest -> pickled (item, render cache keys of its texts)."""

    TABLE, COLUMN = "items", "item"

    def __init__(self, site_dir: Path | None):
        super().__init__(site_dir / CACHE_DIR / _FILE if site_dir else None)
        self.fingerprint = ""  # what shapes the pages (incremental.fingerprint): the page ledger's
        self.loading = (
            ""  # what shapes loading (incremental.fingerprint of loading_inputs); both set by load_site
        )
        self.spool: BodySpool | None = None  # a build's: items read back keep their bodies there

    @staticmethod
    def spare(used: int) -> int:
        return used + 100  # an edited folder leaves its old entry behind

    def get(self, key: bytes) -> tuple[model.Item, list[bytes]] | None:
        """The item loaded from the folder of this key, and the render cache keys of its texts."""
        data = self.lookup(key)
        if data is None:
            return None
        try:
            item, texts = _ModelUnpickler(io.BytesIO(data)).load()
        except Exception:  # noqa: BLE001 (damaged or foreign: load the folder instead)
            return None
        if not isinstance(item, model.Item) or not all(isinstance(text, bytes) for text in texts):
            return None
        return (self.spool.keep(item) if self.spool else item), texts

    def put(self, key: bytes, item: model.Item, texts: list[bytes]) -> None:
        self.new[key] = pickle.dumps((item, texts), protocol=pickle.HIGHEST_PROTOCOL)
