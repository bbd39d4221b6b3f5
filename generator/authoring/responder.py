"""`statusgen new` on a terminal: ask the writer each prompt, show the update per audience.

The reading and printing functions come from the command line (generator/cli.py), which owns
the terminal; this module only decides what to ask and show.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from generator.authoring.prompts import KEEP, Ask, Prompt, audience_views, drop_optional
from generator.config import load_config
from generator.errors import Problems

Confirm = Callable[[dict[str, object], str], bool]


def responder(site_dir: Path, read: Callable[[str], str], say: Callable[[str], None]) -> tuple[Ask, Confirm]:
    """The questions `new` asks on a terminal, and the preview it shows before writing."""

    def ask(prompt: Prompt, number: int, count: int) -> str:
        say("")
        say(f"[{number}/{count}] {prompt.context}")
        hint = "optional: Enter leaves it out" if prompt.optional else f"required; {KEEP} keeps it for later"
        while True:
            reply = read(f"{prompt.question} ({hint})\n> ").strip()
            if reply or prompt.optional:
                return reply
            say(
                f"This one is required. Type the answer, or {KEEP} to keep the prompt in the file: "
                "then check fails on it and build holds the update back until it is answered."
            )

    def confirm(front: dict[str, object], body: str) -> bool:
        problems = Problems(site_dir)
        config = load_config(site_dir, problems)
        if config is None:
            return True  # create has loaded it already; cannot happen
        say("")
        say(f"{front.get('status', '')}: {front.get('title', '')}".strip(": "))
        for title, text in audience_views(body, config, front.get("audience")):
            say(f"--- {title} sees ---")
            say(text or "(nothing)")
        say("---")
        return read("Write this update? [Y/n] ").strip().lower() in ("", "y", "yes")

    return ask, confirm


def drop_optional_prompts(path: Path) -> None:
    """After the editor: optional prompts the writer left go, with their lines."""
    text = path.read_text(encoding="utf-8")
    kept = drop_optional(text)
    if kept != text:
        path.write_text(kept, encoding="utf-8")
