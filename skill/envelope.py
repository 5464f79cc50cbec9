"""Tolerant reading of Alexa request envelopes, the one way in for Lambda and the web service.

Alexa adds enum values, request types and fields over time, and test tools leave optional parts
out. The ASK SDK's ``DefaultSerializer`` raises on any value its model does not know (an unknown
``dialogState`` fails the whole envelope), so this module conforms the JSON to the SDK model
first, and only then hands it to the serializer:

- an enum value the model does not know, or a value of the wrong JSON type, is read as absent
  (``None``): the rest of the request is handled normally;
- a nested object of an unknown subtype (an unknown ``slotValue.type``) is read as absent;
  a request of an unknown type is answered with a silent, empty response;
- fields the model does not name are left out;
- free-form values (``object`` in the model, such as session attributes) deeper than
  :data:`MAX_FREE_FORM_DEPTH` are left out, so no later step can run out of stack;
- no ``context`` (older simulators and test tools): a minimal one is made from the session's
  application and user, as Alexa would have sent.

:class:`EnvelopeAnswerer` turns an event (the JSON object Alexa sent) into the response JSON.
Wherever an envelope cannot be read at all, the response carries the session attributes that
came in, so the place in a routine is never lost.
"""

from __future__ import annotations

import copy
import decimal
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime
from enum import Enum
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from ask_sdk_core.exceptions import AskSdkException, SerializationException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import IntentRequest, RequestEnvelope
from ask_sdk_model.request import Request

if TYPE_CHECKING:
    from ask_sdk_core.skill import CustomSkill

log = logging.getLogger(__name__)

#: Deepest nesting kept in a free-form (``object``) value, such as one session attribute.
#: The skill's own attributes nest four levels at most.
MAX_FREE_FORM_DEPTH = 32
#: Deepest nesting of SDK model objects followed (list slot values can nest in themselves).
MAX_MODEL_DEPTH = 48

RESPONSE_VERSION = "1.0"
_ENVELOPE_TYPE = "ask_sdk_model.request_envelope.RequestEnvelope"
_LIST = re.compile(r"list\[(.*)\]")
_DICT = re.compile(r"dict\(([^,]*), (.*)\)")


class UnreadableValue(ValueError):
    """A value that cannot be read as its model type: it is left out."""


def _depth_within(value: Any, limit: int) -> bool:
    """True when ``value`` nests no deeper than ``limit`` (JSON containers), checked iteratively."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return False
        stack.extend((child, depth + 1) for child in children)
    return True


@cache
def _model_class(name: str) -> type:
    module_name, _, class_name = name.rpartition(".")
    module = __import__(module_name, fromlist=[class_name])
    cls: type = getattr(module, class_name)
    return cls


@cache
def _shape(type_name: str) -> tuple[str, str]:
    """``(kind, inner)`` of an SDK type string: kind is ``list``, ``dict``, ``primitive`` or
    ``model``; inner is the item type (list, dict), the primitive's name, or the class path."""
    listed = _LIST.fullmatch(type_name)
    if listed:
        return "list", listed.group(1).strip()
    mapped = _DICT.fullmatch(type_name)
    if mapped:
        return "dict", mapped.group(2).strip()
    if "." not in type_name:
        return "primitive", type_name
    return "model", type_name


class _ModelPlan(NamedTuple):
    """What reading a model class needs, looked up once per class.

    ``enum_values``: the values of an ``Enum`` class, else None. ``readable``: the class names
    its fields (``deserialized_types``). ``discriminated``: the class picks a subclass by a
    ``type`` field. ``fields``: ``(attribute, JSON key, type string)`` in the model's order.
    """

    enum_values: frozenset[Any] | None
    readable: bool
    discriminated: bool
    fields: tuple[tuple[str, str, str], ...]


@cache
def _plan(cls: type) -> _ModelPlan:
    if issubclass(cls, Enum):
        return _ModelPlan(frozenset(member.value for member in cls), False, False, ())
    types: dict[str, str] | None = getattr(cls, "deserialized_types", None)
    attribute_map: dict[str, str] = getattr(cls, "attribute_map", {})
    fields = tuple(
        (attribute, attribute_map.get(attribute, attribute), type_name)
        for attribute, type_name in (types or {}).items()
    )
    return _ModelPlan(None, types is not None, hasattr(cls, "get_real_child_model"), fields)


