"""The fallback where file events are unavailable: a cheap look at git HEAD and folder times.

A folder's modification time changes when a file in it is created, removed or renamed (which
is how git and most editors write), so each look costs one `stat` per folder, not per file,
and only folders that changed are listed again. A file rewritten in place changes no folder
time: a slow sweep of every file (SWEEP_SECONDS) catches those, and a new git HEAD (a
checkout, a pull) asks for a look at everything.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from casebook.content.tree import MAX_DEPTH

SWEEP_SECONDS = 60.0


def git_head(root: Path) -> str:
    """Return the commit (or ref) the repository around `root` is on; '' outside git."""
    folder = Path(root).resolve()
    for candidate in (folder, *folder.parents):
        dot_git = candidate / ".git"
        if dot_git.exists():
            break
    else:
        return ""
    try:
        if dot_git.is_file():  # a worktree: "gitdir: <path>"
            dot_git = Path(dot_git.read_text(encoding="utf-8").split(":", 1)[1].strip())
        head = (dot_git / "HEAD").read_text(encoding="utf-8").strip()
        if head.startswith("ref: "):
            ref = head[5:]
            ref_file = dot_git / ref
            return ref + " " + (ref_file.read_text(encoding="utf-8").strip() if ref_file.is_file() else "packed")
        return head
    except (OSError, IndexError, UnicodeDecodeError):
        return ""


class TreePoller:
    """Remembers each folder's time and files; `changes()` says what changed since the last look."""

    def __init__(
        self, root: Path, max_depth: int = MAX_DEPTH, sweep_seconds: float = SWEEP_SECONDS, follow_head: bool = True
    ):
        self.root = Path(root)
        self.follow_head = follow_head
        self.max_depth = max_depth
        self.sweep_seconds = sweep_seconds
        self._folders: dict[str, tuple[int, dict[str, tuple[int, int]]]] = {}
        self._head = git_head(self.root) if follow_head else ""
        self._swept = time.monotonic()
        self._record("", 0)

    def changes(self) -> list[str] | None:
        """Return the relative paths that changed; None when everything should be looked at."""
        changed: list[str] = []
        sweep = time.monotonic() - self._swept >= self.sweep_seconds
        for rel in list(self._folders):
            if rel not in self._folders:
                continue  # removed with its parent during this look
            try:
                mtime = os.stat(self._path(rel)).st_mtime_ns
            except OSError:
                mtime = None
            if sweep or mtime != self._folders[rel][0]:
                self._relist(rel, changed)
        if sweep:
            self._swept = time.monotonic()
        head = git_head(self.root) if self.follow_head else ""
        if head != self._head:
            self._head = head
            return None
        return changed

    def _path(self, rel: str) -> str:
        return os.path.join(self.root, rel) if rel else str(self.root)

    def _read(self, rel: str) -> tuple[int, dict[str, tuple[int, int]], list[str]] | None:
        """Return a folder's time, its files' (mtime, size) and its sub-folders; None if unreadable."""
        files: dict[str, tuple[int, int]] = {}
        folders = []
        try:
            mtime = os.stat(self._path(rel)).st_mtime_ns
            entries = list(os.scandir(self._path(rel)))
        except OSError:
            return None
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    folders.append(f"{rel}/{entry.name}" if rel else entry.name)
                elif entry.is_file():
                    stat = entry.stat()
                    files[entry.name] = (stat.st_mtime_ns, stat.st_size)
            except OSError:
                continue  # removed while we looked
        return mtime, files, folders

    def _record(self, rel: str, depth: int) -> None:
        """Record a folder and everything below it, down to the depth limit."""
        stack = [(rel, depth)]
        while stack:
            folder, level = stack.pop()
            found = self._read(folder)
            if found is None:
                continue
            self._folders[folder] = found[:2]
            if level < self.max_depth:
                stack.extend((sub, level + 1) for sub in found[2] if sub not in self._folders)

    def _relist(self, rel: str, changed: list[str]) -> None:
        """List one folder again; add its changed files and new or vanished sub-folders to `changed`."""
        before = self._folders[rel][1]
        found = self._read(rel)
        if found is None:
            self._forget(rel)
            changed.append(rel)
            return
        mtime, files, folders = found
        self._folders[rel] = (mtime, files)
        prefix = f"{rel}/" if rel else ""
        changed.extend(prefix + name for name in set(before) | set(files) if before.get(name) != files.get(name))
        old = {r for r in self._folders if r and _parent(r) == rel}
        for gone in old - set(folders):
            self._forget(gone)
            changed.append(gone)
        depth = rel.count("/") + 1 if rel else 0
        for new in set(folders) - old:
            if depth + 1 <= self.max_depth:
                self._record(new, depth + 1)
                changed.append(new)

    def _forget(self, rel: str) -> None:
        for other in [r for r in self._folders if r == rel or r.startswith(rel + "/")]:
            del self._folders[other]


def _parent(rel: str) -> str:
    return rel.rsplit("/", 1)[0] if "/" in rel else ""
