"""An audience's ``notify:`` channels in site.yml, and the one rule for their secrets.

A channel's URL is kept exactly as written, ``${VAR}`` parts unexpanded: that text names the
channel in the record of what was sent, in dry runs and in errors. Variables are read from the
environment only when a message is sent, and their values never leave this module's callers'
send path: ``redacted`` is the only form of a URL that is ever shown.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from generator.errors import Problem, Problems, one_of
from generator.yamlsource import YamlList, YamlMap

# What a channel may be told of; a channel's ``events:`` picks some (default: all).
EVENT_KINDS = (
    "incident_opened",  # the first update an audience sees, or one that reopens it
    "incident_updated",
    "incident_resolved",
    "maintenance_scheduled",  # a window announced
    "maintenance_updated",
    "maintenance_started",  # by an update, or by the clock at the window's start
    "maintenance_completed",  # by an update, or by the clock at the window's end
    "maintenance_cancelled",
    "postmortem_published",
)
CHANNEL_KEYS = ("url", "webhook", "name", "components", "events")
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_DOLLAR = re.compile(r"\$(?!\{[A-Za-z_][A-Za-z0-9_]*\})")  # a $ that does not start a ${NAME}
# A literal token: 16 or more letters, digits, - or _, with both letters and digits in them.
_TOKEN = re.compile(r"(?=[A-Za-z0-9_-]*[0-9])(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{16,}")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# A query (or fragment) parameter named like a credential (?pass=, &token=, ?sig=, #accessToken=,
# ?client_secret=): its value is a secret whatever it looks like (short, all letters, base64).
_PARAMETER = re.compile(r"([?&;#])([^=&;#?/]+)=([^&#;]*)")
_SECRET_WORDS = frozenset(
    "pass password passwd passphrase pwd token tokens secret key apikey sig signature auth "
    "authorization bearer jwt hmac credential credentials".split()
)
_SECRET_NAMES = frozenset({"code"})  # Azure Functions' ?code=: secret alone, not in lang_code


def _secret_name(name: str) -> bool:
    words = re.findall(r"[a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", unquote(name)).lower())
    if not words:
        return False
    return (
        "".join(words) in _SECRET_NAMES
        or words[-1] in _SECRET_WORDS
        or words[-1].rstrip("0123456789") in _SECRET_WORDS
    )


@dataclass(frozen=True)
class Channel:
    """One place an audience's messages go: an Apprise URL, or a Statuspage-shaped webhook."""

    kind: Literal["apprise", "webhook"]
    url: str  # as written in site.yml, ${VAR} parts unexpanded
    line: int  # its line in site.yml
    name: str = ""
    components: tuple[str, ...] = ()  # only events that affect one of these (empty: all)
    events: tuple[str, ...] = ()  # only these event kinds (empty: all)
    components_line: int = 0  # the line of its components: filter, for messages

    @property
    def identity(self) -> str:
        """Names it in the record of what was sent: a hash, so no literal secret is ever stored."""
        return hashlib.sha256(f"{self.kind}\0{self.url}".encode()).hexdigest()[:16]

    @property
    def label(self) -> str:
        shown = f"{'webhook ' if self.kind == 'webhook' else ''}{redacted(self.url)}"
        return f"{self.name} ({shown})" if self.name else shown

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(VARIABLE.findall(self.url)))

    def wants(self, kind: str, component_ids: tuple[str, ...]) -> bool:
        if self.events and kind not in self.events:
            return False
        return not self.components or any(c in self.components for c in component_ids)


class MissingVariables(Exception):
    def __init__(self, names: list[str]):
        super().__init__(", ".join(f"${{{name}}}" for name in names))
        self.names = names


def expand(url: str, environ: Mapping[str, str]) -> tuple[str, list[str]]:
    """The URL with each ${VAR} replaced by its value, and the values (to scrub from any error).

    Raises MissingVariables naming every variable that is unset or empty (never a value)."""
    missing = [name for name in dict.fromkeys(VARIABLE.findall(url)) if not environ.get(name)]
    if missing:
        raise MissingVariables(missing)
    values = [environ[name] for name in VARIABLE.findall(url)]
    return VARIABLE.sub(lambda found: environ[found.group(1)], url), values


