"""The routine engine on its own: places, navigation, settings, hold cues and the fit check."""

from __future__ import annotations

import math
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from skill import routine as engine
from skill.builder import build_lambda_handler
from skill.content import DEFAULT_HOLD_SECONDS, Content, ContentError, load_content
from skill.routine import (
    PLACE_CLOCK_SKEW_SECONDS,
    PLACE_MAX_AGE_SECONDS,
    Place,
    Settings,
    check_routines_fit,
    clamp_hold,
    hold_cues,
    step_parts,
)
from skill.speech import Pause, paced_hold, render
from skill.tools.paths import project_root

CONTENT_ROOT = project_root() / "content"
NOW = 1_700_000_000.0


# --- Navigation ----------------------------------------------------------------------------------


def test_start_next_previous_finish(content: Content) -> None:
    routine = content.routines["hamstring_lying"]
    place = engine.start(routine, NOW)
    assert place == Place("hamstring_lying", 0, NOW)
    seen = [place.step]
    while (following := engine.next_step(place, routine, NOW + len(seen))) is not None:
        assert following.saved_at == NOW + len(seen)
        place = following
        seen.append(place.step)
    assert seen == list(range(len(routine.steps)))
    assert engine.next_step(place, routine, NOW) is None
    back = engine.previous_step(place, NOW + 100)
    assert back == Place("hamstring_lying", len(routine.steps) - 2, NOW + 100)


def test_previous_at_the_start_stays_at_the_start(content: Content) -> None:
    place = engine.start(content.routines["quadriceps_standing"], NOW)
    assert engine.previous_step(place, NOW + 5) == Place("quadriceps_standing", 0, NOW + 5)


def test_place_round_trips_through_plain_data(content: Content) -> None:
    place = Place("bedtime", 2, NOW)
    assert Place.from_dict(place.to_dict(), content) == place
    assert place.to_dict() == {"id": "bedtime", "step": 2, "saved_at": NOW}


@pytest.mark.parametrize(
    "junk",
    [
        None,
        "hamstring_lying",
        [],
        42,
        {},
        {"id": "no_such_routine", "step": 0, "saved_at": NOW},
        {"id": 7, "step": 0, "saved_at": NOW},
        {"id": "hamstring_lying", "step": 99, "saved_at": NOW},
        {"id": "hamstring_lying", "step": -1, "saved_at": NOW},
        {"id": "hamstring_lying", "step": True, "saved_at": NOW},
        {"id": "hamstring_lying", "step": "1", "saved_at": NOW},
        {"id": "hamstring_lying", "step": None, "saved_at": NOW},
        {"id": "hamstring_lying", "step": 1},
        {"id": "hamstring_lying", "step": 1, "saved_at": "yesterday"},
        {"id": "hamstring_lying", "step": 1, "saved_at": False},
        {"id": "hamstring_lying", "step": 1, "saved_at": math.nan},
        {"id": "hamstring_lying", "step": 1, "saved_at": math.inf},
    ],
)
def test_place_from_junk_is_none(content: Content, junk: object) -> None:
    assert Place.from_dict(junk, content) is None


def test_place_from_a_stored_float_step(content: Content) -> None:
    # DynamoDB hands numbers back as Decimal/float; a whole-number step still counts.
    place = Place.from_dict({"id": "hamstring_lying", "step": 2.0, "saved_at": NOW}, content)
    assert place == Place("hamstring_lying", 2, NOW)


def test_a_place_expires_after_two_hours() -> None:
    place = Place("hamstring_lying", 1, NOW)
    assert PLACE_MAX_AGE_SECONDS == 2 * 60 * 60
    assert place.is_fresh(NOW)
    assert place.is_fresh(NOW + PLACE_MAX_AGE_SECONDS)
    assert not place.is_fresh(NOW + PLACE_MAX_AGE_SECONDS + 1)
    assert not place.is_fresh(NOW + 3 * 60 * 60)
    # Clocks differ a little between hosts (and a clock set by hand starts again each run).
    assert place.is_fresh(NOW - 60)
    assert place.is_fresh(NOW - PLACE_CLOCK_SKEW_SECONDS)
    assert not place.is_fresh(NOW - PLACE_CLOCK_SKEW_SECONDS - 1), "nor far in the future"


