"""The Markdown floor of a cold build: the texts a build of a site renders, rendered by
statusgen's own Markdown step (Python-Markdown, then nh3) on one worker process per core, and
nothing else.

    python bench/markdown_floor.py collect SITE TEXTS   # once: what a build renders, as JSON
    python bench/markdown_floor.py render TEXTS [--jobs N]

``collect`` loads the site as a build does, noting each text handed to the Markdown step (each
audience's text of every body, in order). ``render`` then renders them: no front matter is
parsed, no page rendered, nothing written. What it takes is the part of a cold build that the
choice of Python-Markdown fixes (issue 17, goal 6); bench/hugo.py times it beside Hugo's full
build of the same incidents, so its ratio is the least a cold build can be.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))

from generator import markup  # noqa: E402 (after the path is set)
from generator.config import load_config  # noqa: E402
from generator.content import find_folders, load_folder  # noqa: E402
from generator.errors import Problem, Problems  # noqa: E402
from generator.parallel import default_workers  # noqa: E402
from generator.unfinished import hold_unfinished  # noqa: E402


def collect(site: Path) -> list[str]:
    """Every text a cold build of the site renders, in the order it renders them."""
    problems = Problems(site)
    config = load_config(site, problems)
    if config is None:
        sys.exit(f"{site}: site.yml does not load")
    texts: list[str] = []

    def note(text: str) -> str:
        texts.append(text)
        return ""

    found: list[Problem] = []
    for folder in find_folders(site, problems):
        kept, _ = hold_unfinished(folder, config, site)  # as a build does: prompts are held back
        if kept is not None:
            found += load_folder(kept, config, site, render=note)[1]
    if problems.items or found:
        sys.exit(f"{site}: the site has problems; run statusgen check")
    return texts


def render(texts: list[str]) -> int:
    return sum(len(markup.render_markdown(text)) for text in texts)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    steps = parser.add_subparsers(dest="step", required=True)
    collecting = steps.add_parser("collect", help="note the texts a build of SITE renders, into TEXTS")
    collecting.add_argument("site", type=Path)
    collecting.add_argument("texts", type=Path)
    rendering = steps.add_parser("render", help="render the texts of TEXTS on --jobs processes")
    rendering.add_argument("texts", type=Path)
    rendering.add_argument("--jobs", type=int, default=default_workers())
    args = parser.parse_args()
    if args.step == "collect":
        texts = collect(args.site)
        args.texts.write_text(json.dumps(texts), encoding="utf-8")
        print(f"{len(texts):,} texts ({len(set(texts)):,} different)")
        return
    texts = json.loads(args.texts.read_text(encoding="utf-8"))
    parts = [texts[start :: args.jobs] for start in range(args.jobs)]
    with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
        size = sum(pool.map(render, parts))
    print(f"{len(texts):,} texts rendered, {size:,} characters of HTML")


if __name__ == "__main__":
    main()
