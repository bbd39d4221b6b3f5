"""Command line: the only module that prints, reads the clock and exits."""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from generator import __version__, lastbuild
from generator.authoring.scaffold import starter_languages
from generator.build import build_site, check_site, default_workers
from generator.dates import iso, parse_timestamp
from generator.errors import Problem, SiteError, log_line
from generator.markup import TODO, has_prompt
from generator.notify.record import RECORD_FILE
from generator.output import Swapped

# What only one command uses is imported by that command: a build (the command CI runs on
# every push) starts without loading the preview server, the importers and notify's channels.
if TYPE_CHECKING:
    from generator.notify.run import ChannelPlan, Group, Notification
    from generator.serve.live import Rebuild

DESCRIPTION = """\
Build a static status page from Markdown incident updates: one tree per audience
(public, strategic, ...) with HTML pages, Atom/RSS feeds, a Statuspage-compatible
JSON API, a maintenance calendar and status badges; and tell each audience's chat
channels, mailing lists and webhooks of every new update, exactly once (notify)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="statusgen", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"statusgen {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    init = commands.add_parser(
        "init",
        help="create a new, working status site",
        description="Create a status site in DIR: a commented site.yml, an example incident, "
        "message templates, a .gitignore and CI workflows for GitHub and GitLab. "
        "Existing files are never overwritten.",
    )
    init.add_argument(
        "dir",
        nargs="?",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="where to create the site (default: .)",
    )
    init.add_argument("--title", default="Example Status", help="the status page's title")
    init.add_argument(
        "--language",
        default="en",
        choices=starter_languages(),
        help="the language of the site.yml, message templates and example incident it writes, and of "
        "the pages (default: en)",
    )

    build = commands.add_parser(
        "build",
        help="build every audience's tree into the output folder",
        description="Build one self-contained tree per audience into OUT/<audience-id>/. "
        "The previous output changes only when the whole build succeeds, and then only in the "
        "files that changed (unchanged files keep their modification time).",
    )
    _site_argument(build)
    build.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="output folder (default: _site inside the site folder); "
        "an existing folder not made by statusgen is never replaced",
    )
    _now_argument(build)
    _jobs_argument(build)

    serve = commands.add_parser(
        "serve",
        help="preview every audience's tree, rebuilt and reloaded as you save",
        description="Load the site and serve each audience's tree under /<audience-id>/, each page "
        "rendered when a browser first asks for it. Saving a file under content/ re-renders only "
        "what it touches; site.yml or the theme start every tree afresh (unchanged folders are "
        "not parsed again). Open pages reload by themselves after each rebuild, and problems "
        "show as an overlay on every page until they are fixed. No output is written (only the "
        "caches in .statusgen-cache/ are kept up to date).",
    )
    _site_argument(serve)
    serve.add_argument(
        "--port", type=_port, default=8000, help="port to listen on (default: 8000; 0: any free port)"
    )
    serve.add_argument(
        "--bind",
        default="127.0.0.1",
        metavar="ADDRESS",
        help="address to listen on (default: 127.0.0.1, this machine only; restricted "
        "audiences' trees are served too, so think before binding to a network)",
    )
    _now_argument(serve)
    serve.add_argument(
        "--jobs",
        type=_positive,
        default=None,
        metavar="N",
        help="worker processes for full rebuilds of large sites (default: one per core)",
    )

    check = commands.add_parser(
        "check",
        help="validate site.yml, content and templates without writing anything",
        description="Report every problem in the site as path:line: message; exit 1 if any.",
    )
    _site_argument(check)
    _now_argument(check)
    _jobs_argument(check)
    check.add_argument(
        "--format",
        choices=("text", "github"),
        default="text",
        help="github: print GitHub Actions annotations, shown on the pull request's diff",
    )

    new = commands.add_parser(
        "new",
        help="write a new update file from a message template",
        description="Write a new update file from the site's message template for that stage "
        "and print its path. Placeholders in the template are filled in.",
    )
    new_kinds = new.add_subparsers(dest="kind", metavar="KIND", required=True)
    incident = new_kinds.add_parser("incident", help="start a new incident (first update)")
    incident.add_argument("--title", required=True, help="what customers see, e.g. 'Elevated API errors'")
    incident.add_argument(
        "--impact", help="none, minor, major or critical (needed unless the message template sets it)"
    )
    incident.add_argument(
        "--components",
        metavar="IDS",
        help="affected component ids, comma separated (needed unless the template sets them)",
    )
    incident.add_argument(
        "--status",
        help="the stage it opens at: investigating (default), identified, monitoring or resolved",
    )
    update = new_kinds.add_parser("update", help="add the next update to an incident or maintenance")
    update.add_argument("incident_id", metavar="ID", help="the incident's or maintenance's folder name")
    update.add_argument(
        "--status",
        required=True,
        help="incidents: investigating, identified, monitoring, resolved; maintenance: "
        "scheduled, in_progress, verifying, completed, cancelled",
    )
    update.add_argument("--title", help="change the title")
    update.add_argument("--impact", help="change the impact")
    update.add_argument("--components", metavar="IDS", help="change the affected components")
    update.add_argument("--starts", metavar="TIMESTAMP", help="move the maintenance window's start")
    update.add_argument("--ends", metavar="TIMESTAMP", help="move the maintenance window's end")
    _lifecycle_arguments(update)
    maintenance = new_kinds.add_parser("maintenance", help="announce a maintenance window")
    maintenance.add_argument("--title", required=True, help="what customers see")
    maintenance.add_argument("--starts", required=True, metavar="TIMESTAMP", help="when the window starts")
    maintenance.add_argument("--ends", required=True, metavar="TIMESTAMP", help="when the window ends")
    maintenance.add_argument(
        "--components", metavar="IDS", required=True, help="affected component ids, comma separated"
    )
    for kind_parser, example in (
        (incident, "investigating"),
        (update, "identified; for maintenance maintenance-in_progress"),
        (maintenance, "maintenance-scheduled"),
    ):
        _site_argument(kind_parser)
        kind_parser.add_argument(
            "--template",
            metavar="NAME",
            help="message template in content/templates/ (default: the one "
            f"named after the status, e.g. {example})",
        )
        kind_parser.add_argument("--date", metavar="TIMESTAMP", help="the update's time (default: now)")
        kind_parser.add_argument(
            "--audience",
            metavar="IDS",
            help="make the whole update visible only to these audiences (comma separated ids) and "
            "those that include them",
        )
        kind_parser.add_argument("--edit", action="store_true", help="open the new file in $EDITOR")
        _unapproved_arguments(kind_parser)
        kind_parser.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="NAME=TEXT",
            help="answer the template's prompt [TODO(NAME): ...] with TEXT (repeatable); on a "
            "terminal, new asks for the others",
        )

    approve_parser = commands.add_parser(
        "approve",
        help="record the approval of a message template's current wording",
        description="Record who approved a message template and when. Editing the template "
        "afterwards voids the approval until it is approved again.",
    )
    approve_parser.add_argument("template", metavar="TEMPLATE", help="template name, e.g. investigating")
    approve_parser.add_argument("--by", required=True, help="who approved it")
    approve_parser.add_argument(
        "--role",
        help="the role signing off, one of templates.approvers in site.yml (needed when it is set)",
    )
    _site_argument(approve_parser)
    _import_parser(commands)
    _notify_parser(commands)
    return parser


def _notify_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    notify = commands.add_parser(
        "notify",
        help="send each new update to each audience's channels (chat, email, webhooks), once",
        description="Tell each audience's notify: channels (site.yml) of every update, maintenance "
        "start and end, and postmortem they have not been told of yet, in the audience's own "
        "words: what its pages show. What was sent is recorded in the record file, so each "
        "message goes once per channel across runs; nothing older than --since is ever sent, "
        "so a lost record cannot flood anyone. ${VAR} parts of channel URLs are read from the "
        "environment. A channel that fails does not stop the others; it is retried on the next "
        "run, and the run exits 1 with one line per failed channel.",
    )
    _site_argument(notify)
    notify.add_argument(
        "--now",
        metavar="TIMESTAMP",
        type=_timestamp_or_last_build,
        help="as if it were this ISO 8601 time, or last-build: the moment the last statusgen build "
        "of this site was made as of, so that only what it published is told (the CI recipes "
        "use it; default: the current time)",
    )
    notify.add_argument(
        "--dry-run",
        action="store_true",
        help="print, per audience and channel, exactly what would be sent; send and record nothing "
        "(needs no secrets: it names the variables a real run reads)",
    )
    notify.add_argument(
        "--since",
        type=_duration,
        default=timedelta(hours=6),
        metavar="DURATION",
        help="the horizon: never send what happened longer ago than this, e.g. 30m, 6h, 2d (default: 6h)",
    )
    notify.add_argument(
        "--corrections",
        action="store_true",
        help="send one 'corrected' notice for each update edited since it was sent (default: an edit "
        "sends nothing)",
    )
    group = notify.add_mutually_exclusive_group()
    group.add_argument(
        "--before-deploy",
        dest="group",
        action="store_const",
        const="before",
        default="all",
        help="only audiences with notify_before_deploy: true (internal teams: told before the pages change)",
    )
    group.add_argument(
        "--after-deploy",
        dest="group",
        action="store_const",
        const="after",
        help="only the other audiences (customers: told once the pages they link to are live)",
    )
    notify.add_argument(
        "--record",
        type=Path,
        metavar="FILE",
        help=f"the record of what was sent (default: {RECORD_FILE} in the site folder, kept by the "
        "CI recipes' cache)",
    )


def _import_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    importer = commands.add_parser(
        "import",
        help="bring the history of an Atlassian Statuspage or cState page into the site",
        description="Write another status page's incidents and maintenance windows as content "
        "files (one folder each, one file per update) and add its components to "
        "site.yml. Running it again adds only what is new; files edited since they "
        "were imported are kept unless --force. Prints a summary.",
    )
    sources = importer.add_subparsers(dest="source_kind", metavar="SOURCE_KIND", required=True)
    statuspage = sources.add_parser(
        "statuspage",
        help="from Atlassian Statuspage public API JSON, or a live page",
        description="Import from Statuspage public API v2 JSON: a file or a folder of files "
        "(incidents.json, incidents/<id>.json, summary.json, components.json, "
        "scheduled-maintenances*.json), or a page's base URL (fetches "
        "api/v2/summary.json, incidents.json and scheduled-maintenances.json; the API "
        "lists only the 50 most recent of each).",
    )
    statuspage.add_argument(
        "source", metavar="SOURCE", help="a JSON file, a folder of them, or https://<page>"
    )
    cstate = sources.add_parser(
        "cstate",
        help="from a cState (Hugo) site's folder",
        description="Import a cState site: config.yml systems and categories become components "
        "and groups, each content/issues/*.md becomes an incident.",
    )
    cstate.add_argument("source", metavar="SITE_DIR", type=Path, help="the cState site's folder")
    for parser in (statuspage, cstate):
        _site_argument(parser)
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace files edited since they were imported with the source's text",
        )


def _lifecycle_arguments(update: argparse.ArgumentParser) -> None:
    """After 'resolved', a further update must say what it is."""
    update.add_argument(
        "--reopen",
        action="store_true",
        help="the resolved incident's problem is back: open it again (writes reopened: true)",
    )
    update.add_argument(
        "--amend",
        action="store_true",
        help="add a correction note to a resolved incident, which stays resolved (--status resolved)",
    )


def _unapproved_arguments(parser: argparse.ArgumentParser) -> None:
    """The emergency exit from templates.require_approval."""
    parser.add_argument(
        "--unapproved",
        action="store_true",
        help="use the template although it is not approved (an emergency); needs --reason",
    )
    parser.add_argument(
        "--reason",
        metavar="TEXT",
        help="why --unapproved: written into the update (unapproved_reason) for the review afterwards",
    )


def _site_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--site",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="the site folder holding site.yml and content/ (default: .)",
    )


def _timestamp(text: str) -> str:
    """Check the form now; the site's time zone (for a time without offset) applies later."""
    try:
        parse_timestamp(text, timezone.utc)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _timestamp_or_last_build(text: str) -> str:
    return text if text == "last-build" else _timestamp(text)


