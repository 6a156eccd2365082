"""A full build's worker processes: each indexes a share of the files into an index of its own.

Workers must not outlive the build. Killed by `kill -9` or SIGTERM, a parent cannot clean up,
and its workers used to live on, blocked on a pipe, 100-200 MB each. On Linux the kernel kills
them with the parent (`PR_SET_PDEATHSIG`); everywhere, a thread in each worker also watches the
parent's pid and ends the worker when the parent is gone.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Callable

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC

PARENT_POLL_SECONDS = 1.0
_PR_SET_PDEATHSIG = 1


def run_parts(work: Callable, shares: list[tuple]) -> list:
    """Run `work(*share)` for each share in its own process; return the results in order."""
    context = multiprocessing.get_context("spawn")  # never fork a threaded server
    with ProcessPoolExecutor(
        len(shares), mp_context=context, initializer=die_with_parent, initargs=(os.getpid(),)
    ) as pool:
        return list(pool.map(work, *zip(*shares)))


def die_with_parent(parent: int) -> None:
    """Make this process end when `parent` ends (run first thing in a worker)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the watching thread below still ends the worker
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), name="casebook-parent-watch", daemon=True).start()


def _watch_parent(parent: int) -> None:
    while True:
        threading.Event().wait(PARENT_POLL_SECONDS)
        if os.getppid() != parent:
            os._exit(1)


def combine(generation: Path, schema, part_dirs: list[Path]) -> None:
    """Move the segments of the part indexes into `generation` under one table of contents."""
    segments = []
    for part_dir in part_dirs:
        part = whoosh_index.open_dir(str(part_dir))
        segments.extend(part._segments())
        part.close()
        for path in part_dir.glob("MAIN_*"):
            if path.name != "MAIN_WRITELOCK":
                os.replace(path, generation / path.name)
        shutil.rmtree(part_dir)
    TOC(schema, segments, 1).write(FileStorage(str(generation)), "MAIN")
