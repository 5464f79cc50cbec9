"""Faults mid-conversation: the store unavailable, locked or corrupt; a handler that raises.

Whatever breaks, the user still hears guidance (the hold, the next step) from what the session
carries, the fault is logged, and once the store is back the settings stored before the fault
are exactly as they were: a request that could not load the user's state never saves it.
"""

from __future__ import annotations

import copy
import faulthandler
import json
import logging
import multiprocessing
import os
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_model import RequestEnvelope

from skill import speech
from skill.builder import build_lambda_handler
from skill.guide import Guide
from skill.persistence.errors import StoreUnavailable
from skill.persistence.memory_store import InMemoryPersistenceAdapter
from skill.persistence.sqlite_store import TABLE, SqlitePersistenceAdapter
from skill.routine import Settings
from skill.tools import envelopes as E

NOW = 1_700_000_000.0
USER = "amzn1.ask.account.FAULTS"
QUAD = {"Muscle": E.resolved("front of my thigh", "quadriceps")}
HOLD = 45
FAULT_HOLD = 20


class SwitchableStore(InMemoryPersistenceAdapter):
    """The in-memory store, which can be switched off: every call then raises StoreUnavailable."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.calls = 0

    def _check(self) -> None:
        self.calls += 1
        if self.down:
            raise StoreUnavailable("the test switched the store off")

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        self._check()
        return super().get_attributes(request_envelope)

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: dict[str, Any]
                        ) -> None:
        self._check()
        super().save_attributes(request_envelope, attributes)

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        self._check()
        super().delete_attributes(request_envelope)


def conversation(store: Any) -> E.Conversation:
    handler = build_lambda_handler(store, clock=lambda: NOW)
    return E.Conversation(lambda event: handler(event, None), user_id=USER)


def hold_seconds(response: dict[str, Any]) -> float:
    """The total pause of a routine step's paced hold (every pause after "Hold."), in seconds."""
    ssml = E.speech(response)
    assert ssml, response
    segments = speech.parse(ssml)
    start = next(
        index for index, segment in enumerate(segments)
        if isinstance(segment, speech.Spoken) and segment.text.endswith("Hold.")
    )
    return sum(s.seconds for s in segments[start:] if isinstance(s, speech.Pause))


def set_up_user(talk: E.Conversation) -> None:
    """A first session: the user sets a 45-second hold and stops."""
    talk.launch()
    response = talk.intent("HoldTimeIntent", {"Seconds": str(HOLD)})
    assert E.ends(response) is False
    assert f"each hold is now {HOLD} seconds" in (E.speech(response) or "").lower()
    talk.intent("AMAZON.StopIntent")
    assert not talk.in_session


def start_routine(talk: E.Conversation) -> None:
    """A second session: the quad stretch starts with the stored 45-second hold."""
    talk.launch()
    response = talk.intent("StretchIntent", QUAD)
    assert hold_seconds(response) == HOLD
    assert E.ends(response) is False


def guidance_continues_during_the_fault(talk: E.Conversation) -> None:
    """Inside the routine: the next step is paced with the user's own hold (carried in the
    session), and a hold length chosen now is used for the rest of this conversation."""
    response = talk.intent("AMAZON.NextIntent")
    assert hold_seconds(response) == HOLD, E.speech(response)
    assert E.ends(response) is False
    assert talk.attributes["routine"]["step"] == 1
    response = talk.intent("HoldTimeIntent", {"Seconds": str(FAULT_HOLD)})
    said = E.speech(response) or ""
    # Honest: used from now on, but not confirmed as kept, because it was not.
    assert f"{FAULT_HOLD} seconds for now" in said and "couldn&apos;t save" in said, said
    response = talk.intent("AMAZON.NextIntent")  # step 2: walk around (a plain pause)
    response = talk.intent("AMAZON.NextIntent")  # step 3: a hold again
    assert hold_seconds(response) == FAULT_HOLD, E.speech(response)
    assert E.ends(response) is False


def stored_hold_is_back(talk: E.Conversation) -> None:
    """A new session after the fault: the hold stored before it is the one used."""
    talk.new_session()
    response = talk.launch()
    assert E.ends(response) is False
    response = talk.intent("StretchIntent", QUAD)
    assert hold_seconds(response) == HOLD, E.speech(response)


def store_messages(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= level and record.name.startswith("skill.persistence")
    ]


# --- the store unavailable -----------------------------------------------------------------


