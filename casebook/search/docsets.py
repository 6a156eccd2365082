"""Document sets as Python integers (one bit per document), cached per open searcher.

Whoosh walks posting lists in Python, which is slow for common words. A term's documents
are read once into a bitmask; after that, counting how many query words a document holds,
applying filters and counting facet values are a few big-integer operations in C.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from whoosh.query import Query

from casebook.search.columns import SEGMENTS, leaf_values, segment_key
from casebook.search.postings import Postings, to_array, to_mask

CACHE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class AmountStats:
    """Amounts paid over a set of documents: how many paid, the median, least and most."""

    count: int
    median: float | None
    low: float | None
    high: float | None


class DocSets:
    """Bitmask document sets of one Whoosh searcher: terms, queries, facet values, amounts."""

    def __init__(self, searcher, budget: int = CACHE_BYTES):
        self.searcher = searcher
        self.size = searcher.doc_count_all()
        self.nbytes = (self.size + 7) // 8
        self.budget = budget
        self._cache: OrderedDict = OrderedDict()
        self._used = 0
        self._lock = threading.Lock()
        self.postings = Postings(searcher)  # term statistics for ranking, cached alongside
        live = np.ones(self.size, dtype=bool)
        live[list(self.postings.deleted())] = False
        self.live = to_mask(live)
        self._recency: list[int] | None = None
        self._values: dict[str, list[str]] = {}  # facet field -> its indexed values
        self._codes: dict[str, tuple[np.ndarray, list[str]]] = {}  # facet field -> value number per document

    def _from_ids(self, ids) -> int:
        bits = bytearray(self.nbytes)
        for docnum in ids:
            bits[docnum >> 3] |= 1 << (docnum & 7)
        return int.from_bytes(bits, "little")

    def _remember(self, key, mask: int) -> int:
        with self._lock:
            self._cache[key] = mask
            self._used += self.nbytes
            while self._used > self.budget and len(self._cache) > 1:
                self._cache.popitem(last=False)
                self._used -= self.nbytes
        return mask

    def term(self, field: str, text: str) -> int:
        """Return the documents holding a term in a field."""
        key = (field, text)
        mask = self._cache.get(key)
        if mask is not None:
            self._cache.move_to_end(key)
            return mask
        ids = self.postings.ids(field, text)
        present = np.zeros(self.size, dtype=bool)
        present[ids] = True
        return self._remember(key, to_mask(present))

    def band(self, field: str, text: str, band: int, gap: int) -> int:
        """Return the documents holding a term at positions in one band (one body section)."""
        key = (field, text, band)
        mask = self._cache.get(key)
        if mask is not None:
            return mask
        low, high = band * gap, (band + 1) * gap
        found = []
        reader = self.searcher.reader()
        if (field, text) in reader:
            matcher = reader.postings(field, text)
            while matcher.is_active():
                if any(low <= p < high for p in matcher.value_as("positions")):
                    found.append(matcher.id())
                matcher.next()
        return self._remember(key, self._from_ids(found))

    def query(self, query: Query) -> int:
        """Return the documents matching any Whoosh query (cached by its text)."""
        key = ("query", repr(query))
        mask = self._cache.get(key)
        if mask is not None:
            return mask
        return self._remember(key, self._from_ids(self.searcher.docs_for_query(query)))

    def any_of(self, field: str, values) -> int:
        """Return the documents whose field holds any of the values."""
        mask = 0
        for value in values:
            mask |= self.term(field, value)
        return mask

    def values(self, field: str) -> list[str]:
        """Return every indexed value of a keyword-like field."""
        cached = self._values.get(field)
        if cached is None:
            cached = [t.decode("utf-8") if isinstance(t, bytes) else t for t in self.searcher.reader().lexicon(field)]
            self._values[field] = cached
        return cached

    def counts(self, mask: int, field: str) -> dict[str, int]:
        """Count the documents of `mask` per value of a field."""
        if self.searcher.schema[field].column_type is not None:
            # A one-value field kept as a column: one count over the documents, not a posting
            # list read per value (0.4 s on the first search at 100,000 documents).
            codes, names = self._column_codes(field)
            chosen = codes[to_array(mask & self.live, self.size)]
            tally = np.bincount(chosen[chosen >= 0], minlength=len(names))
            return {names[i]: int(tally[i]) for i in np.nonzero(tally)[0]}
        out = {}
        for value in self.values(field):
            n = (mask & self.term(field, value)).bit_count()
            if n:
                out[value] = n
        return out

    def _column_codes(self, field: str) -> tuple[np.ndarray, list[str]]:
        """Return each document's value of a column field as a number, and the values in order."""
        found = self._codes.get(field)
        if found is None:
            # Per segment (kept across searchers: a segment never changes), then joined.
            parts = []
            for leaf, _offset in self.searcher.reader().leaf_readers():
                key = (segment_key(leaf), "codes", field)
                parts.append(SEGMENTS.get(key, _codes, leaf_values(leaf, field)))
            names = sorted({name for _, part_names in parts for name in part_names})
            number = {name: i for i, name in enumerate(names)}
            joined = [
                np.append(np.array([number[n] for n in part_names], dtype=np.int32), -1)[codes]
                for codes, part_names in parts
            ]
            codes = np.concatenate(joined) if joined else np.zeros(0, dtype=np.int32)
            found = self._codes[field] = (codes, names)
        return found

    def amount_stats(self, mask: int) -> AmountStats:
        """Return how many documents of `mask` paid an amount, and its median, least and most."""
        column = self.postings.column("amount")  # fen, -1 when none; read once, shared with the sorts
        paid = column[to_array(mask, self.size)]
        paid = paid[paid > 0]
        if not paid.size:
            return AmountStats(0, None, None, None)
        paid = np.sort(paid)
        count = int(paid.size)
        median = (int(paid[(count - 1) // 2]) / 100 + int(paid[count // 2]) / 100) / 2  # as statistics.median
        return AmountStats(count, median, int(paid[0]) / 100, int(paid[-1]) / 100)

    def amounts(self, mask: int) -> list[float]:
        """Return every amount paid (> 0) by the documents of a mask: for small masks."""
        column = self.searcher.reader().column_reader("amount")
        return [column[d] / 100 for d in self.members(mask) if column[d] > 0]

    def members(self, mask: int):
        """Yield the document numbers in a mask, ascending."""
        for index, byte in enumerate(mask.to_bytes(self.nbytes, "little")):
            if byte:
                base = index << 3
                for bit in range(8):
                    if byte >> bit & 1:
                        yield base + bit

    def recency(self) -> list[int]:
        """Return, per document, its rank by date (higher is newer)."""
        if self._recency is None:
            dates = self.postings.values("date")  # one pass over the column, not a lookup per document
            order = np.argsort(np.array(dates, dtype=str), kind="stable")  # ties: by document number
            ranks = np.empty(self.size, dtype=np.int64)
            ranks[order] = np.arange(self.size)
            self._recency = ranks.tolist()
        return self._recency


def _codes(values: list[str]) -> tuple[np.ndarray, list[str]]:
    """Return each value's number among the distinct values (-1 for none), and those values."""
    names, codes = np.unique(np.array(values, dtype=str), return_inverse=True)
    codes = codes.astype(np.int32)
    if names.size and names[0] == "":
        codes -= 1  # a document without a value counts for none
        names = names[1:]
    return codes, names.tolist()
