"""Identifiers in a query: case ids and legal bases, which should find their documents first."""

from __future__ import annotations

import re

from casebook.content.legal import chinese_articles, parse_legal_basis
from casebook.index.analysis import normalise

CASE_ID = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{1,5}-\d{2,4}(?:-\d{1,4})?)(?![A-Za-z0-9-])")
# Word and PDF turn a typed hyphen into ‐ ‑ – — or −; an id pasted from them is still an id.
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d_"
_LOOSE_ID = re.compile(
    rf"(?<![A-Za-z0-9])([A-Za-z]{{1,5}})[{_DASHES}](\d{{2,4}})(?:[{_DASHES}](\d{{1,4}}))?(?![A-Za-z0-9])"
)
_NOISE = re.compile(r"[\s《》〈〉()（）\[\]【】,，、:：.。]")


def case_ids(text: str) -> list[str]:
    """Return the case-id-shaped words of a query, upper-cased (td-2021-001 → TD-2021-001)."""
    return list(dict.fromkeys(m.group(1).upper() for m in CASE_ID.finditer(normalise(text))))


def canonical(text: str) -> str:
    """Return a query with ids written with typographic dashes (TD‐2021‐001) and Arabic article
    numbers (第47条) in the forms the cases use (TD-2021-001, 第四十七条)."""
    return chinese_articles(_LOOSE_ID.sub(lambda m: "-".join(part for part in m.groups() if part), text))


def _compact(text: str) -> str:
    """Return text without spaces and brackets, articles in Chinese numerals (第25条 → 第二十五条)."""
    return _NOISE.sub("", chinese_articles(normalise(text)))


def named_bases(query: str, bases: list[str]) -> list[str]:
    """Return the legal bases (as cited) whose law and article the query both names.

    `快递暂行条例 第二十五条`, `《快递暂行条例》第25条` and `快递暂行条例第二十五条` all name
    `《快递暂行条例》(2018) 第二十五条`. A law named without an article pins nothing: it is
    ranked as words.
    """
    compact = _compact(query)
    if "条" not in compact:
        return []
    out = []
    for basis in bases:
        parsed = parse_legal_basis(basis)
        if not parsed.article:
            continue
        law, article = _compact(parsed.law), _compact(parsed.article)
        if law and law in compact and article in compact:
            out.append(basis)
    return out