def scrub(text: str, secrets: list[str]) -> str:
    """Text from a library or a server with every secret value in it replaced by ***."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 3:
            text = text.replace(secret, "***")
    return text


def redacted(url: str) -> str:
    """The URL as it may be shown: ${VAR} kept, a literal password or token replaced by ***."""
    scheme, _, rest = url.partition("://")
    if not rest:
        return _hide_tokens(url)
    authority, path = _split_authority(rest)
    user, at, host = authority.rpartition("@")
    if at:
        name, colon, password = user.partition(":")
        if colon and not _only_variables(password):
            user = f"{name}:***"
        return f"{scheme}://{_hide_tokens(user)}@{_hide_tokens(host)}{_hide_tokens(path)}"
    return f"{scheme}://{_hide_tokens(authority)}{_hide_tokens(path)}"


def _split_authority(rest: str) -> tuple[str, str]:
    """(user:password@host:port, the rest): the authority ends at the first /, ? or #."""
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    return rest[:end], rest[end:]


def _hide_tokens(text: str) -> str:
    text = _PARAMETER.sub(
        lambda found: f"{found.group(1)}{found.group(2)}=***" if _literal_secret(found) else found.group(0),
        text,
    )
    parts = VARIABLE.split(text)  # odd indexes are variable names
    return "".join(
        f"${{{part}}}" if index % 2 else _TOKEN.sub("***", part) for index, part in enumerate(parts)
    )


def _literal_secret(parameter: re.Match[str]) -> bool:
    value = parameter.group(3)
    return bool(value) and _secret_name(parameter.group(2)) and not _only_variables(value)


def _only_variables(text: str) -> bool:
    return bool(text) and not VARIABLE.sub("", text)


def literal_secrets(url: str) -> str:
    """Why this URL looks like it holds a literal secret ("" when it does not)."""
    authority = _split_authority(url.partition("://")[2] or url)[0]
    user, at, _ = authority.rpartition("@")
    if at and ":" in user and not _only_variables(user.partition(":")[2]):
        return "holds a password"
    if _TOKEN.search(VARIABLE.sub("", url)):
        return "holds what looks like a token"
    for found in _PARAMETER.finditer(url):
        if _literal_secret(found):
            return f"holds a literal {found.group(2)}= value"
    return ""


def read_channels(value: object, line: int, path: Path, problems: Problems) -> tuple[Channel, ...]:
    """An audience's ``notify:`` list, every mistake a site.yml:line problem."""
    if value is None:
        return ()
    if not isinstance(value, YamlList):
        problems.add(path, line, "'notify' must be a list of channels (each with url: or webhook:)")
        return ()
    channels: list[Channel] = []
    for index, entry in enumerate(value):
        item_line = value.item_lines[index] if index < len(value.item_lines) else line
        if not isinstance(entry, YamlMap):
            problems.add(path, item_line, "each notify channel must be a mapping with url: or webhook:")
            continue
        channel = _channel(entry, path, problems)
        if channel and any((c.kind, c.url) == (channel.kind, channel.url) for c in channels):
            problems.add(path, channel.line, "this channel is listed twice for the same audience")
        elif channel:
            channels.append(channel)
    return tuple(channels)


def _channel(entry: YamlMap, path: Path, problems: Problems) -> Channel | None:
    start = len(problems.items)
    for key in entry:
        if key not in CHANNEL_KEYS:
            problems.add(path, entry.line_of(key), one_of(key, CHANNEL_KEYS, "key in a notify channel"))
    given = [key for key in ("url", "webhook") if key in entry]
    if len(given) != 1:
        problems.add(path, entry.line, "a notify channel needs exactly one of url: (Apprise) or webhook:")
        return None
    key = given[0]
    url = entry[key]
    if not isinstance(url, str) or not url.strip():
        problems.add(path, entry.line_of(key), f"{key!r} must be a URL")
        return None
    url = url.strip()
    for problem in _url_problems(url, key):
        problems.add(path, entry.line_of(key), problem)
    name = entry.get("name")
    if name is not None and not isinstance(name, str):
        problems.add(path, entry.line_of("name"), "'name' must be text")
    components = _names(entry, "components", path, problems)
    events = _names(entry, "events", path, problems)
    for event in events:
        if event not in EVENT_KINDS:
            problems.add(path, entry.line_of("events"), one_of(event, EVENT_KINDS, "notify event"))
    if len(problems.items) > start:
        return None
    return Channel(
        kind="apprise" if key == "url" else "webhook",
        url=url,
        line=entry.line_of(key),
        name=name.strip() if isinstance(name, str) else "",
        components=components,
        events=events,
        components_line=entry.line_of("components"),
    )


