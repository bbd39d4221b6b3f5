"""Markdown bodies: split ``::: audience`` blocks, render each text, sanitize last."""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as etree
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser
from urllib.parse import urljoin

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from generator.errors import one_of

# Message templates mark what the writer must fill in; an update still carrying one is an error.
TODO = "[TODO:"
# Every form a prompt takes: [TODO: ...], named [TODO(symptoms): ...], optional [TODO?: ...] and
# [TODO(symptoms)?: ...] (see generator/authoring/prompts.py). Any of them left is unfinished.
PROMPT = re.compile(r"\[TODO(?:\([^()\[\]\n]*\))?\??:")


def has_prompt(text: str) -> bool:
    return PROMPT.search(text) is not None


_OPEN = re.compile(r"^:::[ \t]*([^\s:]+(?:[ \t]+[^\s:]+)*)[ \t]*$")
_CLOSE = re.compile(r"^:::[ \t]*$")
# What may stand before ':::' on a line that is still taken as meant for a marker: spaces, quote
# markers, list bullets and numbers. Checked on the line folded by _fold (invisible characters
# gone, look-alike colons made plain), so no such character can hide a marker from us.
_MARKER_LIKE = re.compile(r"^(?:\s|>|[-*+\u2022\u00b7]|\d{1,9}[.)])*:::")
# Characters that look like a colon: Unicode's confusables for ':' (UTS #39) and other two-dot
# marks (NFKC already folds the full-width and small forms).
_COLON_LIKES = str.maketrans(
    {
        c: ":"
        for c in (
            "\u0589\u05c3\u0703\u0704\u0903\u0a83\u1361\u1365\u16ec\u17d6\u1803\u1804\u1809\u205a"
            "\u205d\u2236\u2982\u02d0\u02f8\ua4fd\ua6f4\ua789\ufe30\ufe13"
        )
    }
)
# An opening marker mistyped (':: strategic', ';;; strategic') or written with characters we do
# not know: a short token with no ASCII letter or digit, then an audience id. (A closing ':::'
# mistyped alone cannot leak: a block needs an opener, and a valid one left unclosed is an error.)
_STRANGE_OPENER = re.compile(
    r"^(?:\s|>|[-*+\u2022\u00b7]|\d{1,9}[.)])*([^\sA-Za-z0-9]{1,8})\s*([^\s]+(?:\s+[^\s]+){0,7})\s*$"
)
# Unicode's Default_Ignorable_Code_Point ranges, and characters that render as nothing.
_IGNORABLE = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
    (0x2800, 0x2800),
    (0x1D159, 0x1D159),
)
_EXTENSIONS = ("tables", "fenced_code", "sane_lists")
# Limits that keep any body's rendering within a second or two (Python-Markdown slows down
# sharply on some inputs): see README, "Limits".
MAX_BODY_CHARS = 64_000
MAX_NESTING = 16  # list and quote levels on one line
MAX_BLOCK_LINES = 1_000  # lines between blank lines: some block processors rescan them all
_BRACKET_BUDGET = 1_500_000  # characters Python-Markdown scans for the ends of '[', '(' and '<'
# Python-Markdown's extensions and processors that can only act on a text containing one of
# these strings (or matching one of these patterns). Leaving out those that cannot match gives
# the same HTML much faster (most incident updates are plain prose), so each text is rendered
# by a Markdown set up for it. Triggers are looked for in the text as Python-Markdown's first
# step leaves it (_normalized), and stay true inside lists and quotes, whose blocks are parsed
# again without their indentation or '>' (so no pattern is anchored to a line's start).
_Trigger = str | re.Pattern[str]
_TRIGGERS: dict[str, tuple[_Trigger, ...]] = {
    "tables": ("|",),
    "fenced_code": ("```", "~~~"),
    "html_block": ("<", "&"),  # its HTML parser also completes character references: '&#1'
    "backtick": ("`",),
    "escape": ("\\",),
    "reference": ("]:",),  # [text][id] and [id] are links only with a definition: '[id]: url'
    "link": ("[",),
    "short_reference": ("]:",),
    "image_link": ("![",),
    "image_reference": ("]:",),
    "short_image_ref": ("]:",),
    "autolink": ("<",),
    "automail": ("<",),
    "html": ("<",),
    "linebreak": ("  \n",),
    "entity": ("&",),
    "em_strong": ("*", "_"),
    "em_strong2": ("_",),
    "not_strong": ("*", "_"),
    # Block processors (Python-Markdown's names, which some inline patterns share: prefixed).
    "block:code": ("    ",),  # a code block or a list item's indented continuation
    "block:indent": ("    ",),
    "block:hashheader": ("#",),
    "block:setextheader": (re.compile(r"\n[ >]*[=-]+ *(?:\n|$)"),),  # 'Title' over '===' or '---'
    "block:hr": (re.compile(r"-[ ]{0,2}-[ ]{0,2}-|_[ ]{0,2}_[ ]{0,2}_|\*[ ]{0,2}\*[ ]{0,2}\*"),),
    "block:olist": (re.compile(r"\d\. "),),  # any decimal digit, as Python-Markdown reads them
    "block:ulist": ("* ", "+ ", "- "),
    "block:quote": (">",),
    "block:reference": ("]:",),
}
_EVERY_TRIGGER = tuple(dict.fromkeys(t for triggers in _TRIGGERS.values() for t in triggers))  # each once
_CHARACTERS = tuple(t for t in _EVERY_TRIGGER if isinstance(t, str) and len(t) == 1)
_STRINGS = tuple(t for t in _EVERY_TRIGGER if isinstance(t, str) and len(t) > 1)
_PATTERNS = tuple(t for t in _EVERY_TRIGGER if not isinstance(t, str))
_renderers: dict[frozenset[str], markdown.Markdown] = {}


