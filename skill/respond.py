"""Turning a :class:`~skill.replies.Reply` into the SDK response: the one way out of a handler.

Here, and only here: SSML is rendered (in the user's voice setting; urgent answers in the
normal voice, :func:`skill.speech.voice_for`), the session is kept open
exactly when a question was asked, and what was said is remembered for "repeat".
"""

from __future__ import annotations

import logging

from ask_sdk_model import Response

from .replies import Replay, Reply, from_answer
from .speech import Speech
from .state import TurnState

log = logging.getLogger(__name__)


class DeadEndError(ValueError):
    """A reply that neither asks anything nor ends the session: a dead end for the user."""


def respond(state: TurnState, reply: Reply | Replay) -> Response:
    """Build the response for ``reply`` and record the turn in ``state``.

    A :class:`~skill.replies.Replay` is sent as it was and recorded again as nothing new: the
    question it repeats still means what it meant.
    """
    if isinstance(reply, Replay):
        return replay(state, reply.ssml, reply.reprompt)
    if not reply.end and not reply.ask:
        raise DeadEndError(f"reply {reply.keys} neither asks a question nor ends the session")
    reply = skip_heard_offer(state, reply)
    voice = state.voice
    speech = Speech().extend(reply.parts)
    if reply.ask:
        speech.add(reply.ask)
    urgent = reply.urgent
    ssml = speech.ssml(voice, urgent=urgent)
    reprompt_ssml = (
        Speech().add(reply.reprompt or reply.ask).ssml(voice, urgent=urgent) if reply.ask else None
    )
    state.remember(
        offer=reply.offer if reply.ask else None,
        context=reply.context if reply.ask else None,
        last={"ssml": ssml, "reprompt": reprompt_ssml, "keys": list(reply.keys)},
    )
    log.debug("answering with %s", reply.keys)
    return replay(state, ssml, reprompt_ssml)


#: Asked instead of an offer of something already said in this session.
INSTEAD_OF_HEARD_OFFER = "anything_else"


def skip_heard_offer(state: TurnState, reply: Reply) -> Reply:
    """``reply`` without an offer of an answer already said in this session.

    Follow-up offers chain from answer to answer (heat, massage, professional massage, heat);
    one that would lead back to something heard asks "what else?" instead. Only links of such
    chains are skipped (answers that offer something in turn, with no context of their own):
    prompts such as "front or back?" or "which medicine?" can be offered again.
    The answers said are recorded here, so the mechanism covers every reply.
    """
    content = state.content
    heard = state.heard_keys
    offer = reply.offer
    if offer and offer in content.answers and offer in heard:
        target = content.answer(offer)
        if target.context is None and target.yes is not None:
            instead = from_answer(content, INSTEAD_OF_HEARD_OFFER)
            reply = reply._replace(
                ask=instead.ask, reprompt=instead.reprompt, offer=instead.offer,
                context=instead.context,
            )
    state.note_heard(key for key in reply.keys if key in content.answers)
    return reply


def replay(state: TurnState, ssml: str, reprompt_ssml: str | None) -> Response:
    """A response with exactly this speech: open with a reprompt, or closed without one."""
    builder = state.handler_input.response_builder
    builder.speak(ssml)
    if reprompt_ssml:
        builder.ask(reprompt_ssml)
    else:
        builder.set_should_end_session(True)
    return builder.response
