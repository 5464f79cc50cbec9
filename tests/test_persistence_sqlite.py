"""The SQLite user-state store: round trips, isolation, atomicity under concurrency, failures."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.exceptions import PersistenceException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill.persistence.errors import StoreUnavailable
from skill.persistence.sqlite_store import TABLE, SqlitePersistenceAdapter
from skill.tools import envelopes as E

APP_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
STATE = {
    "settings": {"hold_seconds": 30, "night_mode": True},
    "routine": {"id": "hamstring_lying", "step": 2, "saved_at": 1763900000},
}


def make_envelope(user_id: str | None, *, session_user_id: str | None = None) -> RequestEnvelope:
    """A real IntentRequest envelope, deserialised the way the SDK does it.

    ``user_id`` None leaves the user out of the context; the session (and its user) is there
    only with ``session_user_id``.
    """
    event = E.intent(
        "AMAZON.HelpIntent",
        user_id=session_user_id or user_id or "",
        application_id=APP_ID,
        new=False,
        session_id="amzn1.echo-api.session.1",
        in_session=session_user_id is not None,
        at=datetime(2025, 11, 23, 12, tzinfo=UTC),
    )
    system = event["context"]["System"]
    if user_id is None:
        del system["user"]
    else:
        system["user"] = {"userId": user_id}
    envelope: RequestEnvelope = DefaultSerializer().deserialize(
        json.dumps(event), "ask_sdk_model.RequestEnvelope"
    )
    return envelope

def same_json(a: Any, b: Any) -> bool:
    """Equal including types: 1, 1.0 and True differ."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "dir" / "state.sqlite3"


@pytest.fixture
def store(db_path: Path) -> Iterator[SqlitePersistenceAdapter]:
    adapter = SqlitePersistenceAdapter(db_path, busy_timeout_s=0.5)
    yield adapter
    adapter.close()


# -- basics -------------------------------------------------------------------------------------


def test_is_an_sdk_persistence_adapter(store: SqlitePersistenceAdapter) -> None:
    assert isinstance(store, AbstractPersistenceAdapter)
    assert issubclass(StoreUnavailable, PersistenceException)


def test_construction_touches_nothing_on_disk(db_path: Path) -> None:
    SqlitePersistenceAdapter(db_path)
    assert not db_path.parent.exists()


def test_unknown_user_gets_empty_dict_and_schema_is_created(
    store: SqlitePersistenceAdapter, db_path: Path
) -> None:
    assert store.get_attributes(make_envelope("amzn1.ask.account.NEW")) == {}
    conn = sqlite3.connect(db_path)
    try:
        # Not WAL: no shared-memory index that a storage fault could turn into a SIGBUS.
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal"
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info({TABLE})")]
    finally:
        conn.close()
    assert columns == ["user_id", "data", "updated_at"]
    assert not db_path.with_name(db_path.name + "-shm").exists()


def test_the_kept_journal_stays_small(store: SqlitePersistenceAdapter, db_path: Path) -> None:
    # A big record journals many pages; the kept journal is cut back after the save.
    envelope = make_envelope("amzn1.ask.account.BIG")
    store.save_attributes(envelope, {"note": "x" * 400_000})
    store.save_attributes(envelope, {"note": "y" * 400_000})
    journal = db_path.with_name(db_path.name + "-journal")
    assert 0 < journal.stat().st_size <= 64 * 1024
    assert store.get_attributes(envelope) == {"note": "y" * 400_000}


