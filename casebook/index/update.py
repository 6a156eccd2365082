"""Incremental updates: re-index the files that changed, remove the ones that went.

The manifest is asked only about the files in question: every file when the caller cannot
say what changed (one listing of the tree, compared with one query), or only the files and
folders a watcher reported.
"""

from __future__ import annotations

import os
from pathlib import Path

from casebook.content.tree import Listing, admissible_dir, admissible_file, scan_tree
from casebook.index.generations import segment_files
from casebook.index.indexing import IndexReport, digest, entry_for, index_file
from casebook.index.manifest import Entry, Manifest


class _Owners:
    """Which file holds each case id: the manifest, plus this run's changes."""

    def __init__(self, manifest: Manifest):
        self.manifest = manifest
        self.added: dict[str, str] = {}
        self.gone: set[str] = set()  # files whose old entry this run removed

    def get(self, case_id: str) -> str | None:
        if case_id in self.added:
            return self.added[case_id]
        rel = self.manifest.owner(case_id)
        return None if rel is None or rel in self.gone else rel

    def __contains__(self, case_id: str) -> bool:
        return self.get(case_id) is not None

    def __getitem__(self, case_id: str) -> str | None:
        return self.get(case_id)

    def __setitem__(self, case_id: str, rel: str) -> None:
        self.added[case_id] = rel


def _look(cases_dir: Path, manifest: Manifest, changed, max_depth: int) -> tuple[Listing, dict]:
    """Return the files in question now, and what the manifest knows of the same scope."""
    if changed is None:
        return scan_tree(cases_dir, max_depth), manifest.stats()
    listing, known = Listing(), {}
    for rel in sorted({str(c).strip("/") for c in changed}):
        if not rel:
            return scan_tree(cases_dir, max_depth), manifest.stats()
        if admissible_file(cases_dir, rel, max_depth):
            listing.files[rel] = os.stat(cases_dir / rel)
        elif admissible_dir(cases_dir, rel, max_depth):
            sub = scan_tree(cases_dir, max_depth, under=rel)
            listing.files.update(sub.files)
            listing.problems.extend(sub.problems)
        entry = manifest.entry(rel)
        if entry is not None:
            known[rel] = (entry.mtime_ns, entry.size)
        known.update(manifest.stats(under=rel))
    return listing, known


def update_generation(
    cases_dir: Path, generation: Path, taxonomy, report: IndexReport, progress, changed, max_depth: int
) -> None:
    """Apply the changes of the cases directory to a kept generation, counting them in `report`."""
    from whoosh import index as whoosh_index

    with Manifest(generation) as manifest:
        listing, known = _look(cases_dir, manifest, changed, max_depth)
        files = listing.files
        report.problems.extend(listing.problems)
        owners = _Owners(manifest)
        upserts: list[Entry] = []
        removals = sorted(set(known) - set(files))
        candidates = sorted(rel for rel, st in files.items() if (st.st_mtime_ns, st.st_size) != known.get(rel))
        ix = whoosh_index.open_dir(str(generation))
        writer = None
        try:
            for rel in removals:
                writer = writer or ix.writer(limitmb=64)
                writer.delete_by_term("path", rel)
                owners.gone.add(rel)
                report.removed += 1
            for count, rel in enumerate(candidates, start=1):
                old = manifest.entry(rel)
                raw = (cases_dir / rel).read_bytes()
                if old and digest(raw) == old.digest:
                    upserts.append(entry_for(old.id, rel, old.digest, files[rel]))  # touched, not changed
                    continue
                writer = writer or ix.writer(limitmb=64)
                if old:
                    writer.delete_by_term("path", rel)
                    owners.gone.add(rel)
                entry = index_file(writer, cases_dir, rel, files[rel], taxonomy, owners, report, raw)
                if entry:
                    upserts.append(entry)
                    report.updated += bool(old)
                    report.added += not old
                elif old:
                    removals.append(rel)
                    report.removed += 1
                if progress:
                    progress(count, len(candidates))
            if writer is not None:
                writer.commit()
                writer = None
            if upserts or removals:
                manifest.write(upserts, removals, {"segments": segment_files(generation)})
            report.unchanged = manifest.count() - report.added - report.updated
            report.documents = ix.doc_count()
        finally:
            if writer is not None:
                writer.cancel()
            ix.close()