def test_store_unavailable_mid_conversation(caplog: pytest.LogCaptureFixture) -> None:
    store = SwitchableStore()
    talk = conversation(store)
    set_up_user(talk)
    start_routine(talk)
    before = store.stored(USER)
    assert before is not None and before["settings"] == {"hold_seconds": HOLD, "night": False}

    store.down = True
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        guidance_continues_during_the_fault(talk)
        talk.new_session()
        response = talk.launch()  # a new session while the store is down: still answered
        assert E.ends(response) is False and E.speech(response)
    assert any("could not be loaded" in m for m in store_messages(caplog, logging.WARNING))

    store.down = False
    assert store.stored(USER) == before
    stored_hold_is_back(talk)
    assert store.stored(USER)["settings"] == before["settings"]  # type: ignore[index]


@pytest.mark.parametrize("fault", ["unavailable", "corrupt"])
def test_the_stored_hold_carries_on_through_a_fault(
    fault: str, sqlite_path: Path, sqlite_store: SqlitePersistenceAdapter
) -> None:
    """Settings read from the store at the start of a conversation ride in the session: a
    store failure later in it keeps the user's hold, not the 30 s default."""
    switchable = SwitchableStore()
    store: Any = switchable if fault == "unavailable" else sqlite_store
    talk = conversation(store)
    set_up_user(talk)
    start_routine(talk)
    if fault == "unavailable":
        switchable.down = True
    else:
        corrupt_first_page(sqlite_path)
    response = talk.intent("AMAZON.NextIntent")
    assert hold_seconds(response) == HOLD
    response = talk.intent("AMAZON.NextIntent")  # the walk-around step
    response = talk.intent("AMAZON.NextIntent")
    assert hold_seconds(response) == HOLD


def test_store_unavailable_from_the_first_request(caplog: pytest.LogCaptureFixture) -> None:
    store = SwitchableStore()
    set_up_user(conversation(store))
    before = store.stored(USER)
    store.down = True
    talk = conversation(store)
    with caplog.at_level(logging.WARNING):
        response = talk.intent("StretchIntent", QUAD)  # a one-shot "stretch my quad"
    assert E.ends(response) is False
    assert hold_seconds(response) == Settings().hold_seconds  # nothing stored can be read
    assert store_messages(caplog, logging.WARNING)
    store.down = False
    assert store.stored(USER) == before


def test_forget_me_while_the_store_is_down_says_so() -> None:
    store = SwitchableStore()
    talk = conversation(store)
    set_up_user(talk)
    before = store.stored(USER)
    talk.launch()
    talk.intent("ForgetMeIntent")
    store.down = True
    response = talk.intent("AMAZON.YesIntent")
    assert E.speech(response)
    store.down = False
    assert store.stored(USER) == before  # nothing was (or could be) deleted


# --- SQLite locked -------------------------------------------------------------------------


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "state.sqlite3"


@pytest.fixture
def sqlite_store(sqlite_path: Path) -> Iterator[SqlitePersistenceAdapter]:
    store = SqlitePersistenceAdapter(sqlite_path, busy_timeout_s=0.1)
    yield store
    store.close()