def test_file_and_new_folders_are_private(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    db_path = tmp_path / "a" / "b" / "state.sqlite3"
    store = SqlitePersistenceAdapter(db_path)
    store.save_attributes(make_envelope("amzn1.ask.account.A"), STATE)
    assert db_path.stat().st_mode & 0o777 == 0o600
    # The rollback journal is kept between saves: it holds the pages a save overwrote.
    journal = db_path.with_name(db_path.name + "-journal")
    assert journal.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "a").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "a" / "b").stat().st_mode & 0o777 == 0o700
    assert tmp_path.stat().st_mode & 0o777 == 0o755  # an existing folder is left as it was
    store.close()


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_deleted_or_replaced_file_is_noticed_logged_and_reopened(
    store: SqlitePersistenceAdapter,
    db_path: Path,
    caplog: pytest.LogCaptureFixture,
    how: str,
) -> None:
    alice, bob = make_envelope("amzn1.ask.account.ALICE"), make_envelope("amzn1.ask.account.BOB")
    store.save_attributes(alice, STATE)
    if how == "deleted":
        db_path.unlink()
    else:  # another copy moved over it, as a restore from backup would
        replacement = SqlitePersistenceAdapter(db_path.with_name("restored.sqlite3"))
        replacement.save_attributes(bob, {"settings": {"hold_seconds": 50}})
        replacement.close()
        db_path.with_name("restored.sqlite3").replace(db_path)
    with caplog.at_level(logging.WARNING, logger="skill.persistence"):
        assert store.get_attributes(alice) == {}
        store.save_attributes(alice, {"settings": {"hold_seconds": 25}})
    assert any("deleted or replaced" in r.getMessage() for r in caplog.records)
    # What was saved after the change is in the file at the path, for a restart to find.
    fresh = SqlitePersistenceAdapter(db_path)
    assert fresh.get_attributes(alice) == {"settings": {"hold_seconds": 25}}
    if how == "replaced":
        assert fresh.get_attributes(bob) == {"settings": {"hold_seconds": 50}}
    fresh.close()


def test_round_trip_keeps_types(store: SqlitePersistenceAdapter) -> None:
    envelope = make_envelope("amzn1.ask.account.A")
    state = {**STATE, "flags": [True, False, None, 0, 1, 1.0, 2.5, "x & y"], "ünï": "çødé"}
    store.save_attributes(envelope, state)
    loaded = store.get_attributes(envelope)
    assert loaded == state
    assert same_json(loaded, state)
    assert loaded["settings"]["night_mode"] is True
    assert type(loaded["settings"]["hold_seconds"]) is int
    assert type(loaded["flags"][5]) is float


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(state=st.dictionaries(st.text(max_size=10), json_values, max_size=5))
def test_any_json_dict_round_trips_exactly(store: SqlitePersistenceAdapter, state: dict) -> None:
    envelope = make_envelope("amzn1.ask.account.PROPERTY")
    store.save_attributes(envelope, state)
    assert same_json(store.get_attributes(envelope), state)


def test_returned_dict_is_independent_of_the_store(store: SqlitePersistenceAdapter) -> None:
    envelope = make_envelope("amzn1.ask.account.A")
    store.save_attributes(envelope, STATE)
    loaded = store.get_attributes(envelope)
    loaded["settings"]["hold_seconds"] = 5
    assert store.get_attributes(envelope)["settings"]["hold_seconds"] == 30


def test_users_are_isolated_and_delete_only_hits_one(store: SqlitePersistenceAdapter) -> None:
    alice, bob = make_envelope("amzn1.ask.account.ALICE"), make_envelope("amzn1.ask.account.BOB")
    store.save_attributes(alice, {"settings": {"hold_seconds": 20}})
    store.save_attributes(bob, {"settings": {"hold_seconds": 45}})
    assert store.get_attributes(alice) == {"settings": {"hold_seconds": 20}}
    assert store.get_attributes(bob) == {"settings": {"hold_seconds": 45}}

    store.delete_attributes(alice)
    assert store.get_attributes(alice) == {}
    assert store.get_attributes(bob) == {"settings": {"hold_seconds": 45}}
    store.delete_attributes(alice)  # deleting nothing is fine


def test_save_replaces_the_whole_record(store: SqlitePersistenceAdapter) -> None:
    envelope = make_envelope("amzn1.ask.account.A")
    store.save_attributes(envelope, STATE)
    store.save_attributes(envelope, {"settings": {"night_mode": False}})
    assert store.get_attributes(envelope) == {"settings": {"night_mode": False}}


