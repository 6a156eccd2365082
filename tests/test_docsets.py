"""Bitmask document sets: counting, amounts and best-first ranking against plain Python."""

from __future__ import annotations

import random
import statistics

import pytest
from whoosh.fields import ID, NUMERIC, Schema
from whoosh.filedb.filestore import RamStorage

from casebook.search.docsets import DocSets, at_least
from casebook.search.searcher import best_first


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


def test_at_least():
    masks = [0b1011, 0b0110, 0b1110]
    assert at_least(masks, 1) == 0b1111
    assert at_least(masks, 2) == 0b1110
    assert at_least(masks, 3) == 0b0010


def test_best_first_equals_brute_force(docsets):
    sets, _ = docsets
    rng = random.Random(11)
    recency = sets.recency()
    for _ in range(30):
        features = [
            (round(rng.uniform(0.1, 5), 3), sum(1 << d for d in range(500) if rng.random() < 0.2))
            for _ in range(rng.randint(1, 8))
        ]
        features.sort(key=lambda f: -f[0])
        allowed = sum(1 << d for d in range(500) if rng.random() < 0.7)
        expected = sorted(
            (
                (round(sum(w for w, m in features if m >> d & 1), 4), recency[d], d)
                for d in range(500)
                if allowed >> d & 1
            ),
            reverse=True,
        )[:10]
        assert best_first(features, allowed, 10, sets.newest) == [(score, d) for score, _, d in expected]
