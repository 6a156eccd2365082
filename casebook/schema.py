"""The index schema: which fields are searched, stored, faceted and sorted."""

from __future__ import annotations

from whoosh.analysis import Analyzer
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from .analysis import CaseTokenizer

# Bump when documents or analysis change meaning: an index of another version is rebuilt.
SCHEMA_VERSION = 6

# Searched text fields and their weights: title and summary rank above the body.
TEXT_FIELDS = {
    "title": 4.0,
    "summary": 2.0,
    "tags": 2.0,
    "facts": 1.0,
    "process": 1.0,
    "result": 1.0,
    "analysis": 1.0,
    "content": 1.0,
}

# Section scopes users can type as `scope:word`; several names for each, Chinese first.
SCOPES = {
    "标题": "title", "title": "title",
    "摘要": "summary", "summary": "summary",
    "标签": "tags", "tags": "tags",
    "案情": "facts", "基本案情": "facts", "facts": "facts",
    "过程": "process", "处理过程": "process", "process": "process",
    "结果": "result", "处理结果": "result", "result": "result",
    "评析": "analysis", "案例评析": "analysis", "analysis": "analysis",
    "正文": "content", "content": "content",
}

FACETS = ("category", "outcome", "type", "service", "province")


def build_schema(tokenizer: CaseTokenizer) -> Schema:
    """Return the schema whose text fields use the given tokenizer."""
    analyzer: Analyzer = tokenizer  # no filters: normalisation and stopwords live in the tokenizer
    text = {name: TEXT(analyzer=analyzer, stored=True, phrase=True) for name in TEXT_FIELDS}
    return Schema(
        key=ID(stored=True, unique=True),
        id=ID(stored=True),
        kind=ID(stored=True),  # case | manual (whole file, not searched) | section
        type=ID(stored=True, sortable=True),
        path=ID(stored=True),
        category=ID(stored=True, sortable=True),
        outcome=ID(stored=True, sortable=True),
        service=ID(stored=True, sortable=True),
        province=ID(stored=True, sortable=True),
        region=STORED,
        date=ID(stored=True, sortable=True),
        year=NUMERIC(int, bits=32, stored=True, sortable=True, signed=False),
        amount=NUMERIC(int, bits=64, stored=True, sortable=True),  # fen; -1 when none
        legal=KEYWORD(stored=True, commas=True, scorable=False, lowercase=False),
        tag=KEYWORD(stored=True, commas=True, scorable=False, lowercase=False),
        related=KEYWORD(stored=True, commas=True, scorable=False, lowercase=False),
        section=STORED,
        anchor=STORED,
        meta=STORED,
        body=STORED,
        **text,
    )
