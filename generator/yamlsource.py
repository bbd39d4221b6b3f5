"""Reading the user's text files: UTF-8 with line-aware errors, and YAML that remembers lines.

YAML mappings remember the line of each key and reject duplicate keys. Timestamps stay
strings (we parse them ourselves, in the site's time zone), and the C parser is used when
PyYAML has it: front matter of 40,000 files adds up.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlMap(dict[Any, Any]):
    """A mapping that knows its own line and the line of each key (1-based)."""

    line: int = 1
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class YamlList(list[Any]):
    """A sequence that knows its line and each item's line (1-based)."""

    line: int = 1
    item_lines: list[int]


class SourceError(Exception):
    """A file that cannot be read as YAML or UTF-8 text, with the line to blame."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


# Characters no page, feed or YAML file may carry: C0 and C1 controls (but tab and line ends),
# lone surrogates and the two non-characters XML refuses.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Every line end YAML and editors know, made "\n": YAML, Markdown and our audience markers
# then agree on where each line starts.
_LINE_ENDS = re.compile("\r\n?|[\x85\u2028\u2029]")


# Within reading_once(): each file's bytes as first read (see there). None: always from disk.
_READ: dict[Path, bytes] | None = None


@contextmanager
def reading_once() -> Iterator[None]:
    """Within it, read_bytes() reads each file from disk once. Loading a folder reads each of
    its files three times (for the item cache's key, for prompts, and to load it): once is
    cheaper on a slow disk, and all three see the same bytes even if an editor saves meanwhile."""
    global _READ
    outer, _READ = _READ, {}
    try:
        yield
    finally:
        _READ = outer


def read_bytes(path: Path) -> bytes:
    """The file's bytes (once per reading_once(), when within one); raises OSError."""
    if _READ is None:
        return path.read_bytes()
    data = _READ.get(path)
    if data is None:
        data = _READ[path] = path.read_bytes()
    return data


def read_text(path: Path) -> str:
    """A user's file as text with Unix line ends; raises SourceError if unreadable or not UTF-8."""
    try:
        data = read_bytes(path)
    except OSError as error:
        raise SourceError(1, f"cannot read this file: {error.strerror or error}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise SourceError(line, f"not valid UTF-8 text ({error.reason}); save the file as UTF-8") from None
    return normalise_line_ends(text.lstrip("\ufeff"))


def normalise_line_ends(text: str) -> str:
    return _LINE_ENDS.sub("\n", text)


class _Loader(_BaseLoader):
    line_offset = 0

    def line(self, node: yaml.Node) -> int:
        start: int = node.start_mark.line  # PyYAML is untyped here
        return start + 1 + self.line_offset


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> YamlMap:
    loader.flatten_mapping(node)
    result = YamlMap()
    result.line = loader.line(node)
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = loader.line(key_node)
        if not isinstance(key, (str, int, float, bool)):
            raise SourceError(line, "mapping keys must be plain text")
        key = str(key)
        if key in result:
            raise SourceError(line, f"duplicate key {key!r} (first on line {result.key_lines[key]})")
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> YamlList:
    result = YamlList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = loader.line(node)
    result.item_lines = [loader.line(child) for child in node.value]
    return result


def _construct_text(loader: _Loader, node: yaml.ScalarNode) -> str:
    """Text, refused if it carries a control character (written as a YAML escape like \\x01)."""
    text = loader.construct_scalar(node)
    control = CONTROL_CHARACTERS.search(text)
    if control:
        raise SourceError(
            loader.line(node),
            f"control character U+{ord(control.group()):04X} in "
            f"{text[:40]!r}; delete it: pages and feeds cannot carry it",
        )
    return str(text)


def _construct_timestamp_as_text(loader: _Loader, node: yaml.ScalarNode) -> str:
    return str(node.value)


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_text)
_Loader.add_constructor("tag:yaml.org,2002:str", _construct_text)


def load_yaml(text: str, first_line: int = 1) -> Any:
    """Parse YAML safely; line numbers count from ``first_line`` (front matter starts at 2)."""
    loader = _Loader(text)
    loader.line_offset = first_line - 1
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as error:
        raise SourceError(_error_line(error) + first_line - 1, _error_message(error)) from None
    except yaml.YAMLError as error:
        raise SourceError(first_line, f"invalid YAML: {error}") from None
    except RecursionError:
        raise SourceError(first_line, "YAML nested too deeply to read; flatten it") from None
    finally:
        loader.dispose()


def _error_line(error: yaml.MarkedYAMLError) -> int:
    # An unclosed quote or bracket is found at the end of the text; blame where it opened.
    mark = error.problem_mark
    if error.context_mark and (mark is None or "end of stream" in (error.problem or "")):
        mark = error.context_mark
    return mark.line + 1 if mark else 1


def _error_message(error: yaml.MarkedYAMLError) -> str:
    parts = [p for p in (error.context, error.problem) if p]
    message = "invalid YAML: " + (", ".join(parts) or "syntax error")
    problem = error.problem or ""
    if "\\t" in problem or "tab" in problem or "cannot start any token" in problem:
        message += " (indent with spaces, not tabs; a value starting with a special character needs quotes)"
    elif "mapping values are not allowed" in problem:
        message += " (a value containing ': ' needs quotes, like title: \"API: errors\")"
    return message
