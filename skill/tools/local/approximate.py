"""An approximate match for words no sample of the model fits exactly.

Alexa's NLU is statistical: it understands "my hamstring is really killing me tonight" from
samples that are near it. The exact matcher (:mod:`skill.tools.local.model`) does not, so the
local device would answer FallbackIntent where a real Echo would not. This module stands in for
that generalisation, openly: for each sample of the model, the slot references are filled with
the slot-type words found in the utterance (longest value or synonym of that type), and the
utterance is scored against every filled sample with rapidfuzz. The best sample at or above
:data:`DEFAULT_THRESHOLD` gives the intent and its slots; below it, the words stay unmatched.

It is a local stand-in, not a model of Alexa: the device shows each approximate match as
``[approximate: <nearest sample>]``, and ``--strict`` turns it off. rapidfuzz is a tool
dependency (the ``tools`` extra), never part of the Lambda package.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from .model import IntentMatch, InteractionModel, SlotMatch, SlotValue, normalize

log = logging.getLogger(__name__)

#: Score (0-100, rapidfuzz's token-sort ratio) a filled sample must reach. At 85, one word
#: added, dropped or changed in a sentence of seven or more words still matches; two unrelated
#: words do not.
DEFAULT_THRESHOLD = 85.0

_SLOT = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class ApproximateMatch:
    """The nearest sample (as written in the model) and the match built from it."""

    sample: str
    score: float
    match: IntentMatch


class ApproximateMatcher:
    """Scores an utterance against every sample of ``model``, slots filled from its words."""

    def __init__(self, model: InteractionModel, threshold: float = DEFAULT_THRESHOLD) -> None:
        from rapidfuzz import fuzz, process  # a tool dependency: imported only when used

        self._fuzz = fuzz
        self._process = process
        self.model = model
        self.threshold = threshold
        #: slot type -> its phrases, longest first, each with a word-boundary pattern.
        self._phrases: dict[str, list[tuple[re.Pattern[str], SlotValue]]] = {
            slot_type: [
                (re.compile(rf"(?<![\w']){re.escape(phrase)}(?![\w'])"), value)
                for phrase, value in sorted(index.items(), key=lambda item: -len(item[0]))
            ]
            for slot_type, index in model.types.items()
        }

    def _slot_words(self, text: str) -> dict[str, tuple[str, SlotValue]]:
        """For each custom slot type, the longest of its phrases found in ``text``."""
        found: dict[str, tuple[str, SlotValue]] = {}
        for slot_type, phrases in self._phrases.items():
            for pattern, value in phrases:
                hit = pattern.search(text)
                if hit:
                    found[slot_type] = (hit.group(0), value)
                    break
        return found

    def match(self, utterance: str) -> ApproximateMatch | None:
        """The nearest sample's intent, or None when no sample scores at the threshold."""
        text = normalize(utterance)
        if not text:
            return None
        words = self._slot_words(text)
        filled: list[str] = []
        fills: list[dict[str, tuple[str, SlotValue]]] = []
        for sample in self.model.samples:
            slot_types = self.model.intent_slots[sample.intent]
            used: dict[str, tuple[str, SlotValue]] = {}

            def fill(ref: re.Match[str], slot_types: Any = slot_types, used: Any = used) -> str:
                name = ref.group(1)
                hit = words.get(slot_types.get(name, ""))
                if hit is None:
                    return ref.group(0)
                used[name] = hit
                return hit[0]

            filled.append(normalize(_SLOT.sub(fill, sample.text)))
            fills.append(used)
        best = self._process.extractOne(
            text, filled, scorer=self._fuzz.token_sort_ratio, score_cutoff=self.threshold
        )
        if best is None:
            return None
        _, score, index = best
        sample = self.model.samples[index]
        slots = {
            name: SlotMatch(name, self.model.intent_slots[sample.intent][name], spoken, value)
            for name, (spoken, value) in fills[index].items()
        }
        declared = MappingProxyType(dict(self.model.intent_slots[sample.intent]))
        match = IntentMatch(sample.intent, MappingProxyType(slots), declared, sample.text)
        log.debug("approximate: %r ~ %r (%.0f)", text, sample.text, score)
        return ApproximateMatch(sample.text, float(score), match)


def approximate_matcher(model: InteractionModel) -> ApproximateMatcher | None:
    """A matcher for ``model``, or None (with a warning) when rapidfuzz is not installed."""
    try:
        return ApproximateMatcher(model)
    except ImportError:
        log.warning("approximate matching is off: install the tools extra (rapidfuzz)")
        return None
