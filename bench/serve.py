"""Benchmark `statusgen serve` on the reference corpus: start, an edit, a site.yml change.

    python bench/serve.py [--sizes 1000,10000] [--rounds 3] [--edits 20] [--baseline DIR]
                          [--workdir DIR] [--corpus-tool PATH] [--memory-edits N]

(the corpus is ../shared/bench/make_corpus.py's, as bench/hugo.py builds it: `--seed 7`,
`timezone: UTC`). Per size and round it starts the real CLI (`statusgen serve --port 0 --now ...`)
and measures, as a browser sees it:

- start: from launching the command to the first audience's front page served, with the caches
  a previous start kept in `.statusgen-cache/` (one untimed start first fills them), and the
  CPU time the server spent until then (which a busy machine does not inflate);
- edit: one update file saved the way editors save (a temporary file renamed over it), then,
  like an open page, the live-reload event awaited and the incident's page fetched until it
  shows the new words; the median of ``--edits`` saves (each checked to be incremental);
- site.yml: the site's title changed, the reload event awaited and the front page fetched
  showing it.

``--baseline DIR`` runs another checkout (e.g. main, before a change) in the same rounds,
alternating with this one, so the two are compared on the same machine and hour. The machine
is shared and noisy: medians over the rounds are shown. Standard library only.
"""

from __future__ import annotations

import argparse
import http.client
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

REPO_DIR = Path(__file__).resolve().parent.parent
SHARED = REPO_DIR.parent / "shared" / "bench"
NOW = "2026-11-20T12:00:00Z"
TITLE = 'title: "Example Status"'


@dataclass
class Runs:
    start: list[float] = field(default_factory=list)
    start_cpu: list[float] = field(default_factory=list)  # the server's CPU seconds until then
    edit: list[float] = field(default_factory=list)  # the median of each round's edits
    site_yml: list[float] = field(default_factory=list)
    memory: list[str] = field(default_factory=list)


def corpus(workdir: Path, n: int, tool: Path) -> Path:
    """The statusgen site of the reference corpus of n incidents (shared with bench/hugo.py)."""
    root = workdir / f"c{n}"
    site = root / "ours"
    if not (site / "site.yml").is_file():
        subprocess.run(
            [sys.executable, str(tool), str(n), "--seed", "7", "--out", str(root), "--formats", "ours"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        site_yml = site / "site.yml"
        if "\ntimezone:" not in site_yml.read_text():
            site_yml.write_text(site_yml.read_text() + "\ntimezone: UTC\n")
    return site


class Server:
    """`statusgen serve` of one checkout, its terminal lines and its live-reload stream."""

    def __init__(self, repo: Path, site: Path):
        command = [
            sys.executable,
            "-m",
            "generator",
            "serve",
            "--site",
            str(site),
            "--port",
            "0",
            "--now",
            NOW,
        ]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=repo)
        self.lines: queue.SimpleQueue[str] = queue.SimpleQueue()
        threading.Thread(target=self._read, daemon=True).start()
        while not (line := self.line(timeout=900)).startswith("Serving"):
            pass
        url = urlsplit(line.split()[1].rstrip(","))
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80
        self.events: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._stream = http.client.HTTPConnection(self.host, self.port, timeout=900)
        self._stream.request("GET", "/_statusgen/events")
        response = self._stream.getresponse()
        threading.Thread(target=self._listen, args=(response,), daemon=True).start()
        self.events.get(timeout=60)  # the generation served now

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def _listen(self, response: http.client.HTTPResponse) -> None:
        for line in response:
            if line.startswith(b"data: "):
                self.events.put(line[6:].strip().decode())

    def line(self, timeout: float) -> str:
        return self.lines.get(timeout=timeout).strip()

    def fetch(self, path: str) -> bytes:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=900)
        try:
            connection.request("GET", path)
            return connection.getresponse().read()
        finally:
            connection.close()

    def until_served(self, path: str, marker: bytes) -> None:
        """After a save: the reload event, then the page, as an open page does (again, if the event
        came from an earlier rebuild)."""
        while True:
            self.events.get(timeout=900)
            if marker in self.fetch(path):
                return

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)
        self._stream.close()


