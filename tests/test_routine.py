"""The routine engine on its own: places, navigation, settings, hold cues and the fit check."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest
import yaml

from skill import routine as engine
from skill.builder import build_lambda_handler
from skill.content import DEFAULT_HOLD_SECONDS, Content, ContentError, load_content
from skill.routine import (
    PLACE_MAX_AGE_SECONDS,
    Place,
    Settings,
    check_routines_fit,
    clamp_hold,
    hold_cues,
    step_parts,
)
from skill.speech import Pause, render
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
    assert not place.is_fresh(NOW - 60), "a place saved in the future is not trusted"


# --- Settings ------------------------------------------------------------------------------------


def test_settings_defaults_and_round_trip() -> None:
    assert Settings() == Settings(hold_seconds=DEFAULT_HOLD_SECONDS, night=False)
    settings = Settings(hold_seconds=45, night=True)
    assert Settings.from_dict(settings.to_dict()) == settings
    assert settings.voice.night is True


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
        (15, ["5 seconds left."]),
        (20, ["10 seconds left."]),
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
        assert sum(p.seconds for p in parts if isinstance(p, Pause)) == hold
        assert parts[-1] == content.phrase("release")


def test_a_walking_step_pauses_then_says_good(content: Content) -> None:
    routine = content.routines["hamstring_lying"]
    parts = step_parts(content, routine, 2, Settings(hold_seconds=60), intro=False)
    assert parts == [routine.steps[2].say, Pause(10), content.phrase("rest.end")]


def test_bedtime_holds_are_fixed_with_rests(content: Content) -> None:
    routine = content.routines["bedtime"]
    parts = step_parts(content, routine, 0, Settings(hold_seconds=60), intro=False)
    pauses = [p.seconds for p in parts if isinstance(p, Pause)]
    assert pauses == [10, 10, 10, 10, 10]
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
    # A 60 s hold and about 70 words: under 90 s at the normal rate, over it in the night voice.
    words = " ".join(["stretch"] * 45)
    content = _content_with_step(tmp_path, {"say": words, "hold": "setting"})
    routine = content.routines["quadriceps_standing"]
    question = content.answer("routine.next_question").ask or ""
    parts = step_parts(content, routine, 4, Settings(hold_seconds=60), intro=False)
    render([content.phrase("resume.picking_up"), *parts, question])  # fits in the normal voice
    with pytest.raises(ContentError, match="night voice"):
        check_routines_fit(content)
