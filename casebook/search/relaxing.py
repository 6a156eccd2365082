"""Ways to loosen a search that found nothing: drop a filter or a word, respell, match any word."""

from __future__ import annotations

import difflib
from dataclasses import replace

from casebook.index.analysis import normalise
from casebook.index.schema import SCOPES, TEXT_FIELDS
from casebook.search.concepts import analyse_query
from casebook.search.results import Relaxation, SearchRequest
from casebook.search.syntax import Clause, parse


def relaxations(searcher, request: SearchRequest) -> list[Relaxation]:
    """Return ways to loosen a request that found nothing, each with its true count."""
    out: list[Relaxation] = []
    for name, values in request.filters.items():
        for value in values:
            loosened = replace(request, **{_PLURAL[name]: tuple(v for v in values if v != value)}, page=1)
            n = searcher.count(loosened)
            if n:
                out.append(Relaxation("drop_filter", f"去掉筛选“{value}”", value, n, request.q, {name: value}))
    if request.year_from is not None or request.year_to is not None:
        loosened = replace(request, year_from=None, year_to=None, page=1)
        n = searcher.count(loosened)
        if n:
            out.append(Relaxation("drop_filter", "去掉年份范围", "year", n, request.q, {"year": True}))
    if request.amount_min is not None or request.amount_max is not None:
        n = searcher.count(replace(request, amount_min=None, amount_max=None, page=1))
        if n:
            out.append(Relaxation("drop_filter", "去掉金额范围", "amount", n, request.q, {"amount": True}))
    clauses = parse(request.q)
    if len(clauses) > 1:
        for index, clause in enumerate(clauses):
            rest = " ".join(_clause_text(c) for i, c in enumerate(clauses) if i != index)
            n = searcher.count(replace(request, q=rest, page=1))
            if n:
                out.append(Relaxation("drop_word", f"去掉“{clause.text}”", clause.text, n, rest))
    for index, clause in enumerate(clauses):
        word = _respelling(searcher, clause)
        if word:
            fixed = " ".join(_clause_text(replace(c, text=word) if i == index else c) for i, c in enumerate(clauses))
            n = searcher.count(replace(request, q=fixed, page=1))
            if n:
                out.append(Relaxation("spelling", f"改为“{word}”", clause.text, n, fixed))
    if request.match != "any" and len(analyse_query(request.q, searcher.tokenizer, searcher.vocabulary)[0]) > 1:
        n = searcher.count(replace(request, match="any", page=1))
        if n:
            out.append(Relaxation("any_word", "匹配任一词", "", n, request.q, {"match": "any"}))
    return sorted(out, key=lambda r: -r.count)


def _respelling(searcher, clause: Clause) -> str | None:
    """Return a vocabulary word close to a clause that the index does not know, if any."""
    if clause.negated or clause.phrase:
        return None
    words = searcher.tokenizer.segmenter.words(normalise(clause.text), search=False)
    reader = searcher.searcher.reader()
    if not words or any(reader.doc_frequency(f, w.text) for w in words for f in TEXT_FIELDS):
        return None
    known = [w for w, _ in searcher.vocabulary.words] + [m for group in searcher.vocabulary.groups for m in group]
    near = difflib.get_close_matches(clause.text, known, n=1, cutoff=0.5)
    return near[0] if near and near[0] != clause.text else None


_SCOPE_NAMES = {field: name for name, field in reversed(list(SCOPES.items()))}
_PLURAL = {
    "category": "categories",
    "outcome": "outcomes",
    "type": "types",
    "service": "services",
    "province": "provinces",
}


def _clause_text(clause: Clause) -> str:
    prefix = "-" if clause.negated else ""
    scope = f"{_SCOPE_NAMES[clause.scope]}:" if clause.scope else ""
    body = f'"{clause.text}"' if clause.phrase else clause.text
    return f"{prefix}{scope}{body}"
