"""User-facing problems: every mistake in a site is a Problem, reported all at once."""

from __future__ import annotations

import difflib
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One mistake in the user's site, shown as ``path:line: message``."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        # Line 0: a problem with no file behind it, such as a command-line option.
        text = f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"
        return log_line(text)


# Characters a log would act on: line breaks, terminal escapes, bidi and other invisible format
# characters.
_INVISIBLE = ("Cc", "Cf", "Zl", "Zp")
# What a CI runner reads as a command: "##[" anywhere (GitHub's v1 syntax), "::" at the start of a
# line after spaces (v2: ::error::, ::add-mask::, ::stop-commands::).
_COMMAND = re.compile(r"##\[|^(\s*)::")


def log_line(text: str) -> str:
    """Text made safe to print as one line of a terminal or CI log.

    Names and messages come from the site's files (and imported pages): a file name with a
    newline must not start a line of its own, where GitHub Actions would run it as a workflow
    command. Such characters are shown as Python escapes (\\n, \\x1b, \\u202e), and ``##[`` or
    a leading ``::`` as ``#\\x23[`` and ``\\x3a:``. Escaping twice changes nothing.
    """
    if not text.isprintable():
        text = "".join(_escape(char) if unicodedata.category(char) in _INVISIBLE else char for char in text)
    return _COMMAND.sub(_defuse, text)


def _defuse(found: re.Match[str]) -> str:
    return "#\\x23[" if found.group() == "##[" else found.group(1) + "\\x3a:"


def _escape(char: str) -> str:
    code = ord(char)
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char)
    if named:
        return named
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


class SiteError(Exception):
    """Raised with every problem found; the CLI prints them and exits 1."""

    exit_code = 1

    def __init__(self, problems: Iterable[Problem]):
        # site.yml first: its mistakes often explain the others.
        self.problems = sorted(set(problems), key=lambda p: (p.path != "site.yml", p))
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self) -> tuple[type, tuple[list[Problem]]]:
        # Raised in worker processes too, and must survive the trip back.
        return (SiteError, (self.problems,))


class Problems:
    """Collects problems for one site so validation can go on after the first mistake."""

    def __init__(self, site_dir: Path):
        self.site_dir = site_dir
        self.items: list[Problem] = []
        # A path under the site starts so (not for "/" or "", where "//a" and "/a" would match).
        self._inside = (
            f"{site_dir}/" if os.sep == "/" and isinstance(site_dir, Path) and site_dir.name else None
        )

    def add(self, path: Path | str, line: int, message: str) -> None:
        self.items.append(Problem(self.display(path), line, message))

    def display(self, path: Path | str) -> str:
        """Show paths relative to the site directory, the way the user typed them."""
        if self._inside and isinstance(path, Path):  # every update's source: the quick way
            text = str(path)
            if text.startswith(self._inside):
                return text[len(self._inside) :]
        path = Path(path)
        try:
            return path.relative_to(self.site_dir).as_posix()
        except ValueError:
            return path.as_posix()

    def extend(self, problems: Iterable[Problem]) -> None:
        self.items.extend(problems)

    def raise_if_any(self) -> None:
        if self.items:
            raise SiteError(self.items)


def one_of(value: object, allowed: Iterable[str], what: str) -> str:
    """Compiler-style message for a value outside a closed set, with a suggestion."""
    allowed = list(allowed)
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    message = f"unknown {what} {shown}; expected one of {', '.join(allowed)}"
    if isinstance(value, str):
        close = difflib.get_close_matches(value, allowed, n=1)
        if close:
            message += f" (did you mean {close[0]!r}?)"
    return message
