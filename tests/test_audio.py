"""Rendering speech to WAV: timing against the plan, real silence, and a missing espeak-ng."""

from __future__ import annotations

import array
import math
import subprocess
import wave
from pathlib import Path

import pytest

from skill import speech
from skill.speech import Pause, Speech, Voice, paced_hold
from skill.tools import audio

needs_espeak = pytest.mark.skipif(
    not audio.espeak_available(), reason="espeak-ng is not installed (apt-get install espeak-ng)"
)

PLAIN_ANSWER = (
    "It sounds like a cramp in the back of your thigh, the hamstring. "
    "Straighten your leg and slowly pull your toes toward you. "
    "Shall we stretch it together?"
)


def hold_speech() -> Speech:
    return (
        Speech()
        .add("Gently pull your leg back.")
        .extend(paced_hold(30, ["twenty seconds left", "ten seconds left"], "and release."))
        .add("Ready for the next one?")
    )


def read_samples(path: Path) -> tuple[int, array.array[int]]:
    with wave.open(str(path), "rb") as wav:
        assert wav.getsampwidth() == 2
        assert wav.getnchannels() == 1
        return wav.getframerate(), array.array("h", wav.readframes(wav.getnframes()))


# --- With espeak-ng ---------------------------------------------------------------------------


@needs_espeak
@pytest.mark.parametrize(
    "ssml",
    [
        pytest.param(Speech().add(PLAIN_ANSWER).ssml(), id="plain-answer"),
        pytest.param(hold_speech().ssml(), id="30s-paced-hold"),
        pytest.param(hold_speech().ssml(Voice(night=True)), id="30s-paced-hold-night"),
    ],
)
def test_rendered_duration_matches_plan(ssml: str, tmp_path: Path) -> None:
    report = audio.render_wav(ssml, tmp_path / "out.wav")

    assert report.path == tmp_path / "out.wav"
    assert report.planned_seconds == pytest.approx(speech.planned_seconds(ssml))
    assert report.seconds == pytest.approx(audio.wav_seconds(report.path))
    assert report.seconds == pytest.approx(report.planned_seconds, rel=0.10)


@needs_espeak
def test_night_voice_is_whispered_quieter_and_slower(tmp_path: Path) -> None:
    normal = audio.render_wav(Speech().add(PLAIN_ANSWER).ssml(), tmp_path / "normal.wav")
    night = audio.render_wav(Speech().add(PLAIN_ANSWER).ssml(Voice(night=True)), tmp_path / "n.wav")

    assert night.seconds > normal.seconds
    _, loud = read_samples(normal.path)
    _, quiet = read_samples(night.path)
    assert max(map(abs, quiet)) < max(map(abs, loud)) / 2


@needs_espeak
def test_pause_between_runs_is_exact_silence(tmp_path: Path) -> None:
    first = audio.render_wav(Speech().add("Hold it there.").ssml(), tmp_path / "first.wav")
    last = audio.render_wav(Speech().add("And release.").ssml(), tmp_path / "last.wav")
    ssml = Speech().add("Hold it there.", Pause(10), "And release.").ssml()

    report = audio.render_wav(ssml, tmp_path / "out.wav")

    rate, samples = read_samples(report.path)
    assert report.seconds == pytest.approx(first.seconds + 10 + last.seconds, abs=1 / rate)
    start = round(first.seconds * rate)
    pause = samples[start : start + 10 * rate]
    assert len(pause) == 10 * rate
    assert all(sample == 0 for sample in pause)
    # The speech on either side is not silent.
    assert max(map(abs, samples[:start])) > 1000
    assert max(map(abs, samples[start + 10 * rate :])) > 1000


# --- Without espeak-ng ------------------------------------------------------------------------


def test_missing_espeak_raises_with_install_hint_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audio.shutil, "which", lambda name: None)
    out = tmp_path / "out.wav"

    assert not audio.espeak_available()
    with pytest.raises(audio.AudioUnavailable) as raised:
        audio.render_wav(hold_speech().ssml(), out)

    message = str(raised.value)
    assert "espeak-ng" in message
    assert "sudo apt-get install espeak-ng" in message
    assert "brew install espeak-ng" in message
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


TONE_SECONDS = 0.5
TONE_RATE = 22050


