"""Logs: at any level, the log carries no tokens, user ids or words the user said.

The skill logs through its own ``skill`` loggers, and ``CRAMP_HELPER_LOG_LEVEL`` sets only
those: the root logger, and with it boto3, botocore and the ASK SDK, keeps the host's level.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from skill.builder import build_lambda_handler
from skill.logs import SKILL_LOGGER, configure_logging
from skill.tools import envelopes as E

REPO_ROOT = Path(__file__).resolve().parent.parent
TABLE = "cramp-helper-logs"
USER = "amzn1.ask.account.AFSECRETUSERID7F3A"
DEVICE = "amzn1.ask.device.AFSECRETDEVICE91"
API_TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.SECRETALEXATOKEN"
SESSION_TOKEN = "FwoGZXIvYXdzSECRETSESSIONTOKEN"
SECRET_KEY = "wJalrXUtnFEMISECRETACCESSKEY"
SAID = ["zanzibarian pinkytoe", "frobnizolamine", "quuxitis"]
SECRETS = [USER, DEVICE, API_TOKEN, SESSION_TOKEN, SECRET_KEY, *SAID]


class Capture(logging.Handler):
    """Every record that reaches the root logger's handlers, formatted with its traceback."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines.append(self.format(record))


@pytest.fixture
def capture() -> Iterator[Capture]:
    root, skill = logging.getLogger(), logging.getLogger(SKILL_LOGGER)
    handler, levels = Capture(), (root.level, skill.level)
    root.setLevel(logging.WARNING)  # the host's level, as on Lambda
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(levels[0])
        skill.setLevel(levels[1])


def _with_secrets(event: dict[str, Any]) -> dict[str, Any]:
    system = event["context"]["System"]
    system["apiAccessToken"] = API_TOKEN
    system["device"]["deviceId"] = DEVICE
    return event


def test_a_conversation_at_debug_logs_no_secrets(
    capture: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto import mock_aws

    from skill.persistence.dynamodb_store import DynamoDbPersistenceAdapter

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIAEXAMPLEKEYID")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    assert configure_logging("debug") == logging.DEBUG
    with mock_aws():
        import boto3

        boto3.resource("dynamodb").create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        store = DynamoDbPersistenceAdapter(TABLE)
        handler = build_lambda_handler(store)
        talk = E.Conversation(lambda event: handler(_with_secrets(event), None), user_id=USER)
        talk.launch()
        talk.intent("HoldTimeIntent", {"Seconds": "20"})
        talk.intent("StretchIntent", {"Muscle": E.unresolved(SAID[0])})
        talk.intent("MedicationIntent", {"Medication": E.unresolved(SAID[1])})
        talk.intent("CauseIntent", {"Condition": E.unresolved(SAID[2])})
        talk.intent("NoSuchIntent", {"Thing": SAID[0]})
        # A store fault: the warnings on that path must be clean too.
        events = store.connect().dynamodb.meta.client.meta.events  # type: ignore[attr-defined]
        events.register_first("before-send.dynamodb", _refuse)
        talk.new_session()
        talk.intent("HoldTimeIntent", {"Seconds": "25"})
        # An envelope the SDK cannot read.
        broken = _with_secrets(E.intent("HelpIntent", user_id=USER))
        broken["request"]["intent"]["confirmationStatus"] = SAID[0]
        handler(broken, None)

    skill_records = [r for r in capture.records if r.name.startswith("skill")]
    assert any(r.levelno == logging.DEBUG for r in skill_records), "DEBUG is really on"
    assert any(r.levelno >= logging.WARNING for r in skill_records), "fault paths were logged"
    assert not [r.name for r in capture.records if not r.name.startswith("skill")]
    text = "\n".join(capture.lines)
    leaked = [secret for secret in SECRETS if secret.lower() in text.lower()]
    assert leaked == [], text


def _refuse(request: Any, **_: Any) -> Any:
    from botocore.exceptions import EndpointConnectionError

    raise EndpointConnectionError(endpoint_url=request.url)


def test_unknown_level_is_info_with_a_warning(capture: Capture) -> None:
    assert configure_logging("LOUD") == logging.INFO
    assert logging.getLogger(SKILL_LOGGER).level == logging.INFO
    assert any("Unknown log level" in line for line in capture.lines)
    assert configure_logging("  ") == logging.INFO


def test_lambda_entry_sets_the_skill_level_and_leaves_the_root_alone(tmp_path: Path) -> None:
    script = (
        "import logging, json, lambda_handler\n"
        "print(json.dumps([logging.getLogger().level, logging.getLogger('skill').level,"
        " logging.getLogger('botocore').getEffectiveLevel()]))\n"
    )
    env = {**os.environ, "CRAMP_HELPER_LOG_LEVEL": "DEBUG", "CRAMP_HELPER_DB": str(tmp_path / "s")}
    env.pop("CRAMP_HELPER_DYNAMODB_TABLE", None)
    completed = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    root, skill, botocore = json.loads(completed.stdout)
    assert skill == logging.DEBUG
    assert root == logging.WARNING and botocore == logging.WARNING
