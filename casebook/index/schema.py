"""The index schema: which fields are searched, stored, faceted and sorted."""

from __future__ import annotations

from whoosh.analysis import Analyzer
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from casebook.index.analysis import CaseTokenizer

# Bump when documents or analysis change meaning: an index of another version is rebuilt.
SCHEMA_VERSION = 10  # 10: channel and insured are filters; 9: sub-words weigh less; id and kind are columns

# Searched text fields and their weights: title and summary rank above the text.
TEXT_FIELDS = {
    "title": 4.0,
    "summary": 2.0,
    "tags": 2.0,
    "text": 1.0,
}

# The body's sections, in the order they are indexed in `text`. Each section's words take
# positions in a band of their own (section k starts at k × analysis.SECTION_GAP), so one field
# serves every section (a third fewer postings than a field each, measured on 20,000
# cases) and a search can still be limited to one section by position.
SECTIONS = ("facts", "process", "result", "analysis", "content")


def scope_target(scope: str) -> tuple[str, int | None]:
    """Return the index field and section band (or None) a scope name searches."""
    if scope in SECTIONS:
        return "text", SECTIONS.index(scope)
    return scope, None


# Section scopes users can type as `scope:word`; several names for each, Chinese first.
SCOPES = {
    "标题": "title",
    "title": "title",
    "摘要": "summary",
    "summary": "summary",
    "标签": "tags",
    "tags": "tags",
    "案情": "facts",
    "基本案情": "facts",
    "facts": "facts",
    "过程": "process",
    "处理过程": "process",
    "process": "process",
    "结果": "result",
    "处理结果": "result",
    "result": "result",
    "评析": "analysis",
    "案例评析": "analysis",
    "analysis": "analysis",
    "正文": "content",
    "content": "content",
}


def build_schema(tokenizer: CaseTokenizer) -> Schema:
    """Return the schema whose text fields use the given tokenizer."""
    analyzer: Analyzer = tokenizer  # no filters: normalisation and stopwords live in the tokenizer
    text = {name: TEXT(analyzer=analyzer, stored=name != "text", phrase=True) for name in TEXT_FIELDS}
    text.update({name: STORED for name in SECTIONS})  # kept for snippets
    return Schema(
        key=ID(stored=True, unique=True),
        id=ID(stored=True, sortable=True),
        kind=ID(stored=True, sortable=True),  # case | manual (whole file, not searched) | section
        type=ID(stored=True, sortable=True),
        path=ID(stored=True),
        category=ID(stored=True, sortable=True),
        outcome=ID(stored=True, sortable=True),
        service=ID(stored=True, sortable=True),
        province=ID(stored=True, sortable=True),
        channel=ID(stored=True, sortable=True),
        insured=ID(stored=True),  # 是 | 否, absent when the case does not say
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
