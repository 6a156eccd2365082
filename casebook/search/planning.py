"""A request's words turned into a plan: concepts to rank, to require and to exclude.

Words no document holds are set aside (and named on the page), a word fused with a negation
is retried without it, a long query without syntax is read as a pasted paragraph, and case
ids and legal bases the query names are looked up.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from whoosh.query import Phrase

from casebook.content.vocabulary import Vocabulary
from casebook.index.analysis import SECTION_GAP, CaseTokenizer, normalise
from casebook.index.schema import scope_target
from casebook.search.concepts import NEGATIONS, Concept, analyse_query
from casebook.search.docsets import DocSets
from casebook.search.identifiers import canonical, case_ids, named_bases
from casebook.search.keyterms import domain_words, generality_weight, is_paragraph, key_terms
from casebook.search.results import SearchRequest
from casebook.search.syntax import clean, parse

MAX_COMPLETIONS = 20  # indexed words a typed fragment may complete to, per field

# Words that ask how to handle something: a manual section answers them better than a case.
MANUAL_INTENT = (
    "如何",
    "怎么处理",
    "怎样处理",
    "怎么办",
    "处理要点",
    "要点",
    "依据",
    "流程",
    "口径",
    "标准",
    "怎么算",
    "计算",
    "有哪些",
    "手册",
    "区别",
    "区分",
    "认定",
    "什么意思",
    # How to go about it, and how long it may take: questions of procedure and time limits.
    "要怎么",
    "该怎么",
    "怎么告知",
    "怎么答复",
    "怎么判断",
    "怎么核查",
    "怎么认定",
    "多久",
    "多少天",
    "几天内",
    "时限",
    "期限",
)


@dataclass
class Plan:
    """A request turned into concepts: ranked, required, excluded, and what else it names."""

    wanted: list[Concept]
    required: list[Concept]
    excluded: list[Concept]
    ignored: list[str]
    mode: str = "keywords"
    key_terms: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)  # case ids the query names
    bases: list[str] = field(default_factory=list)  # legal bases the query names
    manual_intent: bool = False

    @property
    def browse(self) -> bool:
        """Say whether the query asks for nothing (words no document holds still ask)."""
        return not (self.wanted or self.required or self.ids or self.bases or self.ignored)

    @property
    def concepts(self) -> list[Concept]:
        return self.wanted + self.required


class Planner:
    """Plans requests against one searcher's document sets."""

    def __init__(self, whoosh_searcher, tokenizer: CaseTokenizer, vocabulary: Vocabulary, docsets: DocSets):
        self.searcher = whoosh_searcher
        self.tokenizer = tokenizer
        self.vocabulary = vocabulary
        self.docsets = docsets

    def plan(self, request: SearchRequest) -> Plan:
        """Analyse a request's words into what is ranked, required and excluded."""
        text = canonical(clean(request.q))
        clauses = parse(text)
        wanted, excluded = analyse_query(text, self.tokenizer, self.vocabulary)
        within, within_excluded = analyse_query(request.within, self.tokenizer, self.vocabulary)
        ids = [i for i in case_ids(text) if self.searcher.document_number(key=i) is not None]
        bases = named_bases(text, self.docsets.values("legal"))
        plan = Plan([], [c for c in within], excluded + within_excluded, [], ids=ids, bases=bases)
        plan.manual_intent = any(word in text for word in MANUAL_INTENT)
        if is_paragraph(text, clauses, len(wanted)) and request.match != "all":
            terms, _unknown = key_terms(
                text,
                self.tokenizer.segmenter,
                self.concept_frequency,
                (self.docsets.live.bit_count() or 1),
                domain_words(self.vocabulary),
            )
            if terms:
                # The key terms say what was searched; a paragraph's unknown words are not named.
                plan.mode, plan.key_terms = "paragraph", [t.word for t in terms]
                for term in terms:
                    concepts, _ = analyse_query(term.word, self.tokenizer, self.vocabulary)
                    plan.wanted.extend(c.weighted(term.weight) for c in concepts)
                return plan
            # Nothing in it stands out (all filler, unknown or everywhere): search its words as
            # typed, naming the unknown ones, rather than list the whole knowledge base.
        wanted += self._completions(clauses, wanted)
        known, ignored = self._known([c for c in wanted if not c.required])
        plan.ignored = [word for word in ignored if word.upper() not in ids]
        plan.required += [c for c in wanted if c.required]
        if request.match == "all":
            plan.required += known
        else:
            # A word common in any writing (东西, 一直, 说) says less than the others typed with
            # it: it weighs less, in the score and in what a document missing it loses.
            domain = domain_words(self.vocabulary)
            plan.wanted = [
                c if c.phrase or c.terms[0][0] in domain else c.weighted(generality_weight(c.terms[0][0]))
                for c in known
            ]
        if text.strip() and plan.browse and not excluded:
            # Only emoji, symbols or control characters: nothing was searched, so say so rather
            # than list the whole knowledge base as if the query had asked for everything.
            plan.ignored = [" ".join(text.split())[:20]]
        return plan

    def _completions(self, clauses, wanted: list[Concept]) -> list[Concept]:
        """Return the indexed word a clause typed only in part completes to (暴力分 → 暴力分拣).

        A handler who half-remembers a term types its start; the segmenter then cuts off a
        stray last character (暴力 + 分) that no document means. The commonest indexed word
        the clause begins is searched beside its parts, so the case holding the whole term
        ranks first. Nothing is replaced: the parts still count as typed.
        """
        out: list[Concept] = []
        domain = domain_words(self.vocabulary)
        reader = self.searcher.reader()
        for clause in clauses:
            if clause.phrase or clause.negated or clause.scope or clause.required:
                continue
            text = normalise(clause.text)
            words = self.tokenizer.segmenter.words(text, search=False)
            if len(words) < 2 or len(words[-1].text) > 1 or words[-1].text in domain:
                continue
            prefix = "".join(w.text for w in words)
            candidates = {
                term.decode("utf-8") if isinstance(term, bytes) else term
                for name in ("title", "tags", "text")
                for term in itertools.islice(reader.expand_prefix(name, prefix), MAX_COMPLETIONS)
            }
            # Counted over live documents: the lexicon still holds the words of replaced versions.
            found = [(self.concept_frequency(term), term) for term in candidates if len(term) > len(prefix)]
            found = [(df, term) for df, term in found if df]
            if found:
                completion = max(found)[1]
                concepts, _ = analyse_query(completion, self.tokenizer, self.vocabulary)
                out.extend(c for c in concepts if c not in wanted)
        return out

    def concept_frequency(self, word: str) -> int:
        """Return how many documents hold a word or one of its synonyms."""
        concepts, _ = analyse_query(word, self.tokenizer, self.vocabulary)
        return self.concept_docs(concepts[0]).bit_count() if concepts else 0

    def _known(self, concepts: list[Concept]) -> tuple[list[Concept], list[str]]:
        """Split off words no document contains: they are named on the page, not searched.

        A word fused with a negation (没验视, 没答复) is first retried without it.
        """
        known, ignored = [], []
        for concept in concepts:
            if self.concept_docs(concept):
                known.append(concept)
                continue
            retried = self._without_negation(concept) or self._listed_inside(concept)
            if retried:
                known.extend(retried)
            else:
                ignored.append(concept.typed)
        return known, ignored

    def _listed_inside(self, concept: Concept) -> list[Concept]:
        """Return the vocabulary words inside an unknown word (碎成渣 → 碎, 快递柜子 → 快递柜).

        The public glues the words editors listed to their own (碎成渣, 丢件了); the listed
        word, longest first and not overlapping, still says what was meant.
        """
        word = concept.terms[0][0]
        if concept.phrase or len(word) < 2 or not word.isalpha():
            return []
        listed = domain_words(self.vocabulary)
        found, start = [], 0
        while start < len(word):
            for end in range(len(word), start, -1):
                part = word[start:end]
                if part != word and part in listed:
                    found.append(part)
                    start = end
                    break
            else:
                start += 1
        out = []
        for part in found:
            retried, _ = analyse_query(part, self.tokenizer, self.vocabulary, concept.fields)
            out.extend(c for c in retried if self.concept_docs(c))
        return out

    def _without_negation(self, concept: Concept) -> list[Concept]:
        for prefix in NEGATIONS:
            if concept.typed.startswith(prefix) and len(concept.typed) > len(prefix) and not concept.phrase:
                retried, _ = analyse_query(
                    concept.typed[len(prefix) :], self.tokenizer, self.vocabulary, concept.fields
                )
                if retried and all(self.concept_docs(c) for c in retried):
                    return retried
        return []

    def concept_docs(self, concept: Concept) -> int:
        """Return the documents a concept matches, as a bitmask."""
        mask = 0
        for scope in concept.fields:
            mask |= self._scoped(concept, scope)
        return mask

    def _scoped(self, concept: Concept, scope: str) -> int:
        """Return the documents where the concept's terms (or its phrase) occur within one scope."""
        field_name, band = scope_target(scope)
        if concept.phrase:
            mask = self.docsets.query(Phrase(field_name, list(concept.phrase), slop=1))
            # A phrase in one section: the phrase somewhere, and its first word in that section.
            return mask if band is None else mask & self.docsets.band(field_name, concept.phrase[0], band, SECTION_GAP)
        mask = 0
        for term in concept.index_terms:
            if band is None:
                mask |= self.docsets.term(field_name, term)
            else:
                mask |= self.docsets.band(field_name, term, band, SECTION_GAP)
        return mask