def _duration(text: str) -> timedelta:
    match = re.fullmatch(r"(\d+)([mhd])", text.strip())
    if not match or int(match.group(1)) < 1:
        raise argparse.ArgumentTypeError(f"expected a duration like 30m, 6h or 2d, not {text!r}")
    unit = {"m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
    duration = timedelta(**{unit: int(match.group(1))}) if len(match.group(1)) < 9 else timedelta.max
    if duration > timedelta(days=3660):
        raise argparse.ArgumentTypeError(f"{text!r} is longer than ten years: no horizon is that far")
    return duration


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return int(text)


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 0 to 65535, not {text!r}")
    return int(text)


def _now_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--now",
        metavar="TIMESTAMP",
        type=_timestamp,
        help="as if it were this ISO 8601 time (default: the current time; "
        "without an offset it is in the site's time zone)",
    )


def _jobs_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--jobs",
        type=_positive,
        default=None,
        metavar="N",
        help="worker processes for large sites (default: one per core)",
    )
    parser.add_argument(
        "--no-cache",
        dest="cache",
        action="store_false",
        help="load, render and write everything afresh instead of reusing what earlier "
        "builds kept in the site's .statusgen-cache/ folder (rendered Markdown, loaded "
        "folders, and which pages of the output are unchanged)",
    )


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # a cancelled CI job or a closed terminal ends like Ctrl-C: the old output stays


