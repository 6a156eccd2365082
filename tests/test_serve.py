"""`casebook serve` as a real server on 127.0.0.1: slow clients do not lock out the others."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from casebook.cli.serving import waitress_options
from casebook.config import Settings

from .conftest import FIXTURES

SLOW_CLIENTS = 120  # more than waitress's default connection limit of 100


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _status(url: str, timeout: float = 2.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


@pytest.fixture
def served(tmp_path):
    """A `casebook serve` subprocess over the fixture knowledge base; yields its base URL."""
    port = _free_port()
    env = {**os.environ, "CASEBOOK_SEARCH_LOG": "off"}
    command = [str(Path(sys.executable).with_name("casebook")), "--cases", str(FIXTURES / "kb")]
    command += ["--index", str(tmp_path / "index"), "serve", "--port", str(port), "--no-watch"]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while _status(base + "/api/search?q=x") != 200:
            assert server.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        yield base, server
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stderr.close()


def test_a_normal_request_answers_while_slow_clients_hold_connections(served):
    base, server = served
    port = int(base.rsplit(":", 1)[1])
    slow = []
    try:
        # Slow loris: each client sends the start of a request and never finishes its headers.
        for _ in range(SLOW_CLIENTS):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            slow.append(sock)
        time.sleep(0.5)  # let the server accept them all
        for sock in slow:
            sock.sendall(b"X-Slow: 1\r\n")  # still trickling, so not idle
        started = time.monotonic()
        assert _status(base + "/api/search?q=%E5%BF%AB%E9%80%92", timeout=5) == 200
        assert time.monotonic() - started < 5
    finally:
        for sock in slow:
            sock.close()
    assert server.poll() is None


def test_waitress_options_come_from_the_settings():
    options = waitress_options(Settings(channel_timeout=12, connection_limit=345, max_request_bytes=6789))
    assert options["channel_timeout"] == 12 and options["connection_limit"] == 345
    assert options["max_request_body_size"] == 6789 and options["asyncore_use_poll"] is True
    assert options["cleanup_interval"] <= 12
