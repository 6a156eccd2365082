"""Find personal data a case file must not publish: numbers, street addresses and full names.

Text is folded before the detectors see it, so a number cannot hide by the way it is written:
zero-width characters are dropped, full-width and other Unicode digits (１３８, ١٣٨) become ASCII,
and for mobile and ID numbers the separators between digit groups (spaces, dots, dashes, a line
break) are removed as well. Every finding still points at the text as written.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass

from casebook.content.detectors import (
    DETECTORS,
    LABELS,
    Hit,
    find_id_numbers,
    find_mobiles,
)
from casebook.errors import Problem


@dataclass(frozen=True)
class Finding:
    """One piece of personal data found in a text, with the place it starts."""

    line: int
    col: int
    kind: str
    value: str
    message: str


# A reviewed exception must say why; an empty marker is a forgotten TODO, not a review.
# Without DOTALL a marker cannot span lines, so it only ever exempts its own line.
_EXEMPTION = re.compile(r"<!--\s*privacy-ok:(?P<reason>.*?)-->")

# Characters that show nothing: one inside a number splits it for a regex but not for a reader.
_INVISIBLE = frozenset(
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff"
)

# Between two digits, up to three of these join groups of one number: 138 1234 5678,
# 138.1234.5678, 138–1234–5678, 1 3 8 …; so does a line break with the next line's indent
# (or quote marks), for 1381234 at a line's end and 5678 on the next.
_JOINERS = " \t\n\u00a0\u2007\u202f.·・‧-‐‑‒–—―−_/"
_JOINED_DIGITS = re.compile(rf"(?<=[0-9])(?:[{re.escape(_JOINERS)}]{{1,3}}|[ \t]{{0,3}}\n[ \t>]{{0,12}})(?=[0-9])")

# Claimed spans are overwritten with a character no pattern matches, so a later, less
# specific pattern cannot report the same text again.
_MASK = "\0"

# Detectors that run once more on the joined view, after the plain view has had its say.
_JOINED = (find_id_numbers, find_mobiles)


def scan_text(text: str, first_line: int = 1) -> list[Finding]:
    """Return the personal data in text, sorted by line and column."""
    # Editors do not count a byte-order mark as a column.
    text = text.removeprefix("\ufeff")
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    exempt = {n for n in range(len(starts)) if count_exemptions(_line_at(text, starts, n))}
    folded, where = _fold(text)
    hits: list[tuple[int, int, Hit]] = []  # (start, end) in text, and the hit
    for detect in DETECTORS:
        folded = _claim(folded, where, detect, hits)
        if detect is find_mobiles:
            # Numbers written in pieces: the pieces joined, for IDs and mobiles only (a card
            # or a waybill joined from unrelated numbers would be too easy to find by chance).
            joined, map_back = _join(folded)
            for joined_detect in _JOINED:
                joined = _claim(joined, map_back, joined_detect, hits, where)
            folded = _mask_claims(folded, where, hits)
    findings = []
    for start, end, hit in sorted(hits, key=lambda item: item[0]):
        line = bisect.bisect_right(starts, start) - 1
        if line not in exempt:
            findings.append(_to_finding(hit, text[start:end], first_line + line, start - starts[line] + 1))
    return findings


def privacy_problems(text: str, shown: str) -> list[Problem]:
    """Return a `privacy:` error for each piece of personal data in a file's text."""
    return [Problem(shown, f.line, f.col, f"privacy: {f.message}") for f in scan_text(text)]


def scrub(text: str) -> str:
    """Return text with each piece of personal data replaced by ＊, one per character."""
    chars = list(text.removeprefix("\ufeff"))
    for start, end in _spans(text):
        chars[start:end] = "＊" * (end - start)
    return "".join(chars)


def count_exemptions(text: str) -> int:
    """Count the privacy-ok markers in text that give a reason."""
    return sum(1 for match in _EXEMPTION.finditer(text) if match["reason"].strip())


