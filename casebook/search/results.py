"""Search requests and results: plain dataclasses, rendered as HTML, JSON and text elsewhere."""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass, field
from typing import Callable

from casebook.errors import QueryError
from casebook.search.docsets import AmountStats
from casebook.search.highlight import Reason

MAX_PER_PAGE = 100
SORTS = ("relevance", "date", "date_asc", "amount", "amount_asc")  # date and amount: largest first


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
    amount_min: float | None = None  # yuan paid, inclusive
    amount_max: float | None = None
    within: str = ""  # a second query that refines the first
    sort: str = "relevance"  # one of SORTS
    match: str = "auto"  # auto (most words) | any (at least one word) | all
    page: int = 1
    per_page: int = 10

    def validated(self) -> "SearchRequest":
        """Return the request, or raise QueryError naming the bad parameter."""
        if self.sort not in SORTS:
            raise QueryError(f"sort: expected one of ({', '.join(SORTS)}) but received: '{self.sort}'", "sort")
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
        for name in ("amount_min", "amount_max"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 1e9:
                raise QueryError(f"{name}: expected an amount in yuan from 0 but received: {value}", name)
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

    def with_snippet(self, snippet) -> "Hit":
        """Return the hit with a snippet's HTML and plain forms filled in."""
        self.snippet, self.text_snippet = snippet.html(), snippet.plain()
        return self

    def to_dict(self) -> dict:
        out = {
            k: getattr(self, k)
            for k in ("id", "title", "type", "category", "outcome", "date", "region", "score", "snippet", "url")
        }
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
    amounts_of: Callable[[], AmountStats] | None = field(default=None, repr=False)
    outcomes: dict[str, int] = field(default_factory=dict)  # outcomes of the matches themselves
    ignored: list[str] = field(default_factory=list)  # query words no document contains
    suggestions: list["Relaxation"] = field(default_factory=list)

    @functools.cached_property
    def paid(self) -> "AmountStats":
        """Return count, median and range of the amounts paid over all matches (computed when asked)."""
        return self.amounts_of() if self.amounts_of else AmountStats(0, None, None, None)

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
