"""The search log: what handlers searched for and opened, so editors see what is missing.

Stored in SQLite beside the index. Every logged value, query and filters alike, is scrubbed of
personal data before it is written (a handler may paste a phone number); nothing identifies
who searched. The log serves editors only: it must never slow or break a page, so a log that
cannot be written loses rows, counts them and says so once, and the site serves on.
"""

from __future__ import annotations

import json
import logging
import queue
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from casebook.content.privacy import scrub as privacy_scrub

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
CREATE INDEX IF NOT EXISTS searches_q ON searches(q, filters, at);
CREATE INDEX IF NOT EXISTS clicks_search ON clicks(search_id);
"""

QUEUE_SIZE = 1000  # rows waiting for the writer; beyond this they are dropped and counted
BATCH_SIZE = 500
FLUSH_SECONDS = 1.0  # how long /insights waits for queued rows before reading
REPORT_SECONDS = 5.0  # how long /insights may read before it says the log is unavailable
RETRY_SECONDS = 30.0  # how long a failing log waits before opening the database again
PRUNE_SECONDS = 3600.0
SEARCH_ID_BITS = 48  # ids are made here; anything larger in a URL was not

log = logging.getLogger("casebook.searchlog")


def scrub(text: str) -> str:
    """Return a logged value on one line with its personal data replaced by ＊."""
    # The privacy guard's own scrub: numbers disguised with zero-width characters, dots, dashes,
    # spaces or other digits are found as in case files. One line keeps /insights readable.
    return privacy_scrub(" ".join(text.split()))


class SearchLogUnavailable(Exception):
    """The search log cannot be read: /insights says so instead of failing."""


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

    Writes go through a bounded queue to one background thread, so a page never waits for
    SQLite (a commit cost 14 ms and serialised the server's threads). Search ids are random,
    made here, so the page can link clicks to its search before the row is written.
    """

    def __init__(self, path: Path, weeks: int = 8, max_rows: int = 100_000):
        self.path = path
        self.weeks = weeks
        self.max_rows = max_rows
        self.lost = 0  # rows not written: queue full or database failing
        self.error: str | None = None  # the current failure, None while writes succeed
        self._queue: queue.Queue = queue.Queue(maxsize=QUEUE_SIZE)
        self._pending = 0  # rows queued and not yet written or given up
        self._overflowed = False  # said once in the server log
        self._done = threading.Condition()
        self._writer: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=5)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.executescript(SCHEMA)
        return connection

    def _start(self) -> None:
        with self._start_lock:
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(target=self._write_forever, name="casebook-searchlog", daemon=True)
                self._writer.start()

    def _put(self, sql: str, params: tuple) -> None:
        self._start()
        with self._done:
            self._pending += 1
        try:
            self._queue.put_nowait((sql, params))
        except queue.Full:
            if not self._overflowed:
                self._overflowed = True
                log.warning("search log %s falls behind: rows beyond %d waiting are dropped", self.path, QUEUE_SIZE)
            self._finish(1, lost=bool(sql))  # a flush marker is not a lost row

    def _finish(self, rows: int, lost: bool = False) -> None:
        with self._done:
            self._pending -= rows
            if lost:
                self.lost += rows
            self._done.notify_all()

    def _write_forever(self) -> None:
        db: sqlite3.Connection | None = None
        retry_at = prune_at = 0.0
        since_prune = 0
        while True:
            batch = [self._queue.get()]
            while len(batch) < BATCH_SIZE:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            rows = [(sql, params) for sql, params in batch if sql]
            markers = len(batch) - len(rows)  # flush() asking for the limits to hold now
            try:
                if db is None:
                    if time.monotonic() < retry_at:
                        self._finish(len(rows), lost=True)
                        self._finish(markers)
                        continue
                    db = self._connect()
                with db:
                    for sql, params in rows:
                        db.execute(sql, params)
                since_prune += len(rows)
                if markers or time.monotonic() >= prune_at or since_prune >= min(1000, self.max_rows):
                    self._prune(db)
                    prune_at, since_prune = time.monotonic() + PRUNE_SECONDS, 0
                self._recovered()
                self._finish(len(batch))
            except Exception as exc:  # noqa: BLE001 (whatever goes wrong, the writer must live on)
                self._failed(exc)
                self._finish(len(rows), lost=True)
                self._finish(markers)
                if db is not None:
                    db.close()
                    db = None
                retry_at = time.monotonic() + RETRY_SECONDS

    def _failed(self, exc: Exception) -> None:
        if self.error is None:
            log.warning("search log %s cannot be written, searches go unlogged: %s", self.path, exc)
        self.error = f"{type(exc).__name__}: {exc}"

    def _recovered(self) -> None:
        if self.error is not None:
            log.warning("search log %s is written again; %d rows were lost", self.path, self.lost)
            self.error = None

    def _prune(self, db: sqlite3.Connection) -> None:
        """Delete rows older than the retention period, then the oldest beyond the row limit."""
        cutoff = time.time() - self.weeks * 7 * 86400
        with db:
            db.execute("DELETE FROM searches WHERE at < ?", (cutoff,))
            db.execute(
                "DELETE FROM searches WHERE id IN (SELECT id FROM searches ORDER BY at DESC LIMIT -1 OFFSET ?)",
                (self.max_rows,),
            )
            db.execute("DELETE FROM clicks WHERE at < ? OR search_id NOT IN (SELECT id FROM searches)", (cutoff,))

    def flush(self, timeout: float = FLUSH_SECONDS) -> bool:
        """Wait until every queued row is written or given up, at most timeout seconds; the
        retention limits hold once it returns True (between flushes they are applied in batches)."""
        self._put("", ())  # a marker: the writer prunes when it reaches it
        deadline = time.monotonic() + timeout
        with self._done:
            while self._pending > 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._done.wait(remaining)
        return True

    def record_search(self, q: str, filters: dict, total: int) -> int:
        """Queue one search, every value scrubbed; return its id for click tracking."""
        search_id = secrets.randbits(SEARCH_ID_BITS)
        clean = {name: [scrub(v[:200])[:60] for v in values] for name, values in filters.items()}
        row = (
            search_id,
            time.time(),
            scrub(q[:1000])[:200],
            json.dumps(clean, ensure_ascii=False, sort_keys=True),
            total,
        )
        self._put("INSERT INTO searches (id, at, q, filters, total) VALUES (?, ?, ?, ?, ?)", row)
        return search_id

    def record_click(self, search_id: int, case_id: str) -> None:
        """Queue the fact that a case was opened from a search's results."""
        if not 0 < search_id < 2**SEARCH_ID_BITS:
            return  # not an id this log made; SQLite could not even store some
        self._put(
            "INSERT INTO clicks (search_id, case_id, at) VALUES (?, ?, ?)", (search_id, case_id[:100], time.time())
        )

    def report(self, days: int = 28, limit: int = 50) -> tuple[list[QueryStat], list[QueryStat]]:
        """Return the most frequent zero-result and no-click queries of recent days.

        Raise SearchLogUnavailable when the log cannot be read within REPORT_SECONDS.
        """
        self.flush()
        if not self.path.exists():
            return [], []
        since = time.time() - days * 86400
        query = """
            SELECT s.q, s.filters, COUNT(DISTINCT s.id) AS n,
                   (SELECT total FROM searches t WHERE t.q = s.q AND t.filters = s.filters ORDER BY t.at DESC LIMIT 1),
                   COUNT(c.case_id)
            FROM searches s LEFT JOIN clicks c ON c.search_id = s.id
            WHERE s.at >= ? AND s.q != ''
            GROUP BY s.q, s.filters
        """
        deadline = time.monotonic() + REPORT_SECONDS
        try:
            db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=REPORT_SECONDS)
            try:
                db.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)
                rows = [QueryStat(*row) for row in db.execute(query, (since,))]
            finally:
                db.close()
        except sqlite3.Error as exc:
            raise SearchLogUnavailable(f"{type(exc).__name__}: {exc}") from None
        zero = sorted((r for r in rows if r.last_total == 0), key=lambda r: (-r.searches, r.q))[:limit]
        unclicked = sorted((r for r in rows if r.last_total > 0 and r.clicks == 0), key=lambda r: (-r.searches, r.q))[
            :limit
        ]
        return zero, unclicked
