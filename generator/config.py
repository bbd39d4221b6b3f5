"""site.yml: the site's configuration, validated into frozen dataclasses."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from generator.errors import Problems, one_of
from generator.notify.channels import Channel, read_channels, shared_channels, unknown_components
from generator.yamlsource import SourceError, YamlList, YamlMap, load_yaml, read_text

CONFIG_NAME = "site.yml"
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
LINK_SCHEMES = ("http", "https", "mailto", "")  # "": a path on this site; never javascript: or data:
MAX_ID_LENGTH = 100  # ids name folders, files and URLs: well within every file system's limit
# Every top-level key site.yml may have (the starter site.yml shows each one; a test holds them to it).
SITE_KEYS = (
    "title",
    "base_url",
    "timezone",
    "language",
    "description",
    "logo",
    "links",
    "history_days",
    "feed_size",
    "author",
    "theme",
    "components",
    "audiences",
    "templates",
    "uptime",
    "sla",
)
SLA_PERIODS = ("month", "quarter", "year")
EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
NOTIFY_KEYS = ("notify", "notify_before_deploy")  # an audience's channels (generator/notify/channels.py)
DEFAULT_AUDIENCES = (
    {"id": "public", "title": "Public", "noindex": False},
    {"id": "strategic", "title": "Strategic customers", "noindex": True},
)


@dataclass(frozen=True)
class SlaTarget:
    """An availability target: uptime (the uptime formula's) of at least ``target`` % per period."""

    target: float  # percent, strictly between 0 and 100
    period: str  # one of SLA_PERIODS, in the site's time zone


@dataclass(frozen=True)
class Component:
    id: str
    name: str
    description: str = ""
    group: str = ""
    since: date | None = None  # uptime history starts on this day (None: as far back as it goes)
    sla: SlaTarget | None = None  # its own sla:, else its group's (site.yml sla.groups), else none


@dataclass(frozen=True)
class UptimeSettings:
    """How uptime is counted (site.yml ``uptime:``); see the README's formula."""

    days: int = 90
    partial_outage_weight: float = 0.3  # the share of a partial outage that counts as down
    maintenance_counts_as_down: bool = False


@dataclass(frozen=True)
class Audience:
    """One audience. What it may see is decided in generator/audience.py, from ``included``."""

    id: str
    title: str
    position: int  # its place in site.yml: 0 is the public audience (indexed, at the site's base_url)
    base_url: str
    description: str = ""
    noindex: bool = False
    includes: tuple[str, ...] = ()  # the audiences whose content it also sees, as site.yml says
    included: frozenset[str] = frozenset()  # itself and every audience it includes, transitively
    notify: tuple[Channel, ...] = ()  # where `statusgen notify` sends its messages (site.yml notify:)
    notify_before_deploy: bool = False  # told before the deploy (internal audiences: support first)
    sla_report: bool = False  # it gets sla/, api/sla.json and SLA costs on open incidents
    language: str = "en"  # the words around its content (its own, or the site's 'language')


@dataclass(frozen=True)
class Link:
    title: str
    url: str


@dataclass(frozen=True)
class Author:
    """Who publishes the feeds (Atom requires an author: RFC 4287 4.1.1)."""

    name: str
    email: str = ""
    uri: str = ""


@dataclass(frozen=True)
class SiteConfig:
    title: str
    base_url: str
    timezone: ZoneInfo
    components: tuple[Component, ...]
    audiences: tuple[Audience, ...]
    language: str = "en"
    description: str = ""
    logo: str = ""
    links: tuple[Link, ...] = ()
    history_days: int = 14
    feed_size: int = 50
    theme: str = "default"
    author: Author | None = None  # None: the feeds name the site's title
    require_approval: bool = False  # message templates must be approved (templates.require_approval)
    approvers: tuple[str, ...] = ()  # roles that must each approve a template (templates.approvers)
    uptime: UptimeSettings = UptimeSettings()
    component_ids: frozenset[str] = field(default=frozenset(), compare=False)

    @property
    def feed_author(self) -> Author:
        return self.author or Author(self.title)

    @property
    def logo_uri(self) -> str:
        """Where a local logo file is copied in each tree ("" for none or a URL)."""
        if not self.logo or urlsplit(self.logo).scheme:
            return ""
        return f"assets/{Path(self.logo).name}"

    def audience(self, audience_id: str) -> Audience | None:
        return next((a for a in self.audiences if a.id == audience_id), None)


class _Reader:
    """Reads typed keys out of a YAML mapping, recording a problem for each mistake."""

    def __init__(self, data: YamlMap, problems: Problems, path: Path, where: str = ""):
        self.data, self.problems, self.path, self.where = data, problems, path, where

    def problem(self, key: str | None, message: str) -> None:
        line = self.data.line_of(key) if key else self.data.line
        self.problems.add(self.path, line, message)

    def check_keys(self, allowed: tuple[str, ...]) -> None:
        for key in self.data:
            if key not in allowed:
                self.problem(key, one_of(key, allowed, f"key{self.where}"))

    def get(
        self, key: str, kind: type | tuple[type, ...], default: Any = None, required: bool = False
    ) -> Any:
        if key not in self.data or self.data[key] is None:
            if required:
                self.problem(None, f"missing required key {key!r}{self.where}")
            return default
        value = self.data[key]
        if kind in (int, _TEXT) and isinstance(value, bool) or not isinstance(value, kind):
            self.problem(key, f"{key!r} must be {_TYPE_NAMES[kind]}, not {_describe(value)}")
            return default
        return value

    def text(self, key: str, default: str = "", required: bool = False) -> str:
        value = self.get(key, _TEXT, default, required)
        return str(value).strip() if value is not None else default

    def number(self, key: str, default: int, low: int, high: int) -> int:
        value: int = self.get(key, int, default)
        if not low <= value <= high:
            self.problem(key, f"{key!r} must be between {low} and {high}, not {value}")
            return default
        return value


_TEXT = (str, int, float)
_TYPE_NAMES: dict[Any, str] = {
    _TEXT: "text",
    int: "a whole number",
    (int, float): "a number",
    bool: "true or false",
    YamlList: "a list",
    YamlMap: "a mapping",
}


def _describe(value: object) -> str:
    if isinstance(value, YamlMap):
        return "a mapping"
    if isinstance(value, YamlList):
        return "a list"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    return repr(value)


def load_config(site_dir: Path, problems: Problems) -> SiteConfig | None:
    """Read and validate site.yml; returns None when it is unusable (problems say why)."""
    path = site_dir / CONFIG_NAME
    data = _read_mapping(path, problems)
    if data is None:
        return None
    reader = _Reader(data, problems, path)
    reader.check_keys(SITE_KEYS)
    base_url = _url(reader, "base_url", required=True) or "https://example.invalid/"
    zone = _timezone(reader)
    history_days = reader.number("history_days", 14, 1, 366)
    feed_size = reader.number("feed_size", 50, 1, 1000)
    theme = _theme(reader, site_dir)
    components = _with_group_targets(reader, _components(reader))
    language = _language(reader)
    config = SiteConfig(
        title=reader.text("title", required=True),
        base_url=base_url,
        timezone=zone,
        language=language,
        description=reader.text("description"),
        logo=_logo(reader, site_dir),
        links=_links(reader),
        history_days=history_days,
        feed_size=feed_size,
        author=_author(reader),
        theme=theme,
        components=components,
        audiences=_audiences(reader, base_url, language),
        require_approval=_require_approval(reader) or bool(_approvers(reader, check=False)),
        approvers=_approvers(reader),
        uptime=_uptime(reader),
        component_ids=frozenset(c.id for c in components),
    )
    channels = {a.id: a.notify for a in config.audiences}
    problems.extend(unknown_components(channels, config.component_ids, problems.display(path)))
    problems.extend(shared_channels(channels, problems.display(path)))
    return config


def _read_mapping(path: Path, problems: Problems) -> YamlMap | None:
    if not path.is_file():
        problems.add(path, 1, f"no {CONFIG_NAME} in {path.parent}; is --site pointing at your status site?")
        return None
    if path.is_symlink() and path.parent.resolve() not in path.resolve().parents:
        problems.add(path, 1, "symbolic link leads outside the site directory; refused")
        return None
    try:
        data = load_yaml(read_text(path))
    except SourceError as error:
        problems.add(path, error.line, error.message)
        return None
    if not isinstance(data, YamlMap):
        problems.add(path, 1, f"{CONFIG_NAME} must be a mapping of settings (title: ..., base_url: ...)")
        return None
    return data


def _url(reader: _Reader, key: str, required: bool = False) -> str:
    value = reader.text(key, required=required)
    if not value:
        return ""
    parts = urlsplit(value)
    if not _safe_url(value, ("http", "https")) or not parts.netloc:
        reader.problem(key, f"{key!r} must be an absolute http(s) URL, not {value!r}")
        return ""
    return value if value.endswith("/") else value + "/"


def _author(reader: _Reader) -> Author | None:
    """The feeds' author: a name, optionally an email address and a web page."""
    data = reader.get("author", YamlMap)
    if data is None:
        return None
    author = _Reader(data, reader.problems, reader.path, " in author")
    author.check_keys(("name", "email", "uri"))
    name, email, uri = author.text("name", required=True), author.text("email"), author.text("uri")
    if email and not EMAIL.match(email):
        author.problem("email", f"'email' must be an address like ops@example.com, not {email!r}")
        email = ""
    if uri and not (_safe_url(uri, ("http", "https")) and urlsplit(uri).netloc):
        author.problem("uri", f"'uri' must be an absolute http(s) URL, not {uri!r}")
        uri = ""
    return Author(name, email, uri) if name else None


def _timezone(reader: _Reader) -> ZoneInfo:
    name = reader.text("timezone", "UTC", required=True)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        reader.problem("timezone", f"unknown time zone {name!r}; use an IANA name like Europe/Berlin or UTC")
        return ZoneInfo("UTC")


# What an image file starts with, by suffix: a logo is copied into every tree, so anything
# else (site.yml, .git/config) must never be published under that name.
IMAGE_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".gif": (b"GIF87a", b"GIF89a"),
    ".webp": (b"RIFF",),
    ".ico": (b"\x00\x00\x01\x00",),
    ".svg": (b"<svg", b"<?xml"),
}
# An SVG opened on its own runs its scripts with the site's origin: a logo may hold only
# these drawing elements, in the SVG namespace, with no event handler and no link out.
_SVG = "{http://www.w3.org/2000/svg}"
_SVG_ELEMENTS = frozenset(
    (
        "svg",
        "g",
        "path",
        "rect",
        "circle",
        "ellipse",
        "line",
        "polyline",
        "polygon",
        "text",
        "tspan",
        "title",
        "desc",
        "defs",
        "linearGradient",
        "radialGradient",
        "stop",
        "clipPath",
        "mask",
        "symbol",
    )
)


