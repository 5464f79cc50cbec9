"""Numbers said on their own, and what a red flag leaves behind.

A number sets the hold only right after the skill asked how long to hold; elsewhere the skill
asks first, and emergency numbers (digits or words) are emergencies. After a red flag nothing
offers to pick the stretch up again, in this session or the next.
"""

from __future__ import annotations

import io
from typing import Any

import pytest

from skill.persistence.memory_store import InMemoryPersistenceAdapter
from skill.tools import cli
from skill.tools.local.device import LOCAL_USER_ID


def hold_seconds(device: Any) -> int:
    return int(device.attributes["settings"]["hold_seconds"])


def test_a_number_after_how_many_seconds_sets_the_hold(device: Any) -> None:
    phone = device()
    phone.hear("open cramp helper")
    asked = phone.hear("change the hold time")
    assert "How many seconds?" in asked.text
    turn = phone.hear("twenty")
    assert turn.intent == "HoldNumberIntent"
    assert "each hold is now 20 seconds" in turn.text
    assert hold_seconds(phone) == 20


def test_a_number_elsewhere_asks_first_and_yes_sets_it(device: Any) -> None:
    phone = device()
    phone.hear("open cramp helper")
    before = phone.hear("how do i stretch my hamstring")
    assert before.session_open
    held = hold_seconds(phone)
    turn = phone.hear("forty")
    assert "Do you want holds of 40 seconds?" in turn.text
    assert hold_seconds(phone) == held, "nothing changes before the answer"
    done = phone.hear("yes")
    assert "each hold is now 40 seconds" in done.text
    assert hold_seconds(phone) == 40


def test_no_to_the_hold_question_changes_nothing(device: Any) -> None:
    phone = device()
    phone.hear("open cramp helper")
    held = hold_seconds(phone) if "settings" in phone.attributes else None
    phone.hear("forty five")
    phone.hear("no")
    assert (hold_seconds(phone) if "settings" in phone.attributes else None) == held


@pytest.mark.parametrize(
    "words", ["911", "999", "112", "nine one one", "nine nine nine", "triple zero", "one one two"]
)
@pytest.mark.parametrize("place", ["one-shot", "after launch", "after how many seconds"])
def test_emergency_numbers_never_set_the_hold(device: Any, words: str, place: str) -> None:
    phone = device()
    if place == "one-shot":
        turn = phone.hear(f"ask cramp helper {words}")
    else:
        phone.hear("open cramp helper")
        if place == "after how many seconds":
            phone.hear("change the hold time")
        turn = phone.hear(words)
    assert "call nine one one now" in turn.text
    assert "can't make the call" in turn.text
    assert "hold" not in turn.text.lower()
    settings = phone.attributes.get("settings") or {}
    assert settings.get("hold_seconds", 30) == 30


def test_should_i_call_a_number_in_digits_is_an_emergency(device: Any) -> None:
    turn = device().hear("ask cramp helper should i call 911")
    assert turn.intent == "EmergencyIntent"
    assert "call nine one one now" in turn.text


def test_a_red_flag_mid_stretch_clears_the_place_for_good(
    device: Any, store: InMemoryPersistenceAdapter
) -> None:
    phone = device()
    phone.hear("open cramp helper")
    phone.hear("how do i stretch my hamstring")
    assert (store.stored(LOCAL_USER_ID) or {}).get("routine") is not None
    turn = phone.hear("my hamstring is swollen")
    assert turn.intent == "RedFlagIntent"
    assert "blood clot" in turn.text and "Hold" not in turn.text
    assert phone.attributes.get("routine") is None
    assert (store.stored(LOCAL_USER_ID) or {}).get("routine") is None
    assert "left off" not in phone.hear("no").text
    again = phone.hear("open cramp helper")
    assert "left off" not in again.text and "Welcome back" not in again.text


def test_an_unknown_symptom_gets_the_cautious_answer(device: Any) -> None:
    """A symptom the skill cannot name, said mid-stretch: every red flag, cautiously, and the
    stretch stops (it may not be a cramp), never "didn't catch that"."""
    phone = device()
    phone.hear("open cramp helper")
    phone.hear("how do i stretch my hamstring")
    phone.strict = True
    turn = phone.hear("my leg feels kind of funny")
    assert turn.intent == "RedFlagIntent"
    assert "nine one one" in turn.text and "not sure what that is" in turn.text
    assert phone.attributes.get("routine") is None


@pytest.mark.parametrize(
    ("words", "heard"),
    [
        ("ask cramp helper should I stop taking lasix",
         "Don't stop Lasix without talking to your doctor or pharmacist"),
        ("ask cramp helper my calf is swollen", "call nine one one now"),
        ("ask cramp helper nine one one", "I can't make the call for you"),
    ],
)
def test_say_gives_the_safe_answer_strict(tmp_path: Any, words: str, heard: str) -> None:
    args = cli.parser().parse_args(["say", words, "--strict", "--db", str(tmp_path / "s.db")])
    out, err = io.StringIO(), io.StringIO()
    assert args.run(args, out, err) == 0
    assert heard in out.getvalue()
    assert "approximate" not in out.getvalue()
