"""The DynamoDB store against moto's in-process DynamoDB, and choosing a store from the env."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.exceptions import PersistenceException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

from skill.persistence.dynamodb_store import DynamoDbPersistenceAdapter, from_dynamodb
from skill.persistence.errors import StoreUnavailable
from skill.persistence.factory import adapter_from_environment, default_sqlite_path
from skill.persistence.sqlite_store import SqlitePersistenceAdapter
from skill.tools import envelopes as E
from skill.tools.paths import project_root

APP_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
TABLE = "cramp-helper-test"
REPO_ROOT = project_root()


def make_envelope(user_id: str) -> RequestEnvelope:
    event = E.intent(
        "AMAZON.HelpIntent",
        user_id=user_id,
        application_id=APP_ID,
        in_session=False,
        at=datetime(2025, 11, 23, 12, tzinfo=UTC),
    )
    envelope: RequestEnvelope = DefaultSerializer().deserialize(
        json.dumps(event), "ask_sdk_model.RequestEnvelope"
    )
    return envelope

def assert_plain(value: Any) -> None:
    """No Decimal (or any other non-JSON type) anywhere in ``value``."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str)
            assert_plain(item)
    elif isinstance(value, list):
        for item in value:
            assert_plain(item)
    else:
        assert value is None or type(value) in (bool, int, float, str), repr(value)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto's DynamoDB with a table keyed on "id", and fake credentials in a fake region."""
    from moto import mock_aws

    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with mock_aws():
        import boto3

        resource = boto3.resource("dynamodb")
        resource.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield resource


STATE = {
    "settings": {"hold_seconds": 30, "night_mode": True, "voice": "soft"},
    "routine": {"id": "hamstring_lying", "step": 2, "saved_at": 1763900000},
    "numbers": [0, -7, 2**53, 2**70, 0.1, 2.5, -1e-7, 1e16, 1.5e100, -2.5e-100],
    "flags": [True, False, None],
    "deep": {"a": {"b": {"c": [1, {"d": False}]}}},
    "empty": {},
    "text": "",
}


def test_round_trip_returns_plain_python(aws: Any) -> None:
    store = DynamoDbPersistenceAdapter(TABLE)
    envelope = make_envelope("amzn1.ask.account.A")
    assert store.get_attributes(envelope) == {}

    store.save_attributes(envelope, STATE)
    loaded = store.get_attributes(envelope)
    assert_plain(loaded)
    assert loaded == STATE
    assert json.dumps(loaded, sort_keys=True) == json.dumps(STATE, sort_keys=True)
    assert loaded["settings"]["night_mode"] is True
    assert type(loaded["settings"]["hold_seconds"]) is int

    # What is in the table is the SDK's layout: {"id": user id, "attributes": map}.
    item = aws.Table(TABLE).get_item(Key={"id": "amzn1.ask.account.A"})["Item"]
    assert item["attributes"]["settings"]["hold_seconds"] == Decimal(30)


def test_integral_float_comes_back_as_int(aws: Any) -> None:
    """DynamoDB keeps numbers, not Python types: 2.0 reads back as 2 (documented)."""
    store = DynamoDbPersistenceAdapter(TABLE)
    envelope = make_envelope("amzn1.ask.account.A")
    store.save_attributes(envelope, {"x": 2.0})
    assert store.get_attributes(envelope) == {"x": 2}


def test_delete_and_isolation(aws: Any) -> None:
    store = DynamoDbPersistenceAdapter(TABLE, dynamodb_resource=aws)
    alice, bob = make_envelope("amzn1.ask.account.ALICE"), make_envelope("amzn1.ask.account.BOB")
    store.save_attributes(alice, {"count": 1})
    store.save_attributes(bob, {"count": 2})
    store.delete_attributes(alice)
    assert store.get_attributes(alice) == {}
    assert store.get_attributes(bob) == {"count": 2}


