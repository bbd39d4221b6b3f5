"""Fail closed: restricted words never published, hostile input never run, bad input never a traceback.

Each class of attack is tested with several variants; the property tests draw many more.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup

from generator.audience import audience_texts, segment_readers
from generator.cli import main
from generator.config import Audience, SiteConfig
from generator.markup import MAX_BODY_CHARS, render_markdown, split_blocks

from conftest import NOW, html, incident

SECRET = "SECRET-7c1e"
AUDIENCES = ["public", "strategic"]
AUDIENCE_LADDER = (
    Audience("public", "Public", 0, "https://status.example.com/", included=frozenset({"public"})),
    Audience(
        "strategic",
        "Strategic",
        1,
        "https://status.example.com/strategic/",
        includes=("public",),
        included=frozenset({"public", "strategic"}),
    ),
)
LADDER_CONFIG = SiteConfig("T", "https://status.example.com/", ZoneInfo("UTC"), (), AUDIENCE_LADDER)


def update(body: str, **keys: object) -> str:
    defaults: dict[str, object] = {"title": "X", "impact": "minor", "components": ["api"]}
    return incident("2026-11-27T08:00:00Z", "resolved", body, **{**defaults, **keys})


def failed_build(site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Build must fail with path:line problems, no traceback, and write nothing; returns stderr."""
    out = tmp_path / "out"
    code = main(["build", "--site", str(site), "--out", str(out), "--now", NOW])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "Traceback" not in err
    assert not out.exists()
    return err


# --------------------------------------------------------------------------- audience markers

# Each of these is meant as a marker and is not exactly one: every one must be an error.
MARKER_TRICKS = {
    "nested quote": "> > ::: strategic\n> > SECRET\n> > :::\n",
    "quote": "> ::: strategic\n> SECRET\n> :::\n",
    "list item": "- ::: strategic\n- SECRET\n- :::\n",
    "star list item": "* ::: strategic\nSECRET\n* :::\n",
    "numbered item": "1. ::: strategic\nSECRET\n2. :::\n",
    "numbered with parenthesis": "1) ::: strategic\nSECRET\n:::\n",
    "quoted list item": "> - ::: strategic\nSECRET\n:::\n",
    "indented": "    ::: strategic\nSECRET\n:::\n",
    "tab indented": "\t::: strategic\nSECRET\n:::\n",
    "one space": " ::: strategic\nSECRET\n:::\n",
    "zero-width space before": "\u200b::: strategic\nSECRET\n:::\n",
    "zero-width space inside": "::\u200b: strategic\nSECRET\n:::\n",
    "zero-width space after name": "::: strategic\u200b\nSECRET\n:::\n",
    "word joiner": "\u2060::: strategic\nSECRET\n:::\n",
    "byte order mark inside": "::\ufeff: strategic\nSECRET\n:::\n",
    "soft hyphen": "\u00ad::: strategic\nSECRET\n:::\n",
    "right-to-left override": "\u202e::: strategic\nSECRET\n:::\n",
    "combining mark": ":\u0301:: strategic\nSECRET\n:::\n",
    "non-breaking space before": "\u00a0::: strategic\nSECRET\n:::\n",
    "ideographic space before": "\u3000::: strategic\nSECRET\n:::\n",
    "non-breaking space before name": ":::\u00a0strategic\nSECRET\n:::\n",
    "full-width colons": "\uff1a\uff1a\uff1a strategic\nSECRET\n:::\n",
    "small colons": "\ufe55\ufe55\ufe55 strategic\nSECRET\n:::\n",
    "ratio sign": "::\u2236 strategic\nSECRET\n:::\n",
    "more colons": "::::: strategic\nSECRET\n:::::\n",
    "a name twice": "::: strategic strategic\nSECRET\n:::\n",
    "an unknown second name": "::: strategic nobody\nSECRET\n:::\n",
    "mistyped with two names": ";;; strategic public\nSECRET\n:::\n",
    "closing in a list": "::: strategic\nSECRET\n- :::\n",
    "closing with zero-width space": "::: strategic\nSECRET\n:::\u200b\n",
    "closed inside a fence": "::: strategic\n```\ncode\n:::\n```\nSECRET\n::: strategic\nmore\n:::\n",
    "opened inside a fence": "```\n::: strategic\n```\nSECRET\n",
    # Both lines mangled alike: blank-looking characters and colons from other scripts.
    "hangul filler": "\u3164::: strategic\nSECRET\n\u3164:::\n",
    "halfwidth hangul filler": "\uffa0::: strategic\nSECRET\n\uffa0:::\n",
    "braille blank": "\u2800::: strategic\nSECRET\n\u2800:::\n",
    "tag characters": "\U000e0020::: strategic\nSECRET\n\U000e0020:::\n",
    "armenian full stops": "\u0589\u0589\u0589 strategic\nSECRET\n\u0589\u0589\u0589\n",
    "mongolian colons": "\u1804\u1804\u1804 strategic\nSECRET\n\u1804\u1804\u1804\n",
    "lisu tone letters": "\ua4fd\ua4fd\ua4fd strategic\nSECRET\n\ua4fd\ua4fd\ua4fd\n",
    "z notation colons": "\u2982\u2982\u2982 Strategic\nSECRET\n\u2982\u2982\u2982\n",
    "unknown symbols": "\u2e2c\u2e2c\u2e2c strategic\nSECRET\n\u2e2c\u2e2c\u2e2c\n",
    # Typed with a colon too few or a semicolon: a likely slip on a keyboard.
    "two colons": ":: strategic\nSECRET\n::\n",
    "no space, two colons": "::strategic\nSECRET\n::\n",
    "semicolons": ";;; strategic\nSECRET\n;;;\n",
    # ... with words after the name: still meant as a marker.
    "two colons and words": ":: strategic only\nSECRET\n::\n",
    "two colons and a comma": ":: strategic, public\nSECRET\n::\n",
    "spaced colons": ": : : strategic\nSECRET\n: : :\n",
}


