"""Loading and saving user state around a real SDK skill, including when the store fails."""

from __future__ import annotations

import contextlib
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.dispatch_components import AbstractExceptionHandler, AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import RequestEnvelope, Response

from skill.persistence import (
    InMemoryPersistenceAdapter,
    SqlitePersistenceAdapter,
    StoreUnavailable,
    add_user_state_interceptors,
    forget_user,
    save_user_state,
    store_available,
    user_state,
)
from skill.persistence.interceptors import FORGOTTEN_KEY, SNAPSHOT_TEXT_KEY, STORE_OK_KEY
from skill.tools import envelopes as E

APP_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
USER = "amzn1.ask.account.TESTUSER"
SETTINGS = {"hold_seconds": 45, "night_mode": True}


# -- a tiny skill -------------------------------------------------------------------------------


class CountHandler(AbstractRequestHandler):
    """Counts how often the user asked, in their stored state."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("CountIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        state = user_state(handler_input)
        state["count"] = state.get("count", 0) + 1
        stored = "stored" if store_available(handler_input) else "not stored"
        speech = f"Count {state['count']}, {stored}."
        return handler_input.response_builder.speak(speech).response


class ReadSettingsHandler(AbstractRequestHandler):
    """Reads the settings without changing anything."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("ReadSettingsIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        hold = user_state(handler_input).get("settings", {}).get("hold_seconds", 30)
        return handler_input.response_builder.speak(f"Hold {hold}.").response


class NightModeOnHandler(AbstractRequestHandler):
    """Sets night_mode to the integer 1 (a change of type only, if it was True)."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("NightModeOneIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        user_state(handler_input).setdefault("settings", {})["night_mode"] = 1
        return handler_input.response_builder.speak("Night mode.").response


class ForgetHandler(AbstractRequestHandler):
    """Forgets the user, then (wrongly) writes to the state: that must not be saved."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("ForgetIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        state = user_state(handler_input)
        forgotten = forget_user(handler_input)
        state["count"] = 99  # the old reference
        user_state(handler_input)["settings"] = {"hold_seconds": 10}
        speech = "Forgotten." if forgotten else "Could not forget."
        return handler_input.response_builder.speak(speech).response


class DirectAccessHandler(AbstractRequestHandler):
    """Uses the SDK's persistent_attributes directly, as some handlers might."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("DirectIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        attributes = handler_input.attributes_manager.persistent_attributes
        attributes["direct"] = True
        return handler_input.response_builder.speak(f"Keys {sorted(attributes)}.").response


class KeepHandler(AbstractRequestHandler):
    """Changes a setting, saves it before answering, and words the answer by the result."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("KeepIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        user_state(handler_input)["settings"] = {"hold_seconds": 20}
        kept = save_user_state(handler_input)
        speech = "Kept." if kept else "For now only."
        return handler_input.response_builder.speak(speech).response


class CrashHandler(AbstractRequestHandler):
    """Changes the state, then fails."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("CrashIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        user_state(handler_input)["count"] = -1
        raise RuntimeError("boom")


class SorryHandler(AbstractExceptionHandler):
    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return True

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        return handler_input.response_builder.speak("Sorry.").response


def build_lambda(adapter: AbstractPersistenceAdapter | None) -> Any:
    builder = CustomSkillBuilder(persistence_adapter=adapter)
    builder.skill_id = APP_ID
    add_user_state_interceptors(builder)
    for handler in (
        CountHandler(),
        ReadSettingsHandler(),
        NightModeOnHandler(),
        ForgetHandler(),
        DirectAccessHandler(),
        KeepHandler(),
        CrashHandler(),
    ):
        builder.add_request_handler(handler)
    builder.add_exception_handler(SorryHandler())
    return builder.lambda_handler()


def event(intent: str, user_id: str = USER) -> dict[str, Any]:
    """A minimal real IntentRequest as Alexa sends it."""
    return E.intent(
        intent,
        user_id=user_id,
        application_id=APP_ID,
        attributes={},
        new=False,
        session_id="amzn1.echo-api.session.1",
        at=datetime(2025, 11, 23, 12, tzinfo=UTC),
    )

def speech(result: dict[str, Any]) -> str:
    ssml: str = result["response"]["outputSpeech"]["ssml"]
    return ssml.removeprefix("<speak>").removesuffix("</speak>")


class SpyAdapter(InMemoryPersistenceAdapter):
    """Counts calls, and fails on demand like an unavailable store."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = {"get": 0, "save": 0, "delete": 0}
        self.failing: set[str] = set()
        self.fail_with: type[Exception] = StoreUnavailable

    def _maybe_fail(self, operation: str) -> None:
        self.calls[operation] += 1
        if operation in self.failing:
            try:
                raise ConnectionError("connection refused")
            except ConnectionError as cause:
                raise self.fail_with(f"store down for {operation}") from cause

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        self._maybe_fail("get")
        return super().get_attributes(request_envelope)

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: dict) -> None:
        self._maybe_fail("save")
        super().save_attributes(request_envelope, attributes)

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        self._maybe_fail("delete")
        super().delete_attributes(request_envelope)

    def seed(self, user_id: str, state: dict[str, Any]) -> None:
        self._records[user_id] = state


