"""Which key a user's state is stored under."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ask_sdk_core.exceptions import PersistenceException

if TYPE_CHECKING:
    from ask_sdk_model import RequestEnvelope


def _nested(obj: Any, *names: str) -> Any:
    for name in names:
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    return obj


def user_id_partition_keygen(request_envelope: RequestEnvelope) -> str:
    """Return the Alexa user id a request belongs to.

    ``context.System.user.userId`` is present on every request, including those outside a
    session (e.g. AudioPlayer events); ``session.user.userId`` is the fallback for envelopes
    built without a context, as some test tools do.

    :raises PersistenceException: if the envelope carries no user id at all.
    """
    user_id = _nested(request_envelope, "context", "system", "user", "user_id")
    if not user_id:
        user_id = _nested(request_envelope, "session", "user", "user_id")
    if not isinstance(user_id, str) or not user_id:
        raise PersistenceException("The request envelope carries no user id to store state under")
    return user_id