def test_missing_table_is_store_unavailable(aws: Any) -> None:
    from botocore.exceptions import ClientError

    store = DynamoDbPersistenceAdapter("no-such-table")
    envelope = make_envelope("amzn1.ask.account.A")
    for call in (
        lambda: store.get_attributes(envelope),
        lambda: store.save_attributes(envelope, {"a": 1}),
        lambda: store.delete_attributes(envelope),
    ):
        with pytest.raises(StoreUnavailable) as info:
            call()
        assert isinstance(info.value.__cause__, ClientError)


@pytest.mark.parametrize("bad", [{"x": float("inf")}, {"x": 1.7976931348623157e308}, {1, 2}])
def test_state_dynamodb_cannot_hold_is_a_persistence_error(aws: Any, bad: Any) -> None:
    """Not JSON, or beyond DynamoDB's number range (1e126): a bug to report, not an outage."""
    store = DynamoDbPersistenceAdapter(TABLE)
    envelope = make_envelope("amzn1.ask.account.A")
    store.save_attributes(envelope, {"kept": True})
    with pytest.raises(PersistenceException) as info:
        store.save_attributes(envelope, bad)
    assert not isinstance(info.value, StoreUnavailable)
    assert store.get_attributes(envelope) == {"kept": True}


def test_from_dynamodb_converts_decimals_and_sets() -> None:
    converted = from_dynamodb(
        {"i": Decimal("30"), "e": Decimal("1E+2"), "f": Decimal("0.5"), "s": {Decimal("1")}}
    )
    assert converted == {"i": 30, "e": 100, "f": 0.5, "s": [1]}
    assert from_dynamodb(Decimal("1.5E+100")) == 1.5e100
    assert type(converted["e"]) is int
    assert type(converted["f"]) is float


# -- choosing the store -------------------------------------------------------------------------


def test_factory_picks_dynamodb_when_the_table_is_named(aws: Any) -> None:
    store = adapter_from_environment({"CRAMP_HELPER_DYNAMODB_TABLE": TABLE})
    assert isinstance(store, DynamoDbPersistenceAdapter)
    envelope = make_envelope("amzn1.ask.account.A")
    store.save_attributes(envelope, {"settings": {"hold_seconds": 20}})
    assert store.get_attributes(envelope) == {"settings": {"hold_seconds": 20}}


def test_factory_picks_sqlite_otherwise(tmp_path: Path) -> None:
    explicit = tmp_path / "x.sqlite3"
    store = adapter_from_environment({"CRAMP_HELPER_DB": str(explicit)})
    assert isinstance(store, SqlitePersistenceAdapter)
    assert store.path == explicit

    xdg = adapter_from_environment({"XDG_DATA_HOME": str(tmp_path / "data")})
    assert isinstance(xdg, SqlitePersistenceAdapter)
    assert xdg.path == tmp_path / "data" / "cramp-helper" / "state.sqlite3"

    blank_table = adapter_from_environment(
        {"CRAMP_HELPER_DYNAMODB_TABLE": "  ", "CRAMP_HELPER_DB": str(explicit)}
    )
    assert isinstance(blank_table, SqlitePersistenceAdapter)


def test_default_sqlite_path() -> None:
    assert default_sqlite_path({"HOME": "/home/u"}) == Path(
        "/home/u/.local/share/cramp-helper/state.sqlite3"
    )
    assert default_sqlite_path({"HOME": "/home/u", "XDG_DATA_HOME": "/data"}) == Path(
        "/data/cramp-helper/state.sqlite3"
    )
    # The XDG spec says to ignore a relative XDG_DATA_HOME.
    assert default_sqlite_path({"HOME": "/home/u", "XDG_DATA_HOME": "rel"}) == Path(
        "/home/u/.local/share/cramp-helper/state.sqlite3"
    )
    assert default_sqlite_path({"HOME": "/home/u", "CRAMP_HELPER_DB": "~/s.db"}) == Path(
        "/home/u/s.db"
    )
    assert default_sqlite_path({"CRAMP_HELPER_DB": "/srv/s.db", "XDG_DATA_HOME": "/data"}) == Path(
        "/srv/s.db"
    )


