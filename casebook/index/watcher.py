"""Follow the cases directory: refresh the index when files change (a pull, a saved file)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

log = logging.getLogger("casebook.watcher")


def tree_fingerprint(cases_dir: Path) -> tuple:
    """Return a cheap fingerprint of every file under the cases directory (names, sizes, times)."""
    entries = []
    for path in cases_dir.rglob("*"):
        if path.is_file() and not path.name.startswith("."):
            stat = path.stat()
            entries.append((path.as_posix(), stat.st_mtime_ns, stat.st_size))
    return tuple(sorted(entries))


class Watcher(threading.Thread):
    """A daemon thread that polls the tree and runs an incremental index update on change."""

    def __init__(self, casebook, interval: float = 2.0):
        super().__init__(name="casebook-watcher", daemon=True)
        self.casebook = casebook
        self.interval = interval
        self.stopped = threading.Event()
        self.updates = 0
        self._last = tree_fingerprint(casebook.cases_dir)

    def check_once(self) -> bool:
        """Update the index if the tree changed since the last look; say whether it did."""
        current = tree_fingerprint(self.casebook.cases_dir)
        if current == self._last:
            return False
        self._last = current
        try:
            report = self.casebook.update_index()
        except Exception:  # a broken taxonomy must not kill the thread; the next change retries
            log.exception("index refresh failed")
            return False
        self.updates += 1
        log.warning("%s", report.summary())
        for problem in report.problems:
            log.warning("%s", problem)
        return True

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            self.check_once()

    def stop(self) -> None:
        self.stopped.set()
