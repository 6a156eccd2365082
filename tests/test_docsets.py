"""Bitmask document sets: amounts against plain Python."""

from __future__ import annotations

import random
import statistics

import pytest
from whoosh.fields import ID, NUMERIC, Schema
from whoosh.filedb.filestore import RamStorage

from casebook.search.docsets import DocSets


@pytest.fixture(scope="module")
def docsets():
    schema = Schema(key=ID(stored=True), amount=NUMERIC(int, bits=64, sortable=True), date=ID(sortable=True))
    ix = RamStorage().create_index(schema)
    rng = random.Random(7)
    amounts = [rng.choice([-1, -1, rng.randint(1, 500000)]) for _ in range(500)]
    with ix.writer() as writer:
        for n, cents in enumerate(amounts):
            writer.add_document(key=str(n), amount=cents, date=f"2020-01-{n % 28 + 1:02d}-{n:04d}")
    searcher = ix.searcher()
    yield DocSets(searcher), amounts
    searcher.close()


def test_amount_stats_match_statistics(docsets):
    sets, amounts = docsets
    rng = random.Random(3)
    for _ in range(20):
        chosen = {d for d in range(len(amounts)) if rng.random() < 0.3}
        mask = sum(1 << d for d in chosen)
        paid = sorted(amounts[d] / 100 for d in chosen if amounts[d] > 0)
        stats = sets.amount_stats(mask)
        assert (stats.count, stats.median, stats.low, stats.high) == (
            len(paid),
            statistics.median(paid),
            paid[0],
            paid[-1],
        )
    assert sets.amount_stats(0).count == 0
