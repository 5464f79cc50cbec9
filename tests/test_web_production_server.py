"""The production server behind ``cramp-helper serve`` (waitress), over real sockets.

Timeouts are the shortest waitress allows (whole seconds), so the slow tests here take about a
second each; nothing sleeps longer than the server needs to act.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from skill.web.server import ServerLimits, create_app, make_server, stop_server

ROOT = Path(__file__).resolve().parents[1]
LIMITS = ServerLimits(
    channel_timeout=1, cleanup_interval=1, poll_seconds=1, connection_limit=2, max_body_bytes=4096
)
WAIT = 10.0  # the longest any step may take before the test fails (never slept through)


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    from skill.builder import build_answerer
    from skill.persistence.memory_store import InMemoryPersistenceAdapter

    app = create_app(build_answerer(InMemoryPersistenceAdapter()), verify=False)
    running = make_server(app, "127.0.0.1", 0, LIMITS)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    try:
        yield running
    finally:
        stop_server(running)
        thread.join(timeout=WAIT)
        assert not thread.is_alive(), "the server did not stop"


def _connect(server: Any) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.effective_port), timeout=WAIT)


def _closed(sock: socket.socket) -> bool:
    """True once the server has closed ``sock`` (waits up to the socket's timeout)."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def _closed_now(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except BlockingIOError:
        return False
    finally:
        sock.setblocking(True)


def _read_response(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def _launch_body() -> bytes:
    return json.dumps(
        {
            "version": "1.0",
            "session": {
                "new": True,
                "sessionId": "s",
                "application": {"applicationId": "a"},
                "user": {"userId": "u"},
            },
            "request": {
                "type": "LaunchRequest",
                "requestId": "r",
                "timestamp": "2026-01-01T00:00:00Z",
                "locale": "en-US",
            },
        }
    ).encode()


def test_a_half_sent_request_is_shed_after_the_timeout(server: Any) -> None:
    sock = _connect(server)
    try:
        sock.sendall(b'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"version"')
        started = time.monotonic()
        assert _closed(sock)
        elapsed = time.monotonic() - started
        assert elapsed >= LIMITS.channel_timeout - 0.1, "not before the timeout"
    finally:
        sock.close()


def test_connections_beyond_the_limit_wait_until_one_is_shed(server: Any) -> None:
    idle = [_connect(server) for _ in range(LIMITS.connection_limit)]
    waiting = _connect(server)
    try:
        for sock in idle:
            sock.sendall(b"POST / HTTP/1.1\r\n")  # half-sent: each holds a connection
        waiting.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = _read_response(waiting)
        assert answer.startswith(b"HTTP/1.1 200")
        # Served only once the idle connections had been shed.
        assert all(_closed_now(sock) for sock in idle)
    finally:
        for sock in [*idle, waiting]:
            sock.close()


def test_two_content_lengths_are_refused(server: Any) -> None:
    sock = _connect(server)
    try:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\n{}"
        )
        assert _read_response(sock).startswith(b"HTTP/1.1 400")
    finally:
        sock.close()


def test_an_oversized_body_is_refused_without_waiting_for_it(server: Any) -> None:
    sock = _connect(server)
    try:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n")
        sock.settimeout(LIMITS.channel_timeout / 2)  # answered before any timeout could act
        assert _read_response(sock).startswith(b"HTTP/1.1 413")
    finally:
        sock.close()


def test_a_launch_is_answered(server: Any) -> None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.effective_port}/", data=_launch_body(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=WAIT) as response:
        payload = json.loads(response.read())
    assert "Cramp Helper" in payload["response"]["outputSpeech"]["ssml"]


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError):
        ServerLimits(channel_timeout=0)
    with pytest.raises(ValueError):
        ServerLimits(connection_limit=0)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_cramp_helper_serve_answers_a_launch(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "CRAMP_HELPER_DB": str(tmp_path / "state.sqlite3"),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("CRAMP_HELPER_DYNAMODB_TABLE", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "skill.tools.cli", "serve", "--no-verify", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/", data=_launch_body(), method="POST"
                )
                with urllib.request.urlopen(request, timeout=WAIT) as response:
                    payload = json.loads(response.read())
                    served_by = response.headers.get("Server")
                break
            except OSError:
                if process.poll() is not None:
                    stderr = process.stderr.read().decode() if process.stderr else ""
                    raise AssertionError(f"the server stopped: {stderr}") from None
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.05)
        assert "Cramp Helper" in payload["response"]["outputSpeech"]["ssml"]
        assert served_by == "cramp-helper", "served by waitress, not a development server"
    finally:
        process.terminate()
        process.wait(timeout=WAIT)