def test_session_user_id_is_the_fallback_key(store: SqlitePersistenceAdapter) -> None:
    via_session = make_envelope(None, session_user_id="amzn1.ask.account.S")
    store.save_attributes(via_session, {"a": 1})
    assert store.get_attributes(make_envelope("amzn1.ask.account.S")) == {"a": 1}


def test_no_user_id_is_a_persistence_error_not_an_outage(store: SqlitePersistenceAdapter) -> None:
    with pytest.raises(PersistenceException) as info:
        store.get_attributes(make_envelope(None))
    assert not isinstance(info.value, StoreUnavailable)


def test_state_json_cannot_hold_is_refused_and_nothing_is_written(
    store: SqlitePersistenceAdapter,
) -> None:
    envelope = make_envelope("amzn1.ask.account.A")
    store.save_attributes(envelope, STATE)
    for bad in ({"s": {1, 2}}, {"x": float("nan")}, {"o": object()}, ["not", "a", "dict"]):
        with pytest.raises(PersistenceException) as info:
            store.save_attributes(envelope, bad)  # type: ignore[arg-type]
        assert not isinstance(info.value, StoreUnavailable)
    assert store.get_attributes(envelope) == STATE


# -- concurrency --------------------------------------------------------------------------------


def _record(writer: int, seq: int) -> dict[str, Any]:
    """A record whose parts all say who wrote it, so a mixed record would show."""
    return {
        "writer": writer,
        "seq": seq,
        "payload": [writer] * 40,
        "nested": {"writer": writer, "seq": seq, "text": f"w{writer}-s{seq}" * 20},
    }


def _assert_whole(record: dict[str, Any]) -> None:
    writer, seq = record["writer"], record["seq"]
    assert record == _record(writer, seq), "a record mixes two writes"


def test_threads_writing_concurrently(store: SqlitePersistenceAdapter) -> None:
    writers, writes = 8, 50
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def work(writer: int) -> None:
        own = make_envelope(f"amzn1.ask.account.T{writer}")
        shared = make_envelope("amzn1.ask.account.SHARED")
        try:
            start.wait()
            for seq in range(writes):
                store.save_attributes(own, _record(writer, seq))
                store.save_attributes(shared, _record(writer, seq))
                _assert_whole(store.get_attributes(shared))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for writer in range(writers):
        assert store.get_attributes(make_envelope(f"amzn1.ask.account.T{writer}")) == _record(
            writer, writes - 1
        )
    final = store.get_attributes(make_envelope("amzn1.ask.account.SHARED"))
    _assert_whole(final)
    assert final["seq"] == writes - 1  # each writer's last write is its 49th


def _process_writer(store: SqlitePersistenceAdapter, writer: int, writes: int) -> None:
    """Runs in a forked child, reusing the parent's adapter (and its inherited connection)."""
    own = make_envelope(f"amzn1.ask.account.P{writer}")
    shared = make_envelope("amzn1.ask.account.SHARED")
    for seq in range(writes):
        store.save_attributes(own, _record(writer, seq))
        store.save_attributes(shared, _record(writer, seq))
        _assert_whole(store.get_attributes(own))


