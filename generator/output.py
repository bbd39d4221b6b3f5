"""Writing output trees: staging directory, safe paths, and an all-or-nothing publish.

A build writes into ``.<name>.staging`` only the files that are new or whose bytes changed;
files the previous output already holds as they should be are left where they are, untouched
(their mtime too, so rsync, S3 sync and CDN uploads skip them).

Publishing is all or nothing. The first build renames the staging folder to the output folder.
Later builds patch the output in place, under a journal: ``.<name>.journal`` lists the files to
put in and to drop, and each file replaced or dropped is first moved into ``.<name>.undo``.
Removing the journal is the commit. Signals wait until it is done, and a process killed before
it (kill -9, a crash, power loss) is rolled back by the next build before that build starts, so
the output folder is always the previous output or the new one, whole. A rebuild after one new
update moves a few dozen files instead of rewriting 20,000 (a 10,000-incident site). The output
path stays a plain folder, so tools that publish it (upload-artifact, rsync, cp -r) see what
they always saw.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import stat
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: builds into one folder must not overlap
    fcntl = None  # type: ignore[assignment]

from generator.errors import Problem, SiteError

MARKER = ".statusgen-output"
_MARKER_TEXT = b"This folder is written by statusgen build; it replaces it whole on every build.\n"
# The site's own folders: an output inside one would be read back as input by the next build.
SOURCE_DIRS = ("content", "themes", ".statusgen-cache", ".git")
# Ctrl-C, a cancelled CI job and a closed terminal: what stops a build (also parallel.py's workers).
STOPPING_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class OutputError(OSError):
    """Writing a file of the output failed (a full disk, a read-only folder); kept apart from
    failures to read the site, and picklable, since worker processes write too."""


class Swapped(KeyboardInterrupt):
    """Interrupted just after the new output was published: it is whole, and it is the new one."""


def out_dir_problems(out_dir: Path, site_dir: Path | None = None) -> list[Problem]:
    """Refuse to replace a folder that statusgen did not make (a typo must not wipe files)."""
    try:
        return _out_dir_problems(out_dir, site_dir)
    except OSError as error:  # e.g. a name too long for the file system
        return [Problem(str(out_dir), 0, f"cannot use this output folder: {error.strerror or error}")]


def _out_dir_problems(out_dir: Path, site_dir: Path | None) -> list[Problem]:
    inside = site_dir is not None and _source_of(out_dir, site_dir)
    if inside:
        return [
            Problem(
                str(out_dir),
                0,
                f"the output folder must not be {inside}: a build replaces it "
                "whole; choose another --out (default: _site in the site folder)",
            )
        ]
    if out_dir.is_symlink() or (out_dir.exists() and not out_dir.is_dir()):
        return [Problem(str(out_dir), 1, "output path exists and is not a folder; choose another --out")]
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MARKER).is_file():
        return [
            Problem(
                str(out_dir),
                1,
                "output folder is not empty and was not made by statusgen; "
                "refusing to replace it (choose another --out or empty it)",
            )
        ]
    return [
        Problem(
            str(path),
            1,
            "this folder is in the way of statusgen's own working folder and "
            "was not made by statusgen; move it or choose another --out",
        )
        for path in (_staging_path(out_dir), _patch_files(out_dir)[1])
        if not _ours_or_absent(path)
    ] + [
        Problem(
            str(journal),
            1,
            "this file is in the way of statusgen's own journal and was not written by "
            "statusgen; move it or choose another --out",
        )
        for journal in [_patch_files(out_dir)[0]]
        if os.path.lexists(journal) and _read_journal(journal) is None
    ]


def _source_of(out_dir: Path, site_dir: Path) -> str:
    """What of the site an output folder would replace or sit inside ('' when nothing)."""
    out = _real(out_dir)
    site = site_dir.resolve()
    if out == site or out in site.parents:
        return "the site folder or a folder holding it"
    for name in SOURCE_DIRS:
        if out == site / name or site / name in out.parents:
            return f"the site's {name}/ folder or inside it"
    return ""


def _real(path: Path) -> Path:
    """The path with every symbolic link in it resolved (the part that exists)."""
    return Path(os.path.abspath(path)).resolve()


def _ours_or_absent(path: Path) -> bool:
    if not os.path.lexists(path):
        return True
    return not path.is_symlink() and path.is_dir() and ((path / MARKER).is_file() or not any(path.iterdir()))


def _staging_path(out_dir: Path) -> Path:
    """The folder a build writes the new and changed files into."""
    return out_dir.parent / f".{out_dir.name}.staging"


def _patch_files(out_dir: Path) -> tuple[Path, Path]:
    """The journal of a patch in progress, and where the files it replaces or drops wait."""
    return out_dir.parent / f".{out_dir.name}.journal", out_dir.parent / f".{out_dir.name}.undo"


@contextmanager
def exclusive(out_dir: Path) -> Iterator[None]:
    """One build at a time per output folder: two would share (and wipe) one staging folder.

    Folders made for it are removed again when the build fails: a failed build writes nothing.
    """
    made: list[Path] = []
    try:
        made = [parent for parent in (out_dir.parent, *out_dir.parent.parents) if not parent.exists()]
        out_dir.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        _remove_empty(made)
        raise cannot_write(out_dir, error) from None
    try:
        with _locked(out_dir):
            yield
    except BaseException:
        _remove_empty(made)
        raise


@contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    """The lock is on the folder that holds the output (no lock file is left behind); it is
    released when the process ends, however it ends."""
    try:
        handle = os.open(out_dir.parent, os.O_RDONLY)
    except OSError as error:
        raise cannot_write(out_dir, error) from None
    try:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # closing releases the lock


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:  # deepest first
        try:
            folder.rmdir()
        except OSError:
            return  # not empty (another build uses it) or already gone


def recover(out_dir: Path) -> None:
    """Roll back what a build killed in the middle of publishing left: the previous output.
    Done first thing, before a build can fail for another reason."""
    journal, _ = _patch_files(out_dir)
    try:
        if not journal.exists():
            return
        with _locked(out_dir):  # a build still running finishes its publishing first
            if _read_journal(journal) is not None:
                _roll_back(out_dir)
    except OSError:
        return  # the build reports what is wrong with the output folder


def staging_dir(out_dir: Path) -> Path:
    """A fresh sibling of the output folder; a leftover from an interrupted build is removed."""
    staging = _staging_path(out_dir)
    try:
        remove_tree(staging)
        staging.mkdir(parents=True)
        write_files(staging, {MARKER: _MARKER_TEXT})
    except (OSError, OutputError) as error:
        raise cannot_write(out_dir, error) from None
    return staging


@dataclass
class Written:
    """What writing a set of files did, against the previous output."""

    files: int = 0
    existed: int = 0  # files the previous output has too
    unchanged: int = 0  # of those, the ones with the same bytes: left as they are (mtime kept)
    kept: list[str] = field(default_factory=list)  # their uris: not written, part of the new output

    def __add__(self, other: Written) -> Written:
        return Written(
            self.files + other.files,
            self.existed + other.existed,
            self.unchanged + other.unchanged,
            self.kept + other.kept,
        )


def safe_path(root: Path, uri: str) -> Path:
    """Join an output uri under root; anything that could escape the tree is a bug, not a page."""
    return Path(safe_join(str(root), uri))


def safe_join(root: str, uri: str) -> str:
    """safe_path for hot loops, on strings."""
    if "\\" in uri or any(part in ("..", ".", "") for part in uri.split("/")):
        raise ValueError(f"unsafe output path {uri!r}")
    return f"{root}/{uri}"


def write_files(root: Path, files: dict[str, bytes], previous: Path | None = None) -> Written:
    """Write files under root, but for those whose bytes equal the same file under ``previous``
    (the output being replaced): they stay there as they are (``Written.kept``)."""
    made: set[Path] = set()
    existed = 0
    kept = []
    try:
        for uri, data in files.items():
            path = safe_path(root, uri)
            if previous is not None:
                same = _same_bytes(safe_path(previous, uri), data)
                existed += same is not None
                if same:
                    kept.append(uri)
                    continue
            if path.parent not in made:
                path.parent.mkdir(parents=True, exist_ok=True)
                made.add(path.parent)
            with open(path, "xb") as handle:  # "x": two outputs may never claim one file
                handle.write(data)
    except FileExistsError:
        raise
    except OSError as error:
        raise OutputError(error.errno, error.strerror or str(error)) from None
    return Written(len(files), existed, len(kept), kept)


def _same_bytes(old: Path, data: bytes) -> bool | None:
    """Whether old holds exactly data; None when there is no such file."""
    try:
        status = os.stat(old, follow_symlinks=False)
        if not stat.S_ISREG(status.st_mode):
            return None
        if status.st_size != len(data):
            return False
        with open(old, "rb") as handle:
            return handle.read() == data
    except OSError:
        return None


def survey(out_dir: Path) -> tuple[list[str], bool]:
    """Every entry of an output folder that is not a folder, as sorted uris, and whether all of
    them are plain files. A symbolic link (to a file or a folder) is listed and never followed:
    a build neither reads through it nor writes through it; it drops it."""
    found: list[str] = []
    plain = True
    pending = [("", str(out_dir))] if out_dir.is_dir() and not out_dir.is_symlink() else []
    while pending:
        prefix, folder = pending.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                uri = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    pending.append((uri + "/", entry.path))
                    continue
                found.append(sys.intern(uri))  # one string with the page ledger's (incremental.py)
                plain = plain and entry.is_file(follow_symlinks=False)
    return sorted(found), plain


def publish(staging: Path, out_dir: Path, kept: set[str], existing: list[str]) -> None:
    """Make the output folder the staging folder's files plus ``kept`` (uris the output folder
    already holds as the new output has them); all or nothing. ``existing``: survey(out_dir)."""
    if not out_dir.is_dir():  # the first build: the staging folder becomes the output
        try:
            os.replace(staging, out_dir)
        except OSError as error:
            raise cannot_write(out_dir, error) from None
        return
    journal, undo = _patch_files(out_dir)
    try:
        remove_tree(undo)  # a leftover of a committed patch (recover() rolled back any other)
        put = [uri for uri in _files(staging) if uri != MARKER or MARKER not in existing]
        wanted = kept.union(put, [MARKER])
        drop = [uri for uri in existing if uri not in wanted]
        # The files put in that take the place of one: kept in .undo until the commit.
        before = set(existing)
        replace = [uri for uri in put if uri in before]
        if put or drop:
            undo.mkdir()
            write_files(undo, {MARKER: _MARKER_TEXT})  # recognisably statusgen's, like staging
            with _signals_held():  # from the journal on, Ctrl-C waits for the commit or roll-back
                try:
                    _write_journal(journal, undo, {"put": put, "replace": replace, "drop": drop})
                    for uri in drop:
                        _move(out_dir, undo, uri)
                    _remove_empty_parents(out_dir, drop)
                    replaced = set(replace)
                    for uri in put:
                        if uri in replaced:  # a second name for it: readers never find the file missing
                            _link(out_dir, undo, uri)
                        _move(staging, out_dir, uri)
                    journal.unlink()  # the commit
                except BaseException:
                    _roll_back_or_leave(out_dir)
                    raise
        remove_tree(undo)
        remove_tree(staging)
    except OSError as error:
        if os.path.lexists(journal):
            raise SiteError(
                [
                    Problem(
                        str(out_dir),
                        0,
                        f"cannot write the output: {error.strerror or error}; it is left half "
                        "published, and the next build puts the previous output back first",
                    )
                ]
            ) from None
        raise cannot_write(out_dir, error) from None


def _roll_back_or_leave(out_dir: Path) -> None:
    try:
        _roll_back(out_dir)
    except OSError:
        pass  # the journal stays: the next build rolls back first


def _plain_path(top: str, uri: str) -> bool:
    """Whether no folder on the way to uri is a symbolic link (which a drop has not moved yet)."""
    parts = uri.split("/")[:-1]
    return not any(os.path.islink(safe_join(top, "/".join(parts[: n + 1]))) for n in range(len(parts)))


def _is_dir(top: str, uri: str) -> bool:
    return stat.S_ISDIR(os.lstat(safe_join(top, uri)).st_mode)


def _files(root: Path) -> list[str]:
    """Every file under one of statusgen's own folders, as sorted uris."""
    return survey(root)[0]


