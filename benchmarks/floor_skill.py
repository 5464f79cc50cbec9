"""The floor: a minimal hello-world ask-sdk-core skill (launch and one intent).

The benchmarks measure Cramp Helper against this skill, which does the least an ask-sdk-core
skill can do: no content, no store, no interceptors. Importing this module builds the Lambda
handler (``handler``) and nothing else; :func:`create_app` serves the same skill from Flask
through flask-ask-sdk's ``SkillAdapter``, imported through :mod:`skill.web.sdk_import` exactly
as the project's web service imports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_core.utils import is_intent_name, is_request_type
from ask_sdk_model import Response

if TYPE_CHECKING:
    from flask import Flask

INTENT_NAME = "HelloWorldIntent"
WELCOME = "Welcome. You can say hello."
HELLO = "Hello world!"


class LaunchRequestHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("LaunchRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        return handler_input.response_builder.speak(WELCOME).ask(WELCOME).response


class HelloWorldIntentHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name(INTENT_NAME)(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        return handler_input.response_builder.speak(HELLO).set_should_end_session(True).response


def skill_builder() -> SkillBuilder:
    builder = SkillBuilder()
    builder.add_request_handler(LaunchRequestHandler())
    builder.add_request_handler(HelloWorldIntentHandler())
    return builder


sb = skill_builder()
handler = sb.lambda_handler()


def create_app(verifiers: Sequence[Any] = ()) -> Flask:
    """The floor skill behind Flask, checked by ``verifiers`` (the same ones the project uses)."""
    from flask import Flask

    from skill.web.sdk_import import (
        VERIFY_SIGNATURE_CONFIG,
        VERIFY_TIMESTAMP_CONFIG,
        SkillAdapter,
    )

    app = Flask(__name__)
    # The SDK's own verifiers need certvalidator, which cannot load here; the project's
    # verifiers (passed in) do the same checks.
    app.config[VERIFY_SIGNATURE_CONFIG] = False
    app.config[VERIFY_TIMESTAMP_CONFIG] = False
    adapter = SkillAdapter(
        skill=skill_builder().create(), skill_id="floor", verifiers=list(verifiers), app=app
    )
    adapter.register(app=app, route="/")
    return app
