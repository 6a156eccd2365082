"""Chinese-aware text analysis: normalise, segment, and the Whoosh tokenizer built on them.

Normalisation keeps the text's length, so character offsets computed on normalised text
highlight the original (traditional, full-width) text. Tokens carry ordinal positions, with
search-mode sub-words sharing their parent word's position, so phrase queries work.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from typing import NamedTuple

from whoosh.analysis import Token, Tokenizer

from casebook.config import SEGMENTERS

# Identifiers that segmentation would cut apart: case ids, waybill-like numbers, articles.
_IDENTIFIER = re.compile(
    r"[a-z]{1,5}-\d{2,4}(?:-\d{1,4})?"  # case ids such as td-2023-004, sc-001
    r"|第[一二三四五六七八九十百零〇两\d]+条"  # article references such as 第二十八条
    r"|\d+[天日]"  # time limits: 7天 and 7日 are one token, 7日
    r"|[a-z]*\d[a-z\d]*(?:\.\d+)?"  # numbers and codes: 12305, sf1234567890, 3.5
)
_WORD_CHAR = re.compile(r"[\w\u3400-\u9fff\uf900-\ufaff]")

# Function words and particles that carry no search meaning. One-character content words
# (柜, 箱, 丢, 坏, 赔) are deliberately absent: Chinese needs them.
STOPWORDS = frozenset(
    """
    的 了 和 与 及 或 是 在 到 得 地 也 就 都 而 吧 呢 吗 啊 呀 着 过 把 被 让 给 对 从 向 于 以 之 其 该 此
    这 那 这个 那个 一个 个 我 你 他 她 它 我们 你们 他们 自己 没 没有 不 很 又 还 再 才 已 已经 但 但是
    如果 因为 所以 并 并且 等 等等 后 时 中 上 下 里 请问 怎么 怎么办 什么 为什么 能否 是否 可以 一下 有 要
    哪些 哪个 哪里 哪儿 如何 怎样 怎么样 啥
    a an and are as at be by for from in is it of on or that the this to was were will with
    """.split()
)
QUERY_OPERATORS = frozenset({"AND", "OR", "NOT", "&&", "||"})


@functools.lru_cache(maxsize=1)
def _converter():
    """Return the OpenCC traditional-to-simplified converter (created once per process)."""
    import opencc

    return opencc.OpenCC("t2s.json")


def _fold_char(char: str) -> str:
    """Return NFKC + lower-case of one character, or the character if that changes length."""
    folded = unicodedata.normalize("NFKC", char).lower()
    return folded if len(folded) == 1 else char.lower() if len(char.lower()) == 1 else char


_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def normalise(text: str) -> str:
    """Fold full-width forms and case and convert traditional to simplified, keeping length."""
    if text.isascii():
        return text.lower()
    folded = text.translate(_WIDTH).lower()
    if len(folded) != len(text) or not unicodedata.is_normalized("NFKC", folded):
        folded = "".join(_fold_char(c) for c in text)  # rare: other compatibility forms
    simplified = _converter().convert(folded)
    if len(simplified) == len(folded):
        return simplified
    # A phrase conversion changed the length: convert character by character instead.
    return "".join(c2 if len(c2 := _converter().convert(c)) == 1 else c for c in folded)


class Word(NamedTuple):
    """A segmented word: its text, character span, ordinal position, and whether it is a sub-word."""

    text: str
    start: int
    end: int
    pos: int
    sub: bool = False


class Segmenter:
    """jieba's algorithm and dictionary plus the user words, via rjieba or jieba."""

    def __init__(self, backend: str, userwords: tuple[tuple[str, int | None], ...]):
        if backend not in SEGMENTERS:
            raise ValueError(f"segmenter: expected one of {SEGMENTERS} but received: '{backend}'")
        self.backend = backend
        self.userwords = userwords
        if backend == "rjieba":
            self._engine = _rjieba_engine()
            for word, freq in userwords:
                self._engine.add_word(normalise(word), freq, None)
        else:
            import logging

            import jieba

            jieba.setLogLevel(logging.WARNING)
            self._engine = jieba.Tokenizer()
            for word, freq in userwords:
                self._engine.add_word(normalise(word), freq)

    def spans(self, text: str, search: bool) -> list[tuple[str, int, int]]:
        """Return (word, start, end) for normalised text; search mode adds sub-words."""
        mode = "search" if search else "default"
        if self.backend == "rjieba":
            return self._engine.tokenize(text, mode, True)
        return list(self._engine.tokenize(text, mode=mode, HMM=True))

    def words(self, text: str, search: bool = True) -> list[Word]:
        """Segment normalised text into words with ordinal positions, dropping stopwords."""
        out: list[Word] = []
        pos = 0
        cursor = 0
        for match in _IDENTIFIER.finditer(text):
            pos = self._segment(text, cursor, match.start(), search, out, pos)
            word = match.group()
            if word[-1] in "天日":  # 7天 and 7日 mean the same time limit; the number alone also finds it
                if search:
                    out.append(Word(word[:-1], match.start(), match.end() - 1, pos, sub=True))
                word = word[:-1] + "日"
            out.append(Word(word, match.start(), match.end(), pos))
            pos += 1
            cursor = match.end()
        self._segment(text, cursor, len(text), search, out, pos)
        return out

    def _segment(self, text: str, start: int, end: int, search: bool, out: list[Word], pos: int) -> int:
        """Append the words of text[start:end] to `out`; return the next free position."""
        if start >= end:
            return pos
        pending: list[tuple[str, int, int]] = []
        for word, s, e in self.spans(text[start:end], search):
            if not _WORD_CHAR.match(word) or word in STOPWORDS:
                continue
            pending.append((word, start + s, start + e))
        # Search mode emits sub-words just before the word that contains them. Walking
        # backwards, a word inside the last parent seen is a sub-word and shares its position.
        roles: list[bool] = []  # True for a sub-word, in reverse order
        parent_span = (-1, -1)
        for _word, s, e in reversed(pending):
            inside = parent_span[0] <= s and e <= parent_span[1] and (e - s) < (parent_span[1] - parent_span[0])
            roles.append(inside)
            if not inside:
                parent_span = (s, e)
        roles.reverse()
        # Positions follow the parents' order; a sub-word takes the position of the next parent.
        parent_pos = []
        next_pos = pos
        for sub in roles:
            if not sub:
                parent_pos.append(next_pos)
                next_pos += 1
        cursor = len(parent_pos)
        assigned = [0] * len(pending)
        for index in range(len(pending) - 1, -1, -1):
            if not roles[index]:
                cursor -= 1
            assigned[index] = parent_pos[cursor] if cursor < len(parent_pos) else next_pos
        for (word, s, e), sub, position in zip(pending, roles, assigned):
            out.append(Word(word, s, e, position, sub))
        return next_pos


