"""Regenerate the README screenshots: the example site's public and strategic front pages.

    python scripts/screenshots.py [--out docs/screenshots] [--chromium /usr/bin/chromium] [--german-only]

Also the example in German (``language: de``): its front page and the open incident's page in the
strategic tree, 1200 x 1800 (de-front.png, de-incident.png; README, Languages).

Builds the example site (site.yml + content/ at the repo root) mid-incident, serves it on a
local port and takes the first screen of each front page, desktop (1280 px) and phone (390 px),
light and dark, with Playwright driving Debian's Chromium. Needs `pip install playwright` (in the
test extras) and `apt-get install chromium`; no browser download.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: The moment the example site is shown at: an incident open, being monitored.
NOW = "2026-11-27T06:30:00+01:00"
#: The calm page (shots named calm-*): the same site once its open incident is resolved.
CALM_NOW = "2026-11-27T08:00:00+01:00"
RESOLVED = """---
date: 2026-11-27T07:05:00+01:00
status: resolved
---
The webhook backlog is cleared and every service is operating normally.
"""
#: The reader's time zone: the site's own, so the pages show their times as built.
TIMEZONE = "Europe/Berlin"
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
#: name: (viewport width, viewport height, device scale factor)
DEVICES = {"desktop": (1280, 900, 1), "mobile": (390, 844, 1)}
AUDIENCES = ("public", "strategic")
SCHEMES = ("light", "dark")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def calm_site(folder: Path) -> Path:
    """A copy of the example site with its open incident resolved: nothing open, all operational."""
    shutil.copy(REPO / "site.yml", folder / "site.yml")
    shutil.copytree(REPO / "content", folder / "content")
    (folder / "content/incidents/2026-11-27-api-errors-frankfurt/2026-11-27T0705-resolved.md").write_text(
        RESOLVED
    )
    return folder


def german_site(folder: Path) -> Path:
    """A copy of the example site with ``language: de``."""
    folder.mkdir()
    text = (REPO / "site.yml").read_text(encoding="utf-8")
    (folder / "site.yml").write_text(text.replace("\nlanguage: en\n", "\nlanguage: de\n"), encoding="utf-8")
    shutil.copytree(REPO / "content", folder / "content")
    return folder


def shoot_german(site: Path, target: Path, chromium: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    pages = {
        "de-front.png": "public/",
        "de-incident.png": "strategic/incidents/2026-11-27-api-errors-frankfurt/",
    }
    written = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            context = browser.new_context(
                viewport={"width": 1200, "height": 1800}, timezone_id=TIMEZONE, locale="de-DE"
            )
            page = context.new_page()
            for name, path in pages.items():
                page.goto(f"http://127.0.0.1:{server.server_address[1]}/{path}")
                page.screenshot(path=str(target / name), animations="disabled")
                written.append(target / name)
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return written


def build(out: Path, now: str = NOW, site: Path = REPO) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "generator",
            "build",
            "--site",
            str(site),
            "--out",
            str(out),
            "--now",
            now,
            "--no-cache",
        ],
        check=True,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
    )


def shoot(site: Path, target: Path, chromium: str, prefix: str = "") -> list[Path]:
    from playwright.sync_api import sync_playwright

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    written = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            for device, (width, height, scale) in DEVICES.items():
                for scheme in SCHEMES:
                    context = browser.new_context(
                        viewport={"width": width, "height": height},
                        device_scale_factor=scale,
                        color_scheme=scheme,
                        timezone_id=TIMEZONE,
                        locale="en-US",
                    )
                    page = context.new_page()
                    for audience in AUDIENCES:
                        page.goto(f"http://127.0.0.1:{server.server_address[1]}/{audience}/")
                        path = target / f"{prefix}{audience}-{device}-{scheme}.png"
                        page.screenshot(path=str(path), animations="disabled")
                        written.append(path)
                    context.close()
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--german-only", action="store_true", help="only de-front.png and de-incident.png")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        shots = []
        if not args.german_only:
            site = Path(tmp) / "site"
            build(site)
            build(Path(tmp) / "calm", CALM_NOW, calm_site(Path(tmp)))
            shots += shoot(site, args.out, args.chromium) + shoot(
                Path(tmp) / "calm", args.out, args.chromium, "calm-"
            )
        build(Path(tmp) / "de", NOW, german_site(Path(tmp) / "de-site"))
        shots += shoot_german(Path(tmp) / "de", args.out, args.chromium)
        for path in shots:
            print(
                f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path} "
                f"({path.stat().st_size // 1024} KB)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