def test_no_aws_region_import_is_safe_and_requests_see_store_unavailable(tmp_path: Path) -> None:
    """Without a region: importing works, building the adapter works, using it fails softly.

    Runs in a fresh interpreter so nothing AWS-related is already imported or configured.
    """
    script = """
import sys
import skill.persistence
import skill.persistence.factory as factory
assert "ask_sdk_dynamodb.adapter" not in sys.modules
assert "boto3" not in sys.modules
store = factory.adapter_from_environment({"CRAMP_HELPER_DYNAMODB_TABLE": "t"})
from botocore.exceptions import NoRegionError
from skill.persistence.errors import StoreUnavailable
try:
    store.connect()
except StoreUnavailable as exc:
    assert isinstance(exc.__cause__, NoRegionError), repr(exc.__cause__)
    print("unavailable")
"""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("AWS_") and key != "CRAMP_HELPER_DYNAMODB_TABLE"
    }
    env.update(
        HOME=str(tmp_path),
        AWS_CONFIG_FILE=str(tmp_path / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    completed = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "unavailable"


# -- odd records --------------------------------------------------------------------------------


def _odd_items() -> dict[str, dict[str, Any]]:
    from boto3.dynamodb.types import Binary

    return {
        "no attributes key": {"name": "written by another tool"},
        "binary attributes": {"attributes": Binary(b"\x00\x01")},
        "binary inside": {"attributes": {"settings": {"hold_seconds": Binary(b"\x1e")}}},
        "string attributes": {"attributes": "hold 30"},
        "list attributes": {"attributes": [Decimal(30)]},
        "binary set inside": {"attributes": {"tags": {Binary(b"a"), Binary(b"b")}}},
        "number beyond JSON": {"attributes": {"x": Decimal("1E+125")}},
    }


@pytest.mark.parametrize("shape", list(_odd_items()))
def test_odd_record_reads_as_empty_with_a_warning_and_the_next_save_replaces_it(
    aws: Any, caplog: pytest.LogCaptureFixture, shape: str
) -> None:
    user = "amzn1.ask.account.ODD"
    aws.Table(TABLE).put_item(Item={"id": user, **_odd_items()[shape]})
    store = DynamoDbPersistenceAdapter(TABLE)
    envelope = make_envelope(user)
    with caplog.at_level("WARNING", logger="skill.persistence"):
        loaded = store.get_attributes(envelope)
    if shape == "number beyond JSON":  # a large number is still a number: kept as a float
        assert loaded == {"x": 1e125}
        return
    assert loaded == {}
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "treating it as empty" in warnings[0]
    assert user not in warnings[0]  # user ids stay out of the log

    store.save_attributes(envelope, {"settings": {"hold_seconds": 20}})
    assert store.get_attributes(envelope) == {"settings": {"hold_seconds": 20}}


def test_odd_record_does_not_stop_the_user_saving_settings(aws: Any) -> None:
    """Through the skill: an odd record is no obstacle to setting and keeping a hold."""
    from boto3.dynamodb.types import Binary

    from skill.builder import build_lambda_handler
    from skill.tools import envelopes as E

    user = "amzn1.ask.account.ODDSKILL"
    aws.Table(TABLE).put_item(Item={"id": user, "attributes": Binary(b"junk")})
    handler = build_lambda_handler(DynamoDbPersistenceAdapter(TABLE))
    talk = E.Conversation(lambda event: handler(event, None), user_id=user)
    talk.launch()
    response = talk.intent("HoldTimeIntent", {"Seconds": "20"})
    assert "each hold is now 20 seconds" in (E.speech(response) or "").lower()
    item = aws.Table(TABLE).get_item(Key={"id": user})["Item"]
    assert item["attributes"]["settings"]["hold_seconds"] == Decimal(20)


# -- a time budget ------------------------------------------------------------------------------


def test_calls_run_under_short_timeouts_and_bounded_retries(aws: Any) -> None:
    from skill.persistence import dynamodb_store

    config = DynamoDbPersistenceAdapter(TABLE).connect().dynamodb.meta.client.meta.config
    assert config.connect_timeout == dynamodb_store.CONNECT_TIMEOUT_S <= 1
    assert config.read_timeout == dynamodb_store.READ_TIMEOUT_S <= 1
    assert config.retries == {"mode": "standard", "total_max_attempts": 2}
    # A load and a save, each at its worst, leave time to answer inside Lambda's 7 s.
    assert 2 * dynamodb_store.WORST_CALL_S <= 6.5


class _Fault:
    """A botocore ``before-send`` hook, first in line (ahead of moto): every call to DynamoDB
    gets ``answer()``, deterministically, and the attempts are counted."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.attempts = 0

    def __call__(self, request: Any, **_: Any) -> Any:
        self.attempts += 1
        return self.answer(request)


def _stalled(request: Any) -> Any:
    from botocore.exceptions import ReadTimeoutError

    raise ReadTimeoutError(endpoint_url=request.url)


def _throttled(request: Any) -> Any:
    from botocore.awsrequest import AWSResponse

    class Raw:
        def stream(self, **_: Any) -> Iterator[bytes]:
            yield json.dumps(
                {
                    "__type": "com.amazonaws.dynamodb.v20120810#"
                    "ProvisionedThroughputExceededException",
                    "message": "The level of configured provisioned throughput was exceeded",
                }
            ).encode()

    return AWSResponse(
        request.url, 400, {"Content-Type": "application/x-amz-json-1.0"}, Raw()
    )


@pytest.mark.parametrize("fault", [_stalled, _throttled], ids=["stalled", "throttled"])
def test_stalled_or_throttled_table_gives_up_after_two_attempts_and_the_user_hears_the_answer(
    aws: Any, monkeypatch: pytest.MonkeyPatch, fault: Any
) -> None:
    from botocore.exceptions import ClientError, ReadTimeoutError
    from botocore.retries.standard import ExponentialBackoff

    from skill.builder import build_lambda_handler
    from skill.tools import envelopes as E

    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.0)
    user = "amzn1.ask.account.SLOW"
    store = DynamoDbPersistenceAdapter(TABLE)
    store.save_attributes(make_envelope(user), {"settings": {"hold_seconds": 45, "night": False}})
    hook = _Fault(fault)
    events = store.connect().dynamodb.meta.client.meta.events  # type: ignore[attr-defined]
    events.register_first("before-send.dynamodb", hook)

    with pytest.raises(StoreUnavailable) as info:
        store.get_attributes(make_envelope(user))
    assert isinstance(info.value.__cause__, ReadTimeoutError | ClientError)
    assert hook.attempts == 2

    handler = build_lambda_handler(store)
    talk = E.Conversation(lambda event: handler(event, None), user_id=user)
    response = talk.intent("HoldTimeIntent", {"Seconds": "20"})
    said = E.speech(response) or ""
    assert "20 seconds for now" in said, said  # answered, and honest about the setting
    assert hook.attempts == 4  # the load gave up after two attempts; nothing was saved

    events.unregister("before-send.dynamodb", hook)
    assert store.get_attributes(make_envelope(user))["settings"]["hold_seconds"] == 45


def test_a_table_that_never_answers_times_out_within_the_budget(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real socket that accepts and never answers: the timeouts themselves, end to end.

    (moto answers only AWS endpoints in-process; a loopback endpoint goes over the wire.)
    """
    import socket
    import time

    import boto3
    from botocore.exceptions import ReadTimeoutError
    from botocore.retries.standard import ExponentialBackoff

    from skill.persistence import dynamodb_store

    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.0)
    monkeypatch.setattr(dynamodb_store, "READ_TIMEOUT_S", 0.2)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    try:
        resource = boto3.resource(
            "dynamodb",
            endpoint_url=f"http://127.0.0.1:{port}",
            config=dynamodb_store.client_config(),
        )
        store = DynamoDbPersistenceAdapter(TABLE, dynamodb_resource=resource)
        started = time.monotonic()
        with pytest.raises(StoreUnavailable) as info:
            store.get_attributes(make_envelope("amzn1.ask.account.STALL"))
        elapsed = time.monotonic() - started
    finally:
        listener.close()
    assert isinstance(info.value.__cause__, ReadTimeoutError)
    assert elapsed < 2 * (dynamodb_store.CONNECT_TIMEOUT_S + 0.2) + 0.5