GROUP_MARK = "≡"
SECTION_BREAK = "\x1e"  # separates a body's sections in the indexed text field
SECTION_GAP = 100_000  # positions between sections: a phrase never spans two
# A sub-word occurrence (快递 inside 快递柜) counts this much of a whole-word one in a
# posting's weight, which ranking reads as term frequency: a partial match ranks lower.
SUB_WORD_WEIGHT = 0.4


@functools.lru_cache(maxsize=8)
def group_tokens(groups: tuple[tuple[str, ...], ...]) -> dict[str, str]:
    """Map each normalised member of a synonym group to the group's token (≡ + first member)."""
    out: dict[str, str] = {}
    for group in groups:
        members = [normalise(m) for m in group]
        for member in members:
            out.setdefault(member, GROUP_MARK + members[0])
    return out


_default_rjieba_taken = threading.Lock()


def _rjieba_engine():
    """Return a fresh rjieba engine: the first call in a process takes the one rjieba built on import.

    Importing rjieba already loads its dictionary into a module-level engine (0.13 s); building a
    second for our user words doubled the start-up of every one-file `index` run and worker.
    """
    import rjieba

    if _default_rjieba_taken.acquire(blocking=False):
        return rjieba  # the module-level engine: tokenize and add_word, as on an instance
    return rjieba.Jieba()


@functools.lru_cache(maxsize=4)
def get_segmenter(backend: str, userwords: tuple[tuple[str, int | None], ...]) -> Segmenter:
    """Return a segmenter for this backend and word list, created once per process."""
    return Segmenter(backend, userwords)


class CaseTokenizer(Tokenizer):
    """Whoosh tokenizer: normalise, then segment (search mode when indexing, precise for queries).

    Pickled into the index schema: it keeps only the backend name and the user words, and
    finds its segmenter lazily, so unpickling never loads a dictionary.
    """

    def __init__(self, backend: str = "rjieba", userwords: tuple = (), groups: tuple = ()):
        self.backend = backend
        self.userwords = tuple(tuple(w) for w in userwords)
        self.groups = tuple(tuple(g) for g in groups)

    def __eq__(self, other):
        return (
            isinstance(other, CaseTokenizer)
            and self.backend == other.backend
            and self.userwords == other.userwords
            and self.groups == other.groups
        )

    def __hash__(self):
        return hash((self.backend, self.userwords, self.groups))

    def _words(self, value: str, search: bool):
        """Yield the words of a value; each SECTION_BREAK-separated part gets its own position band."""
        if SECTION_BREAK not in value:
            yield from self.segmenter.words(normalise(value), search=search)
            return
        offset = 0
        for band, part in enumerate(value.split(SECTION_BREAK)):
            base = band * SECTION_GAP
            for word in self.segmenter.words(normalise(part), search=search):
                yield word._replace(start=word.start + offset, end=word.end + offset, pos=word.pos + base)
            offset += len(part) + 1

    def group_of(self, word: str) -> str | None:
        """Return the token that stands for a word's synonym group, or None."""
        return group_tokens(self.groups).get(word)

    @property
    def segmenter(self) -> Segmenter:
        return get_segmenter(self.backend, self.userwords)

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = value
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar, token.endchar = start_char, start_char + len(value)
            yield token
            return
        groups = group_tokens(self.groups) if mode != "query" else {}
        for word in self._words(value, mode != "query"):
            token.text = word.text
            token.boost = SUB_WORD_WEIGHT if word.sub else 1.0
            token.stopped = False
            if keeporiginal:
                token.original = value[word.start : word.end]
            if positions:
                token.pos = start_pos + word.pos
            if chars:
                token.startchar = start_char + word.start
                token.endchar = start_char + word.end
            yield token
            group = groups.get(word.text)
            if group:  # the synonym group's token, at the same place, so one term finds them all
                token.text = group
                yield token