def _spans(text: str) -> list[tuple[int, int]]:
    """Return where scan_text's findings lie, as (start, end) offsets in text without a BOM."""
    text = text.removeprefix("\ufeff")
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    spans = []
    for finding in scan_text(text):
        start = starts[finding.line - 1] + finding.col - 1
        spans.append((start, start + len(finding.value)))
    return spans


def _line_at(text: str, starts: list[int], number: int) -> str:
    end = starts[number + 1] - 1 if number + 1 < len(starts) else len(text)
    return text[starts[number] : end]


def _claim(view: str, where: list[int], detect, hits: list, outer: list[int] | None = None) -> str:
    """Run one detector over a view, record its hits in text offsets, return the view masked."""
    found = list(detect(view))
    if not found:
        return view
    chars = list(view)  # masked in one pass: slicing the string per hit is quadratic in a long file
    for hit in found:
        start, end = where[hit.start], where[hit.end - 1] + 1
        if outer is not None:  # the view is a view of the folded text: map twice
            start, end = outer[start], outer[end - 1] + 1
        hits.append((start, end, hit))
        chars[hit.start : hit.end] = _MASK * (hit.end - hit.start)
    return "".join(chars)


def _mask_claims(folded: str, where: list[int], hits: list) -> str:
    """Mask in the folded view every span claimed so far (by any view)."""
    if not hits:
        return folded
    claimed = bytearray(where[-1] + 1)  # one flag per offset in text: linear, however many hits
    for start, end, _ in hits:
        claimed[start:end] = b"\1" * (end - start)
    return "".join(_MASK if claimed[where[i]] else char for i, char in enumerate(folded))


def _fold(text: str) -> tuple[str, range | list[int]]:
    """Return text with invisible characters dropped and digits and letters made ASCII, and
    for each character of the result the offset it came from."""
    folded = text.translate(_FOLD)
    if len(folded) == len(text):
        return folded, range(len(text) + 1)
    return folded, [i for i, char in enumerate(text) if char not in _INVISIBLE] + [len(text)]


class _FoldTable(dict):
    """A str.translate table that works out each character's folded form on first sight."""

    def __missing__(self, code: int) -> str | None:
        char = chr(code)
        if char in _INVISIBLE:
            folded = None
        elif 0xFF01 <= code <= 0xFF5E:  # full-width forms, one to one (NFKC is not always 1:1)
            folded = chr(code - 0xFEE0)
        elif char == "\u3000":
            folded = " "
        else:
            digit = unicodedata.decimal(char, None)  # Arabic-Indic ٣, Devanagari ३, mathematical 𝟑 …
            folded = str(digit) if digit is not None else char
        self[code] = folded
        return folded


_FOLD = _FoldTable()


def _join(folded: str) -> tuple[str, list[int]]:
    """Return the folded text with separators between digits removed, and offsets into folded."""
    out: list[str] = []
    where: list[int] = []
    position = 0
    for match in _JOINED_DIGITS.finditer(folded):
        if match[0].count("\n") > 1:
            continue  # a blank line ends a number
        out.append(folded[position : match.start()])
        where.extend(range(position, match.start()))
        position = match.end()
    out.append(folded[position:])
    where.extend(range(position, len(folded) + 1))
    return "".join(out), where


def _to_finding(hit: Hit, value: str, line: int, col: int) -> Finding:
    """Turn a hit into a finding that quotes the text as written (invisible characters shown)."""
    message = f"{LABELS[hit.kind]} '{_visible(value)}'; {hit.advice}"
    return Finding(line, col, hit.kind, value, message)


def _visible(value: str) -> str:
    """Return value with line breaks and invisible characters written as escapes, on one line."""
    return "".join(
        "\\n" if char == "\n" else f"\\u{ord(char):04x}" if char in _INVISIBLE or char == "\t" else char
        for char in value
    )
