"""The manifest of an index generation: which file gave which documents, in SQLite.

A JSON manifest had to be parsed whole (20,000 entries, then 100,000) before anything could be
decided, and rewritten whole after a one-file update. In SQLite an update touches its own rows,
a lookup is one indexed query, and the settings stamp is read without the files. The segment files
of the Whoosh index and their sizes are recorded too, so a truncated or missing segment is found
by a few `stat` calls instead of a failing search. Each folder's entries have a digest, the same
one the tree's walk computes from the files (`tree.folder_digest`): where the two agree, nothing
in that folder changed, and its entries need not be read.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from casebook.content.tree import FileStat, folder_digest
from casebook.errors import CasebookError
from casebook.index.lock import IndexBusyError

MANIFEST = "manifest.sqlite"
_FOLDERS = "CREATE TABLE IF NOT EXISTS folders (dir TEXT PRIMARY KEY, digest BLOB NOT NULL);"
_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    rel TEXT PRIMARY KEY, id TEXT NOT NULL, digest TEXT NOT NULL, mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS files_id ON files (id);
CREATE INDEX IF NOT EXISTS files_mtime ON files (mtime_ns);
"""
    + _FOLDERS
)
BUSY_SECONDS = 10.0  # how long a write waits for another program's transaction on the manifest
ALL_AT_ONCE = 50  # more folders changed than this: their digests come from one pass over every entry


class ManifestError(Exception):
    """The manifest cannot be read: missing, truncated or not a manifest."""


class ManifestBusyError(IndexBusyError):
    """Another program holds the manifest (a reader left a transaction open): try again, do not rebuild."""

    def __init__(self, path: Path, detail: str):
        CasebookError.__init__(self, f"{path} is in use by another program ({detail}); try again when it is free")
        self.pid = ""


def _failure(path: Path, exc: sqlite3.Error) -> Exception:
    """Return what a SQLite error means here: the manifest busy, or damaged."""
    if isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc)):
        return ManifestBusyError(path, str(exc))
    return ManifestError(f"{path}: {exc}")


@dataclass(frozen=True)
class Entry:
    """One indexed file (its path relative to the cases directory, as its documents carry it)."""

    rel: str
    id: str
    digest: str
    mtime_ns: int
    size: int

    def same_stat(self, mtime_ns: int, size: int) -> bool:
        """Say whether a file's stat still matches what was indexed."""
        return self.mtime_ns == mtime_ns and self.size == size


