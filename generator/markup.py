"""Markdown bodies: split ``::: audience`` blocks, render each piece once, sanitize."""

from __future__ import annotations

import re
from dataclasses import dataclass

import markdown
import nh3

from generator.errors import one_of

# Message templates mark what the writer must fill in; an update still carrying one is an error.
TODO = "[TODO:"
_OPEN = re.compile(r"^:::[ \t]*([^\s:]+)[ \t]*$")
_CLOSE = re.compile(r"^:::[ \t]*$")
_EXTENSIONS = ("tables", "fenced_code", "sane_lists")
# Python-Markdown's extensions and processors that can only act on a text containing one of
# these strings. Leaving out those that cannot match gives the same HTML much faster (most
# incident updates are plain prose), so each text is rendered by a Markdown set up for it.
_TRIGGERS: dict[str, tuple[str, ...]] = {
    "tables": ("|",),
    "fenced_code": ("```", "~~~"),
    "html_block": ("<",),
    "backtick": ("`",),
    "escape": ("\\",),
    "reference": ("[",),
    "link": ("[",),
    "short_reference": ("[",),
    "image_link": ("![",),
    "image_reference": ("![",),
    "short_image_ref": ("![",),
    "autolink": ("<",),
    "automail": ("<",),
    "html": ("<",),
    "linebreak": (" \n", "\t\n"),
    "entity": ("&",),
    "em_strong": ("*", "_"),
    "em_strong2": ("_",),
    "not_strong": ("*", "_"),
}
_renderers: dict[frozenset[str], markdown.Markdown] = {}


@dataclass(frozen=True)
class RawSegment:
    audience: str | None  # None: everyone
    text: str
    line: int  # first line of the text in the file


_FENCE = re.compile(r"^(~{3,}|`{3,})")
_MARKER_HELP = "write audience markers alone at the start of a line: '::: <audience>' and ':::'"


def split_blocks(
    body: str, first_line: int, audiences: list[str]
) -> tuple[list[RawSegment], list[tuple[int, str]]]:
    """Split a body into audience segments; returns (segments, [(line, message)]).

    Fails closed: a line that looks like a marker but is not exactly one (indented, quoted,
    more colons, odd spaces, inside a fenced code block) is an error, never public text.
    """
    lines = body.split("\n")
    code_lines = _fenced_code_lines(lines)
    segments: list[RawSegment] = []
    errors: list[tuple[int, str]] = []
    current: list[str] = []
    current_audience: str | None = None
    current_start = opened_at = first_line

    def flush(next_start: int) -> None:
        nonlocal current, current_start
        if "".join(current).strip():
            segments.append(RawSegment(current_audience, "\n".join(current), current_start))
        current, current_start = [], next_start

    for index, line in enumerate(lines):
        number = first_line + index
        if not line.lstrip().lstrip(">").lstrip().startswith(":::"):
            current.append(line)
            continue
        stripped = line.rstrip()
        opening, closing = _OPEN.match(stripped), _CLOSE.match(stripped)
        if index in code_lines:
            errors.append((number, f"audience marker inside the fenced code block opened on line "
                                   f"{first_line + code_lines[index]}; {_MARKER_HELP}, outside code"))
        elif opening:
            name = opening.group(1)
            if current_audience is not None:
                errors.append((number, f"'::: {name}' inside the '::: {current_audience}' block opened "
                                       f"on line {opened_at}; blocks cannot nest, close it with ':::' first"))
                continue
            if name not in audiences:
                errors.append((number, one_of(name, audiences, "audience")))
            flush(number + 1)
            current_audience, opened_at = name, number
        elif closing:
            if current_audience is None:
                errors.append((number, "':::' closes no block; open one with '::: <audience>'"))
                continue
            flush(number + 1)
            current_audience = None
        else:
            errors.append((number, f"not an audience marker: {stripped[:40]!r}; {_MARKER_HELP}"))
    if current_audience is not None:
        errors.append((opened_at, f"'::: {current_audience}' block is never closed; "
                                  "add a line ':::' after it"))
    flush(0)
    return segments, errors


def _fenced_code_lines(lines: list[str]) -> dict[int, int]:
    """Index of each line inside a closed fenced code block -> index of its opening fence."""
    inside: dict[int, int] = {}
    index = 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if fence:
            closer = next((j for j in range(index + 1, len(lines))
                           if lines[j].rstrip(" ") == fence.group(1)), None)
            if closer is not None:  # an unclosed fence is no code block in Markdown either
                inside.update((j, index) for j in range(index + 1, closer))
                index = closer
        index += 1
    return inside


def render_markdown(text: str) -> str:
    """Markdown to HTML with raw HTML sanitized (no scripts, handlers, styles, iframes)."""
    renderer = _renderer_for(text)
    renderer.reset()
    return _outline_headings(_IMG_WITHOUT_ALT.sub(r'\g<0> alt=""', nh3.clean(renderer.convert(text))))


# An image written as raw HTML without alt text is treated as decorative (HTML requires an alt).
_IMG_WITHOUT_ALT = re.compile(r"<img\b(?![^>]*\balt=)")


# Bodies sit under the page's h1 and an h2 ("Updates", "Postmortem"): their headings start at h3.
_HEADING = re.compile(r"<(/?)h([1-6])\b")
_TOP_LEVEL = 3


def _outline_headings(html: str) -> str:
    """Renumber headings from h3 down, never skipping a level (valid outline whatever was written).

    The first heading becomes h3; a deeper heading goes one level below its parent, a heading at
    the same or a higher written level takes the level its written peer got.
    """
    parents: list[tuple[int, int]] = []  # (written level, page level) of the open headings
    closing: list[int] = []

    def renumber(match: re.Match[str]) -> str:
        if match.group(1):  # closing tag: same level as the heading it closes
            return f"</h{closing.pop()}"
        written = int(match.group(2))
        while parents and parents[-1][0] >= written:
            parents.pop()
        level = min(6, parents[-1][1] + 1 if parents else _TOP_LEVEL)
        parents.append((written, level))
        closing.append(level)
        return f"<h{level}"

    return _HEADING.sub(renumber, html)


def _renderer_for(text: str) -> markdown.Markdown:
    """Markdown with every extension, minus the processors that cannot match this text."""
    idle = frozenset(name for name, triggers in _TRIGGERS.items()
                     if not any(trigger in text for trigger in triggers))
    renderer = _renderers.get(idle)
    if renderer is None:
        renderer = markdown.Markdown(
            extensions=[name for name in _EXTENSIONS if name not in idle], output_format="html")
        for registry in (renderer.inlinePatterns, renderer.preprocessors):
            for name in idle:
                if name in registry:
                    registry.deregister(name)
        _renderers[idle] = renderer
    return renderer
