"""BM25F over the searched fields, with synonyms and partial words counted below the word typed.

For each query concept (a word with its synonym group, or a phrase) a document's term
frequency is summed over the fields, each weighted and normalised by the field's length
(BM25F: Robertson & Zaragoza, "The Probabilistic Relevance Framework", 2009), then
saturated once. A synonym occurrence counts SYNONYM_WEIGHT of the word itself; a partial
word (快递 inside 快递柜) counts less through the posting weights the tokenizer wrote. A
document that holds more of the query's concepts is ranked higher by a coordination
factor over their idf (as Lucene's classic similarity did), so nothing is gated out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from casebook.index.schema import TEXT_FIELDS, scope_target
from casebook.search.concepts import SYNONYM_WEIGHT, Concept
from casebook.search.postings import Postings

K1 = 2.0  # measured on bench/queries.yaml: 1.2 → 0.77, 2.0 → 0.80 (short case texts saturate late)
# Length normalisation per field: short fields (a title) vary little in length, so a long
# title is not penalised as much as a long body.
FIELD_B = {"title": 0.3, "summary": 0.5, "tags": 0.3, "text": 0.75}
COORDINATION_POWER = 1.0  # score × (share of the query's idf that a document holds) ** power


@dataclass
class Scores:
    """Per-document scores of a query, and how many of its concepts each document holds."""

    score: np.ndarray  # float32, one per index document
    matched: np.ndarray  # int16: concepts held
    concepts: int


def concept_frequency(postings: Postings, concept: Concept) -> np.ndarray:
    """Return each document's BM25F pseudo term frequency for one concept."""
    tf = np.zeros(postings.size, dtype=np.float32)
    words = concept.phrase[:1] if concept.phrase else (concept.terms[0][0],)
    for name in dict.fromkeys(scope_target(f)[0] for f in concept.fields):
        b = FIELD_B.get(name, 0.75)
        parts = [(words[0], 1.0 - SYNONYM_WEIGHT if concept.group else 1.0)]
        if concept.group and not concept.phrase:
            parts.append((concept.group, SYNONYM_WEIGHT))
        for term, share in parts:
            ids, contribution = postings.contribution(name, term, TEXT_FIELDS[name], b)
            if ids.size:
                tf[ids] += share * contribution
    return tf


def score(postings: Postings, concepts: list[Concept], gates: list[np.ndarray | None], live: int) -> Scores:
    """Return BM25F scores of documents for the concepts (each gated by its exact match set, if any)."""
    total = np.zeros(postings.size, dtype=np.float32)
    held_idf = np.zeros(postings.size, dtype=np.float32)
    matched = np.zeros(postings.size, dtype=np.int16)
    all_idf = 0.0
    for concept, gate in zip(concepts, gates):
        tf = concept_frequency(postings, concept)
        if gate is not None:
            tf = np.where(gate, np.maximum(tf, 1e-3), 0.0).astype(np.float32)
        present = tf > 0
        df = int(present.sum())
        idf = math.log(1 + (live - df + 0.5) / (df + 0.5)) * concept.weight
        all_idf += idf
        if not df:
            continue
        total += np.where(present, idf * tf * (K1 + 1) / (tf + K1), 0.0).astype(np.float32)
        held_idf += present * np.float32(idf)
        matched += present
    if all_idf > 0:
        total *= (held_idf / all_idf) ** COORDINATION_POWER
    return Scores(total, matched, len(concepts))


def fold(postings: Postings, scores: np.ndarray, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return, per row (a case, or a manual with its sections), the best score and its document.

    Rows with no allowed document get score -inf and document -1.
    """
    owner, rows, manual = postings.owners()
    valid = allowed & (owner >= 0)
    best = np.full(len(rows), -np.inf, dtype=np.float32)
    best_doc = np.full(len(rows), -1, dtype=np.int64)
    docs = np.nonzero(valid)[0]
    if not docs.size:
        return best, best_doc
    single = ~manual[owner[docs]]  # a case is its own row: no folding needed
    cases = docs[single]
    best[owner[cases]] = scores[cases]
    best_doc[owner[cases]] = cases
    sections = docs[~single]
    if sections.size:  # a manual's row takes its best section
        order = sections[np.argsort(-scores[sections], kind="stable")]
        row_of = owner[order]
        _, first = np.unique(row_of, return_index=True)
        best[row_of[first]] = scores[order[first]]
        best_doc[row_of[first]] = order[first]
    return best, best_doc
