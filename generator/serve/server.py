"""``statusgen serve``: every audience's tree from memory, rebuilt as files change, with live reload.

Only the preview's responses carry the live-reload script and the problems overlay; they are
added as pages are served, so nothing of them can reach ``statusgen build`` output.
"""

from __future__ import annotations

import html
import ipaddress
import json
import mimetypes
import re
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from generator.config import CONFIG_NAME
from generator.errors import Problem, SiteError
from generator.serve.live import LiveSite, Rebuild
from generator.serve.watch import SUBTREES, Watcher

PREFIX = "/_statusgen/"  # the preview's own pages; never an audience id (ids are [a-z0-9-])
EVENTS = PREFIX + "events"
STATUS = PREFIX + "status.json"
KEEPALIVE = 15.0  # seconds between comments on an idle event stream
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".json": "application/json",
    ".ics": "text/calendar; charset=utf-8",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
}
# Reloads when the served generation differs from the page's; EventSource reconnects by itself.
_RELOAD = (
    '<script>/* statusgen serve: live reload */(()=>{{const s=new EventSource("{events}");'
    's.onmessage=e=>{{if(e.data!=="{generation}"){{s.close();location.reload()}}}}}})();</script>'
)
_OVERLAY_STYLE = (
    "position:fixed;inset:auto 0 0 0;max-height:60vh;overflow:auto;z-index:2147483647;"
    "margin:0;padding:1rem 1.25rem;background:{background};color:#fff;"
    "border-top:4px solid {border};font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,monospace;"
    "box-shadow:0 -4px 24px #0008"
)