#: The form Alexa writes request times in ("2026-11-29T17:31:39Z"), which
#: ``datetime.fromisoformat`` reads several times faster than ``dateutil``.
_ALEXA_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z")


def _parse_time(value: Any) -> Any:
    """An ISO 8601 text read as the SDK reads it (``dateutil``), else :class:`UnreadableValue`.

    Alexa's own form is read with ``datetime.fromisoformat`` and given the time zone
    ``dateutil`` gives "Z" (:func:`_utc_as_dateutil_gives`): the same value, repr included.
    Any other form, or a date that does not exist, goes to ``dateutil`` itself.
    """
    if not isinstance(value, str):
        raise UnreadableValue
    if _ALEXA_TIME.fullmatch(value):
        try:
            naive = datetime.fromisoformat(value[:-1])
        except ValueError:
            pass
        else:
            return naive.replace(tzinfo=_utc_as_dateutil_gives(time.tzname))
    from dateutil.parser import parse

    try:
        return parse(value)
    except Exception as error:  # dateutil raises ValueError, OverflowError and others
        raise UnreadableValue from error


@cache
def _utc_as_dateutil_gives(local_names: tuple[str, str]) -> Any:
    """The ``tzinfo`` ``dateutil`` gives a time ending in "Z" where the local zone's names are
    ``local_names`` (``time.tzname``): its parser reads "Z" as the zone named "UTC", which is
    ``tzlocal()`` where the local zone is called that, else ``tzutc()``. Both are immutable, so
    one serves every request. Worked out without the parser: the SDK's serializer has already
    imported ``dateutil.tz``, the parser would cost a cold start several milliseconds."""
    from dateutil import tz

    if "UTC" in local_names:
        return tz.tzlocal()
    return tz.UTC


def _primitive(value: Any, type_name: str) -> Any:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if type_name == "str":
        if isinstance(value, str):
            return value
        if number:  # as the SDK reads it
            return str(value)
        raise UnreadableValue
    if type_name == "bool":
        if isinstance(value, bool):
            return value
        raise UnreadableValue
    if type_name in {"int", "long", "float"}:
        if number:
            return value
        if isinstance(value, str):  # as the SDK reads it
            try:
                return float(value) if type_name == "float" else int(value)
            except ValueError as error:
                raise UnreadableValue from error
        raise UnreadableValue
    if type_name in {"datetime", "date"}:
        _parse_time(value)
        return value
    if type_name == "object":
        if _depth_within(value, MAX_FREE_FORM_DEPTH):
            return value
        raise UnreadableValue
    raise UnreadableValue


_JSON_SCALARS = (str, int, float, bool, type(None))


def _free_form_copy(value: Any) -> Any:
    """An independent copy of a free-form value, as a JSON round trip would give it.

    Parsed JSON (dicts with text keys, lists, scalars) is copied directly; anything else goes
    through ``json`` (tuples become lists, other keys text). Depth is already bounded.
    """
    if isinstance(value, dict):
        if all(isinstance(key, str) for key in value):
            return {key: _free_form_copy(item) for key, item in value.items()}
    elif isinstance(value, list):
        return [_free_form_copy(item) for item in value]
    elif isinstance(value, _JSON_SCALARS):
        return value
    return json.loads(json.dumps(value))


def _primitive_object(value: Any, type_name: str) -> Any:
    """``value`` read as the SDK's ``DefaultSerializer`` would build the primitive."""
    if type_name in {"datetime", "date"}:
        parsed = _parse_time(value)
        return parsed.date() if type_name == "date" else parsed
    readable = _primitive(value, type_name)
    if type_name == "object":
        return _free_form_copy(readable)
    if type_name in {"int", "long"}:
        return int(readable)
    if type_name == "float":
        return float(readable)
    return readable