def _logo(reader: _Reader, site_dir: Path) -> str:
    """An absolute image URL, or an image file in the site that is copied to assets/."""
    logo = reader.text("logo")
    if not logo or urlsplit(logo).scheme in ("http", "https") and _safe_url(logo, ("http", "https")):
        return logo
    path = (site_dir / logo).resolve()
    if site_dir.resolve() not in path.parents or not path.is_file():
        reader.problem("logo", f"logo {logo!r} must be an http(s) URL or an image file inside the site")
        return ""
    problem = _image_problem(path)
    if problem:
        reader.problem("logo", f"logo {logo!r} {problem}")
        return ""
    return logo


def _image_problem(path: Path) -> str:
    """Why the file is not a publishable image ("" if it is one)."""
    signatures = IMAGE_SIGNATURES.get(path.suffix.lower())
    if signatures is None:
        return f"must be an image: {', '.join(IMAGE_SIGNATURES)}"
    try:
        data = path.read_bytes()
    except OSError as error:
        return f"cannot be read: {error.strerror or error}"
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(signatures) or path.suffix.lower() == ".webp" and data[8:12] != b"WEBP":
        return f"is not a {path.suffix.lower()} file by its content"
    if path.suffix.lower() == ".svg":
        return _svg_problem(data)
    return ""


