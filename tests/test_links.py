"""Every internal link, asset and feed link resolves, also when the site is served under a sub-path.

The example site is built with base URLs under /status/ on a local HTTP server and crawled over
HTTP from each audience's front page: pages, stylesheets, images, feeds, feed entries, canonical
links and fragment anchors.
"""

from __future__ import annotations

import os
import shutil
import urllib.error
import urllib.request
from collections import deque
from urllib.parse import urldefrag, urljoin, urlsplit

import feedparser
import pytest
from bs4 import BeautifulSoup

from generator.cli import main

from checkers import serve
from conftest import EXAMPLE_NOW, REPO

pytestmark = pytest.mark.quality

PUBLIC_BASE = "https://status.acme.example/"
STRATEGIC_BASE = "https://status-strategic.acme.example/"


def fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers.get_content_type(), response.read()
    except urllib.error.HTTPError as error:
        return error.code, "", b""


def references(base: str, content_type: str, body: bytes) -> list[tuple[str, str]]:
    """(what, absolute URL) for every link a page or feed makes."""
    found = []
    if content_type == "text/html":
        page = BeautifulSoup(body, "html.parser")
        for tag in page.find_all(href=True):
            found.append((f"<{tag.name} href>", urljoin(base, tag["href"])))
        for tag in page.find_all(src=True):
            found.append((f"<{tag.name} src>", urljoin(base, tag["src"])))
    elif base.endswith((".atom", ".rss")):
        feed = feedparser.parse(body)
        assert not feed.bozo, f"{base}: {feed.bozo_exception}"
        found.append(("feed link", feed.feed.link))
        found += [(f"entry {entry.id}", entry.link) for entry in feed.entries]
    return found


def crawl(start: str, prefix: str) -> tuple[set[str], list[str]]:
    """Follow every same-origin link from start; returns the pages fetched and the broken links."""
    origin = "{0.scheme}://{0.netloc}/".format(urlsplit(start))
    seen: dict[str, tuple[str, bytes]] = {}
    anchors: list[tuple[str, str, str]] = []  # (where, page URL, fragment)
    broken: list[str] = []
    queue = deque([("start", start, start), ("404 page", start, start + "404.html")])
    while queue:
        what, where, url = queue.popleft()
        url, fragment = urldefrag(url)
        if not url.startswith(origin):
            continue  # external: not ours to check
        if not url.startswith(prefix):
            broken.append(f"{where}: {what} {url} leaves the site's path {prefix}")
            continue
        if fragment:
            anchors.append((f"{where}: {what}", url, fragment))
        if url in seen:
            continue
        status, content_type, body = fetch(url)
        if status != 200:
            broken.append(f"{where}: {what} {url} -> HTTP {status}")
            seen[url] = ("", b"")
            continue
        seen[url] = (content_type, body)
        for link_what, link in references(url, content_type, body):
            queue.append((link_what, url, link))
    for where, url, fragment in anchors:
        content_type, body = seen[url]
        if content_type == "text/html" and BeautifulSoup(body, "html.parser").find(id=fragment) is None:
            broken.append(f"{where}: no element with id {fragment!r} in {url}")
    return set(seen), broken


def test_every_link_resolves_when_served_under_a_sub_path(tmp_path):
    www = tmp_path / "www"
    www.mkdir()
    site = tmp_path / "site"
    shutil.copytree(REPO / "content", site / "content")
    with serve(www) as server:
        public, strategic = f"{server}status/public/", f"{server}status/strategic/"
        config = (REPO / "site.yml").read_text(encoding="utf-8")
        assert PUBLIC_BASE in config and STRATEGIC_BASE in config
        (site / "site.yml").write_text(
            config.replace(PUBLIC_BASE, public).replace(STRATEGIC_BASE, strategic), encoding="utf-8"
        )
        out = tmp_path / "out"
        assert main(["build", "--site", str(site), "--out", str(out), "--now", EXAMPLE_NOW]) == 0
        os.symlink(out, www / "status")
        for audience, base in (("public", public), ("strategic", strategic)):
            fetched, broken = crawl(base, base)
            assert not broken, f"{len(broken)} broken links in {audience}:\n" + "\n".join(broken)
            tree = out / audience
            pages = {
                base + page.relative_to(tree).as_posix().removesuffix("index.html")
                for page in tree.rglob("*.html")
            }
            assert pages - fetched == set(), "pages no link leads to"
            feeds = {base + feed.relative_to(tree).as_posix() for feed in tree.rglob("*.atom")}
            assert feeds and feeds <= fetched