@pytest.mark.parametrize("body", MARKER_TRICKS.values(), ids=MARKER_TRICKS.keys())
def test_marker_like_lines_are_errors_never_text(make_site, capsys, tmp_path, body):
    err = failed_build(make_site({"content/incidents/x/a.md": update(body)}), tmp_path, capsys)
    assert "content/incidents/x/a.md:" in err


@pytest.mark.parametrize("ending", ["\r", "\r\n", "\u2028", "\u2029", "\x85"], ids=repr)
def test_every_kind_of_line_end_splits_markers_the_way_markdown_does(make_site, build, ending):
    site = make_site()
    text = update(f"Public.\n\n::: strategic\n{SECRET}\n:::\n\nAfter.\n").replace("\n", ending)
    path = site / "content/incidents/x/a.md"
    path.parent.mkdir(parents=True)
    path.write_bytes(text.encode())
    out = build(site)
    public = (out / "public/incidents/x/index.html").read_text()
    assert SECRET not in public and "After." in public
    assert SECRET in (out / "strategic/incidents/x/index.html").read_text()


def test_text_that_merely_mentions_colons_is_text(make_site, build):
    body = (
        "Ratio 1:1:1 and foo ::: bar and `::: strategic` in code.\n\nNote: strategic\n\n- strategic\n\n"
        "; public relations will call\n\n"
        "```\nx ::: y\n```\n"
    )
    out = build(make_site({"content/incidents/x/a.md": update(body)}))
    public = html(out / "public/incidents/x/index.html").select_one(".update .body").get_text()
    assert "foo ::: bar" in public and "x ::: y" in public and "`::: strategic`" not in public
    assert "; public relations will call" in public


PREFIXES = [
    "",
    "",
    "",
    " ",
    "\t",
    "> ",
    ">",
    "- ",
    "* ",
    "+ ",
    "1. ",
    "2) ",
    "\u200b",
    "\u00a0",
    "\ufeff",
    "\u2060",
    "\u3000",
    "\u202e",
    "\u00ad",
]
COLONS = [":", ":", ":", ":", "\uff1a", "\ufe55", "\u2236", "\ua789"]
INVISIBLE = ["", "", "", "", "\u200b", "\u200d", "\u0301", "\ufeff"]
SPACES = [" ", " ", "", "\t", "\u00a0", "\u200b"]
NAMES = ["strategic", "strategic", "Strategic", "strategic\u200b", "strat egic", "str\u0430tegic", ""]
SUFFIXES = ["", "", " ", "\u200b", "\u00a0", ":"]


def _attempted_marker(rng: random.Random, name: bool) -> str:
    """A line a writer (or an attacker) meant as a marker: prefixes, look-alikes, invisibles."""
    prefix = "".join(rng.choice(PREFIXES) for _ in range(rng.randint(0, 2)))
    colons = "".join(rng.choice(COLONS) + rng.choice(INVISIBLE) for _ in range(3))
    rest = rng.choice(SPACES) + rng.choice(NAMES) if name else ""
    return prefix + colons + rest + rng.choice(SUFFIXES)


