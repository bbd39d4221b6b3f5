"""Writing an imported batch into a site: folders, update files, site.yml components, manifest.

Idempotent by design. ``content/.imported.json`` (the manifest) records, for every file the
importer wrote, the source id it came from and a hash of the text written; and which folder
and component id each source item and component got. So a second import finds the same
files by source id (never by slug), writes nothing that is already there, adds only what is
new, and can tell a file a person edited (its hash no longer matches) from one the source
changed: an edited file is refused, unless --force. Everything is planned and checked as a
build would check it before the first byte is written.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from generator.authoring.new import slugify
from generator.authoring.scaffold import leftover_example
from generator.config import CONFIG_NAME, Component, SiteConfig, load_config
from generator.content import RESERVED_IDS, Folder, load_folder
from generator.errors import Problem, Problems, SiteError
from generator.importers.sitefile import add_components
from generator.importers.source import Batch, SourceComponent, SourceItem, SourcePostmortem, SourceUpdate
from generator.importers.text import without_controls
from generator.model import KIND_DIRS, STATE_FROM_IMPACT, Kind

MANIFEST = "content/.imported.json"
EDITED = (
    "changed here since it was imported (edited by hand?) and changed in the source too; "
    "nothing was written: bring the source's change in by hand, or run the import with --force "
    "to replace your version with the source's text"
)


@dataclass
class Report:
    """What an import did, for the summary."""

    incidents: int = 0  # new incident folders (paths below are relative to content/)
    maintenances: int = 0
    updates: int = 0  # new update files
    postmortems: int = 0
    changed: int = 0  # files rewritten because the source's text changed
    unchanged: int = 0
    kept: int = 0  # files edited here since the import, which the source has not changed: left alone
    forced: list[str] = field(default_factory=list)  # edited files replaced because of --force
    components: list[str] = field(default_factory=list)  # component ids added to site.yml
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Manifest:
    components: dict[str, str] = field(default_factory=dict)  # source key -> component id
    items: dict[str, str] = field(default_factory=dict)  # source key -> "incidents/<id>"
    # "incidents/<id>/<file>.md" (relative to content/) -> {source, sha256}
    files: dict[str, dict[str, str]] = field(default_factory=dict)

    def to_text(self) -> str:
        data = {
            "about": "written by statusgen import: what each imported file came from, and a hash "
            "of the text written (to tell your edits from the source's); keep it in git",
            "version": 1,
            "components": self.components,
            "items": self.items,
            "files": self.files,
        }
        return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


@dataclass
class _Write:
    path: str  # relative to content/
    text: str
    source: str


def import_batch(site_dir: Path, batch: Batch, force: bool = False) -> Report:
    """Write ``batch`` into the site; raises SiteError (and writes nothing) on any problem."""
    problems = Problems(site_dir)
    config = load_config(site_dir, problems)
    problems.raise_if_any()
    assert config is not None
    manifest = _load_manifest(site_dir)
    report = Report(skipped=list(batch.skipped), notes=list(batch.notes))
    ids, added = _component_ids(batch.components, config, manifest)
    config = dataclasses.replace(
        config,
        components=config.components + tuple(added),
        component_ids=config.component_ids | {c.id for c in added},
    )
    planner = _Planner(site_dir, config, manifest, ids, force, report)
    for item in batch.items:
        planner.plan(item)
    if planner.conflicts:
        raise SiteError(planner.conflicts)
    site_text = (site_dir / CONFIG_NAME).read_text(encoding="utf-8")
    kept = config.components[: len(config.components) - len(added)]
    new_site_text = add_components(site_dir / CONFIG_NAME, site_text, kept, added)
    _check(site_dir, config, planner)
    if new_site_text != site_text:
        _write_atomic(site_dir / CONFIG_NAME, new_site_text)
    for write in planner.writes:
        _write_atomic(site_dir / "content" / write.path, write.text)
        manifest.files[write.path] = {"source": write.source, "sha256": _hash(write.text.encode("utf-8"))}
    report.components = [c.id for c in added]
    example = leftover_example(site_dir)
    if example is not None and planner.writes:
        report.notes.append(
            f"content/incidents/{example.name}: the example from statusgen init is still "
            "here; delete it (and site.yml's example components, if no update uses them) "
            "when the imported history replaces it"
        )
    manifest.components.update({key: value for key, value in ids.items()})
    if planner.writes or added or not (site_dir / MANIFEST).exists() or planner.adopted:
        _write_atomic(site_dir / MANIFEST, manifest.to_text())
    return report


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.importing")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _load_manifest(site_dir: Path) -> _Manifest:
    path = site_dir / MANIFEST
    if not path.exists():
        return _Manifest()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        message = f"not valid JSON ({error.msg}); it records what earlier imports wrote: restore it from git"
        raise SiteError([Problem(MANIFEST, error.lineno, message)]) from None
    if not isinstance(data, dict) or data.get("version") != 1:
        raise SiteError(
            [Problem(MANIFEST, 1, "not an import manifest of this statusgen version; restore it from git")]
        )
    return _Manifest(
        dict(data.get("components") or {}), dict(data.get("items") or {}), dict(data.get("files") or {})
    )


# --- components -------------------------------------------------------------------------------


def _component_ids(
    sources: list[SourceComponent], config: SiteConfig, manifest: _Manifest
) -> tuple[dict[str, str], list[Component]]:
    """Each source component's id in site.yml: as imported before, the same name, or a new one."""
    existing = {c.id: c for c in config.components}
    by_name = {(c.name.casefold(), c.group.casefold()): c.id for c in config.components}
    # A name alone matches only when it is unique on both sides: "NYC3" may be in several groups.
    names = Counter(c.name.casefold() for c in config.components)
    source_names = Counter(s.name.casefold() for s in sources)
    by_name_only = {
        c.name.casefold(): c.id
        for c in config.components
        if names[c.name.casefold()] == 1 and source_names[c.name.casefold()] == 1
    }
    ids: dict[str, str] = {}
    added: list[Component] = []
    for source in sources:
        known = manifest.components.get(source.key)
        if known in existing:
            ids[source.key] = str(known)
            continue
        same = by_name.get((source.name.casefold(), source.group.casefold())) or by_name_only.get(
            source.name.casefold()
        )
        if same:
            ids[source.key] = same
            continue
        taken = set(existing) | {c.id for c in added}
        candidates = [slugify(source.name), slugify(f"{source.group} {source.name}")]
        new_id = next((c for c in candidates if c not in taken and c != "incident"), None)
        number = 2
        while new_id is None:
            candidate = f"{candidates[0]}-{number}"
            new_id = candidate if candidate not in taken else None
            number += 1
        added.append(Component(new_id, source.name, source.description, source.group))
        ids[source.key] = new_id
    return ids, added


