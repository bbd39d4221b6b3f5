"""Checkers for the built site: the Nu HTML Checker, axe-core in Chromium, a static server, and the
rules of RFC 4287 (Atom) and RSS 2.0 that a strict feed validator applies.

`.ci/run` installs them (apt: chromium; npm, from package.json: vnu-jar, axe-core; pip: playwright).
A missing checker FAILS the test that needs it, so CI can never pass without running it. Only a
developer who sets STATUSGEN_SKIP_BROWSER_CHECKS=1 on a machine without them gets skips instead.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
from bs4 import BeautifulSoup

REPO = Path(__file__).resolve().parents[1]
NODE_MODULES = REPO / "node_modules"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
#: Flags for a quiet headless Chromium on a machine without internet (as root, hence no sandbox).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
SKIP_VARIABLE = "STATUSGEN_SKIP_BROWSER_CHECKS"
INSTALL_HINT = (
    "install the checkers as .ci/run does: apt-get install chromium; npm ci --ignore-scripts "
    "--omit=dev; pip install -e '.[test]'"
)


def require(*paths: Path) -> None:
    """Fail (or, with STATUSGEN_SKIP_BROWSER_CHECKS=1, skip) unless every path exists."""
    missing = [str(path) for path in paths if not path.exists()]
    if not missing:
        return
    message = f"missing {', '.join(missing)}: {INSTALL_HINT}"
    if os.environ.get(SKIP_VARIABLE) == "1":
        pytest.skip(f"{SKIP_VARIABLE}=1 and {message}")
    pytest.fail(message, pytrace=False)


@dataclass(frozen=True)
class VnuMessage:
    path: str
    line: int
    column: int
    message: str
    extract: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}\n    {self.extract.strip()}"


def vnu_errors(files: list[Path], relative_to: Path) -> list[VnuMessage]:
    """Run the Nu HTML Checker once over all files (HTML, CSS and SVG) and return its errors."""
    require(VNU_JAR)
    java = shutil.which("java")
    if java is None:
        pytest.fail(f"no java on PATH: {INSTALL_HINT}", pytrace=False)
    result = subprocess.run(
        [
            java,
            "-Xss1m",
            "-jar",
            str(VNU_JAR),
            "--format",
            "json",
            "--errors-only",
            "--also-check-css",
            "--also-check-svg",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    # vnu exits 1 when it found errors; its report is JSON on stderr either way.
    try:
        report = json.loads(result.stderr)
    except json.JSONDecodeError:
        pytest.fail(f"vnu did not report JSON (exit {result.returncode}):\n{result.stderr[-3000:]}")
    errors = []
    for entry in report["messages"]:
        if entry["type"] not in ("error", "non-document-error"):
            continue
        url = entry.get("url", "")
        path = Path(url.removeprefix("file:")) if url.startswith("file:") else Path(url)
        with contextlib.suppress(ValueError):
            path = path.relative_to(relative_to)
        errors.append(
            VnuMessage(
                str(path),
                entry.get("lastLine", 0),
                entry.get("firstColumn", 0),
                entry["message"],
                entry.get("extract", ""),
            )
        )
    if result.returncode not in (0, 1) or (result.returncode == 1 and not errors):
        pytest.fail(f"vnu failed (exit {result.returncode}):\n{result.stderr[-3000:]}")
    return errors


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    not_found: Path | None = None  # the page a missing path gets, as static hosts do

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        if code != 404 or self.not_found is None:
            return super().send_error(code, message, explain)
        page = self.not_found.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(page)


@contextlib.contextmanager
def serve(directory: Path, not_found: str | None = None) -> Iterator[str]:
    """Serve a folder over HTTP on a free loopback port; yields the base URL ending with "/".

    ``not_found`` (a path in the folder, like "status/404.html") answers every missing path, as
    GitHub Pages, Netlify, nginx's error_page or Apache's ErrorDocument do."""
    page = directory / not_found if not_found else None
    handler_class = type("Handler", (_QuietHandler,), {"not_found": page})
    handler = functools.partial(handler_class, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def html_files(tree: Path) -> list[Path]:
    return sorted(tree.rglob("*.html"))


# --------------------------------------------------------------------------- feeds

A = "{http://www.w3.org/2005/Atom}"
FEED_SUFFIXES = (".atom", ".rss", ".xml")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
RFC822 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
    r"\d{2}:\d{2}:\d{2} ([+-]\d{4}|GMT)$"
)
EMAIL = re.compile(r"^[^@\s<>()]+@[^@\s<>()]+\.[^@\s<>()]+$")
MAILBOX = re.compile(r"^[^@\s<>()]+@[^@\s<>()]+\.[^@\s<>()]+( \(.+\))?$")  # RSS: "ops@x.org (Ops)"
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
TEXT_TYPES = (None, "text", "html", "xhtml")
MIME_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+$")


def tree_feed_problems(tree: Path, base_url: str) -> tuple[int, list[str]]:
    """Check every feed of one audience's tree, published at base_url: (feeds checked, problems)."""
    feeds = sorted(path for path in tree.rglob("*") if path.suffix in FEED_SUFFIXES)
    problems = []
    for path in feeds:
        problems += feed_problems(path, base_url + path.relative_to(tree).as_posix())
    return len(feeds), problems


