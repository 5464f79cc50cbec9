"""User state in a local SQLite file (local runs and the web service).

One row per Alexa user: ``user_state(user_id TEXT PRIMARY KEY, data TEXT, updated_at REAL)``,
``data`` being the user's state as a JSON object and ``updated_at`` Unix seconds.

Design notes:

- **Atomic writes.** Every save or delete is one SQL statement run on its own (autocommit), which
  SQLite makes its own transaction: a record is either fully replaced or untouched, never mixed;
  a statement that fails, its commit included, is rolled back whole. A lone write statement
  asks for the write lock before it reads anything, as ``BEGIN IMMEDIATE`` would, so two
  writers can never each hold a read lock while waiting for the other's (SQLite answers that
  deadlock with an immediate "database is locked" that no busy timeout waits out); and it
  costs one statement instead of three (``BEGIN``, the write, ``COMMIT``).
- **Journal mode: a rollback journal (``PERSIST``), not WAL.** WAL keeps its index in a
  ``-shm`` file that every connection maps into memory; if that file is truncated or its
  storage fails under a live mapping, the next access is a SIGBUS and the whole process dies
  with every request in flight. A rollback journal uses only ordinary reads and writes, so the
  same fault is an I/O error: one request runs without stored state and the process lives
  (``tests/test_faults.py`` proves both). The price is that a writer briefly blocks readers,
  which costs nothing here: a save is one small row. ``PERSIST`` ends a transaction by zeroing
  the journal's header where ``TRUNCATE`` frees the journal's pages for the next save to
  allocate again; the commit is just as atomic, and a save costs about a third less (see
  ``benchmarks/RESULTS.md``). The journal file stays beside the database, private like it,
  and never grows past :data:`JOURNAL_SIZE_LIMIT` bytes between saves.
- **Concurrency.** Within a process, every call goes through one connection under a lock:
  calls take microseconds, so threads queue in order instead of polling SQLite's file lock
  (whose sleeping busy handler lets one thread starve behind others and give up under load).
  Between processes, SQLite's file lock serialises writers; a call waits for it up to
  ``busy_timeout_s`` in all (a few seconds, inside Alexa's 8 s), retrying in short rounds.
- **Durability.** ``synchronous=OFF``: a save that returned is in the operating system's
  hands, so it survives a crash or kill of the process (``tests/test_persistence_sqlite.py``
  kills a writer right after its save). What it does not survive is a power cut or a kernel
  crash before the system writes the pages back (within seconds): those saves are lost, and at
  the wrong moment the file can be left unreadable; the store then reports itself unavailable,
  overwrites nothing, and the skill answers with default settings until the file is restored or
  removed. For a hold length, a voice and a place in a routine, which the user can say again in
  one sentence, that is the right trade: with a rollback journal every durable commit costs two
  fsyncs, which on a busy disk took milliseconds per request, several times the whole answer.
- **Deleted or replaced file.** Before each call the file's identity (device and inode) is
  compared with the one the connection opened; if the file was deleted or replaced, this is
  logged and the store reopens the path (writing into an unlinked inode would lose every save).
- **Private files.** The folders the store creates are 0700 and the database file 0600 (its
  journal takes the file's mode): settings are personal data.
- **Failures.** Anything that makes the store unusable (locked beyond the wait, a file that is
  not a database, a read-only or impossible path, an I/O error) raises
  :class:`StoreUnavailable` with the cause chained, after one log line.
- **An unreadable row.** If a single user's ``data`` does not decode to a JSON object, that
  user's record is lost anyway: :meth:`get_attributes` logs a warning and returns ``{}``, and
  the next save replaces the row. The rest of the database stays usable.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter

from skill.persistence.codec import StoredState, encode_state, user_fingerprint
from skill.persistence.errors import StoreUnavailable
from skill.persistence.keys import user_id_partition_keygen

if TYPE_CHECKING:
    from ask_sdk_model import RequestEnvelope

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

TABLE = "user_state"
JOURNAL_MODE = "persist"
#: Bytes the kept journal may hold on to between saves (a save journals a few 4 KiB pages).
JOURNAL_SIZE_LIMIT = 64 * 1024
#: How long one round of waiting on SQLite's own busy handler may last, at most.
LOCK_ROUND_S = 0.25
#: Total wait for another process's lock per call: a load and a save fit well inside 8 s.
DEFAULT_BUSY_TIMEOUT_S = 2.5
FILE_MODE = 0o600
DIR_MODE = 0o700

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

_Identity = tuple[int, int]


def _is_lock_error(exc: sqlite3.Error) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc).lower()


class SqlitePersistenceAdapter(AbstractPersistenceAdapter):
    """Stores each Alexa user's state as one JSON row in a SQLite database.

    Constructing the adapter touches nothing on disk; folders, the file and the table are
    created on first use, so a broken path shows up as :class:`StoreUnavailable` on a request
    (which then runs without stored state) instead of stopping the skill.

    :param path: database file; missing parent folders are created (mode 0700).
    :param busy_timeout_s: how long one call may wait in all (retries included) for another
        process's lock before giving up with :class:`StoreUnavailable`.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S
    ) -> None:
        if busy_timeout_s < 0:
            raise ValueError("busy_timeout_s must not be negative")
        self.path = Path(path)
        self._path_text = os.fspath(self.path)
        self.busy_timeout_s = busy_timeout_s
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._identity: _Identity | None = None
        #: The busy timeout (ms) last set on ``_conn``: setting it again only when it changes
        #: saves a statement on nearly every call.
        self._busy_ms: int | None = None
        # A child of fork() must not use (or close) its parent's connection, nor wait on a
        # lock some other thread of the parent held at the fork. A hook, not a pid check on
        # every call: that would be a system call per load and per save.
        if hasattr(os, "register_at_fork"):  # where there is no fork, nothing to guard
            os.register_at_fork(after_in_child=functools.partial(_after_fork, weakref.ref(self)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r}, busy_timeout_s={self.busy_timeout_s})"

    # -- AbstractPersistenceAdapter ---------------------------------------------------------

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        """Return the stored state for the request's user, ``{}`` if there is none.

        A stored state comes as a :class:`StoredState` carrying the row's text.
        """
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
        return StoredState(state, row[0]) if isinstance(row[0], str) else state

    def save_attributes(
        self, request_envelope: RequestEnvelope, attributes: dict[str, Any]
    ) -> None:
        """Replace the request's user's state with ``attributes``, in one transaction."""
        user_id = user_id_partition_keygen(request_envelope)
        data = encode_state(attributes)
        self._run("write", lambda conn: _write(conn, _UPSERT, (user_id, data, time.time())))

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        """Delete everything stored for the request's user (a no-op if nothing is)."""
        user_id = user_id_partition_keygen(request_envelope)
        self._run("delete", lambda conn: _write(conn, _DELETE, (user_id,)))

    # -- connection handling ----------------------------------------------------------------

    def close(self) -> None:
        """Close the connection; the next call opens a new one."""
        with self._lock:
            self._discard_connection()

    def _forget_parent(self) -> None:
        self._lock = threading.Lock()
        self._conn, self._identity, self._busy_ms = None, None, None

    def _run(self, operation: str, action: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run ``action(connection)``, turning store failures into :class:`StoreUnavailable`.

        Waits for other processes' locks in rounds of at most :data:`LOCK_ROUND_S` until
        ``busy_timeout_s`` has passed in all.
        """
        deadline = time.monotonic() + self.busy_timeout_s
        with self._lock:
            while True:
                try:
                    conn = self._connection()
                    busy_ms = self._round_ms(deadline)
                    if busy_ms != self._busy_ms:
                        conn.execute(f"PRAGMA busy_timeout = {busy_ms}")
                        self._busy_ms = busy_ms
                    return action(conn)
                except sqlite3.Error as exc:
                    if _is_lock_error(exc) and time.monotonic() < deadline:
                        continue
                    self._fail(operation, exc)
                except OSError as exc:
                    self._fail(operation, exc)

    @staticmethod
    def _round_ms(deadline: float) -> int:
        left = max(0.0, deadline - time.monotonic())
        return int(min(left, LOCK_ROUND_S) * 1000)

    def _fail(self, operation: str, exc: Exception) -> NoReturn:
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
        """The open connection, reopened if the file was deleted or replaced meanwhile."""
        if self._conn is not None:
            if self._file_identity() == self._identity:
                return self._conn
            logger.warning(
                "SQLite user-state file %s was deleted or replaced; reopening it", self.path
            )
            self._discard_connection()
        self._conn = self._open()
        return self._conn

    def _file_identity(self) -> _Identity | None:
        try:
            stat = os.stat(self._path_text)
        except FileNotFoundError:
            return None
        return (stat.st_dev, stat.st_ino)

    def _discard_connection(self) -> None:
        conn, self._conn, self._identity, self._busy_ms = self._conn, None, None, None
        if conn is not None:
            try:
                conn.close()
            except sqlite3.Error:
                logger.debug("Ignoring an error while closing a broken connection", exc_info=True)

    def _open(self) -> sqlite3.Connection:
        _make_private_dirs(self.path.parent)
        # Create the file ourselves so it is private from the first byte; SQLite would use
        # the umask (usually 0644). An empty file is a new, empty database to SQLite.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
        try:
            stat = os.fstat(fd)
        finally:
            os.close(fd)
        # isolation_level=None: autocommit, each statement its own transaction. One
        # connection serves every thread of this process, always under the adapter's lock.
        conn = sqlite3.connect(
            self.path, timeout=LOCK_ROUND_S, isolation_level=None, check_same_thread=False
        )
        try:
            self._prepare(conn)
        except BaseException:
            conn.close()
            raise
        self._identity = (stat.st_dev, stat.st_ino)
        return conn

    def _prepare(self, conn: sqlite3.Connection) -> None:
        # Reading the mode first avoids asking for the lock that switching needs when the
        # file already uses it (the setting lives in the connection, the WAL flag in the file).
        mode = str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
        if mode != JOURNAL_MODE:
            mode = str(conn.execute(f"PRAGMA journal_mode={JOURNAL_MODE}").fetchone()[0]).lower()
            if mode != JOURNAL_MODE:
                logger.warning(
                    "SQLite store %s could not use the %s journal (got %s)",
                    self.path,
                    JOURNAL_MODE,
                    mode,
                )
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
        exists = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)
        ).fetchone()
        if exists is None:
            conn.execute(_CREATE_TABLE)


def _after_fork(adapter: weakref.ref[SqlitePersistenceAdapter]) -> None:
    """In a child of ``fork()``: the adapter (if it still exists) starts afresh."""
    alive = adapter()
    if alive is not None:
        alive._forget_parent()


def _write(conn: sqlite3.Connection, statement: str, parameters: tuple[Any, ...]) -> None:
    """One write as its own transaction (see the module notes)."""
    try:
        conn.execute(statement, parameters)
    except BaseException:
        # SQLite rolls a failed lone statement back itself; should a transaction still be
        # open, end it so the connection can be retried or reused.
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                logger.debug("Ignoring an error while rolling back", exc_info=True)
        raise


def _make_private_dirs(folder: Path) -> None:
    """Create ``folder`` and any missing parents with mode 0700 (existing ones are left be)."""
    missing: list[Path] = []
    current = folder
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            path.mkdir(mode=DIR_MODE)
