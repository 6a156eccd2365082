"""Identifiers in a query: case ids and legal bases, which should find their documents first."""

from __future__ import annotations

import re

from casebook.index.analysis import normalise

CASE_ID = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{1,5}-\d{2,4}(?:-\d{1,4})?)(?![A-Za-z0-9-])")
# Word and PDF turn a typed hyphen into ‐ ‑ – — or −; an id pasted from them is still an id.
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d_"
_LOOSE_ID = re.compile(
    rf"(?<![A-Za-z0-9])([A-Za-z]{{1,5}})[{_DASHES}](\d{{2,4}})(?:[{_DASHES}](\d{{1,4}}))?(?![A-Za-z0-9])"
)
_BASIS = re.compile(r"《?(?P<law>[^》(（]+?)》?\s*(?:[(（]\s*(?P<edition>\d{4})\s*[)）])?\s*(?P<article>第.+条)?\s*$")
_ARTICLE = re.compile(r"第\s*([0-9一二三四五六七八九十百零〇两]+)\s*条")
_NOISE = re.compile(r"[\s《》〈〉()（）\[\]【】,，、:：.。]")
_DIGITS = "零一二三四五六七八九"


def case_ids(text: str) -> list[str]:
    """Return the case-id-shaped words of a query, upper-cased (td-2021-001 → TD-2021-001)."""
    return list(dict.fromkeys(m.group(1).upper() for m in CASE_ID.finditer(normalise(text))))


def canonical(text: str) -> str:
    """Return a query with ids written with typographic dashes (TD‐2021‐001) and Arabic article
    numbers (第47条) in the forms the cases use (TD-2021-001, 第四十七条)."""
    text = _LOOSE_ID.sub(lambda m: "-".join(part for part in m.groups() if part), text)
    return _ARTICLE.sub(
        lambda m: "第" + (chinese_number(int(m.group(1))) if m.group(1).isdigit() else m.group(1)) + "条", text
    )


def chinese_number(value: int) -> str:
    """Return 1..999 in Chinese numerals as article numbers write them (25 → 二十五, 10 → 十)."""
    if not 0 < value < 1000:
        return str(value)
    hundreds, rest = divmod(value, 100)
    tens, ones = divmod(rest, 10)
    out = f"{_DIGITS[hundreds]}百" if hundreds else ""
    if tens:
        out += ("" if tens == 1 and not hundreds else _DIGITS[tens]) + "十"
    elif hundreds and ones:
        out += "零"
    return out + (_DIGITS[ones] if ones else "")


def _compact(text: str) -> str:
    """Return text without spaces and brackets, articles in Chinese numerals (第25条 → 第二十五条)."""
    text = _ARTICLE.sub(
        lambda m: "第" + (chinese_number(int(m.group(1))) if m.group(1).isdigit() else m.group(1)) + "条",
        normalise(text),
    )
    return _NOISE.sub("", text)


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
        match = _BASIS.match(basis.strip())
        if not match or not match["article"]:
            continue
        law, article = _compact(match["law"]), _compact(match["article"])
        if law and law in compact and article in compact:
            out.append(basis)
    return out