def one_round(repo: Path, site: Path, edits: int, memory_edits: int, runs: Runs) -> None:
    launched = time.perf_counter()
    server = Server(repo, site)
    try:
        server.fetch("/public/")
        runs.start.append(time.perf_counter() - launched)
        runs.start_cpu.append(_cpu_seconds(server.process.pid))
        folders = sorted((site / "content" / "incidents").iterdir())
        folder = folders[len(folders) // 2]
        target = sorted(folder.glob("*.md"))[-1]
        original = target.read_text(encoding="utf-8")
        timings = []
        try:
            for n in range(edits + memory_edits):
                marker = f"bench-edit-{n}-{time.time_ns()}"
                temporary = target.with_name(f".{target.name}.tmp")
                temporary.write_text(original + f"\n{marker}\n", encoding="utf-8")
                saved = time.perf_counter()
                os.replace(temporary, target)
                server.until_served(f"/public/incidents/{folder.name}/", marker.encode())
                timings.append(time.perf_counter() - saved)
                report = server.line(timeout=60)
                if "rebuilt everything" in report or "problem" in report:
                    sys.exit(f"edit {n} was not an incremental rebuild: {report}")
                if n == edits - 1 and memory_edits:
                    after_edits = _rss_mb(server.process.pid)
        finally:
            target.write_text(original, encoding="utf-8")
        server.until_served(f"/public/incidents/{folder.name}/", b"")
        server.line(timeout=60)
        runs.edit.append(statistics.median(timings[:edits]))
        if memory_edits:
            rss = _rss_mb(server.process.pid)
            runs.memory.append(
                f"{after_edits:.0f} MB after {edits} edits, {rss:.0f} MB after {edits + memory_edits}"
            )
        config = site / "site.yml"
        text = config.read_text(encoding="utf-8")
        try:
            config.write_text(text.replace(TITLE, 'title: "Renamed Status"'), encoding="utf-8")
            saved = time.perf_counter()
            server.until_served("/public/", b"Renamed Status")
            runs.site_yml.append(time.perf_counter() - saved)
        finally:
            config.write_text(text, encoding="utf-8")
        server.line(timeout=60)
        server.until_served("/public/", b"Example Status")  # back as it was before the next round
    finally:
        server.stop()


def _cpu_seconds(pid: int) -> float:
    """User and system time of the process and of the worker processes it has waited for."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


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


def table(results: dict[tuple[int, str], Runs], names: list[str]) -> str:
    lines = ["| incidents | checkout | start (its CPU) | edit (median of each round's) | site.yml change |"]
    lines.append("| ---: | --- | ---: | ---: | ---: |")
    for (n, name), runs in sorted(results.items(), key=lambda item: (item[0][0], names.index(item[0][1]))):
        start, cpu, edit, site_yml = (
            statistics.median(values) for values in (runs.start, runs.start_cpu, runs.edit, runs.site_yml)
        )
        lines.append(
            f"| {n:,} | {name} | {start:.2f} s ({cpu:.2f} s) | {edit * 1000:.0f} ms | {site_yml:.2f} s |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated incident counts")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per size; medians are shown")
    parser.add_argument("--edits", type=int, default=20, help="timed edits per round (median reported)")
    parser.add_argument("--memory-edits", type=int, default=0, help="further edits, for a memory check")
    parser.add_argument("--baseline", type=Path, help="another checkout to run in the same rounds")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/statusgen-hugo-bench"))
    parser.add_argument("--corpus-tool", type=Path, default=SHARED / "make_corpus.py")
    args = parser.parse_args(argv)
    if not args.corpus_tool.is_file():
        sys.exit(f"{args.corpus_tool}: the reference corpus generator is missing (see --corpus-tool)")
    checkouts = {"this": REPO_DIR}
    if args.baseline:
        checkouts = {"baseline": args.baseline.resolve(), **checkouts}
    args.workdir.mkdir(parents=True, exist_ok=True)
    results: dict[tuple[int, str], Runs] = {}
    for n in (int(part) for part in args.sizes.split(",")):
        site = corpus(args.workdir, n, args.corpus_tool)
        for name, repo in checkouts.items():
            print(f"{n:,} incidents, {name}: filling the caches (untimed start)", file=sys.stderr)
            Server(repo, site).stop()
        for number in range(args.rounds):
            for name, repo in checkouts.items():
                print(f"{n:,} incidents, {name}: round {number + 1} of {args.rounds}", file=sys.stderr)
                runs = results.setdefault((n, name), Runs())
                one_round(repo, site, args.edits, args.memory_edits, runs)
                print(
                    f"  start {runs.start[-1]:.2f} s (CPU {runs.start_cpu[-1]:.2f} s), "
                    f"edit {runs.edit[-1] * 1000:.0f} ms, "
                    f"site.yml {runs.site_yml[-1]:.2f} s",
                    file=sys.stderr,
                )
                for line in runs.memory[-1:]:
                    print(f"  memory: {line}", file=sys.stderr)
    print(table(results, list(checkouts)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
