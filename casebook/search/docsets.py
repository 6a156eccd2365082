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

from casebook.search.postings import Postings, to_mask

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
        self.live = self._from_ids(searcher.reader().all_doc_ids())
        self._amounts: list[tuple[float, int]] | None = None  # (amount, documents paid it)
        self._recency: list[int] | None = None
        self._values: dict[str, list[str]] = {}  # facet field -> its indexed values
        self.postings = Postings(searcher)  # term statistics for ranking, cached alongside

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
        out = {}
        for value in self.values(field):
            n = (mask & self.term(field, value)).bit_count()
            if n:
                out[value] = n
        return out

    def _amount_table(self) -> list[tuple[list[tuple[float, int]], int]]:
        """Return amounts > 0 as ~64 buckets of (value, documents) in ascending order."""
        if self._amounts is None:
            column = self.postings.column("amount")  # read once, shared with the amount sorts
            by_value: dict[int, bytearray] = {}
            for docnum in np.nonzero(column > 0)[0].tolist():
                bits = by_value.setdefault(int(column[docnum]), bytearray(self.nbytes))
                bits[docnum >> 3] |= 1 << (docnum & 7)
            values = sorted((cents / 100, int.from_bytes(bits, "little")) for cents, bits in by_value.items())
            size = max(1, len(values) // 64)
            buckets = []
            for i in range(0, len(values), size):
                chunk = values[i : i + size]
                union = 0
                for _, docs in chunk:
                    union |= docs
                buckets.append((chunk, union))
            self._amounts = buckets
        return self._amounts

    def amount_stats(self, mask: int) -> AmountStats:
        """Return how many documents of `mask` paid an amount, and its median, least and most."""
        buckets = [(chunk, (mask & union).bit_count()) for chunk, union in self._amount_table()]
        count = sum(n for _, n in buckets)
        if not count:
            return AmountStats(0, None, None, None)

        def kth(k: int) -> float:  # the k-th smallest amount paid (0-based)
            for chunk, n in buckets:
                if k >= n:
                    k -= n
                    continue
                for value, docs in chunk:
                    here = (mask & docs).bit_count()
                    if k < here:
                        return value
                    k -= here
            raise IndexError(k)

        median = (kth((count - 1) // 2) + kth(count // 2)) / 2
        return AmountStats(count, median, kth(0), kth(count - 1))

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
            order = sorted(range(self.size), key=dates.__getitem__)
            ranks = [0] * self.size
            for rank, docnum in enumerate(order):
                ranks[docnum] = rank
            self._recency = ranks
        return self._recency
