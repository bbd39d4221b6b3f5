"""In a real browser: axe-core finds no WCAG 2.1 A/AA violation on the key pages, light and dark,
desktop and phone; the optional script shows times in the reader's time zone.

The example site is served over HTTP and loaded in headless Chromium (Debian's, driven by
Playwright); one browser serves every check.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from checkers import AXE_JS, CHROMIUM, CHROMIUM_ARGS, require, serve
from conftest import sla_audience

pytestmark = pytest.mark.quality

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PAGES = [
    "",  # the front page, mid-incident
    "incidents/2026-11-27-api-errors-frankfurt/",  # the open incident
    "incidents/2026-11-23-database-outage-frankfurt/",  # resolved, with a postmortem and a table
    "maintenance/2027-01-16-frankfurt-network-upgrade/",
    "history/",
    "history/2026-11/",
    "components/api/",
]
AUDIENCES = ["public", "strategic"]
# The SLA report and an open incident's SLA cost, in the example with sla_report (example_sla_out).
SLA_PAGES = ["sla/", "incidents/2026-11-27-api-errors-frankfurt/"]
WIDTHS = {"desktop": 1280, "phone": 390}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require(CHROMIUM, AXE_JS)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the playwright package is missing: pip install -e '.[test]'", pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def site_url(example_out: Path) -> Iterator[str]:
    with serve(example_out) as url:
        yield url


@pytest.fixture(scope="module")
def sla_urls(example_sla_out: Path) -> Iterator[list[str]]:
    with serve(example_sla_out) as url:
        yield [f"{url}{sla_audience(example_sla_out)}/{path}" for path in SLA_PAGES]


@pytest.fixture(scope="module")
def german_urls(example_de: tuple[Path, Path]) -> Iterator[list[str]]:
    """The key pages of the example in German (public, and the SLA audience's open incident)."""
    out = example_de[1]
    with serve(out) as url:
        yield [f"{url}public/{path}" for path in PAGES] + [
            f"{url}{sla_audience(out)}/{path}" for path in SLA_PAGES
        ]


def describe(violation: dict[str, Any]) -> str:
    nodes = "\n".join(
        f"      {' '.join(node['target'])}: {node['failureSummary']}" for node in violation["nodes"][:5]
    )
    return f"  {violation['id']} ({violation['impact']}): {violation['help']}\n{nodes}"


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", list(WIDTHS.values()), ids=list(WIDTHS))
def test_no_wcag_violations(browser, site_url, sla_urls, german_urls, scheme, width):
    axe_source = AXE_JS.read_text(encoding="utf-8")
    context = browser.new_context(
        viewport={"width": width, "height": 900}, color_scheme=scheme, java_script_enabled=True
    )
    page = context.new_page()
    failures = []
    try:
        urls = (
            [f"{site_url}{audience}/{path}" for audience in AUDIENCES for path in PAGES]
            + sla_urls
            + german_urls
        )
        for address in urls:
            where = address.split("/", 3)[3]  # <audience>/<path>
            response = page.goto(address)
            assert response is not None and response.ok, f"{where}: {response}"
            scheme_seen = page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
            assert scheme_seen == (scheme == "dark")
            page.evaluate(axe_source)
            result = page.evaluate(
                """tags => axe.run(document, {
                runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})""",
                WCAG_TAGS,
            )
            assert result["passes"], f"{where}: axe checked nothing"
            failures += [f"{where}:\n{describe(v)}" for v in result["violations"]]
    finally:
        context.close()
    assert not failures, f"{len(failures)} axe violations ({scheme}, {width}px):\n" + "\n".join(failures)


@pytest.mark.parametrize(
    "zone, expected",
    [
        ("America/New_York", "Nov 27, 2026, 00:30 EST"),
        ("Europe/Berlin", "Nov 27, 2026, 06:30 CET"),  # the site's own zone: the page as built
    ],
)
def test_times_follow_the_readers_time_zone(browser, site_url, zone, expected):
    context = browser.new_context(timezone_id=zone, locale="en-US")
    page = context.new_page()
    try:
        page.goto(f"{site_url}public/")
        page.wait_for_load_state("load")  # the deferred script has run
        assert page.locator(".banner time").inner_text() == expected
        note = page.locator("#timezone-note").inner_text()
        assert note == (
            "Times are shown in the Europe/Berlin time zone."
            if zone == "Europe/Berlin"
            else f"Times are shown in your time zone ({zone})."
        )
        assert page.locator(".banner time").get_attribute("datetime") == "2026-11-27T05:30:00Z"
    finally:
        context.close()
