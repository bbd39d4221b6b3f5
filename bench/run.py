"""Time `statusgen build` on synthetic sites of N incidents.

    python bench/run.py [--sizes 100,1000,10000] [--workdir DIR] [--seed 1]
                        [--repeat K] [--profile] [--command CMD] [--json FILE] [--strict]

For each size it writes (or reuses) a site made by bench/make_site.py, builds it with
`python -m generator build --site SITE --out OUT --now 2026-11-27T12:00:00Z` in a child
process, and prints wall time, the child's peak RSS and the sampled peak memory of the
whole process tree (the build may use worker processes).  Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
CACHE_DIR = ".statusgen-cache"  # the site's Markdown render cache (generator/rendercache.py)
REPO_DIR = BENCH_DIR.parent
NOW = "2026-11-27T12:00:00Z"
#: size -> (max wall seconds, max peak MB or None); the targets of issue 2, section 8.
TARGETS: dict[int, tuple[float, float | None]] = {1000: (3.0, None), 10000: (30.0, 500.0)}


@dataclass
class Result:
    n: int
    cache: str = "cold"  # cold: no render cache (first build); warm: cache from an earlier build
    files: int = 0
    out_mb: float = 0.0
    walls: list[float] = field(default_factory=list)
    peak_mb: float = 0.0  # max RSS of the single largest process (getrusage)
    tree_mb: float | None = None  # sampled peak of the summed PSS/RSS of the process tree
    target: str = ""

    @property
    def wall(self) -> float:
        return min(self.walls)


# --------------------------------------------------------------------------- sites


def ensure_site(workdir: Path, n: int, seed: int) -> Path:
    """The cached site for (n, seed, make_site.py version), generated if missing."""
    source = (BENCH_DIR / "make_site.py").read_bytes()
    version = hashlib.sha256(source).hexdigest()[:10]
    sites = workdir / "sites"
    site = sites / f"n{n}-seed{seed}-{version}"
    if (site / "site.yml").is_file():
        return site
    sites.mkdir(parents=True, exist_ok=True)
    for stale in sites.glob(f"n{n}-seed{seed}-*"):  # older make_site.py versions
        shutil.rmtree(stale, ignore_errors=True)
    sys.path.insert(0, str(BENCH_DIR))
    try:
        import make_site
    finally:
        sys.path.pop(0)
    tmp = Path(tempfile.mkdtemp(prefix=f".n{n}-", dir=sites))
    t0 = time.perf_counter()
    try:
        stats = make_site.generate(tmp, n, seed)
        os.replace(tmp, site)  # a site in the cache is always complete
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    print(
        f"generated {site.name}: {stats['updates']} updates, {stats['maintenance']} maintenance "
        f"windows in {time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    return site


def count_files(root: Path) -> tuple[int, int]:
    files = size = 0
    for dirpath, _, names in os.walk(root):
        files += len(names)
        size += sum(os.lstat(os.path.join(dirpath, name)).st_size for name in names)
    return files, size


# --------------------------------------------------------------------------- memory


def _descendants(pid: int) -> list[int]:
    """pid and all its descendants (Linux /proc; just [pid] elsewhere)."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return found


def _process_kb(pid: int) -> int | None:
    """Proportional set size (shared pages split fairly), else RSS, in KiB."""
    for path, key in ((f"/proc/{pid}/smaps_rollup", "Pss:"), (f"/proc/{pid}/status", "VmRSS:")):
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith(key):
                        return int(line.split()[1])
        except (OSError, ValueError):
            continue
    return None


class TreeSampler(threading.Thread):
    """Samples the summed memory of a process tree until stopped; Linux only."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_kb: int | None = None
        self._stop_event = threading.Event()

    def run(self) -> None:
        if not os.path.isdir("/proc"):
            return
        while not self._stop_event.is_set():
            sizes = [_process_kb(p) for p in _descendants(self.pid)]
            known = [s for s in sizes if s is not None]
            if known:
                self.peak_kb = max(self.peak_kb or 0, sum(known))
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


# --------------------------------------------------------------------------- builds


def _maxrss_mb(ru_maxrss: int) -> float:
    return ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)


def run_sampled(argv: list[str], cwd: Path, output: Any) -> tuple[int, float, Any, float | None]:
    """Run a command; return (exit code, wall s, its rusage, process-tree peak MB)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=output, stderr=output)
    sampler = TreeSampler(proc.pid)
    sampler.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)  # the rusage of this child (and what it waited for)
    except BaseException:  # e.g. Ctrl-C: do not leave the command running
        proc.kill()
        proc.wait()
        raise
    finally:
        wall = time.perf_counter() - t0
        sampler.stop()
    proc.returncode = os.waitstatus_to_exitcode(status)
    tree = sampler.peak_kb / 1024 if sampler.peak_kb is not None else None
    return proc.returncode, wall, usage, tree


def timed_build(
    command: list[str], site: Path, out: Path, log: Path
) -> tuple[int, float, float, float | None]:
    """Run one build; return (exit code, wall s, peak RSS MB, process-tree peak MB)."""
    if out.exists():
        shutil.rmtree(out)
    argv = command + ["build", "--site", str(site), "--out", str(out), "--now", NOW]
    with open(log, "wb") as logf:
        code, wall, usage, tree = run_sampled(argv, REPO_DIR, logf)
    return code, wall, _maxrss_mb(usage.ru_maxrss), tree


