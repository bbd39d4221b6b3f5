"""Pages in the reader's language: the example site in German has no word of statusgen's English
left; audiences may each have their own language; tables are the theme's, so a site overrides them."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import markdown
import pytest
import yaml
from bs4 import BeautifulSoup
from icalendar import Calendar

from generator.config import load_config
from generator.errors import Problems
from generator.render.theme import DEFAULT_THEME

from checkers import tree_feed_problems
from conftest import EXAMPLE_NOW, REPO, html, incident, run, tree_bytes

#: Attributes a reader sees or hears (and the words localtime.js puts on the page).
READER_ATTRIBUTES = ("title", "aria-label", "alt", "placeholder", "data-yours", "data-quiet")
ATOM = "{http://www.w3.org/2005/Atom}"


def _table(language: str) -> dict[str, object]:
    return yaml.safe_load((DEFAULT_THEME / "i18n" / f"{language}.yml").read_text(encoding="utf-8"))


def _flat(data: dict[str, object], prefix: str = "") -> dict[str, str]:
    """{"state.operational": "Operational", "history.incidents.one": "{n} incident", ...}."""
    flat: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = str(value)
    return flat


def english_phrases() -> set[str]:
    """The literal words of every English phrase (placeholders cut out), where German differs:
    "Affected:", "Latest update:", "All systems operational", "maintenance window", ..."""
    english, german = _flat(_table("en")), _flat(_table("de"))
    phrases = set()
    for key, value in english.items():
        if key.startswith("formats.") or german.get(key) == value:
            continue
        for fragment in re.split(r"\{[a-z_]+\}", value):
            fragment = fragment.strip(" ;·—–:()[]")
            if len(re.findall(r"[A-Za-z]{3,}", fragment)) >= 1 and fragment not in german.values():
                phrases.add(fragment)
    return phrases


def _html_texts(path: Path) -> Iterator[str]:
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    for tag in soup(["script", "style"]):
        tag.decompose()
    for text in soup.find_all(string=True):
        yield str(text)
    for tag in soup.find_all(True):
        for name in READER_ATTRIBUTES:
            if tag.get(name):
                yield str(tag[name])
        if tag.name == "meta" and tag.get("name") == "description":
            yield str(tag["content"])


def _xml_texts(path: Path) -> Iterator[str]:
    """Every text of a feed or badge; HTML content of a feed entry as its text nodes."""
    for element in ElementTree.parse(path).getroot().iter():
        for name in ("aria-label", "title", "label"):
            if element.get(name):
                yield str(element.get(name))
        text = (element.text or "").strip()
        if not text:
            continue
        if element.tag in (f"{ATOM}content", "description") and "<" in text:
            yield from BeautifulSoup(text, "html.parser").find_all(string=True)
        else:
            yield text


def _ics_texts(path: Path) -> Iterator[str]:
    calendar = Calendar.from_ical(path.read_bytes())
    yield str(calendar.get("x-wr-calname", ""))
    for event in calendar.walk("VEVENT"):
        yield str(event.get("summary", ""))
        yield from str(event.get("description", "")).split("\n")


def reader_texts(out: Path) -> dict[str, set[str]]:
    """{file: its texts} for every page, feed, calendar and badge of every tree."""
    texts: dict[str, set[str]] = {}
    for path in sorted(out.rglob("*")):
        name = path.relative_to(out).as_posix()
        if path.suffix == ".html":
            found = _html_texts(path)
        elif path.suffix in (".atom", ".rss", ".svg"):
            found = _xml_texts(path)
        elif path.suffix == ".ics":
            found = _ics_texts(path)
        else:
            continue
        texts[name] = {" ".join(text.split()) for text in found if text.strip()}
    return texts


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def content_texts(site: Path) -> set[str]:
    """What the site's writers wrote, as reader-visible texts: every value of site.yml and of the
    front matter, and the text nodes of every body (read from the sources, never from a build)."""
    found = set(_strings(yaml.safe_load((site / "site.yml").read_text(encoding="utf-8"))))
    for path in sorted((site / "content").rglob("*.md")):
        if "templates" in path.parts:
            continue
        _, front, body = path.read_text(encoding="utf-8").split("---", 2)
        found |= set(_strings(yaml.safe_load(front)))
        body = "\n".join(line for line in body.splitlines() if not line.startswith(":::"))
        found |= set(
            BeautifulSoup(markdown.markdown(body, extensions=["tables"]), "html.parser").find_all(string=True)
        )
    return {" ".join(text.split()) for text in found if text.strip()}


def test_no_english_word_of_statusgens_remains_in_the_example_de(example_de):
    site, out = example_de
    german = reader_texts(out)
    content = content_texts(site)
    pieces = sorted((c for c in content if len(c) >= 4), key=len, reverse=True)
    phrases = english_phrases()
    assert {"All systems operational", "Affected", "Latest update", "Incident history"} <= phrases
    patterns = [(phrase, re.compile(rf"(?<![A-Za-z]){re.escape(phrase)}(?![A-Za-z])")) for phrase in phrases]
    checked, found = 0, []
    for name, texts in german.items():
        for text in texts:
            if re.fullmatch(r"\S+://\S*|\S+@\S+", text) or any(text in piece for piece in content):
                continue  # an address, or the writers' own words (a title, a name, a piece of a body)
            rest = text
            for piece in pieces:  # their words inside a sentence of ours: "Nur für Strategic customers"
                rest = rest.replace(piece, " ")
            checked += 1
            found += [f"{name}: {phrase!r} in {text!r}" for phrase, rule in patterns if rule.search(rest)]
    kinds = {Path(name).suffix for name in german}
    assert kinds >= {".html", ".atom", ".rss", ".ics", ".svg"}
    assert checked > 1000, checked
    assert not found, f"{len(found)} English phrases on German pages:\n" + "\n".join(found[:40])


def test_the_example_de_speaks_german(example_de):
    _, out = example_de
    page = html(out / "public" / "index.html")
    assert page.html["lang"] == "de"
    assert page.find(id="overall").get_text() == "Einige Systeme mit Leistungseinbußen"
    text = page.get_text(" ")
    # Dates by CLDR: "Fr., 27. Nov. 2026, 05:08 MEZ"; durations with plural forms; decimal commas.
    assert "Fr., 27. Nov. 2026, 05:08 MEZ" in text
    assert re.search(r"\b1 Tag 11 Std\.", text) and "4 Std. 41 Min." in text
    assert re.search(r"\b99,\d+ %", text)
    assert "Untersuchung läuft" in text and "Wird beobachtet" in text
    history = html(out / "public" / "history" / "index.html").get_text(" ")
    assert re.search(r"\b1 Störung\b", history) and re.search(r"\b[2-9] Störungen\b", history)
    assert "November 2026" in history and "Oktober 2026" in history
    badge = (out / "public" / "badge.svg").read_text(encoding="utf-8")
    assert "Status: Leistungseinbußen" in badge or "Status: Einige Systeme" in badge
    feed = (out / "public" / "history.atom").read_text(encoding="utf-8")
    assert "<title>Wird beobachtet: " in feed
    executives = html(out / "executives" / "incidents" / "2026-11-27-api-errors-frankfurt" / "index.html")
    assert "Nur für Executives und Business teams" in executives.get_text(" ")


def test_german_output_does_not_depend_on_the_machines_locale(example_de, tmp_path, monkeypatch):
    from generator.cli import main

    source, german_out = example_de
    site = tmp_path / "site"
    shutil.copytree(source, site)
    for name in ("LANG", "LC_ALL", "LC_TIME", "LC_NUMERIC", "LANGUAGE"):
        monkeypatch.setenv(name, "fr_FR.UTF-8")
    out = tmp_path / "out"
    assert main(["build", "--site", str(site), "--out", str(out), "--now", EXAMPLE_NOW]) == 0
    for path in sorted(german_out.rglob("*")):
        if path.is_file():
            assert (out / path.relative_to(german_out)).read_bytes() == path.read_bytes(), path


def test_german_feeds_stay_valid(example_de):
    _, out = example_de
    config = load_config(REPO, Problems(REPO))
    assert config is not None
    for audience in config.audiences:
        count, problems = tree_feed_problems(out / audience.id, audience.base_url)
        assert count >= 2 and not problems, problems


PER_AUDIENCE = """\
title: Beispiel Status
base_url: https://status.example.com/
timezone: Europe/Berlin
language: de
components:
  - id: api
    name: API
