"""The stat of every name the tree's walk listed: the file kind, time and size, taken in shares.

At 100,000 files this is most of an index run that finds nothing changed: one call per name,
time spent in the kernel, which the machine's cores share (forked.py). The walk (tree.py) cuts
each folder's names into shares; what comes back per share is its files (names, mtimes, sizes)
and its other entries worth a look (folders and links, with their mode).
"""

from __future__ import annotations

import os
import stat as st
from functools import partial
from pathlib import Path

from casebook.content.forked import map_shared

STAT_CHUNK = 4096  # names per share of the stat work
PARALLEL_FROM = 20_000  # names: below this a second process costs more than it saves


def shares(rel_dir: str, names: list[str]) -> list[tuple[str, list[str]]]:
    """Cut one folder's names into shares."""
    return [(rel_dir, names[i : i + STAT_CHUNK]) for i in range(0, len(names), STAT_CHUNK)]


def take(root: Path, suffix: str, work_shares: list[tuple[str, list[str]]]) -> list[tuple]:
    """Return what each share holds (see `_stat_shares`), in order, from one or more processes."""
    count = sum(len(names) for _, names in work_shares)
    work = partial(_stat_shares, str(root), suffix)
    return map_shared(work, work_shares, 1 + count // PARALLEL_FROM, _share_size)


def _share_size(share: tuple[str, list[str]]) -> int:
    return len(share[1])


def _stat_shares(root: str, suffix: str, shares: list[tuple[str, list[str]]]) -> list[tuple]:
    """Return for each share its files (names, mtimes, sizes) and its other entries (name, mode) worth a look."""
    results = []
    for rel_dir, names in shares:
        kept, mtimes, sizes, others = [], [], [], []
        results.append((kept, mtimes, sizes, others))
        path = os.path.join(root, rel_dir) if rel_dir else root
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)) if _STAT_IN_FOLDER else None
        except OSError:
            continue  # the folder went: so did its names
        if fd is not None:
            lstat = partial(os.stat, dir_fd=fd, follow_symlinks=False)
        else:
            lstat = partial(_lstat_in, path)
        try:
            for name in names:  # 100,000 times: the kind is read off the mode bits, not by calls
                try:
                    info = lstat(name)
                except OSError:
                    continue  # removed while we looked
                kind = info.st_mode & _KIND
                if kind == st.S_IFREG:
                    if name.endswith(suffix):
                        kept.append(name)
                        mtimes.append(info.st_mtime_ns)
                        sizes.append(info.st_size)
                elif kind == st.S_IFDIR or kind == st.S_IFLNK:
                    others.append((name, info.st_mode))
        finally:
            if fd is not None:
                os.close(fd)
    return results


def _lstat_in(path: str, name: str) -> os.stat_result:
    return os.lstat(os.path.join(path, name))


_KIND = 0o170000  # the file-type bits of st_mode (stat.S_IFMT)


# Where the system can, a folder is opened once and its names are looked up relative to it.
_STAT_IN_FOLDER = os.stat in os.supports_dir_fd and os.listdir in os.supports_fd
