"""Ways to loosen a search that found nothing (drop a filter or a word), and respellings to suggest.

Dropping a filter or a word keeps what the user typed recognisable, so the site may apply
the best one by itself, with a banner and an undo link. A respelling changes what was typed
into something else: it is only ever offered as a question, 您要找的是不是…, and only for a
word the index does not hold, towards a close vocabulary word it does.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import replace

from casebook.index.analysis import normalise
from casebook.index.schema import SCOPES, TEXT_FIELDS
from casebook.search.keyterms import domain_words
from casebook.search.results import FILTERS, Relaxation, SearchRequest
from casebook.search.syntax import Clause, parse


def relaxations(searcher, request: SearchRequest) -> list[Relaxation]:
    """Return ways to loosen a request that found nothing, each with its true count."""
    out: list[Relaxation] = []
    for name, values in request.filters.items():
        for value in values:
            loosened = replace(request, **{FILTERS[name]: tuple(v for v in values if v != value)}, page=1)
            n = searcher.count(loosened)
            if n:
                shown = f"保价：{value}" if name == "insured" else value
                out.append(Relaxation("drop_filter", f"去掉筛选“{shown}”", value, n, request.q, {name: value}))
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
    for index, clause in enumerate(clauses):
        if clause.negated or not (clause.phrase or clause.required or clause.scope):
            continue
        # Keep the words, drop what was asked of them: the phrase, the +, the section.
        loose = replace(clause, phrase=False, required=False, scope=None)
        q = " ".join(_clause_text(loose if i == index else c) for i, c in enumerate(clauses))
        n = searcher.count(replace(request, q=q, page=1))
        if n:
            label = (
                f"去掉“{clause.text}”的引号"
                if clause.phrase
                else f"不限于{_SCOPE_NAMES.get(clause.scope, '')}部分检索“{clause.text}”"
                if clause.scope
                else f"不再要求“{clause.text}”"
            )
            out.append(Relaxation("loosen_word", label, clause.text, n, q))
    if len(clauses) > 1:
        for index, clause in enumerate(clauses):
            rest = " ".join(_clause_text(c) for i, c in enumerate(clauses) if i != index)
            n = searcher.count(replace(request, q=rest, page=1))
            if n:
                out.append(Relaxation("drop_word", f"去掉“{clause.text}”", clause.text, n, rest))
    return sorted(out, key=lambda r: -r.count)


def respellings(searcher, request: SearchRequest) -> list[Relaxation]:
    """Return close vocabulary words for query words the index does not hold, with their counts."""
    out: list[Relaxation] = []
    clauses = parse(request.q)
    for index, clause in enumerate(clauses):
        word = _respelling(searcher, clause)
        if word:
            fixed = " ".join(_clause_text(replace(c, text=word) if i == index else c) for i, c in enumerate(clauses))
            n = searcher.count(replace(request, q=fixed, page=1))
            if n:
                out.append(Relaxation("spelling", f"您要找的是不是“{word}”", clause.text, n, fixed))
    return out


def _respelling(searcher, clause: Clause) -> str | None:
    """Return a vocabulary word close to a clause that the index does not know, if any.

    Only Chinese words are respelled: a number or a code (a waybill, a phone number, 中通
    next to 中转) is an identifier or a name, never a typo for another word.
    """
    text = normalise(clause.text)
    if clause.negated or clause.phrase or len(text) < 2 or not all(_HAN.match(c) for c in text):
        return None
    vocabulary = domain_words(searcher.vocabulary)
    if text in vocabulary:
        return None  # a word editors listed is never a typo, even when no case holds it yet
    words = searcher.tokenizer.segmenter.words(text, search=False)
    reader = searcher.searcher.reader()
    if not words or any(reader.doc_frequency(f, w.text) for w in words for f in TEXT_FIELDS):
        return None
    candidates = [w for w in sorted(vocabulary) if len(w) == len(text)]
    for near in difflib.get_close_matches(text, candidates, n=5, cutoff=0.5):
        if near != text and searcher.concept_frequency(near):
            return near  # the closest word some document holds (itself or through its synonyms)
    return None


_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SCOPE_NAMES = {field: name for name, field in reversed(list(SCOPES.items()))}


def _clause_text(clause: Clause) -> str:
    prefix = "-" if clause.negated else "+" if clause.required else ""
    scope = f"{_SCOPE_NAMES[clause.scope]}:" if clause.scope else ""
    body = f'"{clause.text}"' if clause.phrase else clause.text
    return f"{prefix}{scope}{body}"


def loosened(request: SearchRequest, relaxation: Relaxation) -> SearchRequest:
    """Return the request a relaxation describes."""
    if relaxation.kind == "drop_filter":
        [(name, value)] = relaxation.filters.items()
        if name == "year":
            return replace(request, year_from=None, year_to=None, page=1)
        if name == "amount":
            return replace(request, amount_min=None, amount_max=None, page=1)
        values = request.filters[name]
        return replace(request, **{FILTERS[name]: tuple(v for v in values if v != value)}, page=1)
    return replace(request, q=relaxation.q, page=1)
