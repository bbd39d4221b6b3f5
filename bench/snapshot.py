"""Build fixed sites into a folder, to prove a refactor changes no output byte.

    python bench/snapshot.py /tmp/before [--corpus /tmp/c1k/ours]   # on the old commit
    python bench/snapshot.py /tmp/after  [--corpus /tmp/c1k/ours]   # on the new one
    diff -r /tmp/before /tmp/after                                   # silence: byte-identical

It builds the example site, a canary site (the audience-separation test site of
tests/sites.py, with a maintenance window) and, with --corpus, a site made by
../shared/bench/make_corpus.py (built with two workers, so the parallel path is covered), each
at a fixed --now and without the render cache.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from generator.cli import main  # noqa: E402

from conftest import SITE_YML, dedent  # noqa: E402
from sites import LEAKY_SITE, MAINTENANCE  # noqa: E402


def build(site: Path, out: Path, now: str, *extra: str) -> None:
    code = main(["build", "--site", str(site), "--out", str(out), "--now", now, "--no-cache", *extra])
    if code != 0:
        raise SystemExit(f"building {site} failed")


def main_snapshot() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path, help="folder to build into (replaced)")
    parser.add_argument("--corpus", type=Path, help="a site made by make_corpus.py (its ours/ folder)")
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    build(REPO, args.out / "example", "2026-11-27T06:30:00+01:00")
    with tempfile.TemporaryDirectory() as scratch:
        canary = Path(scratch)
        (canary / "site.yml").write_text(dedent(SITE_YML))
        for relative, text in {**LEAKY_SITE, **MAINTENANCE}.items():
            (canary / relative).parent.mkdir(parents=True, exist_ok=True)
            (canary / relative).write_text(dedent(text))
        build(canary, args.out / "canary", "2026-11-27T12:00:00Z")
    if args.corpus:
        build(args.corpus, args.out / "corpus", "2026-11-20T12:00:00Z", "--jobs", "2")


if __name__ == "__main__":
    main_snapshot()
