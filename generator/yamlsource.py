"""YAML loading that remembers where each key was and rejects duplicate keys.

Timestamps stay strings (we parse them ourselves, with the site's time zone), and
the C parser is used when PyYAML has it: front matter of 40,000 files adds up.
"""

from __future__ import annotations

from typing import Any

import yaml

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlMap(dict):
    """A mapping that knows its own line and the line of each key (1-based)."""

    line: int = 1
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class YamlList(list):
    """A sequence that knows its line and each item's line (1-based)."""

    line: int = 1
    item_lines: list[int]


class YamlSyntaxError(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    pass


def _construct_mapping(loader: Any, node: yaml.MappingNode) -> YamlMap:
    loader.flatten_mapping(node)
    result = YamlMap()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, (str, int, float, bool)) or key is None:
            raise YamlSyntaxError(line, "mapping keys must be plain text")
        key = str(key)
        if key in result:
            raise YamlSyntaxError(line, f"duplicate key {key!r} (first on line {result.key_lines[key]})")
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _construct_sequence(loader: Any, node: yaml.SequenceNode) -> YamlList:
    result = YamlList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _construct_timestamp_as_text(loader: Any, node: yaml.ScalarNode) -> str:
    return str(node.value)


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_text)


def load_yaml(text: str, first_line: int = 1) -> Any:
    """Parse YAML safely; line numbers are shifted so they count from ``first_line``."""
    try:
        value = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except YamlSyntaxError as error:
        raise YamlSyntaxError(error.line + first_line - 1, error.message) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = (mark.line + 1 if mark else 1) + first_line - 1
        message = error.problem or error.context or "invalid YAML"
        raise YamlSyntaxError(line, f"invalid YAML: {message}") from None
    except yaml.YAMLError as error:
        raise YamlSyntaxError(first_line, f"invalid YAML: {error}") from None
    if first_line != 1:
        _shift_lines(value, first_line - 1)
    return value


def _shift_lines(value: Any, offset: int) -> None:
    if isinstance(value, YamlMap):
        value.line += offset
        value.key_lines = {k: v + offset for k, v in value.key_lines.items()}
        for item in value.values():
            _shift_lines(item, offset)
    elif isinstance(value, YamlList):
        value.line += offset
        value.item_lines = [line + offset for line in value.item_lines]
        for item in value:
            _shift_lines(item, offset)
