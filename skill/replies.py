"""What a handler decides to say, before it becomes SSML.

A :class:`Reply` is plain data: the words and pauses, the follow-up question, what "yes" to that
question does and what it is about. The guide (:mod:`skill.guide`) builds replies from content
keys; :mod:`skill.respond` turns a reply into the SDK response in one place.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .content import Content, fill
from .conversation import Context
from .speech import Part


class Reply(NamedTuple):
    """One response: speech, an optional question (with reprompt), or the end of the session."""

    parts: tuple[Part, ...] = ()
    ask: str | None = None
    reprompt: str | None = None
    end: bool = False
    #: Content keys spoken, in order (kept so tests and logs can tell what was said).
    keys: tuple[str, ...] = ()
    #: What "yes" to ``ask`` does: an answer key, ``routine:<id>`` or an ``action:`` offer
    #: (see :mod:`skill.conversation`).
    offer: str | None = None
    #: What the question was about, for "no", "help" and unknown words next turn.
    context: Context | None = None
    #: Urgent safety information is said in it: the whole response in the normal voice
    #: (:func:`skill.speech.voice_for`).
    urgent: bool = False

    def before(self, *parts: Part, key: str | None = None) -> Reply:
        """The same reply with ``parts`` said first."""
        keys = (key, *self.keys) if key else self.keys
        return self._replace(parts=(*parts, *self.parts), keys=keys)

    def with_offer(self, offer: str) -> Reply:
        return self._replace(offer=offer)

    def then(self, other: Reply) -> Reply:
        """Say this reply's words, then ``other`` entirely (its question, offer and context)."""
        return other._replace(
            parts=(*self.parts, *other.parts),
            keys=(*self.keys, *other.keys),
            urgent=self.urgent or other.urgent,
        )


class Replay(NamedTuple):
    """The last response again, exactly as it was rendered (SSML), for "repeat"."""

    ssml: str
    reprompt: str | None = None


def from_answer(content: Content, key: str, **values: Any) -> Reply:
    """A reply made of one content entry (its words, question, offer and declared context).

    ``{placeholders}`` are filled from ``values``; a missing value raises ``KeyError``.
    """
    answer = content.answer(key)
    say = fill(answer.say, values)
    return Reply(
        parts=(say,) if say else (),
        ask=fill(answer.ask, values) if answer.ask else None,
        reprompt=fill(answer.reprompt, values) if answer.reprompt else None,
        end=answer.end,
        keys=(key,),
        offer=answer.yes,
        context=answer.context,
        urgent=answer.urgent,
    )
