"""The local device's clock and time zone: ``--now`` and ``--timezone`` for ``say`` and ``chat``.

With either option, the skill runs on a clock that starts at ``--now`` (and runs on from there),
and the device's requests name a local stand-in of the Alexa Settings API that answers with
``--timezone``, so the skill finds the device's time zone exactly as it does on Alexa. Without
them, the skill keeps the real clock and asks no API (it then has no time zone: normal voice
unless chosen).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from datetime import time as clock_time
from typing import TYPE_CHECKING

from ask_sdk_model.services import ApiClient

from skill.alexa_time import TimedApiClient, zone

if TYPE_CHECKING:
    from .settings_api import SettingsApiStandIn

#: The zone a bare ``--now`` is read in, and answered with, when no ``--timezone`` is given.
DEFAULT_TIME_ZONE = "UTC"
#: How long the skill waits for the local stand-in of the Settings API. Alexa's own API gets
#: :data:`skill.alexa_time.DEFAULT_DEADLINE_SECONDS`; the stand-in runs on this machine, where
#: the first call also loads the HTTP client, so a busy machine must not change what is said.
LOCAL_API_TIMEOUT_SECONDS = 10.0


def time_zone_name(text: str) -> str:
    """``--timezone``: an IANA zone name. Raises ValueError naming the problem."""
    if zone(text) is None:
        raise ValueError(f"unknown time zone {text!r} (use an IANA name such as Europe/London)")
    return text


def parse_now(text: str, zone_name: str, today: datetime | None = None) -> datetime:
    """``--now``: an ISO date and time (``2026-11-29T03:00``, with or without an offset) or
    just a time (``03:00``, today), read in ``zone_name`` when no offset is given.

    Raises ValueError for anything else.
    """
    where = zone(zone_name)
    if where is None:
        raise ValueError(f"unknown time zone {zone_name!r}")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            wall = clock_time.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"--now {text!r} is not an ISO time such as 2026-11-29T03:00 or 03:00"
            ) from None
        day = (today or datetime.now(where)).astimezone(where).date()
        moment = datetime.combine(day, wall)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=where)


@dataclass(frozen=True)
class DeviceTime:
    """What the local skill and device need for one ``--now`` / ``--timezone`` choice."""

    clock: Callable[[], float]
    #: The skill's client for the Settings API, or ``None`` to ask none.
    api_client: ApiClient | None = None
    #: What the device's requests name as ``apiEndpoint``, or ``None`` for Alexa's own.
    api_endpoint: str | None = None
    #: The running stand-in (kept here so that it lives as long as this object).
    stand_in: SettingsApiStandIn | None = None


def device_time(now: str | None, time_zone: str | None) -> DeviceTime:
    """The clock and Settings API for these options (both ``None``: the real clock, no API).

    Starts a local stand-in of the API for the process's lifetime when a zone is in play.
    Raises ValueError for an unknown zone or an unreadable time.
    """
    if now is None and time_zone is None:
        return DeviceTime(clock=time.time)
    zone_name = time_zone_name(time_zone) if time_zone else DEFAULT_TIME_ZONE
    clock: Callable[[], float] = time.time
    if now is not None:
        offset = parse_now(now, zone_name).timestamp() - time.time()
        clock = _shifted_clock(offset)
    from .settings_api import SettingsApiStandIn

    stand_in = SettingsApiStandIn(zone_name)
    return DeviceTime(
        clock=clock,
        api_client=TimedApiClient(timeout=LOCAL_API_TIMEOUT_SECONDS, verify=stand_in.ca_file),
        api_endpoint=stand_in.endpoint,
        stand_in=stand_in,
    )


def _shifted_clock(offset_seconds: float) -> Callable[[], float]:
    """The real clock moved by ``offset_seconds``: it starts at ``--now`` and keeps running."""
    return lambda: time.time() + offset_seconds
