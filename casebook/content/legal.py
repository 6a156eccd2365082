"""Legal bases as cases cite them: `《快递市场管理办法》(2024) 第二十八条` split into law, edition
and article; article numbers read and written in Chinese numerals, so 第27条, 第二十七条 and the
order 第二十七条 < 第三十条 all agree."""

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


_NUMERALS = "零一二三四五六七八九"
_DIGITS = {c: i for i, c in enumerate(_NUMERALS)} | {"两": 2, "〇": 0}
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


_ARABIC_ARTICLE = re.compile(r"第\s*(\d+)\s*条")


def chinese_numerals(value: int) -> str:
    """Return 1..999 in Chinese numerals as article numbers write them (25 → 二十五, 10 → 十)."""
    if not 0 < value < 1000:
        return str(value)
    hundreds, rest = divmod(value, 100)
    tens, ones = divmod(rest, 10)
    out = f"{_NUMERALS[hundreds]}百" if hundreds else ""
    if tens:
        out += ("" if tens == 1 and not hundreds else _NUMERALS[tens]) + "十"
    elif hundreds and ones:
        out += "零"
    return out + (_NUMERALS[ones] if ones else "")


def chinese_articles(text: str) -> str:
    """Return text with article numbers in Chinese numerals, as cases cite them (第47条 → 第四十七条)."""
    return _ARABIC_ARTICLE.sub(lambda m: f"第{chinese_numerals(int(m.group(1)))}条", text)