class FakeEspeak:
    """Stands in for ``subprocess.run``: writes half a second of tone and records the calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], str]] = []

    def __call__(self, command: list[str], *, input: bytes, **kwargs: object) -> None:
        self.calls.append((command, input.decode("utf-8")))
        frames = round(TONE_SECONDS * TONE_RATE)
        # Never exactly zero, so the tone can be told apart from the silence around it.
        wave_shape = (math.sin(2 * math.pi * 440 * i / TONE_RATE) for i in range(frames))
        tone = array.array("h", (int(8000 * x) or 1 for x in wave_shape))
        with wave.open(command[command.index("-w") + 1], "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(TONE_RATE)
            wav.writeframes(tone.tobytes())


@pytest.fixture
def fake_espeak(monkeypatch: pytest.MonkeyPatch) -> FakeEspeak:
    fake = FakeEspeak()
    monkeypatch.setattr(audio.shutil, "which", lambda name: "/usr/bin/espeak-ng")
    monkeypatch.setattr(audio.subprocess, "run", fake)
    return fake


def test_pauses_are_written_as_silence_of_exact_length(
    tmp_path: Path, fake_espeak: FakeEspeak
) -> None:
    ssml = hold_speech().ssml()

    report = audio.render_wav(ssml, tmp_path / "out.wav")

    rate, samples = read_samples(report.path)
    tone = round(TONE_SECONDS * rate)
    assert len(samples) == 4 * tone + 30 * rate
    assert report.seconds == pytest.approx(4 * TONE_SECONDS + 30)
    position = tone
    for _ in range(3):
        pause_end = position + 10 * rate
        assert all(sample == 0 for sample in samples[position:pause_end])
        assert all(sample != 0 for sample in samples[pause_end : pause_end + tone])
        position = pause_end + tone


def test_one_call_per_run_with_voice_speed_and_amplitude(
    tmp_path: Path, fake_espeak: FakeEspeak
) -> None:
    audio.render_wav(hold_speech().ssml(Voice(night=True)), tmp_path / "night.wav")
    audio.render_wav(Speech().add("Gently pull your leg back.").ssml(), tmp_path / "day.wav")

    texts = [text for _, text in fake_espeak.calls]
    assert texts == [
        "Gently pull your leg back.",
        "twenty seconds left",
        "ten seconds left",
        "and release. Ready for the next one?",
        "Gently pull your leg back.",
    ]
    night, day = fake_espeak.calls[0][0], fake_espeak.calls[-1][0]

    def option(command: list[str], flag: str) -> str:
        return command[command.index(flag) + 1]

    assert option(night, "-v") == "en-us+whisper"
    assert option(day, "-v") == "en-us"
    assert int(option(night, "-a")) < int(option(day, "-a"))
    assert int(option(night, "-s")) == audio.espeak_speed(speech.NIGHT_RATE)
    assert int(option(day, "-s")) == audio.espeak_speed(1.0)
    assert int(option(night, "-s")) < int(option(day, "-s"))
    assert all("<break" not in text for text in texts)


def test_espeak_failure_is_reported_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_run(command: list[str], **kwargs: object) -> None:
        raise subprocess.CalledProcessError(1, command, stderr=b"voice not found")

    monkeypatch.setattr(audio.shutil, "which", lambda name: "/usr/bin/espeak-ng")
    monkeypatch.setattr(audio.subprocess, "run", failing_run)
    out = tmp_path / "out.wav"

    with pytest.raises(audio.AudioUnavailable, match="voice not found"):
        audio.render_wav(Speech().add("Hello.").ssml(), out)
    assert list(tmp_path.iterdir()) == []


def test_espeak_speed_is_calibrated_from_the_planning_rate() -> None:
    assert audio.espeak_speed(1.0) == round(speech.WORDS_PER_MINUTE * audio.ESPEAK_SPEED_FACTOR)
    assert audio.espeak_speed(0.01) == audio.MIN_ESPEAK_SPEED
    assert audio.espeak_speed(100) == audio.MAX_ESPEAK_SPEED


def test_wav_seconds(tmp_path: Path) -> None:
    path = tmp_path / "one.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\x00\x00" * 12000)

    assert audio.wav_seconds(path) == pytest.approx(1.5)
