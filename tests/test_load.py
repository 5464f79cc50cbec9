"""Load and isolation: many users at once against the web service with the SQLite store.

The verified web app (test certificates from ``tests/web_pki.py``) is served by werkzeug's
threaded server on 127.0.0.1. 64 concurrent clients, each talking for two users in turn, send
``CRAMP_HELPER_LOAD_REQUESTS`` requests in all (default 2000; ``CRAMP_HELPER_LOAD_REQUESTS=20000``
for the full run), to ``CRAMP_HELPER_LOAD_SERVERS`` server processes (default 1) sharing one
database file. Every user has their own hold length, voice and routine, and every response
is checked against that user's own: the routine and step in the session, the paced hold's
pauses adding up to that user's hold, the whisper only for night-voice users. At the end every
user's settings are read back from the SQLite file. Zero errors allowed; p99 is printed (and
shown in the failure message).
"""

from __future__ import annotations

import http.client
import itertools
import json
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from web_pki import (
    NOW,
    SKILL_ID,
    CountingFetcher,
    Pki,
    fixed_clock,
    make_pki,
)
from werkzeug.serving import WSGIRequestHandler, make_server

from skill import speech
from skill.builder import build_skill
from skill.content import load_content
from skill.persistence.sqlite_store import TABLE, SqlitePersistenceAdapter
from skill.tools import envelopes as E
from skill.web.server import create_app

REQUESTS_ENV = "CRAMP_HELPER_LOAD_REQUESTS"
SERVERS_ENV = "CRAMP_HELPER_LOAD_SERVERS"
DEFAULT_REQUESTS = 2000
CLIENTS = 64
USERS_PER_CLIENT = 2
CHAIN_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-load.pem"
CONTENT = load_content()

#: (routine id, Muscle slot, Position slot) for the three kinds of user.
ROUTINES = [
    ("hamstring_lying", E.resolved("back of my thigh", "hamstring"), None),
    ("quadriceps_standing", E.resolved("front of my thigh", "quadriceps"), None),
    ("hamstring_seated", E.resolved("back of my thigh", "hamstring"), E.resolved("sitting",
                                                                                  "seated")),
]


def requested_total() -> int:
    value = os.environ.get(REQUESTS_ENV, "").strip()
    return int(value) if value else DEFAULT_REQUESTS


def requested_servers() -> int:
    """Server processes sharing the one database file (``CRAMP_HELPER_LOAD_SERVERS``, 1)."""
    value = os.environ.get(SERVERS_ENV, "").strip()
    return max(1, int(value)) if value else 1


# --- the server ----------------------------------------------------------------------------


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@dataclass
class Service:
    ports: list[int]
    db_path: Path
    pki: Pki
    #: Problems the skill logged in the other server processes (read after the run).
    other_logs: Any = None


def _server(db_path: Path, pki: Pki) -> Any:
    store = SqlitePersistenceAdapter(db_path)
    app = create_app(
        build_skill(store, skill_id=SKILL_ID),
        verify=True,
        skill_id=SKILL_ID,
        cert_fetcher=CountingFetcher({CHAIN_URL: pki.chain}),
        trusted_roots=[pki.root],
        clock=fixed_clock,
    )
    return make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)


def _serve_in_child(db_path: Path, pki: Pki, pipe: Any) -> None:
    """Another server process on the same database file, until the parent says stop; then
    it sends back what the skill logged at WARNING or above."""
    recorder = _ErrorRecorder()
    logging.getLogger().addHandler(recorder)
    server = _server(db_path, pki)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    pipe.send(server.server_port)
    pipe.recv()
    server.shutdown()
    pipe.send(recorder.messages)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    pki = make_pki()
    db_path = tmp_path_factory.mktemp("load") / "state.sqlite3"
    others = []
    for _ in range(requested_servers() - 1):  # forked before this process starts threads
        ours, theirs = multiprocessing.get_context("fork").Pipe()
        child = multiprocessing.get_context("fork").Process(
            target=_serve_in_child, args=(db_path, pki, theirs), daemon=True
        )
        child.start()
        others.append((child, ours))
    server = _server(db_path, pki)
    thread = threading.Thread(target=server.serve_forever, name="load-server", daemon=True)
    thread.start()
    ports = [server.server_port, *(pipe.recv() for _child, pipe in others)]

    def other_logs() -> list[str]:
        messages: list[str] = []
        for child, pipe in others:
            pipe.send("stop")
            messages.extend(pipe.recv())
            child.join(timeout=10)
        others.clear()
        return messages

    try:
        yield Service(ports=ports, db_path=db_path, pki=pki, other_logs=other_logs)
    finally:
        other_logs()
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


