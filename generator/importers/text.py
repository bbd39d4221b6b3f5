"""Bodies written for another status page, converted so statusgen shows them the same way.

Statuspage and cState (Hugo's CommonMark) differ from our Markdown in a few ways that change
what readers see: bare URLs are links there, a list may follow a paragraph line directly,
nested lists may be indented by two spaces, and Statuspage keeps every line break. Text that
would mean something else here is neutralised: a line starting with ``:::`` (our audience
marker), a ``[TODO:`` prompt (which check refuses), control characters, and ``<`` that does not
open an HTML tag (the sanitizer would swallow the text after it).
"""

from __future__ import annotations

import html
import re

import nh3

from generator.markup import PROMPT, defuse_marker, looks_like_marker
from generator.yamlsource import CONTROL_CHARACTERS, normalise_line_ends

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_LIST_ITEM = re.compile(r"^( *)([-*+]|\d{1,9}[.)])[ \t]+\S")
_HEADING = re.compile(r"^ {0,3}#{1,6}(\s|$)")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
_KEEP = re.compile(
    r"<(?:!--|(?:https?|ftp)://[^<>\s]*>|mailto:[^<>\s]*>|/?([A-Za-z][A-Za-z0-9]*)(?:\s[^<>]*)?/?>)",
    re.IGNORECASE,
)
_URL = re.compile(r"(?<![\w<\[\"'=>/`@])(?<!\]\()(?:https?://|www\.)[^\s<>\"'`\[\]]+", re.IGNORECASE)
_KNOWN_TAGS = frozenset(nh3.ALLOWED_TAGS)
_ZERO_WIDTH = "\u200b"  # keeps a [TODO: prompt in code from reading as one


def without_controls(text: str) -> str:
    """Text from another system with the control characters our files may not carry taken out."""
    return CONTROL_CHARACTERS.sub("", text)


def convert(text: str, hard_breaks: bool) -> str:
    """Convert a body; ``hard_breaks``: every line break shows (Statuspage), else CommonMark."""
    text = without_controls(normalise_line_ends(text)).strip("\n")
    lines = text.split("\n")
    out: list[str] = []
    fence: str | None = None
    in_list = False
    for index, line in enumerate(lines):
        opening = _FENCE.match(line)
        if fence is not None:
            if _closes(fence, line):
                out.append(fence)  # exactly the opening fence: Python-Markdown closes on no other
                fence = None
            else:
                out.append(_code_line(line))
            continue
        if opening:
            fence = opening.group(1)
            out.append(line.lstrip(" "))
            continue
        item = _LIST_ITEM.match(line)
        if not line.strip():
            in_list = False
        elif item:
            if not in_list and out and out[-1].strip():
                out.append("")  # CommonMark lets a list interrupt a paragraph; ours needs a gap
            in_list = True
            if 0 < len(item.group(1)) < 4:
                line = "    " + line.lstrip(" ")  # a nested item: four spaces here, two there
        line = _prose_line(line)
        if hard_breaks and line.strip() and not _HEADING.match(line) and _continues(lines, index):
            line = line.rstrip() + "  "
        out.append(line)
    if fence is not None:
        out.append(fence)  # CommonMark runs an unclosed fence to the end; ours needs the closer
    return "\n".join(_marker_free_code(out)).rstrip() + "\n"


def _closes(fence: str, line: str) -> bool:
    """A CommonMark closing fence: the same character, at least as many, nothing after."""
    return bool(re.fullmatch(rf" {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*", line))


def _marker_free_code(lines: list[str]) -> list[str]:
    """Fenced code blocks holding a line that reads as an audience marker, as raw HTML.

    A marker-like line is an error anywhere, code included, and inside a fence nothing can
    escape it; in HTML an entity can (``&#58;::``), and the reader sees the same code.
    """
    out: list[str] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        closer = next(
            (j for j in range(index + 1, len(lines)) if opening and lines[j] == opening.group(1)), None
        )
        if opening is None or closer is None:
            out.append(lines[index])
            index += 1
            continue
        code = lines[index + 1 : closer]
        if any(looks_like_marker(line) for line in code):
            shown = [
                defuse_marker(html.escape(line, quote=False))
                if looks_like_marker(line)
                else html.escape(line, quote=False)
                for line in code
            ]
            out.extend(["", "<pre><code>" + "\n".join(shown) + "</code></pre>", ""])
        else:
            out.extend(lines[index : closer + 1])
        index = closer + 1
    return out


def _continues(lines: list[str], index: int) -> bool:
    """Is the next line part of the same paragraph (so a break between them must show)?"""
    if index + 1 >= len(lines):
        return False
    following = lines[index + 1]
    return bool(following.strip()) and not _LIST_ITEM.match(following) and not _FENCE.match(following)


def _code_line(line: str) -> str:
    return PROMPT.sub(lambda m: m.group(0)[:5] + _ZERO_WIDTH + m.group(0)[5:], line)


def _prose_line(line: str) -> str:
    if looks_like_marker(line):
        line = defuse_marker(line)
    parts = _CODE_SPAN.split(line)
    spans = [m.group(0) for m in _CODE_SPAN.finditer(line)]
    # split() with a group returns the text between spans and each span's backticks: rebuild.
    texts = parts[::2]
    result = []
    for number, piece in enumerate(texts):
        result.append(_prose(piece))
        if number < len(spans):
            result.append(spans[number])
    return "".join(result)


def _prose(text: str) -> str:
    text = PROMPT.sub(lambda m: "&#91;" + m.group(0)[1:], text)
    text = re.sub("<", _angle, text)
    return _URL.sub(_autolink, text)


def _angle(match: re.Match[str]) -> str:
    """Keep a real HTML tag (one the sanitizer allows), a comment or an autolink; escape the rest."""
    kept = _KEEP.match(match.string, match.start())
    if kept and (kept.group(1) is None or kept.group(1).lower() in _KNOWN_TAGS):
        return "<"
    return "&lt;"


def _autolink(match: re.Match[str]) -> str:
    url = match.group(0)
    trailing = ""
    while url and (url[-1] in ".,;:!?*_'" or (url[-1] == ")" and url.count(")") > url.count("("))):
        url, trailing = url[:-1], url[-1] + trailing
    if "://" not in url:
        if "." not in url[4:]:
            return match.group(0)
        return f"[{url}](https://{url}){trailing}"
    return f"<{url}>{trailing}"