def _url_problems(url: str, key: str) -> list[str]:
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return [f"{key!r} must not hold spaces or control characters"]
    stray = _DOLLAR.search(url)
    if stray:
        return [
            f"{key!r} has a '$' that does not start a ${{NAME}} variable (character {stray.start() + 1}); "
            "write secrets as ${NAME} (letters, digits and _), read from the environment when sending"
        ]
    if url.startswith("${"):
        return []  # the whole URL (or its scheme) comes from a variable: checked when sending
    if not _SCHEME.match(url):
        return [f"{key!r} must be a URL like scheme://..., e.g. slack://..., mailto://..., json://..."]
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:  # e.g. an unbalanced '[' or ']'
        return [f"{key!r} is not a valid URL (check its brackets)"]
    if key == "webhook" and scheme not in ("http", "https"):
        return [f"'webhook' must be an http(s) URL, not {scheme}://...; other services go under url:"]
    return []


def _names(entry: YamlMap, key: str, path: Path, problems: Problems) -> tuple[str, ...]:
    value = entry.get(key)
    if value is None:
        return ()
    if not isinstance(value, YamlList) or not all(isinstance(v, str) for v in value):
        problems.add(path, entry.line_of(key), f"{key!r} must be a list of ids, e.g. [api, web]")
        return ()
    if not value:  # fail closed: muting a channel this way would send it everything
        problems.add(
            path, entry.line_of(key), f"{key!r} is empty; remove it to mean all, or remove the channel"
        )
        return ()
    return tuple(value)


def unknown_components(
    channels_by_audience: dict[str, tuple[Channel, ...]], component_ids: frozenset[str], path: str
) -> list[Problem]:
    """A channel filtering on a component site.yml does not define would silently never fire."""
    return [
        Problem(
            path,
            channel.components_line,
            one_of(cid, sorted(component_ids), "component in this channel's filter"),
        )
        for channels in channels_by_audience.values()
        for channel in channels
        for cid in channel.components
        if cid not in component_ids
    ]


def shared_channels(channels_by_audience: dict[str, tuple[Channel, ...]], path: str) -> list[Problem]:
    """A channel listed under two audiences gets both audiences' messages, so its readers would
    read what one of the two may not (or, where one includes the other, every message twice)."""
    first: dict[str, str] = {}
    problems = []
    for audience, channels in channels_by_audience.items():
        for channel in channels:
            owner = first.setdefault(channel.identity, audience)
            if owner != audience:
                problems.append(
                    Problem(
                        path,
                        channel.line,
                        f"this channel is also listed under {owner}: its readers would get both "
                        f"{owner}'s and {audience}'s messages; list each channel under one audience",
                    )
                )
    return problems


def secret_warnings(channels_by_audience: dict[str, tuple[Channel, ...]], path: str) -> list[Problem]:
    """Channels whose URL seems to hold a literal secret: move it into a ${VAR} (a CI secret)."""
    warnings = []
    for audience, channels in channels_by_audience.items():
        for channel in channels:
            why = literal_secrets(channel.url)
            if why:
                warnings.append(
                    Problem(
                        path,
                        channel.line,
                        f"{audience}'s notify channel {redacted(channel.url)} {why}: anyone who reads "
                        "site.yml can use it; put it in an environment variable (a CI secret) and "
                        "write ${NAME} here",
                    )
                )
    return warnings
