"""Follow the cases directory: refresh the index when files change (a pull, a saved file).

The operating system says what changed (watchdog: inotify, ReadDirectoryChangesW, FSEvents),
so an idle server does no work at all. A burst of events (a `git pull` of 300 files) is
gathered until the tree has been quiet for `debounce` seconds and becomes one refresh of
exactly the paths named. Where events are unavailable (network shares, no inotify watches
left) or their thread dies, a poll takes over (poller.py). While events flow, the same poll
of folder times (one `stat` per folder, no file sweep) runs every HEALTH_SECONDS as a safety
net for events the kernel or the event thread lost. A refresh that meets a running
`casebook index` waits for the lock and tries again; any other failure is logged and the
thread goes on.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Callable

from casebook.index.folders import FolderWatches
from casebook.index.lock import IndexBusyError
from casebook.index.poller import TreePoller

log = logging.getLogger("casebook.watcher")

HEALTH_SECONDS = 5.0  # how often the event thread is checked for life and folder times are looked at
IGNORED_EVENTS = {"opened", "closed_no_write", "attrib"}


class Watcher(threading.Thread):
    """A daemon thread that refreshes the index, by paths, when the tree changes."""

    def __init__(
        self,
        casebook,
        interval: float = 2.0,
        debounce: float = 0.3,
        max_delay: float = 1.0,
        retry: float = 1.0,
        events: bool = True,
        health: float = HEALTH_SECONDS,
        after_refresh: Callable[[], object] | None = None,
    ):
        super().__init__(name="casebook-watcher", daemon=True)
        self.casebook = casebook
        self.interval = interval  # between polls, when polling
        self.debounce, self.max_delay, self.retry = debounce, max_delay, retry
        self.use_events = events
        self.health = health  # while events flow: seconds between looks at threads and folder times
        # Called after a refresh that changed the index (the server warms its new searcher here,
        # so that the first visitor after an edit does not pay for reading the new generation).
        self.after_refresh = after_refresh
        self.mode = "poll"
        self.stopped = threading.Event()
        self.updates = 0  # refreshes that changed the index
        self.busy_retries = 0  # refreshes put off because another run held the lock
        self.failures = 0
        self.events = 0  # file events received (none from .git or other hidden folders)
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._pending: set[str] = set()
        self._everything = False  # look at every file (events were lost)
        self._first = self._last = 0.0  # monotonic times of the first and last pending change
        self._retry_at = 0.0
        self._blocked = False  # the last refresh failed: wait for the next change
        self._observer = None
        self._folders: FolderWatches | None = None
        self._watch_failed = False  # a new folder could not be watched (no inotify watches left)
        self._threads: list[threading.Thread] = []
        self._cases = os.path.realpath(casebook.cases_dir)
        self._index = os.path.realpath(casebook.settings.index_dir)
        self.poller = self._poller(events)

    # -- changes in -------------------------------------------------------------------------

    def note(self, paths: list[str] | None) -> None:
        """Record changed paths (relative to the cases directory); None means everything."""
        if paths == []:
            return
        now = time.monotonic()
        with self._lock:
            if paths is None:
                self._everything = True
            else:
                self._pending.update(paths)
            self._first = self._first or now
            self._last = now
            self._blocked = False
        self._wake.set()

    def relative(self, path: str) -> str | None:
        """Return a reported absolute path relative to the cases directory, or None to ignore it."""
        path = os.fsdecode(path)
        if path == self._index or path.startswith(self._index + os.sep):
            return None  # our own writes, when the index lives inside the cases directory
        rel = os.path.relpath(path, self._cases).replace(os.sep, "/")
        if rel == "." or rel.startswith("../") or rel == "..":
            return "" if rel == "." else None
        if any(part.startswith(".") for part in rel.split("/")):
            return None  # .git, editors' temporary files
        return rel

    def _on_event(self, event) -> None:
        self.events += 1
        try:
            if event.event_type in IGNORED_EVENTS or (event.is_directory and event.event_type == "modified"):
                return
            paths = [event.src_path, getattr(event, "dest_path", "")]
            rels = [rel for rel in (self.relative(p) for p in paths if p) if rel is not None]
            folders = self._folders
            if event.is_directory and folders is not None and rels:
                if event.event_type in ("deleted", "moved"):
                    folders.remove(rels[0])
                if event.event_type in ("created", "moved"):
                    try:
                        folders.add(rels[-1])  # before the refresh lists it: nothing added now is missed
                    except Exception:
                        self._watch_failed = True  # the loop falls back to polling
                        raise
            self.note(rels)
        except Exception:  # an odd path must not stop the event thread
            log.exception("could not read a file event")

    # -- the loop ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start following: file events are live when this returns, so no change slips by."""
        if self.use_events:
            self._start_events()
        super().start()

    def run(self) -> None:
        next_poll = time.monotonic() + (self.health if self.mode == "events" else self.interval)
        while not self.stopped.is_set():
            self._wake.wait(self._timeout(next_poll))
            self._wake.clear()
            if self.stopped.is_set():
                break
            try:
                now = time.monotonic()
                if self.mode == "events" and not self._events_alive():
                    self._fall_back("the file-event thread stopped")
                if now >= next_poll:
                    self.note(self.poller.changes())
                    next_poll = time.monotonic() + (self.health if self.mode == "events" else self.interval)
                if self._due(time.monotonic()):
                    self.refresh()
            except Exception:  # whatever the tree does, the thread goes on
                log.exception("watcher: unexpected error; going on")
        self._stop_events()

    def _timeout(self, next_poll: float) -> float:
        now = time.monotonic()
        with self._lock:
            waiting = (self._pending or self._everything) and not self._blocked
            due = max(min(self._last + self.debounce, self._first + self.max_delay), self._retry_at)
        timeout = next_poll - now
        if waiting:
            timeout = min(timeout, due - now)
        return max(timeout, 0.01)

    def _due(self, now: float) -> bool:
        with self._lock:
            if not (self._pending or self._everything) or self._blocked or now < self._retry_at:
                return False
            return now - self._last >= self.debounce or now - self._first >= self.max_delay

    def refresh(self) -> bool:
        """Run one incremental update of the pending paths; say whether it ran."""
        with self._lock:
            paths, everything = self._pending, self._everything
            self._pending, self._everything, self._first = set(), False, 0.0
        try:
            report = self.casebook.update_index(changed=None if everything else sorted(paths))
        except IndexBusyError as exc:
            self.busy_retries += 1
            log.info("%s; retrying in %.1fs", exc, self.retry)
            self._put_back(paths, everything, blocked=False)
            return False
        except Exception:  # a broken taxonomy, a file vanishing mid-read: the next change retries
            self.failures += 1
            log.exception("index refresh failed; will retry at the next change")
            self._put_back(paths, everything, blocked=True)
            return False
        if report.full or report.added or report.updated or report.removed:
            self.updates += 1
            log.warning("%s", report.summary())
            if self.after_refresh is not None:
                try:
                    self.after_refresh()
                except Exception:  # warming is an optimisation: the first search will do the work
                    log.exception("warming the new index failed")
        for problem in report.problems:
            log.warning("%s", problem)
        return True

    def _put_back(self, paths: set[str], everything: bool, blocked: bool) -> None:
        with self._lock:
            self._pending |= paths
            self._everything |= everything
            self._first = self._first or time.monotonic()
            self._retry_at = time.monotonic() + self.retry
            self._blocked = blocked

    def check_once(self) -> bool:
        """Poll the tree now and refresh if it changed (without waiting); say whether it did."""
        self.note(self.poller.changes())
        with self._lock:
            if not (self._pending or self._everything):
                return False
        return self.refresh()

    def stop(self) -> None:
        """Stop the thread (and the event observer) soon."""
        self.stopped.set()
        self._wake.set()

    # -- events -----------------------------------------------------------------------------

    def _start_events(self) -> None:
        try:
            from watchdog import events
            from watchdog.observers import Observer

            handler = events.FileSystemEventHandler()
            handler.on_any_event = self._on_event
            before = set(threading.enumerate())
            observer = Observer()
            observer.daemon = True
            # Only what changes content: not the opens and reads that every refresh does itself.
            wanted = [
                events.FileCreatedEvent,
                events.FileDeletedEvent,
                events.FileModifiedEvent,
                events.FileMovedEvent,
                events.FileClosedEvent,
                events.DirCreatedEvent,
                events.DirDeletedEvent,
                events.DirMovedEvent,
            ]
            self._observer = observer
            self._folders = FolderWatches(
                observer, handler, wanted, self._cases, self._index, self.casebook.settings.max_depth
            )
            self._folders.add("")
            observer.start()
            # The observer and (on Linux) the thread reading inotify, shared by every folder's
            # watch: if either dies, events stop. watchdog 7.1's inotify reader dies on a
            # RecursionError when a folder nested ~1,000 deep appears, while the others look
            # alive. Each folder's own emitter thread is checked apart (FolderWatches.alive):
            # it stops, as it should, when its folder goes.
            emitters = set(observer.emitters)
            self._threads = [
                t
                for t in set(threading.enumerate()) - before
                if type(t).__module__.startswith("watchdog") and t not in emitters
            ]
        except Exception as exc:  # no inotify watches left, an unsupported file system, ...
            self._fall_back(f"file events unavailable ({type(exc).__name__}: {exc})")
            return
        self.mode = "events"

    def _events_alive(self) -> bool:
        observer = self._observer
        alive = observer is not None and observer.is_alive() and all(t.is_alive() for t in self._threads)
        folders = self._folders
        return alive and not self._watch_failed and folders is not None and folders.alive()

    def _poller(self, events: bool) -> TreePoller:
        """Return a poller: the full fallback, or (while events flow) folder times only."""
        cases, depth = self.casebook.cases_dir, self.casebook.settings.max_depth
        if events:
            return TreePoller(cases, depth, sweep_seconds=float("inf"), follow_head=False)
        return TreePoller(cases, depth)

    def _fall_back(self, why: str) -> None:
        log.warning("watcher: %s; polling every %.1fs instead", why, self.interval)
        self._stop_events()
        self.mode = "poll"
        self.poller = self._poller(events=False)
        self.note(None)  # events may have been lost: look at everything once

    def _stop_events(self) -> None:
        observer, self._observer, self._folders = self._observer, None, None
        if observer is not None:
            try:
                observer.stop()
                if observer.is_alive():
                    observer.join(timeout=2)
            except Exception:
                log.exception("watcher: stopping the file-event thread failed")
