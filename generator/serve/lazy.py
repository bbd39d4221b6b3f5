"""One audience's tree as the preview serves it: each file rendered when first asked for, then kept.

A 10,000-incident site has 20,000 incident and month pages per pair of audiences; a browser asks
for a handful. So ``statusgen serve`` starts, and takes a change to site.yml or the theme, in
the time it takes to load the site, and an edit costs what the edited item touches. Each rebuild
makes a new ``LazyTree`` from the last one (``after``): the pages whose inputs did not change are
carried over as rendered, the shared files wait to be rendered again, narrowed to what changed,
until one of them is asked for. A tree renders only from its own snapshot of the site (its
``Tree``), so a request that lands during a rebuild is answered from one consistent site.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Iterator, Mapping

from generator.render.tree import Only, Tree

_API_ITEM_PREFIXES = ("api/v2/incidents/", "api/v2/scheduled-maintenances/")


class LazyTree(Mapping[str, bytes]):
    """``{uri: bytes}`` of one audience's tree; reading a file renders it if need be (a theme
    template that fails raises SiteError)."""

    def __init__(
        self,
        renderer: Tree,
        assets: Mapping[str, bytes],
        pages: dict[str, bytes] | None = None,
        shared: dict[str, bytes] | None = None,
        pending: Only | None = None,
    ):
        self.renderer = renderer
        self.assets = assets
        self.month_keys = renderer.facts.month_keys
        self._pages = pages or {}  # item and month pages rendered so far
        self._shared = shared  # every other file, as last rendered (None: never)
        # What of the shared files must be rendered again before one is served.
        self._pending = Only.shared_files() if shared is None else pending
        self._lock = threading.RLock()

    def after(self, renderer: Tree, stale: Iterable[str], changed: Only) -> LazyTree:
        """The tree of the next rebuild: ``stale`` pages and the ``changed`` part of the shared files
        are rendered again when asked for; other pages are taken as they are."""
        with self._lock:
            pages = self._pages.copy()
            shared, pending = self._shared, _merge(self._pending, changed)
        for uri in stale:
            pages.pop(uri, None)
        if renderer.facts.month_keys != self.month_keys:  # a month came or went: its neighbours' links
            for month in self.month_keys:
                pages.pop(_month_page(month), None)
        return LazyTree(renderer, self.assets, pages, shared, pending)

    def has_page(self, uri: str) -> bool:
        """Whether ``uri`` is an incident or month page of this tree (no rendering needed to tell)."""
        return self._item(uri) is not None or self._month(uri) is not None

    def _item(self, uri: str) -> str | None:
        """The item uri ("incidents/<id>/") whose page ``uri`` is, if it is one."""
        item = uri.removesuffix("index.html")
        return item if item != uri and item in self.renderer.facts.items_by_uri else None

    def _month(self, uri: str) -> str | None:
        """The month ("2026-11") whose page ``uri`` is, if it is one."""
        month = uri.removeprefix("history/").removesuffix("/index.html")
        return month if _month_page(month) == uri and month in self.renderer.facts.month_position else None

    def rendered(self, uri: str) -> bool:
        """Whether the page is already rendered (the shared files count as one)."""
        with self._lock:
            return uri in self._pages if self.has_page(uri) else self._pending is None

    def __getitem__(self, uri: str) -> bytes:
        page = self._pages.get(uri)
        if page is not None:
            return page
        if not self.has_page(uri):
            return self.shared()[uri]
        with self._lock:
            page = self._pages.get(uri)
            if page is None:
                item = self._item(uri)
                if item is not None:
                    files = self.renderer.render(Only.item_pages([item]))
                else:
                    files = self.renderer.render(Only.month_pages([uri.split("/")[1]]))
                page = self._pages[uri] = files[uri]
            return page

    def __contains__(self, uri: object) -> bool:
        return isinstance(uri, str) and (self.has_page(uri) or uri in self.shared())

    def __iter__(self) -> Iterator[str]:
        yield from list(self.shared())
        yield from (uri + "index.html" for uri in self.renderer.facts.items_by_uri)
        yield from (_month_page(month) for month in self.month_keys)

    def __len__(self) -> int:
        return len(self.shared()) + self.pages()

    def pages(self) -> int:
        """How many incident and month pages the tree has, rendered or not."""
        return len(self.renderer.facts.items_by_uri) + len(self.month_keys)

    def shared(self) -> dict[str, bytes]:
        """Every file but the incident and month pages, rendered again first if something changed."""
        with self._lock:
            if self._pending is not None:
                files = self.renderer.render(self._pending)
                if self._shared is None:
                    files.update(self.assets)
                    self._shared = files
                else:
                    # The API writes incidents/<id>.json only for the items it lists now.
                    kept = {
                        uri: data
                        for uri, data in self._shared.items()
                        if not uri.startswith(_API_ITEM_PREFIXES) or uri in files
                    }
                    self._shared = {**kept, **files}
                self._pending = None
            assert self._shared is not None
            return self._shared


def _month_page(month: str) -> str:
    return f"history/{month}/index.html"


def _merge(first: Only | None, second: Only) -> Only:
    """Both parts of the shared files, as one."""
    if first is None:
        return second
    return Only(
        months=(),
        items=(),
        components=_union(first.components, second.components),
        component_feeds=_union(first.component_feeds, second.component_feeds),
        calendar=first.calendar or second.calendar,
    )


def _union(first: Collection[str] | None, second: Collection[str] | None) -> Collection[str] | None:
    return None if first is None or second is None else {*first, *second}
