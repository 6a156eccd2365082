"""Render what cases cite and how they are cited: legal bases split into parts, one-line citations."""

from __future__ import annotations

import re
from dataclasses import dataclass

_LEGAL = re.compile(r"^《(?P<law>[^》]+)》\s*(?:[(（](?P<edition>\d{4})[)）])?\s*(?P<article>第[^\s]+条)?")


@dataclass(frozen=True)
class LegalBasis:
    """A cited rule split into law, edition and article (for the cited-by pages)."""

    text: str
    law: str
    edition: str
    article: str

    @property
    def key(self) -> str:
        """Return the law with its edition, e.g. 快递市场管理办法(2024)."""
        return f"{self.law}({self.edition})" if self.edition else self.law


def parse_legal_basis(text: str) -> LegalBasis:
    """Split `《快递市场管理办法》(2024) 第二十八条` into its parts (unparsed text stays whole)."""
    match = _LEGAL.match(text.strip())
    if not match:
        return LegalBasis(text, text, "", "")
    return LegalBasis(text, match["law"], match["edition"] or "", match["article"] or "")


_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2, "〇": 0}
_UNITS = {"十": 10, "百": 100, "千": 1000}


def chinese_number(text: str) -> int | None:
    """Return the value of a number written in Chinese (二十七, 一百零三) or digits, else None."""
    if text.isdigit():
        return int(text)
    total, digit = 0, None
    for char in text:
        if char in _DIGITS:
            digit = _DIGITS[char]
        elif char in _UNITS:
            total += (1 if digit is None else digit) * _UNITS[char]
            digit = None
        else:
            return None
    return total + (digit or 0) if text else None


def article_order(article: str) -> tuple:
    """Return a sort key putting 第二十七条 before 第三十条 (and 第三十条之一 after 第三十条)."""
    match = re.match(r"第(.+?)条(.*)", article)
    number = chinese_number(match[1]) if match else None
    return (0, number, match[2]) if number is not None else (1, 0, article)


def citation(record: dict) -> str:
    """Return the one-line citation of a case for a handler's report."""
    parts = [f"《{record['title']}》"]
    if record.get("type") == "manual":
        parts.append("处理手册")
    if record.get("region"):
        parts.append(record["region"])
    if record.get("date"):
        parts.append(f"{record['date']} 结案" if record.get("type") != "manual" else record["date"])
    return f"[{record['id']}] " + "，".join(parts)