def _svg_problem(data: bytes) -> str:
    """Why an SVG is not a plain drawing ("" if it is one): parsed, then held to an allowlist."""
    plain = "; export a plain SVG (or a PNG)"
    if b"<!doctype" in data.lower() or b"<!entity" in data.lower():
        return "is an SVG with a DOCTYPE or entities" + plain
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        return f"is not a well-formed SVG ({error})"
    for element in root.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        name = tag[len(_SVG) :] if tag.startswith(_SVG) else ""
        if name not in _SVG_ELEMENTS:
            return f"is an SVG with a <{element.tag}> element: only drawing elements may be in a logo" + plain
        for attribute, value in element.attrib.items():
            local = attribute.rsplit("}", 1)[-1].lower()
            if local.startswith("on") or local == "href" and not value.strip().startswith("#"):
                return f"is an SVG with an attribute {local}={value[:30]!r}: no scripts or links" + plain
    return ""


def _safe_url(url: str, schemes: tuple[str, ...]) -> bool:
    """No spaces or control characters (browsers drop some, changing the scheme), a known scheme."""
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return False
    scheme = urlsplit(url).scheme.lower()
    return scheme in schemes if scheme else "" in schemes


def _require_approval(reader: _Reader) -> bool:
    settings = reader.get("templates", YamlMap)
    if settings is None:
        return False
    templates = _Reader(settings, reader.problems, reader.path, " in templates")
    templates.check_keys(("require_approval", "approvers"))
    return bool(templates.get("require_approval", bool, False))


