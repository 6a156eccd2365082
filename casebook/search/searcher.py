"""Search: a request in, plain result dataclasses out (rendered as HTML, JSON and text elsewhere).

Which documents match is decided on cached bitmask document sets (filters, phrases,
exclusions, facets); how they rank, on numpy arrays of term statistics (BM25F, see
ranking). A manual's sections are ranked one by one and folded into one row per manual.
"""

from __future__ import annotations

import functools
import threading

import numpy as np
from whoosh.query import NumericRange

from casebook.content.vocabulary import Vocabulary
from casebook.index.analysis import CaseTokenizer
from casebook.index.schema import TEXT_FIELDS
from casebook.search import ranking, similar
from casebook.search.concepts import min_should_match
from casebook.search.docsets import DocSets
from casebook.search.highlight import find_matches
from casebook.search.hits import HitMaker
from casebook.search.planning import Plan, Planner
from casebook.search.postings import to_array, to_mask
from casebook.search.precedent import summarise
from casebook.search.relaxing import relaxations, respellings
from casebook.search.results import SearchRequest, SearchResult

MANUAL_WEIGHT = 1.0  # a manual section ranks as a case does (0.8 measured 0.02 lower on the dev set)
MANUAL_INTENT_WEIGHT = 1.5  # … unless the query asks how to handle something
ALL_FIELDS = tuple(TEXT_FIELDS)
PARAGRAPH_STRONG_SHARE = 0.3  # a paragraph's strong matches hold this share of its key terms
NEIGHBOURS = 5  # similar cases listed after a case found by its id
MAX_FOLLOWED_IDS = 3  # a longer list of ids is a list, not a request for precedents


def _locked(method):
    """Run a Searcher method holding the searcher's lock."""

    @functools.wraps(method)
    def run(self, *args, **kwargs):
        with self.lock:
            return method(self, *args, **kwargs)

    return run


