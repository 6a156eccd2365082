"""Read case files into validated Case records, collecting every problem on the way."""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from casebook.content.frontmatter import Mapping, parse, split
from casebook.content.identity import duplicate_id, later_duplicates
from casebook.content.model import (
    CASE_SECTIONS,
    FIELDS,
    FIELDS_BY_NAME,
    ID_PATTERN,
    Case,
    Section,
    anchor_for,
)
from casebook.content.taxonomy import Taxonomy
from casebook.content.text import (
    DEFAULT_LIMITS,
    SizeLimits,
    TextError,
    decode,
    find_bad_characters,
    replace_bad_characters,
)
from casebook.content.tree import MAX_DEPTH, scan_tree
from casebook.content.values import check_date, describe
from casebook.errors import Problem, ProblemList, display_path

_HEADING = re.compile(r"^##\s+(.+?)\s*#*\s*$")


@dataclass
class LoadResult(ProblemList):
    """Cases that loaded, and every problem found in the tree."""

    cases: list[Case] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: int = 0


def load_file(
    path: Path, taxonomy: Taxonomy, shown: str | None = None, limits: SizeLimits = DEFAULT_LIMITS
) -> tuple[Case | None, list[Problem]]:
    """Read one file; return the case (None if it has errors) and all its problems.

    Raise FileNotFoundError when the file went since it was listed (the caller leaves it out).
    """
    shown = shown or display_path(path)
    raw = read_limited(path, path.stat().st_size, limits, shown)
    if isinstance(raw, Problem):
        return None, [raw]
    return parse_case(raw, shown, taxonomy, limits)


def read_limited(path: Path, size: int, limits: SizeLimits, shown: str) -> bytes | Problem:
    """Return a listed file's bytes, or the problem that kept them unread; FileNotFoundError when it went.

    A file above the size limit is refused by its listed size, unread: reading first would hold
    a file of any size in memory. At most one byte past the limit is read, should it have grown.
    """
    verdict = limits.check(size)
    if verdict and verdict[0] == "error":
        return Problem(shown, 1, 1, verdict[1])
    try:
        with open(path, "rb") as handle:
            raw = handle.read(limits.max_bytes + 1)
            if len(raw) > limits.max_bytes:
                return Problem(shown, 1, 1, limits.check(max(len(raw), os.fstat(handle.fileno()).st_size))[1])
    except NotADirectoryError as exc:  # a folder on its path became a file: gone all the same
        raise FileNotFoundError(str(exc)) from None
    except FileNotFoundError:
        raise
    except OSError as exc:
        return Problem(shown, 1, 1, f"file cannot be read ({exc.strerror or exc}); not read")
    return raw


def parse_case(
    raw: bytes, shown: str, taxonomy: Taxonomy, limits: SizeLimits = DEFAULT_LIMITS
) -> tuple[Case | None, list[Problem]]:
    """Validate file content; return the case (None if any error) and its problems."""
    verdict = limits.check(len(raw))
    size = [Problem(shown, 1, 1, verdict[1], verdict[0])] if verdict else []
    if size and size[0].is_error:
        return None, size
    try:
        text = decode(raw)
    except TextError as exc:
        return None, [*size, Problem(shown, exc.line, exc.col, str(exc))]
    bad = size + [Problem(shown, c.line, c.col, c.message) for c in find_bad_characters(text)]
    try:
        # Replaced one for one, so every later line and column still matches the file.
        parts = split(replace_bad_characters(text) if bad else text)
        mapping = parse(parts.yaml_text, parts.yaml_line)
    except TextError as exc:
        return None, [*bad, Problem(shown, exc.line, exc.col, str(exc))]
    problems = bad + _check_fields(mapping, shown, taxonomy, parts.yaml_line)
    kind = mapping.data.get("type") or "case"
    sections = split_sections(parts.body, parts.body_line)
    if kind == "manual" and not sections:
        problems.append(Problem(shown, parts.body_line, 1, "manual has no sections: split it into '## ' sections"))
    if kind == "case":
        titles = {s.title for s in sections}
        for title in CASE_SECTIONS:
            if title not in titles:
                problems.append(
                    Problem(shown, parts.body_line, 1, f"case body lacks the section '## {title}'", "warning")
                )
    if any(p.is_error for p in problems):
        return None, problems
    values = {name: _convert(name, mapping.data.get(name)) for name in FIELDS_BY_NAME}
    values["type"] = kind
    case = Case(
        path=shown,
        body=parts.body,
        sections=sections,
        digest=hashlib.sha1(raw).hexdigest(),
        lines={name: mark[0] for name, mark in mapping.key_marks.items()},
        **values,
    )
    return case, problems