def test_random_attempted_blocks_either_fail_or_hide_the_secret_from_the_public():
    """Property: however a block's markers are mangled, the body is refused or the secret stays hidden."""
    rng = random.Random(20261202)
    refused = accepted = 0
    for _ in range(4000):
        opening = "::: strategic" if rng.random() < 0.25 else _attempted_marker(rng, name=True)
        closing = ":::" if rng.random() < 0.25 else _attempted_marker(rng, name=False)
        body = f"Public.\n{opening}\n{SECRET}\n{closing}\nAfter.\n"
        segments, errors = split_blocks(body, 1, AUDIENCES)
        if errors:
            refused += 1
            continue
        accepted += 1
        everyone = frozenset(AUDIENCES)
        pieces = [(*segment_readers(LADDER_CONFIG, s, everyone), s.text) for s in segments]
        for readers, _, text in audience_texts(pieces, AUDIENCE_LADDER)[0]:
            assert readers == everyone
            assert SECRET not in render_markdown(text), repr(body)
    assert refused > 1000 and accepted > 100  # both branches were really exercised


# --------------------------------------------------------------------------- empty audience


@pytest.mark.parametrize("value", ["", "~", "null", "''", "'  '"])
def test_an_empty_audience_is_an_error_not_public(make_site, capsys, tmp_path, value):
    site = make_site(
        {
            "content/incidents/x/a.md": update("Public."),
            "content/incidents/x/b.md": incident("2026-11-27T09:00:00Z", "identified", SECRET).replace(
                "---\n", f"---\naudience: {value}\n", 1
            ),
            "content/incidents/y/a.md": update("Public."),
            "content/incidents/y/postmortem.md": f"---\ndate: 2026-11-27T10:00:00Z\naudience: {value}\n---\n"
            f"{SECRET}\n",
        }
    )
    err = failed_build(site, tmp_path, capsys)
    assert "content/incidents/x/b.md:2: 'audience' has no value" in err
    assert "content/incidents/y/postmortem.md:3: 'audience' has no value" in err


@pytest.mark.parametrize(
    "first",
    [
        "audience: strategic\n---\n",
        "audience: strategic\n",
        "Title: X\n---\n",
        "---\naudience: strategic\n---\n",  # a second front matter block
        "\ufeffaudience: strategic\n",  # an invisible character first
        "'audience': strategic\n",  # the key quoted
    ],
    ids=repr,
)
def test_front_matter_below_the_closing_dashes_is_an_error(make_site, capsys, tmp_path, first):
    site = make_site({"content/incidents/x/a.md": update(f"{first}{SECRET}\n")})
    err = failed_build(site, tmp_path, capsys)
    line = 9 if first.startswith("---") else 8
    assert f"content/incidents/x/a.md:{line}:" in err and "below the front matter's closing '---'" in err


# --------------------------------------------------------------------------- structure


BLOCKS = [
    "1. one\n2. two\n3. three\n",
    "- a\n- b\n",
    "A paragraph\nthat goes on.\n",
    "| a | b |\n|---|---|\n| 1 | 2 |\n",
    "[ref]: https://internal.example/secret\n",
    "> quoted\n",
    "## A heading\n",
    "```\ncode\n```\n",
]


def test_public_html_is_exactly_that_of_the_file_without_its_blocks(make_site, build, tmp_path):
    """Randomised: bodies of lists, paragraphs and blocks; public tree == twin without blocks."""
    rng = random.Random(7)
    with_blocks: dict[str, str] = {}
    without: dict[str, str] = {}
    for number in range(12):
        parts, public_parts = [], []
        for _ in range(rng.randint(2, 6)):
            piece = rng.choice(BLOCKS)
            if rng.random() < 0.4:
                parts.append(f"::: strategic\n{piece}{SECRET}\n:::\n")
            else:
                parts.append(piece)
                public_parts.append(piece)
            if rng.random() < 0.5:  # sometimes a blank line, sometimes none
                parts.append("\n")
                public_parts.append("\n")
        path = f"content/incidents/i{number}/a.md"
        with_blocks[path] = update("".join(parts) + "\nSee [ref].\n")
        without[path] = update("".join(public_parts) + "\nSee [ref].\n")
    out_with = build(make_site(with_blocks), tmp_path / "with")
    twin = tmp_path / "twin"
    twin.mkdir()
    (twin / "site.yml").write_text((tmp_path / "site/site.yml").read_text())
    for path, text in without.items():
        (twin / path).parent.mkdir(parents=True)
        (twin / path).write_text(text)
    out_without = build(twin, tmp_path / "without")
    files = _files(out_with / "public")
    assert files == _files(out_without / "public")
    for relative in files:
        assert (out_with / "public" / relative).read_bytes() == (
            out_without / "public" / relative
        ).read_bytes(), relative
    assert SECRET in (out_with / "strategic/incidents/i0/index.html").read_text() or any(
        SECRET in (out_with / f"strategic/incidents/i{n}/index.html").read_text() for n in range(12)
    )


