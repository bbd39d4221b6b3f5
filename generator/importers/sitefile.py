"""Adding components to site.yml as text, so its comments, order and layout stay as written.

A new component goes after the last component of its group (or at the end of the list), in
the indentation the file already uses. The result is parsed again and must read back as the
old components plus the new ones; anything else is refused rather than written.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from generator.config import Component
from generator.errors import Problem, SiteError
from generator.importers.text import without_controls
from generator.yamlsource import SourceError, YamlList, YamlMap, load_yaml

_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .()/&,+_-]*$")
_TOP_LEVEL = re.compile(r"^[^\s#-]")


def add_components(path: Path, text: str, existing: tuple[Component, ...], new: list[Component]) -> str:
    """site.yml's text with ``new`` components added; raises SiteError if that cannot be done."""
    if not new:
        return text
    data = _parse(path, text)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    components = data.get("components")
    if components is None or (isinstance(components, YamlList) and not components):
        lines = _new_list(lines, data)
        components = YamlList()
        components.item_lines = []
    if not isinstance(components, YamlList) or _is_flow(lines, data.line_of("components")):
        raise SiteError(
            [
                Problem(
                    path.name,
                    data.line_of("components"),
                    "cannot add imported components to a 'components' value written in "
                    "flow style ([...]); rewrite it as a block list (- id: ...)",
                )
            ]
        )
    start = data.line_of("components") if "components" in data else len(lines)
    end = _block_end(lines, start)
    indent = _item_indent(lines, start, end)
    # (group, first line) of each item, in order; existing items come from the parsed list.
    items = [(c.group, line) for c, line in zip(existing, components.item_lines, strict=False)]
    for component in new:
        same = [i for i, (group, _) in enumerate(items) if group and group == component.group]
        if same and same[-1] + 1 < len(items):
            position = same[-1] + 1
            at = _last_content_line(lines, items[same[-1]][1], items[position][1] - 1)
        else:
            position = len(items)
            at = _last_content_line(lines, start, end)
        entry = _entry(component, indent)
        lines[at:at] = entry
        items = [(group, line + len(entry) if line > at else line) for group, line in items]
        items.insert(position, (component.group, at + 1))
        end += len(entry)
    result = "\n".join(lines) + "\n"
    _verify(path, result, existing, new)
    return result


def _parse(path: Path, text: str) -> YamlMap:
    try:
        data = load_yaml(text)
    except SourceError as error:
        raise SiteError([Problem(path.name, error.line, error.message)]) from None
    if not isinstance(data, YamlMap):
        raise SiteError([Problem(path.name, 1, "site.yml must be a mapping of settings")])
    return data


def _is_flow(lines: list[str], line: int) -> bool:
    value = lines[line - 1].split(":", 1)[1].split("#", 1)[0].strip() if line <= len(lines) else ""
    return value.startswith("[") and value != "[]"


def _new_list(lines: list[str], data: YamlMap) -> list[str]:
    """An empty or missing 'components' key becomes an empty block list to append to."""
    if "components" in data:
        number = data.line_of("components")
        lines[number - 1] = "components:"
        return lines
    while lines and not lines[-1].strip():
        lines.pop()
    data.key_lines["components"] = len(lines) + 2
    data["components"] = YamlList()
    return [*lines, "", "components:"]


def _block_end(lines: list[str], start: int) -> int:
    """The last line (1-based) before the next top-level key after line ``start``."""
    for number in range(start + 1, len(lines) + 1):
        if _TOP_LEVEL.match(lines[number - 1]):
            return number - 1
    return len(lines)


def _last_content_line(lines: list[str], first: int, last: int) -> int:
    """The last line in first..last that is neither blank nor a comment (comments belong below)."""
    for number in range(last, first - 1, -1):
        stripped = lines[number - 1].strip()
        if stripped and not stripped.startswith("#"):
            return number
    return first


def _item_indent(lines: list[str], start: int, end: int) -> str:
    for number in range(start + 1, end + 1):
        match = re.match(r"^(\s*)- ", lines[number - 1])
        if match:
            return match.group(1)
    return "  "


def _entry(component: Component, indent: str) -> list[str]:
    lines = [f"{indent}- id: {component.id}", f"{indent}  name: {_scalar(component.name)}"]
    if component.description:
        lines.append(f"{indent}  description: {_scalar(component.description)}")
    if component.group:
        lines.append(f"{indent}  group: {_scalar(component.group)}")
    return lines


def _scalar(text: str) -> str:
    """Plain when YAML reads it back unchanged, else double-quoted (JSON is valid YAML)."""
    text = without_controls(text)
    if _PLAIN.match(text) and text.strip() == text and yaml.safe_load(text) == text:
        return text
    return json.dumps(text, ensure_ascii=False)


def _verify(path: Path, text: str, existing: tuple[Component, ...], new: list[Component]) -> None:
    data = _parse(path, text)
    found = {
        (str(item.get("id")), str(item.get("name")))
        for item in data.get("components") or []
        if isinstance(item, dict)
    }
    wanted = {(c.id, c.name) for c in (*existing, *new)}
    if found != wanted:
        raise SiteError(
            [
                Problem(
                    path.name,
                    1,
                    "could not add the imported components to site.yml "
                    "without changing others; add them by hand: " + ", ".join(c.id for c in new),
                )
            ]
        )
