"""Unfinished updates: files that still have a message template's prompt (``[TODO: ...]``).

``check`` (the pull-request gate) fails on them. ``build`` publishes everything else and holds
them back, as if the files did not exist, with a warning for each: one responder's unfinished
file must not stop every other incident's updates. An incident that does not stand without its
unfinished files (an audience's earliest remaining update would not say what it is) is held back
whole.
"""

from __future__ import annotations

from pathlib import Path

from generator.config import SiteConfig
from generator.content import POSTMORTEM_NAME, Folder, load_folder
from generator.errors import Problem, Problems
from generator.markup import PROMPT
from generator.yamlsource import read_bytes


def hold_unfinished(
    folder: Folder, config: SiteConfig, site_dir: Path
) -> tuple[Folder | None, list[Problem]]:
    """The folder without its unfinished files (None: hold it all back), and a warning for each."""
    found = {path: line for path in folder.files if (line := _prompt_line(path))}
    if not found:
        return folder, []
    problems = Problems(site_dir)
    rest = tuple(path for path in folder.files if path not in found)
    whole = not _stands_without(folder, rest, config, site_dir)
    for path, line in found.items():
        problems.add(
            path,
            line,
            "unfinished: a template prompt is not answered; held back from every audience "
            + (f"with the whole {folder.kind}, as it opens it " if whole else "")
            + "(check fails on it): answer or delete the prompt, then build again",
        )
    return (None if whole else Folder(folder.kind, folder.id, folder.path, rest)), problems.items


def _prompt_line(path: Path) -> int:
    """The line of the file's first prompt; 0 if it has none (or cannot be read: the load says why)."""
    try:
        data = read_bytes(path)
    except OSError:
        return 0
    text = data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    match = PROMPT.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else 0


def _stands_without(folder: Folder, rest: tuple[Path, ...], config: SiteConfig, site_dir: Path) -> bool:
    """Does the item still make sense to every audience without its unfinished files (each
    audience's earliest remaining update says what it is)? If not, it is held back whole.

    Judged by loading what is left, so a restricted draft that opens its audience's view never
    hides the incident from audiences it does not concern.
    """
    if not any(path.name != POSTMORTEM_NAME for path in rest):
        return False
    item, problems = load_folder(
        Folder(folder.kind, folder.id, folder.path, rest), config, site_dir, render=lambda text: ""
    )
    return item is not None and not problems
