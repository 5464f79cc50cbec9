"""Web service throughput: concurrent clients against a server in another process.

The server (:mod:`benchmarks.serve`) runs in its own interpreter so client and server do not
share a GIL. Every request is a signed StretchIntent (the floor skill: its one intent),
signed once up front with the test PKI from ``tests/web_pki.py``; the server verifies the
signature (chain fetched once, then cached), the timestamp and the application id.

At each concurrency level the clients first run for a short unmeasured warm-up, then for a
fixed duration; requests per second counts the requests completed inside that window, and
p99 is taken over their latencies. Any non-200 answer counts as an error. Werkzeug's server
closes every connection after its response (``Connection: close``, even in HTTP/1.1), so each
request opens a new TCP connection, as it would against ``run_server``.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks import workload
from benchmarks.stats import percentile

Request = tuple[bytes, dict[str, str]]


@dataclass(frozen=True)
class Throughput:
    clients: int
    requests: int
    errors: int
    seconds: float
    p50_ns: float
    p99_ns: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def write_pki(directory: Path) -> object:
    """Make the test PKI; write the chain and the trusted root for the server; return it."""
    from cryptography.hazmat.primitives import serialization

    from tests.web_pki import make_pki

    pki = make_pki()
    (directory / "chain.pem").write_bytes(pki.chain)
    (directory / "root.pem").write_bytes(pki.root.public_bytes(serialization.Encoding.PEM))
    return pki


def signed_requests(app: str, pki: object, users: int = 64) -> list[Request]:
    from tests.web_pki import NOW

    if app == "floor":
        events = [workload.floor_intent(at=NOW)]
    else:
        events = [
            workload.stretch(user_id=f"amzn1.ask.account.WEB-{index:03d}", at=NOW)
            for index in range(users)
        ]
    requests: list[Request] = []
    for event in events:
        body = json.dumps(event).encode()
        if app == "bare":
            requests.append((body, {"Content-Type": "application/json"}))
        else:
            requests.append((body, pki.headers(body)))  # type: ignore[attr-defined]
    return requests


class Server:
    """``python -m benchmarks.serve APP DIR`` as a context manager; ``port`` once ready."""

    def __init__(self, app: str, directory: Path, lifetime: float = 120.0) -> None:
        self.app = app
        self.directory = directory
        self.lifetime = lifetime
        self.port = 0
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> Server:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.serve", self.app, str(self.directory),
             "--lifetime", str(self.lifetime)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=workload.ROOT,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline().strip()
        if not line.startswith("READY "):
            self.__exit__(None, None, None)
            raise RuntimeError(f"benchmark server {self.app} did not start: {line!r}")
        self.port = int(line.split()[1])
        return self

    def __exit__(self, *exc_info: object) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()  # the server exits when its standard input closes
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def drive(port: int, requests: list[Request], clients: int, duration: float,
          warmup: float) -> Throughput:
    """Run ``clients`` keep-alive clients for ``warmup`` + ``duration`` seconds."""
    barrier = threading.Barrier(clients + 1)
    latencies: list[list[int]] = [[] for _ in range(clients)]
    errors = [0] * clients
    window: list[float] = []

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = latencies[index]
        position = index
        barrier.wait()
        measure_from, stop_at = window
        try:
            while True:
                started = time.perf_counter()
                if started >= stop_at:
                    break
                body, headers = requests[position % len(requests)]
                position += clients
                try:
                    connection.request("POST", "/", body=body, headers=headers)
                    response = connection.getresponse()
                    response.read()
                    ok = response.status == 200
                except (OSError, http.client.HTTPException):
                    ok = False
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                finished = time.perf_counter()
                if started >= measure_from and finished <= stop_at:
                    if ok:
                        mine.append(int((finished - started) * 1e9))
                    else:
                        errors[index] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    now = time.perf_counter()
    window.extend([now + warmup, now + warmup + duration])
    barrier.wait()
    for thread in threads:
        thread.join()
    everything = [value for values in latencies for value in values]
    return Throughput(
        clients=clients,
        requests=len(everything),
        errors=sum(errors),
        seconds=duration,
        p50_ns=percentile(everything, 50),
        p99_ns=percentile(everything, 99),
    )


def throughputs(
    apps: list[str], levels: list[int], duration: float, warmup: float, directory: Path
) -> dict[str, list[Throughput]]:
    pki = write_pki(directory)
    results: dict[str, list[Throughput]] = {}
    for app in apps:
        requests = signed_requests(app, pki)
        with Server(app, directory) as server:
            results[app] = [
                drive(server.port, requests, clients, duration, warmup) for clients in levels
            ]
    return results
