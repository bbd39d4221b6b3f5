"""One time zone per view, in a real browser: with the optional script, day headings, "As of",
every <time> and the times written by message templates ({next_update}) follow the reader's
zone, and the past incidents regroup by the reader's day; without it, the site's zone, labelled.

A real site (UTC) in a temp dir, built by the CLI, served over HTTP, read in headless Chromium
with Playwright's timezone_id set to a reader's zone.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generator.cli import main

from checkers import CHROMIUM, CHROMIUM_ARGS, require, serve

pytestmark = pytest.mark.quality

NOW = "2026-11-27T12:00:00Z"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require(CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _new(site: Path, *args: str) -> Path:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main(["new", *args, "--site", str(site)]) == 0
    path = Path(out.getvalue().strip())
    path.write_text(re.sub(r"\[TODO:[^\]]*\]", "Filled in.", path.read_text()))
    return path


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A UTC site with an incident opened at 23:30 UTC on Thursday the 26th, late that evening
    in the site's zone and already Friday in Athens (UTC+2), built on Friday at noon UTC."""
    root = tmp_path_factory.mktemp("zones")
    site = root / "status"
    assert main(["init", str(site), "--title", "Zones"]) == 0
    for example in site.glob("content/incidents/*"):  # init's own example, dated at the real clock
        for file in example.iterdir():
            file.unlink()
        example.rmdir()
    first = _new(
        site,
        "incident",
        "--title",
        "Late errors",
        "--impact",
        "minor",
        "--components",
        "api",
        "--date",
        "2026-11-26T23:30:00Z",
    )
    # The template's {next_update} is written as a <time>, in the site's zone, labelled.
    assert '<time datetime="2026-11-27T00:00:00Z">Nov 27, 2026, 00:00 UTC</time>' in first.read_text()
    _new(site, "update", first.parent.name, "--status", "resolved", "--date", "2026-11-27T01:00:00Z")
    out = root / "out"
    assert main(["build", "--site", str(site), "--out", str(out), "--now", NOW]) == 0
    with serve(out) as url:
        yield url


def _days(page: Any) -> dict[str, list[str]]:
    """The past-incidents list as the reader sees it: day heading -> incident titles."""
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll(".day")].map(day => [
            day.querySelector("h3").innerText,
            [...day.querySelectorAll(".item-row > a")].map(a => a.innerText)]))"""
    )


@pytest.mark.parametrize(
    "zone, javascript, heading, as_of, day, next_update, note",
    [
        # The reader two hours east: 23:30 UTC Thursday is 01:30 Friday, so Friday's incident.
        (
            "Europe/Athens",
            True,
            "Fri, Nov 27, 2026",
            "Nov 27, 2026, 14:00 GMT+2",
            "Nov 27, 2026, 01:30 GMT+2",
            "Nov 27, 2026, 02:00 GMT+2",
            "Times are shown in your time zone (Europe/Athens).",
        ),
        # Without the script: the site's zone everywhere, labelled (Thursday, UTC).
        (
            "Europe/Athens",
            False,
            "Thu, Nov 26, 2026",
            "Nov 27, 2026, 12:00 UTC",
            "Nov 26, 2026, 23:30 UTC",
            "Nov 27, 2026, 00:00 UTC",
            "Times are shown in the UTC time zone.",
        ),
        # The reader west: still Thursday evening in New York.
        (
            "America/New_York",
            True,
            "Thu, Nov 26, 2026",
            "Nov 27, 2026, 07:00 EST",
            "Nov 26, 2026, 18:30 EST",
            "Nov 26, 2026, 19:00 EST",
            "Times are shown in your time zone (America/New_York).",
        ),
    ],
)
def test_one_time_zone_per_view(browser, site_url, zone, javascript, heading, as_of, day, next_update, note):
    context = browser.new_context(timezone_id=zone, locale="en-US", java_script_enabled=javascript)
    page = context.new_page()
    try:
        page.goto(f"{site_url}strategic/")
        page.wait_for_load_state("load")  # the deferred script has run
        days = _days(page)
        assert days[heading] == ["Late errors"], days
        assert sum(len(titles) for titles in days.values()) == 1, days
        assert len(days) == 14  # as many days as the site shows, today first
        assert page.locator(".banner time").inner_text() == as_of
        assert page.locator(".day .item-row time").inner_text() == day
        assert page.locator("#timezone-note").inner_text() == note
        page.goto(f"{site_url}strategic/{page_incident(site_url, page)}")
        # The update's text: the template's {next_update} converts with every other time.
        body_times = page.locator(".update .body time").all_inner_texts()
        assert next_update in body_times, body_times
        assert all(text.endswith(as_of.rsplit(" ", 1)[-1]) for text in page.locator("time").all_inner_texts())
    finally:
        context.close()


def page_incident(site_url: str, page: Any) -> str:
    page.goto(f"{site_url}strategic/")
    href = page.locator(".day .item-row > a").get_attribute("href")
    assert href
    return href.lstrip("./")


def test_the_day_list_ends_on_the_readers_today(browser, site_url):
    # At 12:00 UTC it is already Saturday in Kiritimati (UTC+14): the list starts there.
    context = browser.new_context(timezone_id="Pacific/Kiritimati", locale="en-US")
    page = context.new_page()
    try:
        page.goto(f"{site_url}public/")
        page.wait_for_load_state("load")
        headings = list(_days(page))
        assert headings[0] == "Sat, Nov 28, 2026" and headings[1] == "Fri, Nov 27, 2026"
        assert _days(page)["Fri, Nov 27, 2026"] == ["Late errors"]
        assert page.locator(".day .item-row").count() == 1
    finally:
        context.close()
