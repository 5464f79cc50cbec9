"""The device's local time, from the Alexa Settings API (``System.timeZone``).

``GET {apiEndpoint}/v2/devices/{deviceId}/settings/System.timeZone``, authorised with the
request's ``apiAccessToken`` (no permission needed), answers with an IANA zone name such as
``"Europe/London"`` (Alexa Skills Kit docs, "Alexa Settings API"). The call goes through the SDK's
own :class:`UpsServiceClient` over a :class:`DefaultApiClient` with a timeout, and runs against
a deadline: a slow, failing or refused call means "time unknown", never a late or missing answer.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope
from ask_sdk_model.services import (
    ApiClient,
    ApiClientRequest,
    ApiClientResponse,
    ApiConfiguration,
)
from ask_sdk_model.services.ups import UpsServiceClient

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)

#: The longest the skill waits for the time zone, in seconds. An answer must not wait on it.
DEFAULT_DEADLINE_SECONDS = 0.4


class TimedApiClient(ApiClient):  # type: ignore[misc]
    """The SDK's ``DefaultApiClient`` with a timeout, which the SDK's own lacks.

    ``verify`` is passed to ``requests``: ``True`` for the system's trusted roots, or the path of
    a CA bundle (for a local stand-in of the API, which the SDK still requires to be HTTPS).
    The SDK's client (and with it ``requests`` and ``urllib3``, a large share of a cold start)
    is made on the first call, so a process that never calls out never imports them.
    """

    def __init__(
        self, timeout: float = DEFAULT_DEADLINE_SECONDS, verify: bool | str = True
    ) -> None:
        self.timeout = timeout
        self.verify = verify
        self._lock = threading.Lock()
        self._client: ApiClient | None = None

    def invoke(self, request: ApiClientRequest) -> ApiClientResponse:
        """Send ``request`` with the timeout; raises as the SDK's ``DefaultApiClient`` does."""
        with self._lock:
            if self._client is None:
                self._client = _timed_default_client(self.timeout, self.verify)
            client = self._client
        response: ApiClientResponse = client.invoke(request)
        return response


def _timed_default_client(timeout: float, verify: bool | str) -> ApiClient:
    """The SDK's ``DefaultApiClient``, passing ``timeout`` and ``verify`` to every call."""
    from ask_sdk_core.api_client import DefaultApiClient

    class _Timed(DefaultApiClient):  # type: ignore[misc]
        def _resolve_method(self, request: ApiClientRequest) -> Callable[..., Any]:
            method = super()._resolve_method(request)
            return functools.partial(method, timeout=timeout, verify=verify)

    return _Timed()


def zone(name: object) -> ZoneInfo | None:
    """The zone named ``name`` (an IANA name), or ``None`` for anything else."""
    if not isinstance(name, str) or not name:
        return None
    from zoneinfo import ZoneInfo  # its import reads sysconfig: not at every cold start

    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):  # malformed, unknown, or a folder such as "America"
        return None


def local_time(zone_name: object, now: float) -> datetime | None:
    """``now`` (Unix seconds) as wall-clock time in the named zone; ``None`` if it is unknown."""
    found = zone(zone_name)
    return datetime.fromtimestamp(now, found) if found is not None else None


class TimeZoneLookup(NamedTuple):
    """Asks the Settings API for a device's time zone, within ``deadline_seconds``."""

    api_client: ApiClient
    deadline_seconds: float = DEFAULT_DEADLINE_SECONDS

    @classmethod
    def through(cls, api_client: ApiClient) -> TimeZoneLookup:
        """A lookup through ``api_client`` that waits as long as the client's own ``timeout``
        (a :class:`TimedApiClient`'s), else :data:`DEFAULT_DEADLINE_SECONDS`."""
        timeout = getattr(api_client, "timeout", None)
        if isinstance(timeout, int | float) and not isinstance(timeout, bool) and timeout > 0:
            return cls(api_client, float(timeout))
        return cls(api_client)

    def fetch(self, envelope: RequestEnvelope) -> str | None:
        """The device's IANA zone name, or ``None``.

        ``None`` when the request names no endpoint, token or device, or when the call fails,
        answers with something that is not a known zone, or takes longer than the deadline (it
        then finishes on its own, bounded by the client's timeout). Never raises.
        """
        system = getattr(getattr(envelope, "context", None), "system", None)
        token = getattr(system, "api_access_token", None)
        endpoint = getattr(system, "api_endpoint", None)
        device_id = getattr(getattr(system, "device", None), "device_id", None)
        if not (token and endpoint and device_id):
            log.debug("no time zone lookup: the request names no API endpoint, token or device")
            return None
        client = UpsServiceClient(
            ApiConfiguration(
                serializer=DefaultSerializer(),
                api_client=self.api_client,
                authorization_value=token,
                api_endpoint=endpoint,
            )
        )
        answers: list[object] = []

        def call() -> None:
            try:
                answers.append(client.get_system_time_zone(device_id))
            except Exception as error:  # any failure of the call means "time unknown"
                log.warning("time zone lookup failed: %s", error)

        worker = threading.Thread(target=call, name="alexa-time-zone", daemon=True)
        worker.start()
        worker.join(self.deadline_seconds)
        if worker.is_alive():
            log.warning("time zone lookup took over %.1f s; going on without it",
                        self.deadline_seconds)
            return None
        name = answers[0] if answers else None
        if name is not None and zone(name) is None:
            log.warning("time zone lookup answered with an unknown zone: %r", name)
            return None
        return name if isinstance(name, str) else None