def _check_fields(mapping: Mapping, shown: str, taxonomy: Taxonomy, first_line: int) -> list[Problem]:
    """Check each field against its declaration; return the problems in file order."""
    problems: list[Problem] = []
    data = mapping.data
    for name, line, col in mapping.duplicates:
        problems.append(Problem(shown, line, col, f"{name}: field given twice; the last value wins", "warning"))
    kind = data.get("type", "case")
    for name in data:
        line, col = mapping.key_marks.get(str(name), (first_line, 1))
        if str(name) not in FIELDS_BY_NAME:
            known = difflib.get_close_matches(str(name), FIELDS_BY_NAME, n=1)
            hint = f"; did you mean '{known[0]}'?" if known else ""
            problems.append(Problem(shown, line, col, f"{name}: unknown field{hint}", "warning"))
    for spec in FIELDS:
        needed = spec.required == "always" or (spec.required == "case" and kind == "case")
        if spec.name not in data or data[spec.name] in (None, ""):
            if needed:
                problems.append(
                    Problem(shown, first_line - 1, 1, f"{spec.name}: required field is missing ({spec.help})")
                )
            continue
        line, col = mapping.value_marks[spec.name]
        message = _check_value(spec.kind, spec.choices, data[spec.name], taxonomy)
        if message:
            problems.append(Problem(shown, line, col, f"{spec.name}: {message}"))
        elif spec.kind in ("list", "idlist"):
            marks = mapping.item_marks.get(spec.name, [])
            for index, item in enumerate(data[spec.name]):
                item_line, item_col = marks[index] if index < len(marks) else (line, col)
                if isinstance(item, int) and not isinstance(item, bool) and spec.kind == "list":
                    continue  # a number such as 12305 is a fine tag; it is kept as text
                if not isinstance(item, str) or not item.strip():
                    problems.append(
                        Problem(
                            shown,
                            item_line,
                            item_col,
                            f"{spec.name}: expected text items but received {describe(item)}",
                        )
                    )
                elif spec.kind == "idlist" and not ID_PATTERN.match(item):
                    problems.append(Problem(shown, item_line, item_col, f"{spec.name}: not a valid case id: '{item}'"))
    return sorted(problems, key=lambda p: (p.line, p.col))


def _check_value(kind: str, choices: str | None, value, taxonomy: Taxonomy) -> str | None:
    """Return a message if the value does not fit its declared kind, else None."""
    if kind in ("text", "id", "choice") and not isinstance(value, str):
        return f"expected text but received {describe(value)}"
    if kind == "id" and not ID_PATTERN.match(value):
        return f"expected letters, digits and dashes (e.g. TD-2023-004) but received: '{value}'"
    if kind == "choice":
        allowed = taxonomy.choices(choices)
        if value not in allowed:
            near = difflib.get_close_matches(value, allowed, n=1, cutoff=0.3)
            hint = f"; did you mean '{near[0]}'?" if near else ""
            return f"expected one of ({', '.join(allowed)}) but received: '{value}'{hint}"
    if kind == "date":
        return check_date(value)
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"expected a number of yuan (e.g. 260 or 99.5) but received {describe(value)}"
        if value < 0:
            return f"expected zero or more yuan but received: {value}"
    if kind == "bool" and not isinstance(value, bool):
        return f"expected true or false but received {describe(value)}"
    if kind in ("list", "idlist") and not isinstance(value, list):
        example = "[智能快件箱, 丢失]" if kind == "list" else "[TD-2023-002]"
        return f"expected a list such as {example} but received {describe(value)}"
    return None