def conform(value: Any, type_name: str, depth: int = 0) -> Any:
    """``value`` (parsed JSON) reduced to what the SDK model type ``type_name`` can read.

    ``type_name`` is a type string as the SDK models write them (``"str"``,
    ``"list[ask_sdk_model.slot.Slot]"``, ``"dict(str, object)"``, a model class path).
    Raises :class:`UnreadableValue` when nothing of ``value`` can be read as that type.
    """
    if value is None:
        return None
    if depth > MAX_MODEL_DEPTH:
        raise UnreadableValue
    kind, inner = _shape(type_name)
    if kind == "list":
        if not isinstance(value, list):
            raise UnreadableValue
        return _conform_each(value, inner, depth)
    if kind == "dict":
        if not isinstance(value, dict):
            raise UnreadableValue
        result = {}
        for key, item in value.items():
            try:
                result[key] = conform(item, inner, depth + 1)
            except UnreadableValue:
                log.info("left out an unreadable %s under %r", inner, key)
        return result
    if kind == "primitive":
        if inner == "str" and isinstance(value, str):
            return value
        return _primitive(value, inner)
    return _conform_model(value, _model_class(inner), depth)


def _conform_each(values: list[Any], item_type: str, depth: int) -> list[Any]:
    result = []
    for item in values:
        try:
            result.append(conform(item, item_type, depth + 1))
        except UnreadableValue:
            log.info("left out an unreadable %s in a list", item_type)
    return result


def _conform_model(value: Any, cls: type, depth: int) -> Any:
    plan = _plan(cls)
    if plan.enum_values is not None:
        if not isinstance(value, list | dict) and value in plan.enum_values:
            return value
        log.info("unknown %s value read as absent", cls.__name__)
        raise UnreadableValue
    if not plan.readable:
        return value
    if not isinstance(value, dict):
        raise UnreadableValue
    if plan.discriminated:
        cls = _model_class(_subtype(cls, value))
        plan = _plan(cls)
    result: dict[str, Any] = {}
    for _attribute, key, type_name in plan.fields:
        if key not in value:
            continue
        try:
            result[key] = conform(value[key], type_name, depth + 1)
        except UnreadableValue:
            continue
    return result


def _subtype(cls: Any, value: dict[str, Any]) -> str:
    """The class path of the subtype of ``cls`` that ``value`` names by its ``type``."""
    try:
        child: str | None = cls.get_real_child_model(value)
    except (KeyError, TypeError):  # no discriminator, or one that cannot be a key
        child = None
    if child is None:
        log.info("unknown %s type %r read as absent", cls.__name__, value.get("type"))
        raise UnreadableValue
    return child


# --- Reading straight into model objects ---------------------------------------------------
#
# What :func:`conform` finds out for every value (which kind of type, which class, which
# fields) depends only on the type, so :func:`read_model` looks it up once per type and keeps
# it in a reader: a function ``(value, depth) -> object`` that raises :class:`UnreadableValue`.
# A value is handed to a reader only when it is not None and not deeper than the limit.

Reader = Callable[[Any, int], Any]
_IMMUTABLE = (str, int, float, type(None), Enum)


def read_model(value: Any, type_name: str, depth: int = 0) -> Any:
    """``value`` read tolerantly straight into SDK model objects of type ``type_name``.

    The same as ``DefaultSerializer().deserialize(json.dumps(conform(value, type_name)),
    type_name)``, in one pass and without the JSON round trip. Raises
    :class:`UnreadableValue` as :func:`conform` does.
    """
    return _read_child(_reader(type_name), value, depth)


def _read_child(read: Reader, value: Any, depth: int) -> Any:
    """``read(value, depth)``, with what every value shares: None stays None, and nothing
    deeper than :data:`MAX_MODEL_DEPTH` is read."""
    if value is None:
        return None
    if depth > MAX_MODEL_DEPTH:
        raise UnreadableValue
    return read(value, depth)


@cache
def _reader(type_name: str) -> Reader:
    """The reader of an SDK type string (see :func:`conform`), made once per type."""
    kind, inner = _shape(type_name)
    if kind == "list":
        return _list_reader(_reader(inner), inner)
    if kind == "dict":
        return _dict_reader(_reader(inner), inner)
    if kind == "primitive":
        return _read_str if inner == "str" else _primitive_reader(inner)
    return _model_reader(inner)


