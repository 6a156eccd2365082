"""What a query asks for: concepts (a word with its synonyms, or a phrase) and how they combine."""

from __future__ import annotations

import math
from dataclasses import dataclass

from whoosh.query import And, Every, Or, Phrase, Query, Term

from casebook.content.vocabulary import Vocabulary
from casebook.index.analysis import CaseTokenizer, normalise
from casebook.index.schema import TEXT_FIELDS, scope_target
from casebook.search.syntax import parse

SYNONYM_WEIGHT = 0.7
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

    @property
    def index_terms(self) -> tuple[str, ...]:
        """Return the indexed tokens that stand for this concept."""
        word = self.terms[0][0]
        return (word, self.group) if self.group else (word,)

    def query(self) -> Query:
        """Return the Whoosh query for this concept: matches in several fields add up.

        (whoosh3 3.54's DisjunctionMax returns flat, near-equal scores, so it is not used.)
        """
        parts: list[Query] = []
        for name in dict.fromkeys(scope_target(f)[0] for f in self.fields):
            weight = TEXT_FIELDS[name]
            if self.phrase:
                parts.append(Phrase(name, list(self.phrase), slop=1, boost=weight))
                continue
            word = self.terms[0][0]
            parts.append(Term(name, word, boost=weight * (1 - SYNONYM_WEIGHT) if self.group else weight))
            if self.group:
                parts.append(Term(name, self.group, boost=weight * SYNONYM_WEIGHT))
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
        words = [w.text for w in segmenter.words(normalise(clause.text), search=False)]
        if not words:
            continue
        if clause.phrase and len(words) > 1:
            target.append(Concept(clause.text, tuple((w, "word") for w in words), tuple(words), fields))
            continue
        for word in words:
            terms = {word: "word"}
            group = None
            if not clause.phrase:
                group = tokenizer.group_of(word)
                for synonym in synonyms(word, vocabulary, segmenter):
                    terms.setdefault(synonym, "synonym")
            typed = clause.text if len(words) == 1 else word
            target.append(Concept(typed, tuple(terms.items()), (), fields, group))
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


def build_query(wanted: list[Concept], required: list[Concept] = (), any_word: bool = False) -> Query:
    """Return the scoring query: the wanted concepts (more of them scores higher) and the required.

    Which documents may match at all (how many words, filters, exclusions) is decided with
    document sets by the searcher; this query only ranks them.
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
    return (parts[0] if len(parts) == 1 else And(parts)) if parts else Every()
