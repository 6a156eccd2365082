"""Search requests and results: plain dataclasses, rendered as HTML, JSON and text elsewhere."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from casebook.errors import QueryError

if TYPE_CHECKING:  # annotations only: the CLI imports this module for its option values
    from casebook.search.highlight import Reason
    from casebook.search.precedent import Precedent

MAX_PER_PAGE = 100
SORTS = ("relevance", "date", "date_asc", "amount", "amount_asc")  # date and amount: largest first
# Each filter's name (a URL parameter, a facet) and the SearchRequest field holding its values.
FILTERS = {
    "category": "categories",
    "outcome": "outcomes",
    "type": "types",
    "service": "services",
    "province": "provinces",
    "channel": "channels",
    "insured": "insured",
}


@dataclass(frozen=True)
class SearchRequest:
    """Everything that decides a result list; the web page keeps all of it in the URL."""

    q: str = ""
    categories: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    insured: tuple[str, ...] = ()  # 是 and/or 否
    year_from: int | None = None
    year_to: int | None = None
    amount_min: float | None = None  # yuan paid, inclusive
    amount_max: float | None = None
    within: str = ""  # a second query that refines the first
    sort: str = "relevance"  # one of SORTS
    match: str = "auto"  # auto (rank by the words) | any (the same; kept for old links) | all (require every word)
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
        return {name: getattr(self, field) for name, field in FILTERS.items()}


@dataclass(frozen=True)
class Section:
    """Another section of a manual that matched, listed under the manual's row."""

    title: str
    anchor: str


@dataclass
class Hit:
    """One result row: a case, or a manual shown by its best section; plus why it matched."""

    id: str
    title: str
    type: str
    category: str | None
    outcome: str | None
    date: str | None
    region: str | None
    score: float
    snippet: str = ""  # escaped HTML with <mark>
    text_snippet: str = ""  # plain text with 【】 marks
    section: str | None = None  # a manual's best matching section
    anchor: str | None = None
    amount: float | None = None
    reasons: list[Reason] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)  # a manual's other matching sections
    pinned: str | None = None  # "id" or "legal" when the query named this document

    def with_snippet(self, snippet) -> "Hit":
        """Return the hit with a snippet's HTML and plain forms filled in."""
        self.snippet, self.text_snippet = snippet.html(), snippet.plain()
        return self


@dataclass(frozen=True)
class Relaxation:
    """A way to loosen a query that found nothing, and how many results it would find."""

    kind: str  # drop_filter | drop_word | loosen_word (keeps the words) | spelling (only suggested)
    label: str  # Chinese, e.g. 去掉"丰巢"
    dropped: str  # the word or filter value dropped
    count: int
    q: str
    filters: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class SearchResult:
    """A page of rows, the total, the facet counts and the precedent summary of the whole result."""

    query: str
    total: int
    page: int
    per_page: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    request: SearchRequest = field(default_factory=SearchRequest)
    mode: str = "keywords"  # keywords | paragraph (read for its key terms) | browse (no words)
    key_terms: list[str] = field(default_factory=list)  # a paragraph's key terms, strongest first
    ignored: list[str] = field(default_factory=list)  # query words no document contains
    strong: int = 0  # rows holding most of the words (or enough key terms)
    precedent: Precedent | None = None
    suggestions: list[Relaxation] = field(default_factory=list)  # when nothing matched
    spelling: list[Relaxation] = field(default_factory=list)  # 您要找的是不是…: never applied
    relaxed: Relaxation | None = None  # set when the result shown is a loosened search

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))
