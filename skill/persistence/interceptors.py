"""Loading and saving user state at the edges of the request pipeline.

Register :class:`LoadUserStateInterceptor` as the first global request interceptor and
:class:`SaveUserStateInterceptor` as the last global response interceptor (or call
:func:`add_user_state_interceptors`). Handlers then read and change the user's state through
:func:`user_state`, and erase it with :func:`forget_user`.

The guarantee these give: **a user's stored settings are never lost**. A request whose load
failed never saves (so defaults can never overwrite real settings), a save failure costs only
that request's change, and the user hears the answer either way. A handler that confirms a
change saves it first with :func:`save_user_state` and words the answer by the result, so the
user is never told a setting was kept when it was not.

Request attributes used (all under the keys below, plain data only):

- ``STORE_OK_KEY`` (``"store_ok"``): True if the user's state was loaded from the store;
  False if it could not be (store unavailable, or no store configured).
- ``SNAPSHOT_TEXT_KEY``: the canonical JSON text of the state as loaded (or last saved),
  ``None`` if it is not JSON, to tell whether it changed.
- ``FORGOTTEN_KEY``: True once :func:`forget_user` ran in this request; nothing is saved after.
- ``SAVE_FAILED_KEY``: True once a save failed in this request; no second attempt is made.
- ``FALLBACK_STATE_KEY``: the empty working dict handed out when the store could not be read.
  It is needed because, with no adapter configured, the SDK's ``persistent_attributes`` can be
  neither read nor set (both raise ``AttributesManagerException``); the request attributes are
  always available, so the dict lives there and :func:`user_state` returns it.

If a handler raises, the SDK skips response interceptors and nothing is saved, so a
half-finished change is not stored either.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any, cast

from ask_sdk_core.dispatch_components import (
    AbstractRequestInterceptor,
    AbstractResponseInterceptor,
)
from ask_sdk_core.exceptions import AttributesManagerException, PersistenceException
from ask_sdk_core.utils import is_request_type

from skill.persistence.codec import StoredState, encode_state

if TYPE_CHECKING:
    from ask_sdk_core.handler_input import HandlerInput
    from ask_sdk_core.skill_builder import SkillBuilder
    from ask_sdk_model import Response

logger = logging.getLogger(__name__)

STORE_OK_KEY = "store_ok"
SNAPSHOT_TEXT_KEY = "user_state_snapshot_text"
FORGOTTEN_KEY = "user_state_forgotten"
FALLBACK_STATE_KEY = "user_state_fallback"
SAVE_FAILED_KEY = "user_state_save_failed"


def load_user_state(handler_input: HandlerInput) -> dict[str, Any]:
    """Load the user's state into the request, or an empty stand-in if that is impossible.

    Never raises. Runs once per request; later calls return the already loaded state.
    """
    manager = handler_input.attributes_manager
    request_attributes = manager.request_attributes
    if STORE_OK_KEY in request_attributes:
        return user_state(handler_input)
    try:
        state = manager.persistent_attributes
        if not isinstance(state, dict):
            raise TypeError(f"the store returned a {type(state).__name__}, not a dict")
    except AttributesManagerException as exc:
        # Raised by the SDK when the skill was built without a persistence adapter.
        logger.debug("No user-state store configured; running without one (%s)", exc)
        return _run_without_store(handler_input)
    except Exception as exc:
        logger.warning(
            "User state could not be loaded; this request runs without it and will not save: "
            "%s: %s (cause: %r)",
            type(exc).__name__,
            exc,
            exc.__cause__,
        )
        return _run_without_store(handler_input)
    request_attributes[STORE_OK_KEY] = True
    request_attributes[SNAPSHOT_TEXT_KEY] = (
        state.text if isinstance(state, StoredState) else _canonical(state)
    )
    return state


def _run_without_store(handler_input: HandlerInput) -> dict[str, Any]:
    manager = handler_input.attributes_manager
    fallback: dict[str, Any] = {}
    manager.request_attributes[STORE_OK_KEY] = False
    manager.request_attributes[FALLBACK_STATE_KEY] = fallback
    # With an adapter, also hand the SDK the stand-in: a handler reading persistent_attributes
    # directly then gets it instead of retrying the failed store. Without one the SDK refuses,
    # and user_state() serves the stand-in from the request attributes.
    with contextlib.suppress(AttributesManagerException):
        manager.persistent_attributes = fallback
    return fallback


def store_available(handler_input: HandlerInput) -> bool:
    """True if this request's user state came from the store (and changes will be saved)."""
    load_user_state(handler_input)
    return bool(handler_input.attributes_manager.request_attributes.get(STORE_OK_KEY))


