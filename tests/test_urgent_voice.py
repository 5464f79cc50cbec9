"""Urgent safety information is never whispered: the rule in skill/speech.py, and the content
that marks each red-flag answer urgent in every locale."""

from __future__ import annotations

from skill.content import Content
from skill.guide import CLOT_ANSWER, EMERGENCY_ANSWER, LONG_CRAMP_ANSWER, RED_FLAG_ANSWERS
from skill.speech import Speech, Voice, readable, voice_for

NIGHT = Voice(night=True)


def test_urgent_speech_is_in_the_normal_voice_whatever_the_setting() -> None:
    assert voice_for(NIGHT, urgent=True) == Voice()
    assert voice_for(Voice(), urgent=True) == Voice()
    assert voice_for(NIGHT) == NIGHT
    speech = Speech().add("Call nine nine nine now.")
    assert readable(speech.ssml(NIGHT)).startswith("[quiet voice]")
    urgent = speech.ssml(NIGHT, urgent=True)
    assert "whispered" not in urgent and "soft" not in urgent
    assert readable(urgent) == "Call nine nine nine now."


def test_every_red_flag_answer_is_urgent_in_every_locale(contents: dict[str, Content]) -> None:
    keys = {*RED_FLAG_ANSWERS.values(), EMERGENCY_ANSWER, CLOT_ANSWER, LONG_CRAMP_ANSWER}
    for locale, content in contents.items():
        not_urgent = sorted(key for key in keys if not content.answer(key).urgent)
        assert not not_urgent, f"{locale}: red-flag answers that could be whispered: {not_urgent}"


def test_ordinary_answers_keep_the_users_voice(content: Content) -> None:
    for key in ["doctor.more", "causes", "relief", "anything_else"]:
        assert not content.answer(key).urgent, key


def test_the_warning_signs_offered_after_a_red_flag_are_not_whispered(content: Content) -> None:
    offered = content.answer(EMERGENCY_ANSWER).yes
    assert offered == "doctor" and content.answer(offered).urgent


def test_words_not_understood_get_where_to_get_help_in_the_normal_voice(
    contents: dict[str, Content],
) -> None:
    # The model may have missed a red flag said in words it does not know ("ouch and my calf is
    # swollen"): every fallback names the emergency number, and is never whispered.
    for locale, content in contents.items():
        number = content.phrase("emergency.number")
        for key in ("fallback", "fallback.routine", "fallback.muscle"):
            answer = content.answer(key)
            assert answer.urgent, f"{locale}: {key} could be whispered"
            assert number in answer.say, f"{locale}: {key} does not say {number}"