def _list_reader(read_item: Reader, item_type: str) -> Reader:
    def read_list(values: Any, depth: int) -> list[Any]:
        if not isinstance(values, list):
            raise UnreadableValue
        result = []
        for item in values:
            try:
                result.append(_read_child(read_item, item, depth + 1))
            except UnreadableValue:
                log.info("left out an unreadable %s in a list", item_type)
        return result

    return read_list


def _dict_reader(read_item: Reader, item_type: str) -> Reader:
    def read_dict(values: Any, depth: int) -> dict[Any, Any]:
        if not isinstance(values, dict):
            raise UnreadableValue
        result = {}
        for key, item in values.items():
            try:
                result[key] = _read_child(read_item, item, depth + 1)
            except UnreadableValue:
                log.info("left out an unreadable %s under %r", item_type, key)
        return result

    return read_dict


def _read_str(value: Any, _depth: int) -> Any:
    return value if isinstance(value, str) else _primitive_object(value, "str")


def _primitive_reader(type_name: str) -> Reader:
    def read_primitive(value: Any, _depth: int) -> Any:
        return _primitive_object(value, type_name)

    return read_primitive


@cache
def _model_reader(class_path: str) -> Reader:
    """The reader of a model class: an enum, an object, or a base class naming subtypes."""
    cls = _model_class(class_path)
    plan = _plan(cls)
    if plan.enum_values is not None:
        return _enum_reader(cls, plan.enum_values)
    if not plan.readable:
        return _read_as_is
    if plan.discriminated:
        return _subtype_reader(cls)
    return _object_reader(class_path)


def _read_as_is(value: Any, _depth: int) -> Any:
    return value


def _enum_reader(cls: type, values: frozenset[Any]) -> Reader:
    def read_enum(value: Any, _depth: int) -> Any:
        if not isinstance(value, list | dict) and value in values:
            return cls(value)
        log.info("unknown %s value read as absent", cls.__name__)
        raise UnreadableValue

    return read_enum


def _subtype_reader(cls: type) -> Reader:
    def read_subtype(value: Any, depth: int) -> Any:
        if not isinstance(value, dict):
            raise UnreadableValue
        return _object_reader(_subtype(cls, value))(value, depth)

    return read_subtype


@cache
def _object_reader(class_path: str) -> Reader:
    """The reader of a model class with fields: each field read by its own reader.

    The generated SDK models' ``__init__`` only assigns attributes (``None``, or the class's
    ``type`` text), so an object is made as a copy of what ``cls()`` sets, updated with the
    fields read: several times faster than calling ``cls()`` and setting each field. The
    fields are looked up at the first read, not here: a class's fields can name the class
    itself (a list slot value holds slot values), so making every reader they need at once
    would never end.
    """
    cls = _model_class(class_path)
    blank = _blank_attributes(cls)
    if blank is None:
        return _slow_object_reader(cls)
    template: dict[str, Any] = blank
    by_key: dict[str, tuple[str, Reader]] = {}

    def read_object(value: Any, depth: int) -> Any:
        if not isinstance(value, dict):
            raise UnreadableValue
        fields = by_key or _fields_by_key(cls, by_key)
        depth += 1
        attributes = template.copy()
        # Over the keys sent rather than the model's fields: envelopes name few of them.
        for key, item in value.items():
            field = fields.get(key)
            if field is None:
                continue
            attribute, read = field
            # _read_child, inlined (the hot loop), and text fields kept without a call.
            if item is None:
                attributes[attribute] = None
            elif depth > MAX_MODEL_DEPTH:
                continue
            elif read is _read_str and type(item) is str:
                attributes[attribute] = item
            else:
                try:
                    attributes[attribute] = read(item, depth)
                except UnreadableValue:
                    continue
        model: Any = object.__new__(cls)
        model.__dict__ = attributes
        return model

    return read_object


