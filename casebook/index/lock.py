"""One lock for every operation that writes the index, held by the operating system.

The lock is a file lock (`flock` on POSIX, `msvcrt.locking` on Windows) on `index.lock` in the
index folder: the kernel drops it when its holder dies, even by `kill -9`, so a crashed run never
leaves a stale lock behind. The holder's pid is written into the file for the message the second
caller sees.
"""

from __future__ import annotations

import os
from pathlib import Path

from casebook.errors import CasebookError

LOCK_FILE = "index.lock"


class IndexBusyError(CasebookError):
    """Another process (or thread) is writing the index; try again when it is done."""

    def __init__(self, lock_path: Path, pid: str):
        self.pid = pid
        who = f"pid {pid}" if pid else "pid unknown"
        super().__init__(f"another index is running, {who} (lock: {lock_path}); try again when it has finished")


class IndexLock:
    """An exclusive, non-blocking lock on an index folder: `with IndexLock(index_dir): ...`."""

    def __init__(self, index_dir: Path):
        self.path = Path(index_dir) / LOCK_FILE
        self._fd: int | None = None

    def __enter__(self) -> "IndexLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _lock(fd)
        except OSError:
            os.close(fd)
            raise IndexBusyError(self.path, _read_pid(self.path)) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return self

    def __exit__(self, *exc) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                os.ftruncate(fd, 0)
                _unlock(fd)
            finally:
                os.close(fd)


def _read_pid(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii", errors="replace").strip()[:20]
    except OSError:
        return ""


if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
