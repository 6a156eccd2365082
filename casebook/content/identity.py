"""Case ids across files: the one rule for an id that two files use.

The first file in path order keeps the id; every later file using it is refused, with a
message naming the file that has it. `check`, a full index build and an incremental update
all apply this rule, so they agree on which file a case id means.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from casebook.errors import Problem

T = TypeVar("T")


def duplicate_id(shown: str, line: int, case_id: str, owner: str) -> Problem:
    """Return the error for a file whose id `owner` (another file) already uses."""
    return Problem(shown, line, 1, f"id: duplicate id '{case_id}', also used in {owner}")


def later_duplicates(items: Iterable[T], id_of: Callable[[T], str]) -> list[tuple[T, T]]:
    """Return (item, the first item with its id) for each item whose id an earlier one has.

    Items come in path order; the first of each id wins.
    """
    first: dict[str, T] = {}
    later = []
    for item in items:
        owner = first.setdefault(id_of(item), item)
        if owner is not item:
            later.append((item, owner))
    return later
