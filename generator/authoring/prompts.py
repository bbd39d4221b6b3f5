"""A message template's prompts, and answering them when `statusgen new` writes an update.

A prompt marks what the writer fills in; it ends at the first ``]``:

- ``[TODO: ...]``: required. An update that still has one is unfinished: ``check`` fails on it
  and ``build`` holds it back (see generator/unfinished.py).
- ``[TODO?: ...]``: optional. Left unanswered, it is deleted with its line when ``new`` writes
  the update (after the editor closes, with ``--edit``).
- ``[TODO(symptoms): ...]``, ``[TODO(symptoms)?: ...]``: the same, named ``symptoms``, so that
  ``new --set symptoms="..."`` can answer it without a terminal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from generator.audience import audience_texts, everyone, readers_of, segment_readers
from generator.config import SiteConfig
from generator.errors import Problems, one_of
from generator.markup import split_blocks

# The forms in templates; generator.markup.PROMPT also catches malformed names, so that no
# prompt-like text is ever published.
_PROMPT = re.compile(r"\[TODO(?:\(([a-z0-9][a-z0-9_-]*)\))?(\?)?:\s*([^\]\n]*)\]")
KEEP = "TODO"  # the answer that keeps a required prompt in the file, to answer later


@dataclass(frozen=True)
class Prompt:
    name: str | None
    optional: bool
    question: str  # the text after the colon
    line: int  # 0-based line of the body it is on
    context: str  # that line, with the prompt shown as "..."
    raw: str  # exactly as written

    @property
    def label(self) -> str:
        return self.name or self.question


def find_prompts(body: str) -> list[Prompt]:
    """Every prompt in the body, in reading order."""
    found = []
    for number, line in enumerate(body.split("\n")):
        for match in _PROMPT.finditer(line):
            name, optional, question = match.group(1), bool(match.group(2)), match.group(3).strip()
            context = (line[: match.start()] + "..." + line[match.end() :]).strip()
            found.append(Prompt(name, optional, question, number, context, match.group(0)))
    return found


# Asks the writer one prompt; returns the answer, "" to leave an optional one out (or KEEP).
Ask = Callable[[Prompt, int, int], str]


def answer_prompts(
    body: str,
    given: dict[str, str],
    ask: Ask | None,
    problems: Problems,
    keep_optional: bool = False,
) -> str:
    """The body with its prompts answered: from ``given`` (--set NAME=TEXT), else by ``ask``.

    An optional prompt without an answer is deleted with its line (kept when ``keep_optional``:
    the writer answers it in the editor); a required one stays, and the update is unfinished.
    """
    prompts = find_prompts(body)
    names = sorted({p.name for p in prompts if p.name})
    for name in given:
        if name not in names:
            known = names or ["(this template has no named prompts)"]
            problems.add("--set", 0, one_of(name, known, "prompt name"))
    if problems.items:
        return body
    replies: list[str | None] = []
    for number, prompt in enumerate(prompts, 1):
        if prompt.name in given:
            reply: str | None = given[prompt.name].strip()
        elif ask is not None:
            reply = ask(prompt, number, len(prompts)).strip()
        else:
            reply = None
        if reply == KEEP or (reply == "" and not prompt.optional):
            reply = None  # a required prompt kept in the file
        elif reply is None and prompt.optional and keep_optional:
            reply = None
        elif reply in (None, "") and prompt.optional:
            reply = ""  # left out: its line goes
        replies.append(reply)
    return _apply(body, prompts, replies)


def _apply(body: str, prompts: list[Prompt], replies: list[str | None]) -> str:
    lines = body.split("\n")
    dropped: set[int] = set()
    for prompt, reply in zip(prompts, replies, strict=True):
        if reply is None:
            continue
        if reply == "":
            dropped.add(prompt.line)
        else:
            lines[prompt.line] = lines[prompt.line].replace(prompt.raw, reply.replace("\n", " "), 1)
    return "\n".join(_drop_lines(lines, dropped))


def drop_optional(body: str) -> str:
    """The body without its unanswered optional prompts' lines (after the writer's editor)."""
    prompts = find_prompts(body)
    return _apply(body, prompts, ["" if p.optional else None for p in prompts])


def _drop_lines(lines: list[str], dropped: set[int]) -> list[str]:
    """Delete the lines; a blank line that would then double a blank line (or follow a block's
    opening marker) goes too."""
    kept: list[str] = []
    for index, line in enumerate(lines):
        if index in dropped:
            continue
        after_dropped = index - 1 in dropped
        opens = not kept or not kept[-1].strip() or kept[-1].startswith(":::")
        if after_dropped and not line.strip() and opens:
            continue
        kept.append(line)
    return kept


def audience_views(body: str, config: SiteConfig, audience: object = None) -> list[tuple[str, str]]:
    """(audience title, the Markdown it sees) for each audience that sees the update at all (its
    front matter's ``audience``), split as a build splits it."""
    listed = audience if isinstance(audience, (list, tuple)) else [audience] if audience else []
    names = [str(name) for name in listed]
    outer = readers_of(config, names) if names else everyone(config)
    segments, _ = split_blocks(body, 1, [a.id for a in config.audiences])
    pieces = [(*segment_readers(config, s, outer, tuple(names)), s.text) for s in segments]
    views = audience_texts(pieces, config.audiences)
    return [
        (viewer.title, "\n\n".join(text.strip("\n") for _, _, text in pieces))
        for viewer, pieces in zip(config.audiences, views, strict=True)
        if viewer.id in outer
    ]