# --- one user's conversations --------------------------------------------------------------


@dataclass
class User:
    index: int
    hold: int
    night: bool
    routine_id: str
    muscle: dict[str, Any]
    position: dict[str, Any] | None
    talk: E.Conversation | None = None
    #: What the user has set so far and the server confirmed.
    set_hold: int | None = None
    set_night: bool = False
    script: Iterator[tuple[str, dict[str, Any] | None, Any]] | None = None

    @property
    def user_id(self) -> str:
        return f"amzn1.ask.account.LOAD-{self.index:05d}"


def make_user(index: int) -> User:
    routine_id, muscle, position = ROUTINES[index % len(ROUTINES)]
    return User(
        index=index,
        hold=10 + (index * 7) % 51,
        night=index % 4 == 1,
        routine_id=routine_id,
        muscle=muscle,
        position=position,
    )


def expected_pause(user: User, step: int) -> float:
    """The pauses of ``step`` of the user's routine with the user's own hold (and lead-in)."""
    routine = CONTENT.routines[user.routine_id]
    definition = routine.steps[step]
    assert definition.holds == 1, "the load test's routines have one hold per step"
    hold = user.set_hold if definition.hold == "setting" else definition.hold
    lead_in = 0
    if definition.hold is not None:
        lead_in = routine.lead_in if definition.lead_in is None else definition.lead_in
    return float(hold or 0) + float(definition.pause or 0) + float(lead_in)


class Mismatch(AssertionError):
    pass


def check_step(user: User, response: dict[str, Any], step: int | None) -> None:
    """The response belongs to this user: their routine, their step, their hold, their voice."""
    ssml = E.speech(response) or ""
    attributes = E.attributes(response)
    if step is None:
        if attributes.get("routine") is not None:
            raise Mismatch(f"user {user.index}: a routine after it finished: {attributes}")
        return
    routine = attributes.get("routine") or {}
    if (routine.get("id"), routine.get("step")) != (user.routine_id, step):
        raise Mismatch(f"user {user.index}: expected {user.routine_id} step {step}, got {routine}")
    pauses = sum(speech.breaks(ssml))
    if pauses != expected_pause(user, step):
        raise Mismatch(
            f"user {user.index} (hold {user.set_hold}): step {step} paused {pauses} s, "
            f"expected {expected_pause(user, step)}: {ssml[:200]}"
        )
    whispered = "amazon:effect" in ssml
    if whispered != user.set_night:
        raise Mismatch(f"user {user.index}: night voice {whispered}, expected {user.set_night}")


def check_said(words: str) -> Any:
    def check(user: User, response: dict[str, Any]) -> None:
        if words not in (E.speech(response) or ""):
            raise Mismatch(f"user {user.index}: expected {words!r} in {E.speech(response)!r}")

    return check


def conversations(user: User) -> Iterator[tuple[str, dict[str, Any] | None, Any]]:
    """(intent or "launch", slots, check) for one session after another, forever; the first
    session sets the user's hold (and night voice) unless that is done already."""
    first = user.set_hold is None
    while True:
        yield "launch", None, None
        if first:
            yield "HoldTimeIntent", {"Seconds": str(user.hold)}, "hold"
            if user.night:
                yield "NightModeIntent", None, "night"
            first = False
        slots = {"Muscle": user.muscle, "Position": user.position}
        yield "StretchIntent", slots, 0
        steps = len(CONTENT.routines[user.routine_id].steps)
        for step in range(1, steps):
            yield "AMAZON.NextIntent", None, step
        yield "AMAZON.NextIntent", None, "finished"
        yield "AMAZON.StopIntent", None, "stop"


def apply_check(user: User, check: Any, response: dict[str, Any]) -> None:
    if check is None or check == "stop":
        return
    if check == "hold":
        # Confirmed as kept, not "for now, but I couldn't save it".
        check_said(f"each hold is now {user.hold} seconds")(user, response)
        user.set_hold = user.hold
    elif check == "night":
        if "amazon:effect" not in (E.speech(response) or ""):
            raise Mismatch(f"user {user.index}: night voice not used after turning it on")
        user.set_night = True
    elif check == "finished":
        check_step(user, response, None)
    else:
        check_step(user, response, int(check))