def _files(tree: Path) -> list[Path]:
    return sorted(p.relative_to(tree) for p in tree.rglob("*") if p.is_file())


def test_a_block_in_a_numbered_list_leaves_no_gap_or_split(make_site, build):
    body = "1. one\n2. two\n3. three\n::: strategic\n4. secret step\n:::\n5. five\n"
    out = build(make_site({"content/incidents/x/a.md": update(body)}))
    body_html = html(out / "public/incidents/x/index.html").select_one(".update .body")
    assert len(body_html.find_all("ol")) == 1
    assert body_html.ol.get("start") is None
    assert [li.get_text() for li in body_html.find_all("li")] == ["one", "two", "three", "five"]


# --------------------------------------------------------------------------- hostile Markdown

HOSTILE = [
    '[x](https://example.com "<img src=x onerror=alert(1)>")',
    '[x](https://example.com "</h2><script>alert(1)</script>")',
    '<a title="<img src=x onerror=alert(1)>" href="/y">y</a>',
    '<a title="</h2>">z</a>\n\n## Heading',
    '<img src=x title="<img src=y onerror=alert(2)>">',
    '<img src="x" alt',
    '<h1 onclick="alert(1)">raw heading</h1>',
    "<svg><script>alert(1)</script></svg>",
    '<a href="javascript:alert(1)">js</a> <a href="jav&#x09;ascript:alert(1)">js2</a>',
    '<iframe src="https://evil.example"></iframe><style>*{display:none}</style>',
    '<math><mi xlink:href="javascript:alert(1)">m</mi></math>',
    '<p style="background:url(javascript:alert(1))" onmouseover="alert(1)">p</p>',
    '<img src="x" onerror="alert(1)"/><img/src/onerror=alert(1)>',
    "<!-- <img src=x onerror=alert(1)> -->",
    "<div><h2>raw</h2><img src=a.png></div>",
]


@pytest.mark.parametrize("body", HOSTILE)
def test_hostile_markdown_is_neutralised_and_never_crashes(body):
    soup = BeautifulSoup(render_markdown(body), "html.parser")
    for element in soup.find_all(True):
        assert element.name not in ("script", "iframe", "style", "svg", "math", "h1", "h2"), element
        for name, value in element.attrs.items():
            assert not name.startswith("on"), element
            assert name != "style", element
            text = " ".join(value) if isinstance(value, list) else value
            assert "javascript:" not in text.lower().replace("\t", ""), element
        if element.name == "img":
            assert "alt" in element.attrs
    assert soup.find_all(["h3", "h4", "h5", "h6"]) == soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6"])


def test_hostile_titles_reach_the_front_page_only_as_text(make_site, build):
    body = '[x](https://example.com "<img src=x onerror=alert(1)>") and <a title="</h2>">z</a>'
    out = build(make_site({"content/incidents/x/a.md": update(body)}))
    for page in ("index.html", "incidents/x/index.html"):
        soup = html(out / "public" / page)
        assert not [e for e in soup.find_all(True) if any(a.startswith("on") for a in e.attrs)]
        assert len(soup.find_all("img")) == len(soup.select("img[alt]"))


# --------------------------------------------------------------------------- limits


