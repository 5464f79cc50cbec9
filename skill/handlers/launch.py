"""Requests that are not intents: opening the skill, the end of a session, anything else."""

from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import Response

from ..respond import respond
from .base import Deps

log = logging.getLogger(__name__)


class LaunchHandler(AbstractRequestHandler):
    """"Alexa, open cramp helper": brief, asks where it hurts, or offers to resume."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("LaunchRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        deps = self.deps.for_request(handler_input)
        state = deps.state(handler_input)
        return respond(state, deps.guide.launch(state))


class SessionEndedHandler(AbstractRequestHandler):
    """The session closed (the user left, or said nothing). Alexa plays nothing in reply."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("SessionEndedRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        request = handler_input.request_envelope.request
        reason = getattr(request, "reason", None)
        error = getattr(request, "error", None)
        if error is not None:
            log.error("session ended with an error: %s", error)
        else:
            log.info("session ended: %s", getattr(reason, "value", reason))
        return handler_input.response_builder.response


class OtherRequestHandler(AbstractRequestHandler):
    """Any other request type (a system notice, an unknown type): acknowledge it silently."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return not is_request_type("IntentRequest")(handler_input) and not is_request_type(
            "LaunchRequest"
        )(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        request = handler_input.request_envelope.request
        log.warning("unhandled request type %s", getattr(request, "object_type", type(request)))
        return handler_input.response_builder.response

