"""`casebook serve` as a real server on 127.0.0.1: slow clients do not lock out the others."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
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


@contextlib.contextmanager
def _serving(index_dir: Path, **env: str):
    """Run `casebook serve` over the fixture knowledge base; yield its URL and process."""
    port = _free_port()
    command = [str(Path(sys.executable).with_name("casebook")), "--cases", str(FIXTURES / "kb")]
    command += ["--index", str(index_dir), "serve", "--port", str(port), "--no-watch"]
    server = subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    os.set_blocking(server.stderr.fileno(), False)
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


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A server shared by the tests that do not change it, with a small body limit."""
    index_dir = tmp_path_factory.mktemp("served") / "index"
    with _serving(index_dir, CASEBOOK_SEARCH_LOG="off", CASEBOOK_MAX_REQUEST_BYTES="100000") as running:
        yield running


def _stderr(server) -> str:
    """Return what the server wrote to its log since the last call."""
    try:
        return (os.read(server.stderr.fileno(), 1 << 20) or b"").decode("utf-8", "replace")
    except BlockingIOError:
        return ""


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


def _post(url: str, body: bytes) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")
    except OSError:
        return 0, ""  # refused before the body was read: the connection closes under the sender


def test_a_body_over_the_limit_is_refused_in_chinese(served):
    base, _ = served
    status, page = _post(base + "/packs/tray", b"id=TD-2023-001&intro=" + b"x" * 150_000)
    assert status == 413 and "提交的内容过大：最多 100,000 字节" in page
    # Far above it, waitress refuses without buffering the body.
    assert _post(base + "/packs/tray", b"id=TD-2023-001&intro=" + b"x" * 1_000_000)[0] in (0, 413)


def test_a_burst_of_requests_leaves_no_queue_warnings(served):
    base, server = served
    _stderr(server)
    statuses: list[int] = []
    threads = [
        threading.Thread(target=lambda: statuses.extend(_status(base + "/?q=x", timeout=10) for _ in range(4)))
        for _ in range(24)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    assert statuses == [200] * 96
    time.sleep(0.2)
    assert "Task queue depth" not in _stderr(server)  # waitress logged it for most requests


def test_an_unwritable_search_log_leaves_the_real_server_serving(tmp_path):
    index_dir = tmp_path / "index"
    (index_dir / "searchlog.sqlite").mkdir(parents=True)  # SQLite cannot open a directory
    with _serving(index_dir, CASEBOOK_SEARCH_LOG="on") as (base, server):
        for q in ("%E5%BF%AB%E9%80%92", "%E4%B8%A2%E5%A4%B1", "x"):
            assert _status(f"{base}/?q={q}") == 200
        # Eight /insights at once held all of waitress's threads for good.
        statuses: list[int] = []
        threads = [
            threading.Thread(target=lambda: statuses.append(_status(base + "/insights", timeout=10))) for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(12)
        assert statuses == [200] * 8
        started = time.monotonic()
        assert _status(base + "/?q=%E9%A9%BF%E7%AB%99", timeout=5) == 200
        assert time.monotonic() - started < 1
        time.sleep(0.2)
        log = _stderr(server)
        assert log.count("cannot be written") == 1 and "Traceback" not in log


def test_waitress_options_come_from_the_settings():
    options = waitress_options(Settings(channel_timeout=12, connection_limit=345, max_request_bytes=6789))
    assert options["channel_timeout"] == 12 and options["connection_limit"] == 345
    assert options["max_request_body_size"] == 2 * 6789 and options["asyncore_use_poll"] is True
    assert options["cleanup_interval"] <= 12


def test_a_raw_chinese_url_is_served_not_refused_as_a_bad_uri(served):
    base, _ = served
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall("GET /laws/《邮政法》?x=快递 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and (chunk := sock.recv(65536)):
            answer += chunk
    head, _, body = answer.decode("utf-8", "replace").partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 200"), head
    assert "《邮政法》(2015) 第四十七条" in body and "Bad URI" not in body
