"""An in-memory user-state store, for tests and local experiments."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter

from skill.persistence.codec import json_copy
from skill.persistence.keys import user_id_partition_keygen

if TYPE_CHECKING:
    from ask_sdk_model import RequestEnvelope


class InMemoryPersistenceAdapter(AbstractPersistenceAdapter):
    """Keeps each user's state in a dict on the instance; thread-safe.

    Stored and returned values are copies made through JSON (see
    :func:`skill.persistence.codec.json_copy`), so a handler mutating what it got (or what it
    saved) cannot change the stored state behind the store's back, and the store accepts and
    returns exactly what the SQLite store does.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, dict[str, Any]] = {}

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        user_id = user_id_partition_keygen(request_envelope)
        with self._lock:
            record = self._records.get(user_id)
            return json_copy(record) if record is not None else {}

    def save_attributes(
        self, request_envelope: RequestEnvelope, attributes: dict[str, Any]
    ) -> None:
        user_id = user_id_partition_keygen(request_envelope)
        copied = json_copy(attributes)
        with self._lock:
            self._records[user_id] = copied

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        user_id = user_id_partition_keygen(request_envelope)
        with self._lock:
            self._records.pop(user_id, None)

    def stored(self, user_id: str) -> dict[str, Any] | None:
        """Return a copy of what is stored for ``user_id``, or None if nothing is (for tests)."""
        with self._lock:
            record = self._records.get(user_id)
            return json_copy(record) if record is not None else None

    def user_ids(self) -> list[str]:
        """Return the ids of all users with stored state (for tests)."""
        with self._lock:
            return sorted(self._records)
