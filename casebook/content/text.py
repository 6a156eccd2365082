"""Text files of the knowledge base: UTF-8 decoding and characters no file may hold.

Every reader (cases, manuals, packs, the taxonomy, the privacy scan) decodes through
`decode`, so a file that is not UTF-8 gets the same message with the same line and column
wherever it is read.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from casebook.config import CASE_MAX_BYTES, CASE_WARN_BYTES


class TextError(ValueError):
    """A file's text is unusable; `line` and `col` (1-based) say where."""

    def __init__(self, message: str, line: int = 1, col: int = 1):
        self.line = line
        self.col = col
        super().__init__(message)


@dataclass(frozen=True)
class BadCharacter:
    """A character a text file must not hold, with its place (1-based) and a message."""

    line: int
    col: int
    message: str


# C0 and C1 controls (except tab and newline), DEL, the two non-characters XML refuses, and
# the Unicode line and paragraph separators. XML (so DOCX) cannot hold the first ones, and
# YAML counts NEL, U+2028 and U+2029 as line breaks, which shifts every line number after them.
_BAD = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff\u2028\u2029]")
_NAMES = {"\u2028": "LINE SEPARATOR", "\u2029": "PARAGRAPH SEPARATOR", "\x85": "NEL", "\x7f": "DEL"}
_C0_NAMES = (
    "NUL SOH STX ETX EOT ENQ ACK BEL BS HT LF VT FF CR SO SI DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC FS GS RS US"
).split()

# One file full of control characters should not bury the rest of the report.
MAX_REPORTED = 10
REPLACEMENT = "\ufffd"


@dataclass(frozen=True)
class SizeLimits:
    """How large a case file may be: above `warn_bytes` check warns, above `max_bytes` it is refused."""

    warn_bytes: int = CASE_WARN_BYTES
    max_bytes: int = CASE_MAX_BYTES

    def check(self, size: int, kind: str = "case") -> tuple[str, str] | None:
        """Return (severity, message) for a `kind` file of `size` bytes, or None when it is fine."""
        parts = "several cases or manuals" if kind == "case" else f"several {kind}s"
        if size > self.max_bytes:
            return "error", (
                f"file is {_size(size)}, above the {_size(self.max_bytes)} limit (setting case_max_bytes): "
                f"it is not read; split it into {parts}"
            )
        if size > self.warn_bytes:
            return "warning", (
                f"file is {_size(size)}, above the {_size(self.warn_bytes)} a {kind} should need "
                "(setting case_warn_bytes); trim pasted text or split it"
            )
        return None


DEFAULT_LIMITS = SizeLimits()


def _size(size: int) -> str:
    """Return a byte count as people read it: 512 KB, 2 MB, 20.5 MB."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"
    return f"{size / 1024:.1f}".removesuffix(".0") + " KB"


def decode(raw: bytes) -> str:
    """Decode file bytes as UTF-8 (BOM allowed) with normalised newlines; raise TextError."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        hint = ""
        try:
            raw.decode("gb18030")
            hint = "; it looks like GBK/GB18030 (a Windows editor's default): re-save it as UTF-8"
        except UnicodeDecodeError:
            pass
        raise TextError(f"file is not UTF-8 (byte 0x{raw[exc.start]:02x}){hint}", line, col) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text(path: Path, max_bytes: int) -> str | None:
    """Return the text of a file that looks like text (UTF-8, else GB18030), or None if it does
    not or is larger than max_bytes."""
    # For scans that must not skip a file only because it is badly encoded (the privacy scan).
    try:
        if path.stat().st_size > max_bytes:
            return None
        raw = path.read_bytes()
    except OSError:
        return None
    if b"\0" in raw[:8192]:
        return None  # binary: an image, a PDF, a zip
    try:
        return decode(raw)
    except TextError:
        pass
    try:
        return raw.decode("gb18030").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError:
        return None


def find_bad_characters(text: str, first_line: int = 1) -> list[BadCharacter]:
    """Return the control characters in text (tab and newline excepted), at most MAX_REPORTED and a summary."""
    found: list[BadCharacter] = []
    matches = _BAD.finditer(text)
    for match in matches:
        line = first_line + text.count("\n", 0, match.start())
        col = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
        if len(found) == MAX_REPORTED:
            more = 1 + sum(1 for _ in matches)
            found.append(BadCharacter(line, col, f"{more} more control characters from here on"))
            break
        found.append(BadCharacter(line, col, _message(match[0])))
    return found


def replace_bad_characters(text: str) -> str:
    """Return text with each control character replaced by U+FFFD, columns unchanged."""
    return _BAD.sub(REPLACEMENT, text)


def name_of(char: str) -> str:
    """Return a character's code point and name, e.g. U+0007 (BEL)."""
    code = ord(char)
    name = _C0_NAMES[code] if code < 0x20 else _NAMES.get(char) or unicodedata.name(char, "control")
    return f"U+{code:04X} ({name})"


def _message(char: str) -> str:
    return f"control character {name_of(char)} is not allowed: delete it (only tab and line breaks may appear)"