@pytest.mark.slow
def test_pathological_markdown_is_refused_fast(make_site, capsys, tmp_path):
    bodies = {
        "brackets": "[" * 10_000,
        "images": "![" * 5_000,
        "links": "[a](" * 3_000,
        "deep-list": "\n".join("    " * depth + "- x" for depth in range(2_000)),
        "deep-list-400": "\n".join("    " * depth + "- x" for depth in range(400)),
        "deep-one-line": "- " * 400 + "x",
        "deep-quote": "> " * 400 + "x",
        "huge": "word " * (MAX_BODY_CHARS // 5 + 10),
    }
    err = _refused_fast(bodies, make_site, capsys, tmp_path)
    assert "too many unclosed '['" in err and "nested more than" in err and "the limit is 64,000" in err


@pytest.mark.slow
def test_markdown_that_rescans_its_blocks_is_refused_fast(make_site, capsys, tmp_path):
    bodies = {
        "tags": "<a " * 21_000,
        "divs": "<div\n" * 12_000,
        "setext": "a\n=\n" * 15_000,
        "autolinks": "<http://" * 7_500,
        "rules": "- - -\n" * 10_000,
        "mails": "<a@" * 20_000,
    }
    err = _refused_fast(bodies, make_site, capsys, tmp_path)
    for name in bodies:
        assert f"content/incidents/{name}/a.md:8:" in err, name


def _refused_fast(bodies: dict[str, str], make_site, capsys, tmp_path) -> str:
    """Build one incident per body: every one is refused, all in one run, in well under 20 s."""
    site = make_site({f"content/incidents/{name}/a.md": update(body) for name, body in bodies.items()})
    started = time.perf_counter()
    err = failed_build(site, tmp_path, capsys)
    assert time.perf_counter() - started < 20
    for name in bodies:
        assert f"content/incidents/{name}/a.md:" in err, name
    return err


@pytest.mark.slow
@pytest.mark.parametrize(
    "body",
    [
        "[" * 1_600,
        "![" * 1_200,
        "[a](" * 800,
        "\n".join("    " * depth + "- x" for depth in range(16)),
        "> " * 16 + "x",
        ("Some words [a link](https://example.com/x) and (a remark) " * 800)[:MAX_BODY_CHARS],
        (("line with [x] and (y)\n" * 999 + "\n") * 3)[:MAX_BODY_CHARS],
        "a\n=\n" * 500,
        "- - -\n" * 1000,
        "Latency < 200 ms, errors > 1 % and <b>bold</b> " * 1000,
    ],
)
def test_anything_within_the_limits_renders_within_two_seconds(body):
    from generator.markup import body_limits

    assert body_limits(body, 1) == []
    started = time.perf_counter()
    render_markdown(body)
    assert time.perf_counter() - started < 2


def test_deep_yaml_and_control_characters_are_problems(make_site, capsys, tmp_path):
    site = make_site(
        {
            "content/incidents/deep/a.md": update("x").replace("title: X", "title: " + "[" * 900 + "]" * 900),
            "content/incidents/ctrl/a.md": update("x").replace("title: X", 'title: "API\\x01errors"'),
            "content/incidents/c1/a.md": update("x").replace("title: X", 'title: "API\\x9berrors"'),
            "content/incidents/surrogate/a.md": update("x").replace("title: X", 'title: "A\\ud800"'),
            "content/incidents/key/a.md": update("x").replace("title: X", '"ti\\x02tle": X'),
        }
    )
    err = failed_build(site, tmp_path, capsys)
    assert "content/incidents/deep/a.md:" in err and "nested too deeply" in err
    assert "content/incidents/ctrl/a.md:4: control character U+0001" in err
    assert "content/incidents/c1/a.md:4: control character U+009B" in err
    assert "content/incidents/surrogate/a.md:" in err
    assert "content/incidents/key/a.md:4: control character U+0002" in err


def test_ids_have_a_length_limit(make_site, capsys, tmp_path):
    long = "a" * 101
    site = make_site(
        {
            f"content/incidents/{long}/a.md": update("x"),
            f"content/incidents/ok/{long}.md": update("x"),
        },
        site_yml=(Path(__file__).parent / "conftest.py")
        .read_text()
        .split('SITE_YML = """\\\n')[1]
        .split('"""')[0]
        .replace("id: cdn", f"id: c{long}"),
    )
    err = failed_build(site, tmp_path, capsys)
    assert "the limit is 100" in err
    assert f"content/incidents/{long}:1:" in err and f"content/incidents/ok/{long}.md:1:" in err
    assert "site.yml:" in err


def test_new_incident_with_a_very_long_title_gets_a_short_id(make_site, capsys):
    site = make_site({"content/templates/.keep": ""})
    code = main(
        [
            "new",
            "incident",
            "--site",
            str(site),
            "--title",
            "Very long words " * 40,
            "--impact",
            "minor",
            "--components",
            "api",
            "--date",
            "2026-11-27T08:00:00Z",
        ]
    )
    assert code == 0, capsys.readouterr().err
    (folder,) = (site / "content/incidents").iterdir()
    assert len(folder.name) <= 71 and folder.name.startswith("2026-11-27-very-long-words")


# --------------------------------------------------------------------------- theme sandbox

ESCAPES = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.system('touch PWNED') }}",
    "{{ site.__class__.__init__.__globals__ }}",
    "{% set x = [] %}{{ x.append(1) }}",
    "{{ lipsum.__globals__['os'].popen('touch PWNED').read() }}",
    "{{ range.__self__.open('site.yml').read() }}",
    # GHSA-cpwx-vrp4-4pq7 (Jinja before 3.1.6): str.format reached through |attr
    '{{ ("{0.audience.__globals__}"|attr("format"))(site) }}',
]


