"""How a person calls a skill by name: Alexa's launch phrases and one-shot requests (English).

One grammar for everything that reads "Alexa, ... <invocation name> ...": the local simulator
decides with it whether words open the skill, make a one-shot request or are said inside a
session, and the manifest check decides with it whether an example phrase can work.

Source: Amazon's Alexa Skills Kit documentation, "Understand How Users Invoke Custom Skills"
(English table) and the certification guidance on example phrases:

- **no request** (a LaunchRequest): ``<launch phrase> <invocation name>``, with the launch
  phrases of :data:`LAUNCH_PHRASES` ("open", "start", "talk to", "ask", "tell", "load", ...);
- **a request** (an IntentRequest for the words after the name):
  ``<phrase> <invocation name> <connecting word> <request>``, with the connecting words each
  phrase takes in :data:`ONE_SHOT_PHRASES` ("ask ... to / for / about / if / whether",
  "tell ... to / that", "use ... to / and", "open ... and", ...); "ask" and "tell" also take the
  request with no connecting word ("ask cramp helper what causes cramps");
- **the request first**: ``<request> <connecting word> <invocation name>`` with
  :data:`REQUEST_FIRST_CONNECTORS` ("stretch my hamstring with cramp helper");
- around those, Alexa allows "the" before the name and a polite opening before everything
  (:data:`POLITE_OPENINGS`: "can you", "let's", "I want to", "please", ...).

Words are compared after :func:`skill.tools.local.model.normalize` (lower case, punctuation
dropped). A connecting word may also be the first word of a sample ("for longer holds"), so a
request is offered both with and without it (:attr:`Invocation.readings`) and the matcher keeps
whichever reads better.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from skill.tools.local.model import normalize

#: Words that wake the device (a device can be set to any one of them).
WAKE_WORDS: tuple[str, ...] = ("alexa", "amazon", "echo", "computer", "ziggy")

#: "<phrase> <name>" on its own starts the skill with a LaunchRequest.
LAUNCH_PHRASES: tuple[str, ...] = (
    "ask",
    "begin",
    "do",
    "launch",
    "load",
    "open",
    "play",
    "play the game",
    "resume",
    "run",
    "start",
    "start playing",
    "start playing the game",
    "talk to",
    "tell",
    "use",
)

#: "<phrase> <name> <connecting word> <request>": the connecting words each phrase takes.
ONE_SHOT_PHRASES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "ask": ("to", "about", "for", "if", "whether"),
        "tell": ("to", "that"),
        "talk to": ("about", "and"),
        "use": ("to", "and"),
        "open": ("and",),
        "launch": ("and",),
        "start": ("and",),
        "begin": ("and",),
        "load": ("and",),
        "run": ("and",),
        "resume": ("and",),
    }
)

#: Phrases that also take the request straight after the name ("ask <name> what causes cramps").
BARE_ONE_SHOT_PHRASES: tuple[str, ...] = ("ask", "tell")

#: "<request> <connecting word> <name>": "get a hamstring stretch from cramp helper".
REQUEST_FIRST_CONNECTORS: tuple[str, ...] = ("by", "from", "in", "using", "with")

#: What may come before the whole phrase: "Alexa, can you ask cramp helper ...".
POLITE_OPENINGS: tuple[str, ...] = (
    "can you",
    "could you",
    "would you",
    "please",
    "let's",
    "i want to",
    "i wanna",
    "i'd like to",
)


@dataclass(frozen=True)
class Invocation:
    """Words that name the skill: a launch (``request`` empty) or a one-shot request."""

    #: The launch phrase used ("open", "ask", "talk to", ...); empty for the request-first form.
    phrase: str
    #: The words of the request as said after the name (connecting word kept); "" for a launch.
    request: str
    #: The request to match against the model: without its connecting word first, then as said.
    readings: tuple[str, ...] = ()

    @property
    def is_launch(self) -> bool:
        return not self.request


def _strip_start(words: str, prefixes: tuple[str, ...]) -> str:
    for prefix in sorted(prefixes, key=len, reverse=True):
        if words == prefix:
            return ""
        if words.startswith(prefix + " "):
            return words[len(prefix) + 1 :]
    return words


def strip_wake_word(words: str) -> tuple[str, bool]:
    """``words`` normalised, without a leading wake word; and whether there was one."""
    text = normalize(words)
    rest = _strip_start(text, WAKE_WORDS)
    return rest, rest != text


def _after_name(words: str, name: str) -> str | None:
    """The words after ``[the] <name>`` at the start of ``words`` ("" if nothing follows)."""
    for prefix in (name, f"the {name}"):
        if words == prefix:
            return ""
        if words.startswith(prefix + " "):
            return words[len(prefix) + 1 :]
    return None


def _one_shot(phrase: str, request: str) -> Invocation | None:
    connectors = ONE_SHOT_PHRASES.get(phrase, ())
    first, _, rest = request.partition(" ")
    if first in connectors and rest:
        return Invocation(phrase, request, (rest, request))
    if phrase in BARE_ONE_SHOT_PHRASES:
        return Invocation(phrase, request, (request,))
    return None


def _request_first(words: str, name: str) -> Invocation | None:
    for connector in REQUEST_FIRST_CONNECTORS:
        for tail in (f" {connector} {name}", f" {connector} the {name}"):
            if words.endswith(tail) and len(words) > len(tail):
                request = words[: -len(tail)]
                return Invocation("", request, (request,))
    return None


def parse_invocation(words: str, invocation_name: str) -> Invocation | None:
    """How Alexa reads ``words`` that call the skill by name; None if they do not.

    ``words`` may start with a wake word ("Alexa, ...") or not; punctuation and case are
    ignored. "Ask cramp helper" and "open cramp helper" are launches; "ask cramp helper to stretch
    my hamstring" is a one-shot request with readings ("stretch my hamstring", "to stretch my
    hamstring"). Words that name the skill in a way Alexa does not document ("open cramp helper
    what causes cramps") give None, as do words that do not name it at all.
    """
    name = normalize(invocation_name)
    text, _ = strip_wake_word(words)
    text = _strip_start(text, POLITE_OPENINGS)
    if not name or not text:
        return None
    phrases = sorted(set(LAUNCH_PHRASES) | set(ONE_SHOT_PHRASES), key=len, reverse=True)
    for phrase in phrases:
        if not text.startswith(phrase + " "):
            continue
        request = _after_name(text[len(phrase) + 1 :], name)
        if request is None:
            continue
        if request == "":
            return Invocation(phrase, "") if phrase in LAUNCH_PHRASES else None
        return _one_shot(phrase, request)
    return _request_first(text, name)


__all__ = [
    "BARE_ONE_SHOT_PHRASES",
    "LAUNCH_PHRASES",
    "ONE_SHOT_PHRASES",
    "POLITE_OPENINGS",
    "REQUEST_FIRST_CONNECTORS",
    "WAKE_WORDS",
    "Invocation",
    "parse_invocation",
    "strip_wake_word",
]