def content_type(uri: str) -> str:
    suffix = Path(uri).suffix.lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(uri)[0] or "application/octet-stream"


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class Preview:
    """The live site, its HTTP server and its file watcher, started and stopped together."""

    def __init__(
        self,
        site_dir: Path,
        bind: str = "127.0.0.1",
        port: int = 8000,
        now: str | None = None,
        workers: int = 1,
        report: Callable[[Rebuild], None] | None = None,
    ):
        self.live = LiveSite(site_dir, now, workers)
        self.report = report or (lambda result: None)
        self.changed = threading.Condition()  # notified after each rebuild that changed what is served
        self.stopping = threading.Event()
        self.rebuilds = 0
        if not (site_dir / CONFIG_NAME).is_file():  # not a site at all (--site is wrong): nothing to wait for
            raise SiteError(self.live.rebuild().problems)
        # Watching 10,000 folders takes seconds, mostly waiting on the system: done while the site
        # loads (and a save made meanwhile is not missed: it makes the first rebuild after). A
        # first start loads on every core, forked from this (the main) thread while the watching
        # thread runs: the workers only read and parse files, and take none of its locks. Later
        # loads run in the rebuild thread, which forks nothing (parallel._worth_a_pool).
        watching = ThreadPoolExecutor(1, thread_name_prefix="statusgen-watch")
        watcher = watching.submit(Watcher, site_dir, self._relevant)
        watching.shutdown(wait=False)
        self.first = self.live.rebuild()
        self.watcher = watcher.result()
        try:
            self.server = _Server((bind, port), _Handler, self)
        except OSError as error:
            self.watcher.stop()
            message = f"cannot listen on {bind}:{port}: {error.strerror or error}; choose another --port"
            raise SiteError([Problem("--port", 0, message)]) from None
        self._threads = [
            threading.Thread(
                target=self.server.serve_forever,
                kwargs={"poll_interval": 0.2},
                name="statusgen-http",
                daemon=True,
            ),
            threading.Thread(target=self._rebuild_loop, name="statusgen-rebuild", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        host = str(host)
        return f"http://{'[' + host + ']' if ':' in host else host}:{port}/"

    def stop(self) -> None:
        self.stopping.set()
        with self.changed:
            self.changed.notify_all()  # event streams end
        self.watcher.stop()
        self.server.shutdown()
        self.server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self.live.cache.save()

    def _relevant(self, path: Path) -> bool:
        """site.yml, the logo, and anything in content/ or themes/."""
        site_dir = self.live.site_dir
        try:
            parts = path.relative_to(site_dir).parts
        except ValueError:
            return False
        logo = self.live.logo
        return (
            (bool(parts) and parts[0] in SUBTREES)
            or parts == (CONFIG_NAME,)
            or (logo is not None and path == site_dir / logo)
        )

    def _rebuild_loop(self) -> None:
        while not self.stopping.is_set():
            try:
                self._rebuild_once()
            except Exception as error:  # anything: a dead loop would serve stale pages with no banner
                self._survive(error)

    def _rebuild_once(self) -> None:
        # On the clock, also wake when a held update comes due or a window starts or ends.
        due = self.live.seconds_to_next_moment()
        batch = self.watcher.next_batch(self.stopping, due)
        if self.stopping.is_set() or (not batch and due is None):
            return
        generation = self.live.generation
        result = self.live.rebuild(batch)
        self.rebuilds += 1
        self._announce(generation)
        self.report(result)

    def _survive(self, error: Exception) -> None:
        """Show the error on every page and in the terminal, and keep watching."""
        generation = self.live.generation
        result = self.live.failed(error)
        self._announce(generation)
        try:
            self.report(result)
        except Exception:
            pass  # the terminal is what fails (a closed pipe): the pages show the problem
        self.stopping.wait(1.0)  # an error that comes back at once must not spin

    def page_failed(self, page: str, error: SiteError) -> None:
        """A page that failed to render when asked for: told like a rebuild's problems."""
        generation = self.live.generation
        result = self.live.page_failed(page, error)
        self._announce(generation)
        try:
            self.report(result)
        except Exception:
            pass  # the terminal is what fails: the pages show the problem

    def _announce(self, generation: int) -> None:
        """Wake the open pages' event streams when what is served changed."""
        if self.live.generation != generation:
            with self.changed:
                self.changed.notify_all()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], preview: Preview):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.preview = preview
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "statusgen-serve"
    generation = 0  # of the trees this response is made from

    def log_message(self, format: str, *args: object) -> None:
        pass  # the terminal shows rebuilds, not requests

    def end_headers(self) -> None:
        # Every response, errors included: other sites' pages may not embed any of it (a badge's
        # width, whether an image loads, would tell them a restricted tree's states).
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        super().end_headers()

    def do_GET(self) -> None:
        self._respond(body=True)

    def do_HEAD(self) -> None:
        self._respond(body=False)

    def _respond(self, body: bool) -> None:
        preview = self.server.preview
        live = preview.live
        # Read before the trees: a rebuild that lands between the two then costs one extra
        # reload, instead of a stale page stamped as current (which would never reload).
        self.generation = live.generation
        if not self._host_allowed():
            message = b"statusgen serve answers only requests addressed to this machine (Host: localhost)\n"
            return self._send(HTTPStatus.FORBIDDEN, CONTENT_TYPES[".txt"], message, body)
        if self.headers.get("Sec-Fetch-Site", "").strip().lower() == "cross-site":
            message = (
                b"statusgen serve does not answer requests made by other sites' pages "
                b"(Sec-Fetch-Site: cross-site); open the preview's address directly\n"
            )
            return self._send(HTTPStatus.FORBIDDEN, CONTENT_TYPES[".txt"], message, body)
        path = urlsplit(self.path).path
        if path == "/":
            return self._redirect(PREFIX)
        if path == EVENTS and body:
            return self._events(preview)
        if path == STATUS:
            status = {
                "generation": live.generation,
                "problems": [str(p) for p in live.problems],
                "held": [{"path": source, "date": date.isoformat()} for source, date in live.held],
            }
            return self._send(HTTPStatus.OK, "application/json", json.dumps(status).encode(), body)
        if path == PREFIX:
            return self._send(HTTPStatus.OK, CONTENT_TYPES[".html"], self._page(self._audiences_page()), body)
        parts = unquote(path).split("/")[1:]  # decoded once: %2e%2e is .. and is refused like it
        trees = live.trees
        if not parts or parts[0] not in trees or any(_unsafe(part) for part in parts):
            return self._not_found(body)
        audience, rest = parts[0], parts[1:]
        if not rest:
            return self._redirect(f"/{audience}/")
        tree = trees[audience]
        uri = "/".join(rest)
        if uri == "" or uri.endswith("/"):
            uri += "index.html"
        try:  # a file is rendered when first asked for (serve/lazy.py)
            content = tree.get(uri)
            if content is None:
                if uri + "/index.html" in tree:
                    return self._redirect(path + "/")
                return self._not_found(body, audience)
        except SiteError as error:  # a theme template that fails on this page's content
            return self._cannot_render(f"{audience}/{uri}", error, body)
        if uri.endswith(".html"):
            content = self._page(content)
        self._send(HTTPStatus.OK, content_type(uri), content, body)

    def _host_allowed(self) -> bool:
        """On loopback, refuse requests for other host names: a web page that points its own
        domain at 127.0.0.1 (DNS rebinding) must not read the restricted trees."""
        bound = str(self.server.server_address[0])
        if not is_loopback(bound):
            return True  # --bind to a network: served to whoever can reach it, by choice
        host = self.headers.get("Host")
        if host is None:
            return True
        try:
            name = urlsplit("//" + host).hostname or ""
        except ValueError:  # not a host name at all
            return False
        return name in ("localhost", "127.0.0.1", "::1", bound) or name.endswith(".localhost")

    def _page(self, page: bytes) -> bytes:
        """A served page with the reload script and, while the site has problems, the overlay."""
        live = self.server.preview.live
        extra = _overlay(live.problems, live.held, bool(live.trees))
        extra += _RELOAD.format(events=EVENTS, generation=self.generation)
        head, marker, tail = page.rpartition(b"</body>")
        if not marker:
            return page + extra.encode()
        return head + extra.encode() + marker + tail

    def _audiences_page(self) -> bytes:
        live = self.server.preview.live
        items = "".join(
            f'<li><a href="/{html.escape(aid)}/">{html.escape(title)}</a> '
            f"<code>/{html.escape(aid)}/</code></li>"
            for aid, title in live.audiences
        )
        listing = f"<ul>{items}</ul>" if items else "<p>Nothing built yet: fix the problems below.</p>"
        return _plain_page(
            "statusgen preview",
            f"<p>Each audience's tree, as <code>statusgen build</code> would write it:</p>{listing}",
        )

    def _not_found(self, body: bool, audience: str | None = None) -> None:
        live = self.server.preview.live
        tree = live.trees.get(audience or "")
        try:
            page = tree.get("404.html") if tree is not None else None
        except SiteError as error:  # the theme's 404 page (or the shared files) cannot render
            self._cannot_render("404.html", error, body)
            return
        if page is not None and audience:
            page = _rebase(page, live.roots.get(audience, "/"), f"/{audience}/")
        if page is None:
            links = "".join(
                f'<li><a href="/{html.escape(aid)}/">{html.escape(title)}</a></li>'
                for aid, title in live.audiences
            )
            page = _plain_page(
                "Not found",
                f"<p>Nothing is served at <code>{html.escape(self.path)}</code>. "
                f"The audiences' trees:</p><ul>{links}</ul>",
            )
        self._send(HTTPStatus.NOT_FOUND, CONTENT_TYPES[".html"], self._page(page), body)

    def _cannot_render(self, page: str, error: SiteError, body: bool) -> None:
        """The page's problems join the site's (every open page shows them); this one is an error."""
        self.server.preview.page_failed(page, error)
        self.generation = self.server.preview.live.generation
        message = _plain_page(
            "Cannot render this page",
            f"<p><code>{html.escape(page)}</code> could not be rendered: see the problems below. "
            "It reloads by itself when they are fixed.</p>",
        )
        self._send(HTTPStatus.INTERNAL_SERVER_ERROR, CONTENT_TYPES[".html"], self._page(message), body)

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.FOUND)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: HTTPStatus, kind: str, content: bytes, body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(content)))
        self.send_header("Cache-Control", "no-store")  # a preview is never stale
        self.end_headers()
        if body:
            self.wfile.write(content)

    def _events(self, preview: Preview) -> None:
        """Server-Sent Events: the served generation now, then at each change."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        sent = None
        try:
            self.wfile.write(b"retry: 500\n\n")
            while not preview.stopping.is_set():
                generation = preview.live.generation
                if generation != sent:
                    self.wfile.write(f"data: {generation}\n\n".encode())
                    sent = generation
                else:
                    self.wfile.write(b": idle\n\n")
                self.wfile.flush()
                with preview.changed:
                    if preview.live.generation == sent and not preview.stopping.is_set():
                        preview.changed.wait(KEEPALIVE)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page was closed or reloaded
        self.close_connection = True


def _rebase(page: bytes, root: str, mount: str) -> bytes:
    """The 404 page's links, which start at where the tree is published (base_url's path), made to
    start at where the preview serves it; like a static host, it answers any missing path with it."""
    links = re.compile(rb'((?:href|src)=")' + re.escape(root.encode()) + rb"(?!/)")  # not //host/
    return links.sub(lambda match: match[1] + mount.encode(), page)


def _unsafe(part: str) -> bool:
    return part in (".", "..") or "\\" in part or "\0" in part


def _plain_page(title: str, body: str) -> bytes:
    """The preview's own pages (the audiences, a 404 outside them): plain, readable HTML."""
    return (
        "<!doctype html><html lang=en><meta charset=utf-8><meta name=viewport "
        f"content='width=device-width,initial-scale=1'><title>{html.escape(title)}</title>"
        "<body style='font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;"
        "padding:0 1rem'>"
        f"<h1>{html.escape(title)}</h1>{body}</body></html>"
    ).encode()


