"""statusgen against Hugo + a minimal theme on the reference corpus, side by side, as ratios.

    python bench/hugo.py [--sizes 1000,10000] [--rounds 3] [--workdir DIR] [--cold-only]
                         [--baseline DIR] [--corpus-tool PATH] [--hugo-theme DIR]

(defaults: ../shared/bench/make_corpus.py and ../shared/bench/hugo-min next to this repo)

The machine this runs on is shared and noisy (absolute times drift 3x between days), so every
statusgen figure is set against Hugo's full build of the same incidents, measured in the same
round: rounds alternate the two tools and the table shows medians. Per size it measures:

- cold: no render cache, no previous output (a first build);
- warm: the caches kept, a fresh output folder (a CI run that keeps only .statusgen-cache/);
- no change: the caches and the previous output kept (a CI run that keeps both, or a rebuild);
- one update: as "no change", after appending a sentence to one update file;
- Markdown alone: only the Markdown step of a cold build (every body text through Python-Markdown
  and nh3, one process per core: bench/markdown_floor.py), the least a cold build can cost while
  Markdown stays Python-Markdown;
- Hugo: `hugo --quiet` of the same incidents, a fresh output folder each time.

``--baseline DIR`` (another checkout of statusgen, e.g. a git worktree of main) adds its cold
build to every round, in the same alternation ("before: cold"): a change's effect measured
side by side, not across hours.

CPU is user + system time of the build and its worker processes (CPU/wall shows how many cores
were busy); memory is the largest process and the sum over all of them (sampled). Hugo is
skipped with a message when it is not installed. Standard library only.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from run import _maxrss_mb, run_sampled  # bench/run.py: runs a command, sampling its memory

REPO_DIR = Path(__file__).resolve().parent.parent
SHARED = REPO_DIR.parent / "shared" / "bench"
NOW = "2026-11-20T12:00:00Z"
KINDS = ("cold", "warm", "no change", "one update")
FLOOR = Path(__file__).resolve().parent / "markdown_floor.py"


@dataclass
class Run:
    wall: float
    cpu: float
    largest_mb: float
    total_mb: float | None


@dataclass
class Size:
    n: int
    runs: dict[str, list[Run]] = field(default_factory=dict)


def timed(argv: list[str], cwd: Path = REPO_DIR) -> Run:
    code, wall, usage, total = run_sampled(argv, cwd, subprocess.DEVNULL)
    if code != 0:
        sys.exit(f"failed: {' '.join(argv)}")
    return Run(wall, usage.ru_utime + usage.ru_stime, _maxrss_mb(usage.ru_maxrss), total)


def corpus(workdir: Path, n: int, tool: Path, theme: Path) -> tuple[Path, Path]:
    """The statusgen site and the Hugo site of the reference corpus of n incidents."""
    root = workdir / f"c{n}"
    if not (root / "ours" / "site.yml").is_file():
        subprocess.run(
            [
                sys.executable,
                str(tool),
                str(n),
                "--seed",
                "7",
                "--out",
                str(root),
                "--formats",
                "ours,cstate",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        site_yml = root / "ours" / "site.yml"
        if "\ntimezone:" not in site_yml.read_text():
            site_yml.write_text(site_yml.read_text() + "\ntimezone: UTC\n")
    hugo_site = workdir / f"hugo{n}"
    if not hugo_site.exists():
        shutil.copytree(theme, hugo_site)
        (hugo_site / "content").symlink_to(root / "cstate" / "content")
    return root / "ours", hugo_site


def statusgen(site: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "generator",
        "build",
        "--site",
        str(site),
        "--out",
        str(out),
        "--now",
        NOW,
        *extra,
    ]


def one_round(
    site: Path,
    hugo_site: Path | None,
    workdir: Path,
    size: Size,
    cold_only: bool = False,
    baseline: Path | None = None,
) -> None:
    out = workdir / "out"
    record = size.runs.setdefault
    if baseline:
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(site / ".statusgen-cache", ignore_errors=True)
        record("before: cold", []).append(timed(statusgen(site, out), cwd=baseline))
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(site / ".statusgen-cache", ignore_errors=True)
    record("cold", []).append(timed(statusgen(site, out)))
    if hugo_site:
        shutil.rmtree(workdir / "hugo-out", ignore_errors=True)
        record("Hugo", []).append(
            timed(["hugo", "--quiet", "-s", str(hugo_site), "-d", str(workdir / "hugo-out")])
        )
    # The least a cold build can cost: its Markdown step alone, on both cores (bench/markdown_floor.py).
    texts = workdir / f"texts-{size.n}.json"
    if not texts.is_file():  # what a cold build renders, noted once (untimed)
        subprocess.run([sys.executable, str(FLOOR), "collect", str(site), str(texts)], check=True)
    record("Markdown alone", []).append(timed([sys.executable, str(FLOOR), "render", str(texts)]))
    if cold_only:
        return
    shutil.rmtree(out)
    record("warm", []).append(timed(statusgen(site, out)))
    record("no change", []).append(timed(statusgen(site, out)))
    update = sorted((site / "content" / "incidents").glob("*/*.md"))[-1]
    text = update.read_text(encoding="utf-8")
    try:
        update.write_text(text + "\nOne more sentence for the benchmark.\n", encoding="utf-8")
        record("one update", []).append(timed(statusgen(site, out)))
    finally:
        update.write_text(text, encoding="utf-8")


def table(sizes: list[Size]) -> str:
    lines = [
        "| incidents | build | wall | CPU (CPU/wall) | wall ÷ Hugo | largest / all processes |",
        "| ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for size in sizes:
        hugo = statistics.median(r.wall for r in size.runs["Hugo"]) if "Hugo" in size.runs else None
        for kind in ("before: cold", *KINDS, "Markdown alone", "Hugo"):
            runs = size.runs.get(kind)
            if not runs:
                continue
            wall = statistics.median(r.wall for r in runs)
            cpu = statistics.median(r.cpu for r in runs)
            ratio = f"{wall / hugo:.2f}×" if hugo else "n/a"
            total = max((r.total_mb or 0) for r in runs)
            memory = f"{max(r.largest_mb for r in runs):.0f} / {total:.0f} MiB"
            busy = f"{cpu:.2f} s ({cpu / wall:.2f})"
            lines.append(f"| {size.n:,} | {kind} | {wall:.2f} s | {busy} | {ratio} | {memory} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000", help="comma-separated incident counts (default 1000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per size; medians are shown")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/statusgen-hugo-bench"))
    parser.add_argument("--corpus-tool", type=Path, default=SHARED / "make_corpus.py")
    parser.add_argument("--hugo-theme", type=Path, default=SHARED / "hugo-min")
    parser.add_argument("--cold-only", action="store_true", help="cold builds and Hugo only")
    parser.add_argument(
        "--baseline", type=Path, help="another statusgen checkout: its cold build is measured in every round"
    )
    args = parser.parse_args(argv)
    if not args.corpus_tool.is_file():
        sys.exit(f"{args.corpus_tool}: the reference corpus generator is missing (see --corpus-tool)")
    has_hugo = shutil.which("hugo") is not None and args.hugo_theme.is_dir()
    if not has_hugo:
        print(
            "Hugo is not installed (or --hugo-theme is missing): statusgen only, no ratios.", file=sys.stderr
        )
    args.workdir.mkdir(parents=True, exist_ok=True)
    for texts in args.workdir.glob("texts-*.json"):
        texts.unlink()  # noted by another checkout's build, or before the corpus changed
    sizes = []
    for n in (int(part) for part in args.sizes.split(",")):
        site, hugo_site = corpus(args.workdir, n, args.corpus_tool, args.hugo_theme)
        size = Size(n)
        for number in range(args.rounds):
            print(f"{n:,} incidents: round {number + 1} of {args.rounds}", file=sys.stderr)
            one_round(
                site, hugo_site if has_hugo else None, args.workdir, size, args.cold_only, args.baseline
            )
        sizes.append(size)
    print(table(sizes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
