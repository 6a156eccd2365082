"""Suggestions as you type, served from the open index: case ids, titles, vocabulary words and
legal bases. The search form never needs them (it works without JavaScript)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, jsonify, request, url_for

from casebook.index.analysis import normalise
from casebook.web.context import book, bp

LIMIT = 8


@dataclass(frozen=True)
class Entry:
    """One thing a suggestion can name, with its folded form for matching."""

    label: str
    kind: str  # shown beside it: 编号, 标题, 词语, 法规
    url: str  # empty: the word goes into the box instead
    folded: str


def _entries() -> list[Entry]:
    """Return every suggestible entry of the current index (rebuilt when the index changes)."""
    casebook = book()
    searcher = casebook.searcher()
    key = id(searcher.docsets)
    cached = current_app.extensions.get("casebook.suggestions")
    if cached and cached[0] == key:
        return cached[1]
    entries: list[Entry] = []
    with searcher.lock:
        stored = [s for s in searcher.searcher.reader().all_stored_fields() if s.get("kind") in ("case", "manual")]
    for fields in sorted(stored, key=lambda s: s.get("date") or "", reverse=True):
        url = url_for("site.case_page", case_id=fields["id"])
        entries.append(Entry(fields["id"], "编号", url, fields["id"].lower()))
        entries.append(Entry(fields.get("title", ""), "标题", url, normalise(fields.get("title", ""))))
    words = [w for w, _ in casebook.vocabulary.words] + [w for group in casebook.vocabulary.groups for w in group]
    entries.extend(Entry(w, "词语", "", normalise(w)) for w in dict.fromkeys(words))
    for basis, _ in searcher.legal_bases():
        entries.append(Entry(basis, "法规", url_for("site.law_page", basis=basis), normalise(basis)))
    current_app.extensions["casebook.suggestions"] = (key, entries)
    return entries


def suggest(text: str, limit: int = LIMIT) -> list[Entry]:
    """Return entries for what is typed: ids by prefix, then words and bases by the last word,
    then titles containing the whole text."""
    typed = normalise(text.strip())[:100]
    last = typed.split()[-1] if typed.split() else ""
    if not last:
        return []
    found: list[Entry] = []
    tests = (
        lambda e: e.kind == "编号" and e.folded.startswith(last.lower()),
        lambda e: e.kind == "词语" and e.folded.startswith(last) and e.folded != last,
        lambda e: e.kind == "法规" and last in e.folded,
        lambda e: e.kind == "标题" and typed.replace(" ", "") in e.folded.replace(" ", ""),
        lambda e: e.kind == "标题" and last in e.folded,
    )
    entries = _entries()
    for test in tests:
        for entry in entries:
            if len(found) >= limit:
                return found
            if test(entry) and entry not in found:
                found.append(entry)
    return found


@bp.route("/api/suggest")
def api_suggest():
    entries = suggest(request.args.get("q", ""))
    return jsonify({"suggestions": [{"label": e.label, "kind": e.kind, "url": e.url} for e in entries]})
