"""The words statusgen writes to readers, in the reader's language.

Phrases come from YAML string tables in the theme, ``i18n/<language>.yml`` (the site's own theme
first, so it can add a language or override a phrase); dates, numbers, lists and plural forms come
from Babel's CLDR data, always for an explicit locale (never the machine's locale settings). A
phrase a table lacks is taken from the English table, so every page is whole. Tables are read once
per build (``load_tables``) and each audience's ``Translator`` is made once: lookups are dict reads.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone, tzinfo
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, get_timezone_name
from babel.lists import format_list
from babel.numbers import format_decimal, get_decimal_symbol
from markupsafe import Markup, escape

from generator.errors import Problem, Problems
from generator.yamlsource import SourceError, YamlMap, load_yaml, read_text

FALLBACK = "en"
PLURAL_FORMS = frozenset({"zero", "one", "two", "few", "many", "other"})
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")

Phrase = str | dict[str, str]  # a text, or its plural forms by CLDR category ("one", "other", ...)


@dataclass(frozen=True)
class Table:
    """One language's phrases as flat dotted keys ("state.operational"), with the line of each."""

    language: str
    path: Path | None
    phrases: dict[str, Phrase]
    lines: dict[str, int] = field(default_factory=dict)


def table_paths(theme_dirs: list[Path], language: str) -> list[Path]:
    """The table files for a language, most specific theme first."""
    return [folder / "i18n" / f"{language}.yml" for folder in theme_dirs]


def read_table(path: Path, language: str, problems: Problems) -> Table:
    """A table file, flattened; its mistakes are problems at their line."""
    try:
        data = load_yaml(read_text(path))
    except SourceError as error:
        problems.add(path, error.line, error.message)
        return Table(language, path, {})
    if data is None:
        return Table(language, path, {})
    if not isinstance(data, YamlMap):
        problems.add(path, 1, "a string table is a mapping of keys to phrases")
        return Table(language, path, {})
    phrases: dict[str, Phrase] = {}
    lines: dict[str, int] = {}
    _flatten(data, "", path, phrases, lines, problems)
    return Table(language, path, phrases, lines)


def _flatten(
    data: YamlMap,
    prefix: str,
    path: Path,
    phrases: dict[str, Phrase],
    lines: dict[str, int],
    problems: Problems,
) -> None:
    for key, value in data.items():
        name, line = f"{prefix}{key}", data.line_of(key)
        if isinstance(value, YamlMap) and value and set(value) <= PLURAL_FORMS:
            if "other" not in value or not all(isinstance(v, str) for v in value.values()):
                problems.add(path, line, f"'{name}': plural forms are texts and need 'other'")
                continue
            phrases[name], lines[name] = dict(value), line
        elif isinstance(value, YamlMap):
            _flatten(value, f"{name}.", path, phrases, lines, problems)
        elif isinstance(value, str):
            phrases[name], lines[name] = value, line
        else:
            problems.add(path, line, f"'{name}' must be a text, not {type(value).__name__}")


@dataclass(frozen=True)
class Tables:
    """Every language's table of one site: the site's own theme over statusgen's."""

    theme_dirs: tuple[Path, ...]
    by_language: dict[str, dict[str, Phrase]]
    problems: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()
    _translators: dict[str, Translator] = field(default_factory=dict, compare=False, repr=False)

    def translator(self, language: str) -> Translator:
        """The translator for a language tag ("de", "de-AT"), made once."""
        found = self._translators.get(language)
        if found is None:
            found = self._translators[language] = Translator.make(language, self.resolve(language), self)
        return found

    def resolve(self, language: str) -> str:
        """The table a tag is read from: itself, its base language ("de" for "de-AT") or English."""
        for candidate in (language, language.split("-")[0].lower()):
            if candidate in self.by_language:
                return candidate
        return FALLBACK


def load_tables(theme_dirs: list[Path], site_dir: Path, languages: Iterable[str]) -> Tables:
    """Every table the site's languages need (and English, the fallback), checked."""
    problems, warnings = Problems(site_dir), Problems(site_dir)
    default = theme_dirs[-1].resolve()  # statusgen's own theme (the example site is in its folder)
    own_dirs = [folder for folder in theme_dirs[:-1] if folder.resolve() != default]
    wanted = {FALLBACK}
    for language in languages:
        wanted |= {language, language.split("-")[0].lower()}
    merged: dict[str, dict[str, Phrase]] = {}
    own_tables: list[Table] = []
    english: dict[str, Phrase] = {}  # statusgen's own: what a site's tables are checked against
    inside = site_dir.resolve()
    for language in sorted(wanted):
        phrases: dict[str, Phrase] = {}
        for path in reversed(table_paths(theme_dirs, language)):  # the default first, overrides last
            if not path.is_file():
                continue
            own = path.parent.parent in own_dirs
            if own and not path.resolve().is_relative_to(inside):
                problems.add(path, 1, "symbolic link leads outside the site directory; refused")
                continue
            table = read_table(path, language, problems)
            phrases.update(table.phrases)
            if own:
                own_tables.append(table)
            elif language == FALLBACK:
                english = table.phrases
        if phrases:
            merged[language] = phrases
    for language in sorted(merged):  # a regional table (de-AT) adds to its language's (de)
        base = language.split("-")[0].lower()
        if base != language and base in merged:
            merged[language] = {**merged[base], **merged[language]}
    for table in own_tables:
        _check_own(table, english, merged.get(table.language, {}), problems, warnings)
    for language in sorted(set(languages)):
        if language.split("-")[0].lower() not in merged and language not in merged:
            warnings.add(
                "site.yml",
                _language_line(site_dir / "site.yml", language),
                f"no string table for language {language!r} (themes/<theme>/i18n/{language}.yml): "
                "pages are written in English",
            )
    return Tables(tuple(theme_dirs), merged, tuple(problems.items), tuple(warnings.items))


