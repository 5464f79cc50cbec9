"""The interaction model as the local simulator uses it: samples compiled, slot values indexed.

This reads the same ``interaction_model/en-US.json`` that is deployed to Alexa and matches typed
words against its samples, slot values and synonyms, the way Alexa's NLU would for those exact
phrasings. It is for trying the skill locally; Alexa's own NLU is more forgiving.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from skill.tools.paths import interaction_model_path

from .numbers import parse_number

#: The core phrases Alexa's built-in intents understand without samples in the model. Alexa
#: trains these itself; the local matcher needs them spelled out.
BUILT_IN_PHRASES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "AMAZON.YesIntent": ("yes", "yes please", "yep", "sure", "okay", "ok"),
        "AMAZON.NoIntent": ("no", "no thanks", "nope", "no thank you"),
        "AMAZON.StopIntent": ("stop", "quit", "exit", "off"),
        "AMAZON.CancelIntent": ("cancel", "never mind"),
        "AMAZON.HelpIntent": ("help", "help me"),
        "AMAZON.NextIntent": ("next", "skip"),
        "AMAZON.PreviousIntent": ("previous", "go back"),
        "AMAZON.RepeatIntent": ("repeat", "say that again"),
        "AMAZON.PauseIntent": ("pause",),
        "AMAZON.ResumeIntent": ("resume", "continue"),
        "AMAZON.StartOverIntent": ("start over", "restart"),
        "AMAZON.NavigateHomeIntent": ("go home", "home", "main menu"),
    }
)

_SLOT = re.compile(r"\{(\w+)\}")
_NOT_WORD = re.compile(r"[^a-z0-9' ]+")


def normalize(text: str) -> str:
    """Lower case, apostrophes kept, punctuation to spaces, whitespace folded."""
    text = text.lower().replace("\u2019", "'").replace("-", " ")
    return " ".join(_NOT_WORD.sub(" ", text).split())


def default_model_path(locale: str = "en-US") -> Path:
    """The project's ``interaction_model/<locale>.json``."""
    return interaction_model_path(locale)


@dataclass(frozen=True)
class SlotValue:
    id: str
    name: str


@dataclass(frozen=True)
class SlotMatch:
    """A filled slot: the words heard, and the value they resolved to (if the type has one)."""

    name: str
    type: str
    spoken: str
    value: SlotValue | None = None
    #: True when the type is a custom one and the words matched none of its values.
    no_match: bool = False


@dataclass(frozen=True)
class IntentMatch:
    intent: str
    slots: Mapping[str, SlotMatch]
    #: All slot names the intent declares (Alexa sends every one, filled or not).
    declared: Mapping[str, str]
    sample: str | None = None


#: A slot whose words match none of its type's values still counts only in a sample with at
#: least this much fixed wording: "it's my {Muscle}" yes, "the {Muscle}" no (that would take
#: any sentence starting with "the").
MIN_LITERAL_FOR_UNKNOWN_VALUE = 7

Score = tuple[int, int, int]


@dataclass(frozen=True)
class _Sample:
    intent: str
    text: str
    #: Lazy and greedy forms: two slots side by side ("{Muscle} {Position}") can split their
    #: words either way, and the better-resolved split wins. Compiled on first use.
    sources: tuple[str, ...]
    literal_chars: int
    slot_names: tuple[str, ...]
    #: The sample's fixed words: an utterance lacking any of them cannot match it.
    words: frozenset[str]