# --- the clients ---------------------------------------------------------------------------


@dataclass
class Results:
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


def run_client(
    service: Service, port: int, users: list[User], tickets: Iterator[int], results: Results
) -> None:
    connection: list[http.client.HTTPConnection] = []
    latencies: list[float] = []

    def send(event: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(event).encode()
        headers = service.pki.headers(body, url=CHAIN_URL)
        if not connection:
            connection.append(http.client.HTTPConnection("127.0.0.1", port, timeout=30))
        started = time.perf_counter()
        try:
            connection[0].request("POST", "/", body=body, headers=headers)
            response = connection[0].getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            connection.pop().close()
            raise
        latencies.append((time.perf_counter() - started) * 1000)
        if response.status != 200:
            raise Mismatch(f"HTTP {response.status}: {data[:300]!r}")
        if response.getheader("Connection", "").lower() == "close":
            connection.pop().close()
        answer: dict[str, Any] = json.loads(data)
        return answer

    for user in users:
        user.talk = E.Conversation(send, user_id=user.user_id, at=lambda: NOW)
        user.script = conversations(user)
    try:
        for turn in itertools.count():
            user = users[turn % len(users)]
            try:
                next(tickets)
            except StopIteration:
                return
            assert user.talk is not None and user.script is not None
            name, slots, check = next(user.script)
            try:
                talk = user.talk
                response = talk.launch() if name == "launch" else talk.intent(name, slots)
                apply_check(user, check, response)
            except Exception as exc:  # every failure is counted, none stops the others
                results.error(f"user {user.index}, {name}: {type(exc).__name__}: {exc}")
                user.talk.new_session()
                user.script = conversations(user)
    finally:
        for open_connection in connection:
            open_connection.close()
        with results.lock:
            results.latencies_ms.extend(latencies)


class _ErrorRecorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("skill"):
            self.messages.append(f"{record.levelname} {record.name}: {record.getMessage()}")


def stored_settings(db_path: Path) -> dict[str, Any]:
    import sqlite3

    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = connection.execute(f"SELECT user_id, data FROM {TABLE}").fetchall()
    finally:
        connection.close()
    return {user_id: json.loads(data).get("settings") for user_id, data in rows}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered))) - 1))]


def test_many_users_at_once_stay_apart(service: Service) -> None:
    total = requested_total()
    users = [make_user(index) for index in range(CLIENTS * USERS_PER_CLIENT)]
    tickets_lock = threading.Lock()
    counter = iter(range(total))

    def tickets() -> Iterator[int]:
        while True:
            with tickets_lock:
                ticket = next(counter, None)
            if ticket is None:
                return
            yield ticket

    results = Results()
    recorder = _ErrorRecorder()
    logging.getLogger().addHandler(recorder)
    started = time.perf_counter()
    try:
        threads = [
            threading.Thread(
                target=run_client,
                args=(
                    service,
                    service.ports[c % len(service.ports)],
                    users[c::CLIENTS],
                    tickets(),
                    results,
                ),
                name=f"load-client-{c}",
            )
            for c in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)
        assert not any(thread.is_alive() for thread in threads), "clients did not finish"
    finally:
        logging.getLogger().removeHandler(recorder)
    elapsed = time.perf_counter() - started
    recorder.messages.extend(service.other_logs())

    latencies = results.latencies_ms
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    summary = (
        f"{len(latencies)} requests from {CLIENTS} clients for {len(users)} users "
        f"({len(service.ports)} server process(es), one database file) in "
        f"{elapsed:.1f} s ({len(latencies) / elapsed:.0f}/s): p50 {p50:.1f} ms, p99 {p99:.1f} ms"
    )
    print(f"\nload: {summary}")
    assert len(latencies) == total, summary
    assert not results.errors, f"{len(results.errors)} errors ({summary}): {results.errors[:5]}"
    assert not recorder.messages, f"the skill logged problems ({summary}): {recorder.messages[:5]}"

    stored = stored_settings(service.db_path)
    for user in users:
        expected = (
            None
            if user.set_hold is None
            else {"hold_seconds": user.set_hold, "night": user.set_night}
        )
        assert stored.get(user.user_id) == expected, (user, stored.get(user.user_id))
    assert sum(user.set_hold is not None for user in users) == len(users), (
        "every user set a hold in the first session: raise the request count"
    )