def _fields_by_key(
    cls: type, into: dict[str, tuple[str, Reader]]
) -> dict[str, tuple[str, Reader]]:
    """``into``, filled with ``JSON key: (attribute, reader)`` for each field of ``cls``.

    A field of a model type gets its reader when a request first sends it: making it imports
    the model's module, and the envelope's classes name dozens of Alexa features (screens,
    APL, payments) that most requests never carry, which a cold start would import for nothing.
    """
    for attribute, key, type_name in _plan(cls).fields:
        if _shape(type_name)[0] == "primitive":
            into[key] = (attribute, _reader(type_name))
        else:
            into[key] = (attribute, _deferred(into, key, attribute, type_name))
    return into


def _deferred(
    into: dict[str, tuple[str, Reader]], key: str, attribute: str, type_name: str
) -> Reader:
    """A field's reader that makes the real one on its first value and takes its place."""

    def read_first(value: Any, depth: int) -> Any:
        read = _reader(type_name)
        into[key] = (attribute, read)
        return read(value, depth)

    return read_first


def _blank_attributes(cls: type) -> dict[str, Any] | None:
    """What ``cls()`` sets, where a copy of it makes an equal object (only immutable values,
    no ``__new__`` of its own), else None."""
    if cls.__new__ is not object.__new__:
        return None
    attributes = dict(vars(cls()))
    if all(isinstance(item, _IMMUTABLE) for item in attributes.values()):
        return attributes
    return None


def _slow_object_reader(cls: type) -> Reader:
    """A reader for a model class that cannot be made from a copy: ``cls()``, then each field."""

    def read_object(value: Any, depth: int) -> Any:
        if not isinstance(value, dict):
            raise UnreadableValue
        model = cls()
        for attribute, key, type_name in _plan(cls).fields:
            if key in value:
                read = _reader(type_name)
                try:
                    setattr(model, attribute, _read_child(read, value[key], depth + 1))
                except UnreadableValue:
                    continue
        return model

    return read_object


def _with_context(event: dict[str, Any]) -> dict[str, Any]:
    """The event, with a minimal ``context`` made from the session where it has none."""
    if isinstance(event.get("context"), dict):
        return event
    session = event.get("session")
    if not isinstance(session, dict):
        return event
    system = {
        key: session[key] for key in ("application", "user") if isinstance(session.get(key), dict)
    }
    return {**event, "context": {"System": system}}


def request_type_of(event: Any) -> str | None:
    """``request.type`` of a parsed event, or None where there is none."""
    request = event.get("request") if isinstance(event, dict) else None
    kind = request.get("type") if isinstance(request, dict) else None
    return kind if isinstance(kind, str) else None


def is_known_request_type(kind: str | None) -> bool:
    """True for a request type the SDK model can read."""
    return kind is not None and kind in Request.discriminator_value_class_map


def readable_session_attributes(event: Any) -> dict[str, Any]:
    """The session attributes of ``event`` that can be read (and so sent back), else ``{}``."""
    session = event.get("session") if isinstance(event, dict) else None
    attributes = session.get("attributes") if isinstance(session, dict) else None
    if not isinstance(attributes, dict):
        return {}
    try:
        kept = conform(attributes, "dict(str, object)")
    except UnreadableValue:
        return {}
    return copy.deepcopy(kept) if isinstance(kept, dict) else {}


def conform_envelope(event: Any) -> dict[str, Any]:
    """The event reduced to what the SDK's ``RequestEnvelope`` can read (see module docstring).

    Raises ``SerializationException`` when the event is not an object at all.
    """
    if not isinstance(event, dict):
        raise SerializationException("request envelope is not a JSON object")
    try:
        conformed = conform(_with_context(event), _ENVELOPE_TYPE)
    except UnreadableValue as error:
        raise SerializationException("request envelope cannot be read") from error
    if not isinstance(conformed, dict):
        raise SerializationException("request envelope cannot be read")
    return conformed


def read_envelope_model(event: Any) -> RequestEnvelope:
    """The event read tolerantly into the SDK's ``RequestEnvelope`` (see module docstring).

    The same envelope as the SDK's ``DefaultSerializer`` makes of :func:`conform_envelope`'s
    result. Raises ``SerializationException`` when the event cannot be read at all.
    """
    if not isinstance(event, dict):
        raise SerializationException("request envelope is not a JSON object")
    try:
        envelope = read_model(_with_context(event), _ENVELOPE_TYPE)
    except UnreadableValue as error:
        raise SerializationException("request envelope cannot be read") from error
    except (ValueError, OverflowError, TypeError) as error:  # as the SDK's model reader fails
        raise SerializationException(str(error)) from error
    if not isinstance(envelope, RequestEnvelope):
        raise SerializationException("request envelope cannot be read")
    return envelope


