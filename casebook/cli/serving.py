"""How `casebook serve` runs waitress: connection limits and timeouts from the settings."""

from __future__ import annotations

import logging

from casebook.config import Settings

# Sockets the process needs besides client connections: index segments, the search log, git.
SPARE_FILES = 256


def waitress_options(settings: Settings) -> dict:
    """Return waitress's connection and size options, set from Casebook's settings."""
    return {
        # Waitress reads requests on one thread and only hands complete ones to the workers,
        # so a slow client holds a connection, not a thread: allow many, drop idle ones.
        "connection_limit": settings.connection_limit,
        "channel_timeout": settings.channel_timeout,
        "cleanup_interval": max(1, min(30, settings.channel_timeout // 2)),
        # Twice the site's limit: bodies a little over it reach the site, which refuses them with
        # a message in Chinese; waitress refuses larger ones before buffering them.
        "max_request_body_size": 2 * settings.max_request_bytes,
        # select() cannot watch more than 1,024 sockets; poll() can (waitress ignores it on Windows).
        "asyncore_use_poll": True,
        "expose_tracebacks": False,
    }


def accept_raw_utf8_uris() -> None:
    """Let waitress take a request line with raw UTF-8 (`GET /laws/《邮政法》`) as its percent-encoded
    form, instead of answering a bare English 'Bad URI'."""
    # Browsers always percent-encode; curl, scripts and pasted links in some chat tools do not.
    # Waitress's split_uri fails on any non-ASCII byte before the site sees the request.
    from urllib.parse import quote_from_bytes

    import waitress.parser

    original = waitress.parser.split_uri
    if getattr(original, "casebook", False):
        return

    def split_uri(uri: bytes):
        if not uri.isascii():
            uri = quote_from_bytes(uri, safe="/?#&=%:;@!$'()*+,~[]").encode("ascii")
        return original(uri)

    split_uri.casebook = True
    waitress.parser.split_uri = split_uri


def quiet_waitress() -> None:
    """Silence waitress's per-request 'Task queue depth' warning, which is normal under load."""
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)


def raise_open_file_limit(settings: Settings) -> None:
    """Raise the soft limit on open files so the connection limit can be reached (POSIX only)."""
    try:
        import resource
    except ImportError:  # Windows: no such limit to raise
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = settings.connection_limit + SPARE_FILES
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass  # the limit stays; connections beyond it are refused, not crashed on