def judge(r: Result) -> str:
    if r.n not in TARGETS:
        return "-"
    max_wall, max_mb = TARGETS[r.n]
    goal = f"< {max_wall:g} s" + (f", < {max_mb:g} MB" if max_mb else "")
    mem = max(r.peak_mb, r.tree_mb or 0)
    ok = r.wall < max_wall and (max_mb is None or mem < max_mb)
    return f"{'met' if ok else 'MISSED'} ({goal})"


def profile_build(command: list[str], site: Path, out: Path, report: Path) -> bool:
    """Build once under pyinstrument and write its text report; False if unavailable."""
    try:
        import pyinstrument  # noqa: F401  (only to learn whether it is installed)
    except ImportError:
        print("--profile: pyinstrument is not installed; skipped (pip install pyinstrument)")
        return False
    if command[:2] != [sys.executable, "-m"]:
        print("--profile: profiling `python -m generator` (the --command given is not a module)")
    if out.exists():
        shutil.rmtree(out)
    argv = [
        sys.executable,
        "-m",
        "pyinstrument",
        "--renderer",
        "text",
        "--no-color",
        "--outfile",
        str(report),
        "-m",
        "generator",
        "build",
        "--site",
        str(site),
        "--out",
        str(out),
        "--now",
        NOW,
    ]
    done = subprocess.run(
        argv, check=False, cwd=REPO_DIR, stdin=subprocess.DEVNULL, capture_output=True, text=True
    )
    if done.returncode != 0:
        print(f"--profile: the profiled build failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
        return False
    print(f"profile written to {report}")
    return True


# --------------------------------------------------------------------------- report


def print_table(results: list[Result]) -> None:
    head = ("N", "cache", "files", "out MB", "wall s", "peak MB", "tree MB", "target")
    rows = [
        (
            f"{r.n:,}",
            r.cache,
            f"{r.files:,}",
            f"{r.out_mb:.0f}",
            f"{r.wall:.2f}",
            f"{r.peak_mb:.0f}",
            "-" if r.tree_mb is None else f"{r.tree_mb:.0f}",
            r.target,
        )
        for r in results
    ]
    widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=False)]
    for i, row in enumerate([head, *rows]):
        pairs = enumerate(zip(row, widths, strict=False))
        cells = [c.rjust(w) if j < len(row) - 1 else c for j, (c, w) in pairs]
        print("  ".join(cells).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(s.replace("_", "")) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("sizes must be positive")
    return sizes


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--sizes",
        type=_sizes,
        default=[100, 1000, 10000],
        help="comma-separated incident counts (default 100,1000,10000)",
    )
    p.add_argument(
        "--workdir",
        type=Path,
        default=BENCH_DIR / ".work",
        help="where sites are cached and builds written (default: bench/.work, git-ignored)",
    )
    p.add_argument("--seed", type=int, default=1, help="seed for make_site.py (default 1)")
    p.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="K",
        help="build each size K times; report the best wall time and the highest peak memory",
    )
    p.add_argument(
        "--profile",
        action="store_true",
        help="also build the largest size under pyinstrument and save a text report in workdir",
    )
    p.add_argument(
        "--command",
        default=f"{shlex.quote(sys.executable)} -m generator",
        help="how to run statusgen, e.g. 'statusgen' (default: this python -m generator)",
    )
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON")
    p.add_argument("--strict", action="store_true", help="exit 3 when a target is missed")
    args = p.parse_args(argv)
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    command = shlex.split(args.command)
    workdir = args.workdir.resolve()
    (workdir / "logs").mkdir(parents=True, exist_ok=True)
    print(
        f"statusgen bench: python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{platform.system()} {platform.machine()}; now={NOW}; workdir {workdir}",
        flush=True,
    )

    results = []
    for n in sorted(set(args.sizes)):
        site = ensure_site(workdir, n, args.seed)
        out = workdir / "out" / f"n{n}"
        out.parent.mkdir(parents=True, exist_ok=True)
        for cache in ("cold", "warm"):
            r = Result(n, cache)
            for k in range(args.repeat):
                if cache == "cold":
                    shutil.rmtree(site / CACHE_DIR, ignore_errors=True)
                log = workdir / "logs" / f"n{n}-{cache}-run{k + 1}.log"
                code, wall, peak, tree = timed_build(command, site, out, log)
                if code != 0:
                    text = log.read_text(encoding="utf-8", errors="replace")
                    print(
                        f"build of N={n} failed (exit {code}); log {log}:\n{text[-4000:]}",
                        file=sys.stderr,
                    )
                    if results:
                        print_table(results)
                    return 1
                r.walls.append(wall)
                r.peak_mb = max(r.peak_mb, peak)
                if tree is not None:
                    r.tree_mb = max(r.tree_mb or 0, tree)
                print(
                    f"N={n:,} {cache} run {k + 1}/{args.repeat}: {wall:.2f} s, peak {peak:.0f} MB",
                    flush=True,
                )
            files, size = count_files(out)
            r.files, r.out_mb = files, size / 1e6
            r.target = judge(r)
            results.append(r)

    print()
    print_table(results)
    print(
        "peak MB: largest single process (getrusage); tree MB: sampled peak of the whole process "
        "tree (PSS); targets use the larger"
    )
    if args.profile:
        n = max(args.sizes)
        site = ensure_site(workdir, n, args.seed)
        profile_build(command, site, workdir / "out" / f"n{n}-profile", workdir / f"profile-n{n}.txt")
    if args.json:
        payload = {
            "now": NOW,
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "seed": args.seed,
            "results": [asdict(r) | {"wall": r.wall} for r in results],
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    if args.strict and any(r.target.startswith("MISSED") for r in results):
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
