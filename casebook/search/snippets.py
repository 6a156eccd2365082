"""The snippet of a hit: pick the stored field that holds most query terms, mark whole words."""

from __future__ import annotations

import functools
import re

from casebook.index.analysis import Segmenter, normalise
from casebook.search.highlight import Reason, Snippet, best_snippet, find_matches

SNIPPET_FIELDS = ("facts", "result", "analysis", "process", "content", "summary", "title", "tags")  # stored
SNIPPET_WINDOW = 200
_FLATTEN = re.compile(r"[\n\r\t*#>`|]")


@functools.lru_cache(maxsize=4096)
def _folded(text: str) -> str:
    """Return normalised stored text; the same popular documents come back query after query."""
    return normalise(text)


def snippet_of(segmenter: Segmenter, stored: dict, terms: dict[str, tuple[str, str]]) -> tuple[Snippet, list[Reason]]:
    """Return the best snippet of a stored document and the reasons it matched.

    The field is chosen by which query terms its normalised text contains (a substring
    test in C); only that field is segmented, to mark whole words.
    """
    best = None
    for name in SNIPPET_FIELDS:
        text = stored.get(name)
        if not text:
            continue
        folded = _folded(text)
        found = sum(1 for term in terms if term in folded) if terms else 0
        if best is None or found > best[0]:
            best = (found, name, text)
        if terms and found >= len(terms):
            break
    if best is None:
        return best_snippet("", [], "content"), []
    _, name, text = best
    flat = _FLATTEN.sub(" ", text)
    if terms and len(flat) > 2 * SNIPPET_WINDOW:
        # Segment only a window around the first match: a whole field costs 4x more.
        folded = normalise(flat)
        first = min((i for i in (folded.find(t) for t in terms) if i >= 0), default=0)
        start = max(0, first - SNIPPET_WINDOW // 3)
        cut = max(flat.rfind(mark, 0, start) for mark in "。；，！？ ") if start else -1
        start = cut + 1 if cut >= start - 20 and cut >= 0 else start
        flat = (
            ("…" if start else "")
            + flat[start : start + SNIPPET_WINDOW]
            + ("…" if start + SNIPPET_WINDOW < len(flat) else "")
        )
    matches = list(find_matches(segmenter, flat, terms)) if terms else []
    reasons = list(dict.fromkeys(m[2] for m in matches if m[2].kind != "word"))
    return best_snippet(flat, matches, name), reasons