@dataclass(frozen=True)
class RawSegment:
    """A stretch of body text and the blocks it sits in; who may read it is audience.py's call."""

    levels: tuple[tuple[str, ...], ...]  # the audiences each enclosing block names, outermost first
    text: str
    line: int  # first line of the text in the file
    opened_at: int = 0  # line of its innermost block's opening marker (0: in no block)


_FENCE = re.compile(r"^(~{3,}|`{3,})")
_MARKER_HELP = "write audience markers alone at the start of a line: '::: <audience> ...' and ':::'"
MAX_BLOCK_DEPTH = 8  # blocks inside blocks: more is a mistake, not a need


def looks_like_marker(line: str, audiences: Iterable[str] = ()) -> bool:
    """Is this line meant as an audience marker (valid or not)? See README, "Audience blocks".

    With ``audiences``, a line of a few strange characters and audience ids is one too.
    """
    folded = _fold(line) if not line.isascii() or "\x7f" in line else line
    if ":::" in folded and _MARKER_LIKE.match(folded):
        return True
    if not audiences:
        return False
    opener = _STRANGE_OPENER.match(folded)
    if opener is None:
        return False
    token = opener.group(1)  # '::', ';;;', '꞉꞉꞉': a colon dropped, mistyped or from another script
    words = [w.strip(",;.").lower() for w in opener.group(2).split() if any(c.isalnum() for c in w)]
    if not words:
        return False
    if ":" in token or not token.isascii():  # ':: strategic only', ': : : strategic, business'
        return words[0] in audiences
    # ';;; strategic' is a marker, '; public relations will call' is text
    return ";" in token and all(word in audiences for word in words)


def defuse_marker(line: str) -> str:
    """The line with its first colon written as an HTML entity: it shows the same but is text."""
    for index, char in enumerate(line):
        if _fold(char) == ":":
            return f"{line[:index]}&#{ord(char)};{line[index + 1 :]}"
    return line


def visible_text(line: str) -> str:
    """The line as a reader sees it (compatibility forms plain, invisible characters gone)."""
    return _fold(line) if not line.isascii() else line


def _fold(line: str) -> str:
    """The line as a reader sees it: compatibility forms made plain, invisible characters gone."""
    folded = unicodedata.normalize("NFKC", line).translate(_COLON_LIKES)
    return "".join(c for c in folded if not _invisible(c))


def _invisible(char: str) -> bool:
    """Format, control, combining and ignorable characters: nothing a writer would notice."""
    if char == "\t":
        return False
    code = ord(char)
    return unicodedata.category(char) in ("Cf", "Cc", "Mn", "Me") or any(
        low <= code <= high for low, high in _IGNORABLE
    )


# What _odd finds in ASCII text (its control characters but tab), found faster.
_ASCII_ODD = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _odd(char: str) -> bool:
    """A character that is not what it looks like: invisible, a look-alike, or an unusual space."""
    return _invisible(char) or char != _fold(char) or (char.isspace() and char not in " \t")


