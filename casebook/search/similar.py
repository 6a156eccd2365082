"""Similar cases (类案) and citations: plain lists of brief records, no URLs.

A case's similar cases share its key terms (the words of its title, summary and facts that
are rare in the knowledge base), its legal bases, and its category. A shared article of a
law (《邮政法》第四十七条) says more than shared words: two cases that apply the same rule are
precedents for each other even when their stories differ.
"""

from __future__ import annotations

import math

import numpy as np
from whoosh.query import Not, Term

from casebook.search import ranking
from casebook.search.concepts import analyse_query
from casebook.search.keyterms import domain_words, key_terms
from casebook.search.postings import to_array

BRIEF_FIELDS = ("id", "title", "type", "category", "outcome", "date", "region")
TEXT_SHARE = 1.0  # the best textual match scores this much
ARTICLE_SHARE = 0.8  # a shared article of a law, scaled by how rare it is
LAW_SHARE = 0.15  # a shared law cited without an article
CATEGORY_SHARE = 0.25


def brief(stored: dict) -> dict:
    """Return the few stored fields a list of cases shows."""
    return {k: stored.get(k) for k in BRIEF_FIELDS}


def similar_cases(searcher, case_id: str, top: int = 5) -> list[dict]:
    """Return the cases most like a case, itself excluded (an empty list for an unknown id)."""
    whoosh = searcher.searcher
    docnum = whoosh.document_number(key=case_id)
    if docnum is None:
        return []
    stored = whoosh.stored_fields(docnum)
    # The title, summary and tags are the editor's own distillation: they count twice.
    distilled = "\n".join(stored.get(name) or "" for name in ("title", "summary", "tags"))
    text = "\n".join([distilled, distilled, stored.get("facts") or stored.get("content") or ""])
    live = searcher.docsets.live.bit_count() or 1
    terms, _ = key_terms(
        text, searcher.tokenizer.segmenter, searcher.concept_frequency, live, domain_words(searcher.vocabulary)
    )
    concepts = []
    for term in terms:
        found, _ = analyse_query(term.word, searcher.tokenizer, searcher.vocabulary)
        concepts.extend(c.weighted(term.weight) for c in found)
    size = searcher.postings.size
    scores = (
        ranking.score(searcher.postings, concepts, [None] * len(concepts), live).score
        if concepts
        else np.zeros(size, dtype=np.float32)
    )
    scores[docnum] = 0.0  # itself: it would set the scale
    cases = to_array(searcher.docsets.term("kind", "case") & searcher.docsets.live, size)
    best = float(scores[cases].max()) if cases.any() else 0.0
    total = (scores / best * TEXT_SHARE if best > 0 else scores).astype(np.float64)
    for basis in [b for b in (stored.get("legal") or "").split(",") if b]:
        citing = searcher.docsets.term("legal", basis)
        df = citing.bit_count()
        # A rule few cases apply (三倍资费) says much; one half the cases cite says little.
        rarity = (math.log(live / max(df, 1)) / math.log(max(live, 2))) ** 2
        share = ARTICLE_SHARE if "第" in basis and "条" in basis else LAW_SHARE
        total += to_array(citing, size) * share * rarity
    if stored.get("category"):
        total += to_array(searcher.docsets.term("category", stored["category"]), size) * CATEGORY_SHARE
    cases[docnum] = False
    candidates = np.nonzero(cases & (total > 0))[0]
    order = candidates[np.argsort(-total[candidates], kind="stable")][:top]
    return [brief(whoosh.stored_fields(int(d))) for d in order]


def legal_bases(searcher) -> list[tuple[str, int]]:
    """Return every cited legal basis with the number of cases and manuals citing it."""
    reader = searcher.searcher.reader()
    out = []
    for term in reader.lexicon("legal"):
        text = term.decode("utf-8") if isinstance(term, bytes) else term
        citing = searcher.docsets.term("legal", text) & ~searcher.docsets.term("kind", "section")
        out.append((text, citing.bit_count()))
    return out


def cited_by(searcher, basis: str) -> list[dict]:
    """Return the cases and manuals citing a legal basis, newest first."""
    hits = searcher.searcher.search(
        Term("legal", basis), filter=Not(Term("kind", "section")), limit=None, sortedby="date", reverse=True
    )
    return [brief(hit.fields()) for hit in hits]


def follow_with_neighbours(
    searcher, ids: list[str], gate: np.ndarray, matching: np.ndarray, scores: np.ndarray, top: int
):
    """Add the related and similar cases of cases found by their ids, below them and in order.

    A handler who types an id wants that case; the rest of the page is better spent on its
    precedents than left empty.
    """
    neighbours: list[str] = []
    for case_id in ids:
        stored = searcher.searcher.document(key=case_id) or {}
        neighbours += [r for r in (stored.get("related") or "").split(",") if r]
        neighbours += [r["id"] for r in similar_cases(searcher, case_id, top)]
    for rank, case_id in enumerate(dict.fromkeys(n for n in neighbours if n not in ids)):
        for docnum in searcher.searcher.document_numbers(id=case_id):
            if gate[docnum] and not matching[docnum]:
                matching[docnum] = True
                scores[docnum] = 1.0 / (rank + 2)  # below the pinned case (score > 1), in this order
    return matching, scores
