"""Conversations written as YAML (``tests/scenarios/*.yaml``), played through the local device.

Each file is a list of conversations; each conversation is one pytest case, named
``<file>::<conversation name>``. Every words said go through the interaction model into real
request JSON and the Lambda handler function, exactly as ``cramp-helper chat`` does.

A conversation::

    - name: lipitor one-shot                  # unique within the file
      fact: "Statin medications for cholesterol such as Crestor and Lipitor may cause ..."
      user: amzn1.ask.account.OTHER          # optional; the default local user otherwise
      xfail: "why this is a known bug"        # optional; the case must fail (strict)
      locales: [en-US]                        # optional; every English locale otherwise
      device_time: {zone: Europe/London, at: "2026-11-29T03:00"}   # optional, see below
      turns:
        - say: ask cramp helper can lipitor cause cramps
          intent: MedicationIntent             # the intent the model matched
          slots: {Medication: lipitor}         # see "slots" below
          keys: [disclaimer, medication.lipitor]
          heard: [Lipitor, statin]
          open: true

Every conversation runs in each locale it lists (``locales``; by default all five English
locales, each with its own interaction model and content), as its own case
``<file>::<name>[<locale>]``. In ``heard`` and ``not_heard``, ``{emergency_number}`` is the
locale's emergency number as spoken ("nine nine nine" in en-GB).

``fact`` (or ``facts``, a list) quotes the guide (``seed/*.txt``) or the safety facts the
conversation proves the skill can reach. Quotes are checked against those files when they are
present (see ``GUIDE_DIR``).

``device_time`` gives the device a time zone and the skill a clock: the skill asks a local
stand-in of the Alexa Settings API for ``zone``, as it asks Alexa, and its clock stands at ``at``
(an ISO time, read in ``zone``) until a turn moves it. Without it the skill knows no time zone.

Turn fields (all optional except ``say``):

``advance_seconds``
    move the skill's clock forward before this turn (e.g. to let a saved place expire).
``new_session``
    end the open session (as Alexa does after silence) before this turn.
``user``
    say this turn as another user (each user has their own device and session; the store and
    clock are shared).
``intent``
    the intent name sent, or ``none`` for a launch (``open cramp helper``).
``slots``
    ``{SlotName: expected}``, checked against the request JSON. ``expected`` is the resolved
    id for a custom slot type and the value for a built-in one (``{Seconds: "45"}``), or
    ``{value: calf, id: null}`` for words that matched no value (``ER_SUCCESS_NO_MATCH``).
``keys``
    the content keys spoken (``last.keys`` in the session attributes), EXACTLY and in order.
``keys_include``
    content keys that must be among those spoken (a subset, any order).
``heard`` / ``not_heard``
    substrings of the readable speech (case-insensitive; pauses read ``[pause 10 s]`` and the
    night voice starts with ``[quiet voice]``).
``reprompt_heard``
    substrings of the reprompt.
``open``
    whether the session stays open after this turn.
``quiet``
    whether the response is in the night voice.
``same_as_previous``
    the SSML and reprompt are exactly those of the previous turn (for "repeat").
``pauses``
    the exact list of pause lengths, in seconds, in order.

Every turn is also checked for the rules no response may break: SSML well formed, under 8000
characters, no pause over 10 s, never two pauses back to back, at most 90 s of speech, a
reprompt exactly when the session stays open (no dead ends), no apology for an error unless
the turn expects one (``keys: [error]``), and never another locale's emergency number.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import FixedClock

from skill.alexa_time import TimedApiClient
from skill.builder import build_lambda_handler
from skill.content import Content, load_all_content
from skill.persistence.memory_store import InMemoryPersistenceAdapter
from skill.speech import MAX_BREAK_SECONDS, MAX_RESPONSE_SECONDS, MAX_SSML_CHARS, Pause, parse
from skill.speech import planned_seconds as planned
from skill.tools.local.device import LOCAL_USER_ID, LocalDevice, Turn
from skill.tools.local.device_time import LOCAL_API_TIMEOUT_SECONDS, parse_now, time_zone_name
from skill.tools.local.settings_api import SettingsApiStandIn
from skill.tools.paths import project_root

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"
#: Where the guide and the safety facts live, if present (they are not part of the package).
GUIDE_DIR = Path(
    os.environ.get("CRAMP_HELPER_GUIDE_DIR", project_root().parent / "shared")
)

CONVERSATION_FIELDS = frozenset(
    {"name", "fact", "facts", "user", "xfail", "turns", "locales", "device_time"}
)
#: Each locale's emergency number as spoken, from its content ("nine nine nine" in en-GB).
EMERGENCY_NUMBERS = {
    locale: content.phrase("emergency.number") for locale, content in load_all_content().items()
}
LOCALES = tuple(EMERGENCY_NUMBERS)
TURN_FIELDS = frozenset(
    {
        "say", "advance_seconds", "new_session", "user", "intent", "slots", "keys",
        "keys_include", "heard", "not_heard", "reprompt_heard", "open", "quiet",
        "same_as_previous", "pauses",
    }
)
APOLOGY = "something went wrong"


class _ScenarioLoader(yaml.SafeLoader):
    """YAML where only true/false are booleans, so `say: yes`, `say: no`, `say: off` are words."""


_BOOL = "tag:yaml.org,2002:bool"
_ScenarioLoader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_ScenarioLoader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class ScenarioFormatError(ValueError):
    """A scenario file that does not follow the format above."""


@dataclass(frozen=True)
class Conversation:
    file: str
    name: str
    turns: tuple[Mapping[str, Any], ...]
    facts: tuple[str, ...] = ()
    user: str | None = None
    xfail: str | None = None
    locales: tuple[str, ...] = LOCALES
    #: ``(IANA zone, ISO local time)`` of the device, or ``None``.
    device_time: tuple[str, str] | None = None

    @property
    def id(self) -> str:
        return f"{self.file}::{self.name}"


def _strings(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    raise ScenarioFormatError(f"{where}: expected text or a list of texts, got {value!r}")


def _check_turn(turn: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(turn, dict):
        raise ScenarioFormatError(f"{where}: a turn must be a mapping")
    if not isinstance(turn.get("say"), str) or not turn["say"].strip():
        raise ScenarioFormatError(f"{where}: every turn needs `say`")
    if unknown := set(turn) - TURN_FIELDS:
        raise ScenarioFormatError(f"{where}: unknown field(s) {sorted(unknown)}")
    for name in ("keys", "keys_include", "heard", "not_heard", "reprompt_heard"):
        if name in turn:
            _strings(turn[name], f"{where}: {name}")
    for name in ("open", "quiet", "new_session", "same_as_previous"):
        if name in turn and not isinstance(turn[name], bool):
            raise ScenarioFormatError(f"{where}: `{name}` must be true or false")
    if "slots" in turn and not isinstance(turn["slots"], dict):
        raise ScenarioFormatError(f"{where}: `slots` must be a mapping")
    return turn


def _device_time(value: Any, where: str) -> tuple[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"zone", "at"}:
        raise ScenarioFormatError(f"{where}: `device_time` needs exactly `zone` and `at`")
    try:
        parse_now(str(value["at"]), time_zone_name(str(value["zone"])))
    except ValueError as error:
        raise ScenarioFormatError(f"{where}: `device_time`: {error}") from None
    return str(value["zone"]), str(value["at"])


def load_conversations(path: Path) -> list[Conversation]:
    """Read one scenario file, checking its format. Raises :class:`ScenarioFormatError`."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_ScenarioLoader)
    except yaml.YAMLError as error:
        raise ScenarioFormatError(f"{path.name}: not valid YAML: {error}") from None
    if not isinstance(data, list) or not data:
        raise ScenarioFormatError(f"{path.name}: must be a non-empty list of conversations")
    conversations: list[Conversation] = []
    seen: set[str] = set()
    for index, entry in enumerate(data):
        where = f"{path.name}[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise ScenarioFormatError(f"{where}: a conversation needs a `name`")
        where = f"{path.name}::{entry['name']}"
        if entry["name"] in seen:
            raise ScenarioFormatError(f"{where}: the name is used twice")
        seen.add(entry["name"])
        if unknown := set(entry) - CONVERSATION_FIELDS:
            raise ScenarioFormatError(f"{where}: unknown field(s) {sorted(unknown)}")
        turns = entry.get("turns")
        if not isinstance(turns, list) or not turns:
            raise ScenarioFormatError(f"{where}: `turns` must be a non-empty list")
        facts = [*_strings(entry.get("fact", []), where), *_strings(entry.get("facts", []), where)]
        locales = tuple(_strings(entry.get("locales", list(LOCALES)), f"{where}: locales"))
        if unknown_locales := set(locales) - set(LOCALES):
            raise ScenarioFormatError(f"{where}: unknown locale(s) {sorted(unknown_locales)}")
        device_time = _device_time(entry.get("device_time"), where)
        conversations.append(
            Conversation(
                file=path.stem,
                name=entry["name"],
                turns=tuple(
                    _check_turn(turn, f"{where} turn {number}")
                    for number, turn in enumerate(turns, 1)
                ),
                facts=tuple(facts),
                user=entry.get("user"),
                xfail=entry.get("xfail"),
                locales=locales,
                device_time=device_time,
            )
        )
    return conversations