def split_blocks(
    body: str, first_line: int, audiences: list[str]
) -> tuple[list[RawSegment], list[tuple[int, str]]]:
    """Split a body into segments by the blocks they sit in; returns (segments, [(line, message)]).

    ``::: a b`` opens a block for audiences a and b; blocks nest, and ``:::`` closes the
    innermost. Fails closed: a line that looks meant as a marker but is not exactly one
    (quoted, in a list, indented, with invisible characters, inside a fenced code block, naming
    an unknown audience or one twice) is an error, never public text.
    """
    lines = body.split("\n")
    code_lines = _fenced_code_lines(lines)
    segments: list[RawSegment] = []
    errors: list[tuple[int, str]] = []
    current: list[str] = []
    opened: list[tuple[tuple[str, ...], int]] = []  # the open blocks: (names, line), outermost first
    current_start = first_line

    def flush(next_start: int) -> None:
        nonlocal current, current_start
        if "".join(current).strip():
            levels = tuple(names for names, _ in opened)
            segments.append(
                RawSegment(levels, "\n".join(current), current_start, opened[-1][1] if opened else 0)
            )
        current, current_start = [], next_start

    for index, line in enumerate(lines):
        number = first_line + index
        if not looks_like_marker(line, audiences):
            current.append(line)
            continue
        stripped = line.rstrip()
        exact = not _ASCII_ODD.search(stripped) if stripped.isascii() else not any(map(_odd, stripped))
        opening, closing = exact and _OPEN.match(stripped), exact and _CLOSE.match(stripped)
        if index in code_lines:
            errors.append(
                (
                    number,
                    f"audience marker inside the fenced code block opened on line "
                    f"{first_line + code_lines[index]}; {_MARKER_HELP}, outside code",
                )
            )
        elif opening:
            names = tuple(opening.group(1).split())
            errors.extend((number, message) for message in _name_problems(names, audiences))
            if len(opened) >= MAX_BLOCK_DEPTH:
                errors.append((number, f"blocks nested more than {MAX_BLOCK_DEPTH} deep; close some first"))
            flush(number + 1)
            opened.append((names, number))
        elif closing:
            if not opened:
                errors.append((number, "':::' closes no block; open one with '::: <audience>'"))
                continue
            flush(number + 1)
            opened.pop()
        else:
            errors.append((number, _not_a_marker(stripped)))
    for names, opened_line in opened:
        errors.append(
            (opened_line, f"'::: {' '.join(names)}' block is never closed; add a line ':::' after it")
        )
    flush(0)
    return segments, errors


def _name_problems(names: tuple[str, ...], audiences: list[str]) -> list[str]:
    """What is wrong with the audience names of one marker (unknown, or named twice)."""
    problems = [one_of(name, audiences, "audience") for name in names if name not in audiences]
    problems += [
        f"audience {name!r} is named twice in one marker"
        for name in dict.fromkeys(names)
        if names.count(name) > 1
    ]
    return problems


def _not_a_marker(line: str) -> str:
    hidden = sorted({f"U+{ord(c):04X}" for c in line if _odd(c)})
    folded = _fold(line).strip()
    if hidden and (_OPEN.match(folded) or _CLOSE.match(folded)):
        return (
            f"audience marker with invisible or look-alike characters ({', '.join(hidden)}); "
            f"retype the line as '::: <audience>' or ':::'"
        )
    return f"not an audience marker: {line[:40]!r}; {_MARKER_HELP} (not quoted, listed or indented)"


def _fenced_code_lines(lines: list[str]) -> dict[int, int]:
    """Index of each line inside a closed fenced code block -> index of its opening fence."""
    inside: dict[int, int] = {}
    index = 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if fence:
            closer = next(
                (j for j in range(index + 1, len(lines)) if lines[j].rstrip(" ") == fence.group(1)), None
            )
            if closer is not None:  # an unclosed fence is no code block in Markdown either
                inside.update((j, index) for j in range(index + 1, closer))
                index = closer
        index += 1
    return inside