def _approvers(reader: _Reader, check: bool = True) -> tuple[str, ...]:
    """templates.approvers: roles (like legal, leadership) that must each approve every template."""
    settings = reader.data.get("templates")
    if not isinstance(settings, YamlMap) or settings.get("approvers") is None:
        return ()
    problems = reader.problems if check else Problems(reader.path.parent)
    templates = _Reader(settings, problems, reader.path, " in templates")
    value = templates.get("approvers", YamlList, YamlList())
    roles: list[str] = []
    for role, line in zip(value, value.item_lines, strict=False):
        if not isinstance(role, str) or not SLUG.match(role):
            problems.add(reader.path, line, f"each approver is a role like legal or leadership, not {role!r}")
        elif role in roles:
            problems.add(reader.path, line, f"approver {role!r} is listed twice")
        else:
            roles.append(role)
    if roles and settings.get("require_approval") is False:
        templates.problem(
            "require_approval", "'approvers' needs approval: set require_approval to true or remove approvers"
        )
    return tuple(roles)


def _uptime(reader: _Reader) -> UptimeSettings:
    """uptime: {days, partial_outage_weight, maintenance_counts_as_down}."""
    data = reader.get("uptime", YamlMap)
    if data is None:
        return UptimeSettings()
    uptime = _Reader(data, reader.problems, reader.path, " in uptime")
    uptime.check_keys(("days", "partial_outage_weight", "maintenance_counts_as_down"))
    weight = uptime.get("partial_outage_weight", (int, float), 0.3)
    if isinstance(weight, bool) or not 0 <= weight <= 1:
        uptime.problem(
            "partial_outage_weight", f"'partial_outage_weight' must be between 0 and 1, not {weight}"
        )
        weight = 0.3
    return UptimeSettings(
        days=uptime.number("days", 90, 1, 366),
        partial_outage_weight=float(weight),
        maintenance_counts_as_down=bool(uptime.get("maintenance_counts_as_down", bool, False)),
    )


def _sla_target(reader: _Reader, key: str, where: str = "") -> SlaTarget | None:
    """``{target: 99.9, period: month}``: target a percentage strictly between 0 and 100."""
    data = reader.get(key, YamlMap)
    if data is None:
        return None
    sla = _Reader(data, reader.problems, reader.path, f" in {where or key}")
    sla.check_keys(("target", "period"))
    target = sla.get("target", (int, float), None, required=True)
    period = sla.text("period", required=True)
    ok = target is not None and period != ""
    if isinstance(target, bool) or isinstance(target, (int, float)) and not 0 < target < 100:
        sla.problem(
            "target", f"'target' must be a percentage between 0 and 100 (like 99.9), not {_describe(target)}"
        )
        ok = False
    if period and period not in SLA_PERIODS:
        sla.problem("period", one_of(period, SLA_PERIODS, "period"))
        ok = False
    return SlaTarget(float(target), period) if ok else None


def _with_group_targets(reader: _Reader, components: tuple[Component, ...]) -> tuple[Component, ...]:
    """site.yml ``sla: {groups: {<group name>: {target, period}}}``: the target of every component
    of that group that has no ``sla:`` of its own."""
    data = reader.get("sla", YamlMap)
    if data is None:
        return components
    sla = _Reader(data, reader.problems, reader.path, " in sla")
    sla.check_keys(("groups",))
    groups_data = sla.get("groups", YamlMap, YamlMap())
    groups = _Reader(groups_data, reader.problems, reader.path, " in sla.groups")
    known = {c.group for c in components if c.group}
    targets: dict[str, SlaTarget] = {}
    for name in groups_data:
        if name not in known:
            groups.problem(name, one_of(str(name), tuple(sorted(known)), "group"))
            continue
        target = _sla_target(groups, name, f"sla.groups.{name}")
        if target is not None:
            targets[name] = target
    return tuple(
        replace(c, sla=targets[c.group]) if c.sla is None and c.group in targets else c for c in components
    )


