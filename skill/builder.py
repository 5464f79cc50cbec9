"""Building the skill: one handler per request type, content loaded once, the store chosen here.

There is one handler per request type: every intent goes through the route table in
:mod:`skill.handlers.routes`, so no intent depends on the order of this list.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_model.services import ApiClient

from .alexa_time import TimeZoneLookup
from .content import Content, load_content
from .envelope import RESPONSE_VERSION, EnvelopeAnswerer
from .guide import Guide
from .handlers import launch
from .handlers.base import Deps
from .handlers.errors import ApologyHandler
from .handlers.routes import IntentRouter
from .persistence.interceptors import add_user_state_interceptors
from .replies import from_answer
from .routine import check_routines_fit
from .slots import load_vocabularies
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
    api_client: ApiClient | None = None,
) -> CustomSkillBuilder:
    """The skill's builder (handlers, store, interceptors), over content loaded and checked here.

    ``api_client`` reaches the Alexa Settings API for the device's time zone (the night voice
    by default at night); without one, the skill never calls out.
    """
    return _builder(
        persistence_adapter, skill_id, load_checked_content(content), clock, api_client
    )


def _builder(
    persistence_adapter: AbstractPersistenceAdapter | None,
    skill_id: str | None,
    content: Content,
    clock: Callable[[], float],
    api_client: ApiClient | None = None,
) -> CustomSkillBuilder:
    """The builder over content the caller has already checked."""
    time_zones = TimeZoneLookup(api_client) if api_client is not None else None
    deps = Deps(
        content=content,
        guide=Guide(content),
        clock=clock,
        time_zones=time_zones,
        vocabularies=load_vocabularies(),
    )
    builder = (
        CustomSkillBuilder()
        if persistence_adapter is None
        else CustomSkillBuilder(persistence_adapter=persistence_adapter)
    )
    # The SDK annotates ``skill_id`` by its default (None), but reads it as the skill's id.
    builder.skill_id = skill_id  # type: ignore[assignment]
    for handler in [
        launch.LaunchHandler(deps),
        launch.SessionEndedHandler(),
        IntentRouter(deps),
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
    api_client: ApiClient | None = None,
) -> CustomSkill:
    """The skill, ready to ``invoke``. Without an adapter, nothing is kept between sessions."""
    return skill_builder(
        persistence_adapter, skill_id=skill_id, content=content, clock=clock,
        api_client=api_client,
    ).create()


def build_lambda_handler(
    persistence_adapter: AbstractPersistenceAdapter | None = None,
    *,
    skill_id: str | None = None,
    content: Content | None = None,
    clock: Callable[[], float] = time.time,
    api_client: ApiClient | None = None,
) -> LambdaHandler:
    """The AWS Lambda entry: ``handler(event, context) -> response dict``.

    Unlike the SDK's own ``lambda_handler()``, the skill is built once (not per request), and
    envelopes are read tolerantly (see :mod:`skill.envelope`), as the web service reads them.
    """
    return build_answerer(
        persistence_adapter, skill_id=skill_id, content=content, clock=clock, api_client=api_client
    ).answer


def build_answerer(
    persistence_adapter: AbstractPersistenceAdapter | None = None,
    *,
    skill_id: str | None = None,
    content: Content | None = None,
    clock: Callable[[], float] = time.time,
    api_client: ApiClient | None = None,
) -> EnvelopeAnswerer:
    """The skill behind its tolerant envelope reader: the one entry for Lambda and the web."""
    content = load_checked_content(content)
    skill = _builder(persistence_adapter, skill_id, content, clock, api_client).create()
    return EnvelopeAnswerer(skill, unreadable_request_response(content))


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