def stored_row(path: Path, user_id: str = USER) -> dict[str, Any] | None:
    """The user's state straight from the database file (a fresh connection, no adapter)."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = connection.execute(
            f"SELECT data FROM {TABLE} WHERE user_id = ?", (user_id,)
        ).fetchone()
    finally:
        connection.close()
    return json.loads(row[0]) if row else None


@pytest.mark.parametrize(
    ("lock", "logged"),
    [
        # Another process writing: reads go on, saves wait and then give up.
        ("IMMEDIATE", "could not be saved"),
        # Another process committing (or a stuck tool): a rollback journal blocks reads too.
        ("EXCLUSIVE", "could not be loaded"),
    ],
)
def test_store_locked_mid_conversation(
    sqlite_store: SqlitePersistenceAdapter,
    sqlite_path: Path,
    caplog: pytest.LogCaptureFixture,
    lock: str,
    logged: str,
) -> None:
    talk = conversation(sqlite_store)
    set_up_user(talk)
    start_routine(talk)
    before = stored_row(sqlite_path)
    assert before is not None and before["settings"]["hold_seconds"] == HOLD

    locker = sqlite3.connect(sqlite_path, isolation_level=None)
    locker.execute(f"BEGIN {lock}")
    try:
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            started = time.perf_counter()
            guidance_continues_during_the_fault(talk)
            elapsed = time.perf_counter() - started
        # Four requests, each waiting at most the busy timeout for the lock: far inside
        # Alexa's 8 s.
        assert elapsed < 4 * (sqlite_store.busy_timeout_s + 0.5)
        messages = store_messages(caplog, logging.WARNING)
        assert any(logged in m for m in messages), messages
        assert any("locked" in m for m in messages), messages
    finally:
        locker.rollback()
        locker.close()

    assert stored_row(sqlite_path) == before
    stored_hold_is_back(talk)
    assert stored_row(sqlite_path)["settings"] == before["settings"]  # type: ignore[index]


# --- SQLite corrupt ------------------------------------------------------------------------


def corrupt_first_page(path: Path) -> bytes:
    """Checkpoint everything into the main file, then write garbage over its first page (the
    header and the schema). Returns the page as it was."""
    checkpoint = sqlite3.connect(path, isolation_level=None)
    checkpoint.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    checkpoint.close()
    with path.open("r+b") as handle:
        original = handle.read(4096)
        handle.seek(0)
        handle.write(bytes((index * 37 + 11) % 256 for index in range(4096)))
    return original


def test_store_corrupt_mid_conversation(
    sqlite_store: SqlitePersistenceAdapter, sqlite_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    talk = conversation(sqlite_store)
    set_up_user(talk)
    start_routine(talk)
    before = stored_row(sqlite_path)
    assert before is not None

    original = corrupt_first_page(sqlite_path)

    caplog.clear()
    with caplog.at_level(logging.WARNING):
        guidance_continues_during_the_fault(talk)
        talk.new_session()
        response = talk.launch()
        assert E.ends(response) is False and E.speech(response)
    warnings = store_messages(caplog, logging.WARNING)
    assert any("not a database" in m or "malformed" in m for m in warnings), warnings
    assert any("could not be loaded" in m for m in warnings), warnings

    with sqlite_path.open("r+b") as handle:  # the store comes back: the page is repaired
        handle.write(original)
    assert stored_row(sqlite_path) == before
    stored_hold_is_back(talk)
    assert stored_row(sqlite_path)["settings"] == before["settings"]  # type: ignore[index]


def test_store_path_unusable_then_fixed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A directory where the database file should be: unavailable, then fine once removed."""
    path = tmp_path / "state.sqlite3"
    path.mkdir()
    store = SqlitePersistenceAdapter(path, busy_timeout_s=0.1)
    talk = conversation(store)
    with caplog.at_level(logging.WARNING):
        response = talk.intent("StretchIntent", QUAD)
    assert hold_seconds(response) == Settings().hold_seconds
    assert store_messages(caplog, logging.WARNING)
    path.rmdir()
    talk.new_session()
    set_up_user(talk)
    assert stored_row(path)["settings"]["hold_seconds"] == HOLD  # type: ignore[index]
    store.close()


# --- storage faults under a live connection ----------------------------------------------


def _wal_reader_after_its_index_is_truncated(path: Path) -> None:
    """Runs in a child: SQLite in WAL mode, its ``-shm`` index truncated under the mapping."""
    faulthandler.disable()  # the signal is the expected outcome, not a crash to report
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE t (x)")
    connection.execute("INSERT INTO t VALUES (1)")
    os.truncate(f"{path}-shm", 0)
    connection.execute("SELECT count(*) FROM t").fetchone()


def test_why_not_wal_a_truncated_index_kills_the_process(tmp_path: Path) -> None:
    """The hazard the store's journal mode avoids: WAL maps ``-shm`` into memory, and when
    that file loses its pages under the mapping the next access is a SIGBUS, not an error."""
    child = multiprocessing.get_context("fork").Process(
        target=_wal_reader_after_its_index_is_truncated, args=(tmp_path / "wal.sqlite3",)
    )
    child.start()
    child.join(timeout=30)
    assert child.exitcode == -signal.SIGBUS


