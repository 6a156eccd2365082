"""Training packs: a trainer's ordered selection of cases with notes and discussion questions.

A pack is a YAML file under `packs/`:

    title: 末端投递类申诉处理培训
    audience: 新入职申诉处理人员
    date: 2026-03-01
    intro: 本培训包……
    cases:
      - id: TD-2021-001
        title: 到付快件未经同意放进丰巢柜     # optional: the trainee version's title
        notes: 重点讲"未经同意"的认定
        questions: [企业能否以"更方便"为由投柜？]
      - id: TD-2024-001
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from casebook.content.frontmatter import Mapping, SafeLoader, SplitError, parse
from casebook.content.loader import _describe, decode
from casebook.content.model import DATE_PATTERN
from casebook.errors import Problem, display_path

PACK_SUFFIXES = (".yaml", ".yml")

# Top-level fields and entry fields, with the hint a "missing" or "expected" message gives.
PACK_FIELDS = {
    "title": "the pack's title, e.g. 末端投递类申诉处理培训",
    "audience": "who the training is for, e.g. 新入职申诉处理人员",
    "date": "YYYY-MM-DD, the training date",
    "intro": "a paragraph introducing the pack",
    "cases": "a list of entries such as '- id: TD-2021-001'",
}
ENTRY_FIELDS = {
    "id": "the case id, e.g. TD-2021-001",
    "title": "a title for the trainee version, when the case title gives the result away",
    "notes": "notes for the trainer",
    "questions": "a list of discussion questions",
}


@dataclass(frozen=True)
class PackEntry:
    """One case of a pack, with the trainer's notes and discussion questions."""

    id: str
    title: str = ""  # overrides the case title in the trainee version
    notes: str = ""
    questions: tuple[str, ...] = ()
    line: int = 0


@dataclass(frozen=True)
class Pack:
    """A validated training pack."""

    title: str
    entries: tuple[PackEntry, ...]
    path: str  # as shown in messages
    stem: str  # the file name without suffix: names the built handouts
    audience: str = ""
    date: str | None = None
    intro: str = ""

    @property
    def ids(self) -> list[str]:
        return [entry.id for entry in self.entries]


@dataclass
class _Marks:
    """Where an entry and its keys sit: (line, col) pairs, 1-based."""

    item: tuple[int, int]
    keys: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    items: dict = field(default_factory=dict)  # name -> [(line, col)] of a list's items
    duplicates: list = field(default_factory=list)


def find_packs(packs_dir: Path) -> list[Path]:
    """Return the pack files directly inside the packs directory, in a stable order."""
    if not packs_dir.is_dir():
        return []
    return sorted(p for p in packs_dir.iterdir() if p.is_file() and p.suffix in PACK_SUFFIXES)


def check_packs(packs_dir: Path, known_ids: set[str]) -> list[Problem]:
    """Validate every pack in the directory; return all their problems."""
    problems: list[Problem] = []
    for path in find_packs(packs_dir):
        problems.extend(load_pack(path, known_ids)[1])
    return problems


def load_pack(path: Path, known_ids: set[str]) -> tuple[Pack | None, list[Problem]]:
    """Read and validate a pack file; return the pack (None if any error) and its problems."""
    shown = display_path(path)
    try:
        text = decode(path.read_bytes())
        root = _compose(text)
        if root is not None and not isinstance(root, yaml.MappingNode):
            mark = root.start_mark
            raise SplitError(
                f"a pack must be a mapping of fields ({', '.join(PACK_FIELDS)}) but received a {root.id}",
                mark.line + 1,
                mark.column + 1,
            )
        mapping = parse(text, 1)
    except SplitError as exc:
        return None, [Problem(shown, exc.line, exc.col, str(exc))]

    problems: list[Problem] = []

    def problem(where: tuple[int, int], message: str, severity: str = "error") -> None:
        problems.append(Problem(shown, where[0], where[1], message, severity))

    data = mapping.data
    _check_fields(mapping, problem)
    entries: list[PackEntry] = []
    cases = data.get("cases")
    if "cases" in data:
        where = mapping.value_marks["cases"]
        if cases in (None, []):
            problem(where, "cases: the list is empty; a pack needs at least one case")
        elif not isinstance(cases, list):
            problem(where, f"cases: expected {PACK_FIELDS['cases']} but received {_describe(cases)}")
        else:
            marks = _entry_marks(root)
            entries = _check_entries(cases, marks, known_ids, problem)
    if any(p.is_error for p in problems):
        return None, sorted(problems, key=lambda p: (p.line, p.col))
    pack = Pack(
        title=str(data["title"]).strip(),
        entries=tuple(entries),
        path=shown,
        stem=path.stem,
        audience=_text(data.get("audience")),
        date=_text(data.get("date")) or None,
        intro=_text(data.get("intro")),
    )
    return pack, sorted(problems, key=lambda p: (p.line, p.col))


def _check_fields(mapping: Mapping, problem) -> None:
    """Check the pack's own fields (all but the entries); report through `problem`."""
    data = mapping.data
    for name, line, col in mapping.duplicates:
        problem((line, col), f"{name}: field given twice; the last value wins", "warning")
    for name in data:
        if str(name) not in PACK_FIELDS:
            problem(mapping.key_marks[str(name)], f"{name}: unknown field{_suggest(str(name), PACK_FIELDS)}", "warning")
    for name in ("title", "cases"):
        if name not in data:
            problem((1, 1), f"{name}: required field is missing ({PACK_FIELDS[name]})")
    for name in ("title", "audience", "intro"):
        message = _check_text(data[name], required=name == "title") if name in data else None
        if message:
            problem(mapping.value_marks[name], f"{name}: {message}")
    message = _check_date(data["date"]) if data.get("date") is not None else None
    if message:
        problem(mapping.value_marks["date"], f"date: {message}")


