"""User state in DynamoDB (the Lambda deployment), through the ASK SDK's own adapter.

The SDK's ``DynamoDbAdapter`` does the table work; this wrapper fixes what it leaves to the
caller:

- DynamoDB hands numbers back as ``Decimal`` and refuses Python floats. State is normalised
  through JSON on the way in (so the same values are accepted as by the SQLite store, floats
  going in as exact ``Decimal`` text) and numbers come back as ``int`` when integral, else
  ``float``. A consequence: a float with an integral value (``2.0``) comes back as ``2``,
  because DynamoDB itself does not keep the distinction. DynamoDB numbers also have a
  narrower range than floats (38 significant digits, magnitude below 1e126): a value outside
  it is refused with a plain ``PersistenceException``, like any other state that cannot be
  stored.
- The SDK turns every failure into a bare ``PersistenceException``. Failures from boto3 or
  botocore (no region, no credentials, throttling, a missing table, the network) are raised here
  as :class:`StoreUnavailable`, with the boto error as the cause.
- **A time budget.** The boto3 resource built here uses :func:`client_config`: short connect
  and read timeouts and two attempts in all, so a stalled or throttled table costs a request
  at most about :data:`WORST_CALL_S` per call, and a load plus a save fit well inside the
  Lambda timeout (7 s, Alexa waits 8 s). The request then runs without stored state and the
  user still hears the answer. boto3's defaults (60 s timeouts, several retries) would let a
  single stalled read outlast Alexa.
- **Records of any shape.** A record written by something else (no ``attributes`` map, a
  Binary or set value, a type JSON cannot hold) is read as empty with a warning, never as an
  error: the request then works normally and its save replaces the record. Were it an error,
  no request for that user could ever load, so none could ever save.
- Neither ``boto3`` nor ``ask_sdk_dynamodb.adapter`` is imported at module level:
  ``ask_sdk_dynamodb.adapter`` builds a boto3 resource in a default argument at import time,
  which raises ``NoRegionError`` wherever no AWS region is configured, and boto3 is only
  installed with the ``aws`` extra. The SDK adapter is built on first use (or by
  :meth:`DynamoDbPersistenceAdapter.connect`), so a misconfigured deployment still answers,
  without stored state, and says why in its log.
"""

from __future__ import annotations

import json
import logging
import threading
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NoReturn

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.exceptions import PersistenceException

from skill.persistence.codec import encode_state, user_fingerprint
from skill.persistence.errors import StoreUnavailable
from skill.persistence.keys import user_id_partition_keygen

if TYPE_CHECKING:
    from ask_sdk_model import RequestEnvelope

logger = logging.getLogger(__name__)

PARTITION_KEY_NAME = "id"
ATTRIBUTE_NAME = "attributes"

#: Seconds to open a connection to DynamoDB, and to wait for each response.
CONNECT_TIMEOUT_S = 0.5
READ_TIMEOUT_S = 0.5
#: Attempts per call, the first included (botocore's "standard" retry mode).
MAX_ATTEMPTS = 2
#: The most one call can take: every attempt timing out, plus the one backoff (at most 1 s).
WORST_CALL_S = MAX_ATTEMPTS * (CONNECT_TIMEOUT_S + READ_TIMEOUT_S) + 1.0


def client_config() -> Any:
    """The botocore ``Config`` every DynamoDB call of the skill runs under (see module notes)."""
    from botocore.config import Config

    return Config(
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
    )


class OddRecord(ValueError):
    """A stored value that is not plain JSON data (Binary, a foreign type)."""


