"""A benchmark web server in its own process: ``python -m benchmarks.serve APP PKI_DIR``.

APP is ``project`` (Cramp Helper, in-memory store), ``project-sqlite`` (Cramp Helper, SQLite
store in PKI_DIR), ``floor`` (the hello-world skill behind Flask) or ``bare`` (a WSGI app that
only parses and dumps the JSON body: the physical floor, no verification).

The skills verify every request: signature against the test chain in PKI_DIR (``chain.pem``,
trusted root ``root.pem``; fetched once, then cached), timestamp against the test PKI's fixed
clock, and the application id. The server listens on 127.0.0.1 on a free port, prints
``READY <port>`` and serves with werkzeug's threaded server until its standard input closes or
``--lifetime`` seconds have passed, whichever is first.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

APPS = ("project", "project-sqlite", "floor", "bare")


def _verification(pki_dir: Path) -> dict[str, Any]:
    from cryptography import x509

    from tests.web_pki import CHAIN_URL, SKILL_ID, CountingFetcher, fixed_clock

    chain = (pki_dir / "chain.pem").read_bytes()
    root = x509.load_pem_x509_certificate((pki_dir / "root.pem").read_bytes())
    return {
        "skill_id": SKILL_ID,
        "cert_fetcher": CountingFetcher({CHAIN_URL: chain}),
        "trusted_roots": [root],
        "clock": fixed_clock,
    }


def _without_replay_check(verifiers: Any) -> list[Any]:
    """Every production check but the refusal of a request id seen in the last 150 s.

    The load generator re-sends a fixed set of signed requests (signing each one afresh would
    cost the clients more CPU than the server spends answering); the replay check is one
    lookup in a bounded table per request, so leaving it out changes the figures by little.
    """
    from skill.web.verification import ReplayVerifier

    return [verifier for verifier in verifiers if not isinstance(verifier, ReplayVerifier)]


def bare_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = json.dumps(json.loads(environ["wsgi.input"].read(length))).encode()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def build_app(name: str, pki_dir: Path) -> Any:
    if name == "bare":
        return bare_app
    checks = _verification(pki_dir)
    if name == "floor":
        from benchmarks.floor_skill import create_app as create_floor_app
        from skill.web.verification import build_verifiers

        return create_floor_app(_without_replay_check(build_verifiers(**checks)))
    from skill.builder import build_skill
    from skill.persistence.memory_store import InMemoryPersistenceAdapter
    from skill.persistence.sqlite_store import SqlitePersistenceAdapter
    from skill.web.server import create_app

    store: Any = InMemoryPersistenceAdapter()
    if name == "project-sqlite":
        store = SqlitePersistenceAdapter(pki_dir / "state.sqlite3")
    from skill.web.verification import build_verifiers

    return create_app(
        build_skill(store, skill_id=checks["skill_id"]),
        verifiers=_without_replay_check(build_verifiers(**checks)),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.serve")
    parser.add_argument("app", choices=APPS)
    parser.add_argument("pki_dir", type=Path)
    parser.add_argument("--lifetime", type=float, default=120.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    from werkzeug.serving import WSGIRequestHandler, make_server

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:
            pass

    server = make_server(
        "127.0.0.1", 0, build_app(args.app, args.pki_dir), threaded=True,
        request_handler=QuietHandler,
    )

    def stop_when_parent_goes() -> None:
        sys.stdin.read()
        os._exit(0)

    threading.Thread(target=stop_when_parent_goes, daemon=True).start()
    threading.Timer(args.lifetime, lambda: os._exit(0)).start()
    print(f"READY {server.server_port}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
