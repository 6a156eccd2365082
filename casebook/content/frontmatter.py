"""Split a Markdown file into YAML front matter and body, keeping line numbers."""

from __future__ import annotations

from dataclasses import dataclass

import yaml

try:  # the C loader is 6x faster; the wheel ships it, source builds may not
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _BaseLoader


class SafeLoader(_BaseLoader):
    """PyYAML's safe loader, except that dates stay text: validation checks them, and an
    impossible date (2023-02-30) then gets a message instead of a crash."""


SafeLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class Split:
    """The parts of a file: front-matter text, body, and their first lines (1-based)."""

    yaml_text: str
    yaml_line: int
    body: str
    body_line: int


class SplitError(ValueError):
    """The file has no usable front matter; `line` and `col` say where."""

    def __init__(self, message: str, line: int = 1, col: int = 1):
        self.line = line
        self.col = col
        super().__init__(message)


@dataclass(frozen=True)
class Mapping:
    """Parsed front matter: the values, and where each key sits in the file."""

    data: dict
    key_marks: dict  # name -> (line, col) of the key
    value_marks: dict  # name -> (line, col) of the value
    item_marks: dict  # name -> [(line, col), ...] for list items
    duplicates: list  # [(name, line, col)] keys given twice


def split(text: str) -> Split:
    """Split text (BOM already removed, newlines normalised) at its `---` fences."""
    if not text.strip():
        raise SplitError("empty file: expected YAML front matter between '---' lines")
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        raise SplitError("no front matter: the file must start with a '---' line")
    for number, line in enumerate(lines[1:], start=2):
        if line.rstrip() in ("---", "..."):
            yaml_text = "\n".join(lines[1 : number - 1])
            body = "\n".join(lines[number:])
            return Split(yaml_text, 2, body, number + 1)
    raise SplitError("unterminated front matter: no closing '---' line", len(lines), 1)


def parse(yaml_text: str, first_line: int) -> Mapping:
    """Parse front matter into values and key positions; raise SplitError on bad YAML."""
    loader = SafeLoader(yaml_text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Mapping({}, {}, {}, {}, [])
        if not isinstance(node, yaml.MappingNode):
            mark = node.start_mark
            raise SplitError(
                f"front matter must be a mapping of fields, but received a {node.id}",
                first_line + mark.line,
                mark.column + 1,
            )
        key_marks, value_marks, item_marks, duplicates = {}, {}, {}, []
        for key_node, value_node in node.value:
            name = str(key_node.value)
            position = (first_line + key_node.start_mark.line, key_node.start_mark.column + 1)
            if name in key_marks:
                duplicates.append((name, *position))
            key_marks[name] = position
            value_marks[name] = (
                first_line + value_node.start_mark.line,
                value_node.start_mark.column + 1,
            )
            if isinstance(value_node, yaml.SequenceNode):
                item_marks[name] = [
                    (first_line + item.start_mark.line, item.start_mark.column + 1) for item in value_node.value
                ]
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + mark.line if mark else first_line
        col = mark.column + 1 if mark else 1
        problem = exc.problem or "invalid YAML"
        context = f" {exc.context}" if exc.context else ""
        if exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
            context += f" that starts on line {first_line + exc.context_mark.line}"
        raise SplitError(f"YAML syntax error: {problem}{context}", line, col) from None
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        raise SplitError(f"YAML error: {exc}", first_line, 1) from None
    finally:
        loader.dispose()
    return Mapping(data, key_marks, value_marks, item_marks, duplicates)
