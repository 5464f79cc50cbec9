"""Everything about turning words into SSML, in one place.

Handlers never write markup. They hand this module plain text and pauses; it escapes the text,
paces holds as short breaks separated by spoken cues, applies the quiet night voice, and enforces
Alexa's limits:

* the whole ``outputSpeech`` SSML stays under 8000 characters;
* no single ``<break>`` is longer than 10 s;
* two breaks never stand back to back (Alexa's behaviour there is undocumented and the local
  preview engine merges them), so a spoken cue always separates them;
* one response's planned speech plus pauses stays at or under 90 s.

The same module reads SSML back (``parse``) so that the terminal preview, the audio renderer and
the tests all see exactly what Alexa would be sent.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

MAX_SSML_CHARS = 8000
MAX_BREAK_SECONDS = 10.0
MAX_RESPONSE_SECONDS = 90.0

#: Planning rate for spoken words. Alexa's default voice speaks a little faster than this;
#: planning on the slow side keeps a response inside its time budget.
WORDS_PER_MINUTE = 150.0
#: The night voice speaks more slowly, at this fraction of the normal rate.
NIGHT_RATE = 0.85
NIGHT_RATE_PERCENT = round(NIGHT_RATE * 100)

_AMAZON_NS = "urn:cramp-helper:amazon"
_WORD = re.compile(r"[\w']+")
#: Characters XML 1.0 cannot carry at all, escaped or not (control codes, lone surrogates).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BREAK_TIME = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s)\s*$")


class SpeechLimitError(ValueError):
    """Raised when a response would break one of Alexa's SSML limits."""


class Pause(NamedTuple):
    """Silence of ``seconds`` (at most 10 s; longer holds are paced by :func:`paced_hold`)."""

    seconds: float


#: A piece of speech: plain text to speak, or a pause.
Part = str | Pause


class Voice(NamedTuple):
    """How the words are spoken. ``night`` whispers, softly and a little slower."""

    night: bool = False


NORMAL_VOICE = Voice()


def voice_for(chosen: Voice, *, urgent: bool = False) -> Voice:
    """The voice a response is spoken in: the user's ``chosen`` one, except for urgent safety
    information (an answer marked ``urgent`` in the content: an emergency, a possible clot,
    a red flag), which is always said in the normal voice, whatever the night setting. A
    whisper can be missed by someone half asleep, or by the person helping them.
    """
    return NORMAL_VOICE if urgent else chosen


def escape(text: str) -> str:
    """Escape text for SSML: ``& < > " '``. The SDK's ``speak()`` does not.

    Plain replaces: ``xml.sax.saxutils`` would pull ``urllib`` and ``email`` into every cold
    start for the same five substitutions.
    """
    return (
        _NOT_XML.sub("", text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&apos;")
    )


def _format_seconds(seconds: float) -> str:
    if float(seconds).is_integer():
        return f"{int(seconds)}s"
    return f"{round(seconds * 1000)}ms"


#: The shortest last break of a hold: a cue like "2 seconds left" comes too late to be useful.
MIN_LAST_BREAK_SECONDS = 5.0


def hold_chunks(seconds: float) -> list[float]:
    """The breaks a hold of ``seconds`` is paced in: at most 10 s each, adding up to ``seconds``.

    Full 10-second breaks first; a last break shorter than 5 s is evened out with the one
    before it (11 s is 6 + 5, not 10 + 1), so the last cue still leaves time to hear it.
    """
    chunks: list[float] = []
    remaining = float(seconds)
    while remaining > 1e-9:
        chunk = min(MAX_BREAK_SECONDS, remaining)
        chunks.append(chunk)
        remaining -= chunk
    if len(chunks) > 1 and chunks[-1] < MIN_LAST_BREAK_SECONDS:
        pair = chunks[-2] + chunks[-1]
        last = math.floor(pair / 2)
        chunks[-2:] = [pair - last, float(last)]
    return chunks


def paced_hold(seconds: float, cues: Sequence[str], release: str) -> list[Part]:
    """A hold of ``seconds`` as breaks of at most 10 s, with a spoken cue between each two.

    ``cues`` are spoken between the breaks in order (the last one is reused if there are more
    gaps than cues); ``release`` is spoken at the end. The pauses add up to ``seconds`` exactly.
    """
    if seconds <= 0:
        return [release]
    parts: list[Part] = []
    for index, chunk in enumerate(hold_chunks(seconds)):
        if index:
            cue = cues[min(index - 1, len(cues) - 1)] if cues else "keep breathing"
            parts.append(cue)
        parts.append(Pause(chunk))
    parts.append(release)
    return parts


class Speech:
    """A response's speech under construction: text and pauses, rendered once."""

    def __init__(self, parts: Iterable[Part] = ()) -> None:
        self.parts: list[Part] = list(parts)

    def add(self, *items: Part | None) -> Speech:
        """Append text or pauses; empty strings and ``None`` are skipped."""
        for item in items:
            if isinstance(item, Pause) or (isinstance(item, str) and item.strip()):
                self.parts.append(item)
        return self

    def extend(self, items: Iterable[Part]) -> Speech:
        return self.add(*items)

    def ssml(self, voice: Voice = NORMAL_VOICE, *, urgent: bool = False) -> str:
        """Render to SSML in :func:`voice_for` ``voice``, checking every limit.

        Raises :class:`SpeechLimitError`.
        """
        return render(self.parts, voice_for(voice, urgent=urgent))


def _merge_adjacent_text(parts: Iterable[Part]) -> list[Part]:
    merged: list[Part] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] = f"{merged[-1]} {part.strip()}"
        elif isinstance(part, str):
            merged.append(part.strip())
        else:
            merged.append(part)
    return merged


