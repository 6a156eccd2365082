"""Snippets and match reasons, computed from stored text without touching the index again."""

from __future__ import annotations

import html
import unicodedata
from dataclasses import dataclass

from casebook.index.analysis import Segmenter, normalise

SNIPPET_CHARS = 120


@dataclass(frozen=True)
class Reason:
    """Why a hit matched: a word as typed, a synonym, a partial word or a traditional form."""

    kind: str  # word | synonym | partial | traditional
    query: str  # what the user typed
    matched: str  # the text in the document

    def label(self) -> str:
        """Return the reason in Chinese, for the site."""
        if self.kind == "synonym":
            return f"同义词：{self.query} → {self.matched}"
        if self.kind == "partial":
            return f"部分匹配：{self.query} ⊂ {self.matched}"
        if self.kind == "traditional":
            return f"繁体：{self.matched}"
        return f"词语：{self.matched}"

    def to_dict(self) -> dict:
        return {"kind": self.kind, "query": self.query, "matched": self.matched, "label": self.label()}


@dataclass(frozen=True)
class Snippet:
    """A fragment of one field with the spans to mark, in plain and HTML forms."""

    field: str
    text: str
    spans: tuple[tuple[int, int], ...]

    def html(self) -> str:
        """Return the fragment as escaped HTML with <mark> around matched words."""
        out, cursor = [], 0
        for start, end in self.spans:
            out.append(html.escape(self.text[cursor:start]))
            out.append(f"<mark>{html.escape(self.text[start:end])}</mark>")
            cursor = end
        out.append(html.escape(self.text[cursor:]))
        return "".join(out)

    def plain(self) -> str:
        """Return the fragment with matched words in 【】, for terminals."""
        out, cursor = [], 0
        for start, end in self.spans:
            out.append(self.text[cursor:start] + "【" + self.text[start:end] + "】")
            cursor = end
        return "".join(out) + self.text[cursor:]


def find_matches(segmenter: Segmenter, text: str, terms: dict[str, tuple[str, str]]):
    """Yield (start, end, reason) for each word of `text` that is one of the query terms.

    `terms` maps a normalised term to (kind, typed word), kind being word or synonym.
    """
    norm = normalise(text)
    words = segmenter.words(norm, search=True)
    # A sub-word whose whole word also matched is reported once, as the whole word.
    whole_hits = {w.pos for w in words if not w.sub and w.text in terms}
    for word in words:
        if word.text not in terms or (word.sub and word.pos in whole_hits):
            continue
        kind, typed = terms[word.text]
        original = text[word.start : word.end]
        if word.sub:
            container = _container(norm, word, segmenter)
            whole = text[container[0] : container[1]] if container else original
            reason = Reason("synonym" if kind == "synonym" else "partial", typed, whole)
        elif kind == "synonym":
            reason = Reason("synonym", typed, original)
        elif _is_traditional(original):
            reason = Reason("traditional", typed, original)
        else:
            reason = Reason("word", typed, original)
        yield word.start, word.end, reason


def _container(norm: str, word, segmenter: Segmenter) -> tuple[int, int] | None:
    """Return the span of the whole word a sub-word was found in."""
    lo, hi = max(0, word.start - 8), min(len(norm), word.end + 8)
    for whole in segmenter.words(norm[lo:hi], search=False):
        if (
            lo + whole.start <= word.start
            and word.end <= lo + whole.end
            and whole.end - whole.start > word.end - word.start
        ):
            return lo + whole.start, lo + whole.end
    return None


def _is_traditional(original: str) -> bool:
    """Say whether a span differs from its simplified form (not just by width or case)."""
    folded = unicodedata.normalize("NFKC", original).lower()
    return normalise(folded) != folded


def best_snippet(text: str, matches: list[tuple[int, int, Reason]], field: str, size: int = SNIPPET_CHARS) -> Snippet:
    """Return the window of `text` that holds the most distinct matched words."""
    if not matches:
        fragment = text[:size]
        return Snippet(field, fragment + ("…" if len(text) > size else ""), ())
    best_start, best_score = 0, -1
    for start, _, _ in matches:
        window_start = max(0, start - size // 4)
        inside = {text[s:e] for s, e, _ in matches if window_start <= s and e <= window_start + size}
        if len(inside) > best_score:
            best_start, best_score = window_start, len(inside)
    end = min(len(text), best_start + size)
    spans = []
    for s, e, _ in sorted(matches, key=lambda m: (m[0], -m[1])):
        if best_start <= s and e <= end and (not spans or s >= spans[-1][1]):
            spans.append((s - best_start, e - best_start))
        elif spans and best_start <= s < spans[-1][1] + best_start and e - best_start > spans[-1][1]:
            spans[-1] = (spans[-1][0], e - best_start)  # overlapping words merge into one mark
    prefix = "…" if best_start > 0 else ""
    suffix = "…" if end < len(text) else ""
    fragment = text[best_start:end]
    offset = len(prefix)
    return Snippet(field, prefix + fragment + suffix, tuple((s + offset, e + offset) for s, e in spans))
