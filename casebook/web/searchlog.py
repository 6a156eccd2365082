"""The search log: what handlers searched for and opened, so editors see what is missing.

Stored in SQLite beside the index. Queries are scrubbed of personal data before they are
written (a handler may paste a phone number); nothing identifies who searched.
"""

from __future__ import annotations

import json
import queue
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from casebook.content.privacy import scan_text

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
    """Append-only log of searches and the cases opened from them.

    Writes go through a queue to one background thread, so a page never waits for SQLite
    (a commit cost 14 ms and serialised the server's threads). Search ids are random, made
    here, so the page can link clicks to its search before the row is written.
    """

    def __init__(self, path: Path):
        self.path = path
        self._queue: queue.Queue = queue.Queue()
        self._writer: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=10)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.executescript(SCHEMA)
        return connection

    def _start(self) -> None:
        with self._start_lock:
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(target=self._write_forever, name="casebook-searchlog", daemon=True)
                self._writer.start()

    def _write_forever(self) -> None:
        db = self._connect()
        try:
            while True:
                batch = [self._queue.get()]
                while not self._queue.empty() and len(batch) < 500:
                    batch.append(self._queue.get_nowait())
                try:
                    with db:
                        for sql, params in batch:
                            db.execute(sql, params)
                finally:
                    for _ in batch:
                        self._queue.task_done()
        finally:
            db.close()

    def flush(self) -> None:
        """Wait until every queued line is written."""
        if self._writer is not None:
            self._queue.join()

    def record_search(self, q: str, filters: dict, total: int) -> int:
        """Queue one search; return its id for click tracking."""
        self._start()
        search_id = secrets.randbits(48)
        row = (
            search_id,
            time.time(),
            scrub(q.strip())[:200],
            json.dumps(filters, ensure_ascii=False, sort_keys=True),
            total,
        )
        self._queue.put(("INSERT INTO searches (id, at, q, filters, total) VALUES (?, ?, ?, ?, ?)", row))
        return search_id

    def record_click(self, search_id: int, case_id: str) -> None:
        """Queue the fact that a case was opened from a search's results."""
        self._start()
        self._queue.put(
            ("INSERT INTO clicks (search_id, case_id, at) VALUES (?, ?, ?)", (search_id, case_id, time.time()))
        )

    def report(self, days: int = 28, limit: int = 50) -> tuple[list[QueryStat], list[QueryStat]]:
        """Return the most frequent zero-result queries and no-click queries of recent days."""
        self.flush()
        since = time.time() - days * 86400
        query = """
            SELECT s.q, s.filters, COUNT(DISTINCT s.id) AS n,
                   (SELECT total FROM searches t WHERE t.q = s.q AND t.filters = s.filters ORDER BY t.at DESC LIMIT 1),
                   COUNT(c.case_id)
            FROM searches s LEFT JOIN clicks c ON c.search_id = s.id
            WHERE s.at >= ? AND s.q != ''
            GROUP BY s.q, s.filters
        """
        db = self._connect()
        try:
            rows = [QueryStat(*row) for row in db.execute(query, (since,))]
        finally:
            db.close()
        zero = sorted((r for r in rows if r.last_total == 0), key=lambda r: (-r.searches, r.q))[:limit]
        unclicked = sorted((r for r in rows if r.last_total > 0 and r.clicks == 0), key=lambda r: (-r.searches, r.q))[
            :limit
        ]
        return zero, unclicked