def render(parts: Sequence[Part], voice: Voice = NORMAL_VOICE) -> str:
    """Render parts to one ``<speak>`` document and enforce Alexa's limits."""
    body: list[str] = []
    spoken: list[str] = []
    paused = 0.0
    previous_was_pause = False
    for part in _merge_adjacent_text(parts):
        if isinstance(part, Pause):
            if part.seconds > MAX_BREAK_SECONDS + 1e-9:
                raise SpeechLimitError(f"a break of {part.seconds} s is over 10 s")
            if previous_was_pause:
                raise SpeechLimitError("two breaks back to back")
            paused += part.seconds
            if part.seconds > 0:
                body.append(f'<break time="{_format_seconds(part.seconds)}"/>')
                previous_was_pause = True
        else:
            body.append(escape(part))
            spoken.append(part)
            previous_was_pause = False
    inner = " ".join(body)
    # The words of every run counted at once: a space between runs never joins two words.
    seconds = paused + spoken_seconds(" ".join(spoken), NIGHT_RATE if voice.night else 1.0)
    if voice.night:
        inner = (
            '<amazon:effect name="whispered">'
            f'<prosody rate="{NIGHT_RATE_PERCENT}%" volume="soft">{inner}</prosody>'
            "</amazon:effect>"
        )
    ssml = f"<speak>{inner}</speak>"
    if len(ssml) >= MAX_SSML_CHARS:
        raise SpeechLimitError(f"SSML is {len(ssml)} characters; the limit is {MAX_SSML_CHARS}")
    if seconds > MAX_RESPONSE_SECONDS + 1e-6:
        raise SpeechLimitError(f"speech would last {seconds:.0f} s; the limit is 90 s")
    return ssml


# --- Reading SSML back -------------------------------------------------------------------------


class Spoken(NamedTuple):
    """A run of text as it would be heard, with the voice it is spoken in."""

    text: str
    whispered: bool = False
    rate: float = 1.0
    soft: bool = False


Segment = Spoken | Pause


def parse_break_time(value: str) -> float:
    """``"10s"`` or ``"500ms"`` to seconds. Raises ValueError for anything else."""
    match = _BREAK_TIME.match(value or "")
    if not match:
        raise ValueError(f"not an SSML break time: {value!r}")
    number, unit = float(match.group(1)), match.group(2)
    return number / 1000 if unit == "ms" else number


def _parse_rate(value: str | None, current: float) -> float:
    if not value:
        return current
    value = value.strip()
    named = {"x-slow": 0.6, "slow": 0.8, "medium": 1.0, "fast": 1.2, "x-fast": 1.4}
    if value in named:
        return current * named[value]
    if value.endswith("%"):
        return current * float(value[:-1]) / 100
    raise ValueError(f"not a prosody rate: {value!r}")


