"""Benchmark `statusgen serve`: file save to new page served, and memory over many edits.

    python bench/serve.py --incidents 10000 --edits 20 --memory-edits 500

Starts the real CLI (`statusgen serve --port 0`) on a synthetic site (bench/make_site.py),
then edits one update file at a time the way editors save (a temporary file renamed over
the original) and, like an open page, waits on the live-reload event stream, then fetches
the incident's page and checks that it shows the new words.
Reports the median and worst save-to-served times, checks that each rebuild was
incremental (the server's own line says what it re-rendered), and the server's resident
memory after the first edits and after the last.
"""

from __future__ import annotations

import argparse
import http.client
import os
import queue
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
NOW = "2026-11-27T12:00:00Z"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--incidents", type=int, default=10000)
    parser.add_argument("--edits", type=int, default=20, help="timed edits (median reported)")
    parser.add_argument("--memory-edits", type=int, default=0, help="further edits, for the memory check")
    parser.add_argument(
        "--clock",
        action="store_true",
        help="run on the real clock instead of --now (pages that show the time re-render)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path("/dev/shm/statusgen-bench-serve")
        if Path("/dev/shm").is_dir()
        else HERE / ".work" / "serve",
    )
    args = parser.parse_args()

    site = args.workdir / f"site-{args.incidents}"
    if not (site / "site.yml").is_file():
        shutil.rmtree(site, ignore_errors=True)
        subprocess.run(
            [sys.executable, str(HERE / "make_site.py"), str(site), "--incidents", str(args.incidents)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    command = [sys.executable, "-m", "generator", "serve", "--site", str(site), "--port", "0"]
    if not args.clock:
        command += ["--now", NOW]
    started = time.perf_counter()
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=HERE.parent)
    lines: queue.SimpleQueue[str] = queue.SimpleQueue()
    threading.Thread(target=lambda: [lines.put(line) for line in server.stdout], daemon=True).start()
    try:
        while True:
            line = lines.get(timeout=600)
            if line.startswith("Serving"):
                break
        url = urlsplit(line.split()[1].rstrip(","))
        print(
            f"{args.incidents} incidents: first build and server up in {time.perf_counter() - started:.1f} s"
        )
        folders = sorted((site / "content/incidents").iterdir())
        folder = folders[len(folders) // 2]
        target = sorted(folder.glob("*.md"))[-1]
        original = target.read_text(encoding="utf-8")
        page = f"/public/incidents/{folder.name}/"
        timings, rss_after_warmup = [], 0.0
        events = _EventStream(url.hostname or "127.0.0.1", url.port or 80)
        total = args.edits + args.memory_edits
        try:
            for n in range(total):
                marker = f"bench-edit-{n}-{time.time_ns()}"
                temporary = target.with_name(f".{target.name}.tmp")
                temporary.write_text(original + f"\n{marker}\n", encoding="utf-8")
                saved = time.perf_counter()
                os.replace(temporary, target)
                events.next(timeout=30)
                _fetch(url.hostname or "127.0.0.1", url.port or 80, page, marker.encode())
                elapsed = time.perf_counter() - saved
                report = _rebuild_line(lines)
                if "rebuilt everything" in report or "problem" in report:
                    raise SystemExit(f"edit {n} was not an incremental rebuild: {report}")
                if n < args.edits:
                    timings.append(elapsed)
                if n == min(total, args.edits) - 1:
                    rss_after_warmup = _rss_mb(server.pid)
                    print(f"last rebuild: {report}")
        finally:
            target.write_text(original, encoding="utf-8")
        print(
            f"save -> served over {len(timings)} edits: median {statistics.median(timings) * 1000:.0f} ms, "
            f"worst {max(timings) * 1000:.0f} ms, best {min(timings) * 1000:.0f} ms"
        )
        if args.memory_edits:
            rss = _rss_mb(server.pid)
            print(
                f"server memory: {rss_after_warmup:.0f} MB after {args.edits} edits, {rss:.0f} MB after "
                f"{total} ({(rss / rss_after_warmup - 1) * 100:+.1f} %)"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


class _EventStream:
    """The live-reload stream an open page listens to: one line per new generation."""

    def __init__(self, host: str, port: int):
        self.connection = http.client.HTTPConnection(host, port, timeout=600)
        self.connection.request("GET", "/_statusgen/events")
        self.response = self.connection.getresponse()
        self.generations: queue.SimpleQueue[str] = queue.SimpleQueue()
        threading.Thread(target=self._read, daemon=True).start()
        self.next(timeout=30)  # the generation served now

    def _read(self) -> None:
        for line in self.response:
            if line.startswith(b"data: "):
                self.generations.put(line[6:].strip().decode())

    def next(self, timeout: float) -> str:
        return self.generations.get(timeout=timeout)


def _fetch(host: str, port: int, path: str, marker: bytes) -> None:
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        connection.request("GET", path)
        if marker not in connection.getresponse().read():
            raise SystemExit(f"{path} was reloaded without the edit")
    finally:
        connection.close()


def _rebuild_line(lines: queue.SimpleQueue[str]) -> str:
    return lines.get(timeout=30).strip()


def _rss_mb(pid: int) -> float:
    """Resident memory of the server and of any worker processes it has."""
    total = 0
    for proc in [pid, *_children(pid)]:
        try:
            status = Path(f"/proc/{proc}/status").read_text()
        except OSError:
            continue
        total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    return total / 1024


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


if __name__ == "__main__":
    sys.exit(main())
