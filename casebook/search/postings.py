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
from whoosh.fields import FieldType

CACHE_BYTES = 64 * 1024 * 1024
EMPTY = (np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32))
SEGMENT_ENTRIES = 256  # per-segment column reads kept across searchers (about 25 per segment)


class SegmentCache:
    """What a segment's columns hold, kept across searchers: a segment never changes once written.

    An update adds a small segment (and marks deletions, which live elsewhere), so the searcher
    opened after it needs to read only the new segment, not the 100,000 documents before it.
    Keys start with the segment's id, unique to each segment Whoosh writes.
    """

    def __init__(self, entries: int = SEGMENT_ENTRIES):
        self.entries = entries
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, compute, *args):
        """Return the value kept under `key`, or compute(*args) and keep it."""
        if key[0] is None:
            return compute(*args)  # no segment to name it by: not kept
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute(*args)
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.entries:
                self._items.popitem(last=False)
        return value

    def retain(self, segments: set[str]) -> None:
        """Forget the segments a new searcher no longer reads (merged away, or another generation)."""
        with self._lock:
            for key in [k for k in self._items if k[0] not in segments]:
                del self._items[key]


SEGMENTS = SegmentCache()


def segment_key(leaf) -> str | None:
    """Return the id of the segment a leaf reader reads (None for a reader of no segment)."""
    segment = leaf.segment() if hasattr(leaf, "segment") else None
    return segment.segment_id() if segment is not None else None


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
                out[offset : offset + count] = SEGMENTS.get(
                    (segment_key(leaf), "lengths", field), _leaf_lengths, leaf, field, count
                )
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
                found.extend(self.segment_values(leaf, name))
            if len(found) != self.size:
                found = [self.reader.column_reader(name)[d] for d in range(self.size)]
            self._columns[key] = found
        return found

    @staticmethod
    def segment_values(leaf, name: str) -> list:
        """Return one segment's column values (read once per segment, shared by searchers)."""
        return SEGMENTS.get((segment_key(leaf), "values", name), _leaf_values, leaf, name, leaf.doc_count_all())

    def deleted(self) -> set[int]:
        """Return the deleted documents' numbers (the few an update replaced since the last merge)."""
        out: set[int] = set()
        for leaf, offset in self.reader.leaf_readers():
            if leaf.has_deletions():
                out.update(offset + d for d in leaf.deleted_docs_set)
        return out

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


def _leaf_lengths(leaf, field: str, count: int) -> np.ndarray:
    """Return a segment's field lengths, decoded from its length column in one pass where Whoosh
    keeps one (a Python call per document otherwise)."""
    try:
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
        from whoosh.util.numeric import byte_to_length

        column = leaf._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
        if column is None:
            return np.zeros(count, dtype=np.float32)
        coded = _numbers(column, count)
        if coded is None:
            coded = np.fromiter(column, dtype=np.int64, count=count)
        table = np.array([0] + [byte_to_length(b) for b in range(1, 256)], dtype=np.float32)  # 0: no length
        return table[coded]
    except (ImportError, AttributeError, TypeError, ValueError):
        get = leaf.doc_field_length_reader(field)
        return np.fromiter((get(d) or 0 for d in range(count)), dtype=np.float32, count=count)


def _leaf_values(leaf, name: str, count: int) -> list:
    """Return a segment's column values in one read of its bytes where Whoosh's layout allows
    it: at 100,000 documents, a Python call per value made the first search after a new index
    generation take seconds."""
    try:
        raw = leaf.column_reader(name, translate=False)
        values = _column_bytes(raw, count)
    except (AttributeError, TypeError, ValueError, KeyError):
        values = None
    if values is None:
        return list(leaf.column_reader(name))
    field = leaf.schema[name]
    if type(field).from_column_value is FieldType.from_column_value and type(field).from_bytes is FieldType.from_bytes:
        return [v.decode("utf-8") for v in values]  # what Whoosh's text fields do, one call fewer per value
    return [field.from_column_value(v) for v in values]


def _column_bytes(reader, count: int) -> list | None:
    """Return the raw values of a variable-length or numeric column, or None for another kind."""
    from whoosh import columns

    if isinstance(reader, columns.VarBytesColumn.Reader):
        offsets, lengths = reader._offsets, reader._lengths
        end = int((np.asarray(offsets, dtype=np.int64) + np.asarray(lengths, dtype=np.int64)).max()) if count else 0
        blob = bytes(reader._dbfile.get(reader._basepos, end)) if end else b""
        return [blob[o : o + n] for o, n in zip(offsets, lengths)]
    if isinstance(reader, columns.NumericColumn.Reader):
        numbers = _numbers(reader, count)
        return None if numbers is None else numbers.tolist()
    return None


def _numbers(reader, count: int) -> np.ndarray | None:
    """Return a fixed-width numeric column as an array (stored values, then the default)."""
    from whoosh import columns

    if not isinstance(reader, columns.NumericColumn.Reader) or reader._reverse:
        return None
    stored = min(reader._count, count)
    data = reader._dbfile.get(reader._basepos, stored * reader._fixedlen) if stored else b""
    values = np.frombuffer(data, dtype=">" + reader._typecode)
    if stored < count:
        values = np.concatenate([values, np.full(count - stored, reader._default, dtype=values.dtype)])
    return values


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