def test_processes_writing_concurrently(db_path: Path) -> None:
    # A generous busy timeout: four processes fsync-ing in turn on a slow disk must not fail.
    store = SqlitePersistenceAdapter(db_path, busy_timeout_s=10)
    store.get_attributes(make_envelope("amzn1.ask.account.PARENT"))  # parent holds a connection
    context = multiprocessing.get_context("fork")
    writers, writes = 4, 50
    processes = [
        context.Process(target=_process_writer, args=(store, w, writes)) for w in range(writers)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
    assert [p.exitcode for p in processes] == [0] * writers

    fresh = SqlitePersistenceAdapter(db_path)
    for writer in range(writers):
        own = fresh.get_attributes(make_envelope(f"amzn1.ask.account.P{writer}"))
        assert own == _record(writer, writes - 1)
    shared = fresh.get_attributes(make_envelope("amzn1.ask.account.SHARED"))
    _assert_whole(shared)
    assert shared["seq"] == writes - 1
    # The parent's own connection still works after its children used theirs.
    assert store.get_attributes(make_envelope("amzn1.ask.account.P0"))["writer"] == 0
    store.close()
    fresh.close()


def _save_and_die(path: Path) -> None:
    """Runs in a child: save, then die at once by SIGKILL (no close, no flush, no atexit)."""
    store = SqlitePersistenceAdapter(path)
    store.save_attributes(make_envelope("amzn1.ask.account.KILLED"), STATE)
    os.kill(os.getpid(), 9)


def test_a_save_survives_the_process_being_killed_right_after(db_path: Path) -> None:
    process = multiprocessing.get_context("fork").Process(target=_save_and_die, args=(db_path,))
    process.start()
    process.join(timeout=30)
    assert process.exitcode == -9
    store = SqlitePersistenceAdapter(db_path)
    assert store.get_attributes(make_envelope("amzn1.ask.account.KILLED")) == STATE
    store.close()


def _child_checks_its_connection(store: SqlitePersistenceAdapter) -> None:
    assert store._conn is None, "a forked child must drop the parent's connection"
    store.save_attributes(make_envelope("amzn1.ask.account.CHILD"), STATE)
    assert store._conn is not None, "and open its own"


def test_forked_child_does_not_reuse_the_parents_connection(db_path: Path) -> None:
    store = SqlitePersistenceAdapter(db_path)
    store.get_attributes(make_envelope("amzn1.ask.account.PARENT"))
    process = multiprocessing.get_context("fork").Process(
        target=_child_checks_its_connection, args=(store,)
    )
    process.start()
    process.join(timeout=30)
    assert process.exitcode == 0
    # The parent's connection still works, and sees what the child saved.
    assert store.get_attributes(make_envelope("amzn1.ask.account.CHILD")) == STATE
    store.close()


def test_processes_creating_the_database_at_once(tmp_path: Path) -> None:
    """Several processes opening a database that does not exist yet all get a working store."""
    db_path = tmp_path / "fresh" / "state.sqlite3"
    store = SqlitePersistenceAdapter(db_path, busy_timeout_s=10)
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=_process_writer, args=(store, w, 3)) for w in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
    assert [p.exitcode for p in processes] == [0] * 4
    assert store.get_attributes(make_envelope("amzn1.ask.account.P3")) == _record(3, 2)
    store.close()


# -- failures -----------------------------------------------------------------------------------


def test_corrupt_file_is_store_unavailable(db_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"\x00\xffnot a database at all\x13\x37" * 300)
    store = SqlitePersistenceAdapter(db_path, busy_timeout_s=0.2)
    envelope = make_envelope("amzn1.ask.account.A")
    with caplog.at_level(logging.WARNING, logger="skill.persistence"):
        for call in (
            lambda: store.get_attributes(envelope),
            lambda: store.save_attributes(envelope, STATE),
            lambda: store.delete_attributes(envelope),
        ):
            with pytest.raises(StoreUnavailable) as info:
                call()
            assert isinstance(info.value.__cause__, sqlite3.DatabaseError)
    assert any("unavailable" in record.getMessage() for record in caplog.records)


def test_corrupt_file_replaced_by_a_good_one_comes_back(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"garbage" * 1000)
    store = SqlitePersistenceAdapter(db_path, busy_timeout_s=0.2)
    envelope = make_envelope("amzn1.ask.account.A")
    with pytest.raises(StoreUnavailable):
        store.get_attributes(envelope)
    db_path.unlink()
    store.save_attributes(envelope, STATE)
    assert store.get_attributes(envelope) == STATE


