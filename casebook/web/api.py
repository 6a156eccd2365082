"""The JSON shape of a search result and a hit, shared by /api/search and `casebook search --json`."""

from __future__ import annotations

from casebook.search.results import Hit, SearchResult


def case_path(case_id: str, anchor: str | None = None) -> str:
    """Return the site path of a case or manual (and one of its sections)."""
    return f"/cases/{case_id}" + (f"#{anchor}" if anchor else "")


def hit_json(hit: Hit) -> dict:
    """Return a hit as the JSON contract has it: `url` to the page, a manual's other sections."""
    out = {
        "id": hit.id,
        "title": hit.title,
        "type": hit.type,
        "category": hit.category,
        "outcome": hit.outcome,
        "date": hit.date,
        "region": hit.region,
        "score": hit.score,
        "snippet": hit.snippet,
        "url": case_path(hit.id, hit.anchor),
        "section": hit.section,
        "amount": hit.amount,
        "reasons": [r.to_dict() for r in hit.reasons],
    }
    if hit.sections:
        out["sections"] = [{"title": s.title, "url": case_path(hit.id, s.anchor)} for s in hit.sections]
    if hit.pinned:
        out["pinned"] = hit.pinned
    return out


def result_json(result: SearchResult) -> dict:
    """Return a search result as JSON: the hits shown, and `relaxed` when the search was loosened."""
    out = {
        "query": result.query,
        "total": result.total,
        "page": result.page,
        "per_page": result.per_page,
        "mode": result.mode,
        "hits": [hit_json(h) for h in result.hits],
        "facets": result.facets,
        "strong": result.strong,
        "precedent": result.precedent.to_dict() if result.precedent else None,
        "key_terms": result.key_terms,
        "ignored": result.ignored,
        "suggestions": [s.to_dict() for s in result.suggestions],
        "spelling": [s.to_dict() for s in result.spelling],
    }
    if result.relaxed:
        out["relaxed"] = result.relaxed.to_dict()
    return out
