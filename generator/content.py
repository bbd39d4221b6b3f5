"""Reading content/: one folder per incident or maintenance window, one file per update."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from generator.audience import audience_texts, everyone, readers_of, restricted_names, sees, segment_readers
from generator.config import MAX_ID_LENGTH, SLUG, SiteConfig
from generator.dates import human_time, parse_timestamp
from generator.errors import Problem, Problems, one_of
from generator.markup import (
    PROMPT,
    RawSegment,
    body_limits,
    has_prompt,
    render_markdown,
    split_blocks,
    visible_text,
)
from generator.model import (
    COMPONENT_STATES,
    IMPACTS,
    INCIDENT_STATUSES,
    KIND_DIRS,
    MAINTENANCE_STATUSES,
    Body,
    Item,
    Kind,
    Postmortem,
    Segment,
    Update,
    pack,
)
from generator.yamlsource import CONTROL_CHARACTERS, SourceError, YamlList, YamlMap, load_yaml, read_text

CONTENT_DIRS: dict[str, Kind] = {dirname: kind for kind, dirname in KIND_DIRS.items()}
RESERVED_IDS = ("unresolved", "upcoming", "active")  # api/v2/incidents/unresolved.json and so on
PROMPT_LEFT = "fill in or delete the template's prompt"
KNOWN_CONTENT_DIRS = ("incidents", "maintenance", "templates")  # templates: message templates
POSTMORTEM_NAME = "postmortem.md"
_STEM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_KEYS: dict[Kind, tuple[str, ...]] = {
    "incident": (
        "date",
        "status",
        "title",
        "impact",
        "components",
        "audience",
        "template",
        "template_version",
        "reopened",
        "unapproved_reason",
    ),
    "maintenance": (
        "date",
        "status",
        "title",
        "components",
        "audience",
        "starts",
        "ends",
        "template",
        "template_version",
        "unapproved_reason",
    ),
}
_REQUIRED_FIRST: dict[Kind, tuple[str, ...]] = {
    "incident": ("title", "impact", "components"),
    "maintenance": ("title", "components", "starts", "ends"),
}
_POSTMORTEM_KEYS = ("date", "title", "audience")


@dataclass(frozen=True)
class Folder:
    """One incident's or maintenance window's folder, found by walking content/."""

    kind: Kind
    id: str
    path: Path
    files: tuple[Path, ...]


def find_folders(site_dir: Path, problems: Problems) -> list[Folder]:
    """Every incident and maintenance folder, sorted.

    Anything that looks meant to be read but would not be (a misspelled folder, an update
    file with another extension, a subfolder) is a problem: a silently ignored "resolved"
    update would leave an outage on the page.
    """
    folders: list[Folder] = []
    content = _content_dir(site_dir, problems)
    if content is None:
        return folders
    for entry in sorted(content.iterdir()):
        if entry.is_dir() and entry.name not in KNOWN_CONTENT_DIRS and not entry.name.startswith("."):
            problems.add(entry, 1, one_of(entry.name, KNOWN_CONTENT_DIRS, "folder in content/"))
    for dirname, kind in CONTENT_DIRS.items():
        root = content / dirname
        if not root.exists() or not inside_site(root, site_dir, problems):
            continue
        if not root.is_dir():
            problems.add(root, 1, f"content/{dirname} must be a folder with one folder per {kind}")
            continue
        for entry in sorted(root.iterdir(), key=lambda path: path.name):  # a name sorts as its path
            folder = folder_at(entry, site_dir, problems)
            if folder:
                folders.append(folder)
    incident_ids = {f.id for f in folders if f.kind == "incident"}
    for folder in folders:
        if folder.kind == "maintenance" and folder.id in incident_ids:
            problems.add(
                folder.path,
                1,
                f"an incident is named {folder.id!r} too; feeds and the JSON API "
                "identify both by name, so give the maintenance window another",
            )
    return [f for f in folders if not (f.kind == "maintenance" and f.id in incident_ids)]


def folder_at(entry: Path, site_dir: Path, problems: Problems) -> Folder | None:
    """The incident or maintenance folder at content/<incidents|maintenance>/<entry>, if it is one."""
    dirname = entry.parent.name
    kind = CONTENT_DIRS[dirname]
    if _is_editor_file(entry) or not inside_site(entry, site_dir, problems):
        return None
    if not entry.is_dir():
        if _looks_like_update(entry):
            problems.add(
                entry,
                1,
                f"update files belong in a folder per {kind}: content/{dirname}/<{kind}-id>/{entry.name}",
            )
        return None
    if not SLUG.match(entry.name):
        problems.add(
            entry,
            1,
            f"{kind} folder name {entry.name!r} must match [a-z0-9][a-z0-9-]* "
            f"(lowercase letters, digits and dashes; it is the page's URL)",
        )
        return None
    if len(entry.name) > MAX_ID_LENGTH:
        problems.add(
            entry,
            1,
            f"{kind} folder name is {len(entry.name)} characters long; the limit "
            f"is {MAX_ID_LENGTH} (it is the page's URL)",
        )
        return None
    if entry.name in RESERVED_IDS:
        problems.add(
            entry,
            1,
            f"{kind} folder name {entry.name!r} is reserved (the JSON API uses it); choose another name",
        )
        return None
    with os.scandir(entry) as listing:  # DirEntry answers is_dir() and friends without a syscall
        found = sorted(listing, key=lambda child: child.name)
    files = tuple(entry / f.name for f in found if _is_update_file(f, site_dir, problems))
    if not files:
        problems.add(entry, 1, f"{kind} folder has no update files (*.md)")
        return None
    return Folder(kind, entry.name, entry, files)


def _content_dir(site_dir: Path, problems: Problems) -> Path | None:
    content = site_dir / "content"
    if content.exists() and not content.is_dir():
        problems.add(content, 1, "content must be a folder (with incidents/ and maintenance/ in it)")
        return None
    if not content.exists():
        misspelled = [p for p in site_dir.iterdir() if p.name.lower() == "content" and p.is_dir()]
        for path in misspelled:
            problems.add(path, 1, f"found {path.name}/; the content folder must be named content/")
        return None
    if not inside_site(content, site_dir, problems):
        return None
    return content


class _Entry(Protocol):
    """A Path, or an os.DirEntry from scandir (which knows its type without another syscall)."""

    @property
    def name(self) -> str: ...
    def is_dir(self) -> bool: ...
    def is_file(self) -> bool: ...
    def is_symlink(self) -> bool: ...


def _is_update_file(entry: _Entry, site_dir: Path, problems: Problems) -> bool:
    """An update file to read; other files are fine unless they look like misnamed updates."""
    if _is_editor_file(entry):
        return False
    if entry.name.endswith(".md") and not entry.is_symlink() and entry.is_file():
        return True  # most files: no Path made (10,000 folders would make 40,000)
    path = Path(entry) if isinstance(entry, os.DirEntry) else entry
    assert isinstance(path, Path)
    if entry.is_symlink() and not inside_site(path, site_dir, problems):
        return False
    if entry.name.endswith(".md"):
        return _is_file(entry, path, problems)
    if entry.is_dir():
        if any(p.suffix.lower() in (".md", ".markdown") for p in path.rglob("*")):
            problems.add(path, 1, "update files in subfolders are not read; move them up one level")
    elif _looks_like_update(path):
        name = path.name.split(".")[0]
        problems.add(path, 1, f"not read: update files must end in .md (rename it to {name}.md)")
    return False


def _looks_like_update(path: Path) -> bool:
    """x.MD, x.md.txt, x.markdown: meant as updates; data.md5 is not."""
    return bool(re.search(r"\.(md|markdown|mdown)(\.|$)", path.name.lower()))


def _is_editor_file(entry: _Entry) -> bool:
    """Hidden files and editor leftovers (.#x.md, #x.md#, x.md~, .x.md.swp); not hidden folders."""
    name = entry.name
    return (
        name.endswith("~")
        or (name.startswith("#") and name.endswith("#"))
        or (name.startswith(".") and not entry.is_dir())
    )


def _is_file(entry: _Entry, path: Path, problems: Problems) -> bool:
    if entry.is_file():
        return True
    problems.add(
        path,
        1,
        "expected an update file, found a folder"
        if entry.is_dir()
        else "cannot read this file (a broken symbolic link?)",
    )
    return False


def inside_site(path: Path, site_dir: Path, problems: Problems) -> bool:
    """Refuse symlinks that lead outside the site directory, or nowhere."""
    if not path.is_symlink():
        return True
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        problems.add(path, 1, "broken symbolic link; refused")
        return False
    site = site_dir.resolve()
    if target == site or site in target.parents:
        return True
    problems.add(path, 1, "symbolic link leads outside the site directory; refused")
    return False


def load_folder(
    folder: Folder,
    config: SiteConfig,
    site_dir: Path,
    render: Callable[[str], str] = render_markdown,
    allow_prompts: bool = False,
) -> tuple[Item | None, list[Problem]]:
    """Parse, validate and render one folder. Runs in worker processes, so it returns problems."""
    problems = Problems(site_dir)
    updates: list[Update] = []
    postmortem = None
    where = problems.display(folder.path)  # its updates' source is where/<stem>.md
    for path in folder.files:
        document = split_front_matter(path, problems)
        if document is None:
            continue
        front, body, body_line = document
        if path.name == POSTMORTEM_NAME:
            postmortem = _postmortem(path, front, body, body_line, config, problems, render)
        else:
            if allow_prompts:  # `statusgen new`: the writer has yet to answer the template's prompts
                body = PROMPT.sub("[prompt:", body)
            update = _update(folder, where, path, front, body, body_line, config, problems, render)
            if update:
                updates.append(update)
    updates.sort(key=lambda u: (u.date, Path(u.source).name))
    if problems.items:  # a broken file could be the earliest update; judge the rest after a fix
        return None, problems.items
    if not updates:
        problems.add(folder.path, 1, f"{folder.kind} has a postmortem but no updates")
    _check_first_updates(folder.kind, updates, config, problems)
    if folder.kind == "incident":
        check_lifecycle(updates, config, problems)
    if folder.kind == "incident":
        _check_empty_components(updates, config, problems)
    for audience in config.audiences:
        _check_window([u for u in updates if sees(audience, u.readers)], problems)
    if problems.items:
        return None, problems.items
    return Item(folder.id, folder.kind, tuple(updates), postmortem), []


def split_front_matter(path: Path, problems: Problems) -> tuple[YamlMap, str, int] | None:
    """Split a file into front matter (parsed) and body; returns None after a problem."""
    try:
        text = read_text(path)
    except SourceError as error:
        problems.add(path, error.line, error.message)
        return None
    control = CONTROL_CHARACTERS.search(text)
    if control:
        line = text.count("\n", 0, control.start()) + 1
        problems.add(
            path,
            line,
            f"invisible control character U+{ord(control.group()):04X} "
            "(pasted from another program?); delete it, feeds cannot carry it",
        )
        return None
    if not text.strip():
        problems.add(path, 1, "empty file; an update needs front matter between '---' lines, then a body")
        return None
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        problems.add(path, 1, "missing front matter: the file must start with a line '---'")
        return None
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        problems.add(path, 1, "front matter opened on line 1 is never closed with a line '---'")
        return None
    try:
        front = load_yaml("\n".join(lines[1:end]), first_line=2)
    except SourceError as error:
        problems.add(path, error.line, error.message)
        return None
    if front is None:
        front = YamlMap()
        front.line, front.key_lines = 1, {}
    if not isinstance(front, YamlMap):
        problems.add(path, 2, "front matter must be a mapping of keys (date: ..., status: ...)")
        return None
    return front, "\n".join(lines[end + 1 :]), end + 2


class _Fields:
    """Typed access to one file's front matter, recording problems with their lines."""

    def __init__(self, path: Path, front: YamlMap, config: SiteConfig, problems: Problems):
        self.path, self.front, self.config, self.problems = path, front, config, problems

    def problem(self, key: str | None, message: str) -> None:
        self.problems.add(self.path, self.front.line_of(key) if key else 1, message)

    def check_keys(self, allowed: tuple[str, ...]) -> None:
        for key in self.front:
            if key not in allowed:
                self.problem(key, one_of(key, allowed, "key"))

    def date(self, key: str, required: bool = False) -> datetime | None:
        if self.front.get(key) is None:
            if required:
                self.problem(None, f"missing required key {key!r} (an ISO 8601 timestamp)")
            return None
        try:
            return parse_timestamp(self.front[key], self.config.timezone)
        except ValueError as error:
            self.problem(key, f"{key!r}: {error}")
            return None

    def choice(self, key: str, allowed: tuple[str, ...], what: str, required: bool = False) -> str | None:
        value = self.front.get(key)
        if value is None:
            if required:
                self.problem(None, f"missing required key {key!r}; one of {', '.join(allowed)}")
            return None
        if value not in allowed:
            self.problem(key, one_of(value, allowed, what))
            return None
        return str(value)

    def text(self, key: str) -> str | None:
        value = self.front.get(key)
        if value is None:
            return None
        if isinstance(value, (YamlMap, YamlList, bool)) or not str(value).strip():
            self.problem(
                key,
                f"{key!r} must be non-empty text"
                + (
                    " (YAML reads yes/no/on/off as true/false; put the text in quotes)"
                    if isinstance(value, bool)
                    else ""
                ),
            )
            return None
        if has_prompt(str(value)):  # build holds the file back for it: check must refuse it too
            self.problem(key, f"{PROMPT_LEFT} in {key!r} ({_prompt(str(value))!r}) before publishing")
            return None
        return str(value).strip()

    def audience(self) -> tuple[frozenset[str], tuple[str, ...]]:
        """``audience: a`` or ``audience: [a, b]``: (who may read it, the names it is for);
        everyone and () without the key."""
        if "audience" not in self.front:
            return everyone(self.config), ()
        value = self.front["audience"]
        names = list(value) if isinstance(value, YamlList) else [value]
        if value is None or not names or any(n is None or not str(n).strip() for n in names):
            # Fail closed: an empty value must not quietly make a restricted update public.
            self.problem(
                "audience",
                "'audience' has no value; name an audience (or a list of them), "
                "or delete the line to make this public",
            )
            return everyone(self.config), ()
        ids = [a.id for a in self.config.audiences]
        wrong = [
            one_of(name, ids, "audience") for name in names if not isinstance(name, str) or name not in ids
        ]
        strings = [n for n in names if isinstance(n, str)]  # a list or mapping is not hashable
        wrong += [f"audience {n!r} is listed twice" for n in dict.fromkeys(strings) if strings.count(n) > 1]
        for message in wrong:
            self.problem("audience", message)
        if wrong:
            return everyone(self.config), ()
        readers = readers_of(self.config, (str(n) for n in names))
        return readers, restricted_names(self.config, readers, (str(n) for n in names))

    def components(self, kind: Kind) -> tuple[tuple[str, str | None], ...] | None:
        value = self.front.get("components", None)
        if "components" not in self.front:
            return None
        line = self.front.line_of("components")
        if value is None:
            self.problems.add(
                self.path, line, "'components' has no value; list component ids, or write [] for none"
            )
            return None
        pairs: list[tuple[str, str | None]] = []
        if isinstance(value, YamlList):
            entries: list[tuple[Any, Any, int]] = [
                (item, None, item_line) for item, item_line in zip(value, value.item_lines, strict=False)
            ]
        elif isinstance(value, YamlMap) and kind == "incident":
            entries = [(key, state, value.line_of(key)) for key, state in value.items()]
        else:
            shape = "a list of component ids" + (" or a mapping id: state" if kind == "incident" else "")
            self.problems.add(self.path, line, f"'components' must be {shape}")
            return None
        for component_id, state, entry_line in entries:
            if isinstance(component_id, int) and not isinstance(component_id, bool):
                component_id = str(component_id)  # site.yml reads `id: 123` as text too
            if not isinstance(component_id, str) or isinstance(state, (YamlMap, YamlList)):
                self.problems.add(
                    self.path,
                    entry_line,
                    "each component must be an id like 'api'"
                    + (", or 'id: state' in a mapping" if kind == "incident" else ""),
                )
            elif component_id not in self.config.component_ids:
                self.problems.add(
                    self.path,
                    entry_line,
                    one_of(component_id, sorted(self.config.component_ids), "component"),
                )
            elif state is not None and state not in COMPONENT_STATES:
                self.problems.add(self.path, entry_line, one_of(state, COMPONENT_STATES, "component state"))
            elif any(existing == component_id for existing, _ in pairs):
                self.problems.add(self.path, entry_line, f"component {component_id!r} is listed twice")
            else:
                pairs.append((str(component_id), state))
        return tuple(pairs)


def _prompt(line: str) -> str:
    """'[TODO: the symptoms customers notice]' from a line, shortened at a word if long."""
    found = PROMPT.search(line)
    assert found is not None
    start = found.start()
    end = line.find("]", start)
    prompt = line[start : end + 1] if end != -1 else line[start:].rstrip()
    return prompt if len(prompt) <= 70 else prompt[:70].rsplit(" ", 1)[0] + " ...]"


def _body(
    path: Path,
    body: str,
    body_line: int,
    config: SiteConfig,
    problems: Problems,
    render: Callable[[str], str],
    outer: tuple[frozenset[str], tuple[str, ...]],
) -> Body:
    """Each audience's body, rendered from its own text; ``outer``: who may read the whole file
    and the audiences it is for."""
    audience_ids = [a.id for a in config.audiences]
    raw_segments, errors = split_blocks(body, body_line, audience_ids)
    errors.extend(_front_matter_in_body(body, body_line))
    errors.extend(body_limits(body, body_line))
    for offset, text in enumerate(body.split("\n")):
        if has_prompt(text):
            errors.append((body_line + offset, f"{PROMPT_LEFT} {_prompt(text)!r} before publishing"))
    for number, message in errors:
        problems.add(path, number, message)
    if errors:  # a misplaced marker could put restricted words in the wrong piece: render nothing
        return ()
    pieces = []
    unreadable: dict[int, str] = {}  # opening line -> why: a block split by an inner one is one
    for raw in raw_segments:
        readers, names = segment_readers(config, raw, *outer)
        if not readers:  # written, then silently shown to no one: surely a mistake
            unreadable.setdefault(raw.opened_at, _unreadable(raw, outer[1]))
        pieces.append((readers, names, raw.text))
    for number, message in unreadable.items():
        problems.add(path, number, message)
    if unreadable:
        return ()
    rendered: dict[tuple[frozenset[str], tuple[str, ...], str], Segment] = {}  # shared between audiences

    def segment(readers: frozenset[str], names: tuple[str, ...], text: str) -> Segment:
        if (readers, names, text) not in rendered:
            rendered[readers, names, text] = Segment(_shared(readers), pack(render(text)), names)
        return rendered[readers, names, text]

    return tuple(
        tuple(segment(*piece) for piece in view) for view in audience_texts(pieces, config.audiences)
    )


_SHARED: dict[frozenset[str], frozenset[str]] = {}


def _shared(readers: frozenset[str]) -> frozenset[str]:
    """One object for each set of readers (a site has a handful, and a history many updates)."""
    return _SHARED.setdefault(readers, readers)


def _unreadable(raw: RawSegment, file_names: tuple[str, ...]) -> str:
    levels = " inside ".join(f"'::: {' '.join(names)}'" for names in reversed(raw.levels))
    where = f" in a file for {' and '.join(file_names)}" if file_names else ""
    return (
        f"no audience sees this block: {levels}{where}; no audience is, or includes, one of "
        "every level's audiences (check the names, or site.yml's includes)"
    )


_FRONT_MATTER_KEY = re.compile(
    r"^\s*['\"]?(audience|date|status|title|impact|components|starts|ends)['\"]?\s*:", re.IGNORECASE
)


def _front_matter_in_body(body: str, body_line: int) -> list[tuple[int, str]]:
    """A body that opens with a front matter key: a '---' too many, or a key below the closing one.

    Published as text, an ``audience:`` meant to restrict the update would make it public.
    """
    for offset, line in enumerate(body.split("\n")):
        line = visible_text(line)
        if line.strip() in ("---", "..."):
            continue  # a second front matter block: its keys would be published as text
        if line.strip():
            key = _FRONT_MATTER_KEY.match(line)
            if key:
                return [
                    (
                        body_line + offset,
                        f"{key.group(1)!r} below the front matter's closing '---'; "
                        "move it up between the '---' lines (or reword the first line)",
                    )
                ]
            return []
    return []


def _update(
    folder: Folder,
    where: str,
    path: Path,
    front: YamlMap,
    body: str,
    body_line: int,
    config: SiteConfig,
    problems: Problems,
    render: Callable[[str], str],
) -> Update | None:
    fields = _Fields(path, front, config, problems)
    before = len(problems.items)
    fields.check_keys(_KEYS[folder.kind])
    if len(path.stem) > MAX_ID_LENGTH:
        problems.add(path, 1, f"file name is {len(path.stem)} characters long; the limit is {MAX_ID_LENGTH}")
    elif not _STEM.match(path.stem):
        problems.add(
            path,
            1,
            f"file name {path.name!r} must match [A-Za-z0-9][A-Za-z0-9._-]*.md "
            "(it is part of the update's permanent id)",
        )
    statuses = INCIDENT_STATUSES if folder.kind == "incident" else MAINTENANCE_STATUSES
    date = fields.date("date", required=True)
    readers, audiences = fields.audience()
    readers = _shared(readers)
    status = fields.choice("status", statuses, "status", required=True)
    update = Update(
        item_id=folder.id,
        stem=sys.intern(path.stem),
        folder=where,
        date=date,  # type: ignore[arg-type]  # checked below
        status=status,  # type: ignore[arg-type]
        readers=readers,
        audiences=audiences,
        body=_body(path, body, body_line, config, problems, render, (readers, audiences)),
        title=fields.text("title"),
        impact=fields.choice("impact", IMPACTS, "impact") if folder.kind == "incident" else None,
        components=fields.components(folder.kind),
        starts=fields.date("starts"),
        ends=fields.date("ends"),
        template=fields.text("template"),
        template_version=fields.text("template_version"),
        reopened=_reopened(fields, status),
        unapproved_reason=fields.text("unapproved_reason"),
    )
    if update.starts and update.ends and update.ends <= update.starts:
        fields.problem("ends", "'ends' must be after 'starts'")
    return update if len(problems.items) == before else None


def _postmortem(
    path: Path,
    front: YamlMap,
    body: str,
    body_line: int,
    config: SiteConfig,
    problems: Problems,
    render: Callable[[str], str],
) -> Postmortem | None:
    fields = _Fields(path, front, config, problems)
    before = len(problems.items)
    fields.check_keys(_POSTMORTEM_KEYS)
    readers, audiences = fields.audience()
    postmortem = Postmortem(
        source=problems.display(path),
        date=fields.date("date", required=True),  # type: ignore[arg-type]
        readers=readers,
        body=_body(path, body, body_line, config, problems, render, (readers, audiences)),
        title=fields.text("title"),
        audiences=audiences,
    )
    return postmortem if len(problems.items) == before else None


def _check_first_updates(kind: Kind, updates: list[Update], config: SiteConfig, problems: Problems) -> None:
    """The earliest update each audience sees must say what the incident is."""
    checked: set[str] = set()
    for audience in config.audiences:
        first = next((u for u in updates if sees(audience, u.readers)), None)
        if first is None or first.id in checked:
            continue
        checked.add(first.id)
        missing = [key for key in _REQUIRED_FIRST[kind] if getattr(first, key) is None]
        if not missing:
            continue
        names = ", ".join(repr(k) for k in missing)
        which = (
            f"the earliest update of this {kind}"
            if first is updates[0]
            else f"the earliest update of this {kind} that audience {audience.id!r} sees "
            "(the earlier ones are restricted)"
        )
        message = f"missing {names}: {which} must say what the {kind} is"
        opener = next(
            (
                u
                for u in updates
                if sees(audience, u.readers) and all(getattr(u, key) is not None for key in missing)
            ),
            None,
        )
        if opener is not None:  # the likely slip: this file's date puts it before the real first one
            message += (
                f"; it is dated {human_time(first.date, config.timezone)}, before "
                f"{Path(opener.source).name} ({human_time(opener.date, config.timezone)}), "
                "which says it: check this file's date"
            )
        problems.items.append(Problem(first.source, 1, message))


def _check_empty_components(updates: list[Update], config: SiteConfig, problems: Problems) -> None:
    """An open incident with an impact must name what it affects, in every audience's view."""
    for audience in config.audiences:
        impact, components = None, None
        for update in (u for u in updates if sees(audience, u.readers)):
            impact = update.impact or impact
            components = update.components if update.components is not None else components
            if components == () and impact not in (None, "none") and update.status != "resolved":
                problems.items.append(
                    Problem(
                        update.source,
                        1,
                        f"'components' is empty but impact is "
                        f"{impact!r}; name the affected components "
                        "(only impact 'none' may affect none)",
                    )
                )
                return  # one mistake, one problem


def _check_window(updates: list[Update], problems: Problems) -> None:
    starts = ends = None
    for update in updates:
        starts, ends = update.starts or starts, update.ends or ends
        moved_one = bool(update.starts) != bool(update.ends)  # both in one file: checked there
        if starts and ends and ends <= starts and moved_one:
            key = "'ends'" if update.ends else "'starts'"
            problems.items.append(
                Problem(update.source, 1, f"{key} moves the window so that it ends before it starts")
            )
            return


def _reopened(fields: _Fields, status: str | None) -> bool:
    """``reopened: true``: this update opens a resolved incident again (so it cannot resolve it)."""
    value = fields.front.get("reopened")
    if value is None:
        return False
    if not isinstance(value, bool):
        fields.problem("reopened", f"'reopened' must be true or false, not {value!r}")
        return False
    if value and status == "resolved":
        fields.problem(
            "reopened",
            "'reopened: true' with status 'resolved': a reopening update says what is wrong again "
            "(investigating, identified or monitoring); a correction to the resolution needs no key",
        )
        return False
    return value


def check_lifecycle(updates: list[Update], config: SiteConfig, problems: Problems) -> None:
    """After 'resolved', an incident is open again only by an update that says ``reopened: true``.

    Judged in every audience's view, since each sees its own sequence: a public update after a
    public resolution must say it, whatever restricted updates came between.
    """
    reopening: dict[str, bool] = {}  # update id -> reopens the incident in some audience's view
    reported: set[str] = set()
    for audience in config.audiences:
        previous: Update | None = None
        for update in (u for u in updates if sees(audience, u.readers)):
            after_resolution = previous is not None and previous.status == "resolved"
            reopening[update.id] = reopening.get(update.id, False) or (after_resolution and update.reopened)
            if after_resolution and update.status != "resolved" and not update.reopened:
                if update.id not in reported:
                    reported.add(update.id)
                    assert previous is not None
                    problems.items.append(Problem(update.source, 1, _not_reopened(update, previous, config)))
            previous = update
    for update in updates:
        if update.reopened and not reopening.get(update.id) and update.id not in reported:
            problems.items.append(
                Problem(
                    update.source,
                    1,
                    "'reopened: true' but no update before this one resolves the incident; "
                    "delete the line (or check the date of the resolving update)",
                )
            )


def _not_reopened(update: Update, resolution: Update, config: SiteConfig) -> str:
    return (
        f"status {update.status!r} after the incident was resolved "
        f"({Path(resolution.source).name}, {human_time(resolution.date, config.timezone)}): "
        "if it really is open again, add 'reopened: true' (statusgen new update ID --reopen "
        f"writes it); if not, check this file's date ({human_time(update.date, config.timezone)})"
    )
