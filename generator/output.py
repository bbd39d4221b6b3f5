"""Writing output trees: staging directory, safe paths, and an all-or-nothing swap.

The swap is two renames: the output folder to ``.<name>.old``, then the staging folder to the
output folder. Signals wait until both are done, and a process killed between them (kill -9, a
crash, power loss) is repaired by the next build before it starts: while the output folder is
missing, ``.<name>.old`` is the previous output and is put back. The output path stays a plain
folder, so tools that publish it (upload-artifact, rsync, cp -r) see what they always saw.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

try:
    import fcntl
except ImportError:  # Windows: builds into one folder must not overlap
    fcntl = None  # type: ignore[assignment]

from generator.errors import Problem, SiteError

MARKER = ".statusgen-output"
_MARKER_TEXT = b"This folder is written by statusgen build; it replaces it whole on every build.\n"
# The site's own folders: an output inside one would be read back as input by the next build.
SOURCE_DIRS = ("content", "themes", ".statusgen-cache", ".git")
_DEFERRED = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class OutputError(OSError):
    """Writing a file of the output failed (a full disk, a read-only folder); kept apart from
    failures to read the site, and picklable, since worker processes write too."""


class Swapped(KeyboardInterrupt):
    """Interrupted just after the new output was swapped in: it is whole, and it is the new one."""


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
        for path in _work_dirs(out_dir)
        if not _ours_or_absent(path)
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


def _work_dirs(out_dir: Path) -> tuple[Path, Path]:
    """The staging folder a build writes, and where the previous output waits during the swap."""
    return out_dir.parent / f".{out_dir.name}.staging", out_dir.parent / f".{out_dir.name}.old"


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
    """Repair what a build killed in the middle of its swap left: put the previous output back.

    The output folder is missing only between the swap's two renames, when ``.old`` is the
    whole previous output. Done first thing, before a build can fail for another reason.
    """
    _, old = _work_dirs(out_dir)
    try:
        if not _interrupted_swap(out_dir):
            return
        with _locked(out_dir):  # a build still running finishes its swap first
            if _interrupted_swap(out_dir):
                os.replace(old, out_dir)
    except OSError:
        return  # the build reports what is wrong with the output folder


def _interrupted_swap(out_dir: Path) -> bool:
    staging, old = _work_dirs(out_dir)
    return not os.path.lexists(out_dir) and (old / MARKER).is_file() and staging.is_dir()


def staging_dir(out_dir: Path) -> Path:
    """A fresh sibling of the output folder; a leftover from an interrupted build is removed."""
    staging, _ = _work_dirs(out_dir)
    try:
        remove_tree(staging)
        staging.mkdir(parents=True)
        write_files(staging, {MARKER: _MARKER_TEXT}, out_dir)
    except (OSError, OutputError) as error:
        raise cannot_write(out_dir, error) from None
    return staging


@dataclass
class Written:
    """What writing a set of files did, against the previous output."""

    files: int = 0
    existed: int = 0  # files the previous output has too
    unchanged: int = 0  # of those, the ones with the same bytes: they keep the previous mtime

    def __add__(self, other: Written) -> Written:
        return Written(
            self.files + other.files, self.existed + other.existed, self.unchanged + other.unchanged
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
    """Write files under root. One whose bytes equal the same file under ``previous`` (the
    output being replaced) takes that file's mtime, so that rsync, S3 sync and CDN uploads,
    which compare size and mtime, skip it."""
    made: set[Path] = set()
    existed = unchanged = 0
    try:
        for uri, data in files.items():
            path = safe_path(root, uri)
            if path.parent not in made:
                path.parent.mkdir(parents=True, exist_ok=True)
                made.add(path.parent)
            with open(path, "xb") as handle:  # "x": two outputs may never claim one file
                handle.write(data)
            if previous is not None:
                same = _same_bytes(safe_path(previous, uri), data)
                existed += same is not None
                if same:
                    os.utime(path, ns=same)
                    unchanged += 1
    except FileExistsError:
        raise
    except OSError as error:
        raise OutputError(error.errno, error.strerror or str(error)) from None
    return Written(len(files), existed, unchanged)


def _same_bytes(old: Path, data: bytes) -> tuple[int, int] | None | Literal[False]:
    """The (atime, mtime) of old when it holds exactly data; False when it holds something
    else; None when there is no such file."""
    try:
        status = os.stat(old, follow_symlinks=False)
        if not stat.S_ISREG(status.st_mode):
            return None
        if status.st_size != len(data):
            return False
        with open(old, "rb") as handle:
            if handle.read() != data:
                return False
    except OSError:
        return None
    return status.st_atime_ns, status.st_mtime_ns


def take_files(previous: Path, root: Path, uris: list[str]) -> Written:
    """Put the previous output's files at ``uris`` into root unchanged (mtime included): linked
    when the file system allows (no file is ever changed in place, so sharing is safe), else
    copied."""
    made: set[str] = set()
    to, old_root = str(root), str(previous)
    try:
        for uri in uris:
            path = safe_join(to, uri)
            parent = os.path.dirname(path)
            if parent not in made:
                os.makedirs(parent, exist_ok=True)
                made.add(parent)
            old = safe_join(old_root, uri)
            try:
                os.link(old, path, follow_symlinks=False)
            except OSError as error:
                if error.errno == errno.EEXIST:
                    raise
                shutil.copy2(old, path, follow_symlinks=False)
    except OSError as error:
        raise OutputError(error.errno, error.strerror or str(error)) from None
    return Written(len(uris), len(uris), len(uris))


def count_files(root: Path) -> int:
    """Files of an output folder (0 when it is missing), its marker aside."""
    total = 0
    for _, _, names in os.walk(root):
        total += len(names)
    return total - (root / MARKER).is_file()


def swap_in(staging: Path, out_dir: Path) -> None:
    """Replace the output folder by the staging folder with two renames, signals held between."""
    _, old = _work_dirs(out_dir)
    try:
        remove_tree(old)  # a leftover: the output folder exists (recover() ran), so it is stale
        with _signals_held():
            if out_dir.exists():
                os.replace(out_dir, old)
            try:
                os.replace(staging, out_dir)
            except OSError:
                if old.exists():
                    os.replace(old, out_dir)  # put the previous output back
                raise
        remove_tree(old)
    except OSError as error:
        raise cannot_write(out_dir, error) from None


@contextmanager
def _signals_held() -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP wait until the block ends, then take effect as usual."""
    if threading.current_thread() is not threading.main_thread():
        yield  # Python runs signal handlers in the main thread only: nothing interrupts this one
        return
    caught: list[int] = []
    previous = {
        signum: signal.signal(signum, lambda signum, frame: caught.append(signum)) for signum in _DEFERRED
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
    hint = "; if it is a mount point, use a folder inside it as --out" if error.errno == errno.EBUSY else ""
    return SiteError([Problem(str(out_dir), 0, f"cannot write the output: {error.strerror or error}{hint}")])


def discard(staging: Path) -> None:
    try:
        remove_tree(staging)
    except OSError:
        pass  # the next build removes it