@pytest.mark.parametrize("expression", ESCAPES)
def test_theme_templates_run_sandboxed(make_site, capsys, tmp_path, expression, monkeypatch):
    site = make_site(
        {
            "content/incidents/x/a.md": update("x"),
            "themes/evil/templates/index.html": '{% extends "default/index.html" %}{% block main %}'
            f"{expression}{{{{ super() }}}}{{% endblock %}}",
        },
        site_yml=_site_yml() + "theme: evil\n",
    )
    monkeypatch.chdir(tmp_path)
    for command in ("check", "build"):
        code = main(
            [command, "--site", str(site), "--out", str(tmp_path / "out"), "--now", NOW]
            if command == "build"
            else [command, "--site", str(site), "--now", NOW]
        )
        err = capsys.readouterr().err
        assert code == 1, err
        assert "themes/evil/templates/index.html:1: template error" in err
        assert "Traceback" not in err
    assert not (tmp_path / "PWNED").exists() and not (site / "PWNED").exists()


def test_a_theme_cannot_read_which_audiences_a_body_piece_is_for(make_site, capsys, tmp_path):
    """An unlabelled piece is the loaded segment itself: its readers (every audience's id, for
    unmarked text) and its block's audience names stay out of a site's templates, on every tree."""
    site = make_site(
        {
            "content/incidents/x/a.md": update("x"),
            "themes/nosy/templates/incident.html": '{% extends "default/incident.html" %}{% block main %}'
            "{{ item.updates[0].body[0].readers }}{{ super() }}{% endblock %}",
        },
        site_yml=_site_yml() + "theme: nosy\n",
    )
    code = main(["build", "--site", str(site), "--out", str(tmp_path / "out"), "--now", NOW])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "themes/nosy/templates/incident.html:1: template error" in err
    assert "frozenset" not in err  # nor printed in the message
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "expression",
    [
        "piece.packed.spool.read(piece.packed.spool.size)",  # the spool: every audience's bodies
        "piece.packed",
    ],
)
def test_a_theme_cannot_read_other_audiences_bodies_through_a_labelled_piece(
    make_site, capsys, tmp_path, expression
):
    """On a restricted tree a labelled piece is the audience's own; where the build keeps bodies
    on disk, its ``packed`` would lead to the spool, which holds every audience's bodies."""
    body = (
        "Public words.\n\n::: strategic\nFor strategic customers.\n:::\n\n"
        "::: engineering\nENG-CANARY-4242\n:::\n"
    )
    site = make_site(
        {
            "content/incidents/x/a.md": update(body),
            "themes/nosy/templates/macros.html": '{% extends "default/macros.html" %}',
            "themes/nosy/templates/incident.html": '{% extends "default/incident.html" %}{% block main %}'
            "{% for piece in item.updates[0].body %}{% if piece.restricted_to %}{{ "
            + expression
            + " }}{% endif %}{% endfor %}{{ super() }}{% endblock %}",
        },
        site_yml=_site_yml()
        + "  - id: engineering\n    title: Engineering\n    base_url: https://eng.example.com/\n"
        "theme: nosy\n",
    )
    code = main(["build", "--site", str(site), "--out", str(tmp_path / "out"), "--now", NOW])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "themes/nosy/templates/incident.html:1: template error" in err
    assert "ENG-CANARY" not in err
    assert not (tmp_path / "out").exists()


def _site_yml() -> str:
    from conftest import SITE_YML

    return SITE_YML


def test_a_sandboxed_theme_can_still_do_what_themes_do(make_site, build):
    site = make_site(
        {
            "content/incidents/x/a.md": update("x"),
            "themes/mine/templates/index.html": '{% extends "default/index.html" %}{% block main %}'
            "<p id=mine>{{ site.title | upper }} {{ groups | length }} "
            "{% for group in groups %}{{ group.components[0][0].name }}"
            "{% endfor %}"
            "{{ now | iso }}</p>{{ super() }}{% endblock %}",
        },
        site_yml=_site_yml() + "theme: mine\n",
    )
    page = html(build(site) / "public/index.html")
    assert page.select_one("#mine").get_text().startswith("EXAMPLE STATUS 2 APICDN2026-11-27T12:00:00")