def from_dynamodb(value: Any) -> Any:
    """Return ``value`` with every ``Decimal`` replaced by an ``int`` (if integral) or ``float``.

    Sets (which DynamoDB may return for string or number sets) become lists, so the result is
    always plain JSON-able Python.

    :raises OddRecord: for anything else that is not JSON data (a Binary, bytes, a map with
        non-string keys), so that no such value reaches a handler or a later save.
    """
    if isinstance(value, Decimal):
        return _plain_number(value)
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise OddRecord("a map with non-string keys")
        return {key: from_dynamodb(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [from_dynamodb(item) for item in value]
    if isinstance(value, set | frozenset):
        return [from_dynamodb(item) for item in sorted(value, key=repr)]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise OddRecord(f"a {type(value).__name__} value")


def _plain_number(value: Decimal) -> int | float:
    """``int`` for integral numbers, except large ones written with an exponent.

    Python ints reach DynamoDB as plain digits and come back that way. A float such as
    ``1.5e100`` reaches it as ``1.5E+100``; as an ``int`` it would not even compare equal to the
    original float, so beyond 2**53 (where floats stop being exact integers) a number written
    with an exponent is read back as a float.
    """
    if not value.is_finite() or value != value.to_integral_value():
        return float(value)
    written_with_exponent = "E" in str(value).upper()
    if written_with_exponent and abs(value) > 2**53:
        return float(value)
    return int(value)


def to_dynamodb(attributes: Any) -> dict[str, Any]:
    """Return ``attributes`` as DynamoDB accepts it: JSON-normalised, floats as ``Decimal``.

    Parsing the JSON text with ``parse_float=Decimal`` gives each float the exact decimal of
    its shortest ``repr`` (``0.1`` -> ``Decimal("0.1")``), so it reads back as the same float.

    :raises PersistenceException: if ``attributes`` is not a JSON-serialisable dict.
    """
    normalised: dict[str, Any] = json.loads(encode_state(attributes), parse_float=Decimal)
    return normalised


def _is_boto_error(exc: BaseException) -> bool:
    try:
        from boto3.exceptions import Boto3Error
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # pragma: no cover - boto3 ships with the aws extra and on Lambda
        return False
    return isinstance(exc, BotoCoreError | ClientError | Boto3Error)


class DynamoDbPersistenceAdapter(AbstractPersistenceAdapter):
    """The SDK's ``DynamoDbAdapter`` with plain Python numbers and :class:`StoreUnavailable`.

    The table has partition key ``id`` (the Alexa user id) and keeps the state in the map
    attribute ``attributes``, the SDK's defaults; the table is never created from here.

    :param table_name: an existing DynamoDB table.
    :param dynamodb_resource: a boto3 DynamoDB service resource; built with
        ``boto3.resource("dynamodb")`` on first use when not given.
    """

    def __init__(self, table_name: str, *, dynamodb_resource: Any | None = None) -> None:
        if not table_name:
            raise ValueError("table_name must not be empty")
        self.table_name = table_name
        self._resource = dynamodb_resource
        self._lock = threading.Lock()
        self._sdk_adapter: AbstractPersistenceAdapter | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.table_name!r})"

    def connect(self) -> AbstractPersistenceAdapter:
        """Build (once) and return the SDK adapter; call it at start-up to pay its cost early.

        :raises StoreUnavailable: if boto3 cannot build a DynamoDB resource (e.g. no region).
        """
        with self._lock:
            if self._sdk_adapter is not None:
                return self._sdk_adapter
            try:
                import boto3
                from ask_sdk_dynamodb.adapter import DynamoDbAdapter

                resource = self._resource
                if resource is None:
                    resource = boto3.resource("dynamodb", config=client_config())
                self._sdk_adapter = DynamoDbAdapter(
                    table_name=self.table_name,
                    partition_key_name=PARTITION_KEY_NAME,
                    attribute_name=ATTRIBUTE_NAME,
                    create_table=False,
                    partition_keygen=user_id_partition_keygen,
                    dynamodb_resource=resource,
                )
            except Exception as exc:
                logger.warning(
                    "DynamoDB user-state store %s cannot be set up: %s: %s",
                    self.table_name,
                    type(exc).__name__,
                    exc,
                )
                raise StoreUnavailable(
                    f"DynamoDB store {self.table_name} cannot be set up: {exc}"
                ) from exc
            return self._sdk_adapter

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        """The user's state; ``{}`` if there is none or the record is odd (with a warning).

        Read here rather than through the SDK adapter, whose ``get_attributes`` fails on an
        item without the ``attributes`` key, and consistently, so a save just made is seen.

        :raises StoreUnavailable: if DynamoDB cannot be reached in time or refuses.
        """
        # Resolve the key first: a request without a user id is not an unavailable store.
        user_id = user_id_partition_keygen(request_envelope)
        adapter = self.connect()
        try:
            table = adapter.dynamodb.Table(self.table_name)  # type: ignore[attr-defined]
            response = table.get_item(
                Key={PARTITION_KEY_NAME: user_id}, ConsistentRead=True
            )
        except Exception as exc:
            if not _is_boto_error(exc):
                raise
            self._unavailable("read", exc)
        item = response.get("Item")
        if item is None:
            return {}
        return self._state_from(item, user_id)

    def _state_from(self, item: Any, user_id: str) -> dict[str, Any]:
        problem: str | None = None
        state: Any = None
        if not isinstance(item, dict) or ATTRIBUTE_NAME not in item:
            problem = f"no {ATTRIBUTE_NAME!r} map"
        else:
            try:
                state = from_dynamodb(item[ATTRIBUTE_NAME])
                if not isinstance(state, dict):
                    problem = f"a {type(item[ATTRIBUTE_NAME]).__name__} where a map belongs"
                else:
                    encode_state(state)  # what a later save would refuse is refused now
            except (OddRecord, PersistenceException) as exc:
                problem = str(exc)
        if problem is not None:
            logger.warning(
                "Stored DynamoDB record for user %s has %s; treating it as empty "
                "(the next save replaces it)",
                user_fingerprint(user_id),
                problem,
            )
            return {}
        result: dict[str, Any] = state
        return result

    def save_attributes(
        self, request_envelope: RequestEnvelope, attributes: dict[str, Any]
    ) -> None:
        user_id_partition_keygen(request_envelope)
        item = to_dynamodb(attributes)
        adapter = self.connect()
        try:
            adapter.save_attributes(request_envelope=request_envelope, attributes=item)
        except PersistenceException as exc:
            self._reraise("write", exc)

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        user_id_partition_keygen(request_envelope)
        adapter = self.connect()
        try:
            adapter.delete_attributes(request_envelope=request_envelope)
        except PersistenceException as exc:
            self._reraise("delete", exc)

    def _reraise(self, operation: str, exc: PersistenceException) -> NoReturn:
        """Re-raise the SDK's error: boto failures as StoreUnavailable, anything else unchanged.

        The SDK raises its ``PersistenceException`` inside its own ``except`` block, so the
        boto error is that exception's ``__context__``; it becomes StoreUnavailable's cause.
        """
        original = exc.__cause__ or exc.__context__
        if original is None or not _is_boto_error(original):
            raise exc
        self._unavailable(operation, original)

    def _unavailable(self, operation: str, original: BaseException) -> NoReturn:
        logger.warning(
            "DynamoDB user-state store %s unavailable for %s: %s: %s",
            self.table_name,
            operation,
            type(original).__name__,
            original,
        )
        raise StoreUnavailable(
            f"DynamoDB store {self.table_name} unavailable for {operation}: {original}"
        ) from original