def test_write_lock_held_elsewhere_times_out_as_store_unavailable(db_path: Path) -> None:
    store = SqlitePersistenceAdapter(db_path, busy_timeout_s=0.2)
    envelope = make_envelope("amzn1.ask.account.A")
    store.save_attributes(envelope, STATE)

    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        with pytest.raises(StoreUnavailable) as info:
            store.save_attributes(envelope, {"changed": True})
        elapsed = time.monotonic() - started
        assert isinstance(info.value.__cause__, sqlite3.OperationalError)
        assert 0.15 <= elapsed < 2.0
        # Until the other writer commits, readers are not blocked: the last state is served.
        assert store.get_attributes(envelope) == STATE
    finally:
        other.execute("ROLLBACK")
        other.close()
    store.save_attributes(envelope, {"changed": True})  # the store is back
    assert store.get_attributes(envelope) == {"changed": True}


def test_exclusive_lock_on_a_rollback_journal_database_blocks_reads_too(db_path: Path) -> None:
    """An exclusive lock (another process committing) blocks even a read, for a bounded time."""
    db_path.parent.mkdir(parents=True)
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("CREATE TABLE unrelated (x)")
    other.execute("BEGIN EXCLUSIVE")
    store = SqlitePersistenceAdapter(db_path, busy_timeout_s=0.2)
    envelope = make_envelope("amzn1.ask.account.A")
    try:
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            store.get_attributes(envelope)
        assert time.monotonic() - started < 2.0
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert store.get_attributes(envelope) == {}


@pytest.mark.parametrize("kind", ["parent_is_a_file", "path_is_a_directory", "proc_filesystem"])
def test_impossible_path_is_store_unavailable(tmp_path: Path, kind: str) -> None:
    if kind == "parent_is_a_file":
        (tmp_path / "file").write_text("x")
        path = tmp_path / "file" / "state.sqlite3"
    elif kind == "path_is_a_directory":
        path = tmp_path / "a_directory"
        path.mkdir()
    else:
        path = Path("/proc/self/cramp-helper/state.sqlite3")
    store = SqlitePersistenceAdapter(path, busy_timeout_s=0.2)
    with pytest.raises(StoreUnavailable) as info:
        store.save_attributes(make_envelope("amzn1.ask.account.A"), STATE)
    assert isinstance(info.value.__cause__, OSError | sqlite3.Error)


@pytest.mark.skipif(os.geteuid() == 0, reason="file permissions do not bind root")
def test_read_only_directory_is_store_unavailable(tmp_path: Path) -> None:
    read_only = tmp_path / "ro"
    read_only.mkdir()
    read_only.chmod(0o555)
    try:
        store = SqlitePersistenceAdapter(read_only / "state.sqlite3", busy_timeout_s=0.2)
        with pytest.raises(StoreUnavailable):
            store.save_attributes(make_envelope("amzn1.ask.account.A"), STATE)
    finally:
        read_only.chmod(0o755)


@pytest.mark.parametrize("bad_data", ["{not json", "[1, 2, 3]", '"a string"', ""])
def test_unreadable_row_reads_as_empty_with_a_warning_and_is_replaced_on_save(
    store: SqlitePersistenceAdapter,
    db_path: Path,
    caplog: pytest.LogCaptureFixture,
    bad_data: str,
) -> None:
    broken, fine = make_envelope("amzn1.ask.account.BROKEN"), make_envelope("amzn1.ask.account.OK")
    store.save_attributes(fine, STATE)
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute(
        f"INSERT INTO {TABLE} (user_id, data, updated_at) VALUES (?, ?, 0)",
        ("amzn1.ask.account.BROKEN", bad_data),
    )
    conn.close()

    with caplog.at_level(logging.WARNING, logger="skill.persistence"):
        assert store.get_attributes(broken) == {}
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "amzn1.ask.account.BROKEN" not in warnings[0].getMessage()  # ids stay out of logs
    assert store.get_attributes(fine) == STATE

    store.save_attributes(broken, {"settings": {"hold_seconds": 15}})
    assert store.get_attributes(broken) == {"settings": {"hold_seconds": 15}}
