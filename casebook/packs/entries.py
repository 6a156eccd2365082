"""The entries of a training pack: each case with its title, notes and questions, checked."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import yaml

from casebook.content.values import check_text, describe

ENTRY_FIELDS = {
    "id": "the case id, e.g. TD-2021-001",
    "title": "a title for the trainee version, when the case title gives the result away",
    "notes": "notes for the trainer",
    "questions": "a list of discussion questions",
}

# Words that give a case's result away: the default outcomes (the taxonomy's list as shipped),
# longest first. A trainee title holding one defeats the trainee version.
OUTCOME_WORDS = ("申诉不成立", "部分赔偿", "退还运费", "道歉解释", "调解不成", "不予受理", "赔偿", "补偿")


@dataclass(frozen=True)
class PackEntry:
    """One case of a pack, with the trainer's notes and discussion questions."""

    id: str
    title: str = ""  # overrides the case title in the trainee version
    notes: str = ""
    questions: tuple[str, ...] = ()
    line: int = 0


@dataclass
class Marks:
    """Where an entry and its keys sit: (line, col) pairs, 1-based."""

    item: tuple[int, int]
    keys: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    items: dict = field(default_factory=dict)  # name -> [(line, col)] of a list's items
    duplicates: list = field(default_factory=list)


def check_entries(cases: list, marks: list[Marks], known: set[str], problem) -> list[PackEntry]:
    """Check each entry of `cases`; report through `problem`; return the usable entries."""
    entries: list[PackEntry] = []
    first_seen: dict[str, int] = {}
    for number, item in enumerate(cases, start=1):
        where = marks[number - 1] if number <= len(marks) else Marks((1, 1))
        label = f"cases[{number}]"
        if isinstance(item, str):  # shorthand: `- TD-2021-001`
            item, where = {"id": item}, Marks(where.item, {"id": where.item}, {"id": where.item})
        if not isinstance(item, dict):
            problem(where.item, f"{label}: expected an entry such as 'id: TD-2021-001' but received {describe(item)}")
            continue
        for name, line, col in where.duplicates:
            problem((line, col), f"{label}.{name}: field given twice; the last value wins", "warning")
        for name in item:
            if str(name) not in ENTRY_FIELDS:
                hint = suggest(str(name), ENTRY_FIELDS)
                problem(where.keys.get(str(name), where.item), f"{label}.{name}: unknown field{hint}", "warning")
        case_id = item.get("id")
        id_at = where.values.get("id", where.item)
        if case_id in (None, ""):
            problem(where.item, f"{label}: entry has no id ({ENTRY_FIELDS['id']})")
            continue
        if not isinstance(case_id, str):
            problem(id_at, f"{label}.id: expected a case id but received {describe(case_id)}")
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
            message = check_text(item[name], required=False) if name in item else None
            if message:
                problem(where.values.get(name, where.item), f"{label}.{name}: {message}")
            elif name == "title" and isinstance(item.get("title"), str):
                named = next((w for w in OUTCOME_WORDS if w in item["title"]), None)
                if named:
                    problem(
                        where.values.get(name, where.item),
                        f"{label}.title: the trainee title names the outcome '{named}'; trainees should not see it",
                        "warning",
                    )
        questions = item.get("questions")
        questions_at = where.values.get("questions", where.item)
        if questions is not None and not isinstance(questions, list):
            problem(
                questions_at,
                f"{label}.questions: expected a list such as [问题一, 问题二] but received {describe(questions)}",
            )
            questions = []
        question_marks = where.items.get("questions", [])
        for index, question in enumerate(questions or [], start=1):
            if not isinstance(question, str) or not question.strip():
                at = question_marks[index - 1] if index <= len(question_marks) else questions_at
                problem(
                    at, f"{label}.questions[{index}]: expected a question as text but received {describe(question)}"
                )
        entries.append(
            PackEntry(
                id=case_id,
                title=text_of(item.get("title")),
                notes=text_of(item.get("notes")),
                questions=tuple(q.strip() for q in questions or [] if isinstance(q, str) and q.strip()),
                line=where.item[0],
            )
        )
    return entries


def entry_marks(root: yaml.Node | None) -> list[Marks]:
    """Return where each item of the top-level `cases` sequence, and each of its keys, sits."""
    if not isinstance(root, yaml.MappingNode):
        return []
    sequence = next((v for k, v in root.value if k.value == "cases"), None)
    if not isinstance(sequence, yaml.SequenceNode):
        return []
    out = []
    for item in sequence.value:
        marks = Marks(at(item))
        if isinstance(item, yaml.MappingNode):
            for key, value in item.value:
                name = str(key.value)
                if name in marks.keys:
                    marks.duplicates.append((name, *at(key)))
                marks.keys[name] = at(key)
                marks.values[name] = at(value)
                if isinstance(value, yaml.SequenceNode):
                    marks.items[name] = [at(v) for v in value.value]
        out.append(marks)
    return out


def at(node: yaml.Node) -> tuple[int, int]:
    """Return a node's (line, col), 1-based."""
    return node.start_mark.line + 1, node.start_mark.column + 1


def text_of(value) -> str:
    """Return a YAML value as stripped text ('' for none)."""
    return str(value).strip() if value is not None else ""


def suggest(name: str, known) -> str:
    """Return '; did you mean …?' naming the closest known field, or ''."""
    near = difflib.get_close_matches(name, list(known), n=1)
    return f"; did you mean '{near[0]}'?" if near else ""
