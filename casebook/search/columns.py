"""A segment's columns read whole, and kept across searchers: a segment never changes once written.

Whoosh hands out column values (ids, kinds, dates, amounts, field lengths) one Python call per
document; at 100,000 documents the first search on a new index took seconds reading them.
Here a segment's column is read from its bytes in one go where Whoosh's layout allows it, and
what was read is kept per segment id: an update adds a small segment (deletions live apart),
so the searcher opened after it reads only the new segment.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
from whoosh.fields import FieldType

SEGMENT_ENTRIES = 256  # per-segment reads kept across searchers (about 17 per segment)


class SegmentCache:
    """Values computed from one segment, kept under keys that start with the segment's id
    (unique to each segment Whoosh writes)."""

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


def leaf_values(leaf, name: str) -> list:
    """Return one segment's column values (read once per segment, shared by searchers)."""
    return SEGMENTS.get((segment_key(leaf), "values", name), _leaf_values, leaf, name, leaf.doc_count_all())


def leaf_lengths(leaf, field: str, count: int) -> np.ndarray:
    """Return one segment's field lengths (read once per segment, shared by searchers)."""
    return SEGMENTS.get((segment_key(leaf), "lengths", field), _leaf_lengths, leaf, field, count)


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
