"""Fixtures: write small real sites into temp dirs, build them, parse what comes out."""

from __future__ import annotations

import re
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from generator.cli import main

NOW = "2026-11-27T12:00:00Z"
REPO = Path(__file__).resolve().parent.parent
#: The example site (site.yml + content/ at the repo root) mid-incident: one open incident.
EXAMPLE_NOW = "2026-11-27T06:30:00+01:00"

SITE_YML = """\
title: Example Status
base_url: https://status.example.com/
timezone: Europe/Berlin
components:
  - id: api
    name: API
    group: Core
  - id: web
    name: Web app
    group: Core
  - id: cdn
    name: CDN
    group: Delivery
audiences:
  - id: public
    title: Public
  - id: strategic
    title: Strategic customers
    base_url: https://strategic.example.com/
"""


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[..., Path]:
    """Write a minimal valid site plus ``files`` ({relative path: text}) and return its folder."""

    def make(files: dict[str, str] | None = None, site_yml: str = SITE_YML) -> Path:
        site = tmp_path / "site"
        site.mkdir(exist_ok=True)
        (site / "site.yml").write_text(dedent(site_yml), encoding="utf-8")
        for relative, text in (files or {}).items():
            path = site / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(dedent(text), encoding="utf-8")
        return site

    return make


@pytest.fixture
def build(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., Path]:
    """Run ``statusgen build`` through the CLI; returns the output folder (asserts success)."""

    def run(site: Path, out: Path | None = None, now: str = NOW, *extra: str) -> Path:
        out = out or tmp_path / "out"
        code = main(["build", "--site", str(site), "--out", str(out), "--now", now, *extra])
        captured = capsys.readouterr()
        assert code == 0, captured.err
        return out

    return run


@pytest.fixture(scope="session")
def example_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example site built once per test run (at EXAMPLE_NOW); treat it as read-only."""
    out = tmp_path_factory.mktemp("example") / "out"
    assert main(["build", "--site", str(REPO), "--out", str(out), "--now", EXAMPLE_NOW]) == 0
    return out


@pytest.fixture(scope="session")
def example_sla_out(example_out: Path) -> Path:
    """The example site's trees: executives and business have sla/ and SLA costs on the open
    incident's page. Read-only."""
    return example_out


@pytest.fixture(scope="session")
def example_de(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The example site switched to ``language: de`` (a copy), built once at EXAMPLE_NOW:
    (its folder, its output). Read-only."""
    tmp = tmp_path_factory.mktemp("example-de")
    site = tmp / "site"
    site.mkdir()
    shutil.copytree(REPO / "content", site / "content")
    text = (REPO / "site.yml").read_text(encoding="utf-8")
    assert re.search(r"(?m)^language: en$", text)
    (site / "site.yml").write_text(re.sub(r"(?m)^language: en$", "language: de", text), encoding="utf-8")
    out = tmp / "out"
    assert main(["build", "--site", str(site), "--out", str(out), "--now", EXAMPLE_NOW]) == 0
    return site, out


def sla_audience(out: Path) -> str:
    """The most privileged audience of the example with the SLA report (executives)."""
    return max(tree.parent.parent.name for tree in out.glob("*/sla/index.html"))


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file under root: {relative posix path: bytes}."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def html(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def incident(date: str, status: str, body: str = "Body.", **keys: object) -> str:
    """An update file's text; keys become front matter (lists/dicts as YAML flow)."""
    lines = ["---", f"date: {date}", f"status: {status}"]
    for key, value in keys.items():
        if isinstance(value, (list, dict)):
            import json

            value = json.dumps(value)
        lines.append(f"{key}: {value}")
    return "\n".join([*lines, "---", body, ""])


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the CLI; returns (exit code, stdout, stderr)."""
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    target = tmp_path / "status"
    assert run(capsys, "init", str(target), "--title", "Acme Status")[0] == 0
    # init dates its example at the real clock; tests build at NOW, so pin it before NOW.
    example = next(target.glob("content/incidents/*-status-page-live/01-resolved.md"))
    example.write_text(re.sub(r"(?m)^date: .*$", "date: 2026-11-27T07:59:00+00:00", example.read_text()))
    return target