# --- planning ---------------------------------------------------------------------------------


class _Planner:
    """Decides every folder and file name and what to do with each file; writes nothing."""

    def __init__(
        self,
        site_dir: Path,
        config: SiteConfig,
        manifest: _Manifest,
        ids: dict[str, str],
        force: bool,
        report: Report,
    ):
        self.site_dir, self.config, self.manifest, self.ids = site_dir, config, manifest, ids
        self.force, self.report = force, report
        self.writes: list[_Write] = []
        self.conflicts: list[Problem] = []
        self.adopted = False
        self.folders: dict[str, Kind] = {}  # folders with a write -> kind, for the check
        self.claimed_folders = set(manifest.items.values())
        self.by_source = {entry.get("source"): path for path, entry in manifest.files.items()}
        self.claimed_files = set(manifest.files)

    def plan(self, item: SourceItem) -> None:
        folder = self.manifest.items.get(item.key)
        if folder is not None and not (self.site_dir / "content" / folder).is_dir():
            moved = self._renamed(folder)
            if moved:
                self._follow(item, folder, moved)
                folder = moved
            elif not self.force:
                self.report.skipped.append(
                    f"content/{folder}: deleted since it was imported; not written "
                    "again (--force imports it again)"
                )
                return
        new_folder = folder is None
        if folder is None:
            folder = self._new_folder(item)
            self.manifest.items[item.key] = folder
            self.claimed_folders.add(folder)
        before = len(self.writes)
        impact = None
        reopening = _reopening(item) if item.kind == "incident" else set()
        for update in item.updates:
            impact = update.impact or impact
            stem = f"{update.date.astimezone(self.config.timezone):%Y-%m-%dT%H%M}-{update.status}"
            text = self._update_text(item.kind, update, impact, update.key in reopening)
            self._file(folder, update.key, stem, text, True)
        if item.postmortem:
            text = self._postmortem_text(item.postmortem)
            self._file(folder, item.postmortem.key, "postmortem", text, False)
        if len(self.writes) > before:
            self.folders[folder] = item.kind
            if new_folder:
                if item.kind == "incident":
                    self.report.incidents += 1
                else:
                    self.report.maintenances += 1

    def _renamed(self, folder: str) -> str | None:
        """Where a folder renamed by hand went: the one other folder holding its files, unedited."""
        recorded = {
            path.rsplit("/", 1)[1]: entry.get("sha256")
            for path, entry in self.manifest.files.items()
            if path.startswith(folder + "/")
        }
        if not recorded:
            return None
        name, sha = next(iter(recorded.items()))
        parent = self.site_dir / "content" / folder.split("/")[0]
        found = [
            candidate.parent
            for candidate in sorted(parent.glob(f"*/{name}"))
            if _hash(candidate.read_bytes()) == sha
        ]
        if len(found) != 1:
            return None
        return found[0].relative_to(self.site_dir / "content").as_posix()

    def _follow(self, item: SourceItem, old: str, new: str) -> None:
        """Record the new folder name, so this and later imports write there."""
        self.manifest.items[item.key] = new
        for path in [p for p in self.manifest.files if p.startswith(old + "/")]:
            self.manifest.files[new + path[len(old) :]] = self.manifest.files.pop(path)
        self.by_source = {entry.get("source"): path for path, entry in self.manifest.files.items()}
        self.claimed_files = set(self.manifest.files)
        self.claimed_folders.add(new)
        self.adopted = True
        self.report.notes.append(
            f"content/{new}: renamed from {old.split('/', 1)[1]} since it was imported; followed"
        )

    def _new_folder(self, item: SourceItem) -> str:
        day = item.date.astimezone(self.config.timezone).strftime("%Y-%m-%d")
        base = f"{day}-{slugify(item.title)}"[:60].rstrip("-")
        short = slugify(item.key.split(":", 1)[-1])[:8]
        candidates = [base, f"{base}-{short}"] + [f"{base}-{short}-{n}" for n in range(2, 1000)]
        return next(f"{KIND_DIRS[item.kind]}/{c}" for c in candidates if self._folder_free(c))

    def _folder_free(self, name: str) -> bool:
        if name in RESERVED_IDS:
            return False
        for dirname in KIND_DIRS.values():  # an incident and a window may not share a name
            path = f"{dirname}/{name}"
            if path in self.claimed_folders or (self.site_dir / "content" / path).exists():
                return False
        return True

    def _file(self, folder: str, source: str, stem: str, text: str, is_update: bool) -> None:
        path = self.by_source.get(source)
        if path is None or not path.startswith(folder + "/"):
            path = self._new_file(folder, stem, text, is_update)
            self.by_source[source] = path
        self.claimed_files.add(path)
        target = self.site_dir / "content" / path
        recorded = self.manifest.files.get(path)
        if not target.exists():
            if recorded and not self.force:
                self.report.skipped.append(
                    f"content/{path}: deleted since it was imported; not written again (--force writes it)"
                )
                return
            self.writes.append(_Write(path, text, source))
            if is_update:
                self.report.updates += 1
            else:
                self.report.postmortems += 1
            return
        current, wanted = target.read_bytes(), text.encode("utf-8")
        if current == wanted:
            self.report.unchanged += 1
            if recorded is None or recorded.get("sha256") != _hash(wanted):
                self.manifest.files[path] = {"source": source, "sha256": _hash(wanted)}
                self.adopted = True
            return
        if recorded and recorded.get("sha256") == _hash(current):  # only the source changed it
            self.writes.append(_Write(path, text, source))
            self.report.changed += 1
        elif recorded and recorded.get("sha256") == _hash(wanted) and not self.force:  # only you did
            self.report.kept += 1
        elif self.force:
            self.writes.append(_Write(path, text, source))
            self.report.forced.append(f"content/{path}")
        else:
            self.conflicts.append(Problem(f"content/{path}", 1, EDITED))

    def _new_file(self, folder: str, stem: str, text: str, is_update: bool) -> str:
        names = [stem] + [f"{stem}-{n}" for n in range(2, 1000)] if is_update else [stem]
        for name in names:
            path = f"{folder}/{name}.md"
            if path in self.claimed_files:
                continue
            target = self.site_dir / "content" / path
            if not target.exists() or target.read_bytes() == text.encode("utf-8"):
                return path
            if not is_update:
                return path  # one postmortem per incident: the conflict is reported
        raise SiteError([Problem(f"content/{folder}", 0, f"no free file name for {stem}.md")])

    def _update_text(
        self, kind: Kind, update: SourceUpdate, impact: str | None, reopened: bool = False
    ) -> str:
        front: dict[str, Any] = {"date": self._time(update.date), "status": update.status}
        if reopened:
            front["reopened"] = True
        if update.title is not None:
            front["title"] = update.title
        if update.impact is not None:
            front["impact"] = update.impact
        if update.components is not None:
            front["components"] = self._components(kind, update.components, impact)
        if update.starts is not None:
            front["starts"] = self._time(update.starts)
        if update.ends is not None:
            front["ends"] = self._time(update.ends)
        return _document(front, update.body)

    def _postmortem_text(self, postmortem: SourcePostmortem) -> str:
        return _document({"date": self._time(postmortem.date)}, postmortem.body)

    def _components(
        self, kind: Kind, pairs: tuple[tuple[str, str | None], ...], impact: str | None
    ) -> list[str] | dict[str, str]:
        states: dict[str, str | None] = {}
        for key, state in pairs:
            if key in self.ids and self.ids[key] not in states:
                states[self.ids[key]] = state
        if kind == "maintenance" or all(state is None for state in states.values()):
            return list(states)
        return {cid: state or STATE_FROM_IMPACT[impact or "none"] for cid, state in states.items()}

    def _time(self, moment: datetime) -> str:
        return moment.astimezone(self.config.timezone).replace(microsecond=0).isoformat()