class InteractionModel:
    """Matches utterances to intents and slots using the model's samples."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        language = data["interactionModel"]["languageModel"]
        self.invocation_name: str = language["invocationName"]
        self.intent_slots: dict[str, dict[str, str]] = {}
        self.types: dict[str, dict[str, SlotValue]] = {}
        for slot_type in language.get("types", []):
            index: dict[str, SlotValue] = {}
            for value in slot_type.get("values", []):
                name = value["name"]["value"]
                resolved = SlotValue(id=value.get("id") or name, name=name)
                for word in [name, *value["name"].get("synonyms", [])]:
                    index.setdefault(normalize(word), resolved)
            self.types[slot_type["name"]] = index
        samples: list[_Sample] = []
        written: set[str] = set()
        for intent in language["intents"]:
            slots = {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
            self.intent_slots[intent["name"]] = slots
            for sample in intent.get("samples", []):
                samples.append(self._compile(intent["name"], sample))
                written.add(normalize(sample))
        for intent, phrases in BUILT_IN_PHRASES.items():
            if intent in self.intent_slots:
                samples.extend(
                    self._compile(intent, phrase) for phrase in phrases if phrase not in written
                )
        self.samples = tuple(samples)
        self.intent_names = frozenset(self.intent_slots)
        #: Compiled patterns by sample position, filled as samples become candidates.
        self._patterns: dict[int, tuple[re.Pattern[str], ...]] = {}

    @classmethod
    def load(cls, path: Path | None = None) -> InteractionModel:
        with (path or default_model_path()).open(encoding="utf-8") as handle:
            return cls(json.load(handle))

    @staticmethod
    def _compile(intent: str, sample: str) -> _Sample:
        pieces = _SLOT.split(sample)
        literal, names = 0, []
        lazy, greedy = [], []
        fixed: set[str] = set()
        for index, piece in enumerate(pieces):
            if index % 2:
                names.append(piece)
                lazy.append(f"(?P<{piece}>.+?)")
                greedy.append(f"(?P<{piece}>.+)")
            else:
                words = normalize(piece)
                literal += len(words)
                fixed.update(words.split())
                if words:
                    lazy.append(re.escape(words))
                    greedy.append(re.escape(words))
        sources = tuple(
            "^" + r"\s+".join(f"(?:{part})" for part in parts) + "$"
            for parts in ((lazy, greedy) if len(names) > 1 else (lazy,))
        )
        return _Sample(intent, sample, sources, literal, tuple(names), frozenset(fixed))

    def _compiled(self, index: int) -> tuple[re.Pattern[str], ...]:
        patterns = self._patterns.get(index)
        if patterns is None:
            patterns = tuple(re.compile(source) for source in self.samples[index].sources)
            self._patterns[index] = patterns
        return patterns

    def _slot(self, intent: str, name: str, spoken: str) -> SlotMatch:
        slot_type = self.intent_slots[intent][name]
        if slot_type == "AMAZON.NUMBER":
            number = parse_number(spoken)
            value = None if number is None else SlotValue(str(number), str(number))
            return SlotMatch(name, slot_type, str(number) if number is not None else "?", value)
        values = self.types.get(slot_type)
        if values is None:  # another built-in type: take the words as they are
            return SlotMatch(name, slot_type, spoken)
        resolved = values.get(normalize(spoken))
        return SlotMatch(name, slot_type, spoken, resolved, no_match=resolved is None)

    def match(self, utterance: str) -> IntentMatch | None:
        """The best intent for ``utterance``, or ``None`` (Alexa would send FallbackIntent)."""
        scored = self.match_scored(utterance)
        return scored[1] if scored else None

    def matches(self, utterance: str) -> list[IntentMatch]:
        """Every sample ``utterance`` fits with all its slots resolved (to spot ambiguity)."""
        found: list[IntentMatch] = []
        for score, match in self._candidates(utterance):
            if score[0] == 0 and match not in found:
                found.append(match)
        return found

    def match_scored(self, utterance: str) -> tuple[Score, IntentMatch] | None:
        """The best match with its score: fewer unresolved slots first, then more fixed words."""
        best: tuple[Score, IntentMatch] | None = None
        for score, match in self._candidates(utterance):
            if best is None or score > best[0]:
                best = (score, match)
        return best

    def _candidates(self, utterance: str) -> Iterator[tuple[Score, IntentMatch]]:
        text = normalize(utterance)
        if not text:
            return
        tokens = frozenset(text.split())
        for index, sample in enumerate(self.samples):
            if not sample.words <= tokens:
                continue
            for pattern in self._compiled(index):
                found = pattern.match(text)
                if not found:
                    continue
                slots = {
                    name: self._slot(sample.intent, name, found.group(name).strip())
                    for name in sample.slot_names
                }
                unresolved = sum(
                    1 for slot in slots.values() if slot.no_match or slot.spoken == "?"
                )
                if unresolved and sample.literal_chars < MIN_LITERAL_FOR_UNKNOWN_VALUE:
                    continue
                score = (-unresolved, sample.literal_chars, -len(slots))
                declared = MappingProxyType(dict(self.intent_slots[sample.intent]))
                yield score, IntentMatch(sample.intent, slots, declared, sample.text)

    def fallback(self) -> IntentMatch:
        declared = self.intent_slots.get("AMAZON.FallbackIntent", {})
        return IntentMatch("AMAZON.FallbackIntent", {}, MappingProxyType(dict(declared)))