def parse(ssml: str) -> list[Segment]:
    """Read an SSML document into spoken runs and pauses.

    Raises ``xml.etree.ElementTree.ParseError`` if the SSML is not well formed.
    """
    import xml.etree.ElementTree as ET  # only for replays and tools: not at every cold start

    # ElementTree needs the amazon: prefix declared; Alexa does not.
    document = ssml.replace("<speak", f'<speak xmlns:amazon="{_AMAZON_NS}"', 1)
    root = ET.fromstring(document)
    if root.tag != "speak":
        raise ValueError("SSML must have <speak> as its root")
    segments: list[Segment] = []

    def add_text(text: str | None, style: Spoken) -> None:
        if text and text.strip():
            words = " ".join(text.split())
            last = segments[-1] if segments else None
            if isinstance(last, Spoken) and last._replace(text="") == style:
                segments[-1] = last._replace(text=f"{last.text} {words}")
            else:
                segments.append(style._replace(text=words))

    def walk(element: ET.Element, style: Spoken) -> None:
        tag = element.tag
        if tag == "break":
            segments.append(Pause(parse_break_time(element.get("time", ""))))
        else:
            if tag == f"{{{_AMAZON_NS}}}effect" and element.get("name") == "whispered":
                style = style._replace(whispered=True)
            elif tag == "prosody":
                volume = element.get("volume", "")
                quiet = volume in {"soft", "x-soft", "silent"} or volume.startswith("-")
                rate = _parse_rate(element.get("rate"), style.rate)
                style = style._replace(rate=rate, soft=style.soft or quiet)
            add_text(element.text, style)
            for child in element:
                walk(child, style)
                add_text(child.tail, style)
            return
        # A break has no children; its tail belongs to the parent and is added there.

    walk(root, Spoken(""))
    return segments


_OWN_TAGS = frozenset({"speak", "break", "prosody", f"{{{_AMAZON_NS}}}effect"})


def is_own_ssml(ssml: object) -> bool:
    """True if ``ssml`` is speech this module could have rendered: well formed, only the tags
    it uses, within Alexa's limits. Used before replaying speech carried in a session."""
    if not isinstance(ssml, str) or not ssml.startswith("<speak>"):
        return False
    if len(ssml) >= MAX_SSML_CHARS:
        return False
    import xml.etree.ElementTree as ET  # only for replays: not at every cold start

    try:
        document = ssml.replace("<speak", f'<speak xmlns:amazon="{_AMAZON_NS}"', 1)
        root = ET.fromstring(document)
        if any(element.tag not in _OWN_TAGS for element in root.iter()):
            return False
        pauses = list(breaks(ssml))
        return all(0 <= p <= MAX_BREAK_SECONDS for p in pauses) and (
            planned_seconds(ssml) <= MAX_RESPONSE_SECONDS
        )
    except (ET.ParseError, ValueError):
        return False


def spoken_seconds(text: str, rate: float = 1.0) -> float:
    """Planned time to say ``text`` at ``rate`` times the normal speed."""
    return word_count(text) / (WORDS_PER_MINUTE * rate) * 60.0


#: For counting the words of ASCII text: word characters (as :data:`_WORD` reads them) kept,
#: every other byte a space.
_ASCII_WORD_BYTES = bytes(
    code if code < 128 and _WORD.fullmatch(chr(code)) else 0x20 for code in range(256)
)


def word_count(text: str) -> int:
    """How many words (runs of letters, digits, ``_`` and ``'``) ``text`` holds.

    ASCII text, nearly all speech, is counted with a byte table (about ten times faster than
    the regular expression, which every response would pay twice); other text by :data:`_WORD`.
    """
    if text.isascii():
        return len(text.encode("ascii").translate(_ASCII_WORD_BYTES).split())
    return len(_WORD.findall(text))


def planned_seconds(ssml: str) -> float:
    """Planned duration of an SSML document: spoken words plus pauses."""
    total = 0.0
    for segment in parse(ssml):
        if isinstance(segment, Pause):
            total += segment.seconds
        else:
            total += spoken_seconds(segment.text, segment.rate)
    return total


def breaks(ssml: str) -> Iterator[float]:
    """The length of every pause in an SSML document, in order."""
    for segment in parse(ssml):
        if isinstance(segment, Pause):
            yield segment.seconds


def readable(ssml: str) -> str:
    """SSML as a person would read it in a terminal: pauses shown as ``[pause 10 s]``."""
    pieces: list[str] = []
    segments = parse(ssml)
    if any(isinstance(s, Spoken) and (s.whispered or s.soft) for s in segments):
        pieces.append("[quiet voice]")
    for segment in segments:
        if isinstance(segment, Pause):
            seconds = segment.seconds
            shown = f"{int(seconds)}" if float(seconds).is_integer() else f"{seconds:g}"
            pieces.append(f"[pause {shown} s]")
        else:
            pieces.append(segment.text)
    return " ".join(pieces)