# --- Settings ------------------------------------------------------------------------------------


def test_settings_defaults_and_round_trip() -> None:
    assert Settings() == Settings(hold_seconds=DEFAULT_HOLD_SECONDS, night=None)
    for night in (True, False, None):
        settings = Settings(hold_seconds=45, night=night)
        assert Settings.from_dict(settings.to_dict()) == settings
    assert Settings(night=True).voice.night is True


@pytest.mark.parametrize(
    ("settings", "stored"),
    [
        (Settings(20, None), {"hold_seconds": 20, "night": False}),
        (Settings(20, True), {"hold_seconds": 20, "night": True}),
        (Settings(20, False), {"hold_seconds": 20, "night": False, "voice": "normal"}),
    ],
)
def test_settings_stored_layout(settings: Settings, stored: dict[str, object]) -> None:
    """``night`` stays a bool that older versions read; only "chose normal" adds a key."""
    assert settings.to_dict() == stored


@pytest.mark.parametrize(
    ("stored", "night"),
    [
        # Written before the night default: "night": false was everyone who never said
        # "night mode", so it is not a choice of the normal voice.
        ({"hold_seconds": 30, "night": False}, None),
        ({"hold_seconds": 30, "night": True}, True),
        ({"hold_seconds": 30}, None),
        ({"night": False, "voice": "normal"}, False),
        ({"night": True, "voice": "normal"}, True),
        ({"voice": "loud"}, None),
        ({"voice": ["normal"]}, None),
    ],
)
def test_settings_read_old_and_new_records(stored: dict[str, object], night: bool | None) -> None:
    assert Settings.from_dict(stored).night is night


@pytest.mark.parametrize(
    ("hour", "minute", "night"),
    [(21, 59, False), (22, 0, True), (23, 30, True), (0, 0, True), (3, 0, True),
     (6, 59, True), (7, 0, False), (12, 0, False), (15, 0, False)],
)
def test_the_clock_decides_the_voice_only_without_a_choice(
    hour: int, minute: int, night: bool
) -> None:
    local = datetime(2026, 11, 29, hour, minute, tzinfo=ZoneInfo("Europe/Berlin"))
    assert Settings().voice_at(local).night is night
    assert Settings(night=False).voice_at(local).night is False
    assert Settings(night=True).voice_at(local).night is True
    assert Settings().voice_at(None).night is False, "unknown time: the normal voice"


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        (None, Settings()),
        ("loud", Settings()),
        ([30, True], Settings()),
        ({}, Settings()),
        ({"hold_seconds": "45"}, Settings()),
        ({"hold_seconds": True}, Settings()),
        ({"hold_seconds": None}, Settings()),
        ({"hold_seconds": math.nan}, Settings()),
        ({"hold_seconds": -math.inf}, Settings()),
        ({"hold_seconds": 5}, Settings(hold_seconds=10)),
        ({"hold_seconds": 600}, Settings(hold_seconds=60)),
        ({"hold_seconds": 45.9}, Settings(hold_seconds=45)),
        ({"night": "yes"}, Settings()),
        ({"night": 1}, Settings()),
        ({"night": True, "hold_seconds": 20, "extra": "ignored"}, Settings(20, True)),
    ],
)
def test_settings_from_junk(stored: object, expected: Settings) -> None:
    assert Settings.from_dict(stored) == expected


@pytest.mark.parametrize(
    ("seconds", "clamped"), [(-5, 10), (0, 10), (9, 10), (10, 10), (35, 35), (60, 60), (61, 60)]
)
def test_clamp_hold(seconds: int, clamped: int) -> None:
    assert clamp_hold(seconds) == clamped


# --- What a step sounds like ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "cues"),
    [
        (10, []),
        (11, ["5 seconds left."]),
        (15, ["5 seconds left."]),
        (20, ["10 seconds left."]),
        (21, ["11 seconds left.", "5 seconds left."]),
        (30, ["20 seconds left.", "10 seconds left."]),
        (45, ["35 seconds left.", "Breathe.", "Only as far as it releases.", "5 seconds left."]),
        (
            60,
            [
                "50 seconds left.",
                "Breathe.",
                "Only as far as it releases.",
                "Relax.",
                "10 seconds left.",
            ],
        ),
    ],
)
def test_hold_cues(content: Content, seconds: int, cues: list[str]) -> None:
    assert hold_cues(seconds, content) == cues


