"""Rebuilding only what changed: which incident and month pages a build may take unchanged from
the previous output instead of rendering them again.

Incident and month pages are pure functions of their items' views (``Tree.item_page_inputs``,
``Tree.month_page_inputs``), the same knowledge the live preview uses to re-render what an edit
touched; and a view is a function of the item's files, the audience, site.yml and where the
clock stands against the item's moments (``Item.moments``, which the preview also sleeps on).
Each build records, per page, a hash of those and of everything else that shapes every page
(statusgen's code and theme, the site's theme and site.yml, the library versions), with the size
and mtime the page was written with. The next build into the same folder re-renders a page only
when its hash changed or the file is not the one it wrote.

The ledger lives in the site's .statusgen-cache/ (like the render cache, never in the output a
host publishes), one per output folder. Like the render cache it only ever saves time: a
missing, damaged or foreign ledger means rendering everything.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import struct
import sys
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import generator
from generator.audience import ItemView
from generator.config import SiteConfig
from generator.model import KIND_DIRS, Item, Site
from generator.output import safe_join
from generator.render.tree import Tree
from generator.sqlitecache import CACHE_DIR

_VERSION = 1
_LIBRARIES = (
    "jinja2",
    "markdown",
    "nh3",
    "pyyaml",
    "feedgen",
    "icalendar",
    "python-slugify",
    "tzdata",
    "babel",
)


def fingerprint(site_dir: Path | None, theme_dirs: list[Path], config: SiteConfig, extra: str = "") -> str:
    """A hash of everything, besides a page's own inputs, that shapes the pages of a site:
    statusgen's code and theme, the site's theme and site.yml, the library versions and the
    time zone database's rules for the site's zone. Without ``site_dir`` (the item cache's),
    site.yml stands in only as ``extra`` (what of it loading reads: itemcache.loading_inputs)."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{_VERSION}|{sys.version}|{extra}|".encode())
    for name in _LIBRARIES:
        try:
            digest.update(f"{name}={importlib.metadata.version(name)}|".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(f"{name}=?|".encode())
    zone = str(getattr(config.timezone, "key", config.timezone))
    zone_files = [Path(folder, zone) for folder in zoneinfo.TZPATH]
    folders = [Path(generator.__file__).parent, *theme_dirs]
    site_yml = [site_dir / "site.yml"] if site_dir else []
    for path in [*site_yml, *zone_files, *(p for folder in folders for p in _files(folder))]:
        digest.update(os.fsencode(path) + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"\1unreadable")
    return digest.hexdigest()


def _files(folder: Path) -> list[Path]:
    """Every file under folder, following links to folders (the theme loader does) once each."""
    found: list[Path] = []
    seen: set[str] = set()
    for root, dirs, names in os.walk(folder, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:  # a link back up the tree
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        found += [Path(root, name) for name in sorted(names) if not name.endswith(".pyc")]
    return found


def item_state(item: Item, now: datetime) -> tuple[bytes, tuple[int, ...]] | None:
    """What every audience's view of the item is a function of, besides the site and the
    audience: its files (the digest) and where the clock stands against each of its moments
    (before, at or after). None when the digest is not known."""
    if not item.digest:
        return None
    return item.digest, tuple((now > moment) - (now < moment) for moment in item.moments())


def page_key(fingerprint: str, audience_id: str, inputs: object) -> bytes:
    """The hash of one page's inputs (item states, strings, numbers; their repr is stable)."""
    text = f"{fingerprint}|{audience_id}|{inputs!r}"
    return hashlib.blake2b(text.encode(), digest_size=_KEY).digest()


_KEY = 16  # bytes of a page key
_LEDGER_VERSION = 2  # its file: 1 was one JSON document, 2 a line per page
_ENTRY = struct.Struct("<16sqq")  # a page as the ledger holds it: (key, size, mtime_ns), packed:
# a site's ledger has two pages per item and audience, and a tuple of a text and two numbers
# takes three times the memory


@dataclass
class PageLedger:
    """What the previous build into one output folder wrote: "<audience>/<uri>" -> (key, size,
    mtime_ns), packed (_ENTRY). ``path`` None: no ledger (``--no-cache``, or a check). Page names
    are interned: the ledger, the previous output's file list (output.survey), this build's pages
    and the build report share one string for each.

    The file is a line of JSON ({"version", "fingerprint"}), then one line per page, a JSON list
    [page, key in hex, size, mtime_ns]: read and written a page at a time, never held whole."""

    path: Path | None
    fingerprint: str = ""
    pages: dict[str, bytes] = field(default_factory=dict)  # each entry is taken out as it is asked for
    out_root: str = ""  # the output folder the pages are in
    # This build's pages: its key (to render), or the previous entry (_ENTRY) when the page is
    # taken unchanged from the previous output: one dict, no second collection for those.
    written: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def load(cls, site_dir: Path, out_dir: Path, fingerprint: str, enabled: bool = True) -> PageLedger:
        if not enabled:
            return cls(None)
        name = hashlib.blake2b(str(Path(os.path.abspath(out_dir))).encode(), digest_size=8).hexdigest()
        ledger = cls(site_dir / CACHE_DIR / f"pages-{name}.jsonl", fingerprint, out_root=str(out_dir))
        try:
            ledger.pages = _read(ledger.path, fingerprint) if ledger.path else {}
        except (OSError, ValueError, TypeError, AttributeError, KeyError, RecursionError, struct.error):
            ledger.pages = {}  # none yet, or damaged: render everything
        return ledger

    def reusable(self, audience_id: str, uri: str, key: bytes) -> bool:
        """Whether the previous output's page is the one rendering ``key`` would give."""
        page = sys.intern(f"{audience_id}/{uri}")
        self.written[page] = key
        entry = self.pages.pop(page, None)  # asked for once: what the previous build wrote goes
        if self.path is None or entry is None:
            return False
        kept_key, size, mtime = _ENTRY.unpack(entry)
        if kept_key != key:
            return False
        try:
            status = os.stat(safe_join(self.out_root, page), follow_symlinks=False)
        except OSError:
            return False
        if (status.st_size, status.st_mtime_ns) != (size, mtime):
            return False
        self.written[page] = entry  # the same file, linked or copied with its mtime
        return True

    def save(self, out_dir: Path) -> None:
        """Record this build's pages as they now stand in ``out_dir``, a page at a time; a ledger
        that cannot be written costs speed, never the build."""
        if self.path is None:
            return
        self.pages = {}  # what is left of the previous build's: pages this one does not have
        root = str(out_dir)
        header = {"version": _LEDGER_VERSION, "fingerprint": self.fingerprint}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            (self.path.parent / ".gitignore").write_text("*\n")
            temporary = self.path.with_suffix(".tmp")
            with open(temporary, "w", encoding="utf-8") as file:
                file.write(json.dumps(header, separators=(",", ":")) + "\n")
                for page in sorted(self.written):
                    entry = self.written[page]
                    if len(entry) == _ENTRY.size:  # kept from the previous output as it was
                        key, size, mtime = _ENTRY.unpack(entry)
                    else:
                        try:
                            status = os.stat(safe_join(root, page), follow_symlinks=False)
                        except OSError:
                            continue
                        key, size, mtime = entry, status.st_size, status.st_mtime_ns
                    file.write(json.dumps([page, key.hex(), size, mtime], separators=(",", ":")) + "\n")
            os.replace(temporary, self.path)
            self.path.with_suffix(".json").unlink(missing_ok=True)  # a version 1 ledger's file
        except OSError:
            pass


def _read(path: Path, fingerprint: str) -> dict[str, bytes]:
    """A ledger file's pages (see PageLedger), read a line at a time; {} when it is another
    version's or another fingerprint's. Raises ValueError (and the like) when it is damaged."""
    pages: dict[str, bytes] = {}
    with open(path, encoding="utf-8") as file:
        header = json.loads(file.readline())
        if header.get("version") != _LEDGER_VERSION or header.get("fingerprint") != fingerprint:
            return pages
        for line in file:
            page, key, size, mtime = json.loads(line)
            if not (isinstance(page, str) and isinstance(key, str) and len(key) == 2 * _KEY):
                raise ValueError(f"ledger entry {line!r}")
            pages[sys.intern(page)] = _ENTRY.pack(bytes.fromhex(key), size, mtime)
    return pages


@dataclass
class Reused:
    """One tree's pages that the previous build left as this one would render them."""

    items: set[str] = field(default_factory=set)  # item uris: "incidents/<id>/"
    months: set[str] = field(default_factory=set)  # "2026-11"
    uris: list[str] = field(default_factory=list)  # their files


class Previous:
    """The output a build replaces: files with unchanged bytes keep their mtime
    (output.write_files), and pages whose inputs did not change are taken from it."""

    def __init__(self, out_dir: Path, ledger: PageLedger, site: Site, now: datetime, plain: bool = True):
        self.out_dir = out_dir
        self.ledger = ledger
        # By the item's uri: the string every view of it holds (ItemView.uri), not a tuple each.
        positions: dict[tuple[int, ...], tuple[int, ...]] = {}  # a few patterns, one object each
        self.states: dict[str, tuple[bytes, tuple[int, ...]] | None] = {}
        for item in site.items:
            state = item_state(item, now)
            if state is not None:
                state = (state[0], positions.setdefault(state[1], state[1]))
            self.states[sys.intern(f"{KIND_DIRS[item.kind]}/{item.id}/")] = state
        # An output with symbolic links or other odd files in it (output.survey) is read from
        # for nothing: a link could show bytes from outside it as a page's.
        self.plain = plain

    @property
    def compare_root(self) -> Path | None:
        """Where files with unchanged bytes are looked for (None: nowhere)."""
        return self.out_dir if self.plain else None

    def reusable(self, tree: Tree) -> Reused:
        found = Reused()
        if self.ledger.path is None or not self.plain:
            return found
        audience = tree.view.audience.id
        for uri in tree.facts.items_by_uri:
            page = uri + "index.html"
            inputs = tree.item_page_inputs(uri)  # None: never reused (an open item's SLA costs)
            if self._reusable(audience, page, self._state(inputs) if inputs else None):
                found.items.add(uri)
                found.uris.append(page)
        for month in tree.facts.month_keys:
            context = tree.month_page_inputs(month)
            shown = [self._state(view) for view in context.items]
            page = f"history/{month}/index.html"
            if all(shown) and self._reusable(audience, page, (month, shown, context.newer, context.older)):
                found.months.add(month)
                found.uris.append(page)
        return found

    def _state(self, view: ItemView) -> tuple[bytes, tuple[int, ...]] | None:
        return self.states.get(view.uri)

    def _reusable(self, audience: str, page: str, inputs: object) -> bool:
        if not inputs:
            self.ledger.written.pop(f"{audience}/{page}", None)
            return False
        key = page_key(self.ledger.fingerprint, audience, inputs)
        return self.ledger.reusable(audience, page, key)
