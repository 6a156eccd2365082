"""Term statistics as numpy arrays, read once per open searcher: postings, field lengths, owners.

Ranking needs, for each query term, every document that holds it and how often (its
weight: occurrences, with sub-words counted lower by the tokenizer's boost). Whoosh hands
them out one posting at a time through Python calls; reading a term's blocks once into
arrays and caching them makes the next query on the same word a few numpy operations.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from casebook.search.columns import SEGMENTS, leaf_lengths, leaf_values, segment_key

CACHE_BYTES = 64 * 1024 * 1024
EMPTY = (np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32))


class Postings:
    """Cached posting arrays, field lengths and document owners of one Whoosh searcher."""

    def __init__(self, searcher, budget: int = CACHE_BYTES):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.size = searcher.doc_count_all()
        self.budget = budget
        self._cache: OrderedDict = OrderedDict()
        self._used = 0
        self._lock = threading.Lock()
        self._lengths: dict[str, tuple[np.ndarray, float]] = {}
        self._owners: tuple[np.ndarray, list[str], np.ndarray] | None = None
        self._columns: dict = {}  # name (or (kind, value)) -> array over documents
        self._deleted: set[int] | None = None
        SEGMENTS.retain({segment_key(leaf) for leaf, _ in self.reader.leaf_readers()})

    def term(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Return (document numbers, weights) of a term in a field, ascending by document."""
        key = (field, text)
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        found = self._read(field, text)
        with self._lock:
            self._cache[key] = found
            self._used += found[0].nbytes + found[1].nbytes + 64
            while self._used > self.budget and len(self._cache) > 1:
                _, old = self._cache.popitem(last=False)
                self._used -= old[0].nbytes + old[1].nbytes + 64
        return found

    def ids(self, field: str, text: str) -> np.ndarray:
        """Return the documents holding a term in a field (read once; not cached here)."""
        key = (field, text)
        with self._lock:
            found = self._cache.get(key)
        return found[0] if found is not None else self._read(field, text)[0]

    def contribution(self, field: str, text: str, weight: float, b: float) -> tuple[np.ndarray, np.ndarray]:
        """Return (documents, weight × term frequency / length norm) of a term in a field: the
        query-independent part of BM25F, cached."""
        key = ("bm25f", field, text, weight, b)
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        ids, weights = self.term(field, text)
        if ids.size:
            lengths, average = self.lengths(field)
            weights = (weight * weights / (1.0 - b + b * lengths[ids] / average)).astype(np.float32)
        found = (ids, weights)
        with self._lock:
            self._cache[key] = found
            self._used += ids.nbytes + weights.nbytes + 64
        return found

    def _read(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        if (field, text) not in self.reader:
            return EMPTY
        ids: list = []
        weights: list = []
        for leaf, offset in self.reader.leaf_readers():
            if (field, text) not in leaf:
                continue
            matcher = leaf.postings(field, text)
            block_ids, block_weights = _blocks(matcher)
            ids.append(np.asarray(block_ids, dtype=np.int32) + offset)
            weights.append(np.asarray(block_weights, dtype=np.float32))
        if not ids:
            return EMPTY
        return np.concatenate(ids), np.concatenate(weights)

    def lengths(self, field: str) -> tuple[np.ndarray, float]:
        """Return every document's length in a field and the average over documents that have it."""
        found = self._lengths.get(field)
        if found is None:
            out = np.zeros(self.size, dtype=np.float32)
            for leaf, offset in self.reader.leaf_readers():
                count = leaf.doc_count_all()
                out[offset : offset + count] = leaf_lengths(leaf, field, count)
            present = out[out > 0]
            found = (out, float(present.mean()) if present.size else 1.0)
            self._lengths[field] = found
        return found

    def column(self, name: str) -> np.ndarray:
        """Return a numeric column (such as `amount`) for every document."""
        found = self._columns.get(name)
        if found is None:
            found = self._columns[name] = np.fromiter(self.values(name), dtype=np.int64, count=self.size)
        return found

    def kind_array(self, kind: str) -> np.ndarray:
        """Return which documents are of a kind (case, manual or section)."""
        key = ("kind", kind)
        found = self._columns.get(key)
        if found is None:
            found = self._columns[key] = np.array(self.values("kind"), dtype=object) == kind
        return found

    def recency(self, docsets) -> np.ndarray:
        """Return each document's rank by date (higher is newer), as an array."""
        found = self._columns.get("recency")
        if found is None:
            found = self._columns["recency"] = np.asarray(docsets.recency(), dtype=np.int64)
        return found

    def values(self, name: str) -> list:
        """Return a column's value for every document, read once in one pass (not one lookup per
        document): owners, kinds and dates share the reads."""
        key = ("values", name)
        found = self._columns.get(key)
        if found is None:
            found = []
            for leaf, _offset in self.reader.leaf_readers():
                found.extend(leaf_values(leaf, name))
            if len(found) != self.size:
                found = [self.reader.column_reader(name)[d] for d in range(self.size)]
            self._columns[key] = found
        return found

    def deleted(self) -> set[int]:
        """Return the deleted documents' numbers (the few an update replaced since the last merge)."""
        if self._deleted is None:
            self._deleted = set()
            for leaf, offset in self.reader.leaf_readers():
                if leaf.has_deletions():
                    self._deleted.update(offset + d for d in leaf.deleted_docs_set)
        return self._deleted

    def owners(self) -> tuple[np.ndarray, list[str], np.ndarray]:
        """Return each document's row (a case, or the manual a section belongs to), the rows' ids,
        and whether each row is a manual."""
        if self._owners is None and not self.size:
            self._owners = (np.zeros(0, dtype=np.int32), [], np.zeros(0, dtype=bool))
        if self._owners is None:
            ids = self.values("id")
            kinds = self.values("kind")
            deleted = self.deleted()
            rows: dict[str, int] = {}
            owner = np.full(self.size, -1, dtype=np.int32)
            manual: list[bool] = []
            for docnum, (case_id, kind) in enumerate(zip(ids, kinds)):
                if kind not in ("case", "section") or docnum in deleted:
                    continue  # a manual's whole file is found through its sections
                row = rows.setdefault(case_id, len(rows))
                if row == len(manual):
                    manual.append(kind == "section")
                owner[docnum] = row
            self._owners = (owner, list(rows), np.array(manual, dtype=bool))
        return self._owners


def _blocks(matcher) -> tuple[list, list]:
    """Read a leaf matcher's ids and weights a block at a time where Whoosh allows it."""
    ids: list = []
    weights: list = []
    if type(matcher).__name__ == "FilterMatcher" and hasattr(matcher, "child"):
        # A segment with deletions wraps its postings: read the blocks, then drop deleted ids.
        ids, weights = _blocks(matcher.child)
        keep = [
            i for i, docnum in enumerate(ids) if matcher._ids is None or (docnum in matcher._ids) != matcher._exclude
        ]
        return [ids[i] for i in keep], [weights[i] for i in keep]
    if all(hasattr(matcher, name) for name in ("_read_ids", "_read_weights", "_next_block", "_atend")):
        while not matcher._atend:
            matcher._read_ids()
            matcher._read_weights()
            ids.extend(matcher._ids)
            weights.extend(matcher._weights)
            matcher._next_block()
        return ids, weights
    while matcher.is_active():  # any other matcher: one posting at a time
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return ids, weights


def to_array(mask: int, size: int) -> np.ndarray:
    """Return a bitmask document set as a boolean array."""
    raw = np.frombuffer(mask.to_bytes((size + 7) // 8, "little"), dtype=np.uint8)
    return np.unpackbits(raw, bitorder="little")[:size].astype(bool)


def to_mask(array: np.ndarray) -> int:
    """Return a boolean array as a bitmask document set."""
    return int.from_bytes(np.packbits(array, bitorder="little").tobytes(), "little")
