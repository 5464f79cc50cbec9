"""Errors raised by the user-state stores."""

from __future__ import annotations

from ask_sdk_core.exceptions import PersistenceException


class StoreUnavailable(PersistenceException):
    """The user-state store cannot be used right now.

    Raised when the store is down, unreachable, read-only, locked for longer than the busy
    timeout, or its file is not a usable database. The original error is chained as
    ``__cause__``. Callers treat this as "run this request without stored state", never as
    "this user has no state": overwriting the store with defaults after this error would
    lose the user's settings.
    """
