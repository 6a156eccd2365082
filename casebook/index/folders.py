"""File-event watches on the folders of the tree, one per folder, never on hidden ones.

A recursive watch on the cases directory also reports everything under .git: a `git gc`
after a large commit deletes and writes tens of thousands of objects there, and at 100,000
cases the event thread spent 37 % of a core on those events while the server was otherwise
idle. Watching each folder of the tree on its own (the kernel keeps one watch per folder
either way) leaves .git, editors' hidden folders and the index out of sight.
"""

from __future__ import annotations

import os


class FolderWatches:
    """The watches of an observer on a tree's folders, added and removed as folders come and go."""

    def __init__(self, observer, handler, event_filter: list, root: str, index: str, max_depth: int):
        self.observer, self.handler, self.event_filter = observer, handler, event_filter
        self.root, self.index, self.max_depth = root, index, max_depth
        self.watches: dict[str, object] = {}  # folder, relative to the root ("" for the root) -> watch

    def add(self, rel: str) -> None:
        """Watch a folder and every folder below it (not hidden ones, not links, not too deep)."""
        stack = [(rel, rel.count("/") + 1 if rel else 0)]
        while stack:
            folder, depth = stack.pop()
            path = os.path.join(self.root, folder) if folder else self.root
            if folder in self.watches or path == self.index:
                continue
            if not os.path.isdir(path) or os.path.islink(path):
                continue  # gone again (its parent's events say so), or a link the walk never enters
            # Watched before it is listed: a sub-folder made in between is then either listed
            # or reported. A failure here (no inotify watches left) is the caller's: it falls
            # back to polling.
            self.watches[folder] = self.observer.schedule(
                self.handler, path, recursive=False, event_filter=self.event_filter
            )
            try:
                entries = list(os.scandir(path))
            except OSError:
                continue  # gone since: its parent's events say so
            if depth < self.max_depth:
                stack.extend(
                    (f"{folder}/{entry.name}" if folder else entry.name, depth + 1)
                    for entry in entries
                    if not entry.name.startswith(".") and entry.is_dir(follow_symlinks=False)
                )

    def alive(self) -> bool:
        """Say whether every watched folder that still exists still has a live emitter."""
        emitters = {emitter.watch: emitter for emitter in self.observer.emitters}
        for folder, watch in list(self.watches.items()):
            emitter = emitters.get(watch)
            if emitter is not None and emitter.is_alive():
                continue
            if os.path.isdir(os.path.join(self.root, folder) if folder else self.root):
                return False  # a folder still there is no longer followed
            # Gone, and its emitter with it: the parent's event unwatches it (or did already).
        return True

    def remove(self, rel: str) -> None:
        """Stop watching a folder that went (or moved), and the folders below it."""
        for folder in [f for f in self.watches if f == rel or f.startswith(rel + "/")]:
            watch = self.watches.pop(folder)
            try:
                self.observer.unschedule(watch)
            except (KeyError, OSError):
                pass  # the kernel dropped the watch with the folder
