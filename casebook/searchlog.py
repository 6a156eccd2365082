"""The search log: what handlers searched for and opened, so editors see what is missing.

Stored in SQLite beside the index. Queries are scrubbed of personal data before they are
written (a handler may paste a phone number); nothing identifies who searched.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from .privacy import scan_text

SCHEMA = """
CREATE TABLE IF NOT EXISTS searches (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    q TEXT NOT NULL,
    filters TEXT NOT NULL,
    total INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS clicks (
    search_id INTEGER NOT NULL REFERENCES searches(id),
    case_id TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS searches_at ON searches(at);
"""


def scrub(text: str) -> str:
    """Replace personal data found in a query with ＊ of the same length."""
    chars = list(text)
    for finding in scan_text(text):
        if finding.line != 1:
            continue
        for i in range(finding.col - 1, min(len(chars), finding.col - 1 + len(finding.value))):
            chars[i] = "＊"
    return "".join(chars)


@dataclass(frozen=True)
class QueryStat:
    """How often a query was searched, and how often it found or opened nothing."""

    q: str
    filters: str
    searches: int
    last_total: int
    clicks: int


class SearchLog:
    """Append-only log of searches and the cases opened from them."""

    def __init__(self, path: Path):
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=5)
        connection.executescript(SCHEMA)
        return connection

    def record_search(self, q: str, filters: dict, total: int) -> int:
        """Record one search; return its id for click tracking."""
        with self._connect() as db:
            cursor = db.execute(
                "INSERT INTO searches (at, q, filters, total) VALUES (?, ?, ?, ?)",
                (time.time(), scrub(q.strip())[:200], json.dumps(filters, ensure_ascii=False, sort_keys=True), total),
            )
            search_id = cursor.lastrowid
        db.close()
        return search_id

    def record_click(self, search_id: int, case_id: str) -> None:
        """Record that a case was opened from a search's results."""
        with self._connect() as db:
            db.execute("INSERT INTO clicks (search_id, case_id, at) VALUES (?, ?, ?)", (search_id, case_id, time.time()))
        db.close()

    def report(self, days: int = 28, limit: int = 50) -> tuple[list[QueryStat], list[QueryStat]]:
        """Return the most frequent zero-result queries and no-click queries of recent days."""
        since = time.time() - days * 86400
        query = """
            SELECT s.q, s.filters, COUNT(DISTINCT s.id) AS n,
                   (SELECT total FROM searches t WHERE t.q = s.q AND t.filters = s.filters ORDER BY t.at DESC LIMIT 1),
                   COUNT(c.case_id)
            FROM searches s LEFT JOIN clicks c ON c.search_id = s.id
            WHERE s.at >= ? AND s.q != ''
            GROUP BY s.q, s.filters
        """
        with self._connect() as db:
            rows = [QueryStat(*row) for row in db.execute(query, (since,))]
        db.close()
        zero = sorted((r for r in rows if r.last_total == 0), key=lambda r: (-r.searches, r.q))[:limit]
        unclicked = sorted((r for r in rows if r.last_total > 0 and r.clicks == 0), key=lambda r: (-r.searches, r.q))[:limit]
        return zero, unclicked