def _overlay(problems: list[Problem], held: list[tuple[str, datetime]], serving: bool) -> str:
    """The problems (red), else the updates held back because they are dated after now (blue)."""
    if problems:
        lines = "".join(f"<li>{html.escape(str(p))}</li>" for p in problems)
        count = len(problems)
        showing = "showing the last good build" if serving else "nothing built yet"
        title = f"statusgen: {count} problem{'s' * (count != 1)}; {showing}"
        return _banner("statusgen-problems", "#2b0a0a", "#e5484d", title, lines)
    if held:
        lines = "".join(
            f"<li>{html.escape(source)}: dated {date.isoformat(timespec='minutes')}</li>"
            for source, date in held
        )
        count = len(held)
        title = (
            f"statusgen: {count} update{'s' * (count != 1)} dated after now, held back until then "
            "(a wrong date or offset?)"
        )
        return _banner("statusgen-held", "#0a1f3b", "#3e8ef7", title, lines)
    return ""


def _banner(element_id: str, background: str, border: str, title: str, items: str) -> str:
    style = _OVERLAY_STYLE.format(background=background, border=border)
    return (
        f'<aside id="{element_id}" role="alert" style="{style}"><strong style="font-size:16px">'
        f'{html.escape(title)}</strong><ul style="margin:.5rem 0 0;padding-left:1.25rem">{items}</ul>'
        "</aside>"
    )
