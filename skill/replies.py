"""What a handler decides to say, before it becomes SSML.

A :class:`Reply` is plain data: the words and pauses, the follow-up question, and what "yes" to
that question should do. Handlers build replies from content keys; :mod:`skill.respond` turns a
reply into the SDK response in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from .content import Content, fill
from .speech import Part

#: Offers that are actions of the skill itself rather than an answer's key.
OFFER_NEXT_STEP = "action:next"
OFFER_RESUME = "action:resume"
OFFER_FORGET = "action:forget"


@dataclass(frozen=True)
class Reply:
    """One response: speech, an optional question (with reprompt), or the end of the session."""

    parts: tuple[Part, ...] = ()
    ask: str | None = None
    reprompt: str | None = None
    end: bool = False
    #: Content keys spoken, in order (kept so tests and logs can tell what was said).
    keys: tuple[str, ...] = ()
    #: What "yes" to ``ask`` does: an answer key, ``routine:<id>`` or an ``action:`` offer.
    offer: str | None = None
    #: What the question was about ("muscle", "routine", "resume", ...), for help and "no".
    context: str | None = None

    def before(self, *parts: Part, key: str | None = None) -> Reply:
        """The same reply with ``parts`` said first."""
        keys = (key, *self.keys) if key else self.keys
        return replace(self, parts=(*parts, *self.parts), keys=keys)

    def with_offer(self, offer: str) -> Reply:
        return replace(self, offer=offer)

    def with_context(self, context: str) -> Reply:
        return replace(self, context=context)

    def then(self, other: Reply) -> Reply:
        """Say this reply's words, then ``other`` entirely (its question, offer and context)."""
        return replace(
            other,
            parts=(*self.parts, *other.parts),
            keys=(*self.keys, *other.keys),
        )


@dataclass(frozen=True)
class Replay:
    """The last response again, exactly as it was rendered (SSML), for "repeat"."""

    ssml: str
    reprompt: str | None = None


def from_answer(
    content: Content, key: str, *, context: str | None = None, **values: Any
) -> Reply:
    """A reply made of one content entry, with ``{placeholders}`` filled from ``values``."""
    answer = content.answer(key)
    say = fill(answer.say, values)
    return Reply(
        parts=(say,) if say else (),
        ask=fill(answer.ask, values) if answer.ask else None,
        reprompt=fill(answer.reprompt, values) if answer.reprompt else None,
        end=answer.end,
        keys=(key,),
        offer=answer.yes,
        context=context,
    )