def _since(entry: _Reader) -> date | None:
    value = entry.text("since")
    if not value:
        return None
    try:
        since = date.fromisoformat(value)
    except ValueError:
        entry.problem("since", f"'since' must be a date like 2026-01-31, not {value!r}")
        return None
    if not 1970 <= since.year <= 2999:  # as for --now: a history cannot start before 1970
        entry.problem("since", f"'since' must be a date between 1970 and 2999, not {value!r}")
        return None
    return since


def _language(reader: _Reader, default: str = "en") -> str:
    """The site's language, or an audience's own (default: the site's)."""
    language = reader.text("language", default)
    if not re.match(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", language):
        reader.problem("language", f"'language' must be a tag like en, de or pt-BR, not {language!r}")
        return default
    return language


def _theme(reader: _Reader, site_dir: Path) -> str:
    theme = reader.text("theme", "default")
    if not SLUG.match(theme):
        reader.problem("theme", f"theme name {theme!r} must match [a-z0-9][a-z0-9-]*")
        return "default"
    if theme != "default" and not (site_dir / "themes" / theme).is_dir():
        reader.problem("theme", f"theme {theme!r} not found: expected a folder themes/{theme}/")
        return "default"
    return theme


def _items(reader: _Reader, key: str) -> list[tuple[_Reader, int]]:
    """The mappings in a list-valued key, each with a reader of its own."""
    items = reader.get(key, YamlList, YamlList())
    readers = []
    for index, item in enumerate(items):
        if not isinstance(item, YamlMap):
            line = items.item_lines[index] if hasattr(items, "item_lines") else reader.data.line
            reader.problems.add(reader.path, line, f"each entry of {key!r} must be a mapping")
            continue
        readers.append((_Reader(item, reader.problems, reader.path, f" in {key}"), index))
    return readers


def _unique_ids(entries: list[tuple[_Reader, int]], what: str) -> Callable[[_Reader], str]:
    seen: dict[str, int] = {}

    def read_id(entry: _Reader) -> str:
        value = entry.text("id", required=True)
        if value and not SLUG.match(value):
            entry.problem("id", f"{what} id {value!r} must match [a-z0-9][a-z0-9-]*")
        elif len(value) > MAX_ID_LENGTH:
            entry.problem("id", f"{what} id is {len(value)} characters long; the limit is {MAX_ID_LENGTH}")
        elif value in seen:
            entry.problem("id", f"duplicate {what} id {value!r} (first on line {seen[value]})")
        else:
            seen[value] = entry.data.line_of("id")
        return value

    return read_id


def _components(reader: _Reader) -> tuple[Component, ...]:
    entries = _items(reader, "components")
    read_id = _unique_ids(entries, "component")
    components = []
    for entry, _ in entries:
        entry.check_keys(("id", "name", "description", "group", "since", "sla"))
        component_id = read_id(entry)
        components.append(
            Component(
                id=component_id,
                name=entry.text("name", required=True) or component_id,
                description=entry.text("description"),
                group=entry.text("group"),
                since=_since(entry),
                sla=_sla_target(entry, "sla"),
            )
        )
    return tuple(components)


def _links(reader: _Reader) -> tuple[Link, ...]:
    links = []
    for entry, _ in _items(reader, "links"):
        entry.check_keys(("title", "url"))
        url = entry.text("url", required=True)
        if url and not _safe_url(url, LINK_SCHEMES):
            entry.problem(
                "url",
                f"link {url!r} must be an http(s) or mailto: URL, or a path on this "
                "site (no other scheme, no spaces)",
            )
            url = ""
        links.append(Link(title=entry.text("title", required=True), url=url))
    return tuple(links)


def _audiences(reader: _Reader, site_base_url: str, site_language: str) -> tuple[Audience, ...]:
    if reader.data.get("audiences") is None:
        raw = [(_Reader(_as_map(d), reader.problems, reader.path), 0) for d in DEFAULT_AUDIENCES]
    else:
        raw = _items(reader, "audiences")
        if not raw:
            reader.problem("audiences", "'audiences' needs at least one audience")
    read_id = _unique_ids(raw, "audience")
    audiences: list[Audience] = []
    for position, (entry, _) in enumerate(raw):
        entry.check_keys(
            (
                "id",
                "title",
                "description",
                "base_url",
                "noindex",
                "includes",
                "sla_report",
                "language",
                *NOTIFY_KEYS,
            )
        )
        audience_id = read_id(entry)
        base_url = _url(entry, "base_url") or (
            site_base_url if position == 0 else f"{site_base_url}{audience_id}/"
        )
        noindex = entry.get("noindex", bool, position > 0)
        if position > 0 and not noindex:
            entry.problem("noindex", "a restricted audience is always noindex; remove 'noindex: false'")
        audiences.append(
            Audience(
                id=audience_id,
                title=entry.text("title", audience_id.title()),
                position=position,
                base_url=base_url,
                description=entry.text("description"),
                noindex=noindex or position > 0,
                includes=_includes(entry, audiences[-1].id if audiences else None),
                notify=read_channels(
                    entry.data.get("notify"), entry.data.line_of("notify"), reader.path, reader.problems
                ),
                notify_before_deploy=bool(entry.get("notify_before_deploy", bool, False)),
                sla_report=bool(entry.get("sla_report", bool, False)),
                language=_language(entry, site_language),
            )
        )
    return _with_closures(audiences, raw, reader)


def _includes(entry: _Reader, previous: str | None) -> tuple[str, ...]:
    """``includes:`` as written (checked against the other audiences later); without it, the
    audience listed just before, so that a site written as a ladder keeps its meaning."""
    if "includes" not in entry.data:
        return (previous,) if previous else ()
    value = entry.data["includes"]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        entry.problem("includes", "'includes' must be a list of audience ids, like [public, strategic]")
        return ()
    if previous is None and value:
        # Fail closed: the first audience's pages are the public, indexed ones.
        entry.problem(
            "includes",
            "the first audience is the public one: what it sees is published to everyone, so it "
            "includes no other audience (remove 'includes', or list a restricted audience later)",
        )
        return ()
    return tuple(value)


def _with_closures(
    audiences: list[Audience], raw: list[tuple[_Reader, int]], reader: _Reader
) -> tuple[Audience, ...]:
    """Each audience with ``included``: the transitive closure of ``includes``, computed once.

    Unknown ids, an audience including itself and cycles are problems at the includes line.
    """
    ids = [a.id for a in audiences]
    graph: dict[str, tuple[str, ...]] = {}
    for position, (audience, (entry, _)) in enumerate(zip(audiences, raw, strict=True)):
        if "includes" not in entry.data:  # the one listed before (a duplicate id is reported)
            graph[audience.id] = audience.includes
            if position > 1 and "includes" in raw[position - 1][0].data:
                # The ladder's default is a trap after an audience that left the ladder: an
                # external audience listed after an internal one would see its content.
                reader.problems.add(
                    reader.path,
                    entry.data.line,
                    f"audience {audience.id!r} says no 'includes', so it would include "
                    f"{audiences[position - 1].id!r}, listed before it, which says its own: write "
                    f"'includes:' for {audience.id!r} too (e.g. includes: [{audiences[position - 1].id}])",
                )
            continue
        line = entry.data.line_of("includes")
        known = []
        for name in audience.includes:
            if name == audience.id:
                reader.problems.add(reader.path, line, f"audience {name!r} includes itself; remove it")
            elif name not in ids:
                reader.problems.add(reader.path, line, one_of(name, ids, "audience"))
            elif name in known:
                reader.problems.add(reader.path, line, f"{audience.id!r} includes {name!r} twice")
            else:
                known.append(name)
        graph[audience.id] = tuple(known)
    for audience, (entry, _) in zip(audiences, raw, strict=True):
        cycle = _cycle(audience.id, graph) if len(set(ids)) == len(ids) else []  # else: duplicate ids
        if cycle:
            reader.problems.add(
                reader.path,
                entry.data.line_of("includes"),
                f"audiences include each other in a circle ({' -> '.join(cycle)}); "
                "an audience's includes must lead back to no one who includes it",
            )
    return tuple(replace(a, included=_closure(a.id, graph)) for a in audiences)


def _closure(start: str, graph: dict[str, tuple[str, ...]]) -> frozenset[str]:
    seen = {start}
    todo = [start]
    while todo:
        for name in graph.get(todo.pop(), ()):
            if name not in seen:
                seen.add(name)
                todo.append(name)
    return frozenset(seen)


def _cycle(start: str, graph: dict[str, tuple[str, ...]]) -> list[str]:
    """A path of includes from ``start`` back to itself ([] if there is none)."""
    paths = [[start, name] for name in graph.get(start, ())]
    seen: set[str] = set()
    while paths:
        path = paths.pop()
        if path[-1] == start:
            return path
        if path[-1] in seen:
            continue
        seen.add(path[-1])
        paths.extend([*path, name] for name in graph.get(path[-1], ()))
    return []


def _as_map(values: dict[str, Any]) -> YamlMap:
    result = YamlMap(values)
    result.line = 1
    result.key_lines = {}
    return result
