"""Building the skill: one handler per request type, content loaded once, the store chosen here.

Every locale's content (``content/<locale>/`` over en-US) is loaded and checked once per
process: the default locale's when the skill is built, each other locale's the first time a
request of that locale comes (a Lambda cold start pays for one locale, not all). Each request is
answered from its own locale's content (see :meth:`skill.handlers.base.Deps.for_request`). The
test suite loads and checks every locale's content.

There is one handler per request type: every intent goes through the route table in
:mod:`skill.handlers.routes`, so no intent depends on the order of this list.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_model.services import ApiClient

from .alexa_time import TimeZoneLookup
from .content import (
    DEFAULT_LOCALE,
    Content,
    content_locales,
    default_content_root,
    load_content,
    locale_folder,
    read_folder,
    read_parsed,
)
from .envelope import RESPONSE_VERSION, EnvelopeAnswerer
from .guide import Guide
from .handlers import launch
from .handlers.base import Deps
from .handlers.can_fulfill import CanFulfillIntentHandler
from .handlers.errors import ApologyHandler
from .handlers.routes import ROUTES, IntentRouter
from .on_demand import OnDemand
from .persistence.interceptors import add_user_state_interceptors
from .replies import from_answer
from .routine import check_routines_fit
from .slots import SlotVocabulary, load_vocabularies
from .speech import Speech

log = logging.getLogger(__name__)

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def load_checked_content(
    content: Content | None = None, contents: Mapping[str, Content] | None = None
) -> Mapping[str, Content]:
    """Every locale's content by locale, each loaded and checked (routines included) once.

    A ``content`` given (tests) is the only one, and speaks for every locale; ``contents``
    (locale -> content, already loaded) stands for every locale's. Otherwise each locale is
    loaded from ``content/`` on first use (:func:`content_on_demand`); loading raises
    ``ContentError`` naming file and key.
    """
    if content is None and contents is None:
        return content_on_demand()
    chosen = {content.locale: content} if content is not None else dict(contents or {})
    for loaded in chosen.values():
        check_routines_fit(loaded)
    return chosen


def content_on_demand() -> Mapping[str, Content]:
    """Each locale's content, read, checked and its routines fitted on first use."""
    root = default_content_root()
    parsed = read_parsed(root)  # in the Lambda bundle: the files already parsed and checked
    checked = parsed.unchanged(root)

    @functools.cache
    def base_files() -> list[tuple[str, dict[str, Any]]] | None:
        """The base locale's YAML files, parsed once for every locale (parsed files are
        cheaper to read again than to copy: then ``None``, each locale reads its own)."""
        return None if parsed.files else read_folder(locale_folder(root, DEFAULT_LOCALE))

    def load(locale: str) -> Content:
        content = load_content(
            root, locale, base=base_files(), parsed=parsed.files, check=not checked
        )
        if not checked:
            check_routines_fit(content)
        log.debug("content of %s loaded", locale)
        return content

    return OnDemand(content_locales(root), load)


def _deps(
    contents: Mapping[str, Content],
    clock: Callable[[], float],
    time_zones: TimeZoneLookup | None,
    vocabularies: Mapping[str, SlotVocabulary],
) -> Deps:
    """One Deps per locale, each made with its content; the default locale's (or the only
    one) answers any other locale."""

    def deps_of(locale: str) -> Deps:
        content = contents[locale]
        return Deps(
            content=content,
            guide=Guide(content),
            clock=clock,
            time_zones=time_zones,
            vocabularies=vocabularies,
        )

    by_locale = OnDemand(contents, deps_of)
    default = by_locale[DEFAULT_LOCALE if DEFAULT_LOCALE in by_locale else next(iter(by_locale))]
    return Deps(
        content=default.content,
        guide=default.guide,
        clock=clock,
        time_zones=time_zones,
        vocabularies=vocabularies,
        locales=by_locale,
    )


def skill_builder(
    persistence_adapter: AbstractPersistenceAdapter | None = None,
    *,
    skill_id: str | None = None,
    content: Content | None = None,
    clock: Callable[[], float] = time.time,
    api_client: ApiClient | None = None,
    contents: Mapping[str, Content] | None = None,
) -> CustomSkillBuilder:
    """The skill's builder (handlers, store, interceptors), over content loaded and checked here.

    ``api_client`` reaches the Alexa Settings API for the device's time zone (the night voice
    by default at night); without one, the skill never calls out.
    """
    return _builder(
        persistence_adapter, skill_id, load_checked_content(content, contents), clock, api_client
    )


def _builder(
    persistence_adapter: AbstractPersistenceAdapter | None,
    skill_id: str | None,
    contents: Mapping[str, Content],
    clock: Callable[[], float],
    api_client: ApiClient | None = None,
) -> CustomSkillBuilder:
    """The builder over content the caller has already checked."""
    time_zones = TimeZoneLookup.through(api_client) if api_client is not None else None
    deps = _deps(contents, clock, time_zones, load_vocabularies())
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
        CanFulfillIntentHandler(frozenset(ROUTES)),
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
    contents: Mapping[str, Content] | None = None,
) -> CustomSkill:
    """The skill, ready to ``invoke``. Without an adapter, nothing is kept between sessions."""
    return skill_builder(
        persistence_adapter, skill_id=skill_id, content=content, clock=clock,
        api_client=api_client, contents=contents,
    ).create()


def build_lambda_handler(
    persistence_adapter: AbstractPersistenceAdapter | None = None,
    *,
    skill_id: str | None = None,
    content: Content | None = None,
    clock: Callable[[], float] = time.time,
    api_client: ApiClient | None = None,
    contents: Mapping[str, Content] | None = None,
) -> LambdaHandler:
    """The AWS Lambda entry: ``handler(event, context) -> response dict``.

    Unlike the SDK's own ``lambda_handler()``, the skill is built once (not per request), and
    envelopes are read tolerantly (see :mod:`skill.envelope`), as the web service reads them.
    """
    return build_answerer(
        persistence_adapter, skill_id=skill_id, content=content, clock=clock,
        api_client=api_client, contents=contents,
    ).answer


def build_answerer(
    persistence_adapter: AbstractPersistenceAdapter | None = None,
    *,
    skill_id: str | None = None,
    content: Content | None = None,
    clock: Callable[[], float] = time.time,
    api_client: ApiClient | None = None,
    contents: Mapping[str, Content] | None = None,
) -> EnvelopeAnswerer:
    """The skill behind its tolerant envelope reader: the one entry for Lambda and the web."""
    chosen = load_checked_content(content, contents)
    skill = _builder(persistence_adapter, skill_id, chosen, clock, api_client).create()
    default = chosen[DEFAULT_LOCALE if DEFAULT_LOCALE in chosen else next(iter(chosen))]
    return EnvelopeAnswerer(skill, unreadable_request_response(default))


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
