"""The stretch-routine engine: where a user is in a routine, and what each step sounds like.

Pure Python: no SDK objects. A place in a routine is plain data (``Place.to_dict``) so it can
ride in session attributes and in the store, and survive a new session.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from .content import (
    DEFAULT_HOLD_SECONDS,
    MAX_HOLD_SECONDS,
    MIN_HOLD_SECONDS,
    Content,
    ContentError,
    Routine,
    Step,
)
from .speech import (
    Part,
    Pause,
    SpeechLimitError,
    Voice,
    hold_chunks,
    paced_hold,
    render,
)

#: A stored place older than this is not offered again: the cramp is long over.
PLACE_MAX_AGE_SECONDS = 2 * 60 * 60
#: How far a place saved "later" than now is still believed: clocks differ between the hosts
#: that answer one user, and a clock set by hand (``--now``) starts again each run.
PLACE_CLOCK_SKEW_SECONDS = 10 * 60
#: Phrases said before a step's hold is held again ("not yet", the other leg, a cramp of a
#: few minutes): each is proven to fit before the longest hold (:func:`check_routines_fit`).
HOLD_AGAIN_LEADS = ("not_yet.again", "other_leg", "duration.short.routine")
#: How much "longer holds" and "shorter holds" change the hold.
HOLD_STEP_SECONDS = 10
#: Local hours of the night voice for a user who never chose a voice: 22:00 up to 07:00.
NIGHT_STARTS_HOUR = 22
NIGHT_ENDS_HOUR = 7
#: Stored beside ``night`` when the user chose the normal voice. ``"night": false`` alone
#: cannot say so: records written before the night default hold it for every user who never
#: chose, so it keeps meaning "never chose".
_VOICE = "voice"
_NORMAL = "normal"


def is_night(local: datetime) -> bool:
    """True from 22:00 until 07:00 in ``local``'s own time (a device's wall clock)."""
    return local.hour >= NIGHT_STARTS_HOUR or local.hour < NIGHT_ENDS_HOUR


class Settings(NamedTuple):
    """A user's preferences: the only things kept besides the place in a routine."""

    hold_seconds: int = DEFAULT_HOLD_SECONDS
    #: The voice the user chose: ``True`` night, ``False`` normal, ``None`` never chose (then
    #: the device's clock decides, see :meth:`voice_at`).
    night: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"hold_seconds": int, "night": bool}``, plus ``"voice": "normal"`` if chosen.

        ``night`` stays a plain bool so that records read the same by older versions.
        """
        data: dict[str, Any] = {"hold_seconds": self.hold_seconds, "night": self.night is True}
        if self.night is False:
            data[_VOICE] = _NORMAL
        return data

    @classmethod
    def from_dict(cls, data: Any) -> Settings:
        """Read stored settings, ignoring anything malformed rather than failing."""
        if not isinstance(data, Mapping):
            return cls()
        hold = _number(data.get("hold_seconds", DEFAULT_HOLD_SECONDS))
        if hold is None:
            hold = DEFAULT_HOLD_SECONDS
        night: bool | None = None
        if data.get("night") is True:
            night = True
        elif data.get(_VOICE) == _NORMAL:
            night = False
        return cls(hold_seconds=clamp_hold(int(hold)), night=night)

    def voice_at(self, local: datetime | None) -> Voice:
        """The voice to speak in at ``local`` time (``None`` when the device's time is unknown).

        A chosen voice always wins; without a choice, the night voice from 22:00 to 07:00.
        """
        if self.night is not None:
            return Voice(night=self.night)
        return Voice(night=local is not None and is_night(local))

    @property
    def voice(self) -> Voice:
        """The voice when the device's time is unknown."""
        return self.voice_at(None)


def _number(value: Any) -> float | None:
    """A finite real number from stored data, or ``None`` (bools, NaN, huge ints, junk)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def clamp_hold(seconds: int) -> int:
    return max(MIN_HOLD_SECONDS, min(MAX_HOLD_SECONDS, seconds))


class Place(NamedTuple):
    """The step a user last heard in a routine, and when."""

    routine_id: str
    step: int
    saved_at: float

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.routine_id, "step": self.step, "saved_at": self.saved_at}

    @classmethod
    def from_dict(cls, data: Any, content: Content) -> Place | None:
        """Read a stored place; ``None`` if it is malformed or names no known step."""
        if not isinstance(data, Mapping):
            return None
        routine_id = data.get("id")
        step, saved_at = _number(data.get("step")), _number(data.get("saved_at"))
        routine = content.routines.get(routine_id) if isinstance(routine_id, str) else None
        if routine is None or step is None or saved_at is None:
            return None
        if not step.is_integer() or not 0 <= step < len(routine.steps):
            return None
        return cls(routine_id=routine.id, step=int(step), saved_at=saved_at)

    def is_fresh(self, now: float) -> bool:
        """Saved at most :data:`PLACE_MAX_AGE_SECONDS` ago (seconds since the epoch), or at
        most :data:`PLACE_CLOCK_SKEW_SECONDS` "ahead" of ``now``."""
        return -PLACE_CLOCK_SKEW_SECONDS <= now - self.saved_at <= PLACE_MAX_AGE_SECONDS

    def at(self, step: int, now: float) -> Place:
        return Place(self.routine_id, step, now)


def start(routine: Routine, now: float) -> Place:
    return Place(routine.id, 0, now)


def next_step(place: Place, routine: Routine, now: float) -> Place | None:
    """The following step, or ``None`` when the routine is finished."""
    if place.step + 1 >= len(routine.steps):
        return None
    return place.at(place.step + 1, now)


def previous_step(place: Place, now: float) -> Place:
    return place.at(max(0, place.step - 1), now)


def hold_cues(seconds: int, content: Content) -> list[str]:
    """What is said between the breaks of a hold (:func:`~skill.speech.hold_chunks`).

    The first and the last gap say how long is left; the ones between remind the user to breathe
    and to go only as far as the muscle releases.
    """
    chunks = hold_chunks(seconds)
    gaps = len(chunks) - 1
    reminders = [content.phrase("cue.breathe"), content.phrase("cue.gentle"),
                 content.phrase("cue.relax")]
    cues: list[str] = []
    for gap in range(gaps):
        remaining = round(seconds - sum(chunks[: gap + 1]))
        if gap in (0, gaps - 1):
            cues.append(content.phrase("cue.left", seconds=remaining))
        else:
            cues.append(reminders[(gap - 1) % len(reminders)])
    return cues


def step_parts(
    content: Content, routine: Routine, index: int, settings: Settings, *, intro: bool
) -> list[Part]:
    """The words and paced pauses of one step (without the closing question)."""
    step: Step = routine.steps[index]
    parts: list[Part] = []
    if intro and routine.intro:
        parts.append(routine.intro)
    parts.append(step.say)
    if step.hold is not None:
        # Time to find a towel or lie down before the count starts.
        parts += hold_lead_in(content, routine, index)
        parts += hold_parts(content, step, settings)
    if step.pause:
        parts += [Pause(step.pause), content.phrase("rest.end")]
    return parts


def hold_lead_in(content: Content, routine: Routine, index: int) -> list[Part]:
    """"Get into position." and the step's lead-in quiet, or ``[]`` for a step without."""
    step = routine.steps[index]
    lead_in = routine.lead_in if step.lead_in is None else step.lead_in
    if step.hold is None or not lead_in:
        return []
    return [content.phrase("lead_in"), Pause(lead_in)]


def hold_parts(content: Content, step: Step, settings: Settings) -> list[Part]:
    """The counted hold(s) of ``step`` alone, rests between them; ``[]`` for a step without."""
    if step.hold is None:
        return []
    parts: list[Part] = []
    seconds = settings.hold_seconds if step.hold == "setting" else int(step.hold)
    for number in range(step.holds):
        if number:
            parts += [content.phrase("rest.start"), Pause(step.rest)]
        parts.append(content.phrase("hold.start"))
        parts += paced_hold(seconds, hold_cues(seconds, content), content.phrase("release"))
    return parts


def fixed_hold(routine: Routine) -> tuple[int, int] | None:
    """``(seconds, times)`` of a routine whose holds ignore the user's hold setting.

    ``None`` when any step holds for the user's setting (then "longer holds" changes it).
    """
    fixed = [step for step in routine.steps if step.hold is not None]
    if not fixed or any(step.hold == "setting" for step in fixed):
        return None
    return int(fixed[0].hold or 0), fixed[0].holds


def closing_key(content: Content, routine: Routine, index: int) -> str:
    """The content key of the question after step ``index``.

    "Ready for the next one?" (``routine.next_question``) except after the last step, which
    says what to do next: ``routine.last.<routine id>`` if there is one, else ``routine.last``.
    """
    if index + 1 < len(routine.steps):
        return "routine.next_question"
    own = f"routine.last.{routine.id}"
    return own if own in content.answers else "routine.last"


def check_routines_fit(content: Content) -> None:
    """Prove every step fits Alexa's limits at the longest hold, in the slower night voice.

    Each step is checked as it can be said: with the routine's intro (the first step), after
    "picking up where you left off", its hold alone after each of :data:`HOLD_AGAIN_LEADS`
    ("not yet", the other leg), and after "this is the first step" (going back from the
    first); lead-ins, holds, rests, cues and the closing question included.
    Called when content is loaded, so a step that is too long fails start-up, not a user.
    """
    longest = Settings(hold_seconds=MAX_HOLD_SECONDS, night=True)
    for routine in content.routines.values():
        for index in range(len(routine.steps)):
            closing = content.answer(closing_key(content, routine, index))
            question: list[Part] = [closing.say, closing.ask or ""]
            plain = step_parts(content, routine, index, longest, intro=False)
            holds = hold_parts(content, routine.steps[index], longest)
            said: list[list[Part]] = [
                step_parts(content, routine, index, longest, intro=index == 0),
                [content.phrase("resume.picking_up"), *plain],
                *([content.phrase(lead), *hold_lead_in(content, routine, index), *holds]
                  for lead in HOLD_AGAIN_LEADS),
            ]
            if index == 0:
                said.append([content.answer("routine.at_start").say, *plain])
            try:
                for parts in said:
                    render([*parts, *question], longest.voice)
            except SpeechLimitError as error:
                raise ContentError(
                    f"routines.yaml: {routine.id}.steps[{index}]: at {MAX_HOLD_SECONDS} s holds "
                    f"in the night voice: {error}"
                ) from error
