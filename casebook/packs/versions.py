"""Versions of case files, for handouts that say what they were built from.

A version is the short hash of the git commit that last changed the file, when the file is
committed and unmodified in a git work tree; otherwise `sha1:` and the first 12 hex digits of
the file's content hash. Either way, equal versions mean equal content.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from casebook.content.model import Case
from casebook.errors import NotFoundError
from casebook.git import file_history, run, work_tree_root

if TYPE_CHECKING:
    from casebook.packs.pack import Pack

CONTENT_PREFIX = "sha1:"


@dataclass(frozen=True)
class StatusLine:
    """How one case of a pack stands against the versions a build recorded."""

    id: str
    state: str  # unchanged | changed | new (not in the last build) | missing (no such case now) | dropped
    built: str | None
    current: str | None
    diff: str = ""  # unified diff of the case file, when git can tell
    note: str = ""

    @property
    def changed(self) -> bool:
        return self.state != "unchanged"

    def __str__(self) -> str:
        versions = f"{self.built or '-'} -> {self.current or '-'}"
        note = f" ({self.note})" if self.note else ""
        return f"{self.id}: {self.state} {versions}{note}"


def case_version(case: Case, cases_dir: Path) -> str:
    """Return the version of one case's file."""
    return case_versions([case], cases_dir)[case.id]


def case_versions(cases: Iterable[Case], cases_dir: Path) -> dict[str, str]:
    """Return {case id: version} for many cases with three git calls in all, however many cases."""
    files = {case.id: case_file(case, cases_dir) for case in cases}
    commits = file_history(cases_dir, list(files.values()))
    dirty = _dirty_files(cases_dir) if commits else set()
    versions = {}
    base = cases_dir.resolve()
    for case_id, path in files.items():
        resolved = path.resolve()
        commit = commits.get(resolved.relative_to(base).as_posix()) if resolved.is_relative_to(base) else None
        committed = commit is not None and resolved not in dirty
        versions[case_id] = commit.hash if committed else content_version(path)
    return versions


def content_version(path: Path) -> str:
    """Return the content-hash version of a file."""
    return CONTENT_PREFIX + hashlib.sha1(path.read_bytes()).hexdigest()[:12]


def case_file(case: Case, cases_dir: Path) -> Path:
    """Return the file a loaded case came from; raise NotFoundError if it is gone."""
    shown = Path(case.path)
    for candidate in (shown, cases_dir / shown):
        if candidate.is_file():
            return candidate
    raise NotFoundError(f"{case.id}: its file {case.path} no longer exists")


def _dirty_files(cases_dir: Path) -> set[Path]:
    """Return files under cases_dir that differ from HEAD or are untracked."""
    root = work_tree_root(cases_dir)
    if root is None:
        return set()
    out = run(root, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", str(cases_dir.resolve()))
    dirty: set[Path] = set()
    entries = iter((out or "").split("\0"))
    for entry in entries:
        if len(entry) < 4:
            continue
        dirty.add((root / entry[3:]).resolve())
        if entry[0] in "RC":
            next(entries, None)  # the source path of a rename or copy
    return dirty


def _same(built: str, current: str) -> bool:
    """Say whether two versions name the same content."""
    if built.startswith(CONTENT_PREFIX) or current.startswith(CONTENT_PREFIX):
        return built == current
    # git abbreviates hashes to as many digits as the repository needs, which grows with it.
    return built.startswith(current) or current.startswith(built)


def pack_status(
    pack: Pack,
    built_versions: Mapping[str, str],
    current_versions: Mapping[str, str],
    cases_dir: Path,
    cases: Mapping[str, Case],
) -> list[StatusLine]:
    """Compare each case of the pack with the version its handouts were built from."""
    lines: list[StatusLine] = []
    root = work_tree_root(cases_dir)
    for case_id in pack.ids:
        built, current = built_versions.get(case_id), current_versions.get(case_id)
        if current is None or case_id not in cases:
            lines.append(StatusLine(case_id, "missing", built, None, note="no case has this id now"))
        elif built is None:
            lines.append(StatusLine(case_id, "new", None, current, note="not in the last build"))
        elif _same(built, current):
            lines.append(StatusLine(case_id, "unchanged", built, current))
        elif built.startswith(CONTENT_PREFIX) or root is None:
            lines.append(StatusLine(case_id, "changed", built, current, note="content changed; no git history to diff"))
        else:
            path = case_file(cases[case_id], cases_dir).resolve()
            diff = run(root, "diff", "--no-color", "--no-ext-diff", built, "--", str(path))
            if diff == "":  # later commits changed it back
                lines.append(StatusLine(case_id, "unchanged", built, current, note="same content as built"))
            else:
                note = "" if diff is not None else f"git does not know commit {built}"
                lines.append(StatusLine(case_id, "changed", built, current, diff or "", note))
    for case_id in built_versions:
        if case_id not in pack.ids:
            lines.append(StatusLine(case_id, "dropped", built_versions[case_id], None, note="no longer in the pack"))
    return lines
