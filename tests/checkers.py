"""Third-party checkers for the built site: the Nu HTML Checker, axe-core in Chromium, a static server.

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
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NODE_MODULES = REPO / "node_modules"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
#: Flags for a quiet headless Chromium on a machine without internet (as root, hence no sandbox).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]
SKIP_VARIABLE = "STATUSGEN_SKIP_BROWSER_CHECKS"
INSTALL_HINT = ("install the checkers as .ci/run does: apt-get install chromium; npm ci --ignore-scripts "
                "--omit=dev; pip install -e '.[test]'")


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
        [java, "-Xss1m", "-jar", str(VNU_JAR), "--format", "json", "--errors-only", "--also-check-css",
         "--also-check-svg", *map(str, files)],
        capture_output=True, text=True, timeout=600, check=False)
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
        errors.append(VnuMessage(str(path), entry.get("lastLine", 0), entry.get("firstColumn", 0),
                                 entry["message"], entry.get("extract", "")))
    if result.returncode not in (0, 1) or (result.returncode == 1 and not errors):
        pytest.fail(f"vnu failed (exit {result.returncode}):\n{result.stderr[-3000:]}")
    return errors


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve a folder over HTTP on a free loopback port; yields the base URL ending with "/"."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
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
