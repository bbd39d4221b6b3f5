"""Markdown bodies: split ``::: audience`` blocks, render each piece once, sanitize."""

from __future__ import annotations

import re
from dataclasses import dataclass

import markdown
import nh3

from generator.errors import one_of

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


def split_blocks(
    body: str, first_line: int, audiences: list[str]
) -> tuple[list[RawSegment], list[tuple[int, str]]]:
    """Split a body into audience segments; returns (segments, [(line, message)])."""
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

    for offset, line in enumerate(body.split("\n")):
        number = first_line + offset
        opening, closing = _OPEN.match(line), _CLOSE.match(line)
        if opening:
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
            current.append(line)
    if current_audience is not None:
        errors.append((opened_at, f"'::: {current_audience}' block is never closed; "
                                  "add a line ':::' after it"))
    flush(0)
    return segments, errors


def render_markdown(text: str) -> str:
    """Markdown to HTML with raw HTML sanitized (no scripts, handlers, styles, iframes)."""
    renderer = _renderer_for(text)
    renderer.reset()
    return nh3.clean(renderer.convert(text))


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
