"""The 404 page looks like every other page, and its links work wherever the tree is served.

Hosts answer any missing path with 404.html, at that path: its links are root-relative to where
the tree is published (base_url's path), and `statusgen serve` rebases them to /<audience>/.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup

from generator.serve.server import Preview

from checkers import serve
from conftest import NOW, SITE_YML, incident

FILES = {
    "content/incidents/i0/a.md": incident(
        "2026-11-20T08:00:00Z",
        "investigating",
        "Looking.",
        title="Slow API",
        impact="minor",
        components=["api"],
    )
}


def fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers.get_content_type(), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get_content_type(), error.read()


def assert_a_working_404(url: str, style: bytes) -> list[str]:
    """The page at a missing url is the 404 page, styled, and every link of it (but the canonical
    one, which names the public address) resolves on the server that answered."""
    status, kind, body = fetch(url)
    assert (status, kind) == (404, "text/html"), url
    page = BeautifulSoup(body, "html.parser")
    assert page.h1.get_text() == "Page not found"
    origin = "{0.scheme}://{0.netloc}/".format(urlsplit(url))
    stylesheet = urljoin(url, page.select_one("link[rel=stylesheet]")["href"])
    assert stylesheet.startswith(origin), f"{url}: stylesheet {stylesheet} is not on this server"
    assert fetch(stylesheet) == (200, "text/css", style), f"{url}: stylesheet {stylesheet}"
    checked = []
    for tag in page.find_all(href=True) + page.find_all(src=True):
        link = tag.get("href") or tag["src"]
        if link.startswith("#"):
            assert page.find(id=link[1:]) is not None, link
        elif not link.startswith("data:") and tag.get("rel") != ["canonical"]:
            target = urljoin(url, link)
            assert target.startswith(origin), f"{url}: <{tag.name}> {link} leaves this server"
            assert fetch(target)[0] == 200, f"{url}: <{tag.name}> {link} -> {target}"
            checked.append(target)
    return checked


@pytest.mark.slow
@pytest.mark.parametrize("sub_path", ["", "status/"])
def test_a_static_host_serves_a_working_404_at_any_depth(make_site, build, tmp_path, sub_path):
    # base_url names a host that is not live: the tree is tried out locally at base_url's path.
    site_yml = SITE_YML.replace("https://status.example.com/", f"https://status.example.com/{sub_path}")
    out = build(make_site(FILES, site_yml=site_yml), tmp_path / "out", NOW)
    www = tmp_path / "www"
    www.mkdir()
    with serve(www, not_found=f"{sub_path}404.html") as server:
        base = server + sub_path
        if sub_path:
            (www / sub_path).symlink_to(out / "public")
        else:
            www.rmdir()
            www.symlink_to(out / "public")
        style = (out / "public" / "assets" / "style.css").read_bytes()
        checked = assert_a_working_404(f"{base}incidents/nope/x", style)
        assert {base, f"{base}history/", f"{base}history.atom", f"{base}maintenance.ics"} <= set(checked)
        assert_a_working_404(f"{base}nope", style)
        # Opened directly, as under `python -m http.server` in the tree, before base_url is live.
        status, _, body = fetch(f"{base}404.html")
        assert status == 200 and body == (out / "public" / "404.html").read_bytes()


def test_the_built_404_page_links_from_base_urls_path(make_site, build):
    site_yml = SITE_YML.replace("https://status.example.com/", "https://example.com/status/")
    out = build(make_site(FILES, site_yml=site_yml))
    page = BeautifulSoup((out / "public" / "404.html").read_bytes(), "html.parser")
    assert page.select_one("link[rel=stylesheet]")["href"] == "/status/assets/style.css"
    assert [a["href"] for a in page.select("footer a")][:3] == [
        "/status/",
        "/status/history/",
        "/status/history.atom",
    ]
    strategic = BeautifulSoup((out / "strategic" / "404.html").read_bytes(), "html.parser")
    assert strategic.select_one("link[rel=stylesheet]")["href"] == "/assets/style.css"


@pytest.mark.parametrize("public_base", ["https://status.example.com/", "https://example.com/status/"])
def test_statusgen_serve_answers_missing_paths_with_a_working_404(make_site, public_base):
    preview = Preview(
        make_site(FILES, site_yml=SITE_YML.replace("https://status.example.com/", public_base)),
        port=0,
        now=NOW,
    )
    try:
        for audience in ("public", "strategic"):
            style = preview.live.trees[audience]["assets/style.css"]
            checked = assert_a_working_404(f"{preview.url}{audience}/incidents/nope/x", style)
            assert f"{preview.url}{audience}/history/" in checked
    finally:
        preview.stop()