# --------------------------------------------------------------------------- URLs and files


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>x</script>",
        "java\\tscript:alert(1)",
        "vbscript:x",
        "javascript\\n:alert(1)",
        "file:///etc/passwd",
        "https://exa mple.com/",
    ],
)
def test_link_urls_must_be_http_mailto_or_relative(make_site, capsys, tmp_path, url):
    yml = _site_yml() + f'links:\n  - title: Help\n    url: "{url}"\n'
    err = failed_build(make_site({"content/incidents/x/a.md": update("x")}, site_yml=yml), tmp_path, capsys)
    assert "site.yml:" in err and "must be an http(s) or mailto: URL" in err


@pytest.mark.parametrize(
    "url",
    [
        "https://help.example.com/",
        "http://x.example",
        "mailto:ops@example.com",
        "/about/",
        "../faq.html",
        "#components",
        "contact.html",
    ],
)
def test_safe_link_urls_are_kept(make_site, build, url):
    yml = _site_yml() + f'links:\n  - title: Help\n    url: "{url}"\n'
    out = build(make_site({"content/incidents/x/a.md": update("x")}, site_yml=yml))
    page = html(out / "public/index.html")
    assert url in [a["href"] for a in page.find_all("a")]


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("site.yml", None, "must be an image"),
        (".git/config", b"[core]\n", "must be an image"),
        ("logo.png", b"not a png", "is not a .png file by its content"),
        (
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "script> element",
        ),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "attribute onload"),
        ("data:image/png;base64,iVBORw0KGgo=", None, "must be an http(s) URL or an image file"),
        ("javascript:alert(1)", None, "must be an http(s) URL or an image file"),
        ("../outside.png", PNG, "must be an http(s) URL or an image file"),
        (
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><x:script xmlns:x="http://www.w3.org/2000/svg">'
            b'fetch("/p")</x:script></svg>',
            "<{http://www.w3.org/2000/svg}script> element",
        ),
        (
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:l="http://www.w3.org/1999/xlink">'
            b'<a l:href="jav&#x61;script:alert(1)"><rect/></a></svg>',
            "element",
        ),
        (
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:l="http://www.w3.org/1999/xlink">'
            b'<rect l:href="https://evil.example/x"/></svg>',
            "no scripts or links",
        ),
        ("logo.svg", b'<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg"/>', "is not"),
        (
            "logo.svg",
            b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg"/>',
            "DOCTYPE",
        ),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject/></svg>', "foreignObject"),
        ("logo.svg", b"<svg", "not a well-formed SVG"),
    ],
)
def test_a_logo_must_be_an_image_inside_the_site(make_site, capsys, tmp_path, name, content, message):
    site = make_site({"content/incidents/x/a.md": update("x")}, site_yml=_site_yml() + f'logo: "{name}"\n')
    if content is not None:
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_bytes(content)
    err = failed_build(site, tmp_path, capsys)
    assert "site.yml:" in err and message in err


def test_a_plain_svg_logo_is_published(make_site, build):
    svg = (
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
        b'<title>Acme</title><defs><linearGradient id="g"><stop offset="0"/></linearGradient></defs>'
        b'<g fill="url(#g)"><rect width="10" height="10"/><path d="M0 0L10 10"/></g></svg>'
    )
    site = make_site({"content/incidents/x/a.md": update("x")}, site_yml=_site_yml() + "logo: logo.svg\n")
    (site / "logo.svg").write_bytes(svg)
    assert (build(site) / "public/assets/logo.svg").read_bytes() == svg


def test_an_image_logo_is_published(make_site, build):
    site = make_site({"content/incidents/x/a.md": update("x")}, site_yml=_site_yml() + "logo: logo.png\n")
    (site / "logo.png").write_bytes(PNG)
    assert (build(site) / "public/assets/logo.png").read_bytes() == PNG


@pytest.mark.parametrize(
    "link", ["themes", "themes/mine", "themes/mine/templates", "themes/mine/static/leak.css"]
)
def test_theme_symlinks_out_of_the_site_are_refused(make_site, capsys, tmp_path, link):
    outside = tmp_path / "outside"
    (outside / "mine/templates").mkdir(parents=True)
    (outside / "mine/static").mkdir(parents=True)
    (outside / "mine/static/leak.css").write_text("/* OUTSIDE-FILE */")
    (outside / "mine/templates/index.html").write_text('{% extends "default/index.html" %}')
    site = make_site({"content/incidents/x/a.md": update("x")}, site_yml=_site_yml() + "theme: mine\n")
    target = site / link
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(outside / Path(link).relative_to("themes") if link != "themes" else outside)
    if link != "themes/mine":  # the theme folder itself must exist for the others
        (site / "themes/mine").mkdir(parents=True, exist_ok=True)
    err = failed_build(site, tmp_path, capsys)
    assert "symbolic link leads outside the site directory; refused" in err