def main(argv: Sequence[str] | None = None) -> int:
    if threading.current_thread() is not threading.main_thread():
        return _main(argv)
    stopping = [signal.SIGTERM]
    if hasattr(signal, "SIGHUP") and signal.getsignal(signal.SIGHUP) is signal.SIG_DFL:  # (not under nohup)
        stopping.append(signal.SIGHUP)  # a closed terminal
    previous = {signum: signal.signal(signum, _interrupt) for signum in stopping}
    try:
        return _main(argv)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _main(argv: Sequence[str] | None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.command == "init":
        return _run(args, lambda: _init(args))
    site_dir = args.site.resolve()
    if not site_dir.is_dir():
        what = "is a file" if site_dir.exists() else "does not exist"
        parser.error(log_line(f"--site {args.site} {what}; give the folder that holds site.yml"))
    handler = {
        "build": _build,
        "check": _check,
        "serve": _serve,
        "new": _new,
        "approve": _approve,
        "import": _import,
        "notify": _notify,
    }[args.command]
    return _run(args, lambda: handler(args, site_dir))


def _run(args: argparse.Namespace, action: object) -> int:
    """Run a command; every user mistake is printed as path:line: message, exit 1."""
    try:
        return action()  # type: ignore[operator, no-any-return]
    except SiteError as error:
        if getattr(args, "format", "text") == "github":
            for problem in error.problems:
                print(_annotation(problem, args.site))
        for problem in error.problems:
            _print(problem, file=sys.stderr)
        edited = args.command == "new" and getattr(args, "edit", False)
        writes = args.command in ("build", "new", "init", "approve", "import") and not edited
        outcome = "; nothing was written" if writes else ""
        _print(f"statusgen: {_count(len(error.problems), 'problem')}{outcome}.", file=sys.stderr)
        return error.exit_code
    except Swapped:
        _print(
            "statusgen: interrupted just after the new output was published; it is whole.", file=sys.stderr
        )
        return 130
    except KeyboardInterrupt:
        _print("statusgen: interrupted; the previous output is untouched.", file=sys.stderr)
        return 130


def _now(args: argparse.Namespace) -> str | datetime:
    return getattr(args, "now", None) or datetime.now(timezone.utc)


def _build(args: argparse.Namespace, site_dir: Path) -> int:
    if args.out is not None and str(args.out).startswith("~"):
        raise SiteError(
            [
                Problem(
                    "--out",
                    0,
                    f"{str(args.out)!r} starts with a literal ~ (no shell expanded "
                    "it); write the folder's full path, e.g. $HOME/...",
                )
            ]
        )
    out_dir = Path(os.path.abspath(args.out or site_dir / "_site"))  # a/b/.. is a, never a folder named ..
    # The clock read once, to the second, so that notify --now last-build sees this very moment.
    now = args.now or iso(datetime.now(timezone.utc))
    report = build_site(site_dir, out_dir, now, args.jobs or default_workers(), args.cache)
    try:
        if args.cache:
            lastbuild.remember(site_dir, now)
        else:  # --no-cache writes no state; a moment left by an earlier build would be stale
            lastbuild.forget(site_dir)
    except OSError as error:
        report.warnings.append(
            Problem(
                str(lastbuild.LAST_BUILD_FILE), 0, f"cannot record this build's moment for notify: {error}"
            )
        )
    _print_warnings(report.warnings, args)
    _print_held(report.held)
    _print_warnings(report.unfinished, args)
    trees = ", ".join(f"{audience} ({count} files)" for audience, count in report.files.items())
    _print(
        f"Built {_count(report.incidents, 'incident')} and "
        f"{_count(report.maintenances, 'maintenance window')} into {out_dir}: {trees}; "
        f"{_count(report.changed, 'file')} new or changed, {report.removed} removed, "
        f"{report.unchanged} unchanged (mtime kept), "
        f"{_count(report.reused, 'page')} taken from the previous build; in {report.seconds:.2f} s"
    )
    return 0


def _check(args: argparse.Namespace, site_dir: Path) -> int:
    report = check_site(site_dir, _now(args), args.jobs or default_workers(), args.cache)
    _print_warnings(report.warnings, args)
    _print_held(report.held)
    if args.format == "github":
        for source, date in report.held:
            print(
                _annotation(
                    Problem(
                        source,
                        1,
                        f"dated {date.isoformat(timespec='minutes')}, after now: "
                        "held back until a build after that time",
                    ),
                    args.site,
                    "warning",
                )
            )
    _print(
        f"{site_dir}: no problems ({_count(report.incidents, 'incident')}, "
        f"{_count(report.maintenances, 'maintenance window')})"
    )
    return 0


def _serve(args: argparse.Namespace, site_dir: Path) -> int:
    from generator.serve.server import Preview, is_loopback

    last_problems: list[Problem] = []
    last_held: list[tuple[str, datetime]] = []

    def report(result: Rebuild) -> None:
        nonlocal last_problems, last_held
        if result.problems != last_problems:
            for problem in result.problems:
                _print(problem, file=sys.stderr, flush=True)
            last_problems = result.problems
        if result.held != last_held:
            _print_held([item for item in result.held if item not in last_held])
            last_held = result.held
        _print(result.describe(), flush=True)

    preview = Preview(site_dir, args.bind, args.port, args.now, args.jobs or default_workers(), report)
    try:
        report(preview.first)
        if not is_loopback(args.bind):
            _print(
                f"statusgen: warning: listening on {args.bind}: anyone who can reach it sees every "
                "audience's tree, restricted ones included",
                file=sys.stderr,
                flush=True,
            )
        if preview.watcher.note:
            _print(f"statusgen: {preview.watcher.note}", file=sys.stderr, flush=True)
        trees = ", ".join(f"{preview.url}{audience}/" for audience, _ in preview.live.audiences)
        _print(f"Serving {trees or preview.url} (Ctrl-C to stop)", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        preview.stop()
    _print("statusgen: stopped.", file=sys.stderr)
    return 0


def _new(args: argparse.Namespace, site_dir: Path) -> int:
    from generator.authoring.new import Request, check_written, create
    from generator.authoring.responder import drop_optional_prompts, responder

    request = Request(
        kind="maintenance" if args.kind == "maintenance" else "incident",
        incident_id=getattr(args, "incident_id", None),
        status=getattr(args, "status", None),
        title=args.title,
        impact=getattr(args, "impact", None),
        components=args.components,
        starts=getattr(args, "starts", None),
        ends=getattr(args, "ends", None),
        date=args.date,
        template=args.template,
        audience=args.audience,
        reopen=getattr(args, "reopen", False),
        amend=getattr(args, "amend", False),
        unapproved=args.unapproved,
        reason=args.reason,
        answers=_set_answers(args.set),
        keep_optional=args.edit,
    )
    if not args.edit and sys.stdin.isatty() and sys.stdout.isatty():
        request.ask, request.confirm = responder(site_dir, input, _print)
    written = create(site_dir, request, datetime.now(timezone.utc))
    path = written.path
    _print(path)
    for note in written.notes:
        _print(f"{path}: note: {note}", file=sys.stderr)
    if args.edit:
        _edit(path)
        drop_optional_prompts(path)  # optional prompts the writer left: gone with their lines
        check_written(path, site_dir)  # raises with what a build would say about the edited file
    elif has_prompt(path.read_text(encoding="utf-8")):
        _print(
            f"{path}: note: fill in the {TODO} ...] prompts or delete them; until then check "
            "fails on this file and build holds it back (publishes everything else)",
            file=sys.stderr,
        )
    return 0


def _set_answers(pairs: list[str]) -> dict[str, str]:
    """--set NAME=TEXT, each one; a pair without '=' is a mistake."""
    answers = {}
    for pair in pairs:
        name, equals, text = pair.partition("=")
        if not equals or not name.strip():
            raise SiteError(
                [Problem("--set", 0, f"{pair!r}: write NAME=TEXT, e.g. --set symptoms='slow logins'")]
            )
        answers[name.strip()] = text
    return answers


def _edit(path: Path) -> None:
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        _print(f"{path}: note: set $EDITOR to edit it from here; the file is written", file=sys.stderr)
        return
    try:
        subprocess.call([*shlex.split(editor), str(path)])
    except OSError as error:
        _print(
            f"{path}: note: could not start {editor!r} ({error.strerror}); the file is written",
            file=sys.stderr,
        )


def _approve(args: argparse.Namespace, site_dir: Path) -> int:
    from generator.authoring.approve import approve

    path = approve(site_dir, args.template, args.by, datetime.now(timezone.utc), args.role)
    _print(f"{path}: approved by {args.by.strip()}" + (f" for {args.role}" if args.role else ""))
    return 0


def _import(args: argparse.Namespace, site_dir: Path) -> int:
    from generator.importers.cstate import read_cstate
    from generator.importers.statuspage import read_statuspage
    from generator.importers.writer import import_batch

    if args.source_kind == "statuspage":
        batch = read_statuspage(args.source)
    else:
        batch = read_cstate(args.source.absolute())
    report = import_batch(site_dir, batch, args.force)
    for line in report.skipped:
        _print(f"{line}", file=sys.stderr)
    for line in report.notes:
        where, _, what = line.partition(": ")
        _print(f"{where}: note: {what}", file=sys.stderr)
    for path in report.forced:
        _print(f"{path}: replaced with the source's text (--force)", file=sys.stderr)
    _print(
        f"Imported from {batch.source}: {_count(report.incidents, 'new incident')}, "
        f"{_count(report.maintenances, 'new maintenance window')}, {_count(report.updates, 'new update')}"
        + (f", {_count(report.postmortems, 'postmortem')}" if report.postmortems else "")
        + f", {_count(len(report.components), 'new component')}"
        + (f" ({', '.join(report.components)})" if report.components else "")
        + f"; {report.changed} changed, {len(report.forced)} replaced, {report.unchanged} unchanged, "
        + (f"{report.kept} kept as edited here, " if report.kept else "")
        + f"{len(report.skipped)} skipped."
    )
    return 0


def _notify(args: argparse.Namespace, site_dir: Path) -> int:
    from generator.notify.record import RecordError, exclusive, load_record
    from generator.notify.run import plan_site, send

    path = Path(os.path.abspath(args.record or site_dir / RECORD_FILE))
    group: Group = args.group
    try:
        with nullcontext() if args.dry_run else exclusive(path):
            record = load_record(path)
            now = _now(args)
            if now == "last-build":
                try:
                    now = lastbuild.recall(site_dir)
                except LookupError as error:
                    raise SiteError([Problem("--now last-build", 0, str(error))]) from None
            notification = plan_site(
                site_dir, now, args.since, group, record, args.corrections, default_workers()
            )
            _print_warnings(notification.warnings, args)
            if args.dry_run:
                return _print_dry_run(notification)
            send(notification, record, args.since, os.environ)
    except RecordError as error:
        raise SiteError([Problem("--record", 0, f"{error}; nothing more was sent")]) from None
    return _notify_summary(notification)


def _print_dry_run(notification: Notification) -> int:
    for plan in notification.plans:
        _print_plan(plan)
    total = sum(len(plan.outbound) for plan in notification.plans)
    _print(
        f"Dry run: {_count(total, 'message')} for {_count(len(notification.plans), 'channel')}; "
        "nothing sent or recorded."
    )
    return 0


def _print_plan(plan: ChannelPlan) -> None:
    """One channel's messages, each line as it would go out (webhooks: the JSON body)."""
    needs = f" (reads ${{{'}, ${'.join(plan.channel.variables)}}})" if plan.channel.variables else ""
    _print(f"== {plan.audience.id} -> {plan.channel.label}{needs}: {_count(len(plan.outbound), 'message')}")
    for number, out in enumerate(plan.outbound, 1):
        _print(f"--- {number}/{len(plan.outbound)} {out.event.kind} {out.event.id}")
        lines = (
            json.dumps(out.payload, indent=2, ensure_ascii=False).splitlines()
            if out.payload is not None
            else [out.message.title, *out.message.body.splitlines()]
        )
        for line in lines:
            _print(line)
    if plan.edited:
        _print(
            f"({_count(plan.edited, 'sent message')} edited since; --corrections sends a corrected notice)"
        )


def _notify_summary(notification: Notification) -> int:
    failed = [plan for plan in notification.plans if plan.failure]
    for plan in notification.plans:
        if plan.sent:
            _print(f"{plan.audience.id} -> {plan.channel.label}: sent {_count(plan.sent, 'message')}")
        if plan.edited:
            _print(
                f"{_where(plan)}: note: {plan.audience.id} -> {plan.channel.label}: "
                f"{_count(plan.edited, 'message')} edited since sent, not resent (--corrections sends a "
                "corrected notice)",
                file=sys.stderr,
            )
    for plan in failed:
        _print(
            f"{_where(plan)}: notify failed: {plan.audience.id} -> {plan.channel.label}: "
            f"{plan.failure}; {_count(plan.waiting, 'message')} not sent, retried on the next run",
            file=sys.stderr,
        )
    sent = sum(plan.sent for plan in notification.plans)
    _print(
        f"Notified {_count(len(notification.plans) - len(failed), 'channel')} "
        f"({_count(sent, 'message')} sent)" + (f"; {len(failed)} failed." if failed else ".")
    )
    return 1 if failed else 0


def _where(plan: ChannelPlan) -> str:
    return f"site.yml:{plan.channel.line}"


def _init(args: argparse.Namespace) -> int:
    from generator.authoring.scaffold import init_site, installed_requirement

    written = init_site(args.dir.absolute(), args.title, datetime.now(timezone.utc), args.language)
    for path in written:
        _print(path)
    _, note = installed_requirement()
    if note:
        _print(f"{args.dir / 'requirements.txt'}: note: {note}", file=sys.stderr)
    _print(f"Created a status site in {args.dir}. Next: cd {shlex.quote(str(args.dir))} && statusgen build")
    return 0


def _annotation(problem: Problem, site: Path, level: str = "error") -> str:
    """A GitHub Actions workflow command that puts the problem on the pull request's diff."""

    def escape(text: str, properties: bool = False) -> str:
        text = log_line(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return text.replace(":", "%3A").replace(",", "%2C") if properties else text

    if not problem.line:
        return f"::{level} title=statusgen::{escape(problem.path + ': ' + problem.message)}"
    # GitHub wants paths relative to the repository (the workspace), wherever --site points.
    workspace = os.environ.get("GITHUB_WORKSPACE") or os.getcwd()
    path = os.path.relpath((site / problem.path).absolute(), workspace)
    return (
        f"::{level} file={escape(path, True)},line={problem.line},title=statusgen::{escape(problem.message)}"
    )


def _print_warnings(warnings: list[Problem], args: argparse.Namespace) -> None:
    """Setup mistakes that do not stop a build (a placeholder base_url, another statusgen in CI)."""
    for warning in warnings:
        if getattr(args, "format", "text") == "github":
            print(_annotation(warning, args.site, "warning"))
        _print(f"{warning.path}:{warning.line}: warning: {warning.message}", file=sys.stderr, flush=True)


def _print_held(held: list[tuple[str, datetime]]) -> None:
    """Updates dated in the future are valid (prepared in advance) but easy to do by mistake."""
    for source, date in held:
        _print(
            f"{source}: note: dated {date.isoformat(timespec='minutes')}, after now; "
            "held back until a build after that time",
            file=sys.stderr,
            flush=True,
        )


def _print(text: object, file: TextIO | None = None, flush: bool = False) -> None:
    """Every line the CLI prints: names and messages from the site's files or an imported page
    must never start a line of their own in a CI log (see errors.log_line)."""
    print(log_line(str(text)), file=file, flush=flush)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
