"""The editor-owned taxonomy: categories, outcomes and services, in display order."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from casebook.content.frontmatter import parse
from casebook.content.text import TextError, decode, find_bad_characters
from casebook.errors import ContentError, Problem, display_path

TAXONOMY_FILE = "taxonomy.yaml"


@dataclass(frozen=True)
class Term:
    """A category or outcome with its description (and, for categories, id code and folder)."""

    name: str
    description: str = ""
    code: str = ""
    dir: str = ""


@dataclass(frozen=True)
class Taxonomy:
    """The allowed values of the choice fields, in the order editors gave them."""

    categories: tuple[Term, ...]
    outcomes: tuple[Term, ...]
    services: tuple[str, ...]

    def choices(self, name: str) -> tuple[str, ...]:
        """Return the allowed values of a choice list: categories, outcomes, services or types."""
        if name == "categories":
            return tuple(t.name for t in self.categories)
        if name == "outcomes":
            return tuple(t.name for t in self.outcomes)
        if name == "services":
            return self.services
        if name == "types":
            return ("case", "manual")
        raise KeyError(name)

    def category(self, name: str) -> Term | None:
        """Return the category called `name`, or None."""
        return next((t for t in self.categories if t.name == name), None)


def load_taxonomy(cases_dir: Path) -> Taxonomy:
    """Read and validate `taxonomy.yaml`; raise ContentError listing every problem."""
    path = cases_dir / TAXONOMY_FILE
    shown = display_path(path)
    if not path.is_file():
        raise ContentError([Problem(shown, 1, 1, "taxonomy file not found")])
    try:
        text = decode(path.read_bytes())
        bad = [Problem(shown, c.line, c.col, c.message) for c in find_bad_characters(text)]
        if bad:
            raise ContentError(bad)
        mapping = parse(text, 1)
    except TextError as exc:
        raise ContentError([Problem(shown, exc.line, exc.col, str(exc))]) from None
    problems: list[Problem] = []
    lists = {}
    for key in ("categories", "outcomes"):
        line, col = mapping.key_marks.get(key, (1, 1))
        raw = mapping.data.get(key)
        if not isinstance(raw, list) or not raw:
            problems.append(Problem(shown, line, col, f"{key}: expected a non-empty list"))
            continue
        terms = []
        marks = mapping.item_marks.get(key, [])
        for index, item in enumerate(raw):
            item_line, item_col = marks[index] if index < len(marks) else (line, col)
            if isinstance(item, str):
                item = {"name": item}
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                problems.append(Problem(shown, item_line, item_col, f"{key}: each entry needs a 'name'"))
                continue
            if any(t.name == item["name"] for t in terms):
                problems.append(Problem(shown, item_line, item_col, f"{key}: duplicate name '{item['name']}'"))
                continue
            terms.append(
                Term(
                    name=item["name"],
                    description=str(item.get("description") or ""),
                    code=str(item.get("code") or ""),
                    dir=str(item.get("dir") or ""),
                )
            )
        lists[key] = tuple(terms)
    services = mapping.data.get("services") or ["快递服务", "邮政服务"]
    if not isinstance(services, list) or not all(isinstance(s, str) for s in services):
        line, col = mapping.key_marks.get("services", (1, 1))
        problems.append(Problem(shown, line, col, "services: expected a list of names"))
        services = []
    if problems:
        raise ContentError(problems)
    return Taxonomy(lists["categories"], lists["outcomes"], tuple(services))
