"""skill.speech: escaping, paced holds, the night voice, Alexa's limits, and reading SSML back."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill.speech import (
    MAX_BREAK_SECONDS,
    MAX_RESPONSE_SECONDS,
    MAX_SSML_CHARS,
    NIGHT_RATE,
    WORDS_PER_MINUTE,
    Pause,
    Speech,
    SpeechLimitError,
    Spoken,
    Voice,
    breaks,
    escape,
    paced_hold,
    parse,
    parse_break_time,
    planned_seconds,
    readable,
    render,
    word_count,
)

CUES = ["20 seconds left.", "Breathe.", "Relax.", "10 seconds left."]


def words(count: int) -> str:
    return " ".join(["word"] * count)


# --- Escaping ------------------------------------------------------------------------------------


def test_escape_all_five_characters() -> None:
    assert escape("""a & b < c > d " e ' f""") == (
        "a &amp; b &lt; c &gt; d &quot; e &apos; f"
    )


def test_rendered_text_is_escaped_and_reads_back() -> None:
    text = """Hamstring & quad: <both> "stretch" don't"""
    ssml = render([text])
    assert "&amp;" in ssml and "&lt;both&gt;" in ssml and "&quot;" in ssml and "&apos;" in ssml
    assert readable(ssml) == text


@settings(
    max_examples=150, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1))
def test_any_text_renders_to_ssml_that_reads_back(text: str) -> None:
    if not text.strip():
        return
    ssml = render([text])
    assert readable(ssml) == " ".join(text.split())


# --- Paced holds ---------------------------------------------------------------------------------


@pytest.mark.parametrize("seconds", range(10, 61))
def test_paced_hold_adds_up_and_never_puts_two_pauses_together(seconds: int) -> None:
    parts = paced_hold(seconds, CUES, "and release.")
    pauses = [part.seconds for part in parts if isinstance(part, Pause)]
    assert sum(pauses) == pytest.approx(seconds)
    assert all(0 < pause <= MAX_BREAK_SECONDS for pause in pauses)
    for first, second in zip(parts, parts[1:], strict=False):
        assert not (isinstance(first, Pause) and isinstance(second, Pause))
    assert parts[-1] == "and release."
    assert isinstance(parts[0], Pause)
    ssml = render(["Hold.", *parts])
    assert sum(breaks(ssml)) == pytest.approx(seconds)


def test_paced_hold_uses_cues_in_order_then_repeats_the_last() -> None:
    parts = paced_hold(60, ["first", "second"], "done")
    spoken = [part for part in parts if isinstance(part, str)]
    assert spoken == ["first", "second", "second", "second", "second", "done"]


def test_paced_hold_without_cues_says_keep_breathing() -> None:
    parts = paced_hold(25, [], "done")
    assert parts == [Pause(10), "keep breathing", Pause(10), "keep breathing", Pause(5), "done"]


def test_paced_hold_of_nothing_is_just_the_release() -> None:
    assert paced_hold(0, CUES, "done") == ["done"]


def test_uneven_hold_ends_with_the_remainder() -> None:
    pauses = [p.seconds for p in paced_hold(45, CUES, "x") if isinstance(p, Pause)]
    assert pauses == [10, 10, 10, 10, 5]


# --- Limits --------------------------------------------------------------------------------------


def test_too_many_characters() -> None:
    long_text = "x" * MAX_SSML_CHARS
    with pytest.raises(SpeechLimitError, match="characters"):
        render([long_text])


def test_just_under_the_character_limit() -> None:
    text = "x" * (MAX_SSML_CHARS - len("<speak></speak>") - 1)
    assert len(render([text])) == MAX_SSML_CHARS - 1


def test_escaping_counts_towards_the_character_limit() -> None:
    text = "&" * (MAX_SSML_CHARS // 4)  # 2000 characters, 10000 once escaped
    with pytest.raises(SpeechLimitError, match="characters"):
        render([text])


def test_too_long_to_say() -> None:
    parts: list[str | Pause] = []
    for _ in range(9):
        parts += ["Hold.", Pause(10)]
    parts.append("and release.")
    with pytest.raises(SpeechLimitError, match="90 s"):
        render(parts)


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("Don't stop: hold it, 10 more seconds.", 7),
        ("ten-second hold", 3),
        ("Détendez-vous — ça va ?", 4),
        ("  \t\n", 0),
    ],
)
def test_words_are_runs_of_letters_digits_and_apostrophes(text: str, count: int) -> None:
    assert word_count(text) == count


@given(st.text(alphabet=st.characters(max_codepoint=0x7F)) | st.text())
def test_word_count_is_the_same_for_any_text(text: str) -> None:
    """ASCII text is counted by a faster path; it must count exactly what the pattern does."""
    assert word_count(text) == len(re.findall(r"[\w']+", text))


def test_just_under_ninety_seconds_is_allowed() -> None:
    parts: list[str | Pause] = []
    for _ in range(8):
        parts += [words(3), Pause(10)]  # 24 words (9.6 s) and 80 s of pauses
    ssml = render(parts)
    assert planned_seconds(ssml) == pytest.approx(89.6)
    assert planned_seconds(ssml) < MAX_RESPONSE_SECONDS


def test_an_eleven_second_break() -> None:
    with pytest.raises(SpeechLimitError, match="over 10 s"):
        render(["Hold.", Pause(11), "release."])