@pytest.mark.parametrize("seconds", range(10, 61))
def test_a_hold_never_ends_on_a_cue_too_late_to_hear(content: Content, seconds: int) -> None:
    pauses = [part.seconds for part in paced_hold(seconds, hold_cues(seconds, content), "release")
              if isinstance(part, Pause)]
    assert math.isclose(sum(pauses), seconds)
    assert all(pause <= 10 for pause in pauses)
    assert pauses[-1] >= 5 or len(pauses) == 1


def test_step_parts_intro_only_when_starting(content: Content) -> None:
    routine = content.routines["hamstring_lying"]
    starting = step_parts(content, routine, 0, Settings(), intro=True)
    again = step_parts(content, routine, 0, Settings(), intro=False)
    assert starting[0] == routine.intro
    assert again[0] == routine.steps[0].say
    assert starting[1:] == again


def test_step_parts_follow_the_hold_setting(content: Content) -> None:
    routine = content.routines["quadriceps_standing"]
    for hold in (10, 25, 60):
        parts = step_parts(content, routine, 0, Settings(hold_seconds=hold), intro=False)
        hold_start = parts.index(content.phrase("hold.start"))
        assert sum(p.seconds for p in parts[hold_start:] if isinstance(p, Pause)) == hold
        assert parts[-1] == content.phrase("release")


@pytest.mark.parametrize("routine_id", ["hamstring_lying", "quadriceps_standing", "calf"])
def test_every_hold_has_a_lead_in_after_the_setup_words(content: Content, routine_id: str) -> None:
    """The words, then "get into position" and a quiet beat, and only then the counted hold."""
    routine = content.routines[routine_id]
    assert 2 <= routine.lead_in <= 10
    for index, step in enumerate(routine.steps):
        parts = step_parts(content, routine, index, Settings(), intro=False)
        if step.hold is None:
            assert content.phrase("lead_in") not in parts
            continue
        lead_in = [content.phrase("lead_in"), Pause(routine.lead_in)]
        assert parts[:4] == [step.say, *lead_in, content.phrase("hold.start")]


def test_a_step_can_set_its_own_lead_in(tmp_path: Path) -> None:
    content = _content_with_step(tmp_path, {"say": "Lie down.", "hold": 10, "lead_in": 8})
    routine = content.routines["quadriceps_standing"]
    parts = step_parts(content, routine, 4, Settings(), intro=False)
    assert parts[1:3] == [content.phrase("lead_in"), Pause(8)]


def test_a_routine_without_a_lead_in_starts_the_hold_at_once(tmp_path: Path) -> None:
    content = _content_with_routine_field(tmp_path, "lead_in", 0)
    routine = content.routines["quadriceps_standing"]
    parts = step_parts(content, routine, 0, Settings(), intro=False)
    assert parts[:2] == [routine.steps[0].say, content.phrase("hold.start")]


def test_a_walking_step_pauses_then_says_good(content: Content) -> None:
    routine = content.routines["hamstring_lying"]
    parts = step_parts(content, routine, 2, Settings(hold_seconds=60), intro=False)
    assert parts == [routine.steps[2].say, Pause(10), content.phrase("rest.end")]


def test_bedtime_holds_are_fixed_with_rests(content: Content) -> None:
    routine = content.routines["bedtime"]
    parts = step_parts(content, routine, 0, Settings(hold_seconds=60), intro=False)
    pauses = [p.seconds for p in parts if isinstance(p, Pause)]
    assert pauses == [routine.lead_in, 10, 10, 10, 10, 10], "one lead-in, then 3 holds, 2 rests"
    assert parts.count(content.phrase("hold.start")) == 3
    assert parts.count(content.phrase("rest.start")) == 2


# --- The fit check -------------------------------------------------------------------------------


def test_shipped_routines_fit(content: Content) -> None:
    check_routines_fit(content)