def body_limits(body: str, first_line: int) -> list[tuple[int, str]]:
    """Problems with a body too large or too tangled to render quickly (see MAX_* above)."""
    if len(body) > MAX_BODY_CHARS:
        return [
            (
                first_line,
                f"body is {len(body):,} characters; the limit is {MAX_BODY_CHARS:,} "
                "(split it over several updates, or link to a longer document)",
            )
        ]
    errors = []
    lines = body.split("\n")
    for index, line in enumerate(lines):
        if _nesting(line) > MAX_NESTING:
            errors.append(
                (
                    first_line + index,
                    f"nested more than {MAX_NESTING} levels deep (lists, quotes or indentation); flatten it",
                )
            )
            break
    code = _fenced_code_lines(lines)
    start = 0
    for index in range(len(lines) + 1):
        if index == len(lines) or not lines[index].strip():
            paragraph = sum(len(line) + 1 for line in lines[start:index])
            # The scan costs at most a paragraph's length squared: most are far too short to
            # reach the budget, and are not scanned.
            if (
                paragraph**2 > _BRACKET_BUDGET
                and _bracket_scan("\n".join(lines[start:index])) > _BRACKET_BUDGET
            ):
                errors.append(
                    (
                        first_line + start,
                        "too many unclosed '[', '(' or '<' in this paragraph "
                        "to render it in reasonable time; close them or "
                        "write \\[, \\( and &lt;",
                    )
                )
            elif (
                index - start > MAX_BLOCK_LINES
                and sum(1 for n in range(start, index) if n not in code) > MAX_BLOCK_LINES
            ):
                errors.append(
                    (
                        first_line + start,
                        f"more than {MAX_BLOCK_LINES} lines without a blank "
                        "line between them; add blank lines (code in ``` "
                        "fences does not count)",
                    )
                )
            start = index + 1
    return errors


_NESTING_STEP = re.compile(r"[ \t]*(?:>|[-*+]|\d{1,9}[.)])(?=\s|$)")
_NESTING_FIRST = frozenset(" \t>-*+0123456789")  # a line that can nest starts with one of these


