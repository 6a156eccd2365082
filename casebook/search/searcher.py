"""Search: a request in, plain result dataclasses out (rendered as HTML, JSON and text elsewhere)."""

from __future__ import annotations

import functools
import math
import re
import threading
from dataclasses import dataclass

from whoosh.query import Not, NumericRange, Phrase, Query, Term

from casebook.content.vocabulary import Vocabulary
from casebook.index.analysis import SECTION_GAP, CaseTokenizer, normalise
from casebook.index.schema import TEXT_FIELDS, scope_target
from casebook.search.concepts import NEGATIONS, SYNONYM_WEIGHT, Concept, analyse_query, build_query, min_should_match
from casebook.search.docsets import DocSets, at_least, best_first  # noqa: F401 (best_first re-exported)
from casebook.search.highlight import best_snippet, find_matches
from casebook.search.relaxing import relaxations
from casebook.search.results import Hit, SearchRequest, SearchResult

SNIPPET_FIELDS = ("facts", "result", "analysis", "process", "content", "summary", "title", "tags")  # stored
SNIPPET_WINDOW = 200
_FLATTEN = re.compile(r"[\n\r\t*#>`|]")


def _locked(method):
    """Run a Searcher method holding the searcher's lock."""

    @functools.wraps(method)
    def run(self, *args, **kwargs):
        with self.lock:
            return method(self, *args, **kwargs)

    return run


@dataclass
class Plan:
    """A request turned into concepts: wanted, required, excluded, and the words left out."""

    wanted: list[Concept]
    required: list[Concept]
    excluded: list[Concept]
    ignored: list[str]
    any_word: bool

    @property
    def browse(self) -> bool:
        return not (self.wanted or self.required)

    @property
    def concepts(self) -> list[Concept]:
        return self.wanted + self.required