@pytest.fixture
def spy() -> SpyAdapter:
    return SpyAdapter()


# -- the happy path -----------------------------------------------------------------------------


def test_state_persists_across_requests(spy: SpyAdapter) -> None:
    handler = build_lambda(spy)
    for expected in (1, 2, 3):
        assert speech(handler(event("CountIntent"), None)) == f"Count {expected}, stored."
    assert spy.stored(USER) == {"count": 3}
    assert spy.calls == {"get": 3, "save": 3, "delete": 0}


def test_users_do_not_share_state(spy: SpyAdapter) -> None:
    handler = build_lambda(spy)
    handler(event("CountIntent", "amzn1.ask.account.A"), None)
    handler(event("CountIntent", "amzn1.ask.account.A"), None)
    assert speech(handler(event("CountIntent", "amzn1.ask.account.B"), None)) == "Count 1, stored."


def test_no_write_when_nothing_changed(spy: SpyAdapter) -> None:
    spy.seed(USER, {"settings": SETTINGS})
    handler = build_lambda(spy)
    for _ in range(3):
        assert speech(handler(event("ReadSettingsIntent"), None)) == "Hold 45."
    assert spy.calls["save"] == 0


def test_a_change_of_type_only_is_still_a_change(spy: SpyAdapter) -> None:
    spy.seed(USER, {"settings": SETTINGS})  # night_mode True; the handler sets 1 (== True)
    build_lambda(spy)(event("NightModeOneIntent"), None)
    assert spy.calls["save"] == 1
    assert spy.stored(USER)["settings"]["night_mode"] == 1  # type: ignore[index]


def test_handler_using_persistent_attributes_directly_is_saved(spy: SpyAdapter) -> None:
    spy.seed(USER, {"count": 2})
    assert speech(build_lambda(spy)(event("DirectIntent"), None)) == "Keys ['count', 'direct']."
    assert spy.stored(USER) == {"count": 2, "direct": True}
    assert spy.calls["get"] == 1


def test_a_handler_that_fails_saves_nothing(spy: SpyAdapter) -> None:
    spy.seed(USER, {"count": 5})
    assert speech(build_lambda(spy)(event("CrashIntent"), None)) == "Sorry."
    assert spy.stored(USER) == {"count": 5}
    assert spy.calls["save"] == 0


# -- a failing store ----------------------------------------------------------------------------


@pytest.mark.parametrize("error", [StoreUnavailable, RuntimeError])
def test_load_failure_still_answers_and_never_writes(
    spy: SpyAdapter, caplog: pytest.LogCaptureFixture, error: type[Exception]
) -> None:
    spy.seed(USER, {"count": 10, "settings": SETTINGS})
    spy.failing = {"get"}
    spy.fail_with = error
    with caplog.at_level(logging.WARNING, logger="skill.persistence"):
        result = build_lambda(spy)(event("CountIntent"), None)
    assert speech(result) == "Count 1, not stored."
    assert spy.calls["save"] == 0
    assert spy.stored(USER) == {"count": 10, "settings": SETTINGS}
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("could not be loaded" in m and "connection refused" in m for m in warnings)


def test_load_failure_is_not_retried_by_direct_access(spy: SpyAdapter) -> None:
    spy.failing = {"get"}
    assert speech(build_lambda(spy)(event("DirectIntent"), None)) == "Keys ['direct']."
    assert spy.calls == {"get": 1, "save": 0, "delete": 0}


