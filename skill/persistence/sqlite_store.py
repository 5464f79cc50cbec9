"""User state in a local SQLite file (local runs and the web service).

One row per Alexa user: ``user_state(user_id TEXT PRIMARY KEY, data TEXT, updated_at REAL)``,
``data`` being the user's state as a JSON object and ``updated_at`` Unix seconds.

Design notes:

- **Atomic writes.** Every save or delete is one SQL statement in autocommit mode, which SQLite
  runs as its own transaction: a record is either fully replaced or untouched, never mixed.
- **Concurrency.** The database runs in WAL mode, so readers never wait for writers and writers
  from several threads and processes queue on SQLite's own lock for up to ``busy_timeout_s``.
  Each thread keeps one connection (a thread-local on the instance, re-opened after a fork or
  after any error). A connection per call would also work, but in WAL mode closing the last
  connection checkpoints and deletes the ``-wal``/``-shm`` files, so a single-threaded process
  would pay that on every request.
- **Durability.** ``synchronous=FULL``: a save that returned survives a power cut. Saves are
  rare (only when something changed), so the extra fsync is cheap.
- **Failures.** Anything that makes the store unusable (locked beyond the busy timeout, a file
  that is not a database, a read-only or impossible path) raises :class:`StoreUnavailable`
  with the cause chained, after one log line.
- **An unreadable row.** If a single user's ``data`` does not decode to a JSON object, that
  user's record is lost anyway: :meth:`get_attributes` logs a warning and returns ``{}``, and
  the next save replaces the row. The rest of the database stays usable.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter

from skill.persistence.codec import encode_state, user_fingerprint
from skill.persistence.errors import StoreUnavailable
from skill.persistence.keys import user_id_partition_keygen

if TYPE_CHECKING:
    from ask_sdk_model import RequestEnvelope

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

TABLE = "user_state"

_CREATE_TABLE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    user_id    TEXT PRIMARY KEY NOT NULL,
    data       TEXT NOT NULL,
    updated_at REAL NOT NULL
)
"""
_SELECT = f"SELECT data FROM {TABLE} WHERE user_id = ?"
_UPSERT = (
    f"INSERT INTO {TABLE} (user_id, data, updated_at) VALUES (?, ?, ?) "
    "ON CONFLICT(user_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at"
)
_DELETE = f"DELETE FROM {TABLE} WHERE user_id = ?"


class _ThreadConnection(threading.local):
    """Per-thread connection slot; ``pid`` detects a connection inherited through ``fork``."""

    conn: sqlite3.Connection | None = None
    pid: int = 0


class SqlitePersistenceAdapter(AbstractPersistenceAdapter):
    """Stores each Alexa user's state as one JSON row in a SQLite database.

    Constructing the adapter touches nothing on disk; parent directories, the WAL switch and
    the table are created on first use, so a broken path shows up as :class:`StoreUnavailable`
    on a request (which then runs without stored state) instead of stopping the skill.

    :param path: database file; parent directories are created as needed.
    :param busy_timeout_s: how long one call waits for another writer's lock before giving up
        with :class:`StoreUnavailable`.
    """

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout_s: float = 2.0) -> None:
        if busy_timeout_s < 0:
            raise ValueError("busy_timeout_s must not be negative")
        self.path = Path(path)
        self.busy_timeout_s = busy_timeout_s
        self._local = _ThreadConnection()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r}, busy_timeout_s={self.busy_timeout_s})"

    # -- AbstractPersistenceAdapter ---------------------------------------------------------

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        """Return the stored state for the request's user, ``{}`` if there is none."""
        user_id = user_id_partition_keygen(request_envelope)
        row = self._run("read", lambda conn: conn.execute(_SELECT, (user_id,)).fetchone())
        if row is None:
            return {}
        try:
            state = json.loads(row[0])
        except (TypeError, ValueError) as exc:
            logger.warning(
                "Stored state for user %s is not valid JSON (%s); treating it as empty",
                user_fingerprint(user_id),
                exc,
            )
            return {}
        if not isinstance(state, dict):
            logger.warning(
                "Stored state for user %s is a JSON %s, not an object; treating it as empty",
                user_fingerprint(user_id),
                type(state).__name__,
            )
            return {}
        return state

    def save_attributes(
        self, request_envelope: RequestEnvelope, attributes: dict[str, Any]
    ) -> None:
        """Replace the request's user's state with ``attributes``, in one transaction."""
        user_id = user_id_partition_keygen(request_envelope)
        data = encode_state(attributes)
        self._run("write", lambda conn: conn.execute(_UPSERT, (user_id, data, time.time())))

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        """Delete everything stored for the request's user (a no-op if nothing is)."""
        user_id = user_id_partition_keygen(request_envelope)
        self._run("delete", lambda conn: conn.execute(_DELETE, (user_id,)))

    # -- connection handling ----------------------------------------------------------------

    def close(self) -> None:
        """Close the calling thread's connection (other threads' close when those threads end)."""
        conn, self._local.conn = self._local.conn, None
        if conn is not None and self._local.pid == os.getpid():
            conn.close()

    def _run(self, operation: str, action: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run ``action(connection)``, turning store failures into :class:`StoreUnavailable`."""
        try:
            return action(self._connection())
        except (sqlite3.Error, OSError) as exc:
            # The connection may be unusable now (file replaced, corrupt, lock state unknown);
            # drop it so the next call starts afresh and picks up a store that came back.
            self._discard_connection()
            logger.warning(
                "SQLite user-state store %s unavailable for %s: %s: %s",
                self.path,
                operation,
                type(exc).__name__,
                exc,
            )
            raise StoreUnavailable(
                f"SQLite store {self.path} unavailable for {operation}: {exc}"
            ) from exc

    def _connection(self) -> sqlite3.Connection:
        local = self._local
        if local.conn is not None and local.pid == os.getpid():
            return local.conn
        # A connection inherited across fork() must not be used (or closed) by the child.
        local.conn = None
        conn = self._open()
        local.conn, local.pid = conn, os.getpid()
        return conn

    def _discard_connection(self) -> None:
        local = self._local
        conn, local.conn = local.conn, None
        if conn is not None and local.pid == os.getpid():
            try:
                conn.close()
            except sqlite3.Error:
                logger.debug("Ignoring an error while closing a broken connection", exc_info=True)

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: autocommit, so each statement is exactly one transaction and
        # the module never leaves an implicit transaction open between requests.
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None)
        try:
            self._prepare(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _prepare(self, conn: sqlite3.Connection) -> None:
        # Reading the mode first avoids asking for the lock that switching needs once the
        # database is already in WAL mode (it stays so; the setting lives in the file).
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() != "wal":
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                logger.warning("SQLite store %s could not use WAL mode (got %s)", self.path, mode)
        conn.execute("PRAGMA synchronous=FULL")
        exists = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)
        ).fetchone()
        if exists is None:
            conn.execute(_CREATE_TABLE)