def test_a_ten_second_break_is_allowed() -> None:
    assert '<break time="10s"/>' in render(["Hold.", Pause(10), "release."])


def test_two_breaks_back_to_back() -> None:
    with pytest.raises(SpeechLimitError, match="back to back"):
        render(["Hold.", Pause(5), Pause(5), "release."])


def test_blank_text_between_breaks_does_not_separate_them() -> None:
    with pytest.raises(SpeechLimitError, match="back to back"):
        Speech().add("Hold.", Pause(5), "  ", None, Pause(5), "release.").ssml()


def test_fractional_breaks_are_in_milliseconds() -> None:
    ssml = render(["a", Pause(2.5), "b"])
    assert '<break time="2500ms"/>' in ssml
    assert list(breaks(ssml)) == [2.5]


def test_speech_limit_error_is_a_value_error() -> None:
    assert issubclass(SpeechLimitError, ValueError)


# --- The night voice -----------------------------------------------------------------------------


def test_night_voice_markup() -> None:
    ssml = render(["Breathe.", Pause(10), "Relax."], Voice(night=True))
    assert ssml.startswith('<speak><amazon:effect name="whispered"><prosody rate="85%" ')
    assert 'volume="soft"' in ssml
    assert ssml.endswith("</prosody></amazon:effect></speak>")
    spoken = [segment for segment in parse(ssml) if isinstance(segment, Spoken)]
    assert all(s.whispered and s.soft and s.rate == pytest.approx(NIGHT_RATE) for s in spoken)
    assert readable(ssml) == "[quiet voice] Breathe. [pause 10 s] Relax."


def test_normal_voice_has_no_markup() -> None:
    ssml = render(["Breathe."])
    assert ssml == "<speak>Breathe.</speak>"
    assert not readable(ssml).startswith("[quiet voice]")


def test_night_voice_is_slower_and_counts_towards_the_limit() -> None:
    text = words(150)
    normal = planned_seconds(render([text]))
    night = planned_seconds(render([text], Voice(night=True)))
    assert night == pytest.approx(normal / NIGHT_RATE)
    almost = words(int(MAX_RESPONSE_SECONDS * WORDS_PER_MINUTE / 60) - 5)
    render([almost])
    with pytest.raises(SpeechLimitError):
        render([almost], Voice(night=True))


# --- Reading SSML back ---------------------------------------------------------------------------


def test_parse_and_readable_round_trip() -> None:
    parts: list[str | Pause] = ["Hold.", Pause(10), "20 seconds left.", Pause(10), "and release."]
    ssml = Speech().extend(parts).ssml()
    assert parse(ssml) == [
        Spoken("Hold."),
        Pause(10),
        Spoken("20 seconds left."),
        Pause(10),
        Spoken("and release."),
    ]
    assert readable(ssml) == "Hold. [pause 10 s] 20 seconds left. [pause 10 s] and release."


def test_adjacent_text_parts_are_joined() -> None:
    assert render(["one", "two ", " three"]) == "<speak>one two three</speak>"


def test_parse_amazon_ssml_written_by_hand() -> None:
    ssml = (
        '<speak><p>Slow <prosody rate="x-slow">down</prosody> now<break time="500ms"/>'
        "<emphasis>ok</emphasis></p></speak>"
    )
    segments = parse(ssml)
    assert segments[0] == Spoken("Slow")
    assert isinstance(segments[1], Spoken) and segments[1].rate == pytest.approx(0.6)
    assert segments[2] == Spoken("now")
    assert segments[3] == Pause(0.5)
    assert segments[4] == Spoken("ok")


def test_parse_rejects_bad_ssml() -> None:
    with pytest.raises(ET.ParseError):
        parse("<speak>a & b</speak>")
    with pytest.raises(ValueError, match="<speak>"):
        parse("<p>hello</p>")
    with pytest.raises(ValueError, match="break time"):
        parse('<speak><break time="long"/></speak>')
    with pytest.raises(ValueError, match="prosody rate"):
        parse('<speak><prosody rate="warp">x</prosody></speak>')


@pytest.mark.parametrize(
    ("value", "seconds"), [("10s", 10.0), ("500ms", 0.5), ("2.5s", 2.5), (" 3s ", 3.0)]
)
def test_parse_break_time(value: str, seconds: float) -> None:
    assert parse_break_time(value) == pytest.approx(seconds)


@pytest.mark.parametrize("value", ["", "10", "ten s", "5m", "-1s"])
def test_parse_break_time_rejects(value: str) -> None:
    with pytest.raises(ValueError):
        parse_break_time(value)


def test_planned_seconds() -> None:
    assert planned_seconds("<speak></speak>") == 0
    assert planned_seconds(f"<speak>{words(150)}</speak>") == pytest.approx(60.0)
    ssml = render([words(15), Pause(10), words(15)])
    assert planned_seconds(ssml) == pytest.approx(6 + 10 + 6)
    assert planned_seconds(render(["don't", Pause(2.5)])) == pytest.approx(0.4 + 2.5)


def test_speech_builder_skips_empty_pieces() -> None:
    speech = Speech().add("Hello.", None, "", "   ", Pause(3)).add("Bye.")
    assert speech.parts == ["Hello.", Pause(3), "Bye."]
    assert speech.ssml() == '<speak>Hello. <break time="3s"/> Bye.</speak>'
