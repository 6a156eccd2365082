"""The Casebook service: settings, vocabulary and the open index, shared by the site and the CLI."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from whoosh import index as whoosh_index

from casebook.config import Settings
from casebook.content.loader import LoadResult, load_tree
from casebook.content.taxonomy import TAXONOMY_FILE, Taxonomy, load_taxonomy
from casebook.content.text import SizeLimits
from casebook.content.vocabulary import Vocabulary, load_vocabulary
from casebook.errors import NotFoundError
from casebook.index.build import update_index
from casebook.index.generations import current_generation
from casebook.index.indexing import IndexReport
from casebook.index.manifest import MANIFEST, Manifest, ManifestError, read_stamp
from casebook.index.schema import SCHEMA_VERSION

if TYPE_CHECKING:  # searching pulls in numpy and the query machinery: `casebook index` needs neither
    from casebook.search.results import SearchRequest, SearchResult
    from casebook.search.searcher import Searcher

REFRESH_CHECK_SECONDS = 1.0  # how stale a searcher may be; checking costs a directory listing
RETIRE_SECONDS = 60.0  # how long a replaced searcher stays open for requests still using it


class Casebook:
    """One knowledge base: its data files, and a searcher that follows index rebuilds."""

    def __init__(self, settings: Settings):
        self.settings = settings.validated()
        self._lock = threading.Lock()
        self._taxonomy: Taxonomy | None = None
        self._vocabulary: Vocabulary | None = None
        self._index = None
        self._index_key = None
        self._shared = None  # (index, Whoosh searcher, DocSets)
        self._checked = 0.0  # when the index was last checked for changes (monotonic)
        self._retired: list = []  # (when, Whoosh searcher) replaced by a newer one
        self._read_lock = threading.RLock()  # one reader of the shared searcher at a time

    @property
    def cases_dir(self) -> Path:
        return self.settings.cases_dir

    @property
    def taxonomy(self) -> Taxonomy:
        if self._taxonomy is None:
            self._taxonomy = load_taxonomy(self.cases_dir)
        return self._taxonomy

    @property
    def vocabulary(self) -> Vocabulary:
        if self._vocabulary is None:
            self._vocabulary = load_vocabulary(self.cases_dir)
        return self._vocabulary

    def reload_data(self) -> None:
        """Forget the taxonomy and vocabulary so the next use reads them again."""
        self._taxonomy = self._vocabulary = None

    def taxonomy_digest(self) -> str:
        """Return a digest of the taxonomy file, recorded in the index."""
        return hashlib.sha1((self.cases_dir / TAXONOMY_FILE).read_bytes()).hexdigest()

    @property
    def size_limits(self) -> SizeLimits:
        """Return the case file size limits the settings give."""
        return SizeLimits(self.settings.case_warn_bytes, self.settings.case_max_bytes)

    def load(self) -> LoadResult:
        """Load and validate every file (what `casebook check` reports)."""
        return load_tree(self.cases_dir, self.taxonomy, self.settings.max_depth, self.size_limits)

    def update_index(
        self,
        full: bool = False,
        progress: Callable[[int, int], None] | None = None,
        changed: Iterable[str] | None = None,
    ) -> IndexReport:
        """Bring the index up to date (rebuilding it when needed); `changed` limits the look.

        Raise IndexBusyError while another process or thread holds the index lock.
        """
        self.reload_data()
        try:
            with self._lock:
                return update_index(
                    self.cases_dir,
                    self.settings.index_dir,
                    self.taxonomy,
                    self.vocabulary,
                    self.settings.segmenter,
                    self.taxonomy_digest(),
                    full=full,
                    progress=progress,
                    changed=changed,
                    max_depth=self.settings.max_depth,
                    limits=self.size_limits,
                )
        finally:
            self._checked = 0.0  # the next search looks for the new index at once

    def has_index(self) -> bool:
        """Say whether a built index exists."""
        return current_generation(self.settings.index_dir) is not None

    def _open_index(self):
        """Return the open Whoosh index of the live generation, reopening after a swap."""
        generation = current_generation(self.settings.index_dir)
        if generation is not None and generation != self._index_key and not self._compatible(generation):
            generation = None
        if generation is None:
            # No index yet, or one written by another version of Casebook: never misread it.
            self.update_index()
            generation = current_generation(self.settings.index_dir)
        if self._index is None or self._index_key != generation:
            with self._lock:
                if self._index is None or self._index_key != generation:
                    self._index = whoosh_index.open_dir(str(generation))
                    self._index_key = generation
        return self._index

    @staticmethod
    def _compatible(generation: Path) -> bool:
        """Say whether an index generation was written with this schema version."""
        stamp = read_stamp(generation)
        return stamp is not None and stamp.get("schema_version") == SCHEMA_VERSION

    def index_version(self) -> tuple:
        """Return a key that changes whenever the index does (for caches built from it)."""
        generation = current_generation(self.settings.index_dir)
        if generation is None:
            return (None, 0)
        try:
            return (generation.name, (generation / MANIFEST).stat().st_mtime_ns)
        except OSError:
            return (generation.name, 0)

    def searcher(self) -> Searcher:
        """Return the shared searcher, refreshed if the index changed since its last use.

        One Whoosh searcher (reading through mmap) and one set of cached document sets
        serve every thread; a change of generation or a new commit replaces both.
        """
        from casebook.search.docsets import DocSets
        from casebook.search.searcher import Searcher

        current = self._shared
        now = time.monotonic()
        if current is not None and now - self._checked < REFRESH_CHECK_SECONDS:
            return Searcher(current[1], self.vocabulary, current[2], self._read_lock)
        self._checked = now
        ix = self._open_index()
        if current is not None and current[0] is ix and current[1].up_to_date():
            return Searcher(current[1], self.vocabulary, current[2], self._read_lock)
        with self._lock:
            current = self._shared
            if current is None or current[0] is not ix or not current[1].up_to_date():
                whoosh_searcher = ix.searcher()
                if current is not None:
                    # A request may still be reading the old searcher: close it a little later.
                    self._retired.append((now, current[1]))
                self._close_retired(now - RETIRE_SECONDS)
                self._shared = current = (ix, whoosh_searcher, DocSets(whoosh_searcher))
        return Searcher(current[1], self.vocabulary, current[2], self._read_lock)

    def search(self, request: SearchRequest, relax: bool = True) -> SearchResult:
        """Run a search request; when it finds nothing, run the best loosened one instead (unless
        `relax` is False) and say so in `result.relaxed`.

        Only dropping a filter or a word is applied by itself: what the user typed stays
        recognisable. The site, the JSON API and the CLI all show this same result.
        """
        searcher = self.searcher()
        result = searcher.search(request)
        if not relax or result.total or not result.suggestions:
            return result
        from casebook.search.relaxing import loosened

        best = result.suggestions[0]
        relaxed = searcher.search(loosened(request, best), suggest=False)
        relaxed.relaxed = best
        relaxed.suggestions = [s for s in result.suggestions if s is not best]
        relaxed.spelling = result.spelling
        return relaxed

    def matched_words(self, request: SearchRequest, text: str) -> list[str]:
        """Return the words of a text that a search request matches, for highlighting a page."""
        return self.searcher().matched_words(request, text)

    def document(self, case_id: str) -> dict:
        """Return the stored record of a case or manual: front matter, body and path."""
        stored = self.searcher().document(key=case_id)
        if stored is None:
            raise NotFoundError(f"no case or manual has the id '{case_id}'")
        record = json.loads(stored["meta"])
        record.update(body=stored.get("body", ""), path=stored.get("path"))
        return record

    def last_commit(self, rel_path: str):
        """Return the last git commit that changed a case file, or None outside git."""
        from casebook.git import file_history

        found = file_history(self.cases_dir, [self.cases_dir / rel_path])
        return found.get(rel_path)

    def recent(self, limit: int = 30) -> list[dict]:
        """Return recently added or changed cases, newest first: from git, else file times."""
        from casebook.git import recent_changes

        searcher = self.searcher()
        out = []
        changes = recent_changes(self.cases_dir, self.cases_dir, limit)
        if changes:
            for change in changes:
                stored = searcher.document(path=change.path, kind="case") or searcher.document(
                    path=change.path, kind="manual"
                )
                if stored:
                    out.append(
                        {
                            "id": stored["id"],
                            "title": stored["title"],
                            "type": stored["type"],
                            "status": change.status,
                            "date": change.commit.day,
                            "commit": change.commit.hash,
                            "subject": change.commit.subject,
                        }
                    )
            return out
        for entry in self.newest_files(limit):
            stored = searcher.document(key=entry.id)
            if stored:
                day = time.strftime("%Y-%m-%d", time.localtime(entry.mtime_ns / 1e9))
                out.append(
                    {
                        "id": stored["id"],
                        "title": stored["title"],
                        "type": stored["type"],
                        "status": "modified",
                        "date": day,
                        "commit": None,
                        "subject": None,
                    }
                )
        return out

    def newest_files(self, limit: int) -> list:
        """Return the index's most recently modified files (manifest entries), newest first."""
        generation = current_generation(self.settings.index_dir)
        if generation is None:
            return []
        try:
            with Manifest(generation) as manifest:
                return manifest.newest(limit)
        except ManifestError:
            return []  # being replaced; the next request reads the new one

    def _close_retired(self, before: float) -> None:
        keep = []
        for when, old in self._retired:
            if when <= before:
                old.close()
            else:
                keep.append((when, old))
        self._retired = keep

    def close(self) -> None:
        """Close the shared searcher, the replaced ones, and the open index."""
        self._close_retired(float("inf"))
        if self._shared is not None:
            self._shared[1].close()
            self._shared = None
        if self._index is not None:
            self._index.close()
            self._index = None
