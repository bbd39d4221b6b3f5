"""Markdown rendering and ::: audience blocks."""

from __future__ import annotations

import random
import re

import markdown
import nh3
import pytest

from generator.markup import render_markdown, split_blocks

SAMPLES = [
    "Plain paragraph with *emphasis*, `code` and a [link](https://example.com).",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "```\nfenced | with pipe\n```\n\nafter",
    "~~~python\nprint(1)\n~~~",
    "a \\| escaped pipe and a | bare one",
    "1. one\n2. two\n\n* three\n* four",
    "text with ``` inline triple backticks ``` here",
    "<div>raw <b>html</b></div>\n\nand <script>x()</script>",
    "hard  \nbreak and tab\t\nbreak",
    "&amp; &copy; &#169; and a lone & sign",
    "<https://example.com> and <ops@example.com>",
    "![alt](https://example.com/x.png) and [ref][1]\n\n[1]: https://example.com",
    "**bold**, __bold__, *em*, _em_, snake_case_name and 2 * 3",
    "\\*not em\\* and \\[not a link\\]",
    "# Heading\n\n> quote\n\n---\n\n    indented code",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_rendering_equals_markdown_with_all_extensions(text):
    full = markdown.Markdown(extensions=["tables", "fenced_code", "sane_lists"], output_format="html")
    expected = re.sub(
        r"<(/?)h([1-6])", lambda m: f"<{m[1]}h{min(6, int(m[2]) + 2)}", nh3.clean(full.convert(text))
    )
    assert render_markdown(text) == expected


def _processors(renderer: markdown.Markdown) -> set[object]:
    """The kinds of processor a renderer runs (its registries hold one instance of each)."""
    registries = (
        renderer.preprocessors,
        renderer.parser.blockprocessors,
        renderer.inlinePatterns,
        renderer.treeprocessors,
        renderer.postprocessors,
    )
    return {(type(item), getattr(item, "pattern", None)) for registry in registries for item in registry}


@pytest.mark.parametrize("text", SAMPLES)
def test_every_sample_is_rendered_by_a_pruned_renderer(text):
    """Each sample's renderer lacks some of the full renderer's processors, and gives its output."""
    from generator import markup

    full = markdown.Markdown(
        extensions=[*markup._EXTENSIONS, markup._PageOutlineExtension()], output_format="html"
    )
    pruned = markup._renderer_for(text)
    assert _processors(pruned) < _processors(full)
    assert render_markdown(text) == nh3.clean(full.convert(text))


# Pieces of Markdown that make the processors' triggers, or join into them when Python-Markdown
# takes raw HTML out of the text (CRLF, tabs and its own marker characters \x02 \x03 included).
_PIECES = (
    "-", "=", "*", "_", "#", " ", "  ", "    ", "\t", "\n", "\n\n", "\r\n", "\r", ">", "1.", "2. ",
    "[a]", "[b]: http://x", "]:", "(http://y)", "![i]", "![x][b]", "[b][]", "`", "```", "~~~", "|",
    "<b>", "<div>", "</div>", "&amp;", "&", "&#1", "&#x4", "&lt", "&copy;", "\\", "x", "word",
    "Title", "---", "===", "- ", "* ", "+ ", "> ", ":", "\n    - a", "\n> # h", "x\n---",
    "\n  1. b", "\x02", "\x03", "١. ", "２. ",
)  # fmt: skip


def test_pruned_renderers_give_the_full_renderers_html_on_random_texts():
    """A processor is left out only when it cannot act on the text: on 3,000 random texts of
    Markdown's significant pieces, every pruned renderer's HTML equals the full renderer's."""
    from generator import markup

    full = markdown.Markdown(
        extensions=[*markup._EXTENSIONS, markup._PageOutlineExtension()], output_format="html"
    )
    rnd = random.Random(17)
    differ = []
    for _ in range(3000):
        text = "".join(rnd.choice(_PIECES) for _ in range(rnd.randint(1, 30)))
        full.reset()
        if render_markdown(text) != nh3.clean(full.convert(text)):
            differ.append(text)
    assert differ == []


def test_split_blocks_keeps_audiences_and_lines():
    body = "intro\n\n::: strategic\nsecret\n:::\n\noutro\n"
    segments, errors = split_blocks(body, 5, ["public", "strategic"])
    assert errors == []
    assert [(s.levels, s.text.strip(), s.line) for s in segments] == [
        ((), "intro", 5),
        ((("strategic",),), "secret", 8),
        ((), "outro", 10),
    ]


def test_split_blocks_nests_blocks_and_reads_several_names():
    body = "a\n::: strategic public\nb\n::: strategic\nc\n:::\nd\n:::\ne"
    segments, errors = split_blocks(body, 1, ["public", "strategic"])
    assert errors == []
    assert [(s.levels, s.text, s.opened_at) for s in segments] == [
        ((), "a", 0),
        ((("strategic", "public"),), "b", 2),
        ((("strategic", "public"), ("strategic",)), "c", 4),
        ((("strategic", "public"),), "d", 2),
        ((), "e", 0),
    ]


def test_split_blocks_reports_every_mistake_with_its_line():
    body = "::: strategic\n::: public public\n:::\n:::\n:::\n::: nobody strategic\nx\n"
    _, errors = split_blocks(body, 1, ["public", "strategic"])
    assert [line for line, _ in errors] == [2, 5, 6, 6]


def test_body_headings_sit_below_the_page_headings():
    assert render_markdown("# One\n\n## Two\n\n##### Five") == "<h3>One</h3>\n<h4>Two</h4>\n<h5>Five</h5>"


def test_body_headings_never_skip_a_level_whatever_was_written():
    # A postmortem written with "##" sections starts at h3 on the page, not h4.
    assert render_markdown("## Summary\n\n### Detail\n\n## Timeline") == (
        "<h3>Summary</h3>\n<h4>Detail</h4>\n<h3>Timeline</h3>"
    )
    assert render_markdown("### A\n\n# B\n\n###### C\n\n#### D") == (
        "<h3>A</h3>\n<h3>B</h3>\n<h4>C</h4>\n<h4>D</h4>"
    )
    deep = render_markdown("\n\n".join("#" * n + f" H{n}" for n in range(1, 7)))
    assert [f"<h{min(6, n + 2)}>H{n}</h{min(6, n + 2)}>" for n in range(1, 7)] == deep.split("\n")


def test_raw_images_without_alt_text_get_an_empty_one():
    assert render_markdown('<img src="a.png"> <img alt="Graph" src="b.png"> ![](c.png)') == (
        '<p><img alt="" src="a.png"> <img alt="Graph" src="b.png"> <img alt="" src="c.png"></p>'
    )


@pytest.mark.parametrize(
    "text",
    ["١. أولا\n٢. ثانيا", "१. पहला\n२. दूसरा", "１. one\n２. two", "Steps:\n\n٣. third"],
)
def test_lists_numbered_with_any_decimal_digits_render_as_the_full_renderer_does(text):
    """Python-Markdown's ordered lists take any Unicode decimal digit (its pattern is '\\d+\\.'):
    a text numbered in Arabic-Indic, Devanagari or full-width digits is a list there too."""
    from generator import markup

    full = markdown.Markdown(
        extensions=[*markup._EXTENSIONS, markup._PageOutlineExtension()], output_format="html"
    )
    html = render_markdown(text)
    assert html == nh3.clean(full.convert(text))
    assert "<ol" in html