class Searcher:
    """Runs requests against one open Whoosh searcher and its cached document sets."""

    def __init__(self, whoosh_searcher, vocabulary: Vocabulary, docsets: DocSets | None = None, lock=None):
        self.searcher = whoosh_searcher
        self.vocabulary = vocabulary
        self.tokenizer: CaseTokenizer = whoosh_searcher.schema["text"].analyzer
        self.docsets = docsets or DocSets(whoosh_searcher)
        self.postings = self.docsets.postings
        # Whoosh's readers seek and read shared file objects: threads sharing one searcher
        # must take turns (the GIL makes them take turns anyway; measured: no loss).
        self.lock = lock or threading.RLock()
        self.hits = HitMaker(whoosh_searcher, self.tokenizer.segmenter)
        self.planner = Planner(whoosh_searcher, self.tokenizer, vocabulary, self.docsets)
        self.plan = self.planner.plan
        self.concept_docs = self.planner.concept_docs
        self.concept_frequency = self.planner.concept_frequency

    def _live(self) -> int:
        return self.docsets.live.bit_count() or 1

    def filter_docs(self, request: SearchRequest, skip: str | None = None) -> int:
        """Return the searchable documents a request's filters allow (leaving out facet `skip`)."""
        docs = self.docsets.live & ~self.docsets.term("kind", "manual")
        for name, values in request.filters.items():
            if values and name != skip:
                docs &= self.docsets.any_of(name, values)
        if request.year_from is not None or request.year_to is not None:
            docs &= self.docsets.query(NumericRange("year", request.year_from, request.year_to))
        if request.amount_min is not None or request.amount_max is not None:
            low = round(request.amount_min * 100) if request.amount_min is not None else 0
            high = round(request.amount_max * 100) if request.amount_max is not None else None
            docs &= self.docsets.query(NumericRange("amount", low, high))  # no amount is -1: left out
        return docs

    def _gate(self, plan: Plan) -> int:
        """Return the documents every required concept allows and no excluded one touches."""
        docs = self.docsets.live
        for concept in plan.required:
            docs &= self.concept_docs(concept)
        for concept in plan.excluded:
            docs &= ~self.concept_docs(concept)
        return docs

    def _named(self, plan: Plan) -> tuple[int, int]:
        """Return the documents of the case ids and of the legal bases the query names."""
        by_id = 0
        for case_id in plan.ids:
            by_id |= self.docsets.term("id", case_id)
        by_basis = 0
        for basis in plan.bases:
            by_basis |= self.docsets.term("legal", basis)
        return by_id, by_basis

    @_locked
    def count(self, request: SearchRequest) -> int:
        """Return how many rows (cases and manuals) a request finds."""
        request = request.validated()
        if not self.postings.size:
            return 0
        plan = self.plan(request)
        return self._rows(self._match(plan, self.filter_docs(request))[0]).size

    # -- searching ------------------------------------------------------------------------

    def _match(self, plan: Plan, allowed: int, neighbours: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return (matching documents, scores, strong documents) as arrays over the index; with
        `neighbours`, a query of case ids alone also lists their related and similar cases."""
        size = self.postings.size
        gate = to_array(self._gate(plan) & allowed, size)
        if plan.browse:
            return gate, np.zeros(size, dtype=np.float32), gate
        concepts = plan.concepts
        gates = [
            to_array(self.concept_docs(c), size) if (c.phrase or c.fields != ALL_FIELDS) else None for c in concepts
        ]
        scored = ranking.score(self.postings, concepts, gates, self._live())
        scores = scored.score
        matching = gate & (scores > 0)  # nothing, when every word typed is unknown
        if plan.mode == "paragraph":
            needed = max(2, int(np.ceil(PARAGRAPH_STRONG_SHARE * len(concepts))))
        else:
            needed = min_should_match(len(plan.wanted)) + len(plan.required)
        strong = matching & (scored.matched >= min(needed, len(concepts)))
        if concepts and not strong.any() and matching.any():
            strong = matching & (scored.matched == scored.matched[matching].max())
        if plan.mode == "paragraph" and strong.any():
            matching &= scored.matched >= min(2, int(scored.matched[matching].max()))
        if plan.mode == "keywords" and scores.size:
            # Documents holding most of the words come before those holding one rare word (one
            # tier above: measured +0.004 nDCG on the development set, EMS 包裹 丢了 fixed).
            scores = np.where(strong, scores + float(scores.max()), scores).astype(np.float32)
        by_id, by_basis = self._named(plan)
        top = float(scores.max()) if scores.size else 0.0
        for mask, lift in ((by_basis, 1.0), (by_id, 2.0)):
            if mask:
                named = to_array(mask, size) & gate  # `gate`: required, excluded and filters
                scores = np.where(named, scores + lift * (top + 1.0), scores).astype(np.float32)
                matching |= named
                strong |= named
        if (
            neighbours
            and 0 < len(plan.ids) <= MAX_FOLLOWED_IDS
            and all(c.typed.upper() in plan.ids for c in plan.concepts)
        ):
            matching, scores = similar.follow_with_neighbours(self, plan.ids, gate, matching, scores, NEIGHBOURS)
        return matching, scores, strong

    def _rows(self, matching: np.ndarray) -> np.ndarray:
        """Return the rows (cases and manuals) that hold a matching document."""
        owner = self.postings.owners()[0]
        rows = owner[matching & (owner >= 0)]
        return np.unique(rows)

    @_locked
    def search(self, request: SearchRequest, suggest: bool = True) -> SearchResult:
        """Run a request: one page of rows, total, facet counts, precedent summary and relaxations."""
        request = request.validated()
        if not self.postings.size:  # a new knowledge base, or every file skipped with errors
            empty = {name: {} for name in ("category", "outcome", "province", "type")}
            return SearchResult(request.q, 0, request.page, request.per_page, [], empty, request)
        plan = self.plan(request)
        allowed = self.filter_docs(request)
        matching, scores, strong = self._match(plan, allowed, neighbours=True)
        manual_row = self.postings.owners()[2]
        manual_weight = MANUAL_INTENT_WEIGHT if plan.manual_intent else MANUAL_WEIGHT
        if manual_weight != 1.0:
            scores = np.where(self.postings.kind_array("section"), scores * manual_weight, scores).astype(np.float32)
        row_score, row_doc = ranking.fold(self.postings, scores, matching)
        rows = np.nonzero(row_doc >= 0)[0]
        strong_row = np.zeros(manual_row.size, dtype=bool)
        strong_row[self._rows(strong)] = True
        start = (request.page - 1) * request.per_page
        order = self._order(
            rows, row_score, row_doc, manual_row, strong_row, request.sort, plan.browse, start + request.per_page
        )
        page = order[start : start + request.per_page]
        hits = [self.hits.make(int(row_doc[r]), float(row_score[r]), plan, matching, scores) for r in page]
        matching_mask = to_mask(matching)
        result = SearchResult(
            query=request.q,
            total=int(rows.size),
            page=request.page,
            per_page=request.per_page,
            hits=hits,
            facets=self._facets(request, plan, matching_mask, rows, manual_row),
            request=request,
            mode="browse" if plan.browse else plan.mode,
            key_terms=plan.key_terms,
            ignored=plan.ignored,
            strong=int(strong_row.sum()),
            precedent=summarise(self.docsets, to_mask(strong), matching_mask),
        )
        if suggest and plan.mode == "keywords" and plan.ignored:
            result.spelling = respellings(self, request)
        if result.total == 0 and suggest:
            result.suggestions = relaxations(self, request)
        return result

    def _order(self, rows, row_score, row_doc, manual_row, strong_row, sort, browse, needed) -> np.ndarray:
        """Return the first `needed` rows in display order: by score (ties: newer first), or by
        a value with the strong matches first and cases before manuals."""
        if rows.size == 0:
            return rows
        if sort == "relevance" and not browse:
            if rows.size > 4 * needed + 64:  # keep only what can reach the page: a partial sort
                cut = np.argpartition(-row_score[rows], needed)[: needed + 1]
                threshold = row_score[rows[cut]].min()
                rows = rows[row_score[rows] >= threshold]
            recency = self.postings.recency(self.docsets)[row_doc[rows]]
            return rows[np.lexsort((-recency, -row_score[rows]))][:needed]
        recency = self.postings.recency(self.docsets)[row_doc[rows]]
        is_manual = manual_row[rows]
        weak = ~strong_row[rows]
        if sort == "relevance" or sort.startswith("date"):
            key = recency if sort == "date_asc" else -recency
        else:
            amount = self.postings.column("amount")[row_doc[rows]].astype(np.float64)
            missing = amount < 0
            key = np.where(missing, np.inf, amount if sort == "amount_asc" else -amount)
            return rows[np.lexsort((-recency, key, missing, weak, is_manual))]
        return rows[np.lexsort((key, weak, is_manual))]

    def _facets(self, request, plan, matching: int, rows, manual_row) -> dict[str, dict[str, int]]:
        """Count category, outcome, province, channel and insured values (each ignoring its own
        filter), and types."""
        facets = {}
        for name, selected in (
            ("category", request.categories),
            ("outcome", request.outcomes),
            ("province", request.provinces),
            ("channel", request.channels),
            ("insured", request.insured),
        ):
            base = matching
            if selected:  # a facet's counts ignore its own filter, so other values stay choosable
                base = to_mask(self._match(plan, self.filter_docs(request, skip=name))[0])
            facets[name] = _ordered(self.docsets.counts(base, name))
        if request.types:  # counted without the type filter, so the other type stays choosable
            rows = self._rows(self._match(plan, self.filter_docs(request, skip="type"))[0])
        manuals = int(manual_row[rows].sum()) if rows.size else 0
        facets["type"] = {k: v for k, v in (("case", int(rows.size) - manuals), ("manual", manuals)) if v}
        return facets

    @_locked
    def matched_words(self, request: SearchRequest, text: str) -> list[str]:
        """Return the words of `text` that a request's words match (synonyms, partial words and
        traditional forms included), as they are written there, longest first."""
        plan = self.plan(request)
        terms: dict[str, tuple[str, str]] = {}
        for concept in plan.concepts:
            for term, kind in concept.terms:
                terms.setdefault(term, (kind, concept.typed))
        if not terms:
            return []
        found = {text[start:end] for start, end, _ in find_matches(self.tokenizer.segmenter, text, terms)}
        return sorted((w for w in found if w.strip()), key=lambda w: (-len(w), w))

    @_locked
    def document(self, **terms) -> dict | None:
        """Return the stored fields of the first document matching all the terms, or None."""
        return self.searcher.document(**terms)

    @_locked
    def similar(self, case_id: str, top: int = 5) -> list[dict]:
        """Return the cases most like a case (key terms, legal bases, category), itself excluded."""
        return similar.similar_cases(self, case_id, top)

    @_locked
    def legal_bases(self) -> list[tuple[str, int]]:
        """Return every cited legal basis with the number of cases and manuals citing it."""
        return similar.legal_bases(self)

    @_locked
    def cited_by(self, basis: str) -> list[dict]:
        """Return the cases and manuals citing a legal basis, newest first."""
        return similar.cited_by(self, basis)


def _ordered(counts: dict[str, int]) -> dict[str, int]:
    """Order facet values by count, then name, so every rendering lists them alike."""
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