def _check_entries(cases: list, marks: list[_Marks], known: set[str], problem) -> list[PackEntry]:
    """Check each entry of `cases`; report through `problem`; return the usable entries."""
    entries: list[PackEntry] = []
    first_seen: dict[str, int] = {}
    for number, item in enumerate(cases, start=1):
        where = marks[number - 1] if number <= len(marks) else _Marks((1, 1))
        label = f"cases[{number}]"
        if isinstance(item, str):  # shorthand: `- TD-2021-001`
            item, where = {"id": item}, _Marks(where.item, {"id": where.item}, {"id": where.item})
        if not isinstance(item, dict):
            problem(where.item, f"{label}: expected an entry such as 'id: TD-2021-001' but received {_describe(item)}")
            continue
        for name, line, col in where.duplicates:
            problem((line, col), f"{label}.{name}: field given twice; the last value wins", "warning")
        for name in item:
            if str(name) not in ENTRY_FIELDS:
                hint = _suggest(str(name), ENTRY_FIELDS)
                problem(where.keys.get(str(name), where.item), f"{label}.{name}: unknown field{hint}", "warning")
        case_id = item.get("id")
        id_at = where.values.get("id", where.item)
        if case_id in (None, ""):
            problem(where.item, f"{label}: entry has no id ({ENTRY_FIELDS['id']})")
            continue
        if not isinstance(case_id, str):
            problem(id_at, f"{label}.id: expected a case id but received {_describe(case_id)}")
            continue
        case_id = case_id.strip()
        if case_id not in known:
            near = difflib.get_close_matches(case_id, sorted(known), n=1, cutoff=0.6)
            hint = f"; did you mean '{near[0]}'?" if near else ""
            problem(id_at, f"{label}.id: no case has the id '{case_id}'{hint}")
        elif case_id in first_seen:
            problem(id_at, f"{label}.id: '{case_id}' is already entry {first_seen[case_id]} of this pack")
        first_seen.setdefault(case_id, number)
        for name in ("title", "notes"):
            message = _check_text(item[name], required=False) if name in item else None
            if message:
                problem(where.values.get(name, where.item), f"{label}.{name}: {message}")
        questions = item.get("questions")
        questions_at = where.values.get("questions", where.item)
        if questions is not None and not isinstance(questions, list):
            problem(
                questions_at,
                f"{label}.questions: expected a list such as [问题一, 问题二] but received {_describe(questions)}",
            )
            questions = []
        question_marks = where.items.get("questions", [])
        for index, question in enumerate(questions or [], start=1):
            if not isinstance(question, str) or not question.strip():
                at = question_marks[index - 1] if index <= len(question_marks) else questions_at
                problem(
                    at, f"{label}.questions[{index}]: expected a question as text but received {_describe(question)}"
                )
        entries.append(
            PackEntry(
                id=case_id,
                title=_text(item.get("title")),
                notes=_text(item.get("notes")),
                questions=tuple(q.strip() for q in questions or [] if isinstance(q, str) and q.strip()),
                line=where.item[0],
            )
        )
    return entries


def _compose(text: str) -> yaml.Node | None:
    """Return the YAML node tree, or None when it is empty or broken (parse reports that)."""
    loader = SafeLoader(text)
    try:
        return loader.get_single_node()
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()


def _entry_marks(root: yaml.Node | None) -> list[_Marks]:
    """Return where each item of the top-level `cases` sequence, and each of its keys, sits."""
    if not isinstance(root, yaml.MappingNode):
        return []
    sequence = next((v for k, v in root.value if k.value == "cases"), None)
    if not isinstance(sequence, yaml.SequenceNode):
        return []
    out = []
    for item in sequence.value:
        marks = _Marks(_at(item))
        if isinstance(item, yaml.MappingNode):
            for key, value in item.value:
                name = str(key.value)
                if name in marks.keys:
                    marks.duplicates.append((name, *_at(key)))
                marks.keys[name] = _at(key)
                marks.values[name] = _at(value)
                if isinstance(value, yaml.SequenceNode):
                    marks.items[name] = [_at(v) for v in value.value]
        out.append(marks)
    return out


def _at(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _check_text(value, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return "expected text but received an empty value" if required else None
    if not isinstance(value, str):
        return f"expected text but received {_describe(value)}"
    return None


def _check_date(value) -> str | None:
    if not isinstance(value, str) or not DATE_PATTERN.match(value):
        shown = f"'{value}'" if isinstance(value, str) else _describe(value)
        return f"expected a date YYYY-MM-DD but received: {shown}"
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return f"not a real date: '{value}'"
    return None


def _text(value) -> str:
    return str(value).strip() if value is not None else ""


def _suggest(name: str, known) -> str:
    near = difflib.get_close_matches(name, list(known), n=1)
    return f"; did you mean '{near[0]}'?" if near else ""


def pack_fingerprint(pack: Pack, versions: dict[str, str]) -> str:
    """Return a short hash of the pack's content and the versions of its cases."""
    payload = {
        "title": pack.title,
        "audience": pack.audience,
        "date": pack.date,
        "intro": pack.intro,
        "entries": [[e.id, e.title, e.notes, list(e.questions), versions.get(e.id, "")] for e in pack.entries],
    }
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