def user_state(handler_input: HandlerInput) -> dict[str, Any]:
    """The user's mutable state for this request; always a dict, with or without a store.

    Changes made to it are saved at the end of the request when the store is available.
    Loads the state first if the load interceptor has not run.
    """
    manager = handler_input.attributes_manager
    request_attributes = manager.request_attributes
    if STORE_OK_KEY not in request_attributes:
        return load_user_state(handler_input)
    if request_attributes[STORE_OK_KEY]:
        # A dict: load_user_state() checked it, and only this module replaces it.
        return cast("dict[str, Any]", manager.persistent_attributes)
    return cast("dict[str, Any]", request_attributes.setdefault(FALLBACK_STATE_KEY, {}))


def forget_user(handler_input: HandlerInput) -> bool:
    """Delete everything stored for this user; True if the store confirmed it.

    Whatever the outcome, the in-request state is emptied and nothing is saved for the rest
    of this request. Returns False (after logging why) if the store is unavailable or none is
    configured; the stored record may then still exist.
    """
    manager = handler_input.attributes_manager
    request_attributes = manager.request_attributes
    previous = user_state(handler_input)
    request_attributes[FORGOTTEN_KEY] = True
    previous.clear()  # also empties any reference a handler still holds
    try:
        manager.delete_persistent_attributes()
    except AttributesManagerException as exc:
        logger.warning("Cannot forget the user: no user-state store configured (%s)", exc)
        return False
    except Exception as exc:
        logger.warning(
            "Could not forget the user, the store is unavailable: %s: %s (cause: %r)",
            type(exc).__name__,
            exc,
            exc.__cause__,
        )
        return False
    # delete_persistent_attributes() leaves the SDK to re-read the store on the next access;
    # hand it the emptied dict instead so the rest of the request sees {} without a round trip.
    manager.persistent_attributes = previous
    request_attributes[SNAPSHOT_TEXT_KEY] = _canonical({})
    return True


def _canonical(state: Any) -> str | None:
    """Comparable text for a state; ``None`` if it is not JSON (the save will then report it).

    JSON text rather than ``==`` because ``==`` treats ``True``, ``1`` and ``1.0`` as equal.
    """
    try:
        return encode_state(state)
    except PersistenceException:
        return None


class LoadUserStateInterceptor(AbstractRequestInterceptor):
    """Loads the user's state before any handler runs; never fails the request."""

    def process(self, handler_input: HandlerInput) -> None:
        if is_request_type("CanFulfillIntentRequest")(handler_input):
            return  # a question about the skill, asked without a user: nothing to load or save
        load_user_state(handler_input)


def save_user_state(handler_input: HandlerInput) -> bool:
    """Save the user's state now if it changed; True if the store holds it as it stands.

    Call it before telling the user a change is kept, and word the answer by the result.
    Nothing is written when the load failed or no store is configured (never overwrite real
    settings with stand-in defaults), when the user was just forgotten, when nothing changed
    since the load or the last save, or after a save already failed in this request. Never
    raises: a failed save is logged.

    :returns: False if the state as it stands is not in the store: no store, a failed load,
        a forgotten user, or a failed save. True if it was saved or was already stored.
    """
    load_user_state(handler_input)
    manager = handler_input.attributes_manager
    request_attributes = manager.request_attributes
    if not request_attributes.get(STORE_OK_KEY) or request_attributes.get(FORGOTTEN_KEY):
        return False
    if request_attributes.get(SAVE_FAILED_KEY):
        # Once per request: the user has been told, and a second wait on a stalled store
        # could cost Alexa's whole time budget.
        return False
    try:
        current = manager.persistent_attributes
        current_text = _canonical(current)
        if current_text is not None and current_text == request_attributes.get(
            SNAPSHOT_TEXT_KEY
        ):
            return True
        manager.save_persistent_attributes()
    except Exception as exc:
        request_attributes[SAVE_FAILED_KEY] = True
        logger.error(
            "User state could not be saved; this request's change is lost, earlier "
            "settings are kept: %s: %s (cause: %r)",
            type(exc).__name__,
            exc,
            exc.__cause__,
        )
        return False
    request_attributes[SNAPSHOT_TEXT_KEY] = current_text
    return True


class SaveUserStateInterceptor(AbstractResponseInterceptor):
    """Saves what changed after a handler answered (see :func:`save_user_state`).

    Changes the user is told about are saved earlier, by the handler, so the answer can say
    whether they were kept; this catches the rest (such as the place in a routine).
    """

    def process(self, handler_input: HandlerInput, response: Response | None) -> None:
        save_user_state(handler_input)


def add_user_state_interceptors(skill_builder: SkillBuilder) -> None:
    """Register the loader and the saver on ``skill_builder``.

    Call it before adding other request interceptors and after adding other response
    interceptors, so the state is loaded first and saved last.
    """
    skill_builder.add_global_request_interceptor(LoadUserStateInterceptor())
    skill_builder.add_global_response_interceptor(SaveUserStateInterceptor())