def _move(source_root: Path, target_root: Path, uri: str) -> None:
    target = safe_join(str(target_root), uri)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    os.replace(safe_join(str(source_root), uri), target)


def _link(source_root: Path, target_root: Path, uri: str) -> None:
    """A second name for a file (the link itself, for a symbolic link); a copy where the file
    system has no hard links."""
    source, target = safe_join(str(source_root), uri), safe_join(str(target_root), uri)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError as error:
        if error.errno == errno.EEXIST:
            raise
        shutil.copy2(source, target, follow_symlinks=False)


def _remove_empty_parents(root: Path, uris: list[str]) -> None:
    """Folders that dropping files emptied (a file may take a folder's place, or the reverse)."""
    folders = {os.path.dirname(uri) for uri in uris} - {""}
    for folder in sorted(folders, key=lambda f: f.count("/"), reverse=True):
        while folder:
            try:
                os.rmdir(safe_join(str(root), folder))
            except OSError:
                break  # not empty, or gone
            folder = os.path.dirname(folder)


def _write_journal(journal: Path, undo: Path, plan: dict[str, list[str]]) -> None:
    """Written in .undo (a folder this build made, so no one else's file is ever opened), then
    renamed into place whole."""
    scratch = undo / ".journal"
    with open(scratch, "x", encoding="utf-8") as handle:
        json.dump({"statusgen": "output journal", **plan}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(scratch, journal)


def _roll_back(out_dir: Path) -> None:
    """Undo a patch that did not commit: each file that replaced one gives its place back, each
    new file goes, each dropped file comes back. Safe to repeat, should it be cut short too."""
    journal, undo = _patch_files(out_dir)
    plan = _read_journal(journal)
    if plan is None:
        return  # not statusgen's: the build refuses to touch it (out_dir_problems)
    top, kept_aside = str(out_dir), str(undo)
    replaced = set(plan["replace"])
    for uri in plan["put"]:
        if uri in replaced:
            if os.path.lexists(safe_join(kept_aside, uri)):
                _move(undo, out_dir, uri)  # atomic over the new file
        elif _plain_path(top, uri) and os.path.lexists(safe_join(top, uri)) and not _is_dir(top, uri):
            os.unlink(safe_join(top, uri))  # it was moved in (before, a folder or nothing was there)
    _remove_empty_parents(out_dir, plan["put"])  # a folder made for them may stand where a file was
    for uri in plan["drop"]:
        if os.path.lexists(safe_join(kept_aside, uri)):
            _move(undo, out_dir, uri)
    journal.unlink()
    remove_tree(undo)


def _read_journal(journal: Path) -> dict[str, list[str]] | None:
    """A patch's journal; None when there is none, or the file there is not one of ours."""
    try:
        if journal.is_symlink():
            return None
        plan = json.loads(journal.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(plan, dict) or plan.get("statusgen") != "output journal":
        return None
    keys = ("put", "replace", "drop")
    lists = [plan.get(key) for key in keys]
    if not all(isinstance(uris, list) and all(_safe_uri(u) for u in uris) for uris in lists):
        return None
    return {key: plan[key] for key in keys}


def _safe_uri(uri: object) -> bool:
    return isinstance(uri, str) and "\\" not in uri and all(p not in ("..", ".", "") for p in uri.split("/"))


@contextmanager
def _signals_held() -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP wait until the block ends, then take effect as usual."""
    if threading.current_thread() is not threading.main_thread():
        yield  # Python runs signal handlers in the main thread only: nothing interrupts this one
        return
    caught: list[int] = []
    previous = {
        signum: signal.signal(signum, lambda signum, frame: caught.append(signum))
        for signum in STOPPING_SIGNALS
    }
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
    try:
        for signum in caught:
            signal.raise_signal(signum)
    except KeyboardInterrupt:
        raise Swapped from None


def remove_tree(path: Path) -> None:
    """Remove one of statusgen's folders, its marker last: a removal cut short leaves a folder
    that is still recognisably statusgen's, never one a later build refuses to touch."""
    if not os.path.lexists(path):
        return
    if path.is_symlink():
        path.unlink()  # never followed: what it points to is not statusgen's
        return
    for child in path.iterdir():
        if child.name != MARKER:
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    (path / MARKER).unlink(missing_ok=True)
    path.rmdir()


def cannot_write(out_dir: Path, error: OSError) -> SiteError:
    mount_point = error.errno in (errno.EBUSY, errno.EXDEV)
    hint = "; if it is a mount point, use a folder inside it as --out" if mount_point else ""
    return SiteError([Problem(str(out_dir), 0, f"cannot write the output: {error.strerror or error}{hint}")])


def discard(out_dir: Path) -> None:
    """Remove a failed build's staging folder, unless a half-done publish still needs it."""
    staging = _staging_path(out_dir)
    if os.path.lexists(_patch_files(out_dir)[0]):
        return
    try:
        remove_tree(staging)
    except OSError:
        pass  # the next build removes it
