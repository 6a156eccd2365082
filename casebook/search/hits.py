"""A result row made from its best document: stored fields, snippet, reasons, a manual's sections."""

from __future__ import annotations

import numpy as np

from casebook.index.analysis import Segmenter
from casebook.search.results import Hit, Section
from casebook.search.snippets import snippet_of

MAX_SECTIONS = 5  # a manual's other matching sections listed under its row


class HitMaker:
    """Turns the best document of a row into a Hit."""

    def __init__(self, whoosh_searcher, segmenter: Segmenter):
        self.searcher = whoosh_searcher
        self.segmenter = segmenter

    def make(self, docnum: int, score: float, plan, matching: np.ndarray, scores: np.ndarray) -> Hit:
        """Return the hit of a row whose best document is `docnum`."""
        stored = self.searcher.stored_fields(docnum)
        terms: dict[str, tuple[str, str]] = {}
        for concept in plan.concepts:
            for term, kind in concept.terms:
                terms.setdefault(term, (kind, concept.typed))
        snippet, reasons = snippet_of(self.segmenter, stored, terms)
        cents = stored.get("amount", -1)
        legal = set(stored.get("legal", "").split(",")) if stored.get("legal") else set()
        pinned = "id" if stored["id"] in plan.ids else "legal" if legal & set(plan.bases) else None
        hit = Hit(
            id=stored["id"],
            title=stored.get("title", ""),
            type=stored.get("type", "case"),
            category=stored.get("category"),
            outcome=stored.get("outcome"),
            date=stored.get("date") or None,
            region=stored.get("region") or None,
            score=round(score, 4),
            section=stored.get("section"),
            anchor=stored.get("anchor"),
            amount=cents / 100 if cents is not None and cents >= 0 else None,
            reasons=reasons,
            pinned=pinned,
        ).with_snippet(snippet)
        if stored.get("kind") == "section":
            hit.sections = self._other_sections(stored["id"], docnum, matching, scores)
        return hit

    def _other_sections(self, manual_id: str, best: int, matching: np.ndarray, scores: np.ndarray) -> list[Section]:
        """Return the manual's other matching sections, best first."""
        found = []
        for docnum in self.searcher.document_numbers(id=manual_id):
            if docnum != best and matching[docnum]:
                stored = self.searcher.stored_fields(docnum)
                if stored.get("kind") == "section":
                    found.append((-float(scores[docnum]), docnum, Section(stored["section"], stored["anchor"])))
        found.sort(key=lambda item: item[:2])
        return [section for _, _, section in found[:MAX_SECTIONS]]
