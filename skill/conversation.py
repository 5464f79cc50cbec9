"""The conversation's vocabulary: what a question was about, and what "yes" to it does.

Every response that asks something leaves two notes in the session for the next turn:

- its **context** (:class:`Context`): what the question was about. It decides what "no",
  "help", "repeat" and unknown words mean next. An answer declares it in its content entry
  (``context:`` in ``content/<locale>/*.yaml``); the routine's own replies set it in
  :mod:`skill.guide`. No context means a plain question: nothing special follows.
- its **offer**: what "yes" does. Either an answer's key (``if_yes:`` in the content),
  :data:`ROUTINE_TARGET` + a routine id (start that routine), or one of the ``OFFER_*`` actions
  below, which only the guide makes.

What each context does with each kind of reply is the state table in :mod:`skill.guide`.
"""

from __future__ import annotations

from enum import StrEnum


class Context(StrEnum):
    """What the last question was about (stored as its value in the session)."""

    #: "Front or back?": which muscle is cramping.
    MUSCLE = "muscle"
    #: "Ready for the next one?" inside a routine.
    ROUTINE = "routine"
    #: A routine paused in a session that stayed open (older versions; pause now ends the
    #: session, keeping the place): still read as in a routine.
    PAUSED = "paused"
    #: "Pick up where you left off?" about a routine from an earlier session.
    RESUME = "resume"
    #: "Anything else?": "no" now means goodbye.
    ANYTHING_ELSE = "anything_else"
    #: "How many seconds?": a number said next is a hold length.
    HOLD = "hold"


def read_context(value: object) -> Context | None:
    """The context stored in a session, or ``None`` for none or one this version does not know."""
    try:
        return Context(value) if isinstance(value, str) else None
    except ValueError:
        return None


#: An offer that starts a routine: ``routine:<routine id>``.
ROUTINE_TARGET = "routine:"
#: An offer to set holds of that many seconds: ``hold:<seconds>``.
HOLD_TARGET = "hold:"
#: Offers that are actions of the skill itself rather than an answer's key.
OFFER_NEXT_STEP = "action:next"
OFFER_RESUME = "action:resume"
OFFER_FORGET = "action:forget"
