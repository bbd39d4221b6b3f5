"""User-facing problems: every mistake in a site is a Problem, reported all at once."""

from __future__ import annotations

import difflib
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
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


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

    def add(self, path: Path | str, line: int, message: str) -> None:
        self.items.append(Problem(self.display(path), line, message))

    def display(self, path: Path | str) -> str:
        """Show paths relative to the site directory, the way the user typed them."""
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
