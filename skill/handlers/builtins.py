"""Alexa's built-in intents outside a routine: help, stop, yes/no, repeat, fallback, home."""

from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from ..persistence.interceptors import forget_user
from ..replies import OFFER_FORGET, Reply
from ..respond import replay, respond
from ..speech import is_own_ssml
from ..state import TurnState
from .base import Deps, IntentHandler


class RepeatHandler(IntentHandler):
    """"Repeat": the last response again, word for word (and pause for pause)."""

    def __init__(self, deps: Deps) -> None:
        super().__init__(deps, "AMAZON.RepeatIntent", lambda _hi, state: deps.guide.help(state))

    def handle(self, handler_input: HandlerInput) -> Response:
        state = self.deps.state(handler_input)
        last = state.last
        reprompt = last.get("reprompt") if last is not None else None
        if last is None or not is_own_ssml(last["ssml"]) or not (
            reprompt is None or is_own_ssml(reprompt)
        ):
            return respond(state, self.deps.guide.help(state))
        return replay(state, last["ssml"], reprompt)


def _forget(handler_input: HandlerInput, state: TurnState, deps: Deps) -> Reply:
    return deps.guide.forget(state, forget_user(handler_input))


def handlers(deps: Deps) -> list[AbstractRequestHandler]:
    guide = deps.guide
    return [
        IntentHandler(deps, "ForgetMeIntent", lambda _hi, _state: guide.confirm_forget()),
        IntentHandler(
            deps,
            "AMAZON.YesIntent",
            lambda hi, state: _forget(hi, state, deps),
            when=lambda state: state.offer == OFFER_FORGET,
        ),
        IntentHandler(deps, "AMAZON.YesIntent", lambda _hi, state: guide.yes(state)),
        IntentHandler(deps, "AMAZON.NoIntent", lambda _hi, state: guide.no(state)),
        IntentHandler(deps, "AMAZON.HelpIntent", lambda _hi, state: guide.help(state)),
        IntentHandler(
            deps,
            ["AMAZON.StopIntent", "AMAZON.CancelIntent"],
            lambda _hi, state: guide.stop(state),
        ),
        RepeatHandler(deps),
        IntentHandler(
            deps,
            ["AMAZON.NextIntent", "AMAZON.PreviousIntent", "AMAZON.PauseIntent"],
            lambda _hi, state: guide.next_step(state),
        ),
        IntentHandler(deps, "AMAZON.NavigateHomeIntent", lambda _hi, state: guide.home(state)),
        IntentHandler(deps, "AMAZON.FallbackIntent", lambda _hi, state: guide.fallback(state)),
    ]
