"""Writing output trees: staging directory, safe paths, and an all-or-nothing swap."""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: builds into one folder must not overlap
    fcntl = None  # type: ignore[assignment]

from generator.errors import Problem, SiteError

MARKER = ".statusgen-output"
_MARKER_TEXT = b"This folder is written by statusgen build; it replaces it whole on every build.\n"


def out_dir_problems(out_dir: Path) -> list[Problem]:
    """Refuse to replace a folder that statusgen did not make (a typo must not wipe files)."""
    if out_dir.is_symlink() or (out_dir.exists() and not out_dir.is_dir()):
        return [Problem(str(out_dir), 1, "output path exists and is not a folder; choose another --out")]
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MARKER).is_file():
        return [Problem(str(out_dir), 1, "output folder is not empty and was not made by statusgen; "
                                         "refusing to replace it (choose another --out or empty it)")]
    return [Problem(str(path), 1, "this folder is in the way of statusgen's own working folder and "
                                  "was not made by statusgen; move it or choose another --out")
            for path in _work_dirs(out_dir) if path.exists() and not (path / MARKER).is_file()]


def _work_dirs(out_dir: Path) -> tuple[Path, Path]:
    """The staging folder a build writes, and where the previous output waits during the swap."""
    return out_dir.parent / f".{out_dir.name}.staging", out_dir.parent / f".{out_dir.name}.old"


@contextmanager
def exclusive(out_dir: Path) -> Iterator[None]:
    """One build at a time per output folder: two would share (and wipe) one staging folder.

    The lock is on the folder that holds the output (no lock file is left behind); it is
    released when the process ends, however it ends.
    """
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(out_dir.parent, os.O_RDONLY)
    except OSError as error:
        raise _cannot_write(out_dir, error) from None
    try:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # closing releases the lock


def staging_dir(out_dir: Path) -> Path:
    """A fresh sibling of the output folder; a leftover from an interrupted build is removed."""
    staging, _ = _work_dirs(out_dir)
    try:
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir(parents=True)
        (staging / MARKER).write_bytes(_MARKER_TEXT)
    except OSError as error:
        raise _cannot_write(out_dir, error) from None
    return staging


def safe_path(root: Path, uri: str) -> Path:
    """Join an output uri under root; anything that could escape the tree is a bug, not a page."""
    parts = uri.split("/")
    if any(part in ("..", ".", "") or "\\" in part for part in parts):
        raise ValueError(f"unsafe output path {uri!r}")
    return root.joinpath(*parts)


def write_files(root: Path, files: dict[str, bytes]) -> int:
    made: set[Path] = set()
    for uri, data in files.items():
        path = safe_path(root, uri)
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        with open(path, "xb") as handle:  # "x": two outputs may never claim one file
            handle.write(data)
    return len(files)


def swap_in(staging: Path, out_dir: Path) -> None:
    """Replace the output folder by the staging folder with two renames."""
    _, old = _work_dirs(out_dir)
    try:
        if old.exists():
            shutil.rmtree(old)
        if out_dir.exists():
            os.replace(out_dir, old)
        try:
            os.replace(staging, out_dir)
        except OSError:
            if old.exists():
                os.replace(old, out_dir)  # put the previous output back
            raise
        if old.exists():
            shutil.rmtree(old)
    except OSError as error:
        raise _cannot_write(out_dir, error) from None


def _cannot_write(out_dir: Path, error: OSError) -> SiteError:
    hint = "; if it is a mount point, use a folder inside it as --out" if error.errno == errno.EBUSY else ""
    return SiteError([Problem(str(out_dir), 0, f"cannot write the output: {error.strerror or error}{hint}")])


def discard(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)