@cache
def _serialized_fields(cls: type) -> tuple[tuple[str, str], ...] | None:
    """``(attribute, JSON key)`` of each field a model class writes, in its order; None for a
    class that is not a model with fields (an enum, a date, a number type)."""
    if getattr(cls, "deserialized_types", None) is None:
        return None
    fields = _plan(cls).fields
    if issubclass(cls, _NOT_MODELS):
        return None
    return tuple((attribute, key) for attribute, key, _type in fields)


_NOT_MODELS = (tuple, datetime, date, Enum, decimal.Decimal, list, dict)
#: Types written as they are. Exact types: a subclass (an ``IntEnum``, say) takes the long way.
_WRITTEN_AS_IS = frozenset({str, int, float, bool, bytes, type(None)})


class TolerantSerializer(DefaultSerializer):  # type: ignore[misc]
    """``DefaultSerializer`` that reads a request envelope tolerantly, straight into the model,
    and writes model objects with each class's fields looked up once."""

    def deserialize(self, payload: Any, obj_type: Any) -> Any:
        if obj_type is not RequestEnvelope and obj_type != _ENVELOPE_TYPE:
            return super().deserialize(payload, obj_type)
        if payload is None:
            return None
        try:
            event = json.loads(payload) if isinstance(payload, str | bytes) else payload
        except (ValueError, RecursionError) as error:
            raise SerializationException("request envelope is not JSON") from error
        return read_envelope_model(event)

    def serialize(self, obj: Any) -> Any:
        """As ``DefaultSerializer.serialize``: JSON-ready data for a model object or value.

        Dispatches on the exact type first (plain values, dicts, lists, model objects), so a
        response's strings and flags cost one set lookup each; anything else is written by
        ``DefaultSerializer`` itself.
        """
        kind: type = type(obj)
        if kind in _WRITTEN_AS_IS:
            return obj
        if kind is dict:
            return {key: self.serialize(item) for key, item in obj.items()}
        if kind is list:
            return [self.serialize(item) for item in obj]
        fields = _serialized_fields(kind)
        if fields is None:
            return self._serialize_other(obj)
        result = {}
        for attribute, key in fields:
            item = getattr(obj, attribute)
            if item is not None:
                result[key] = item if type(item) in _WRITTEN_AS_IS else self.serialize(item)
        return result

    def _serialize_other(self, obj: Any) -> Any:
        if isinstance(obj, self.PRIMITIVE_TYPES):
            return obj
        if isinstance(obj, list):
            return [self.serialize(item) for item in obj]
        if isinstance(obj, dict):
            return {key: self.serialize(item) for key, item in obj.items()}
        return super().serialize(obj)


def read_envelope(event: Any) -> RequestEnvelope | None:
    """The event as an SDK ``RequestEnvelope``, read tolerantly, or None where it cannot be.

    A request of a type the SDK does not know is read as the base ``Request`` (its type, id,
    timestamp and locale), so it can still be verified.
    """
    kind = request_type_of(event)
    serializer = TolerantSerializer()
    try:
        if kind is None or is_known_request_type(kind):
            envelope: RequestEnvelope = serializer.deserialize(event, RequestEnvelope)
            return envelope
        request = event["request"]
        envelope = serializer.deserialize({**event, "request": None}, RequestEnvelope)
        base = conform_base_request(request)
        base_class: Any = Request  # abstract in the model's typing, concrete enough to hold these
        envelope.request = base_class(
            object_type=kind,
            request_id=base.get("requestId"),
            timestamp=serializer.deserialize(json.dumps(base.get("timestamp")), "datetime"),
            locale=base.get("locale"),
        )
        return envelope
    except (SerializationException, TypeError, ValueError, RecursionError) as error:
        log.info("envelope cannot be read (%s)", type(error).__name__)
        return None


