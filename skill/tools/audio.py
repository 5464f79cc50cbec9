"""Render the skill's SSML to a WAV file with espeak-ng, so a response can be heard locally.

The renderer reads SSML back with :func:`skill.speech.parse` and speaks each run of text with a
separate ``espeak-ng`` call. Pauses are never handed to espeak-ng (it merges adjacent breaks and
stretches or shortens them); the renderer writes them itself as digital silence of exactly the
planned length. The result is one WAV whose duration can be checked against
:func:`skill.speech.planned_seconds`, which is what Alexa's time budget is planned on.

espeak-ng is an optional system program, not a Python dependency. When it is missing,
:class:`AudioUnavailable` explains how to install it.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from skill import speech

logger = logging.getLogger(__name__)

ESPEAK_PROGRAM = "espeak-ng"
VOICE = "en-us"
#: espeak-ng's whisper variant, appended to the voice name for whispered runs.
WHISPER_VARIANT = "whisper"

#: espeak-ng speaks faster than its ``-s`` words-per-minute value says, so the speed passed is
#: ``speech.WORDS_PER_MINUTE * rate * ESPEAK_SPEED_FACTOR``.
#:
#: Measured with espeak-ng 1.51 (Debian 12) on 24 sentences of the skill's kind (instructions,
#: questions, short hold cues such as "ten seconds left"; 236 words), each rendered by its own
#: call exactly as :func:`render_wav` does, so espeak-ng's own start and end silence is counted.
#: Sweeping ``-s`` and interpolating where the summed WAV duration equals the planned duration
#: gave 0.946 for the normal voice (``-s 142`` for 150 wpm) and 0.955 for the whispered night
#: voice (``-s 122`` for 127.5 wpm). Short runs come out slower than long ones, because the end
#: silence is a larger share of them.
ESPEAK_SPEED_FACTOR = 0.95

#: espeak-ng's accepted speed range (words per minute).
MIN_ESPEAK_SPEED = 80
MAX_ESPEAK_SPEED = 450

#: espeak-ng's default amplitude is 100; half of it is about -6 dB, like Alexa's ``soft`` volume.
NORMAL_AMPLITUDE = 100
SOFT_AMPLITUDE = 50

#: Used only when the speech has no spoken run to take the format from (espeak-ng's own format).
DEFAULT_FRAME_RATE = 22050
DEFAULT_SAMPLE_WIDTH = 2
DEFAULT_CHANNELS = 1

#: Upper bound for one espeak-ng call; a run is at most a few sentences.
ESPEAK_TIMEOUT_SECONDS = 60

INSTALL_HINT = (
    "Audio rendering needs the espeak-ng program. Install it with "
    "'sudo apt-get install espeak-ng' (Debian/Ubuntu) or 'brew install espeak-ng' (macOS)."
)


class AudioUnavailable(RuntimeError):
    """espeak-ng is not installed, or it could not render the speech.

    The message is meant to be shown to the user as it is.
    """


@dataclass(frozen=True)
class AudioReport:
    """Where the WAV was written, how long it lasts, and how long the speech was planned to last."""

    path: Path
    seconds: float
    planned_seconds: float


def espeak_path() -> str | None:
    """Full path of the espeak-ng program, or ``None`` if it is not on ``PATH``."""
    return shutil.which(ESPEAK_PROGRAM)


def espeak_available() -> bool:
    """Whether espeak-ng is installed, so :func:`render_wav` can work."""
    return espeak_path() is not None


def wav_seconds(path: str | os.PathLike[str]) -> float:
    """Duration of a WAV file in seconds."""
    with wave.open(os.fspath(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


def espeak_speed(rate: float) -> int:
    """The ``-s`` value for espeak-ng that matches the planned speaking rate ``rate``."""
    speed = round(speech.WORDS_PER_MINUTE * rate * ESPEAK_SPEED_FACTOR)
    return max(MIN_ESPEAK_SPEED, min(MAX_ESPEAK_SPEED, speed))


def espeak_command(program: str, spoken: speech.Spoken, out: Path) -> list[str]:
    """The espeak-ng command line for one spoken run; the text itself goes on stdin."""
    voice = f"{VOICE}+{WHISPER_VARIANT}" if spoken.whispered else VOICE
    amplitude = SOFT_AMPLITUDE if spoken.soft else NORMAL_AMPLITUDE
    return [
        program,
        "-b",
        "1",  # input is UTF-8
        "-v",
        voice,
        "-s",
        str(espeak_speed(spoken.rate)),
        "-a",
        str(amplitude),
        "-w",
        os.fspath(out),
        "--stdin",
    ]


class _Format(NamedTuple):
    """The parts of a WAV format that must agree for frames to be joined."""

    channels: int
    sample_width: int
    frame_rate: int


_DEFAULT_FORMAT = _Format(DEFAULT_CHANNELS, DEFAULT_SAMPLE_WIDTH, DEFAULT_FRAME_RATE)


@dataclass(frozen=True)
class _Clip:
    """One spoken run as rendered by espeak-ng: its WAV format and audio frames."""

    format: _Format
    frames: bytes


def _speak(program: str, spoken: speech.Spoken, out: Path) -> _Clip:
    command = espeak_command(program, spoken, out)
    logger.debug("espeak-ng: %s <<< %r", command, spoken.text)
    try:
        subprocess.run(
            command,
            input=spoken.text.encode("utf-8"),
            capture_output=True,
            check=True,
            timeout=ESPEAK_TIMEOUT_SECONDS,
        )
    except FileNotFoundError as error:
        raise AudioUnavailable(INSTALL_HINT) from error
    except subprocess.CalledProcessError as error:
        detail = error.stderr.decode("utf-8", "replace").strip()
        detail = detail or f"exit status {error.returncode}"
        raise AudioUnavailable(f"espeak-ng could not render the speech: {detail}") from error
    except subprocess.TimeoutExpired as error:
        raise AudioUnavailable("espeak-ng did not finish rendering the speech") from error
    try:
        with wave.open(os.fspath(out), "rb") as wav:
            found = _Format(wav.getnchannels(), wav.getsampwidth(), wav.getframerate())
            return _Clip(found, wav.readframes(wav.getnframes()))
    except (OSError, EOFError, wave.Error) as error:
        raise AudioUnavailable(f"espeak-ng wrote no readable audio: {error}") from error


def _silence(seconds: float, fmt: _Format) -> bytes:
    """Digital silence of ``seconds``, to the nearest frame, in the format ``fmt``."""
    frames = round(seconds * fmt.frame_rate)
    # 8-bit WAV samples are unsigned (silence is 128); wider ones are signed (silence is 0).
    sample = b"\x80" if fmt.sample_width == 1 else b"\x00" * fmt.sample_width
    return sample * fmt.channels * frames


def _write(path: Path, segments: Sequence[speech.Segment], clips: Sequence[_Clip]) -> None:
    """Write the runs and pauses, in order, as one WAV; atomically, so no partial file is left."""
    fmt = clips[0].format if clips else _DEFAULT_FORMAT
    for clip in clips[1:]:
        if clip.format != fmt:
            raise AudioUnavailable(f"espeak-ng changed its audio format: {clip.format}")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".wav")
    os.close(handle)
    try:
        with wave.open(temporary, "wb") as out:
            out.setnchannels(fmt.channels)
            out.setsampwidth(fmt.sample_width)
            out.setframerate(fmt.frame_rate)
            spoken = iter(clips)
            for segment in segments:
                if isinstance(segment, speech.Pause):
                    out.writeframes(_silence(segment.seconds, fmt))
                else:
                    out.writeframes(next(spoken).frames)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def render_wav(ssml: str, path: str | os.PathLike[str]) -> AudioReport:
    """Render ``ssml`` to a WAV file at ``path`` and report its duration against the plan.

    Each spoken run is one espeak-ng call (whispered runs use the whisper variant, soft runs a
    lower amplitude, the rate follows the SSML prosody); each pause is written as silence of
    exactly its length. Nothing is trimmed: espeak-ng's short silence at the end of a run is part
    of how the speed was calibrated (see :data:`ESPEAK_SPEED_FACTOR`).

    Raises :class:`AudioUnavailable` (and writes nothing) if espeak-ng is missing or fails, and
    ``xml.etree.ElementTree.ParseError`` if the SSML is not well formed.
    """
    target = Path(path)
    segments = speech.parse(ssml)
    planned = speech.planned_seconds(ssml)
    program = espeak_path()
    if program is None:
        raise AudioUnavailable(INSTALL_HINT)
    with tempfile.TemporaryDirectory(prefix="cramp-helper-audio-") as scratch:
        clips = [
            _speak(program, segment, Path(scratch) / f"run-{index}.wav")
            for index, segment in enumerate(segments)
            if isinstance(segment, speech.Spoken)
        ]
    _write(target, segments, clips)
    seconds = wav_seconds(target)
    logger.info("wrote %s: %.2f s (planned %.2f s)", target, seconds, planned)
    return AudioReport(path=target, seconds=seconds, planned_seconds=planned)