def all_conversations() -> list[Conversation]:
    return [
        conversation
        for path in sorted(SCENARIO_DIR.glob("*.yaml"))
        for conversation in load_conversations(path)
    ]


CONVERSATIONS = all_conversations()


def _params() -> Iterator[Any]:
    for conversation in CONVERSATIONS:
        marks = (
            [pytest.mark.xfail(strict=True, reason=conversation.xfail)]
            if conversation.xfail
            else []
        )
        for locale in conversation.locales:
            yield pytest.param(
                conversation, locale, id=f"{conversation.id}[{locale}]", marks=marks
            )


# --- Checking one turn ---------------------------------------------------------------------------


def _contains(text: str, wanted: str) -> bool:
    return _fold(wanted) in _fold(text)


def _fold(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").lower().split())


def _slot_problems(turn: Turn, expected: Mapping[str, Any]) -> list[str]:
    sent = (turn.request["request"].get("intent") or {}).get("slots") or {}
    problems = []
    for name, want in expected.items():
        slot = sent.get(name)
        if slot is None:
            problems.append(f"slot {name} was not sent (sent: {sorted(sent)})")
            continue
        authorities = (slot.get("resolutions") or {}).get("resolutionsPerAuthority") or []
        resolved = None
        if authorities and authorities[0]["status"]["code"] == "ER_SUCCESS_MATCH":
            resolved = authorities[0]["values"][0]["value"]["id"]
        if isinstance(want, dict):
            if "value" in want and slot.get("value") != want["value"]:
                problems.append(f"slot {name}: value {slot.get('value')!r}, expected "
                                f"{want['value']!r}")
            if "id" in want and resolved != want["id"]:
                problems.append(f"slot {name}: resolved to {resolved!r}, expected {want['id']!r}")
            continue
        got = resolved if authorities else slot.get("value")
        if got != str(want):
            problems.append(f"slot {name}: got {got!r} (words {slot.get('value')!r}), "
                            f"expected {want!r}")
    return problems


def _rule_problems(turn: Turn, expects_error: bool, locale: str) -> list[str]:
    """The rules every response must keep, whatever the turn expects."""
    problems = [
        f"said {number!r}, the emergency number of another country than {locale}'s"
        for number in set(EMERGENCY_NUMBERS.values()) - {EMERGENCY_NUMBERS[locale]}
        if _contains(turn.text, number)
    ]
    response = turn.response.get("response", {})
    ssml = turn.ssml
    if not ssml:
        return ["no outputSpeech"]
    if len(ssml) >= MAX_SSML_CHARS:
        problems.append(f"SSML is {len(ssml)} characters")
    try:
        segments = parse(ssml)
    except Exception as error:
        return [f"SSML is not well formed: {error}"]
    for first, second in zip(segments, segments[1:], strict=False):
        if isinstance(first, Pause) and isinstance(second, Pause):
            problems.append("two pauses back to back")
    if any(isinstance(s, Pause) and s.seconds > MAX_BREAK_SECONDS for s in segments):
        problems.append("a pause over 10 s")
    if planned(ssml) > MAX_RESPONSE_SECONDS:
        problems.append(f"speech lasts {planned(ssml):.0f} s")
    if turn.session_open and not turn.reprompt_text:
        problems.append("the session stays open without a reprompt (a dead end)")
    if not turn.session_open and "reprompt" in response:
        problems.append("a reprompt on a response that ends the session")
    if response.get("shouldEndSession") is None:
        problems.append("shouldEndSession is absent: the session's fate is left to the device")
    if not expects_error and APOLOGY in turn.text.lower():
        problems.append("the skill apologised for an error")
    return problems


def _localized(texts: list[str], locale: str) -> list[str]:
    return [text.replace("{emergency_number}", EMERGENCY_NUMBERS[locale]) for text in texts]


def _turn_problems(
    turn: Turn, step: Mapping[str, Any], previous: Turn | None, locale: str = "en-US"
) -> list[str]:
    problems: list[str] = []
    keys = list((turn.response.get("sessionAttributes") or {}).get("last", {}).get("keys", []))
    expects_error = "error" in _strings(step.get("keys", []), "keys")
    problems += _rule_problems(turn, expects_error, locale)
    if "intent" in step:
        want = None if step["intent"] in (None, "none") else step["intent"]
        if turn.intent != want:
            problems.append(f"intent {turn.intent}, expected {want}")
    if "slots" in step:
        problems += _slot_problems(turn, step["slots"])
    if "keys" in step and keys != _strings(step["keys"], "keys"):
        problems.append(f"keys {keys}, expected exactly {step['keys']}")
    if "keys_include" in step:
        missing = [key for key in _strings(step["keys_include"], "keys") if key not in keys]
        if missing:
            problems.append(f"keys {keys} lack {missing}")
    for wanted in _localized(_strings(step.get("heard", []), "heard"), locale):
        if not _contains(turn.text, wanted):
            problems.append(f"did not hear {wanted!r}")
    for unwanted in _localized(_strings(step.get("not_heard", []), "not_heard"), locale):
        if _contains(turn.text, unwanted):
            problems.append(f"heard {unwanted!r}")
    for wanted in _strings(step.get("reprompt_heard", []), "reprompt_heard"):
        if not _contains(turn.reprompt_text, wanted):
            problems.append(f"reprompt {turn.reprompt_text!r} lacks {wanted!r}")
    if "open" in step and turn.session_open != step["open"]:
        problems.append(f"session {'open' if turn.session_open else 'closed'}, expected "
                        f"{'open' if step['open'] else 'closed'}")
    if "quiet" in step and turn.text.startswith("[quiet voice]") != step["quiet"]:
        problems.append(f"quiet voice is {not step['quiet']}, expected {step['quiet']}")
    if step.get("same_as_previous"):
        if previous is None:
            problems.append("`same_as_previous` on the first turn")
        elif (turn.ssml, turn.reprompt_text) != (previous.ssml, previous.reprompt_text):
            problems.append(f"not the same as the previous turn: {previous.text!r}")
    if "pauses" in step:
        got = [s.seconds for s in parse(turn.ssml or "<speak/>") if isinstance(s, Pause)]
        if got != [float(p) for p in step["pauses"]]:
            problems.append(f"pauses {got}, expected {step['pauses']}")
    return problems


@dataclass
class Player:
    """Plays one conversation: a device per user, all on one skill (store and clock shared)."""

    make_device: Any
    clock: Any
    default_user: str | None
    locale: str = "en-US"
    devices: dict[str | None, LocalDevice] = field(default_factory=dict)

    def device_for(self, user: str | None) -> LocalDevice:
        if user not in self.devices:
            self.devices[user] = (
                self.make_device(user, locale=self.locale) if user
                else self.make_device(locale=self.locale)
            )
        return self.devices[user]

    def play(self, conversation: Conversation) -> None:
        previous: Turn | None = None
        for number, step in enumerate(conversation.turns, 1):
            device = self.device_for(step.get("user", self.default_user))
            if step.get("advance_seconds"):
                self.clock.advance(float(step["advance_seconds"]))
            if step.get("new_session"):
                device.end_session("EXCEEDED_MAX_REPROMPTS")
            turn = device.hear(step["say"])
            problems = _turn_problems(turn, step, previous, self.locale)
            if problems:
                pytest.fail(
                    f"{conversation.file}.yaml, conversation {conversation.name!r} "
                    f"({self.locale}), turn "
                    f"{number}, said {step['say']!r}:\n  - "
                    + "\n  - ".join(problems)
                    + f"\n  intent: {turn.intent}\n  alexa said: {turn.text!r}"
                    + f"\n  reprompt: {turn.reprompt_text!r}",
                    pytrace=False,
                )
            previous = turn


@pytest.mark.parametrize(("conversation", "locale"), list(_params()))
def test_conversation(
    conversation: Conversation,
    locale: str,
    device: Any,
    clock: Any,
    contents: dict[str, Content],
    models: Any,
) -> None:
    if conversation.device_time is None:
        Player(device, clock, conversation.user, locale).play(conversation)
        return
    zone_name, at = conversation.device_time
    with SettingsApiStandIn(zone_name) as api:
        local_clock = FixedClock(parse_now(at, zone_name).timestamp())
        handler = build_lambda_handler(
            InMemoryPersistenceAdapter(), contents=contents, clock=local_clock,
            api_client=TimedApiClient(timeout=LOCAL_API_TIMEOUT_SECONDS, verify=api.ca_file),
        )

        def make(user_id: str = LOCAL_USER_ID, locale: str = "en-US") -> LocalDevice:
            return LocalDevice(
                handler, models(locale), user_id=user_id, locale=locale,
                api_endpoint=api.endpoint,
            )

        Player(make, local_clock, conversation.user, locale).play(conversation)


# --- The scenarios themselves --------------------------------------------------------------------


def test_there_are_conversations() -> None:
    assert len(CONVERSATIONS) >= 50, "scenario files went missing"


def _guide_text() -> str | None:
    sources = sorted((GUIDE_DIR / "seed").glob("*.txt"))
    facts = GUIDE_DIR / "docs" / "medical-facts.md"
    if not sources or not facts.is_file():
        return None
    texts = [path.read_text(encoding="utf-8") for path in [*sources, facts]]
    return _fold(re.sub(r"[\u201c\u201d]", '"', "\n".join(texts)))


def test_facts_quote_the_guide() -> None:
    """Every ``fact`` is a real quote from the guide or the safety facts (when present)."""
    text = _guide_text()
    if text is None:
        pytest.skip(f"the guide is not at {GUIDE_DIR}")
    wrong = [
        f"{conversation.id}: {fact!r}"
        for conversation in CONVERSATIONS
        for fact in conversation.facts
        if _fold(fact) not in text
    ]
    assert not wrong, "facts not found in the guide:\n" + "\n".join(wrong)
