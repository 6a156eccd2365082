"""Search: a request in, plain result dataclasses out (rendered as HTML, JSON and text elsewhere)."""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import asdict, dataclass, field, replace

from whoosh import sorting
from whoosh.query import And, Every, Not, NumericRange, Or, Phrase, Query, Term

from .analysis import CaseTokenizer
from .errors import QueryError
from .highlight import Reason, best_snippet, find_matches
from .query import Clause, parse
from .analysis import normalise
from .schema import SCOPES, TEXT_FIELDS
from .vocabulary import Vocabulary

MAX_PER_PAGE = 100
SYNONYM_WEIGHT = 0.7
NEGATIONS = ("没有", "没", "未", "不")  # colloquial negations jieba fuses onto the next word
SNIPPET_FIELDS = ("facts", "result", "analysis", "process", "content", "summary", "title", "tags")
_FLATTEN = re.compile(r"[\n\r\t*#>`|]")


@dataclass(frozen=True)
class SearchRequest:
    """Everything that decides a result list; the web page keeps all of it in the URL."""

    q: str = ""
    categories: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    within: str = ""  # a second query that refines the first
    sort: str = "relevance"  # relevance | date
    match: str = "auto"  # auto (most words) | any (at least one word) | all
    page: int = 1
    per_page: int = 10

    def validated(self) -> "SearchRequest":
        """Return the request, or raise QueryError naming the bad parameter."""
        if self.sort not in ("relevance", "date"):
            raise QueryError(f"sort: expected relevance or date but received: '{self.sort}'", "sort")
        if self.match not in ("auto", "any", "all"):
            raise QueryError(f"match: expected auto, any or all but received: '{self.match}'", "match")
        if self.page < 1:
            raise QueryError(f"page: expected a number from 1 but received: {self.page}", "page")
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            raise QueryError(f"per_page: expected 1 to {MAX_PER_PAGE} but received: {self.per_page}", "per_page")
        for name in ("year_from", "year_to"):
            value = getattr(self, name)
            if value is not None and not 1900 <= value <= 2100:
                raise QueryError(f"{name}: expected a year such as 2023 but received: {value}", name)
        return self

    @property
    def filters(self) -> dict[str, tuple[str, ...]]:
        return {
            "category": self.categories,
            "outcome": self.outcomes,
            "type": self.types,
            "service": self.services,
            "province": self.provinces,
        }


@dataclass
class Hit:
    """One result: what a list shows, plus why it matched."""

    id: str
    title: str
    type: str
    category: str | None
    outcome: str | None
    date: str | None
    region: str | None
    score: float
    snippet: str  # escaped HTML with <mark>
    url: str
    text_snippet: str = ""  # plain text with 【】 marks
    section: str | None = None
    amount: float | None = None
    reasons: list[Reason] = field(default_factory=list)

    def to_dict(self) -> dict:
        out = {k: getattr(self, k) for k in ("id", "title", "type", "category", "outcome", "date", "region", "score", "snippet", "url")}
        out.update(section=self.section, amount=self.amount, reasons=[r.to_dict() for r in self.reasons])
        return out


@dataclass
class SearchResult:
    """A page of hits, the total, and the facet counts for the whole match set."""

    query: str
    total: int
    page: int
    per_page: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    request: SearchRequest = field(default_factory=SearchRequest)
    words: list[str] = field(default_factory=list)  # the analysed query words
    amounts: list[float] = field(default_factory=list)  # amounts paid, over all matches
    outcomes: dict[str, int] = field(default_factory=dict)  # outcomes of the matches themselves
    ignored: list[str] = field(default_factory=list)  # query words no document contains
    suggestions: list["Relaxation"] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    def to_dict(self) -> dict:
        """Return the JSON shape of the brief (plus suggestions)."""
        return {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "hits": [h.to_dict() for h in self.hits],
            "facets": self.facets,
            "suggestions": [asdict(s) for s in self.suggestions],
            "ignored": self.ignored,
        }


