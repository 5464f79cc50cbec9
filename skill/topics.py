"""Questions answered from content alone: one row per intent, one rule for all of them.

A :class:`Topic` names its general answer (``key``) and, for a question with a slot, the slot
whose resolved id picks a more specific answer, ``<key>.<slot id>``. The rule, applied by
:meth:`skill.guide.Guide.topic`:

1. the slot resolved to an id and the content has ``<key>.<id>``: that answer (its
   ``{echo_as}`` placeholder, if it has one, says the words back: "My guide doesn't mention
   pickle juice");
2. words the slot type does not know, and the topic has an ``unknown`` answer: that answer,
   with the words said back in its ``{echo_as}`` placeholder;
3. otherwise the general answer ``key``.

Adding such a question is one row here (plus its content entry and model samples).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple


class Topic(NamedTuple):
    """One question's answers: the general ``key``, and how a slot narrows it."""

    #: The general answer's content key, and the prefix of the specific ones.
    key: str
    #: The intent's slot whose resolved id picks ``<key>.<id>``; ``None`` for no slot.
    slot: str | None = None
    #: The answer for words the slot type does not know; ``None``: the general answer.
    unknown: str | None = None
    #: The placeholder in ``unknown`` that says the words back.
    echo_as: str | None = None


#: Intent name -> the topic it asks about.
TOPICS: Mapping[str, Topic] = MappingProxyType({
    "IdentifyMuscleIntent": Topic(
        "identify", slot="Muscle", unknown="unknown_muscle", echo_as="muscle"
    ),
    "CauseIntent": Topic(
        "causes", slot="Condition", unknown="unknown_condition", echo_as="condition"
    ),
    "ExerciseIntent": Topic("exercise", slot="Exercise", unknown="unknown_topic", echo_as="topic"),
    "MassageIntent": Topic(
        "massage", slot="MassageKind", unknown="unknown_topic", echo_as="topic"
    ),
    "NutritionIntent": Topic(
        "nutrition", slot="Nutrient", unknown="unknown_food", echo_as="topic"
    ),
    "HeatIntent": Topic("heat"),
    "IceIntent": Topic("ice"),
    "HydrationIntent": Topic(
        "hydration", slot="Drink", unknown="unknown_drink", echo_as="topic"
    ),
    "SleepIntent": Topic("sleep"),
    "DoctorIntent": Topic("doctor"),
})
