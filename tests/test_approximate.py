"""The local device's approximate match: words near a sample are understood, and shown as such.

Exact matches come first; only words no sample fits go to the approximate match, which is off
with ``strict`` (and ``--strict`` on the command line).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from skill.tools import cli
from skill.tools.local.approximate import DEFAULT_THRESHOLD, ApproximateMatcher
from skill.tools.local.model import InteractionModel


def resolved(turn: Any, slot: str) -> str | None:
    body = turn.request["request"]["intent"]["slots"][slot]
    values = body["resolutions"]["resolutionsPerAuthority"][0].get("values") or []
    return values[0]["value"]["id"] if values else None


@pytest.fixture(scope="module")
def matcher(model: InteractionModel) -> ApproximateMatcher:
    return ApproximateMatcher(model)


@pytest.mark.parametrize(
    ("words", "intent"),
    [
        ("i woke up with an awful cramp in my leg", "StretchIntent"),
        ("what foods should i eat for cramps", "NutritionIntent"),
        ("when should i go and see a doctor", "DoctorIntent"),
    ],
)
def test_words_near_a_sample_reach_its_intent(
    matcher: ApproximateMatcher, words: str, intent: str
) -> None:
    hit = matcher.match(words)
    assert hit is not None and hit.match.intent == intent
    assert hit.score >= DEFAULT_THRESHOLD


def test_slot_words_found_in_the_utterance_fill_the_sample(matcher: ApproximateMatcher) -> None:
    hit = matcher.match("my left hamstring is really killing me")
    assert hit is not None and hit.match.intent == "StretchIntent"
    muscle = hit.match.slots["Muscle"]
    assert muscle.value is not None and muscle.value.id == "hamstring"
    assert muscle.spoken == "hamstring"
    assert "{Muscle}" in hit.sample


@pytest.mark.parametrize(
    "words",
    ["what is the weather in paris", "play some music", "order a pizza", "i have a headache"],
)
def test_words_far_from_every_sample_stay_unmatched(
    matcher: ApproximateMatcher, words: str
) -> None:
    assert matcher.match(words) is None


def test_device_uses_the_approximate_match_only_when_no_sample_fits(device: Any) -> None:
    exact = device().hear("my hamstring is killing me")
    assert exact.intent == "StretchIntent" and exact.approximate is None
    near = device().hear("my hamstring is really killing me tonight")
    assert near.intent == "StretchIntent"
    assert near.approximate is not None
    assert resolved(near, "Muscle") == "hamstring"


def test_one_shot_words_near_a_sample(device: Any) -> None:
    turn = device().hear("ask cramp helper what foods should i eat for cramps")
    assert turn.intent == "NutritionIntent" and turn.approximate


def test_strict_device_answers_fallback(model: InteractionModel, device: Any) -> None:
    phone = device()
    phone.strict = True
    turn = phone.hear("my hamstring really is killing me tonight")
    assert turn.intent == "AMAZON.FallbackIntent" and turn.approximate is None


def run(argv: list[str]) -> str:
    args = cli.parser().parse_args(argv)
    out, err = io.StringIO(), io.StringIO()
    assert args.run(args, out, err) == 0
    return out.getvalue()


def test_say_shows_the_nearest_sample_and_strict_turns_it_off(tmp_path: Path) -> None:
    db = str(tmp_path / "state.sqlite3")
    words = "my hamstring really is killing me tonight"
    shown = run(["say", words, "--db", db])
    assert "[approximate: " in shown and "[StretchIntent]" in shown
    assert "That's your hamstring" in shown
    strict = run(["say", words, "--db", db, "--strict"])
    assert "[approximate: " not in strict and "[AMAZON.FallbackIntent]" in strict
