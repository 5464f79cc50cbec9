"""Building the skill: one ordered list of handlers, content loaded once, the store chosen here.

Handlers are tried in order and the first that can handle a request wins, so the list runs
from specific to general: routine navigation (only inside a routine) before the general
built-ins, and the catch-alls last.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_model import RequestEnvelope

from .content import Content, load_content
from .guide import Guide
from .handlers import builtins, guidance, launch, routines
from .handlers.base import Deps
from .handlers.errors import ApologyHandler, UnknownIntentHandler
from .persistence.interceptors import add_user_state_interceptors
from .replies import from_answer
from .routine import check_routines_fit
from .speech import Speech

log = logging.getLogger(__name__)

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def load_checked_content(content: Content | None = None) -> Content:
    """Content, loaded and checked (routines included) once, at start-up."""
    content = content or load_content()
    check_routines_fit(content)
    return content


def skill_builder(
    persistence_adapter: AbstractPersistenceAdapter | None = None,
    *,
    skill_id: str | None = None,
    content: Content | None = None,
    clock: Callable[[], float] = time.time,
) -> CustomSkillBuilder:
    """The one ordered handler list, over content loaded and checked here."""
    return _builder(persistence_adapter, skill_id, load_checked_content(content), clock)


def _builder(
    persistence_adapter: AbstractPersistenceAdapter | None,
    skill_id: str | None,
    content: Content,
    clock: Callable[[], float],
) -> CustomSkillBuilder:
    """The builder over content the caller has already checked."""
    deps = Deps(content=content, guide=Guide(content), clock=clock)
    builder = CustomSkillBuilder(persistence_adapter=persistence_adapter)
    builder.skill_id = skill_id
    for handler in [
        *launch.handlers(deps),
        *routines.handlers(deps),
        *guidance.handlers(deps),
        *builtins.handlers(deps),
        UnknownIntentHandler(deps),
        launch.OtherRequestHandler(),
    ]:
        builder.add_request_handler(handler)
    builder.add_exception_handler(ApologyHandler(deps))
    add_user_state_interceptors(builder)
    return builder


def build_skill(
    persistence_adapter: AbstractPersistenceAdapter | None = None,
    *,
    skill_id: str | None = None,
    content: Content | None = None,
    clock: Callable[[], float] = time.time,
) -> CustomSkill:
    """The skill, ready to ``invoke``. Without an adapter, nothing is kept between sessions."""
    return skill_builder(
        persistence_adapter, skill_id=skill_id, content=content, clock=clock
    ).create()


def build_lambda_handler(
    persistence_adapter: AbstractPersistenceAdapter | None = None,
    *,
    skill_id: str | None = None,
    content: Content | None = None,
    clock: Callable[[], float] = time.time,
) -> LambdaHandler:
    """The AWS Lambda entry: ``handler(event, context) -> response dict``.

    Unlike the SDK's own ``lambda_handler()``, the skill is built once (not per request), and
    an envelope the SDK cannot read (a value its model does not know) still gets a spoken
    apology instead of an exception out of the function.
    """
    content = load_checked_content(content)
    skill = _builder(persistence_adapter, skill_id, content, clock).create()
    unreadable = unreadable_request_response(content)

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        try:
            envelope = skill.serializer.deserialize(
                payload=json.dumps(event), obj_type=RequestEnvelope
            )
        except (SerializationException, TypeError, ValueError) as error:
            # The type only: the message quotes the offending value, which can be user words.
            log.warning("unreadable request envelope (%s)", type(error).__name__)
            request = event.get("request") if isinstance(event, dict) else None
            kind = request.get("type") if isinstance(request, dict) else None
            if kind == "SessionEndedRequest":
                return {"version": RESPONSE_VERSION, "response": {}}
            return copy.deepcopy(unreadable)
        response = skill.invoke(request_envelope=envelope, context=context)
        result: dict[str, Any] = skill.serializer.serialize(response)
        return result

    return handler


RESPONSE_VERSION = "1.0"


def unreadable_request_response(content: Content) -> dict[str, Any]:
    """The apology for a request that cannot be read: spoken, with a question and reprompt."""
    error = from_answer(content, "error")
    speech = Speech().extend(error.parts).add(error.ask).ssml()
    reprompt = Speech().add(error.reprompt).ssml()
    return {
        "version": RESPONSE_VERSION,
        "sessionAttributes": {},
        "response": {
            "outputSpeech": {"type": "SSML", "ssml": speech},
            "reprompt": {"outputSpeech": {"type": "SSML", "ssml": reprompt}},
            "shouldEndSession": False,
        },
    }
