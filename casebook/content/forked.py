"""Share a list of work between this process and forked copies of it, on the cores the machine has.

Made for one job: taking the stat of 100,000 files, which is time spent in the kernel, one call
per file, and which two processes do in little more than half the time. Threads do not help
there: handing the interpreter lock back and forth costs more than the call it waits for.

A forked child computes its share, sends the result back marshalled through a pipe and leaves
with `os._exit` (no cleanup of the parent's state runs in it). Whatever goes wrong in a child, its
share is computed again here. Where fork is unsafe or missing (threads running, Windows), or the
work is small, everything runs in this process.
"""

from __future__ import annotations

import marshal
import os
import signal
import threading
from typing import Callable

MAX_PROCESSES = 4


def map_shared(
    work: Callable[[list], list], items: list, processes: int, weight: Callable[[object], int] = lambda item: 1
) -> list:
    """Return `work(items)`, computed in shares by up to `processes` processes (one per core at most).

    `work` must return one marshallable result per item, in order; `weight` says how much work
    an item is, so that the shares are even.
    """
    processes = min(processes, _cores(), MAX_PROCESSES, len(items))
    if processes < 2 or not hasattr(os, "fork") or threading.active_count() > 1:
        return work(items)
    shares = _split(items, processes, weight)
    children: list[tuple[int, int]] = []
    try:
        for share in shares[1:]:
            children.append(_start(work, share))
        results = work(shares[0])
        for share in shares[1:]:
            pid, reader = children.pop(0)  # _collect closes and reaps, whatever happens in it
            got = _collect(pid, reader, len(share))
            results.extend(work(share) if got is None else got)
        return results
    finally:
        for pid, reader in children:  # interrupted (Ctrl-C, an error here): no child is left behind
            _abandon(pid, reader)


def _cores() -> int:
    """Return the cores this process may run on (a container may allow fewer than the machine has)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _split(items: list, parts: int, weight: Callable[[object], int]) -> list[list]:
    """Cut items into consecutive shares of about equal weight."""
    total = sum(weight(item) for item in items) or 1
    shares: list[list] = [[]]
    done = 0
    for item in items:
        if done >= total * len(shares) / parts and len(shares) < parts:
            shares.append([])
        shares[-1].append(item)
        done += weight(item)
    return [share for share in shares if share]


def _start(work: Callable[[list], list], share: list) -> tuple[int, int]:
    reader, writer = os.pipe()
    # No signal may reach the new child before it has left the caller's code behind: a Python
    # handler run there (Ctrl-C) would raise out of os.fork() into the caller's except and
    # finally clauses, and release, say, the index lock the parent still holds.
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
    try:
        pid = os.fork()
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        os.close(reader)
        os.close(writer)
        raise
    if pid == 0:  # the child: never return into the caller's code
        status = 1
        try:
            for signum in signal.valid_signals():
                if callable(signal.getsignal(signum)):
                    signal.signal(signum, signal.SIG_DFL)  # a signal now ends the child; its share is redone
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            os.close(reader)
            data = marshal.dumps(work(share))
            view = memoryview(data)
            while view:
                view = view[os.write(writer, view) :]
            status = 0
        finally:
            os._exit(status)
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    os.close(writer)
    return pid, reader


def _collect(pid: int, reader: int, count: int) -> list | None:
    """Return a child's results, or None when it failed."""
    chunks = []
    try:
        while chunk := os.read(reader, 1 << 20):
            chunks.append(chunk)
    finally:
        os.close(reader)
        status = _reap(pid)
    try:
        results = marshal.loads(b"".join(chunks)) if status == 0 else None
    except (EOFError, ValueError, TypeError):
        return None
    return results if isinstance(results, list) and len(results) == count else None


def _reap(pid: int) -> int:
    """Wait for a child; return its status (0 when the system reaped it: what it sent decides)."""
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:  # SIGCHLD ignored, as some supervisors leave it: the kernel reaped it
        return 0


def _abandon(pid: int, reader: int) -> None:
    os.close(reader)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _reap(pid)
