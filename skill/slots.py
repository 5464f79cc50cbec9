"""Reading slots the way Alexa fills them, without ever saying back the wrong words.

Alexa fills a custom slot with the words it heard (``value``) and, when entity resolution worked,
the value id they resolved to. Resolution is not always there: requests from some tools carry
no ``resolutions``, a lookup can time out (``ER_ERROR_TIMEOUT``) or fail, Amazon may add status
codes, and a slot can catch more words than its value ("my left hamstring", "my statin").
So the one rule here, for every slot:

1. ``ER_SUCCESS_MATCH``: the resolved id.
2. Otherwise (no resolutions, a failed lookup, an unknown code, or ``ER_SUCCESS_NO_MATCH``),
   the words are read against the slot type's own values and synonyms, as the locale's
   interaction model lists them (:class:`SlotVocabulary`): the longest value or synonym found
   in the words wins, so words around it (left, right, my, the, ...) are understood, not echoed.
3. Words naming a value of *another* slot type, or the topic of another question (words that
   only one slot-less question's samples use, such as "drinking water"), are a question for
   that intent: :func:`redirect` says which, and the router answers it there.
4. Only words that match nothing anywhere are unknown, and only those are said back.

The vocabulary comes from ``interaction_model/<locale>.json`` (shipped in the Lambda bundle),
read once per process, the first time a slot of that locale needs it (:func:`load_vocabularies`):
most requests carry resolved slots and never need it, so a cold start does not pay for it. The
router hands the locale's vocabulary to :func:`read_slot` through the request's attributes.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_slot
from ask_sdk_model import IntentRequest
from ask_sdk_model.slu.entityresolution import StatusCode

from .numbers import parse_number
from .on_demand import OnDemand

log = logging.getLogger(__name__)

#: Slot words echoed back ("I don't have information about ...") are cut to this length.
MAX_ECHO_CHARS = 60
#: The locale whose model answers when a request's locale has none of its own.
DEFAULT_LOCALE = "en-US"
#: Request attribute keys: the locale's vocabulary, and readings decided by a redirect.
VOCABULARY_ATTRIBUTE = "slot_vocabulary"
READINGS_ATTRIBUTE = "slot_readings"

#: Words around a slot value that say which one or whose, never what: dropped from an echo
#: ("not the left elbow" -> "not the elbow"), and never enough to name a topic on their own.
MODIFIER_WORDS = frozenset({
    "a", "an", "the", "my", "your", "his", "her", "our", "their", "this", "that", "these",
    "those", "some", "any", "left", "right", "upper", "lower", "whole", "both",
})
#: Words that carry no topic: a run of slot words made only of these never names a question.
FUNCTION_WORDS = MODIFIER_WORDS | frozenset({
    "i", "i'm", "me", "it", "it's", "is", "are", "was", "be", "to", "of", "in", "on", "at",
    "for", "with", "and", "or", "do", "does", "did", "can", "could", "will", "would", "should",
    "about", "what", "how", "why", "when", "which", "help", "good", "bad", "more", "much",
})

#: Slot types that name a place on the body or a position. Other words heard there are a body
#: part or position the skill does not know ("my elbow" must never become a question about
#: clots because the clot samples mention legs): they move only to another slot type's value.
#: And their values heard in another intent's slot ("does sitting cause cramps") never start
#: a stretch: only the intent that asked may take them.
PLACE_TYPES = frozenset({"MuscleType", "PositionType", "LimbType"})

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

#: Words that make words heard as a symptom an ordinary cramp or pain ("cramp in the back of my
#: leg", "pain in my thigh"): a cramp to stretch, never a red flag. Red-flag words are the
#: SymptomType's own values and synonyms, and win wherever they are heard.
ORDINARY_PAIN_WORDS = frozenset({
    "cramp", "cramps", "cramping", "cramped", "crampy", "pain", "pains", "painful", "ache",
    "aches", "aching", "achy", "hurt", "hurts", "hurting", "sore", "soreness", "tight",
    "tightness", "spasm", "spasms", "spasming", "knot", "knotted", "charley", "stiff",
    "killing", "agony", "seized", "seizing",
})
#: Words of an injury: the skill has no advice for one, so such words are never read as an
#: ordinary cramp to stretch.
INJURY_WORDS = frozenset({
    "fall", "fell", "fallen", "injury", "injured", "accident", "broke", "broken", "twisted",
    "sprain", "sprained", "tore", "torn", "crash", "hit", "bang", "banged",
})
#: The slot type of red flags said as symptoms ("swollen", "numb").
SYMPTOM_TYPE = "SymptomType"
#: The red-flag questions a word of their own names (see :meth:`SlotVocabulary.alarm`), the
#: emergency first.
ALARM_INTENTS = ("EmergencyIntent", "ClotIntent")
#: The muscles a stretch is for: a place heard beside a symptom with one of these ids is that
#: muscle.
STRETCH_MUSCLES = frozenset({"hamstring", "quadriceps", "calf"})


def words_of(text: str) -> tuple[str, ...]:
    """Lower-case words of ``text``, punctuation dropped ("My Left-Hamstring!" -> 3 words)."""
    return tuple(_WORD.findall(text.lower()))


def _contains(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    """Whether ``phrase`` (not empty) is a run of whole words in ``words``."""
    width = len(phrase)
    if not width:
        return False
    return any(words[i : i + width] == phrase for i in range(len(words) - width + 1))


class SlotReading(NamedTuple):
    """What the user said for a slot (``spoken``) and its canonical id, if it matched one."""

    spoken: str | None = None
    id: str | None = None

    @property
    def unknown(self) -> bool:
        """Something was said, but it is not one of the slot type's values."""
        return bool(self.spoken) and self.id is None

    @property
    def echo(self) -> str:
        """The spoken words, trimmed for saying back: leading "my", "the", "left" dropped."""
        words = (self.spoken or "").split()
        while len(words) > 1 and words[0].lower() in MODIFIER_WORDS:
            words = words[1:]
        text = " ".join(words)
        return text if len(text) <= MAX_ECHO_CHARS else text[:MAX_ECHO_CHARS].rsplit(" ", 1)[0]