def _convert(name: str, value):
    """Turn a validated YAML value into the Case attribute's type."""
    spec = FIELDS_BY_NAME[name]
    if value is None:
        return [] if spec.kind in ("list", "idlist") else None
    if spec.kind == "date" and isinstance(value, dt.date):
        return value.isoformat()
    if spec.kind == "number" and not isinstance(value, bool):
        return float(value)
    if spec.kind in ("list", "idlist"):
        return [str(v).strip() for v in value] if isinstance(value, list) else []
    if spec.kind in ("text", "id", "choice"):
        return str(value).strip()
    return value


def split_sections(body: str, first_line: int = 1) -> list[Section]:
    """Split a body into its `##` sections, skipping headings inside code fences."""
    sections: list[Section] = []
    current: tuple[str, int] | None = None
    buffer: list[str] = []
    fenced = False
    for offset, line in enumerate(body.split("\n")):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        match = None if fenced else _HEADING.match(line)
        if match:
            if current:
                sections.append(_section(current, buffer))
            current, buffer = (match.group(1), first_line + offset), []
        elif current:
            buffer.append(line)
    if current:
        sections.append(_section(current, buffer))
    return sections


def _section(current: tuple[str, int], buffer: list[str]) -> Section:
    title, line = current
    return Section(title, anchor_for(title), "\n".join(buffer).strip(), line)


def load_tree(
    cases_dir: Path, taxonomy: Taxonomy, max_depth: int = MAX_DEPTH, limits: SizeLimits = DEFAULT_LIMITS
) -> LoadResult:
    """Load every file under the cases directory; report bad files, keep the good ones."""
    result = LoadResult()
    listing = scan_tree(cases_dir, max_depth)
    result.problems.extend(listing.problems)  # links leaving the tree, folders too deep
    for path in listing.paths(cases_dir):
        try:
            case, problems = load_file(path, taxonomy, limits=limits)
        except FileNotFoundError:
            continue  # removed since the listing (a pull in progress)
        result.files += 1
        result.problems.extend(problems)
        if case is not None:
            result.cases.append(case)
    result.problems.extend(check_links(result.cases))
    dropped = {id(case) for case, _ in later_duplicates(result.cases, lambda case: case.id)}
    result.cases = [c for c in result.cases if id(c) not in dropped]
    return result


def check_links(cases: list[Case]) -> list[Problem]:
    """Report ids used by two files (naming both) and `related` ids that do not exist."""
    problems: list[Problem] = []
    by_id: dict[str, list[Case]] = {}
    for case in cases:
        by_id.setdefault(case.id, []).append(case)
    for case_id, owners in by_id.items():
        if len(owners) > 1:
            for owner in owners:
                others = ", ".join(o.path for o in owners if o is not owner)
                problems.append(duplicate_id(owner.path, _line_of(owner, "id"), case_id, others))
    for case in cases:
        for target in case.related:
            if target not in by_id:
                near = difflib.get_close_matches(target, by_id, n=1, cutoff=0.8)
                hint = f"; did you mean '{near[0]}'?" if near else ""
                problems.append(
                    Problem(case.path, _line_of(case, "related"), 1, f"related: no case has the id '{target}'{hint}")
                )
            elif target == case.id:
                problems.append(
                    Problem(case.path, _line_of(case, "related"), 1, "related: a case cannot relate to itself")
                )
    return problems


def _line_of(case: Case, name: str) -> int:
    """Return the line of a front-matter key in a loaded case's file."""
    return case.lines.get(name, 1)