def feed_problems(path: Path, url: str) -> list[str]:
    """Every violation of the Atom or RSS 2.0 rules in the feed at path, published at url."""
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as error:
        return [f"{url}: not well-formed XML: {error}"]
    if root.tag == A + "feed":
        problems = atom_problems(root, url)
    elif root.tag == "rss":
        problems = rss_problems(root, url)
    else:
        problems = [f"root element {root.tag} is neither an Atom feed nor RSS"]
    return [f"{url}: {problem}" for problem in problems]


def is_iri(value: str | None) -> bool:
    """An absolute IRI (http(s) ones with a host): what ids and links must be."""
    if not value or re.search(r'[\s<>"{}|\\^`]', value) or not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", value):
        return False
    parts = urlsplit(value)
    return parts.scheme not in ("http", "https") or bool(parts.netloc)


def html_urls(markup: str) -> list[str]:
    page = BeautifulSoup(markup, "html.parser")
    return [tag[attr] for attr in ("href", "src") for tag in page.find_all(**{attr: True})]


def _count(parent: ElementTree.Element, tag: str, where: str, low: int, high: int) -> list[str]:
    found = len(parent.findall(tag))
    if low <= found <= high:
        return []
    name = tag.removeprefix(A)
    wanted = f"exactly {low}" if low == high else f"at most {high}" if low == 0 else f"at least {low}"
    return [f"{where}: {found} <{name}>, needs {wanted}"]


def _rfc3339(parent: ElementTree.Element, tag: str, where: str, problems: list[str]) -> datetime | None:
    text = parent.findtext(A + tag)
    if text is None:
        return None
    if not RFC3339.match(text):
        problems.append(f"{where}: <{tag}> {text!r} is not an RFC 3339 date-time with a time zone")
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _rfc822(parent: ElementTree.Element, tag: str, where: str, problems: list[str]) -> None:
    text = parent.findtext(tag)
    if text is None:
        return
    if not RFC822.match(text):
        problems.append(f"{where}: <{tag}> {text!r} is not an RFC 822 date (Sat, 07 Sep 2002 09:42:31 GMT)")
    elif parsedate_to_datetime(text).strftime("%a") != text[:3]:
        problems.append(f"{where}: <{tag}> {text!r} names the wrong day of the week")


def _atom_text(parent: ElementTree.Element, where: str, problems: list[str]) -> None:
    """Text constructs and content: a known type; html ones escaped, with absolute URLs only."""
    for tag in ("title", "subtitle", "rights", "summary", "content"):
        for element in parent.findall(A + tag):
            kind = element.get("type")
            allowed = kind in TEXT_TYPES or (tag == "content" and MIME_TYPE.match(kind or ""))
            if not allowed:
                problems.append(f"{where}: <{tag} type={kind!r}> is not a valid type")
            if kind in (None, "text", "html") and len(element):
                problems.append(f"{where}: <{tag}> of type {kind or 'text'} holds elements, not text")
            if kind == "html":
                problems += [
                    f"{where}: <{tag}> links to relative URL {url!r}"
                    for url in html_urls(element.text or "")
                    if not is_iri(url)
                ]