def _language_line(path: Path, language: str) -> int:
    """The line of site.yml that first sets this language (1 if none does, e.g. a default)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return 1
    pattern = re.compile(rf"^\s*language:\s*['\"]?{re.escape(language)}['\"]?\s*(#.*)?$")
    return next((number for number, line in enumerate(lines, 1) if pattern.match(line)), 1)


def _check_own(
    table: Table,
    english: dict[str, Phrase],
    merged: dict[str, Phrase],
    problems: Problems,
    warnings: Problems,
) -> None:
    """A site's own table: unknown keys and wrong placeholders are errors at their line; missing
    phrases, one warning for the language (English is used for them)."""
    assert table.path is not None
    for key, phrase in table.phrases.items():
        line = table.lines.get(key, 1)
        if key not in english:
            problems.add(table.path, line, f"unknown phrase '{key}' (not in the English table)")
            continue
        expected = _placeholders(english[key])
        extra = _placeholders(phrase) - expected
        if extra:
            problems.add(
                table.path,
                line,
                f"'{key}' uses {', '.join('{' + p + '}' for p in sorted(extra))}, which it is not given "
                f"(it may use {', '.join('{' + p + '}' for p in sorted(expected)) or 'none'})",
            )
        if isinstance(english[key], dict) != isinstance(phrase, dict):
            problems.add(table.path, line, f"'{key}' must be {_shape(english[key])}")
        elif key.startswith("formats.") and isinstance(phrase, str):
            mistake = _pattern_mistake(key, phrase)
            if mistake:
                problems.add(table.path, line, f"'{key}': {mistake}")
    missing = sorted(key for key in english if key not in merged)
    if missing and merged and table.language != FALLBACK:  # (an empty table: "no string table")
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        warnings.add(
            table.path,
            1,
            f"{len(missing)} phrase(s) missing for {table.language!r}, written in English: {shown}",
        )


_SAMPLE = datetime(2026, 12, 2, 5, 12, tzinfo=timezone.utc)
_TIME_FIELDS = re.compile(r"[HhKkmsSAaBbjJCzZvVOXx]")


def _pattern_mistake(key: str, pattern: str) -> str:
    """Why a date pattern (CLDR's, e.g. "EEE, d. MMM y, HH:mm") cannot be used ("" if it can)."""
    if not pattern.strip():
        return "an empty date pattern"
    if pattern.count("'") % 2:
        return "an unclosed quote (write '' for a quote mark)"
    days_only = key in ("formats.date", "formats.day", "formats.month")
    if days_only and _TIME_FIELDS.search(re.sub(r"'[^']*'", "", pattern)):
        return "a pattern for days cannot show a time of day or a time zone"
    try:
        if days_only:
            format_date(_SAMPLE.date(), pattern, locale=FALLBACK)
        else:
            format_datetime(_SAMPLE, pattern, tzinfo=timezone.utc, locale=FALLBACK)
    except (ValueError, KeyError, AttributeError, TypeError) as error:
        return f"not a CLDR date pattern ({error})"
    return ""


def _shape(phrase: Phrase) -> str:
    return "plural forms (one: ..., other: ...)" if isinstance(phrase, dict) else "a text"


def _placeholders(phrase: Phrase) -> set[str]:
    texts = phrase.values() if isinstance(phrase, dict) else [phrase]
    return {name for text in texts for name in _PLACEHOLDER.findall(text)}


def _fill(text: str, args: Mapping[str, object], quote: Callable[[object], str] = str) -> str:
    """Put arguments into {name} placeholders; nothing else of Python's format mini-language
    (a site's table must not reach attributes of what it is given)."""
    return _PLACEHOLDER.sub(lambda m: quote(args[m.group(1)]) if m.group(1) in args else m.group(0), text)


@functools.cache
def babel_locale(language: str) -> Locale:
    """Babel's locale for a language tag ("de", "pt-BR"); its base language, or English, when CLDR
    does not know it. Always explicit: never the machine's locale settings."""
    for candidate in (language.replace("-", "_"), language.split("-")[0]):
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse(FALLBACK)


@dataclass(frozen=True)
class Translator:
    """One language's words, dates and numbers. Made once per audience (Tables.translator)."""

    language: str  # the tag as site.yml writes it ("de", "de-AT")
    locale: Locale
    phrases: dict[str, Phrase]
    # Formatted times and counts, kept: the same moments recur on many pages of many audiences.
    _memo: dict[tuple[object, ...], str] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def make(cls, language: str, table: str, tables: Tables) -> Translator:
        phrases = dict(tables.by_language.get(FALLBACK, {}))
        phrases.update(tables.by_language.get(table, {}))
        locale = babel_locale(language if table != FALLBACK else FALLBACK)
        return cls(language, locale, phrases)

    def __call__(self, key: str, **args: object) -> str:
        """The phrase, with its {placeholders} filled."""
        phrase = self.phrases[key]
        return _fill(phrase if isinstance(phrase, str) else phrase["other"], args)

    def markup(self, key: str, **args: object) -> Markup:
        """The phrase as HTML: its text escaped, markup arguments (links) kept."""
        phrase = self(key)
        return Markup(_fill(str(escape(phrase)), args, lambda value: str(escape(value))))

    def plural(self, key: str, count: int, **args: object) -> str:
        """The phrase's form for count ("1 incident", "3 incidents"), {n} the count as a number."""
        memo = ("plural", key, count)
        if not args and memo in self._memo:
            return self._memo[memo]
        phrase = self.phrases[key]
        forms = phrase if isinstance(phrase, dict) else {"other": phrase}
        form = forms.get(self.locale.plural_form(count), forms["other"])
        text = _fill(form, {"n": format_decimal(count, locale=self.locale), **args})
        if not args:
            self._memo[memo] = text
        return text

    def section(self, prefix: str) -> dict[str, str]:
        """The texts under a prefix, by their last key: {"operational": "Operational", ...}."""
        return {
            key[len(prefix) + 1 :]: value
            for key, value in self.phrases.items()
            if key.startswith(prefix + ".") and isinstance(value, str)
        }

    def when(self, moment: datetime, zone: tzinfo, pattern: str = "datetime") -> str:
        """A moment in the site's zone: "Dec 2, 2026, 05:12 CET", "Mi., 2. Dez. 2026, 05:12 MEZ"
        (by formats.datetime, or another of the table's patterns, then the zone's short name)."""
        memo = ("when", moment, zone, pattern)
        found = self._memo.get(memo)
        if found is None:
            local = moment.astimezone(zone)
            text = format_datetime(local, self(f"formats.{pattern}"), tzinfo=zone, locale=self.locale)
            found = self._memo[memo] = f"{text} {self.zone_name(local, zone)}"
        return found

    def zone_name(self, local: datetime, zone: tzinfo) -> str:
        """The zone's short name in this language where CLDR has one ("MEZ"), else the time zone
        database's abbreviation ("CET", "EST"), never a bare offset."""
        name = get_timezone_name(local, width="short", locale=self.locale, return_zone=False)
        if name and name[0].isalpha() and not name.startswith("GMT"):
            return name
        return local.strftime("%Z")

    def date(self, day: date, pattern: str = "date") -> str:
        """A day by one of the table's patterns (formats.date, formats.day, formats.month)."""
        return format_date(day, self(f"formats.{pattern}"), locale=self.locale)

    def month(self, month: str) -> str:
        """ "2026-11" as "November 2026" / "November 2026"."""
        return self.date(date(int(month[:4]), int(month[5:7]), 1), "month")

    def number(self, text: str) -> str:
        """A number written with "." (as Python writes it) with this language's decimal sign."""
        return text.replace(".", get_decimal_symbol(self.locale))

    def join(self, items: list[str]) -> str:
        """ "A, B and C" in this language."""
        return format_list(items, locale=self.locale) if items else ""

    def only(self, audiences: str) -> str:
        """The label of content for some audiences only: "Strategic customers only"."""
        return self("label.only", audiences=audiences)

    def duration(self, start: datetime, end: datetime | None) -> str:
        """A duration like '2 h 15 min' or '3 d 4 h' ('2 Std. 15 Min.')."""
        if end is None:
            return ""
        minutes = max(0, int((end - start).total_seconds() // 60))
        days, rest = divmod(minutes, 24 * 60)
        hours, minutes = divmod(rest, 60)
        parts = [
            self.plural("duration.days", days) if days else "",
            self.plural("duration.hours", hours) if hours else "",
            self.plural("duration.minutes", minutes) if minutes and not days else "",
        ]
        return " ".join(p for p in parts if p) or self("duration.under_a_minute")

    def words(self) -> dict[str, Any]:
        """What every page's template is given besides ``t`` itself (themes written before the
        tables read these names)."""
        return {
            "state_label": self.section("state"),
            "overall_label": self.section("overall"),
            "status_label": self.section("status"),
            "impact_label": self.section("impact"),
        }