@dataclass(frozen=True)
class Relaxation:
    """A way to loosen a query that found nothing, and how many results it would find."""

    kind: str  # drop_filter | drop_word
    label: str  # Chinese, e.g. 去掉"丰巢"
    dropped: str  # the word or filter value dropped
    count: int
    q: str
    filters: dict = field(default_factory=dict)


@dataclass
class Concept:
    """One thing the user asked for: a word (with its synonyms) or a phrase, in some fields."""

    typed: str
    terms: dict[str, str]  # normalised term -> "word" or "synonym"
    phrase: tuple[str, ...] = ()
    fields: tuple[str, ...] = tuple(TEXT_FIELDS)

    def query(self) -> Query:
        """Return the Whoosh query for this concept: matches in several fields add up.

        (whoosh3 3.54's DisjunctionMax returns flat, near-equal scores, so it is not used.)
        """
        parts = []
        for name in self.fields:
            weight = TEXT_FIELDS[name]
            if self.phrase:
                parts.append(Phrase(name, list(self.phrase), slop=1, boost=weight))
                continue
            for term, kind in self.terms.items():
                parts.append(Term(name, term, boost=weight * (SYNONYM_WEIGHT if kind == "synonym" else 1.0)))
        return Or(parts) if len(parts) > 1 else parts[0]


def min_should_match(count: int) -> int:
    """Return how many of `count` query words a hit must contain.

    All of one or two words; one may be missing from three or four; a quarter from more.
    Hits that contain more of the words rank higher through the coordination factor.
    """
    if count <= 2:
        return count
    if count <= 4:
        return count - 1
    return math.ceil(count * 0.75)


def analyse_query(text: str, tokenizer: CaseTokenizer, vocabulary: Vocabulary) -> tuple[list[Concept], list[Concept]]:
    """Turn query text into concepts to match and concepts to exclude."""
    wanted: list[Concept] = []
    excluded: list[Concept] = []
    segmenter = tokenizer.segmenter
    for clause in parse(text):
        target = excluded if clause.negated else wanted
        fields = (clause.scope,) if clause.scope else tuple(TEXT_FIELDS)
        words = [w.text for w in segmenter.words(normalise(clause.text), search=False)]
        if not words:
            continue
        if clause.phrase and len(words) > 1:
            target.append(Concept(clause.text, {w: "word" for w in words}, tuple(words), fields))
            continue
        for word in words:
            terms = {word: "word"}
            if not clause.phrase:
                for synonym in _synonyms(word, vocabulary, segmenter):
                    terms.setdefault(synonym, "synonym")
            typed = clause.text if len(words) == 1 else word
            target.append(Concept(typed, terms, (), fields))
    return _dedupe(wanted), _dedupe(excluded)


def _synonyms(word: str, vocabulary: Vocabulary, segmenter) -> list[str]:
    """Return the normalised synonyms of a word that the index can hold as single tokens."""
    out = []
    for synonym in vocabulary.synonyms(word):
        tokens = segmenter.words(normalise(synonym), search=False)
        if len(tokens) == 1:
            out.append(tokens[0].text)
    return out


def _dedupe(concepts: list[Concept]) -> list[Concept]:
    seen, out = set(), []
    for concept in concepts:
        key = (tuple(sorted(concept.terms)), concept.phrase, concept.fields)
        if key not in seen:
            seen.add(key)
            out.append(concept)
    return out


def build_query(wanted: list[Concept], excluded: list[Concept], required: list[Concept] = (), any_word: bool = False) -> Query:
    """Combine concepts: any of the wanted (scored by how many), all required, none excluded.

    How many of the wanted a hit must contain is enforced by `Searcher.allowed_docs`:
    Whoosh's own `Or(minmatch=…)` does not restrict matches in whoosh3 3.54.
    """
    parts: list[Query] = []
    if wanted:
        queries = [c.query() for c in wanted]
        if len(queries) == 1:
            parts.append(queries[0])
        elif not any_word and min_should_match(len(queries)) == len(queries):
            parts.append(And(queries))
        else:
            parts.append(Or(queries, scale=0.9))
    parts.extend(c.query() for c in required)
    query: Query = (parts[0] if len(parts) == 1 else And(parts)) if parts else Every()
    if excluded:
        query = And([query, Not(Or([c.query() for c in excluded]))])
    return query


