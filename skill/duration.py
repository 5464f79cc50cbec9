"""How long a cramp has lasted, as the user said it, and whether that is long.

The guide's threshold: thigh cramps last from seconds to about ten minutes; one that lasts more
than about ten minutes without easing needs a doctor (shared medical facts: NHS, Mayo Clinic).
The decision is made here on the number, never on the wording of the sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

#: From this many minutes a cramp is a long cramp (see a doctor): "more than about ten minutes".
#: "About ten minutes" is said as 10, so 10 itself counts as long.
LONG_CRAMP_MINUTES = 10

#: Minutes for each ``CrampSpanType`` id (a length said in words). ``None``: said only as long
#: ("ages", "forever").
SPAN_MINUTES: Mapping[str, float | None] = MappingProxyType({
    "seconds": 0.5,
    "minute": 1,
    "couple_minutes": 2,
    "few_minutes": 3,
    "several_minutes": 5,
    "quarter_hour": 15,
    "half_hour": 30,
    "twenty_five_minutes": 25,
    "forty_minutes": 40,
    "forty_five_minutes": 45,
    "fifty_minutes": 50,
    "hour": 60,
    "hours": 120,
    "long": None,
})


def minutes_said(
    minutes: int | None = None, hours: int | None = None, span: str | None = None
) -> float | None:
    """The length of the cramp in minutes from the slots heard, or ``None`` when none says one.

    ``minutes`` and ``hours`` are ``AMAZON.NUMBER`` values said with their unit; ``span`` a
    ``CrampSpanType`` id. A negative number says nothing.
    """
    if minutes is not None and minutes >= 0:
        return float(minutes)
    if hours is not None and hours >= 0:
        return float(hours * 60)
    if span is not None and span in SPAN_MINUTES:
        return SPAN_MINUTES[span]
    return None


def is_long(minutes: float | None) -> bool:
    """True for a long cramp: :data:`LONG_CRAMP_MINUTES` or more, or a length not known.

    A cramp that "won't stop", or whose length could not be read, is answered as long: that
    answer says when to see a doctor, so it is the safe one.
    """
    return minutes is None or minutes >= LONG_CRAMP_MINUTES
