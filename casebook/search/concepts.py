"""What a query asks for: concepts (a word with its synonyms, or a phrase) and how they combine."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from casebook.content.vocabulary import Vocabulary
from casebook.index.analysis import CaseTokenizer, normalise
from casebook.index.schema import TEXT_FIELDS
from casebook.search.syntax import parse

SYNONYM_WEIGHT = 0.5  # a synonym occurrence counts half of the word typed
NEGATIONS = ("没有", "没", "未", "不")  # colloquial negations jieba fuses onto the next word


@dataclass(frozen=True)
class Concept:
    """One thing the user asked for: a word (with its synonyms) or a phrase, in some fields.

    `terms` (word and synonyms, normalised) serve highlighting; the index holds each synonym
    group as one extra token, `group`, so matching needs only the word and that token.
    """

    typed: str
    terms: tuple[tuple[str, str], ...]  # (normalised term, "word" or "synonym")
    phrase: tuple[str, ...] = ()
    fields: tuple[str, ...] = tuple(TEXT_FIELDS)
    group: str | None = None
    required: bool = False  # a phrase, a scoped word or a +word: every hit holds it
    weight: float = 1.0  # a key term of a pasted paragraph weighs by its tf-idf there

    def weighted(self, weight: float) -> "Concept":
        """Return the concept with another weight."""
        return replace(self, weight=weight)

    @property
    def index_terms(self) -> tuple[str, ...]:
        """Return the indexed tokens that stand for this concept."""
        word = self.terms[0][0]
        return (word, self.group) if self.group else (word,)


def min_should_match(count: int) -> int:
    """Return how many of `count` query words make a hit a strong match.

    All of one or two words; one may be missing from three or four; a quarter from more.
    Strong matches are what the precedent summary rests on; weaker ones are still listed,
    ranked below them.
    """
    if count <= 2:
        return count
    if count <= 4:
        return count - 1
    return math.ceil(count * 0.75)


def analyse_query(
    text: str, tokenizer: CaseTokenizer, vocabulary: Vocabulary, scope: tuple[str, ...] | None = None
) -> tuple[list[Concept], list[Concept]]:
    """Turn query text into concepts to match and concepts to exclude."""
    wanted: list[Concept] = []
    excluded: list[Concept] = []
    segmenter = tokenizer.segmenter
    for clause in parse(text):
        target = excluded if clause.negated else wanted
        fields = (clause.scope,) if clause.scope else (scope or tuple(TEXT_FIELDS))
        required = clause.required or clause.phrase or clause.scope is not None
        words = [w.text for w in segmenter.words(normalise(clause.text), search=False)]
        if not words:
            continue
        if (clause.phrase or clause.negated) and len(words) > 1:
            # -丰巢快递柜 leaves out what holds those words together, not each word on its own.
            target.append(Concept(clause.text, tuple((w, "word") for w in words), tuple(words), fields, None, True))
            continue
        for word in words:
            terms = {word: "word"}
            group = None
            if not clause.phrase:
                group = tokenizer.group_of(word)
                for synonym in synonyms(word, vocabulary, segmenter):
                    terms.setdefault(synonym, "synonym")
            typed = clause.text if len(words) == 1 else word
            target.append(Concept(typed, tuple(terms.items()), (), fields, group, required))
    return _dedupe(wanted), _dedupe(excluded)


def synonyms(word: str, vocabulary: Vocabulary, segmenter) -> list[str]:
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
        key = (concept.index_terms, concept.phrase, concept.fields)
        if key not in seen:
            seen.add(key)
            out.append(concept)
    return out