class Redirect(NamedTuple):
    """Slot words that belong to another question: its intent, and its slot's reading there."""

    intent: str
    slot: str | None = None
    reading: SlotReading = SlotReading()


class SlotVocabulary(NamedTuple):
    """One locale's slot types and slot-less questions, as its interaction model has them.

    ``phrases``: slot type -> words of a value or synonym -> value id. ``intent_slots``: intent
    -> slot name -> slot type, in the model's intent order. ``topic_samples``: each slot-less
    intent of the skill's own -> the word tuples of its samples. ``word_intents``: each word of
    any sample, and each two words side by side ("drinking water"), -> the intents whose
    samples use it.
    """

    phrases: Mapping[str, Mapping[tuple[str, ...], str]]
    intent_slots: Mapping[str, Mapping[str, str]]
    topic_samples: Mapping[str, tuple[tuple[str, ...], ...]]
    word_intents: Mapping[str, frozenset[str]]

    @classmethod
    def from_model(cls, model: Mapping[str, Any]) -> SlotVocabulary:
        """From an interaction model as Alexa reads it (``{"interactionModel": ...}``)."""
        language = model["interactionModel"]["languageModel"]
        phrases: dict[str, Mapping[tuple[str, ...], str]] = {}
        for slot_type in language.get("types", []):
            table: dict[tuple[str, ...], str] = {}
            for entry in slot_type.get("values", []):
                value_id = entry.get("id") or entry["name"]["value"]
                for text in [entry["name"]["value"], *entry["name"].get("synonyms", [])]:
                    table.setdefault(words_of(text), value_id)
            phrases[slot_type["name"]] = MappingProxyType(table)
        intent_slots: dict[str, Mapping[str, str]] = {}
        topic_samples: dict[str, tuple[tuple[str, ...], ...]] = {}
        word_intents: dict[str, set[str]] = {}
        for intent in language.get("intents", []):
            slots = {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
            intent_slots[intent["name"]] = MappingProxyType(slots)
            samples = tuple(words_of(sample) for sample in intent.get("samples", []))
            for sample in samples:
                for term in (*sample, *_pairs(sample)):
                    word_intents.setdefault(term, set()).add(intent["name"])
            if not slots and not intent["name"].startswith("AMAZON."):
                topic_samples[intent["name"]] = samples
        return cls(
            MappingProxyType(phrases),
            MappingProxyType(intent_slots),
            MappingProxyType(topic_samples),
            MappingProxyType({word: frozenset(names) for word, names in word_intents.items()}),
        )

    @classmethod
    def from_file(cls, path: Path) -> SlotVocabulary:
        """From ``interaction_model/<locale>.json``; ``OSError``/``ValueError`` if unreadable."""
        return cls.from_model(json.loads(path.read_text(encoding="utf-8")))

    def slot_type(self, intent: str, slot: str) -> str | None:
        """The type of ``intent``'s slot ``slot``; ``None`` if the model has no such slot."""
        return self.intent_slots.get(intent, {}).get(slot)

    def resolve(self, slot_type: str, words: Iterable[str]) -> str | None:
        """The id of the longest value or synonym of ``slot_type`` found in ``words``."""
        found = self._longest(self.phrases.get(slot_type, {}), tuple(words))
        return found[1] if found else None

    def interpret(self, intent: str, slot_type: str, spoken: str) -> SlotReading | Redirect:
        """What words heard in ``intent``'s slot of ``slot_type`` name, by the reading that
        explains the most of them (ties: the slot's own type, another type, another topic).

        A red flag anywhere in the words comes first (:meth:`alarm`). Otherwise a value of the
        slot's own type gives its id; another type's value or another question's topic gives a
        :class:`Redirect`; nothing gives an unknown reading.
        """
        words = words_of(spoken)
        alarm = self.alarm(intent, slot_type, words, spoken)
        if alarm is not None:
            return alarm
        own = self._longest(self.phrases.get(slot_type, {}), words)
        best: tuple[int, SlotReading | Redirect] = (0, SlotReading(spoken))
        if own is not None:
            best = (len(own[0]), SlotReading(spoken, own[1]))
        for other_type, table in self.phrases.items():
            found = self._longest(table, words) if other_type != slot_type else None
            owner = self._owner(other_type, intent) if found else None
            if owner and other_type in PLACE_TYPES and owner[0] != intent:
                continue
            if found and owner and len(found[0]) > best[0]:
                reading = SlotReading(spoken, found[1])
                best = (len(found[0]), Redirect(owner[0], owner[1], reading))
        topic = self._topic(intent, words)
        if topic is not None and len(words) > best[0]:
            # In a place slot, words another question explains better are simply unknown.
            unknown = slot_type in PLACE_TYPES
            best = (len(words), SlotReading(spoken) if unknown else Redirect(topic))
        return best[1]

    def alarm(
        self, intent: str, slot_type: str, words: tuple[str, ...], spoken: str
    ) -> Redirect | None:
        """A red flag named anywhere in slot words, whatever else they say ("leg and I can't
        breathe", "is cramping and my chest hurts"): a value of the symptom type (a redirect
        to the intent that takes it, with that reading), else a word that only the samples of
        one red-flag question use ("chest", "breathe", "swollen"). ``None`` in that question's
        own slots, and when the words name none."""
        if intent in ALARM_INTENTS:
            return None
        if slot_type != SYMPTOM_TYPE:
            symptom = self._longest(self.phrases.get(SYMPTOM_TYPE, {}), words)
            owner = self._owner(SYMPTOM_TYPE, intent) if symptom else None
            if symptom and owner:
                return Redirect(owner[0], owner[1], SlotReading(spoken, symptom[1]))
        for flag in ALARM_INTENTS:
            if any(
                word not in FUNCTION_WORDS and self.word_intents.get(word) == {flag}
                for word in words
            ):
                return Redirect(flag)
        return None

    def _topic(self, intent: str, words: tuple[str, ...]) -> str | None:
        """The one slot-less question (not ``intent``) whose samples use all of ``words``, one
        of them a word, or two of them side by side, that no other intent's samples use
        ("gatorade", "ice", "drinking water"; not "legs")."""
        owners = [
            name
            for name, samples in self.topic_samples.items()
            if name != intent and any(_contains(sample, words) for sample in samples)
        ]
        if len(owners) != 1:
            return None
        distinctive = any(
            word not in FUNCTION_WORDS and self.word_intents.get(word) == {owners[0]}
            for word in words
        ) or any(self.word_intents.get(pair) == {owners[0]} for pair in _pairs(words))
        return owners[0] if distinctive else None

    def _owner(self, slot_type: str, asked: str) -> tuple[str, str] | None:
        """The intent (and its slot) that takes ``slot_type``: ``asked`` itself if it has such
        a slot, else the first in model order."""
        for intent in [asked, *self.intent_slots]:
            for slot, kind in self.intent_slots.get(intent, {}).items():
                if kind == slot_type:
                    return intent, slot
        return None

    @staticmethod
    def _longest(
        table: Mapping[tuple[str, ...], str], words: tuple[str, ...]
    ) -> tuple[tuple[str, ...], str] | None:
        found = [(phrase, value) for phrase, value in table.items() if _contains(words, phrase)]
        if not found:
            return None
        return max(found, key=lambda item: (len(item[0]), len(" ".join(item[0]))))


def _pairs(words: tuple[str, ...]) -> list[str]:
    """Each two words side by side, as one key: ("drinking", "water") -> ["drinking water"]."""
    return [f"{first} {second}" for first, second in zip(words, words[1:], strict=False)]


def default_model_root() -> Path:
    """``interaction_model/`` beside the ``skill`` package (in the repo and in the Lambda zip)."""
    return Path(__file__).resolve().parent.parent / "interaction_model"


def load_vocabularies(root: Path | None = None) -> Mapping[str, SlotVocabulary]:
    """Every ``<locale>.json`` model under ``root``, by locale, each read on first use.

    Raises ``ValueError`` at once when the folder holds no model, and on first use of a locale
    whose model cannot be read: the skill would otherwise read every slot it cannot resolve as
    unknown words.
    """
    root = root or default_model_root()
    paths = {path.stem: path for path in sorted(root.glob("*.json"))}
    if not paths:
        raise ValueError(f"{root}: no interaction model (<locale>.json)")

    def read(locale: str) -> SlotVocabulary:
        path = paths[locale]
        try:
            vocabulary = SlotVocabulary.from_file(path)
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{path}: cannot read the interaction model: {error}") from error
        log.debug("read the slot vocabulary of %s", locale)
        return vocabulary

    return OnDemand(paths, read)


def vocabulary_for(
    vocabularies: Mapping[str, SlotVocabulary], locale: str | None
) -> SlotVocabulary | None:
    """The model of ``locale``, else of its language ("en-GB" -> an "en-*"), else the default.
    Only the model returned is read (``vocabularies`` may read each on first use)."""
    if locale is not None and locale in vocabularies:
        return vocabularies[locale]
    language = (locale or "").split("-")[0].lower()
    for name in sorted(vocabularies):
        if language and name.split("-")[0].lower() == language:
            return vocabularies[name]
    return vocabularies.get(DEFAULT_LOCALE)


def _attributes(handler_input: HandlerInput) -> dict[str, Any]:
    attributes = handler_input.attributes_manager.request_attributes
    return attributes if isinstance(attributes, dict) else {}


def attach(
    handler_input: HandlerInput,
    vocabularies: Mapping[str, SlotVocabulary] | SlotVocabulary | None,
    locale: str | None = None,
) -> None:
    """Make ``locale``'s vocabulary (see :func:`vocabulary_for`), or the one given, the one
    :func:`read_slot` reads this request's slots against. Nothing is read until a slot needs it.
    """
    attached = _Pending(vocabularies, locale) if isinstance(vocabularies, Mapping) else vocabularies
    _attributes(handler_input)[VOCABULARY_ATTRIBUTE] = attached


class _Pending(NamedTuple):
    """A locale's vocabulary not looked up yet (looking it up may read the model)."""

    vocabularies: Mapping[str, SlotVocabulary]
    locale: str | None

    def get(self) -> SlotVocabulary | None:
        return vocabulary_for(self.vocabularies, self.locale)


def _vocabulary(handler_input: HandlerInput) -> SlotVocabulary | None:
    """The vocabulary :func:`attach` gave this request, read now if it was pending."""
    attached = _attributes(handler_input).get(VOCABULARY_ATTRIBUTE)
    if isinstance(attached, _Pending):
        attached = attached.get()
        _attributes(handler_input)[VOCABULARY_ATTRIBUTE] = attached
    return attached if isinstance(attached, SlotVocabulary) else None


def _intent_name(handler_input: HandlerInput) -> str:
    request = handler_input.request_envelope.request
    name = getattr(getattr(request, "intent", None), "name", None)
    return name if isinstance(name, str) else ""


def _heard(handler_input: HandlerInput, name: str) -> tuple[str | None, str | None, bool]:
    """The slot's words, its resolved id, and whether resolution said "no match"."""
    if not isinstance(handler_input.request_envelope.request, IntentRequest):
        return None, None, False
    slot = get_slot(handler_input, name)
    if slot is None:
        return None, None, False
    spoken = slot.value if isinstance(slot.value, str) and slot.value.strip() else None
    no_match = False
    for authority in getattr(slot.resolutions, "resolutions_per_authority", None) or []:
        status = getattr(getattr(authority, "status", None), "code", None)
        if status == StatusCode.ER_SUCCESS_MATCH and authority.values:
            value = authority.values[0].value
            if value is not None and isinstance(value.id, str) and value.id:
                return spoken, value.id, False
        no_match = no_match or status == StatusCode.ER_SUCCESS_NO_MATCH
    if no_match:
        log.info("slot %s: no match for its words", name)
    return spoken, None, no_match


def read_slot(handler_input: HandlerInput, name: str) -> SlotReading:
    """Read slot ``name`` of the current intent by the rule above; empty if it is absent."""
    decided = _attributes(handler_input).get(READINGS_ATTRIBUTE)
    if isinstance(decided, dict) and isinstance(decided.get(name), SlotReading):
        return decided[name]
    spoken, value_id, _ = _heard(handler_input, name)
    if value_id is not None or spoken is None:
        return SlotReading(spoken=spoken, id=value_id)
    vocabulary = _vocabulary(handler_input)
    if vocabulary is None:
        return SlotReading(spoken=spoken)
    intent = _intent_name(handler_input)
    slot_type = vocabulary.slot_type(intent, name)
    if slot_type is None:
        return SlotReading(spoken=spoken)
    reading = vocabulary.interpret(intent, slot_type, spoken)
    return reading if isinstance(reading, SlotReading) else SlotReading(spoken=spoken)


def redirect(handler_input: HandlerInput) -> Redirect | None:
    """Another question the current intent's slot words name, if some slot names one.

    A slot whose words resolve in its own type stays put; so does one whose words match nothing
    anywhere (read as unknown). When a redirect is found, the reading it carries is the one
    :func:`read_slot` returns for the target slot for the rest of the request.
    """
    unresolved = _unresolved_slots(handler_input)
    vocabulary = _vocabulary(handler_input) if unresolved else None
    if vocabulary is None:
        return None
    intent = _intent_name(handler_input)
    for name, slot_type in vocabulary.intent_slots.get(intent, {}).items():
        spoken = unresolved.get(name)
        if spoken is None:
            continue
        target = vocabulary.interpret(intent, slot_type, spoken)
        if isinstance(target, Redirect):
            if target.slot is not None:
                _attributes(handler_input)[READINGS_ATTRIBUTE] = {target.slot: target.reading}
            log.info("slot %s of %s names %s", name, intent, target.intent)
            return target
    return None


def _unresolved_slots(handler_input: HandlerInput) -> dict[str, str]:
    """Slot name -> words, for the request's slots with words but no resolved id."""
    request = handler_input.request_envelope.request
    slots = getattr(getattr(request, "intent", None), "slots", None)
    unresolved: dict[str, str] = {}
    for name in slots if isinstance(slots, dict) else ():
        spoken, value_id, _ = _heard(handler_input, name)
        if spoken is not None and value_id is None:
            unresolved[name] = spoken
    return unresolved


def read_number(handler_input: HandlerInput, name: str) -> int | None:
    """An ``AMAZON.NUMBER`` slot as an int, or ``None`` if absent or not a number ("?").

    Digits as Alexa sends them, or the number said in words ("five") as a test client sends it.
    """
    spoken, _, _ = _heard(handler_input, name)
    return parse_number(spoken or "")


def read_ordinary_pain(handler_input: HandlerInput, symptom: str, place: str) -> SlotReading | None:
    """Symptom words that are only an ordinary cramp or pain, as the muscle it is in.

    ``None`` unless slot ``symptom``'s words are unknown as a symptom and name a cramp or pain
    (:data:`ORDINARY_PAIN_WORDS`) without an injury (:data:`INJURY_WORDS`). Otherwise the
    muscle: the ``MuscleType`` value found in those words ("the back of my leg" -> hamstring),
    else the place slot ``place`` when it names a muscle the skill stretches; a leg or thigh
    alone gives an empty reading (ask front or back), any other place its words (said back).
    """
    spoken, value_id, _ = _heard(handler_input, symptom)
    if spoken is None or value_id is not None:
        return None
    words = words_of(spoken)
    if not ORDINARY_PAIN_WORDS.intersection(words) or INJURY_WORDS.intersection(words):
        return None
    vocabulary = _vocabulary(handler_input)
    if vocabulary is not None:
        if vocabulary.resolve("SymptomType", words) is not None:
            return None
        muscle = vocabulary.resolve("MuscleType", words)
        if muscle is not None:
            return SlotReading(spoken, muscle)
    where = read_slot(handler_input, place)
    if where.id in STRETCH_MUSCLES:
        return SlotReading(where.spoken, where.id)
    if where.unknown or (where.id and where.id not in {"leg", "thigh"}):
        return SlotReading(where.spoken)
    return SlotReading()