# --------------------------------------------------------------------------- import


def test_imported_control_characters_and_markers_are_neutralised(make_site, build, tmp_path, capsys):
    synthetic = Path(__file__).parent / "data/import/statuspage-synthetic/incidents/incident0001.json"
    payload = json.loads(synthetic.read_text())
    payload["incident"]["name"] = "Errors\u0007 on\u009b API"
    for item in payload["incident"]["incident_updates"]:
        item["body"] = "- ::: strategic\nFixed\u0001.\n```\n::: x\n```"
    source = tmp_path / "export.json"
    source.write_text(json.dumps(payload))
    site = make_site()
    code = main(["import", "statuspage", str(source), "--site", str(site)])
    assert code == 0, capsys.readouterr().err
    out = build(site)
    (folder,) = (site / "content/incidents").iterdir()
    page = html(out / "public/incidents" / folder.name / "index.html")
    assert page.h1.get_text() == "Errors on API"
    body = page.select_one(".update .body")
    assert body.li.get_text().startswith("::: strategic") and body.code.get_text() == "::: x"


# --------------------------------------------------------------------------- unreadable files


@pytest.mark.skipif(
    shutil.which("setpriv") is None or os.geteuid() != 0,
    reason="needs root and setpriv to drop the capability to read any file",
)
def test_unreadable_files_are_problems_not_tracebacks(make_site, tmp_path):
    """Root reads every file; without CAP_DAC_OVERRIDE it meets file modes like anyone, so EACCES is real."""
    site = make_site({"content/incidents/x/a.md": update("x"), "content/incidents/x/b.md": update("y")})
    (site / "content/incidents/x/b.md").chmod(0o000)
    without_override = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]
    command = [sys.executable, "-m", "generator", "check", "--site", str(site), "--now", NOW]
    result = subprocess.run([*without_override, *command], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "content/incidents/x/b.md:1: cannot read this file: Permission denied" in result.stderr
    assert "Traceback" not in result.stderr


def test_message_templates_behind_symlinks_out_of_the_site_are_refused(make_site, capsys, tmp_path):
    outside = tmp_path / "outside.md"
    outside.write_text("---\nstatus: investigating\n---\nOUTSIDE-TEXT\n")
    site = make_site({"content/incidents/x/a.md": update("x")})
    (site / "content/templates").mkdir()
    (site / "content/templates/investigating.md").symlink_to(outside)
    code = main(["check", "--site", str(site), "--now", NOW])
    err = capsys.readouterr().err
    assert code == 1 and "content/templates/investigating.md:1: symbolic link leads outside" in err


@pytest.mark.parametrize(
    "body",
    [
        "a\u2028::: strategic\u2028b\u2028:::\u2028c",
        "a\r\n::: strategic\x85b\u2029:::\rc",
        "```\n::: strategic\nb\n:::\n```x\nc\n```",
    ],
)
def test_imported_bodies_keep_every_word_public(body):
    from generator.importers.text import convert

    converted = convert(body, hard_breaks=True)
    segments, errors = split_blocks(converted, 1, AUDIENCES)
    assert errors == [] and [s.levels for s in segments] == [()]
    text = BeautifulSoup(render_markdown(converted), "html.parser").get_text()
    assert "::: strategic" in text and "b" in text and "c" in text


def test_feeds_make_links_absolute_but_leave_text_alone(make_site, build):
    body = 'Set `href="/x"` in your config, see [the guide](/guide/) and <img src="/i.png" alt="i">.'
    out = build(make_site({"content/incidents/x/a.md": update(body)}))
    atom = (out / "public/history.atom").read_text()
    assert '&lt;code&gt;href="/x"&lt;/code&gt;' in atom
    assert "https://status.example.com/guide/" in atom and "https://status.example.com/i.png" in atom


def test_a_theme_words_the_restricted_label_its_own_way(make_site, build):
    macros = (Path(__file__).parent.parent / "themes/default/templates/macros.html").read_text()
    assert "{{ t.only(piece.restricted_to) }}" in macros
    site = make_site(
        {
            "content/incidents/x/a.md": update(f"Public.\n\n::: strategic\n{SECRET}\n:::\n"),
            "themes/default/templates/macros.html": macros.replace(
                "{{ t.only(piece.restricted_to) }}", "Reserved for {{ piece.restricted_to }}"
            ),
        }
    )
    out = build(site)
    label = html(out / "strategic/incidents/x/index.html").select_one(".restricted-label")
    assert label.get_text() == "Reserved for Strategic customers"
    assert SECRET not in (out / "public/incidents/x/index.html").read_text()