def _atom_links(parent: ElementTree.Element, where: str, problems: list[str]) -> list[ElementTree.Element]:
    links = parent.findall(A + "link")
    alternates: set[tuple[str | None, str | None]] = set()
    for link in links:
        href = link.get("href")
        if not is_iri(href):
            problems.append(f"{where}: <link href={href!r}> is not an absolute IRI")
        if link.get("rel", "alternate") == "alternate":
            key = (link.get("type"), link.get("hreflang"))
            if key in alternates:
                problems.append(f"{where}: two alternate links with type and hreflang {key}")
            alternates.add(key)
    return links


def _atom_authors(parent: ElementTree.Element, where: str, problems: list[str]) -> int:
    """The element's authors (each must have exactly one name, a valid email and an absolute uri)."""
    authors = parent.findall(A + "author")
    for author in authors:
        problems += _count(author, A + "name", f"{where} <author>", 1, 1)
        if not (author.findtext(A + "name") or "").strip():
            problems.append(f"{where}: <author> has an empty name")
        email, uri = author.findtext(A + "email"), author.findtext(A + "uri")
        if email is not None and not EMAIL.match(email):
            problems.append(f"{where}: <author><email> {email!r} is not an email address")
        if uri is not None and not is_iri(uri):
            problems.append(f"{where}: <author><uri> {uri!r} is not an absolute IRI")
    return len(authors)


def atom_problems(feed: ElementTree.Element, url: str) -> list[str]:
    """RFC 4287: required elements, dates, authors, a self link where the feed is, unique entry ids."""
    problems: list[str] = []
    for tag in ("id", "title", "updated"):
        problems += _count(feed, A + tag, "feed", 1, 1)
    if not is_iri(feed.findtext(A + "id")):
        problems.append(f"feed: <id> {feed.findtext(A + 'id')!r} is not an absolute IRI")
    feed_updated = _rfc3339(feed, "updated", "feed", problems)
    _atom_text(feed, "feed", problems)
    feed_authors = _atom_authors(feed, "feed", problems)
    links = _atom_links(feed, "feed", problems)
    selfs = [link for link in links if link.get("rel") == "self"]
    if [link.get("href") for link in selfs] != [url]:
        problems.append(f"feed: needs one <link rel=self> to {url}, has {[s.get('href') for s in selfs]}")
    elif selfs[0].get("type") != "application/atom+xml":
        problems.append(f"feed: <link rel=self> has type {selfs[0].get('type')!r}, not application/atom+xml")
    if not any(link.get("rel", "alternate") == "alternate" for link in links):
        problems.append("feed: no alternate link to the page the feed is about")
    ids: set[str] = set()
    for number, entry in enumerate(feed.findall(A + "entry"), 1):
        entry_id = entry.findtext(A + "id")
        where = f"entry {entry_id or number}"
        for tag, low, high in (
            ("id", 1, 1),
            ("title", 1, 1),
            ("updated", 1, 1),
            ("published", 0, 1),
            ("content", 0, 1),
            ("summary", 0, 1),
        ):
            problems += _count(entry, A + tag, where, low, high)
        if not is_iri(entry_id):
            problems.append(f"{where}: <id> is not an absolute IRI")
        if entry_id in ids:
            problems.append(f"{where}: <id> is not unique in the feed")
        ids.add(entry_id or "")
        updated = _rfc3339(entry, "updated", where, problems)
        published = _rfc3339(entry, "published", where, problems)
        if updated and published and updated < published:
            problems.append(f"{where}: <updated> {updated} is before <published> {published}")
        if updated and feed_updated and updated > feed_updated:
            problems.append(f"{where}: <updated> {updated} is after the feed's <updated> {feed_updated}")
        if not _atom_authors(entry, where, problems) and not feed_authors:
            problems.append(f"{where}: no <author>, and the feed has none (RFC 4287 4.1.1)")
        entry_links = _atom_links(entry, where, problems)
        has_alternate = any(link.get("rel", "alternate") == "alternate" for link in entry_links)
        if entry.find(A + "content") is None and not has_alternate:
            problems.append(f"{where}: neither <content> nor an alternate link")
        _atom_text(entry, where, problems)
    return problems