def conform_base_request(request: dict[str, Any]) -> dict[str, Any]:
    """The fields every request type shares (``Request``), read tolerantly."""
    result: dict[str, Any] = {}
    for attribute, type_name in Request.deserialized_types.items():
        key = Request.attribute_map.get(attribute, attribute)
        if key in request and key != "type":
            try:
                result[key] = conform(request[key], type_name)
            except UnreadableValue:
                continue
    return result


def _intent_unreadable(envelope: RequestEnvelope) -> bool:
    """An intent request whose intent (or its name) could not be read: nothing to route on."""
    if not isinstance(envelope.request, IntentRequest):
        return False
    intent = envelope.request.intent
    return intent is None or not isinstance(intent.name, str)


def _application_id(envelope: RequestEnvelope) -> str | None:
    system = getattr(envelope.context, "system", None)
    application_id = getattr(getattr(system, "application", None), "application_id", None)
    return application_id if isinstance(application_id, str) and application_id else None


def silent_response(session_attributes: Mapping[str, Any]) -> dict[str, Any]:
    """An empty response (nothing said, session left to Alexa) keeping the attributes."""
    return {
        "version": RESPONSE_VERSION,
        "sessionAttributes": dict(session_attributes),
        "response": {},
    }


class EnvelopeAnswerer:
    """Turns an event (the parsed JSON of one request) into the response JSON.

    ``apology`` is the response (without session attributes) for a request that asks for
    speech but cannot be read at all; without one, such a request gets a silent response.
    Thread-safe: holds nothing per request. Gives ``skill`` the tolerant serializer.
    """

    __slots__ = ("skill", "apology")

    def __init__(self, skill: CustomSkill, apology: Mapping[str, Any] | None = None) -> None:
        if not isinstance(skill.serializer, TolerantSerializer):
            skill.serializer = TolerantSerializer()
        self.skill = skill
        self.apology = apology

    def answer(self, event: Any, context: Any = None) -> dict[str, Any]:
        """The response JSON for ``event``; ``context`` is the Lambda context, if any.

        Never raises for anything in the event, except what the SDK refuses: a request for
        another skill, or one naming no skill when a skill id is configured
        (``AskSdkException``). A fault in the skill itself propagates.
        """
        kind = request_type_of(event)
        if kind is not None and not is_known_request_type(kind):
            log.info("request type %r not known: answered silently", kind)
            return silent_response(readable_session_attributes(event))
        try:
            envelope = self.skill.serializer.deserialize(payload=event, obj_type=RequestEnvelope)
        except (SerializationException, TypeError, ValueError, RecursionError) as error:
            log.warning("unreadable request envelope (%s)", type(error).__name__)
            return self.unreadable(event)
        if envelope is None or envelope.request is None or _intent_unreadable(envelope):
            return self.unreadable(event)
        if self.skill.skill_id is not None and _application_id(envelope) is None:
            # The SDK would fail with an AttributeError; say what is wrong instead.
            raise AskSdkException("Skill ID Verification failed: the request names no skill")
        response = self.skill.invoke(request_envelope=envelope, context=context)
        return cast(dict[str, Any], self.skill.serializer.serialize(response))

    def unreadable(self, event: Any) -> dict[str, Any]:
        """The answer to an event that cannot be read: it keeps the incoming attributes."""
        attributes = readable_session_attributes(event)
        if self.apology is None or request_type_of(event) == "SessionEndedRequest":
            return silent_response(attributes)
        response = copy.deepcopy(dict(self.apology))
        response["sessionAttributes"] = attributes
        return response


Answer = Callable[[Any, Any], dict[str, Any]]

__all__ = [
    "MAX_FREE_FORM_DEPTH",
    "UnreadableValue",
    "RESPONSE_VERSION",
    "Answer",
    "EnvelopeAnswerer",
    "TolerantSerializer",
    "conform",
    "conform_envelope",
    "is_known_request_type",
    "read_envelope",
    "read_envelope_model",
    "read_model",
    "readable_session_attributes",
    "request_type_of",
    "silent_response",
]
