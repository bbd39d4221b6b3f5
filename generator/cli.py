"""Command line: the only module that prints, reads the clock and exits."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from generator import __version__
from generator.build import build_site, check_site, default_workers
from generator.dates import parse_timestamp
from generator.errors import SiteError

DESCRIPTION = """\
Build a static status page from Markdown incident updates: one tree per audience
(public, strategic, ...) with HTML pages and Atom/RSS feeds."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="statusgen", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"statusgen {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    build = commands.add_parser(
        "build", help="build every audience's tree into the output folder",
        description="Build one self-contained tree per audience into OUT/<audience-id>/. "
                    "The previous output is replaced only when the whole build succeeds.")
    _site_argument(build)
    build.add_argument("--out", type=Path, metavar="DIR",
                       help="output folder (default: _site inside the site folder); "
                            "an existing folder not made by statusgen is never replaced")
    _now_argument(build)
    _jobs_argument(build)

    check = commands.add_parser(
        "check", help="validate site.yml, content and templates without writing anything",
        description="Report every problem in the site as path:line: message; exit 1 if any.")
    _site_argument(check)
    _now_argument(check)
    _jobs_argument(check)
    return parser


def _site_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--site", type=Path, default=Path("."), metavar="DIR",
                        help="the site folder holding site.yml and content/ (default: .)")


def _timestamp(text: str) -> str:
    """Check the form now; the site's time zone (for a time without offset) applies later."""
    try:
        parse_timestamp(text, timezone.utc)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return int(text)


def _now_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--now", metavar="TIMESTAMP", type=_timestamp,
                        help="as if it were this ISO 8601 time (default: the current time; "
                             "without an offset it is in the site's time zone)")


def _jobs_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", type=_positive, default=None, metavar="N",
                        help="worker processes for large sites (default: one per core)")
    parser.add_argument("--no-cache", dest="cache", action="store_false",
                        help="render every Markdown text afresh instead of reusing the results "
                             "kept in the site's .statusgen-cache/ folder")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # a cancelled CI job ends like Ctrl-C: the old output stays


def main(argv: Sequence[str] | None = None) -> int:
    if threading.current_thread() is not threading.main_thread():
        return _main(argv)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return _main(argv)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _main(argv: Sequence[str] | None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    workers = args.jobs or default_workers()
    site_dir = args.site.resolve()
    if not site_dir.is_dir():
        what = "is a file" if site_dir.exists() else "does not exist"
        parser.error(f"--site {args.site} {what}; give the folder that holds site.yml")
    now = args.now or datetime.now(timezone.utc)
    try:
        if args.command == "check":
            report = check_site(site_dir, now, workers, args.cache)
            _print_held(report.held, site_dir)
            print(f"{site_dir}: no problems ({_count(report.incidents, 'incident')}, "
                  f"{_count(report.maintenances, 'maintenance window')})")
            return 0
        out_dir = (args.out or site_dir / "_site").absolute()
        report = build_site(site_dir, out_dir, now, workers, args.cache)
    except SiteError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        outcome = "" if args.command == "check" else "; nothing was written"
        print(f"statusgen: {_count(len(error.problems), 'problem')}{outcome}.", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("statusgen: interrupted; the previous output is untouched.", file=sys.stderr)
        return 130
    _print_held(report.held, site_dir)
    trees = ", ".join(f"{audience} ({count} files)" for audience, count in report.files.items())
    print(f"Built {_count(report.incidents, 'incident')} and "
          f"{_count(report.maintenances, 'maintenance window')} into {out_dir}: {trees} "
          f"in {report.seconds:.2f} s")
    return 0


def _print_held(held: list[tuple[str, datetime]], site_dir: Path) -> None:
    """Updates dated in the future are valid (prepared in advance) but easy to do by mistake."""
    for source, date in held:
        print(f"{source}: note: dated {date.isoformat(timespec='minutes')}, after now; "
              "held back until a build after that time", file=sys.stderr)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
