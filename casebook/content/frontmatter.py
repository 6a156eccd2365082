"""Split a Markdown file into YAML front matter and body, keeping line numbers."""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from casebook.content.text import TextError

try:  # the C loader is 6x faster; the wheel ships it, source builds may not
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _BaseLoader


# The front matter is one mapping of fields and packs one list of entries in it; 20 levels
# leave room for anything an editor might mean, and none for a hostile file.
MAX_NESTING = 20


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


class SplitError(TextError):
    """The file has no usable front matter; `line` and `col` say where."""


class NotAMapping(SplitError):
    """The YAML is valid but is not a mapping of fields; `kind` names what it is."""

    def __init__(self, kind: str, line: int, col: int):
        self.kind = kind
        super().__init__(f"front matter must be a mapping of fields, but received a {kind}", line, col)


@dataclass(frozen=True)
class Mapping:
    """Parsed front matter: the values, and where each key sits in the file."""

    data: dict
    key_marks: dict  # name -> (line, col) of the key
    value_marks: dict  # name -> (line, col) of the value
    item_marks: dict  # name -> [(line, col), ...] for list items
    duplicates: list  # [(name, line, col)] keys given twice
    node: yaml.Node | None = None  # the composed document, for callers that need deeper marks


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
    try:
        screen(yaml_text, first_line)
        loader = SafeLoader(yaml_text)
    except yaml.YAMLError as exc:
        raise _split_error(exc, yaml_text, first_line) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return Mapping({}, {}, {}, {}, [])
        if not isinstance(node, yaml.MappingNode):
            mark = node.start_mark
            raise NotAMapping(node.id, first_line + mark.line, mark.column + 1)
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
        data = _construct(loader, node, first_line)
    except yaml.YAMLError as exc:
        raise _split_error(exc, yaml_text, first_line) from None
    finally:
        loader.dispose()
    return Mapping(data, key_marks, value_marks, item_marks, duplicates, node)


def screen(yaml_text: str, first_line: int) -> None:
    """Raise SplitError at the first alias (`*name`) or value nested too deep; yaml.YAMLError if broken."""
    # Nine aliases nested nine deep make 9**9 values from 300 bytes, and any repr or walk of
    # them runs out of memory. Case files and packs never need aliases, so none are allowed.
    # Lists nested 100,000 deep (200 KB of brackets) crash the C composer outright (a
    # segmentation fault, taking a running site with it), so depth is bounded too. Events are
    # read before anything is composed: neither is ever built.
    loader = SafeLoader(yaml_text)
    depth = 0
    try:
        while (event := loader.get_event()) is not None and not isinstance(event, yaml.StreamEndEvent):
            mark = event.start_mark
            if isinstance(event, yaml.AliasEvent):
                raise SplitError(
                    f"YAML alias '*{event.anchor}' is not allowed here: write the value out in full",
                    first_line + mark.line,
                    mark.column + 1,
                )
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_NESTING:
                    raise SplitError(
                        f"YAML nested more than {MAX_NESTING} levels deep: lists and fields need two or three",
                        first_line + mark.line,
                        mark.column + 1,
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    finally:
        loader.dispose()


def _construct(loader: SafeLoader, node: yaml.MappingNode, first_line: int) -> dict:
    """Build Python values from the node tree; a value its tag cannot hold is a SplitError."""
    try:
        return loader.construct_document(node)
    except yaml.YAMLError:
        raise
    except Exception as exc:  # noqa: BLE001 (PyYAML's constructors raise anything: `!!timestamp x`)
        # The constructors do not say which value failed (nor well: `'NoneType' object has no
        # attribute 'groupdict'`), so each scalar is built apart to find it; only a scalar with
        # a written tag (`!!int x`) can fail.
        where, message = node, " ".join(str(exc).split()) or type(exc).__name__
        stack = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, yaml.ScalarNode):
                try:
                    SafeLoader("").construct_object(current)
                except Exception:  # noqa: BLE001
                    tag = current.tag.replace("tag:yaml.org,2002:", "!!")
                    where, message = current, f"'{current.value}' cannot be read as {tag}: remove the tag"
                    break
            elif isinstance(current, yaml.MappingNode):
                stack.extend(n for pair in reversed(current.value) for n in reversed(pair))
            elif isinstance(current, yaml.SequenceNode):
                stack.extend(reversed(current.value))
        mark = where.start_mark
        raise SplitError(f"YAML error: {message}", first_line + mark.line, mark.column + 1) from None


def _split_error(exc: yaml.YAMLError, yaml_text: str, first_line: int) -> SplitError:
    """Turn a PyYAML error into a one-line SplitError at its mark."""
    if isinstance(exc, SplitError):
        return exc
    if isinstance(exc, yaml.reader.ReaderError):
        # The reader's own message ends in a second line naming "<unicode string>".
        position = exc.position if isinstance(exc.position, int) else 0
        if not (0 <= position < len(yaml_text) and ord(yaml_text[position]) == exc.character):
            # libyaml (the C loader) counts bytes of the UTF-8 text, the Python reader characters.
            position = len(yaml_text.encode("utf-8")[:position].decode("utf-8", errors="ignore"))
        line = first_line + yaml_text.count("\n", 0, position)
        col = position - (yaml_text.rfind("\n", 0, position) + 1) + 1
        return SplitError(f"YAML error: unacceptable character U+{exc.character:04X}", line, col)
    if not isinstance(exc, yaml.MarkedYAMLError):
        return SplitError(f"YAML error: {' '.join(str(exc).split())}", first_line, 1)
    mark = exc.problem_mark or exc.context_mark
    line = first_line + mark.line if mark else first_line
    col = mark.column + 1 if mark else 1
    problem = exc.problem or "invalid YAML"
    context = f" {exc.context}" if exc.context else ""
    if exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
        context += f" that starts on line {first_line + exc.context_mark.line}"
    # The composer says "but found another document" and "expected a single document": in that order.
    text = f"{context.strip()} {problem}" if problem.startswith("but ") else f"{problem}{context}"
    return SplitError(" ".join(f"YAML syntax error: {text}".split()), line, col)