def rss_problems(rss: ElementTree.Element, url: str) -> list[str]:
    """RSS 2.0 as the RSS Advisory Board's validator reads it: required elements, RFC 822 dates,
    absolute links, unique guids (permalinks absolute URLs) and an atom:link to itself."""
    if rss.get("version") != "2.0":
        return [f"<rss version={rss.get('version')!r}>, not 2.0"]
    channels = rss.findall("channel")
    if len(channels) != 1:
        return [f"{len(channels)} <channel>, needs exactly 1"]
    channel = channels[0]
    problems: list[str] = []
    for tag in ("title", "link", "description"):
        problems += _count(channel, tag, "channel", 1, 1)
        if not (channel.findtext(tag) or "").strip():
            problems.append(f"channel: empty <{tag}>")
    if not is_iri(channel.findtext("link")):
        problems.append(f"channel: <link> {channel.findtext('link')!r} is not an absolute URL")
    selfs = [link for link in channel.findall(A + "link") if link.get("rel") == "self"]
    if [link.get("href") for link in selfs] != [url]:
        problems.append(
            f"channel: needs one <atom:link rel=self> to {url}, has {[s.get('href') for s in selfs]}"
        )
    elif selfs[0].get("type") != "application/rss+xml":
        problems.append(
            f"channel: <atom:link rel=self> has type {selfs[0].get('type')!r}, not application/rss+xml"
        )
    for tag in ("pubDate", "lastBuildDate"):
        _rfc822(channel, tag, "channel", problems)
    for tag in ("managingEditor", "webMaster"):
        value = channel.findtext(tag)
        if value is not None and not MAILBOX.match(value):
            problems.append(f"channel: <{tag}> {value!r} is not an email address (with an optional name)")
    language = channel.findtext("language")
    if language is not None and not LANGUAGE.match(language):
        problems.append(f"channel: <language> {language!r} is not a language tag")
    guids: set[str] = set()
    for number, item in enumerate(channel.findall("item"), 1):
        where = f"item {item.findtext('guid') or number}"
        for tag in ("title", "link", "description", "guid", "pubDate", "author"):
            problems += _count(item, tag, where, 0, 1)
        if not (item.findtext("title") or item.findtext("description") or "").strip():
            problems.append(f"{where}: neither <title> nor <description>")
        link = item.findtext("link")
        if link is not None and not is_iri(link):
            problems.append(f"{where}: <link> {link!r} is not an absolute URL")
        problems += [
            f"{where}: <description> links to relative URL {u!r}"
            for u in html_urls(item.findtext("description") or "")
            if not is_iri(u)
        ]
        _rfc822(item, "pubDate", where, problems)
        author = item.findtext("author")
        if author is not None and not MAILBOX.match(author):
            problems.append(f"{where}: <author> {author!r} is not an email address")
        guid = item.find("guid")
        if guid is None:
            continue
        value, permalink = (guid.text or "").strip(), guid.get("isPermaLink", "true")
        if permalink not in ("true", "false"):
            problems.append(f"{where}: isPermaLink={permalink!r} is neither true nor false")
        if permalink == "true" and not (is_iri(value) and urlsplit(value).scheme in ("http", "https")):
            problems.append(f"{where}: a permalink <guid> must be an absolute http(s) URL, not {value!r}")
        if not value or value in guids:
            problems.append(f"{where}: <guid> is empty or not unique in the channel")
        guids.add(value)
    return problems
