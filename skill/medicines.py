"""Answers about a medicine, chosen by the kind of question asked.

``content/<locale>/medications.yaml`` keeps two things apart:

* the facts about each medicine or class (``medications``): how it is named, what it is
  (``what``), what links it to cramps (``link``, empty when nothing does), whether it is a
  prescription to keep taking, and its ``group``;
* the phrasing (``medicine_answers``): one template per group and kind of question.

So "can Lasix cause cramps?" and "should I stop taking Lasix?" are answered from the same facts in
different words, and no answer opens with "Yes." unless it answers "can it cause cramps?".

Pure Python over loaded content: no request, no SDK. The routing only has to pass the kind.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # content.py imports this module to render while it loads
    from .content import Content, Medication

#: "Can X cause cramps?"
CAUSE = "cause"
#: "Should I take X (for cramps)?", "can I take X?"
TAKE = "take"
#: "Should I stop X?"
STOP = "stop"
#: "Is X safe / good / dangerous?"
SAFE = "safe"
#: "Does X help (cramps)?"
HELPS = "helps"
#: "I take X", "I'm on X", "my doctor gave me X".
TAKING = "taking"
KINDS: tuple[str, ...] = (CAUSE, TAKE, STOP, SAFE, HELPS, TAKING)

#: A group's phrasing may name another group whose templates it reuses for kinds it leaves out.
BASE_FIELD = "base"

#: Placeholders a medicine template may use. ``it``/``them``/``is``/``isnt``/``s`` agree with
#: the name ("statins aren't", "Lasix isn't"); ``s`` is a verb ending ("it act{s}" -> "it acts").
TEMPLATE_FIELDS = frozenset({"name", "what", "link", "it", "them", "is", "isnt", "s"})

#: The words every answer about stopping a prescribed medicine carries.
DONT_STOP_WORDS = "without talking to your doctor or pharmacist"

_SENTENCE_START = re.compile(r"(^|[.!?]\s+)([a-z])")


class MedicineAnswer(NamedTuple):
    """What to say to one kind of question about one medicine.

    ``key`` is ``medication.<id>.<kind>`` (for "repeat" memory and tests). ``stop_warning`` is
    true when the medicine is a prescription and ``say`` does not already tell the listener not to
    stop it: the caller adds the "don't stop" phrase (once a session, by its own rule).
    """

    key: str
    medicine_id: str
    kind: str
    say: str
    stop_warning: bool


def find(content: Content, medicine_id: str) -> Medication | None:
    """The medicine with this id: a ``medications`` entry or one of its ``also`` names."""
    for entry in content.medications.values():
        if entry.id == medicine_id:
            return entry
        if medicine_id in entry.also:
            return entry.also[medicine_id]
    return None


def every_medicine(content: Content) -> Iterator[Medication]:
    """Each entry, then its ``also`` names, in file order."""
    for entry in content.medications.values():
        yield entry
        yield from entry.also.values()


def template(phrasing: Mapping[str, Mapping[str, str]], group: str, kind: str) -> str:
    """The template for ``kind`` in ``group``, following ``base`` groups. KeyError if none."""
    seen: set[str] = set()
    current: str | None = group
    while current is not None and current not in seen:
        seen.add(current)
        templates = phrasing[current]
        if kind in templates:
            return templates[kind]
        current = templates.get(BASE_FIELD)
    raise KeyError(f"no {kind!r} answer for medicine group {group!r}")


def render(text: str, medicine: Medication) -> str:
    """Fill a template with one medicine's facts; each sentence starts with a capital."""
    plural = medicine.plural
    values = {
        "name": medicine.name,
        "what": medicine.what,
        "link": medicine.link,
        "it": "they" if plural else "it",
        "them": "them" if plural else "it",
        "is": "are" if plural else "is",
        "isnt": "aren't" if plural else "isn't",
        "s": "" if plural else "s",
    }
    filled = " ".join(text.format_map(values).split())
    return _SENTENCE_START.sub(lambda match: match.group(1) + match.group(2).upper(), filled)


def answer_for(content: Content, medicine_id: str, kind: str) -> MedicineAnswer:
    """The answer to a ``kind`` question (one of :data:`KINDS`) about ``medicine_id``.

    ``medicine_id`` is a MedicationType slot id or an ``also`` name (``advil``, ``tonic_water``).
    Raises ``KeyError`` for an unknown medicine or kind; content checked at start-up guarantees
    every known medicine has an answer for every kind.
    """
    if kind not in KINDS:
        raise KeyError(f"unknown kind of medicine question {kind!r}")
    medicine = find(content, medicine_id)
    if medicine is None:
        raise KeyError(f"no medicine {medicine_id!r} in {content.locale}")
    say = render(template(content.medicine_answers, medicine.group, kind), medicine)
    return MedicineAnswer(
        key=f"medication.{medicine.id}.{kind}",
        medicine_id=medicine.id,
        kind=kind,
        say=say,
        stop_warning=medicine.stop_warning and DONT_STOP_WORDS not in say.lower(),
    )