class Searcher:
    """Runs requests against one open Whoosh searcher and its cached document sets."""

    def __init__(self, whoosh_searcher, vocabulary: Vocabulary, docsets: DocSets | None = None, lock=None):
        self.searcher = whoosh_searcher
        self.vocabulary = vocabulary
        self.tokenizer: CaseTokenizer = whoosh_searcher.schema["text"].analyzer
        self.docsets = docsets or DocSets(whoosh_searcher)
        # Whoosh's readers seek and read shared file objects: threads sharing one searcher
        # must take turns (the GIL makes them take turns anyway; measured: no loss).
        self.lock = lock or threading.RLock()

    # -- planning -------------------------------------------------------------------------

    def plan(self, request: SearchRequest) -> Plan:
        """Analyse a request's words into what must, may and must not match."""
        wanted, excluded = analyse_query(request.q, self.tokenizer, self.vocabulary)
        required, within_excluded = analyse_query(request.within, self.tokenizer, self.vocabulary)
        wanted, ignored = self._known(wanted)
        if request.match == "all":
            required, wanted = required + wanted, []
        return Plan(wanted, required, excluded + within_excluded, ignored, request.match == "any")

    def query_for(self, request: SearchRequest) -> tuple[Query, list[Concept], bool]:
        """Return Whoosh's query for a request (the benchmark's floor), its concepts, and whether it is a browse.

        Searching itself never runs it: counting and ranking work on document sets.
        """
        plan = self.plan(request)
        return build_query(plan.wanted, plan.required, any_word=plan.any_word), plan.concepts, plan.browse

    def _known(self, concepts: list[Concept]) -> tuple[list[Concept], list[str]]:
        """Split off words no document contains, so they cannot veto the rest.

        A colloquial word the cases never use (东西, 没验视) would otherwise count towards the
        words a hit must contain and empty the result. A word fused with a negation (没验视,
        没答复) is first retried without it. When every word is unknown, all are kept.
        """
        known, ignored = [], []
        for concept in concepts:
            if self.concept_docs(concept):
                known.append(concept)
                continue
            retried = self._without_negation(concept)
            if retried:
                known.extend(retried)
            else:
                ignored.append(concept.typed)
        if not known:
            return concepts, []
        return known, ignored

    def _without_negation(self, concept: Concept) -> list[Concept]:
        for prefix in NEGATIONS:
            if concept.typed.startswith(prefix) and len(concept.typed) > len(prefix) and not concept.phrase:
                retried, _ = analyse_query(
                    concept.typed[len(prefix) :], self.tokenizer, self.vocabulary, concept.fields
                )
                if retried and all(self.concept_docs(c) for c in retried):
                    return retried
        return []

    # -- document sets --------------------------------------------------------------------

    def concept_docs(self, concept: Concept) -> int:
        """Return the documents a concept matches, as a bitmask."""
        mask = 0
        for scope in concept.fields:
            mask |= self._scoped(concept, scope, concept.index_terms)
        return mask

    def _scoped(self, concept: Concept, scope: str, terms: tuple[str, ...]) -> int:
        """Return the documents where any of the terms (or the phrase) occur within one scope."""
        field_name, band = scope_target(scope)
        if concept.phrase:
            mask = self.docsets.query(Phrase(field_name, list(concept.phrase), slop=1))
            # A phrase in one section: the phrase somewhere, and its first word in that section.
            return mask if band is None else mask & self.docsets.band(field_name, concept.phrase[0], band, SECTION_GAP)
        mask = 0
        for term in terms:
            mask |= (
                self.docsets.term(field_name, term)
                if band is None
                else self.docsets.band(field_name, term, band, SECTION_GAP)
            )
        return mask

    def filter_docs(self, request: SearchRequest, skip: str | None = None) -> int:
        """Return the documents a request's filters allow (leaving out facet `skip`)."""
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

    def matching_docs(self, plan: Plan) -> int:
        """Return the documents a plan's words allow, before filters."""
        docs = self.docsets.live
        if plan.wanted:
            masks = [self.concept_docs(c) for c in plan.wanted]
            needed = 1 if plan.any_word else min_should_match(len(masks))
            docs &= at_least(masks, needed)
        for concept in plan.required:
            docs &= self.concept_docs(concept)
        for concept in plan.excluded:
            docs &= ~self.concept_docs(concept)
        return docs

    @_locked
    def count(self, request: SearchRequest) -> int:
        """Return how many documents a request finds."""
        return (self.matching_docs(self.plan(request)) & self.filter_docs(request)).bit_count()

    # -- searching ------------------------------------------------------------------------

    @_locked
    def search(self, request: SearchRequest, suggest: bool = True) -> SearchResult:
        """Run a request: one page of hits, total, facet counts, amounts, and relaxations."""
        request = request.validated()
        plan = self.plan(request)
        matching = self.matching_docs(plan)
        allowed = matching & self.filter_docs(request)
        total = allowed.bit_count()
        facets = {}
        for name, selected in (
            ("category", request.categories),
            ("outcome", request.outcomes),
            ("province", request.provinces),
        ):
            # A facet's counts ignore that facet's own filter, so other values stay choosable.
            base = matching & self.filter_docs(request, skip=name) if selected else allowed
            facets[name] = self._ordered(self.docsets.counts(base, name))
        hits: list[Hit] = []
        start = (request.page - 1) * request.per_page
        if total > start:
            end = start + request.per_page
            if request.sort != "relevance":
                ranked = [(0.0, d) for d in self.docsets.ordered(allowed, end, request.sort)]
            elif plan.browse:
                ranked = [(0.0, d) for d in self.docsets.newest(allowed, end)]
            else:
                ranked = self.rank(plan, allowed, end)
            hits = [self._hit(docnum, score, plan.concepts) for score, docnum in ranked[start:end]]
        result = SearchResult(
            query=request.q,
            total=total,
            page=request.page,
            per_page=request.per_page,
            hits=hits,
            facets=facets,
            request=request,
            words=[c.typed for c in plan.concepts],
            amounts_of=lambda: self.docsets.amount_stats(allowed),
            outcomes=self._ordered(self.docsets.counts(allowed, "outcome")),
            ignored=list(plan.ignored),
        )
        if total == 0 and suggest:
            result.suggestions = relaxations(self, request)
        return result

    def _ordered(self, counts: dict[str, int]) -> dict[str, int]:
        """Order facet values by count, then name, so every rendering lists them alike."""
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def rank(self, plan: Plan, allowed: int, limit: int) -> list[tuple[float, int]]:
        """Return the best `limit` documents of `allowed` as (score, docnum), best first.

        The score sums, over the query's concepts and fields, idf × field weight for each
        field a document matches in (a synonym counts 0.7 of the word itself). Whoosh's own
        BM25 walks every posting in Python (300 ms for three common words over 20,000
        cases); this works on cached bitmasks, exactly, with no per-document loop (see
        best_first). Ties go to the newer case. Measured on bench/queries.yaml against
        BM25: nDCG@10 0.816 against 0.820.
        """
        live = self.docsets.live.bit_count() or 1
        features: list[tuple[float, int]] = []
        for concept in plan.concepts:
            matched = self.concept_docs(concept) & allowed
            df = self.concept_docs(concept).bit_count()
            idf = math.log(1 + (live - df + 0.5) / (df + 0.5))
            for scope in concept.fields:
                weight = idf * TEXT_FIELDS[scope_target(scope)[0]]
                if concept.phrase:
                    features.append((weight, self._scoped(concept, scope, ()) & matched))
                    continue
                word = self._scoped(concept, scope, concept.index_terms[:1]) & matched
                if concept.group:
                    features.append(
                        (weight * SYNONYM_WEIGHT, self._scoped(concept, scope, concept.index_terms) & matched)
                    )
                    features.append((weight * (1 - SYNONYM_WEIGHT), word))
                else:
                    features.append((weight, word))
        features = [f for f in features if f[1]]
        features.sort(key=lambda f: -f[0])
        return best_first(features, allowed, limit, self.docsets.newest)

    def _hit(self, docnum: int, score: float, concepts: list[Concept]) -> Hit:
        stored = self.searcher.stored_fields(docnum)
        terms: dict[str, tuple[str, str]] = {}
        for concept in concepts:
            for term, kind in concept.terms:
                terms.setdefault(term, (kind, concept.typed))
        snippet, reasons = self._snippet(stored, terms)
        url = f"/cases/{stored['id']}" + (f"#{stored['anchor']}" if stored.get("anchor") else "")
        cents = stored.get("amount", -1)
        return Hit(
            id=stored["id"],
            title=stored.get("title", ""),
            type=stored.get("type", "case"),
            category=stored.get("category"),
            outcome=stored.get("outcome"),
            date=stored.get("date") or None,
            region=stored.get("region") or None,
            score=score,
            snippet="",
            url=url,
            section=stored.get("section"),
            amount=cents / 100 if cents is not None and cents >= 0 else None,
            reasons=reasons,
        ).with_snippet(snippet)

    def _snippet(self, stored: dict, terms: dict[str, tuple[str, str]]):
        """Return the best snippet of a hit and the reasons it matched.

        The field is chosen by which query terms its normalised text contains (a substring
        test in C); only that field is segmented, to mark whole words.
        """
        best = None
        for name in SNIPPET_FIELDS:
            text = stored.get(name)
            if not text:
                continue
            folded = normalise(text)
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
        matches = list(find_matches(self.tokenizer.segmenter, flat, terms)) if terms else []
        reasons = list(dict.fromkeys(m[2] for m in matches if m[2].kind != "word"))
        return best_snippet(flat, matches, name), reasons

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
        """Return cases like this one (more-like-this on its facts and title), itself excluded."""
        docnum = self.searcher.document_number(key=case_id)
        if docnum is None:
            return []
        stored = self.searcher.stored_fields(docnum)
        source = stored.get("facts") or stored.get("content")
        if not source:
            return []
        text = f"{stored.get('title', '')}\n{source}"
        hits = self.searcher.more_like(docnum, "text", text=text, top=top, numterms=12, filter=Term("kind", "case"))
        return [_brief(hit.fields()) for hit in hits if hit["id"] != case_id]

    @_locked
    def legal_bases(self) -> list[tuple[str, int]]:
        """Return every cited legal basis with the number of documents citing it."""
        reader = self.searcher.reader()
        out = []
        for term in reader.lexicon("legal"):
            text = term.decode("utf-8") if isinstance(term, bytes) else term
            out.append((text, reader.doc_frequency("legal", text)))
        return out

    @_locked
    def cited_by(self, basis: str) -> list[dict]:
        """Return the cases and manuals citing a legal basis, newest first."""
        hits = self.searcher.search(
            Term("legal", basis), filter=Not(Term("kind", "section")), limit=None, sortedby="date", reverse=True
        )
        return [_brief(hit.fields()) for hit in hits]


def _brief(stored: dict) -> dict:
    """Return the few stored fields a list of cases shows."""
    out = {k: stored.get(k) for k in ("id", "title", "type", "category", "outcome", "date", "region")}
    out["url"] = f"/cases/{stored['id']}"
    return out