def filter_query(request: SearchRequest, skip: str | None = None) -> Query:
    """Return the filter for a request's facets and years, leaving out facet `skip`."""
    parts: list[Query] = [Not(Term("kind", "manual"))]
    for name, values in request.filters.items():
        if values and name != skip:
            parts.append(Or([Term(name, v) for v in values]) if len(values) > 1 else Term(name, values[0]))
    if request.year_from is not None or request.year_to is not None:
        parts.append(NumericRange("year", request.year_from, request.year_to))
    return And(parts)


class Searcher:
    """Runs requests against one open Whoosh searcher."""

    def __init__(self, whoosh_searcher, vocabulary: Vocabulary):
        self.searcher = whoosh_searcher
        self.vocabulary = vocabulary
        self.tokenizer: CaseTokenizer = whoosh_searcher.schema["facts"].analyzer
        self._wanted: list[Concept] = []
        self.ignored: list[str] = []

    def query_for(self, request: SearchRequest) -> tuple[Query, list[Concept], bool]:
        """Return the Whoosh query for a request, its wanted concepts, and whether it is a browse."""
        wanted, excluded = analyse_query(request.q, self.tokenizer, self.vocabulary)
        within, within_excluded = analyse_query(request.within, self.tokenizer, self.vocabulary)
        wanted, self.ignored = self._known(wanted)
        if request.match == "all":
            within, wanted = within + wanted, []
        query = build_query(wanted, excluded + within_excluded, within, any_word=request.match == "any")
        self._wanted = wanted if request.match == "auto" else []
        return query, wanted + within, not (wanted or within)

    def _known(self, concepts: list[Concept]) -> tuple[list[Concept], list[str]]:
        """Split off words no document contains, so they cannot veto the rest.

        A colloquial word the cases never use (东西, 没验视) would otherwise count towards the
        words a hit must contain and empty the result. A word fused with a negation (没验视,
        没答复) is first retried without it. When every word is unknown, all are kept.
        """
        known, ignored = [], []
        for concept in concepts:
            if self._occurs(concept):
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

    def _occurs(self, concept: Concept) -> bool:
        reader = self.searcher.reader()
        terms = concept.phrase or tuple(concept.terms)
        check = all if concept.phrase else any
        return check(any(reader.doc_frequency(f, t) for f in concept.fields) for t in terms)

    def _without_negation(self, concept: Concept) -> list[Concept]:
        for prefix in NEGATIONS:
            if concept.typed.startswith(prefix) and len(concept.typed) > len(prefix) and not concept.phrase:
                retried, _ = analyse_query(concept.typed[len(prefix):], self.tokenizer, self.vocabulary)
                retried = [replace(c, fields=concept.fields) for c in retried]
                if retried and all(self._occurs(c) for c in retried):
                    return retried
        return []

    def allowed_docs(self, request: SearchRequest, skip: str | None = None):
        """Return the filter for a request: its facet filter, narrowed to documents holding
        enough of the query words when fewer than all are required."""
        facet_filter = filter_query(request, skip)
        wanted = self._wanted
        needed = min_should_match(len(wanted))
        if len(wanted) <= 1 or needed == len(wanted):
            return facet_filter
        counts: dict[int, int] = {}
        for concept in wanted:
            for docnum in self.searcher.docs_for_query(concept.query()):
                counts[docnum] = counts.get(docnum, 0) + 1
        enough = {d for d, n in counts.items() if n >= needed}
        # Whoosh reads an empty set as "no filter": -1 is a document number that never exists.
        return (enough & set(self.searcher.docs_for_query(facet_filter))) or {-1}

    def count(self, request: SearchRequest) -> int:
        """Return how many documents a request finds."""
        query, _, _ = self.query_for(request)
        return len(self.searcher.search(query, filter=self.allowed_docs(request), limit=None, scored=False))

    def search(self, request: SearchRequest, suggest: bool = True) -> SearchResult:
        """Run a request: one page of hits, total, facet counts, amounts, and relaxations."""
        request = request.validated()
        query, concepts, browse = self.query_for(request)
        sort = {"sortedby": "date", "reverse": True} if (request.sort == "date" or browse) else {}
        facets = {name: sorting.FieldFacet(name, maptype=sorting.Count) for name in ("category", "outcome")}
        facets["amount"] = sorting.FieldFacet("amount", maptype=sorting.Count)
        results = self.searcher.search(
            query,
            filter=self.allowed_docs(request),
            limit=request.page * request.per_page,
            groupedby=facets,
            terms=False,
            **sort,
        )
        total = len(results)
        counts = {
            name: {k: v for k, v in results.groups(name).items() if k}
            for name in ("category", "outcome")
        }
        matched_outcomes = dict(counts["outcome"])
        for name, selected in (("category", request.categories), ("outcome", request.outcomes)):
            if selected:  # counts for a facet ignore that facet's own filter
                counts[name] = self._facet_counts(query, request, name)
        amounts = []
        for cents, n in results.groups("amount").items():
            if cents is not None and cents >= 0:
                amounts.extend([cents / 100] * n)
        start = (request.page - 1) * request.per_page
        hits = [self._hit(results[i], concepts) for i in range(start, min(total, start + request.per_page))]
        result = SearchResult(
            query=request.q,
            total=total,
            page=request.page,
            per_page=request.per_page,
            hits=hits,
            facets=self._ordered(counts),
            request=request,
            words=[c.typed for c in concepts],
            amounts=sorted(amounts),
            outcomes=self._ordered({"o": matched_outcomes})["o"],
            ignored=list(self.ignored),
        )
        if total == 0 and suggest:
            result.suggestions = self.relaxations(request)
        return result

    def _facet_counts(self, query: Query, request: SearchRequest, name: str) -> dict[str, int]:
        facet = {name: sorting.FieldFacet(name, maptype=sorting.Count)}
        results = self.searcher.search(query, filter=self.allowed_docs(request, skip=name), limit=1, groupedby=facet, scored=False)
        return {k: v for k, v in results.groups(name).items() if k}

    def _ordered(self, counts: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
        """Order facet values by count, then name, so every rendering lists them alike."""
        return {name: dict(sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))) for name, values in counts.items()}

    def _hit(self, hit, concepts: list[Concept]) -> Hit:
        stored = hit.fields()
        terms: dict[str, tuple[str, str]] = {}
        for concept in concepts:
            for term, kind in concept.terms.items():
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
            score=round(hit.score, 4) if isinstance(hit.score, float) else 0.0,  # a sort key when sorted
            snippet=snippet.html(),
            text_snippet=snippet.plain(),
            url=url,
            section=stored.get("section"),
            amount=cents / 100 if cents is not None and cents >= 0 else None,
            reasons=reasons,
        )

    def _snippet(self, stored: dict, terms: dict[str, tuple[str, str]]):
        segmenter = self.tokenizer.segmenter
        best = None
        for name in SNIPPET_FIELDS:
            text = stored.get(name)
            if not text:
                continue
            flat = _FLATTEN.sub(" ", text)
            matches = list(find_matches(segmenter, flat, terms)) if terms else []
            distinct = len({m[2].matched for m in matches})
            if best is None or distinct > best[0]:
                best = (distinct, name, flat, matches)
            if terms and distinct >= len(terms):
                break
        if best is None:
            return best_snippet("", [], "content"), []
        _, name, flat, matches = best
        reasons = list(dict.fromkeys(m[2] for m in matches if m[2].kind != "word"))
        return best_snippet(flat, matches, name), reasons

    def similar(self, case_id: str, top: int = 5) -> list[dict]:
        """Return cases like this one (more-like-this on its facts and title), itself excluded."""
        docnum = self.searcher.document_number(key=case_id)
        if docnum is None:
            return []
        stored = self.searcher.stored_fields(docnum)
        field_name = "facts" if stored.get("facts") else "content"
        if not stored.get(field_name):
            return []
        hits = self.searcher.more_like(docnum, field_name, top=top, numterms=12, filter=Term("kind", "case"))
        return [_brief(hit.fields()) for hit in hits if hit["id"] != case_id]

    def legal_bases(self) -> list[tuple[str, int]]:
        """Return every cited legal basis with the number of documents citing it."""
        reader = self.searcher.reader()
        out = []
        for term in reader.lexicon("legal"):
            text = term.decode("utf-8") if isinstance(term, bytes) else term
            out.append((text, reader.doc_frequency("legal", text)))
        return out

    def cited_by(self, basis: str) -> list[dict]:
        """Return the cases and manuals citing a legal basis, newest first."""
        hits = self.searcher.search(Term("legal", basis), filter=Not(Term("kind", "section")), limit=None, sortedby="date", reverse=True)
        return [_brief(hit.fields()) for hit in hits]

    def relaxations(self, request: SearchRequest) -> list[Relaxation]:
        """Return ways to loosen a request that found nothing, each with its true count."""
        out: list[Relaxation] = []
        for name, values in request.filters.items():
            for value in values:
                loosened = replace(request, **{_PLURAL[name]: tuple(v for v in values if v != value)}, page=1)
                n = self.count(loosened)
                if n:
                    out.append(Relaxation("drop_filter", f"去掉筛选“{value}”", value, n, request.q, {name: value}))
        if request.year_from is not None or request.year_to is not None:
            loosened = replace(request, year_from=None, year_to=None, page=1)
            n = self.count(loosened)
            if n:
                out.append(Relaxation("drop_filter", "去掉年份范围", "year", n, request.q, {"year": True}))
        clauses = parse(request.q)
        if len(clauses) > 1:
            for index, clause in enumerate(clauses):
                rest = " ".join(_clause_text(c) for i, c in enumerate(clauses) if i != index)
                n = self.count(replace(request, q=rest, page=1))
                if n:
                    out.append(Relaxation("drop_word", f"去掉“{clause.text}”", clause.text, n, rest))
        for index, clause in enumerate(clauses):
            word = self._respelling(clause)
            if word:
                fixed = " ".join(_clause_text(replace(c, text=word) if i == index else c) for i, c in enumerate(clauses))
                n = self.count(replace(request, q=fixed, page=1))
                if n:
                    out.append(Relaxation("spelling", f"改为“{word}”", clause.text, n, fixed))
        if request.match != "any" and len(analyse_query(request.q, self.tokenizer, self.vocabulary)[0]) > 1:
            n = self.count(replace(request, match="any", page=1))
            if n:
                out.append(Relaxation("any_word", "匹配任一词", "", n, request.q, {"match": "any"}))
        return sorted(out, key=lambda r: -r.count)


    def _respelling(self, clause: Clause) -> str | None:
        """Return a vocabulary word close to a clause that the index does not know, if any."""
        if clause.negated or clause.phrase:
            return None
        words = self.tokenizer.segmenter.words(normalise(clause.text), search=False)
        reader = self.searcher.reader()
        if not words or any(reader.doc_frequency(f, w.text) for w in words for f in TEXT_FIELDS):
            return None
        known = [w for w, _ in self.vocabulary.words] + [m for group in self.vocabulary.groups for m in group]
        near = difflib.get_close_matches(clause.text, known, n=1, cutoff=0.5)
        return near[0] if near and near[0] != clause.text else None


def _brief(stored: dict) -> dict:
    """Return the few stored fields a list of cases shows."""
    out = {k: stored.get(k) for k in ("id", "title", "type", "category", "outcome", "date", "region")}
    out["url"] = f"/cases/{stored['id']}"
    return out


_SCOPE_NAMES = {field: name for name, field in reversed(list(SCOPES.items()))}
_PLURAL = {"category": "categories", "outcome": "outcomes", "type": "types", "service": "services", "province": "provinces"}


def _clause_text(clause: Clause) -> str:
    prefix = "-" if clause.negated else ""
    scope = f"{_SCOPE_NAMES[clause.scope]}:" if clause.scope else ""
    body = f'"{clause.text}"' if clause.phrase else clause.text
    return f"{prefix}{scope}{body}"