def _content_with_step(tmp_path: Path, step: dict[str, object]) -> Content:
    root = tmp_path / "content"
    shutil.copytree(CONTENT_ROOT / "en-US", root / "en-US")
    path = root / "en-US" / "routines.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["routines"]["quadriceps_standing"]["steps"].append(step)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_content(root)


def _content_with_routine_field(tmp_path: Path, name: str, value: object) -> Content:
    root = tmp_path / "content"
    shutil.copytree(CONTENT_ROOT / "en-US", root / "en-US")
    path = root / "en-US" / "routines.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["routines"]["quadriceps_standing"][name] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_content(root)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("lead_in", 11, "`lead_in` must be a whole number 0 to 10"),
        ("lead_in", -1, "`lead_in` must be a whole number 0 to 10"),
        ("lead_in", 2.5, "`lead_in` must be a whole number 0 to 10"),
        ("lead_in", True, "`lead_in` must be a whole number 0 to 10"),
        ("lead_in", "short", "`lead_in` must be a whole number 0 to 10"),
        ("lead_ins", 3, "unknown field(s) ['lead_ins']"),
    ],
)
def test_a_bad_lead_in_stops_loading(
    tmp_path: Path, name: str, value: object, message: str
) -> None:
    with pytest.raises(ContentError) as error:
        _content_with_routine_field(tmp_path, name, value)
    assert "routines.yaml: quadriceps_standing" in str(error.value)
    assert message in str(error.value)


def test_a_lead_in_needs_a_hold(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match=r"steps\[4\]: `lead_in` needs a `hold`"):
        _content_with_step(tmp_path, {"say": "Walk around.", "pause": 10, "lead_in": 5})


def test_the_lead_in_counts_in_the_fit_check(tmp_path: Path) -> None:
    """A step that fits with a short lead-in fails once a long lead-in pushes it over 90 s."""
    words = " ".join(["stretch"] * 20)
    fits = _content_with_step(tmp_path / "a", {"say": words, "hold": "setting", "lead_in": 1})
    check_routines_fit(fits)
    over = _content_with_step(tmp_path / "b", {"say": words, "hold": "setting", "lead_in": 10})
    with pytest.raises(ContentError, match=r"quadriceps_standing.steps\[4\].*90 s"):
        check_routines_fit(over)


def test_going_back_from_the_first_step_counts_in_the_fit_check(tmp_path: Path) -> None:
    """"Here's the first step again" is said before a first step too."""
    root = tmp_path / "content"
    shutil.copytree(CONTENT_ROOT / "en-US", root / "en-US")
    path = root / "en-US" / "prompts.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["prompts"]["routine.at_start"]["say"] = " ".join(["again"] * 30)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    content = load_content(root)
    with pytest.raises(ContentError, match=r"steps\[0\].*90 s"):
        check_routines_fit(content)


def test_an_over_long_step_fails_the_check(tmp_path: Path) -> None:
    content = _content_with_step(
        tmp_path, {"say": "Hold it twice.", "hold": "setting", "holds": 2, "rest": 5}
    )
    with pytest.raises(ContentError) as error:
        check_routines_fit(content)
    message = str(error.value)
    assert "routines.yaml" in message
    assert "quadriceps_standing.steps[4]" in message
    assert "90 s" in message


def test_an_over_long_step_stops_the_skill_from_starting(tmp_path: Path) -> None:
    step = {"say": "Long. " * 10, "hold": 60, "holds": 2, "rest": 1}
    content = _content_with_step(tmp_path, step)
    with pytest.raises(ContentError, match="quadriceps_standing"):
        build_lambda_handler(content=content)


def test_a_step_that_fits_only_in_the_normal_voice_fails(tmp_path: Path) -> None:
    # A 60 s hold, a 3 s lead-in and about 65 words: under 90 s at the normal rate, over it
    # in the night voice.
    words = " ".join(["stretch"] * 33)
    content = _content_with_step(tmp_path, {"say": words, "hold": "setting"})
    routine = content.routines["quadriceps_standing"]
    question = content.answer("routine.next_question").ask or ""
    parts = step_parts(content, routine, 4, Settings(hold_seconds=60), intro=False)
    render([content.phrase("resume.picking_up"), *parts, question])  # fits in the normal voice
    with pytest.raises(ContentError, match="night voice"):
        check_routines_fit(content)
