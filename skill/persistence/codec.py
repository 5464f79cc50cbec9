"""How user state is turned into stored text and back (shared by every store)."""

from __future__ import annotations

import json
from typing import Any

from ask_sdk_core.exceptions import PersistenceException

#: How state is written: sorted keys (so one state has one text), compact, no NaN or infinity
#: (not JSON). Made once: ``json.dumps`` with options builds a new encoder on every call.
_ENCODER = json.JSONEncoder(sort_keys=True, allow_nan=False, separators=(",", ":"))


def encode_state(attributes: Any) -> str:
    """Serialise a user's state to its canonical JSON text (sorted keys, compact).

    JSON is the contract for every store: what the SQLite store accepts, the memory and
    DynamoDB stores accept too, so a handler that keeps something JSON cannot hold (a set, an
    object, NaN) fails in tests the way it would in production. One state always gives the
    same text, so texts can be compared to tell whether a state changed.

    :raises PersistenceException: if ``attributes`` is not a JSON-serialisable dict. This is a
        bug in the caller, not an unavailable store, so it is not ``StoreUnavailable``.
    """
    if not isinstance(attributes, dict):
        raise PersistenceException(f"User state must be a dict, not {type(attributes).__name__}")
    try:
        return _ENCODER.encode(attributes)
    except (TypeError, ValueError) as exc:
        raise PersistenceException(f"User state is not JSON-serialisable: {exc}") from exc


class StoredState(dict[str, Any]):
    """A user's state as a store read it, with ``text``: the stored JSON text it came from.

    When that text is the canonical one (:func:`encode_state` wrote it), it is what the state
    encodes to while unchanged, so noticing a change needs no encoding at load time. Any other
    text only makes the first save of the request happen even if nothing changed.
    """

    __slots__ = ("text",)

    def __init__(self, state: dict[str, Any], text: str) -> None:
        super().__init__(state)
        self.text = text


def json_copy(attributes: Any) -> dict[str, Any]:
    """Return an independent copy of ``attributes`` exactly as a JSON store would return it.

    Tuples become lists and non-string keys become strings, as in the SQLite store.

    :raises PersistenceException: as :func:`encode_state`.
    """
    copied: dict[str, Any] = json.loads(encode_state(attributes))
    return copied


def user_fingerprint(user_id: str) -> str:
    """A short stable digest of a user id, for log lines (Alexa user ids are personal data)."""
    import hashlib  # only for log lines about a fault: not at every cold start

    return hashlib.sha256(user_id.encode("utf-8")).hexdigest()[:12]
