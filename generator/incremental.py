"""Rebuilding only what changed: which incident and month pages a build may take unchanged from
the previous output instead of rendering them again.

Incident and month pages are pure functions of their inputs (``Tree.page_inputs``: an item's
view; a month's items and its neighbours), the same knowledge the live preview uses to re-render
what an edit touched. Each build records, per page, a hash of those inputs and of everything
else that shapes every page (statusgen's code and theme, the site's theme and site.yml, the
library versions), with the size and mtime the page was written with. The next build into the
same folder re-renders a page only when its hash changed or the file is not the one it wrote.

The ledger lives in the site's .statusgen-cache/ (like the render cache, never in the output a
host publishes), one per output folder. Like the render cache it only ever saves time: a
missing, damaged or foreign ledger means rendering everything.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import pickle
import sys
from dataclasses import dataclass, field
from pathlib import Path

import generator
from generator.output import safe_path
from generator.rendercache import CACHE_DIR

_VERSION = 1
_LIBRARIES = ("jinja2", "markdown", "nh3", "pyyaml", "feedgen", "icalendar", "python-slugify")


def fingerprint(site_dir: Path, theme_dirs: list[Path]) -> str:
    """A hash of everything, besides a page's own inputs, that shapes the pages of a site."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{_VERSION}|{sys.version}|".encode())
    for name in _LIBRARIES:
        try:
            digest.update(f"{name}={importlib.metadata.version(name)}|".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(f"{name}=?|".encode())
    folders = [Path(generator.__file__).parent, *theme_dirs]
    for path in [site_dir / "site.yml", *(p for folder in folders for p in _files(folder))]:
        digest.update(str(path).encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"\1unreadable")
    return digest.hexdigest()


def _files(folder: Path) -> list[Path]:
    found = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        found += [Path(root, name) for name in sorted(names) if not name.endswith(".pyc")]
    return found


def page_key(fingerprint: str, audience_id: str, inputs: object) -> str:
    """The hash of one page's inputs, pickled: equal bytes mean equal values (dataclasses of
    strings, numbers, dates and tuples). Equal values may pickle apart (shared objects are
    written once), which costs a render, never a wrong page."""
    digest = hashlib.blake2b(f"{fingerprint}|{audience_id}|".encode(), digest_size=16)
    digest.update(pickle.dumps(inputs, protocol=pickle.HIGHEST_PROTOCOL))
    return digest.hexdigest()


@dataclass
class PageLedger:
    """What the previous build into one output folder wrote: "<audience>/<uri>" -> (key, size,
    mtime_ns). ``path`` None: no ledger (``--no-cache``, or a check)."""

    path: Path | None
    fingerprint: str = ""
    pages: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    written: dict[str, str] = field(default_factory=dict)  # page -> key, of this build

    @classmethod
    def load(cls, site_dir: Path, out_dir: Path, fingerprint: str, enabled: bool = True) -> PageLedger:
        if not enabled:
            return cls(None)
        name = hashlib.blake2b(str(Path(os.path.abspath(out_dir))).encode(), digest_size=8).hexdigest()
        ledger = cls(site_dir / CACHE_DIR / f"pages-{name}.json", fingerprint)
        try:
            data = json.loads(ledger.path.read_bytes()) if ledger.path else {}
            if data.get("version") == _VERSION and data.get("fingerprint") == fingerprint:
                pages = data["pages"].items()
                ledger.pages = {page: (key, size, mtime) for page, (key, size, mtime) in pages}
        except (OSError, ValueError, TypeError, AttributeError, KeyError):
            pass  # none yet, or damaged: render everything
        return ledger

    def reusable(self, previous: Path, audience_id: str, uri: str, key: str) -> bool:
        """Whether the previous output's page is the one rendering ``key`` would give."""
        page = f"{audience_id}/{uri}"
        self.written[page] = key
        entry = self.pages.get(page)
        if self.path is None or entry is None or entry[0] != key:
            return False
        try:
            status = os.stat(safe_path(previous, page), follow_symlinks=False)
        except OSError:
            return False
        return (status.st_size, status.st_mtime_ns) == entry[1:]

    def save(self, out_dir: Path) -> None:
        """Record this build's pages as they now stand in ``out_dir``; a ledger that cannot be
        written costs speed, never the build."""
        if self.path is None:
            return
        pages = {}
        for page, key in sorted(self.written.items()):
            try:
                status = os.stat(safe_path(out_dir, page), follow_symlinks=False)
            except OSError:
                continue
            pages[page] = (key, status.st_size, status.st_mtime_ns)
        data = {"version": _VERSION, "fingerprint": self.fingerprint, "pages": pages}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            (self.path.parent / ".gitignore").write_text("*\n")
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError:
            pass
