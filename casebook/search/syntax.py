"""Parse what a user typed into clauses, leniently: no input makes it raise.

Syntax (documented in the README): words separated by spaces; `"…"` for an exact phrase;
`-word` to exclude; `+word` to require; `scope:word` to search one part of a case (标题, 摘要, 标签, 案情, 过程,
结果, 评析). Anything else, including stray quotes, brackets and operators, is read as words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from casebook.index.schema import SCOPES

MAX_QUERY_CHARS = 1000  # longer input is cut: a pasted complaint paragraph fits, and it bounds the work
MAX_CLAUSES = 12

_QUOTES = str.maketrans({"“": '"', "”": '"', "「": '"', "」": '"', "＂": '"', "：": ":", "－": "-", "＋": "+"})
_CLAUSE = re.compile(r'([-+])?(?:([^\s:"]+):)?(?:"([^"]*)"?|([^\s"]+))')
_JUNK = re.compile(r"[()\[\]{}<>*?~^!+=|&\\/]+")


@dataclass(frozen=True)
class Clause:
    """One part of a query: a word group or a phrase, maybe scoped to a field, maybe excluded."""

    text: str
    phrase: bool = False
    scope: str | None = None  # an index field name
    negated: bool = False
    required: bool = False  # typed as +word: a hit must hold it


def clean(text: str) -> str:
    """Remove control and private-use characters and cut overlong input."""
    text = "".join(
        " " if unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs", "Zl", "Zp") else c
        for c in text[: MAX_QUERY_CHARS * 2]
    )
    return " ".join(text.split())[:MAX_QUERY_CHARS]


def parse(text: str) -> list[Clause]:
    """Return the clauses of a query string; unknown scopes and operators become plain words."""
    text = clean(text.translate(_QUOTES))
    if text.count('"') % 2:
        # An unclosed quote is a stray character, not a phrase running to the end: drop it.
        cut = text.rfind('"')
        text = text[:cut] + " " + text[cut + 1 :]
    clauses: list[Clause] = []
    for match in _CLAUSE.finditer(text):
        sign, scope_name, phrase, word = match.groups()
        negated, required = sign == "-", sign == "+"
        scope = SCOPES.get(scope_name.lower()) if scope_name else None
        if scope_name and scope is None:
            # Not a scope we know (e.g. a URL or `field:`): keep its text as words.
            word = f"{scope_name} {phrase if phrase is not None else word or ''}"
            phrase = None
        if phrase is not None:
            body = phrase.strip()
            if body:
                clauses.append(Clause(body, phrase=True, scope=scope, negated=negated, required=required))
            continue
        body = _JUNK.sub(" ", word or "").strip()
        if not body or body.upper() in ("AND", "OR", "NOT"):
            continue
        clauses.append(Clause(body, scope=scope, negated=negated, required=required))
    return clauses[:MAX_CLAUSES]
