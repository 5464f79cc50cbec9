"""The web service speaks in the night voice at the device's night, as the Lambda entry does.

The project's skill, built for the web (``build_project_skill``), asks a local stand-in of the
Alexa Settings API for the device's time zone. The skill runs on the real clock, so each test
picks a fixed-offset zone (``Etc/GMT...``) where it is now 02:00-ish (night) or 14:00-ish (day).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from web_pki import CHAIN_URL, NOW, SKILL_ID, CountingFetcher, Pki, fixed_clock, make_pki

from skill.alexa_time import TimedApiClient
from skill.speech import readable
from skill.tools import envelopes as E
from skill.tools.local.device_time import LOCAL_API_TIMEOUT_SECONDS
from skill.tools.local.settings_api import SettingsApiStandIn
from skill.web.server import build_project_skill, create_app

TOKEN = "amzn1.ask.token.TEST"


def zone_at_local_hour(hour: int) -> str:
    """A fixed-offset zone in which the local hour is now ``hour`` (give or take the minute)."""
    offset = (hour - datetime.now(UTC).hour) % 24
    if offset > 12:
        offset -= 24
    # POSIX sign: Etc/GMT-5 is five hours AHEAD of UTC.
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki()


@pytest.fixture()
def stand_in(request: pytest.FixtureRequest) -> Iterator[SettingsApiStandIn]:
    with SettingsApiStandIn(time_zone=zone_at_local_hour(request.param)) as api:
        yield api


def _launch_speech(
    pki: Pki, api: SettingsApiStandIn, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> str:
    monkeypatch.delenv("CRAMP_HELPER_DYNAMODB_TABLE", raising=False)
    monkeypatch.setenv("CRAMP_HELPER_DB", str(tmp_path / "state.sqlite3"))
    client = TimedApiClient(timeout=LOCAL_API_TIMEOUT_SECONDS, verify=api.ca_file)
    app = create_app(
        build_project_skill(SKILL_ID, api_client=client),
        skill_id=SKILL_ID,
        cert_fetcher=CountingFetcher({CHAIN_URL: pki.chain}),
        trusted_roots=[pki.root],
        clock=fixed_clock,
    )
    body = json.dumps(
        E.envelope(
            E.request("LaunchRequest", at=NOW),
            application_id=SKILL_ID,
            api_endpoint=api.endpoint,
            api_token=TOKEN,
        )
    ).encode("utf-8")
    response = app.test_client().post("/", data=body, headers=pki.headers(body))
    assert response.status_code == 200, response.get_json()
    assert api.requests, "the web service never asked the Settings API for the time zone"
    return readable(response.get_json()["response"]["outputSpeech"]["ssml"])


@pytest.mark.parametrize("stand_in", [2], indirect=True)
def test_the_web_service_whispers_at_the_devices_night(
    pki: Pki, stand_in: SettingsApiStandIn, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _launch_speech(pki, stand_in, tmp_path, monkeypatch).startswith("[quiet voice]")


@pytest.mark.parametrize("stand_in", [14], indirect=True)
def test_the_web_service_speaks_normally_by_day(
    pki: Pki, stand_in: SettingsApiStandIn, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not _launch_speech(pki, stand_in, tmp_path, monkeypatch).startswith("[quiet voice]")
