"""Writing output trees: staging directory, safe paths, and an all-or-nothing swap."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from generator.errors import Problem

MARKER = ".statusgen-output"
_MARKER_TEXT = b"This folder is written by statusgen build; it replaces it whole on every build.\n"


def out_dir_problems(out_dir: Path) -> list[Problem]:
    """Refuse to replace a folder that statusgen did not make (a typo must not wipe files)."""
    if out_dir.is_symlink() or (out_dir.exists() and not out_dir.is_dir()):
        return [Problem(str(out_dir), 1, "output path exists and is not a folder; choose another --out")]
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MARKER).is_file():
        return [Problem(str(out_dir), 1, "output folder is not empty and was not made by statusgen; "
                                         "refusing to replace it (choose another --out or empty it)")]
    return []


def staging_dir(out_dir: Path) -> Path:
    """A fresh sibling of the output folder; a leftover from an interrupted build is removed."""
    staging = out_dir.parent / f".{out_dir.name}.staging"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    (staging / MARKER).write_bytes(_MARKER_TEXT)
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
    old = out_dir.parent / f".{out_dir.name}.old"
    if old.exists():
        shutil.rmtree(old)
    if out_dir.exists():
        os.replace(out_dir, old)
    os.replace(staging, out_dir)
    if old.exists():
        shutil.rmtree(old)


def discard(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)