def test_save_failure_still_answers_and_keeps_stored_state(
    spy: SpyAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    spy.seed(USER, {"count": 10, "settings": SETTINGS})
    spy.failing = {"save"}
    with caplog.at_level(logging.ERROR, logger="skill.persistence"):
        result = build_lambda(spy)(event("CountIntent"), None)
    assert speech(result) == "Count 11, stored."
    assert spy.calls["save"] == 1
    assert spy.stored(USER) == {"count": 10, "settings": SETTINGS}
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "could not be saved" in errors[0]


@pytest.mark.parametrize(
    ("failing", "seeded", "said", "saves"),
    [
        (set(), {}, "Kept.", 1),
        (set(), {"settings": {"hold_seconds": 20}}, "Kept.", 0),  # already stored: no write
        ({"save"}, {}, "For now only.", 1),
        ({"get"}, {}, "For now only.", 0),  # never overwrite what could not be read
    ],
)
def test_a_change_is_saved_before_the_answer_and_the_answer_knows(
    spy: SpyAdapter, failing: set[str], seeded: dict[str, Any], said: str, saves: int
) -> None:
    if seeded:
        spy.seed(USER, seeded)
    spy.failing = failing
    assert speech(build_lambda(spy)(event("KeepIntent"), None)) == said
    assert spy.calls["save"] == saves  # once at most: the end of the request does not repeat it


def test_a_change_without_any_store_is_not_called_kept() -> None:
    assert speech(build_lambda(None)(event("KeepIntent"), None)) == "For now only."


def test_settings_are_intact_when_the_store_comes_back(spy: SpyAdapter) -> None:
    spy.seed(USER, {"count": 10, "settings": SETTINGS})
    handler = build_lambda(spy)
    spy.failing = {"get", "save"}
    for _ in range(3):
        assert speech(handler(event("CountIntent"), None)) == "Count 1, not stored."
    spy.failing = set()
    assert speech(handler(event("ReadSettingsIntent"), None)) == "Hold 45."
    assert speech(handler(event("CountIntent"), None)) == "Count 11, stored."
    assert spy.stored(USER) == {"count": 11, "settings": SETTINGS}


def test_without_any_adapter_the_skill_still_answers(caplog: pytest.LogCaptureFixture) -> None:
    handler = build_lambda(None)
    with caplog.at_level(logging.DEBUG, logger="skill.persistence"):
        assert speech(handler(event("CountIntent"), None)) == "Count 1, not stored."
        assert speech(handler(event("CountIntent"), None)) == "Count 1, not stored."
        assert speech(handler(event("ForgetIntent"), None)) == "Could not forget."
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any(
        r.levelno == logging.DEBUG and "No user-state store" in r.getMessage()
        for r in caplog.records
    )


# -- forgetting ---------------------------------------------------------------------------------


def test_forget_user_removes_the_record_and_nothing_is_saved_back(spy: SpyAdapter) -> None:
    spy.seed(USER, {"count": 10, "settings": SETTINGS})
    spy.seed("amzn1.ask.account.OTHER", {"count": 1})
    handler = build_lambda(spy)
    assert speech(handler(event("ForgetIntent"), None)) == "Forgotten."
    assert spy.stored(USER) is None
    assert spy.calls["save"] == 0
    assert spy.stored("amzn1.ask.account.OTHER") == {"count": 1}
    assert speech(handler(event("CountIntent"), None)) == "Count 1, stored."


def test_forget_user_with_the_store_down_reports_failure(
    spy: SpyAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    spy.seed(USER, {"count": 10})
    spy.failing = {"delete"}
    with caplog.at_level(logging.WARNING, logger="skill.persistence"):
        assert speech(build_lambda(spy)(event("ForgetIntent"), None)) == "Could not forget."
    assert spy.stored(USER) == {"count": 10}
    assert spy.calls["save"] == 0
    assert any("Could not forget" in r.getMessage() for r in caplog.records)


def test_forget_user_tries_the_store_even_after_a_failed_load(spy: SpyAdapter) -> None:
    spy.seed(USER, {"count": 10})
    spy.failing = {"get"}
    assert speech(build_lambda(spy)(event("ForgetIntent"), None)) == "Forgotten."
    assert spy.stored(USER) is None


# -- the helpers on their own -------------------------------------------------------------------


def test_request_attributes_after_load_and_forget(spy: SpyAdapter) -> None:
    seen: dict[str, Any] = {}

    class Inspect(AbstractRequestHandler):
        def can_handle(self, handler_input: HandlerInput) -> bool:
            return True

        def handle(self, handler_input: HandlerInput) -> Response:
            attributes = handler_input.attributes_manager.request_attributes
            seen["before"] = dict(attributes)
            seen["forgot"] = forget_user(handler_input)
            seen["after"] = dict(attributes)
            seen["state"] = user_state(handler_input)
            return handler_input.response_builder.response

    spy.seed(USER, {"count": 4})
    builder = CustomSkillBuilder(persistence_adapter=spy)
    add_user_state_interceptors(builder)
    builder.add_request_handler(Inspect())
    builder.lambda_handler()(event("AnyIntent"), None)

    assert seen["before"][STORE_OK_KEY] is True
    assert seen["before"][SNAPSHOT_TEXT_KEY] == '{"count":4}'
    assert seen["forgot"] is True
    assert seen["after"][FORGOTTEN_KEY] is True
    assert seen["state"] == {}
    assert spy.calls == {"get": 1, "save": 0, "delete": 1}


def test_user_state_loads_on_demand_without_the_interceptor(spy: SpyAdapter) -> None:
    spy.seed(USER, {"count": 4})

    class Reader(AbstractRequestHandler):
        def can_handle(self, handler_input: HandlerInput) -> bool:
            return True

        def handle(self, handler_input: HandlerInput) -> Response:
            count = user_state(handler_input)["count"]
            return handler_input.response_builder.speak(f"Count {count}.").response

    builder = CustomSkillBuilder(persistence_adapter=spy)
    builder.add_request_handler(Reader())
    assert speech(builder.lambda_handler()(event("AnyIntent"), None)) == "Count 4."


# -- with the real SQLite store -----------------------------------------------------------------


def test_end_to_end_with_sqlite_including_a_locked_database(tmp_path: Path) -> None:
    import sqlite3

    db_path = tmp_path / "state.sqlite3"
    store = SqlitePersistenceAdapter(db_path, busy_timeout_s=0.1)
    handler = build_lambda(store)
    assert speech(handler(event("CountIntent"), None)) == "Count 1, stored."
    assert speech(handler(event("CountIntent"), None)) == "Count 2, stored."

    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process is writing
    try:
        # Reads still work; the save times out, is logged, and the answer goes out.
        assert speech(handler(event("CountIntent"), None)) == "Count 3, stored."
    finally:
        other.execute("ROLLBACK")
    other.execute("BEGIN EXCLUSIVE")  # another process committing: reads wait too, then give up
    try:
        assert speech(handler(event("CountIntent"), None)) == "Count 1, not stored."
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert speech(handler(event("CountIntent"), None)) == "Count 3, stored."
    store.close()


def test_with_sqlite_only_a_change_is_written(tmp_path: Path) -> None:
    import sqlite3

    db_path = tmp_path / "state.sqlite3"
    store = SqlitePersistenceAdapter(db_path)
    handler = build_lambda(store)

    def row() -> tuple[str, float]:
        with contextlib.closing(sqlite3.connect(db_path)) as conn:
            return conn.execute("SELECT data, updated_at FROM user_state").fetchone()

    # A row written in another layout (spaces, other key order): read as it says.
    handler(event("CountIntent"), None)
    with contextlib.closing(sqlite3.connect(db_path)) as conn, conn:
        conn.execute(
            "UPDATE user_state SET data = ?, updated_at = 1",
            ('{"settings": {"night_mode": true, "hold_seconds": 45}, "count": 1}',),
        )
    assert speech(handler(event("ReadSettingsIntent"), None)) == "Hold 45."
    text, _ = row()
    assert json.loads(text) == {"count": 1, "settings": {"hold_seconds": 45, "night_mode": True}}

    # Unchanged state read back in the layout the store writes is not written again.
    _, written_at = row()
    assert speech(handler(event("ReadSettingsIntent"), None)) == "Hold 45."
    assert row()[1] == written_at

    # A change of type only, deep inside, is a change.
    handler(event("NightModeOneIntent"), None)
    assert json.loads(row()[0])["settings"]["night_mode"] == 1
    store.close()


# -- keeping less -------------------------------------------------------------------------------


def test_an_expired_routine_place_is_deleted_not_just_ignored() -> None:
    from skill.builder import build_lambda_handler
    from skill.persistence.memory_store import InMemoryPersistenceAdapter
    from skill.routine import PLACE_MAX_AGE_SECONDS
    from skill.tools import envelopes as E

    store = InMemoryPersistenceAdapter()
    now = [1_700_000_000.0]
    handler = build_lambda_handler(store, clock=lambda: now[0])
    talk = E.Conversation(lambda body: handler(body, None), user_id=USER)
    talk.intent("StretchIntent", {"Muscle": E.resolved("front of my thigh", "quadriceps")})
    talk.intent("AMAZON.StopIntent")
    assert "routine" in (store.stored(USER) or {})

    now[0] += PLACE_MAX_AGE_SECONDS - 60  # still fresh: offered, and kept
    talk.launch()
    talk.intent("AMAZON.StopIntent")
    assert "routine" in (store.stored(USER) or {})

    now[0] += PLACE_MAX_AGE_SECONDS + 60  # too old to offer: gone from the store
    response = talk.launch()
    assert "where you left off" not in (E.speech(response) or "")
    assert "routine" not in (store.stored(USER) or {})