def _conversation_through_storage_faults(path: Path) -> None:
    """Runs in a child: the skill on the real SQLite store while its files are damaged.

    Every answer must come; any failed check exits non-zero, a signal kills the child.
    """
    store = SqlitePersistenceAdapter(path, busy_timeout_s=0.1)
    talk = conversation(store)
    set_up_user(talk)
    talk.launch()
    assert hold_seconds(talk.intent("StretchIntent", QUAD)) == HOLD
    assert not Path(f"{path}-shm").exists(), "no shared-memory index to fault"

    os.truncate(path, 0)  # the file loses its pages under the open connection
    response = talk.intent("AMAZON.NextIntent")
    assert hold_seconds(response) == HOLD  # the hold carried in the session

    journal = Path(f"{path}-journal")
    journal.unlink(missing_ok=True)
    journal.mkdir()  # every write now fails with an I/O error
    response = talk.intent("HoldTimeIntent", {"Seconds": str(FAULT_HOLD)})
    assert "for now" in (E.speech(response) or ""), E.speech(response)
    journal.rmdir()

    talk.new_session()  # the store works again (from an empty file: the truncation cost that)
    set_up_user(talk)
    assert stored_row(path)["settings"]["hold_seconds"] == HOLD  # type: ignore[index]


def test_storage_faults_under_a_live_connection_are_answered_not_fatal(tmp_path: Path) -> None:
    child = multiprocessing.get_context("fork").Process(
        target=_conversation_through_storage_faults, args=(tmp_path / "state.sqlite3",)
    )
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0


# --- a handler that raises -----------------------------------------------------------------


def _raise_after_changing_everything(self: Guide, state: Any, *args: Any) -> Any:
    """A bug: half the state changed, then an exception."""
    state.settings = Settings(hold_seconds=15, night=True)
    state.place = None
    state.session["offer"] = "half-changed"
    raise RuntimeError("a bug in the guide")


@pytest.mark.parametrize("method", ["next_step", "set_night"])
def test_handler_exception_apologises_and_keeps_the_session(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, method: str
) -> None:
    store = SwitchableStore()
    talk = conversation(store)
    set_up_user(talk)
    start_routine(talk)
    sent = copy.deepcopy(talk.attributes)
    stored_before = store.stored(USER)

    monkeypatch.setattr(Guide, method, _raise_after_changing_everything)
    with caplog.at_level(logging.ERROR):
        intent = "AMAZON.NextIntent" if method == "next_step" else "NightModeIntent"
        response = talk.intent(intent)
    assert "something went wrong" in (E.speech(response) or "").lower()
    assert E.ends(response) is False and E.reprompt(response)
    assert any(r.exc_info and "a bug in the guide" in str(r.exc_info[1]) for r in caplog.records)

    # Nothing the failing handler changed travels on: the session goes on exactly as sent.
    assert E.attributes(response) == sent
    assert store.stored(USER) == stored_before  # and nothing was saved

    monkeypatch.undo()
    response = talk.intent("AMAZON.NextIntent")  # the user tries again: the routine goes on
    assert talk.attributes["routine"]["step"] == sent["routine"]["step"] + 1
    assert hold_seconds(response) == HOLD


def test_a_yes_that_failed_is_not_offered_again(monkeypatch: pytest.MonkeyPatch) -> None:
    store = SwitchableStore()
    talk = conversation(store)
    set_up_user(talk)
    start_routine(talk)  # "... Ready for the next one?"
    sent = copy.deepcopy(talk.attributes)
    calls: list[int] = []
    original = Guide.yes

    def fails_once(self: Guide, state: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a transient bug")
        return original(self, state)

    monkeypatch.setattr(Guide, "yes", fails_once)
    response = talk.intent("AMAZON.YesIntent")
    assert "something went wrong" in (E.speech(response) or "").lower()
    # The session goes on as sent, but without the offer the failing "yes" acted on.
    assert talk.attributes == {k: v for k, v in sent.items() if k != "offer"}
    talk.intent("AMAZON.YesIntent")  # a second "yes" cannot take the failing path again
    assert len(calls) == 2 and talk.attributes["routine"]["step"] == 0
    response = talk.intent("AMAZON.NextIntent")  # "next" still moves the routine on
    assert talk.attributes["routine"]["step"] == 1
    assert hold_seconds(response) == HOLD


def test_stop_while_the_store_is_down_does_not_promise_the_place() -> None:
    store = SwitchableStore()
    talk = conversation(store)
    set_up_user(talk)
    start_routine(talk)
    store.down = True
    said = E.speech(talk.intent("AMAZON.StopIntent")) or ""
    assert "kept your place" not in said and "couldn&apos;t save your place" in said, said
    store.down = False
    start_routine(talk)
    said = E.speech(talk.intent("AMAZON.StopIntent")) or ""
    assert "kept your place" in said, said