audiences:
  - id: public
    title: Öffentlich
  - id: support
    title: Support
    language: en
    base_url: https://support.example.com/
"""


def test_each_audience_reads_its_own_language(make_site, build, tmp_path):
    site = make_site(
        {
            "content/incidents/api-down/01.md": incident(
                "2026-11-27T10:00:00Z",
                "investigating",
                "Public words.\n\n::: support\nSupport words.\n:::\n",
                title="API errors",
                impact="major",
                components={"api": "major_outage"},
            )
        },
        site_yml=PER_AUDIENCE,
    )
    out = build(site)
    public, support = html(out / "public" / "index.html"), html(out / "support" / "index.html")
    assert public.html["lang"] == "de" and support.html["lang"] == "en"
    assert public.find(id="overall").get_text() == "Schwerer Ausfall"
    assert support.find(id="overall").get_text() == "Major outage"
    assert "Aktuelle Störungen" in public.get_text() and "Active incidents" not in public.get_text()
    assert "Active incidents" in support.get_text() and "Aktuelle Störungen" not in support.get_text()
    # Content is written once; the support tree keeps its own words around it.
    assert "Support words." in support.get_text() and "Support words." not in public.get_text()
    assert "Support only" in support.get_text()
    for tree, language, base in (("public", "de", "https://status.example.com/"), ("support", "en", None)):
        base = base or "https://support.example.com/"
        count, problems = tree_feed_problems(out / tree, base)
        assert count == 4 and not problems, problems
        rss = ElementTree.parse(out / tree / "history.rss").getroot()
        assert rss.findtext("channel/language") == language
    assert "Untersuchung läuft: API errors" in (out / "public" / "history.atom").read_text(encoding="utf-8")
    assert "Investigating: API errors" in (out / "support" / "history.atom").read_text(encoding="utf-8")
    assert b"API: schwerer Ausfall" in (out / "public" / "components" / "api" / "badge.svg").read_bytes()


def test_a_sites_own_table_overrides_a_phrase_and_an_incremental_build_shows_it(make_site, build):
    site = make_site(
        {
            "content/incidents/one/01.md": incident(
                "2026-11-27T10:00:00Z",
                "resolved",
                title="Fixed",
                impact="minor",
                components={"api": "operational"},
            )
        },
        site_yml=PER_AUDIENCE,
    )
    out = build(site)
    page = out / "public" / "incidents" / "one" / "index.html"
    assert "Verlauf" in html(page).find("nav").get_text()
    own = site / "themes" / "default" / "i18n" / "de.yml"
    own.parent.mkdir(parents=True)
    own.write_text("page:\n  history: Chronik\n", encoding="utf-8")
    build(site, out)  # the same output folder: an incremental build
    assert html(page).find("nav").get_text().endswith("Chronik")
    assert "Chronik" not in (out / "support" / "incidents" / "one" / "index.html").read_text(encoding="utf-8")


def test_mistakes_in_a_sites_own_table_are_reported_with_their_line(make_site, capsys):
    site = make_site(site_yml=PER_AUDIENCE)
    own = site / "themes" / "default" / "i18n" / "de.yml"
    own.parent.mkdir(parents=True)
    own.write_text("page:\n  history: Chronik\n  histroy: Typo\nstate:\n  operational: '{nope}'\n")
    code, _, err = run(capsys, "check", "--site", str(site))
    assert code == 1
    assert "themes/default/i18n/de.yml:3: unknown phrase 'page.histroy'" in err
    assert "themes/default/i18n/de.yml:5: 'state.operational' uses {nope}" in err
    assert "Traceback" not in err


def test_a_language_without_a_table_falls_back_to_english_with_one_warning(make_site, build, capsys):
    site_yml = PER_AUDIENCE.replace("language: de", "language: fr").replace("language: en", "language: fr")
    site = make_site(site_yml=site_yml)
    code, _, err = run(capsys, "check", "--site", str(site))
    assert code == 0, err
    warnings = [line for line in err.splitlines() if "no string table" in line]
    assert len(warnings) == 1 and warnings[0].startswith("site.yml:4: warning:"), err
    out = build(site)
    page = html(out / "public" / "index.html")
    assert page.html["lang"] == "fr" and page.find(id="overall").get_text() == "All systems operational"


def test_a_sites_own_language_missing_phrases_gets_one_warning_and_english_for_them(make_site, build, capsys):
    site = make_site(site_yml=PER_AUDIENCE.replace("language: de", "language: fr"))
    own = site / "themes" / "default" / "i18n" / "fr.yml"
    own.parent.mkdir(parents=True)
    own.write_text("overall:\n  operational: Tous les systèmes sont opérationnels\n", encoding="utf-8")
    code, _, err = run(capsys, "check", "--site", str(site))
    assert code == 0, err
    warnings = [line for line in err.splitlines() if "fr.yml" in line]
    assert len(warnings) == 1 and "phrase(s) missing for 'fr'" in warnings[0], err
    page = html(build(site) / "public" / "index.html")
    assert page.find(id="overall").get_text() == "Tous les systèmes sont opérationnels"
    assert page.find(id="past-heading").get_text() == "Past incidents"


def test_init_language_de_writes_a_german_site_that_builds_in_german(tmp_path, capsys, build):
    site = tmp_path / "status"
    assert run(capsys, "init", str(site), "--title", "Acme Status", "--language", "de")[0] == 0
    config = (site / "site.yml").read_text(encoding="utf-8")
    assert re.search(r"(?m)^language: de$", config) and "Die Sprache" not in config
    assert "# Wer die Feeds veröffentlicht" in config and "name: Anmeldung" in config
    template = (site / "content" / "templates" / "investigating.md").read_text(encoding="utf-8")
    assert "Wir untersuchen eine Störung bei {components}." in template
    english_starter = REPO / "generator" / "starter" / "content" / "templates"
    german = sorted(p.name for p in (site / "content" / "templates").iterdir())
    assert german == sorted(p.name for p in english_starter.iterdir())
    assert not (site / "languages").exists()
    example = next(site.glob("content/incidents/*-status-page-live/01-resolved.md"))
    assert "title: Unsere Statusseite ist online" in example.read_text(encoding="utf-8")
    example.write_text(re.sub(r"(?m)^date: .*$", "date: 2026-11-27T07:59:00+00:00", example.read_text()))
    code, _, err = run(capsys, "check", "--site", str(site))
    assert code == 0 and "string table" not in err and "phrase" not in err, err
    # `new` fills the German template with German words: a list joined by "und", German dates.
    code, out, err = run(
        capsys,
        *("new", "incident", "--site", str(site), "--title", "API-Fehler", "--impact", "major"),
        *("--components", "api,web", "--date", "2026-11-27T10:00:00Z"),
    )
    assert code == 0, err
    written = Path(out.strip()).read_text(encoding="utf-8")
    assert "Wir untersuchen eine Störung bei API und Web-App." in written
    assert "Fr., 27. Nov. 2026, 11:30 MEZ" in written
    page = html(build(site) / "public" / "index.html")
    assert page.html["lang"] == "de" and "Unsere Statusseite ist online" in page.get_text()


def test_init_refuses_a_language_it_has_no_starter_for(tmp_path, capsys):
    with pytest.raises(SystemExit):
        run(capsys, "init", str(tmp_path / "x"), "--language", "xx")
    assert "invalid choice: 'xx'" in capsys.readouterr().err


def test_an_audiences_language_is_checked_like_the_sites(make_site, capsys):
    site = make_site(site_yml=PER_AUDIENCE.replace("    language: en\n", "    language: de_DE!\n"))
    code, _, err = run(capsys, "check", "--site", str(site))
    assert code == 1
    assert "site.yml:13: 'language' must be a tag like en, de or pt-BR, not 'de_DE!'" in err


def test_a_sites_date_patterns_and_own_english_are_checked_at_their_line(make_site, capsys, tmp_path):
    """Date patterns are tried on a sample date; a site's en.yml is checked against statusgen's
    own English (not against itself); a table outside the site is not read, nor its values shown."""
    site = make_site(site_yml=PER_AUDIENCE)
    own = site / "themes" / "default" / "i18n"
    own.mkdir(parents=True)
    (own / "de.yml").write_text(
        "formats:\n  message: GGGGGGGG\n  date: 'd. MMM y, HH:mm'\n  day: \"d. 'of MMM\"\n  month: ''\n"
    )
    (own / "en.yml").write_text("state:\n  operatoinal: Up\n  operational: 'Up {zone}'\n")
    code, _, err = run(capsys, "check", "--site", str(site))
    assert code == 1 and "Traceback" not in err
    for line, text in [
        ("de.yml:2", "'formats.message': not a CLDR date pattern"),
        ("de.yml:3", "'formats.date': a pattern for days cannot show a time of day"),
        ("de.yml:4", "'formats.day': an unclosed quote"),
        ("de.yml:5", "'formats.month': an empty date pattern"),
        ("en.yml:2", "unknown phrase 'state.operatoinal'"),
        ("en.yml:3", "'state.operational' uses {zone}"),
    ]:
        assert f"themes/default/i18n/{line}: {text}" in err, (line, err)

    (own / "de.yml").unlink()
    (own / "en.yml").unlink()
    secret = tmp_path / "secret.yml"
    secret.write_text("deploy_key: 8675309123\n")
    (own / "de.yml").symlink_to(secret)
    code, _, err = run(capsys, "check", "--site", str(site))
    assert code == 1 and "de.yml:1: symbolic link leads outside the site directory; refused" in err
    assert "8675309123" not in err and "deploy_key" not in err


def test_a_regional_table_adds_to_its_language(make_site, build):
    """de-AT.yml with one phrase: that phrase, German for the rest (not English)."""
    site = make_site(site_yml=PER_AUDIENCE.replace("language: de", "language: de-AT"))
    own = site / "themes" / "default" / "i18n" / "de-AT.yml"
    own.parent.mkdir(parents=True)
    own.write_text("overall:\n  operational: Alles in Ordnung\n", encoding="utf-8")
    page = html(build(site) / "public" / "index.html")
    assert page.html["lang"] == "de-AT"
    assert page.find(id="past-heading").get_text() == "Vergangene Störungen"
    assert page.find(id="overall").get_text() == "Alles in Ordnung"


def test_the_json_api_is_the_same_in_every_language(example_out, example_de):
    """Programs read the API: its values, descriptions and the labels inside bodies ("Executives
    and Business teams only") stay English, byte for byte, while the pages follow the language."""
    _, out_de = example_de
    compared = 0
    for audience in (p.name for p in example_out.iterdir() if p.is_dir()):
        english = tree_bytes(example_out / audience / "api")
        assert english and tree_bytes(out_de / audience / "api") == english, audience
        compared += len(english)
    assert compared > 20
    labels = {
        label.get_text()
        for page in (out_de / "executives").rglob("*.html")
        for label in html(page).select(".restricted-label")
    }
    assert any(" und " in label for label in labels), sorted(labels)
