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

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from casebook.content.frontmatter import Mapping, NotAMapping, parse
from casebook.content.privacy import privacy_problems
from casebook.content.text import (
    DEFAULT_LIMITS,
    SizeLimits,
    TextError,
    decode,
    find_bad_characters,
    replace_bad_characters,
)
from casebook.content.values import check_date, check_text, describe
from casebook.errors import Problem, display_path
from casebook.packs.entries import PackEntry, check_entries, entry_marks, suggest, text_of

PACK_SUFFIXES = (".yaml", ".yml")

# Top-level fields, with the hint a "missing" or "expected" message gives.
PACK_FIELDS = {
    "title": "the pack's title, e.g. 末端投递类申诉处理培训",
    "audience": "who the training is for, e.g. 新入职申诉处理人员",
    "date": "YYYY-MM-DD, the training date",
    "intro": "a paragraph introducing the pack",
    "cases": "a list of entries such as '- id: TD-2021-001'",
}


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


def packs_dir_for(cases_dir: Path) -> Path:
    """Return the packs folder that belongs to a cases folder (packs/ beside it)."""
    return cases_dir.parent / "packs"


def find_packs(packs_dir: Path) -> list[Path]:
    """Return the pack files directly inside the packs directory, in a stable order."""
    if not packs_dir.is_dir():
        return []
    return sorted(p for p in packs_dir.iterdir() if p.is_file() and p.suffix in PACK_SUFFIXES)


def check_packs(packs_dir: Path, known_ids: set[str], limits: SizeLimits = DEFAULT_LIMITS) -> tuple[int, list[Problem]]:
    """Validate every pack in the directory; return how many there are and all their problems."""
    problems: list[Problem] = []
    paths = find_packs(packs_dir)
    for path in paths:
        problems.extend(load_pack(path, known_ids, limits)[1])
    return len(paths), problems


def load_pack(
    path: Path, known_ids: set[str], limits: SizeLimits = DEFAULT_LIMITS
) -> tuple[Pack | None, list[Problem]]:
    """Read and validate a pack file; return the pack (None if any error) and its problems."""
    shown = display_path(path)
    problems: list[Problem] = []

    def problem(where: tuple[int, int], message: str, severity: str = "error") -> None:
        problems.append(Problem(shown, where[0], where[1], message, severity))

    try:
        # The same bounds as a case file: a pack is a few KB, and it is read whole.
        verdict = limits.check(path.stat().st_size, "pack")
        if verdict:
            problem((1, 1), verdict[1], verdict[0])
            if verdict[0] == "error":
                return None, problems
        text = decode(path.read_bytes())
        for bad in find_bad_characters(text):
            problem((bad.line, bad.col), bad.message)
        # Trainers' notes are printed in every handout: they are held to the cases' rule.
        problems.extend(privacy_problems(text, shown))
        mapping = parse(replace_bad_characters(text), 1)
    except NotAMapping as exc:
        fields = ", ".join(PACK_FIELDS)
        problem((exc.line, exc.col), f"a pack must be a mapping of fields ({fields}) but received a {exc.kind}")
        return None, problems
    except TextError as exc:
        problem((exc.line, exc.col), str(exc))
        return None, problems

    data = mapping.data
    _check_fields(mapping, problem)
    entries: list[PackEntry] = []
    cases = data.get("cases")
    if "cases" in data:
        where = mapping.value_marks["cases"]
        if cases in (None, []):
            problem(where, "cases: the list is empty; a pack needs at least one case")
        elif not isinstance(cases, list):
            problem(where, f"cases: expected {PACK_FIELDS['cases']} but received {describe(cases)}")
        else:
            entries = check_entries(cases, entry_marks(mapping.node), known_ids, problem)
    problems.sort(key=lambda p: (p.line, p.col))
    if any(p.is_error for p in problems):
        return None, problems
    pack = Pack(
        title=str(data["title"]).strip(),
        entries=tuple(entries),
        path=shown,
        stem=path.stem,
        audience=text_of(data.get("audience")),
        date=text_of(data.get("date")) or None,
        intro=text_of(data.get("intro")),
    )
    return pack, problems


def _check_fields(mapping: Mapping, problem) -> None:
    """Check the pack's own fields (all but the entries); report through `problem`."""
    data = mapping.data
    for name, line, col in mapping.duplicates:
        problem((line, col), f"{name}: field given twice; the last value wins", "warning")
    for name in data:
        if str(name) not in PACK_FIELDS:
            problem(mapping.key_marks[str(name)], f"{name}: unknown field{suggest(str(name), PACK_FIELDS)}", "warning")
    for name in ("title", "cases"):
        if name not in data:
            problem((1, 1), f"{name}: required field is missing ({PACK_FIELDS[name]})")
    for name in ("title", "audience", "intro"):
        message = check_text(data[name], required=name == "title") if name in data else None
        if message:
            problem(mapping.value_marks[name], f"{name}: {message}")
    message = check_date(data["date"]) if data.get("date") is not None else None
    if message:
        problem(mapping.value_marks["date"], f"date: {message}")


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