def _reopening(item: SourceItem) -> set[str]:
    """Keys of the updates that reopen a resolved incident: our format wants them to say so."""
    keys, previous = set(), ""
    for update in sorted(item.updates, key=lambda u: u.date):
        if previous == "resolved" and update.status != "resolved":
            keys.add(update.key)
        previous = update.status
    return keys


def _document(front: dict[str, Any], body: str) -> str:
    """Front matter the way people write it: one key a line, component lists inline."""
    lines = ["---"]
    for key, value in front.items():
        if isinstance(value, list):  # component ids: slugs, safe unquoted
            lines.append(f"{key}: [{', '.join(value)}]")
        elif isinstance(value, dict):
            lines.append(f"{key}:")
            lines.extend(f"  {item}: {state}" for item, state in value.items())
        elif key in ("date", "starts", "ends", "status", "impact"):  # ISO timestamps and fixed words
            lines.append(f"{key}: {value}")
        else:
            text = without_controls(value) if isinstance(value, str) else value
            lines.append(yaml.safe_dump({key: text}, allow_unicode=True, width=10_000).rstrip("\n"))
    return "\n".join(lines) + "\n---\n" + body


# --- checking ---------------------------------------------------------------------------------


def _no_render(text: str) -> str:
    return ""


def _check(site_dir: Path, config: SiteConfig, planner: _Planner) -> None:
    """Read every folder the import touches back as a build would, before writing any of it."""
    if not planner.folders:
        return
    planned: dict[str, dict[str, str]] = {}
    for write in planner.writes:
        folder, name = write.path.rsplit("/", 1)
        planned.setdefault(folder, {})[name] = write.text
    problems: list[Problem] = []
    with tempfile.TemporaryDirectory(prefix="statusgen-import-") as staging_name:
        staging = Path(staging_name)
        for folder, kind in sorted(planner.folders.items()):
            target = staging / "content" / folder
            target.mkdir(parents=True)
            existing = site_dir / "content" / folder
            if existing.is_dir():
                for path in existing.glob("*.md"):
                    if not path.is_symlink() and path.is_file():
                        shutil.copyfile(path, target / path.name)
            for name, text in planned.get(folder, {}).items():
                (target / name).write_text(text, encoding="utf-8")
            files = tuple(sorted(target.glob("*.md")))
            found = Folder(kind, target.name, target, files)
            problems.extend(load_folder(found, config, staging, render=_no_render)[1])
    if problems:
        raise SiteError(problems)