class Manifest:
    """An open manifest; `with Manifest(generation) as m:` closes it."""

    def __init__(self, generation: Path, create: bool = False):
        path = Path(generation) / MANIFEST
        if not create and not path.is_file():
            raise ManifestError(f"{path} is missing")
        try:
            self._db = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False)
            # No fsync: the manifest is derived data, and a write cut short by a crash is found by
            # `damage()` and rebuilt. Each fsync stalled a one-file update for seconds while
            # another process wrote heavily to the same disk.
            self._db.execute("PRAGMA synchronous=OFF")
            if create:
                self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise _failure(path, exc) from None
        self.path = path

    def __enter__(self) -> "Manifest":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()

    def _query(self, sql: str, args: tuple = ()) -> list[tuple]:
        try:
            return self._db.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise _failure(self.path, exc) from None

    def meta(self, key: str, default=None):
        """Return a value stored beside the entries (stamp, segments, ...), decoded from JSON."""
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return json.loads(rows[0][0]) if rows else default

    def stamp(self) -> dict:
        """Return the settings the index was built with; raise ManifestError when unreadable."""
        stamp = self.meta("stamp")
        if not isinstance(stamp, dict):
            raise ManifestError(f"{self.path}: no settings stamp")
        return stamp

    def check(self) -> None:
        """Read every page of the database; raise ManifestError when it is damaged."""
        result = self._query("PRAGMA quick_check")
        if result != [("ok",)]:
            raise ManifestError(f"{self.path}: {result[0][0] if result else 'unreadable'}")

    def count(self) -> int:
        """Return how many files the index holds."""
        return self._query("SELECT count(*) FROM files")[0][0]

    def stats(self, under: str = "") -> dict[str, FileStat]:
        """Return (mtime_ns, size) of every indexed file, or of those under a folder."""
        if not under:
            rows = self._query("SELECT rel, mtime_ns, size FROM files")
        else:
            prefix = under.rstrip("/") + "/"
            rows = self._query(
                "SELECT rel, mtime_ns, size FROM files WHERE rel >= ? AND rel < ?", (prefix, prefix[:-1] + "0")
            )
        return {rel: (mtime, size) for rel, mtime, size in rows}

    def folder_stats(self, rel_dir: str) -> dict[str, FileStat]:
        """Return (mtime_ns, size) of the indexed files directly in a folder (not in its sub-folders)."""
        if not rel_dir:
            rows = self._query("SELECT rel, mtime_ns, size FROM files WHERE instr(rel, '/') = 0")
        else:
            prefix = rel_dir.rstrip("/") + "/"
            rows = self._query(
                "SELECT rel, mtime_ns, size FROM files WHERE rel >= ? AND rel < ? AND instr(substr(rel, ?), '/') = 0",
                (prefix, prefix[:-1] + "0", len(prefix) + 1),
            )
        return {rel: (mtime, size) for rel, mtime, size in rows}

    def folder_digests(self) -> dict[str, bytes] | None:
        """Return the digest of each folder's indexed files; None for a manifest written before them."""
        if not self._has_folders():
            return None  # every file is compared once, and the digests are written
        return {rel_dir: bytes(digest) for rel_dir, digest in self._query("SELECT dir, digest FROM folders")}

    def _has_folders(self) -> bool:
        return bool(self._query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'folders'"))

    def entry(self, rel: str) -> Entry | None:
        """Return the entry of one file, or None when it is not indexed."""
        rows = self._query("SELECT rel, id, digest, mtime_ns, size FROM files WHERE rel = ?", (rel,))
        return Entry(*rows[0]) if rows else None

    def owner(self, case_id: str) -> str | None:
        """Return the file that holds a case id, or None."""
        rows = self._query("SELECT rel FROM files WHERE id = ? ORDER BY rel LIMIT 1", (case_id,))
        return rows[0][0] if rows else None

    def newest(self, limit: int) -> list[Entry]:
        """Return the most recently modified files, newest first."""
        rows = self._query("SELECT rel, id, digest, mtime_ns, size FROM files ORDER BY mtime_ns DESC LIMIT ?", (limit,))
        return [Entry(*row) for row in rows]

    def begin_write(self) -> None:
        """Take the manifest for the next `write` now; raise ManifestBusyError while another program holds it.

        An update takes it before committing the index's new segments: were the manifest then
        found busy, the index would hold segments the manifest does not list, and the next run
        would rebuild the index as damaged.
        """
        try:
            self._db.execute("BEGIN EXCLUSIVE")  # waits BUSY_SECONDS for readers to finish
        except sqlite3.Error as exc:
            raise _failure(self.path, exc) from None

    def write(self, upserts: list[Entry], removals: list[str], meta: dict) -> None:
        """Change entries and meta values in one transaction, with the digests of the folders touched."""
        touched = {_folder_of(rel) for rel in removals} | {_folder_of(e.rel) for e in upserts}
        try:
            if not self._db.in_transaction:  # begin_write() may have taken the manifest already
                self._db.execute("BEGIN IMMEDIATE")
            # A manifest written before folder digests gets all of them at its first write,
            # whatever that write touches: a folder without one would never be looked at again.
            all_folders = not self._has_folders()
            self._db.execute(_FOLDERS)
            self._db.executemany("DELETE FROM files WHERE rel = ?", [(rel,) for rel in removals])
            self._db.executemany(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)",
                [(e.rel, e.id, e.digest, _int64(e.mtime_ns), e.size) for e in upserts],
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                [(key, json.dumps(value, ensure_ascii=False)) for key, value in meta.items()],
            )
            self._write_digests(None if all_folders or len(touched) > ALL_AT_ONCE else touched)
            self._db.execute("COMMIT")
        except (sqlite3.Error, ManifestError, ManifestBusyError) as exc:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            if not isinstance(exc, sqlite3.Error):
                raise
            raise _failure(self.path, exc) from None

    def _write_digests(self, folders: set[str] | None) -> None:
        """Recompute the digests of some folders (None: of all) from their entries."""
        if folders is None:
            grouped: dict[str, dict[str, FileStat]] = {}
            for rel, mtime, size in self._db.execute("SELECT rel, mtime_ns, size FROM files"):
                grouped.setdefault(_folder_of(rel), {})[rel] = (mtime, size)
            self._db.execute("DELETE FROM folders")
        else:
            grouped = {rel_dir: self.folder_stats(rel_dir) for rel_dir in folders}
        for rel_dir, stats in grouped.items():
            if not stats:
                self._db.execute("DELETE FROM folders WHERE dir = ?", (rel_dir,))
                continue
            ordered = sorted((rel.rpartition("/")[2], pair) for rel, pair in stats.items())
            digest = folder_digest([n for n, _ in ordered], [p[0] for _, p in ordered], [p[1] for _, p in ordered])
            self._db.execute("INSERT OR REPLACE INTO folders VALUES (?, ?)", (rel_dir, digest))


def _int64(value: int) -> int:
    """Keep a time SQLite can store: a file dated past 2262 is then re-read on every run, never lost."""
    return max(-(2**63), min(value, 2**63 - 1))


def _folder_of(rel: str) -> str:
    return rel.rpartition("/")[0]


def read_stamp(generation: Path) -> dict | None:
    """Return a generation's settings stamp, or None when its manifest cannot be read."""
    try:
        with Manifest(generation) as manifest:
            return manifest.stamp()
    except (ManifestError, ValueError):
        return None