def _nesting(line: str) -> int:
    """List and quote levels a line opens or sits in (by its markers and its indentation)."""
    if line[:1] not in _NESTING_FIRST:  # most lines: prose
        return 0
    depth, position = 0, 0
    while True:
        step = _NESTING_STEP.match(line, position)
        if step is None:
            break
        depth, position = depth + 1, step.end()
    indent = len(line) - len(line.lstrip(" \t"))
    return max(depth, depth + line.expandtabs(4).count(" ", 0, indent) // 4)


# An escaped character (skipped, whatever it is) or a bracket.
_BRACKETS = re.compile(r"\\.|[\[\]()<>]", re.DOTALL)
_CLOSERS = {"]": "[", ")": "(", ">": "<"}


def _bracket_scan(block: str) -> int:
    """How many characters Python-Markdown reads to find where each '[', '(' and '<' ends.

    It scans from every opener to its matching closer, or to the end of the text when there
    is none, so unclosed openers cost their distance to the end: quadratic on '[[[[...'.
    """
    total = 0
    opened: dict[str, list[int]] = {"[": [], "(": [], "<": []}
    for found in _BRACKETS.finditer(block):  # only the brackets and escapes: most text has few
        char = found.group()
        if char in opened:
            opened[char].append(found.start())
        elif len(char) == 1 and opened[_CLOSERS[char]]:
            total += found.start() - opened[_CLOSERS[char]].pop()
    return total + sum(len(block) - start for starts in opened.values() for start in starts)


# nh3's default allowlist, plus the machine-readable moment of a <time> (placeholders such as
# {next_update} write one, and the reader's-time-zone script converts it): that attribute only.
_ALLOWED_ATTRIBUTES = {**nh3.ALLOWED_ATTRIBUTES, "time": {"datetime"}}
# Built once: nh3.clean() builds its sanitizer from these settings on every call, which costs
# as much as cleaning a short body.
_CLEANER = nh3.Cleaner(attributes=_ALLOWED_ATTRIBUTES)


def render_markdown(text: str) -> str:
    """Markdown to HTML, raw HTML sanitized last (no scripts, handlers, styles, iframes)."""
    renderer = _renderer_for(text)
    renderer.reset()
    return sanitize(renderer.convert(text))


def sanitize(html: str, rewrite: Callable[[str, str, str], str | None] | None = None) -> str:
    """The one sanitizer of body HTML, for what is rendered and what comes back from the cache;
    ``rewrite(tag, attribute, value)`` may change attribute values as it goes."""
    if rewrite is None:
        return _CLEANER.clean(html)
    return nh3.clean(html, attributes=_ALLOWED_ATTRIBUTES, attribute_filter=rewrite)


# Bodies sit under the page's h1 and an h2 ("Updates", "Postmortem"): their headings start at h3.
_TOP_LEVEL = 3
_HEADINGS = {f"h{level}": level for level in range(1, 7)}


class _PageOutline(Treeprocessor):
    """Fit the body into the page, on the element tree, before anything is serialized.

    Markdown headings are renumbered from h3 down, never skipping a level (the first heading
    becomes h3; a deeper heading goes one below its parent; a heading at the same or a higher
    written level takes the level its written peer got). Raw HTML, which Python-Markdown keeps
    aside, is tidied by a real HTML tokenizer: its headings move two levels down (h1 -> h3)
    and an image without alt text gets an empty one (decorative), as HTML requires.
    """

    def run(self, root: etree.Element) -> None:
        parents: list[tuple[int, int]] = []  # (written level, page level) of the open headings
        for element in root.iter():
            written = _HEADINGS.get(element.tag)
            if written is not None:
                while parents and parents[-1][0] >= written:
                    parents.pop()
                level = min(6, parents[-1][1] + 1 if parents else _TOP_LEVEL)
                parents.append((written, level))
                element.tag = f"h{level}"
            elif element.tag == "img" and element.get("alt") is None:
                element.set("alt", "")
        stash = self.md.htmlStash.rawHtmlBlocks
        stash[:] = [_RawHtml.tidy(block) if isinstance(block, str) else block for block in stash]


def absolute_links(html: str, base: str) -> str:
    """Sanitized HTML with its href and src made absolute against ``base`` (for feeds, where a
    relative URL would resolve against the feed): rewritten by the sanitizer as it parses."""

    def absolute(tag: str, name: str, value: str) -> str:
        if name not in ("href", "src") or not value:
            return value
        try:
            return urljoin(base, value)
        except ValueError:  # e.g. '//[x': left as the page has it
            return value

    return sanitize(html, absolute)


class _RawHtml(HTMLParser):
    """Re-serializes raw HTML with headings shifted and images given alt text; nh3 runs after."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []

    @classmethod
    def tidy(cls, html: str) -> str:
        parser = cls()
        parser.feed(html)
        parser.close()
        return "".join(parser.out)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img" and not any(name == "alt" for name, _ in attrs):
            attrs = [("alt", ""), *attrs]
        shown = "".join(f' {name}="{escape(value or "", quote=True)}"' for name, value in attrs)
        self.out.append(f"<{_shifted(tag)}{shown}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        self.out.append(f"</{_shifted(tag)}>")

    def handle_data(self, data: str) -> None:
        self.out.append(escape(data, quote=False))

    def handle_entityref(self, name: str) -> None:
        self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.out.append(f"&#{name};")


def _shifted(tag: str) -> str:
    level = _HEADINGS.get(tag)
    return f"h{min(6, level + 2)}" if level else tag


class _PageOutlineExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Python-Markdown's name)
        md.treeprocessors.register(_PageOutline(md), "statusgen-outline", 5)  # after 'inline'


def _renderer_for(text: str) -> markdown.Markdown:
    """Markdown with every extension, minus the processors that cannot match this text."""
    text = _normalized(text)
    # Python-Markdown's raw HTML step (for '<' and '&') takes text out and can join what was
    # apart ('![', ']:', runs of spaces): then only single characters are sure triggers.
    joined = "<" in text or "&" in text
    found: set[_Trigger] = {trigger for trigger in _CHARACTERS if trigger in text}
    if joined:
        found.update(_STRINGS, _PATTERNS)
    else:
        found.update(trigger for trigger in _STRINGS if trigger in text)
        found.update(trigger for trigger in _PATTERNS if trigger.search(text))
    idle = frozenset(name for name, triggers in _TRIGGERS.items() if found.isdisjoint(triggers))
    renderer = _renderers.get(idle)
    if renderer is None:
        renderer = markdown.Markdown(
            extensions=[*(name for name in _EXTENSIONS if name not in idle), _PageOutlineExtension()],
            output_format="html",
        )
        for name in idle:
            for registry in (renderer.inlinePatterns, renderer.preprocessors):
                if name in registry:
                    registry.deregister(name)
            block = name.removeprefix("block:")
            if block != name and block in renderer.parser.blockprocessors:
                renderer.parser.blockprocessors.deregister(block)
        _renderers[idle] = renderer
    return renderer


def _normalized(text: str) -> str:
    """The text as Python-Markdown's NormalizeWhitespace step leaves it (lines end in \\n, tabs
    are spaces, its own marker characters are gone), for the triggers to be looked for in."""
    text = text.replace("\x02", "").replace("\x03", "").replace("\r\n", "\n").replace("\r", "\n")
    return text.expandtabs(4) if "\t" in text else text
