"""Loading and checking what the skill says (``content/<locale>/*.yaml``).

Content is read once, when the skill is built, and checked thoroughly then: a broken file stops
start-up with an error naming the file and the key, instead of surprising a user at 3 a.m.

``content/en-US/`` holds everything the skill says; ``content/<locale>/`` (en-GB, en-CA, en-AU,
en-IN) holds only what differs there, merged over en-US field by field (see
:meth:`_Checker.load`), and is checked exactly as en-US is. :func:`load_all_content` loads every
locale. Answers say the emergency number as ``{emergency_number}``, filled at load time from the
locale's ``emergency.number`` phrase; likewise its quinine warning and where to get help
(:data:`LOCALE_PLACEHOLDERS`, whose phrases may say the ones listed before them).

Beyond its shape, the content is checked for what a listener can take in at night: at most
:data:`MAX_ANSWER_WORDS` words before the follow-up question, lists of at most
:data:`MAX_LIST_ITEMS` parts a sentence (:func:`list_lengths`), no :data:`BANNED_PHRASES`, no
medicine's name in a question's example words, and medicine answers that fit the question
asked (:func:`check_medicine_answers`; the phrasing itself is in :mod:`skill.medicines`).

Parsed files (:data:`PARSED_FILE`): the Lambda bundle carries every content file already parsed,
as JSON, with each file's size and CRC-32 (written by ``cramp-helper package``, which loads and
checks every locale from them first and fails on broken content). A file whose bytes still match
is taken from there, so a cold start neither imports nor runs the YAML parser; any file that
differs (or has no entry) is read as YAML. When every file matches, the content is the very
content the packaging checked, with the same code, so the checks after loading are not run again
(:meth:`ParsedContent.unchanged`); otherwise they run as for any other content.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
import string
import zlib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from . import medicines
from .conversation import ROUTINE_TARGET, Context, read_context

log = logging.getLogger(__name__)

DEFAULT_LOCALE = "en-US"
CONTENT_DIR_ENV = "CRAMP_HELPER_CONTENT"

#: An answer's words before its follow-up question: about 20 seconds of speech.
MAX_ANSWER_WORDS = 50
#: The most parts a spoken list may have (see :func:`list_lengths`); offer the rest after.
MAX_LIST_ITEMS = 4
#: Words no answer may say: they mean nothing to a listener.
BANNED_PHRASES: tuple[str, ...] = ("the guide",)
MIN_HOLD_SECONDS = 10
MAX_HOLD_SECONDS = 60
DEFAULT_HOLD_SECONDS = 30

#: Placeholders the skill knows how to fill, with a sample value used to check the content.
PLACEHOLDERS: Mapping[str, str] = MappingProxyType(
    {
        "medicine": "metformin",
        "condition": "gout",
        "muscle": "calf",
        "routine": "seated hamstring stretch",
        "seconds": "45",
        "times": "three",
        "direction": "long",
        "topic": "swimming",
        "emergency_number": "nine one one",
        "quinine_warning": "Quinine can cause life-threatening blood problems.",
        "get_help": (
            "With chest pain or trouble breathing, call nine one one; a swollen, red leg needs "
            "medical advice today."
        ),
        "count": "3",
    }
)
#: Placeholders filled once at load time from the locale's own phrases, not per request:
#: placeholder -> phrase key. So every red-flag answer says the number of the request's country.
LOCALE_PLACEHOLDERS: Mapping[str, str] = MappingProxyType(
    {
        "emergency_number": "emergency.number",
        "quinine_warning": "quinine.warning",
        "get_help": "get_help",
    }
)
_WORD = re.compile(r"[\w']+")
#: The content files already parsed, in the content folder of the Lambda bundle (see above).
PARSED_FILE = "parsed-content.json"

#: ``"<locale folder>/<file name>"`` -> what :func:`parsed_entry` wrote for that file.
Parsed = Mapping[str, Mapping[str, Any]]


class ParsedContent(NamedTuple):
    """The parsed files of a content folder (:data:`PARSED_FILE`), and whether the packaging
    loaded and checked every locale from exactly these files."""

    files: Parsed = MappingProxyType({})
    checked: bool = False

    def unchanged(self, root: Path) -> bool:
        """True when these files were checked and every ``*.yaml`` of ``root``'s locale
        folders is still byte for byte the file they were parsed from, and no file was added."""
        if not self.checked:
            return False
        names = sorted(root.glob("*/*.yaml"))
        if len(names) != len(self.files):
            return False
        for path in names:
            try:
                raw = path.read_bytes()
            except OSError:
                return False
            if not _matches(self.files.get(f"{path.parent.name}/{path.name}"), raw):
                return False
        return True


class ContentError(ValueError):
    """A content file is missing, unreadable or wrong. The message names file and key."""


class Answer(NamedTuple):
    """One response's worth of words: what to say, and the question that keeps it going."""

    key: str
    say: str
    ask: str | None = None
    reprompt: str | None = None
    #: What "yes" to ``ask`` does: another answer's key or ``routine:<id>``.
    yes: str | None = None
    #: Ends the session (a goodbye); such an answer has no question.
    end: bool = False
    #: What the question is about, for "no", "help" and unknown words next turn.
    context: Context | None = None
    #: Urgent safety information (an emergency, a possible clot, a red flag): always spoken in
    #: the normal voice, never the night whisper (:func:`skill.speech.voice_for`).
    urgent: bool = False


class Medication(NamedTuple):
    """A medicine or class of medicines: facts only. Phrasing is in ``medicine_answers``."""

    id: str
    name: str
    #: The answer to "can it cause cramps?" (see :mod:`skill.medicines` for the other kinds).
    say: str
    #: A prescription to keep taking: add "don't stop a prescribed medicine without talking to
    #: your doctor or pharmacist".
    stop_warning: bool
    #: Which phrasing answers it (a ``medicine_answers`` group).
    group: str = ""
    #: What it is, as a sentence ("Lasix, also called furosemide, is a diuretic, or water pill.").
    what: str = ""
    #: What links it to cramps, as a sentence; empty when nothing does.
    link: str = ""
    #: Spoken as a plural ("statins"), so the answers say "they are".
    plural: bool = False
    #: Other names answered the same way (brands, generics), each with its own facts.
    also: Mapping[str, Medication] = MappingProxyType({})


class Step(NamedTuple):
    say: str
    #: ``None`` for no hold, ``"setting"`` for the user's hold length, or fixed seconds.
    hold: int | str | None = None
    holds: int = 1
    rest: int = 0
    pause: int = 0
    #: Seconds to get into position before the first hold; ``None`` for the routine's own.
    lead_in: int | None = None


class Routine(NamedTuple):
    id: str
    name: str
    muscle: str
    intro: str
    steps: tuple[Step, ...]
    #: Seconds to get into position between a step's words and its first hold (0 for none).
    lead_in: int = 0


class Content(NamedTuple):
    """Everything the skill says in one locale. Immutable once loaded."""

    locale: str
    answers: Mapping[str, Answer]
    phrases: Mapping[str, str]
    medications: Mapping[str, Medication]
    routines: Mapping[str, Routine]
    #: Medicine phrasing: group -> kind of question -> template (see :mod:`skill.medicines`).
    medicine_answers: Mapping[str, Mapping[str, str]] = MappingProxyType({})

    def answer(self, key: str) -> Answer:
        try:
            return self.answers[key]
        except KeyError:
            raise KeyError(f"no content for {key!r} in {self.locale}") from None

    def phrase(self, key: str, **values: Any) -> str:
        try:
            text = self.phrases[key]
        except KeyError:
            raise KeyError(f"no phrase {key!r} in {self.locale}") from None
        return fill(text, values)


def fill(text: str, values: Mapping[str, Any]) -> str:
    """Fill ``{placeholders}``; a placeholder without a value is an error, not silence."""
    return text.format_map(dict(values)) if "{" in text else text


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def default_content_root() -> Path:
    """``content/`` beside the ``skill`` package (true in the repo and in the Lambda zip)."""
    configured = os.environ.get(CONTENT_DIR_ENV)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parent.parent / "content"


# --- Loading ------------------------------------------------------------------------------------


def parse_yaml(raw: bytes, name: str) -> Any:
    """The data of one YAML file's bytes; :class:`ContentError` naming ``name`` if unreadable."""
    import yaml  # only where a file is not in the parsed files (see the module notes)

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, ten times faster
    try:
        return yaml.load(raw, Loader=loader)
    except yaml.YAMLError as error:
        raise ContentError(f"{name}: cannot read: {error}") from error


def parsed_entry(raw: bytes, data: Any) -> dict[str, Any]:
    """The :data:`PARSED_FILE` entry of a file with bytes ``raw`` parsed as ``data``."""
    return {"size": len(raw), "crc32": zlib.crc32(raw), "json": json.dumps(data)}


def read_parsed(root: Path) -> ParsedContent:
    """The parsed files of the content folder ``root`` (:data:`PARSED_FILE`); none when it has
    none or they cannot be read (every file is then read as YAML, and checked)."""
    try:
        stored = json.loads((root / PARSED_FILE).read_text(encoding="utf-8"))
        files, checked = stored["files"], stored.get("checked") is True
    except FileNotFoundError:
        return ParsedContent()
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        log.warning("%s unreadable (%s): reading the YAML files", PARSED_FILE, error)
        return ParsedContent()
    if not isinstance(files, dict):
        return ParsedContent()
    return ParsedContent(MappingProxyType(files), checked)


def _matches(entry: Mapping[str, Any] | None, raw: bytes) -> bool:
    """Whether ``entry`` (see :func:`parsed_entry`) was parsed from exactly ``raw``."""
    return (
        isinstance(entry, Mapping)
        and entry.get("size") == len(raw)
        and entry.get("crc32") == zlib.crc32(raw)
        and isinstance(entry.get("json"), str)
    )


def _read_yaml(path: Path, parsed: Parsed | None = None) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ContentError(f"{path.name}: cannot read: {error}") from error
    entry = (parsed or {}).get(f"{path.parent.name}/{path.name}")
    if entry is not None and _matches(entry, raw):
        data = json.loads(entry["json"])
    else:
        data = parse_yaml(raw, path.name)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ContentError(f"{path.name}: the top level must be a mapping")
    return data


def read_folder(folder: Path, parsed: Parsed | None = None) -> list[tuple[str, dict[str, Any]]]:
    """Every ``*.yaml`` of ``folder`` as ``(file name, data)``, sorted by name (taken from
    ``parsed`` where a file's bytes match its entry there)."""
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise ContentError(f"{folder}: no content files")
    return [(path.name, _read_yaml(path, parsed)) for path in files]


def _merged(base: Any, change: Any) -> Any:
    """``change`` over ``base``: mappings merged key by key, anything else replaced."""
    if isinstance(base, dict) and isinstance(change, dict):
        merged = dict(base)
        for key, value in change.items():
            merged[key] = _merged(base[key], value) if key in base else value
        return merged
    return change


def _apply_overlay(
    loaded: list[tuple[str, dict[str, Any]]], overlay: Path, parsed: Parsed | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """Each entry of ``overlay``'s files merged into the base file holding the same entry.

    A base file changed so is named with the overlay files that changed it
    (``answers.yaml with en-GB/answers.yaml``), so a check that fails names both.
    """
    holder = {
        (section, key): (name, data[section])
        for name, data in loaded
        for section, entries in data.items()
        if isinstance(entries, dict)
        for key in entries
    }
    changed_by: dict[str, list[str]] = {}
    for path in sorted(overlay.glob("*.yaml")):
        where = f"{overlay.name}/{path.name}"
        for section, entries in _read_yaml(path, parsed).items():
            if not isinstance(entries, dict):
                raise ContentError(f"{where}: {section}: must be a mapping")
            for key, value in entries.items():
                found = holder.get((section, key))
                if found is None:
                    raise ContentError(
                        f"{where}: {section}: {key}: not in the base locale; a locale folder "
                        "holds only what differs from it"
                    )
                name, target = found
                target[key] = _merged(target[key], value)
                if where not in changed_by.setdefault(name, []):
                    changed_by[name].append(where)
    return [
        (f"{name} with {', '.join(changed_by[name])}" if name in changed_by else name, data)
        for name, data in loaded
    ]


class _Checker:
    """Reads one locale's files into :class:`Content`, naming file and key in every error."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.answers: dict[str, Answer] = {}
        self.phrases: dict[str, str] = {}
        self.medications: dict[str, Medication] = {}
        self.routines: dict[str, Routine] = {}
        self.medicine_answers: dict[str, Mapping[str, str]] = {}
        self.where: dict[str, str] = {}

    def fail(self, file: str, key: str, problem: str) -> ContentError:
        return ContentError(f"{file}: {key}: {problem}")

    def text(self, file: str, key: str, value: Any, *, field: str, optional: bool = False) -> str:
        if value is None and optional:
            return ""
        if not isinstance(value, str):
            raise self.fail(file, key, f"`{field}` must be text")
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
            unknown = names - set(PLACEHOLDERS)
            if not unknown:
                fill(value, PLACEHOLDERS)
        except (ValueError, IndexError) as error:
            raise self.fail(file, key, f"`{field}` is not a valid template: {error}") from error
        if unknown:
            raise self.fail(file, key, f"`{field}` has unknown placeholder(s) {sorted(unknown)}")
        return " ".join(value.split())

    def mapping(self, file: str, key: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(file, key, "must be a mapping")
        return value

    def load(
        self,
        overlay: Path | None = None,
        base: list[tuple[str, dict[str, Any]]] | None = None,
        parsed: Parsed | None = None,
    ) -> None:
        """Read every file of the folder; then ``overlay``'s entries over them (see below).

        An overlay (``content/<locale>/``) holds only what differs from the base locale: each of
        its entries names an entry the base has and replaces the fields it gives (mappings are
        merged, anything else replaced), so a locale can change one phrase, one answer's
        ``say``, or add a brand name to a medicine's ``also``. An entry the base lacks is an
        error: a locale never says something the base locale cannot. ``base`` is the folder's
        files already read (:func:`read_folder`), to read them once for every locale;
        ``parsed`` the parsed files to take them from (see the module notes).
        """
        loaded = copy.deepcopy(base) if base is not None else read_folder(self.folder, parsed)
        if overlay is not None:
            loaded = _apply_overlay(loaded, overlay, parsed)
        for name, data in loaded:
            for section, entries in data.items():
                loader = getattr(self, f"_load_{section}", None)
                if loader is None:
                    raise ContentError(f"{name}: unknown section {section!r}")
                for key, value in self.mapping(name, section, entries).items():
                    if not isinstance(key, str):
                        raise self.fail(name, str(key), "keys must be text")
                    loader(name, key, value)

    def _claim(self, file: str, kind: str, key: str) -> None:
        slot = f"{kind}:{key}"
        if slot in self.where:
            raise self.fail(file, key, f"already defined in {self.where[slot]}")
        self.where[slot] = file

    def _load_answers(self, file: str, key: str, value: Any) -> None:
        self._claim(file, "answer", key)
        entry = self.mapping(file, key, value)
        allowed = {"say", "ask", "reprompt", "if_yes", "end", "context", "urgent"}
        if extra := set(entry) - allowed:
            raise self.fail(file, key, f"unknown field(s) {sorted(extra)}")
        urgent = entry.get("urgent", False)
        if not isinstance(urgent, bool):
            raise self.fail(file, key, "`urgent` must be true or false")
        say = self.text(file, key, entry.get("say"), field="say")
        if word_count(fill(say, PLACEHOLDERS)) > MAX_ANSWER_WORDS:
            raise self.fail(file, key, f"`say` is over {MAX_ANSWER_WORDS} words")
        ask = self.text(file, key, entry.get("ask"), field="ask", optional=True) or None
        reprompt = self.text(file, key, entry.get("reprompt"), field="reprompt", optional=True)
        end = entry.get("end", False)
        if not isinstance(end, bool):
            raise self.fail(file, key, "`end` must be true or false")
        if end and ask:
            raise self.fail(file, key, "an answer that ends the session cannot ask a question")
        if not say and not ask:
            raise self.fail(file, key, "needs `say` or `ask`")
        yes = entry.get("if_yes")
        if yes is not None and not ask:
            raise self.fail(file, key, "`if_yes` needs a question (`ask`) to answer")
        context = entry.get("context")
        if context is not None and read_context(context) is None:
            known = ", ".join(c.value for c in Context)
            raise self.fail(file, key, f"`context` must be one of {known}")
        if context is not None and not ask:
            raise self.fail(file, key, "`context` needs a question (`ask`) it is about")
        self.answers[key] = Answer(
            key=key,
            say=say,
            ask=ask,
            reprompt=reprompt or ask,
            yes=yes if yes is None else self.text(file, key, yes, field="if_yes"),
            end=end,
            context=read_context(context),
            urgent=urgent,
        )
        self.where[f"answer-file:{key}"] = file

    _load_prompts = _load_answers

    def _load_phrases(self, file: str, key: str, value: Any) -> None:
        self._claim(file, "phrase", key)
        self.phrases[key] = self.text(file, key, value, field="phrase")

    def _load_medications(self, file: str, key: str, value: Any) -> None:
        self._claim(file, "medication", key)
        entry = self._medicine(file, key, value, parent=None)
        raw_also = self.mapping(file, key, value.get("also", {}))
        also = {}
        for other, raw in raw_also.items():
            if not isinstance(other, str):
                raise self.fail(file, f"{key}.also", "keys must be text")
            self._claim(file, "medication", other)
            also[other] = self._medicine(file, f"{key}.also.{other}", raw, parent=entry)
        self.medications[key] = entry._replace(also=MappingProxyType(also))
        self.where[f"medication-file:{key}"] = file

    def _medicine(
        self, file: str, key: str, value: Any, *, parent: Medication | None
    ) -> Medication:
        """One medicine's facts; an ``also`` name inherits its parent's unless it gives its own."""
        entry = self.mapping(file, key, value)
        allowed = {"name", "group", "what", "link", "plural", "prescription"}
        if parent is None:
            allowed.add("also")
        if extra := set(entry) - allowed:
            raise self.fail(file, key, f"unknown field(s) {sorted(extra)}")
        flags: dict[str, bool] = {}
        for name in ("prescription", "plural"):
            default = False if parent is None or name == "plural" else parent.stop_warning
            flag = entry.get(name, None if name == "prescription" and parent is None else default)
            if not isinstance(flag, bool):
                raise self.fail(file, key, f"`{name}` must be true or false")
            flags[name] = flag
        group = entry.get("group", parent.group if parent else None)
        link = entry.get("link", parent.link if parent else None)
        return Medication(
            id=key.rsplit(".", 1)[-1],
            name=self.text(file, key, entry.get("name"), field="name"),
            say="",  # rendered once the phrasing is loaded (see finish_medicines)
            stop_warning=flags["prescription"],
            group=self.text(file, key, group, field="group"),
            what=self.text(file, key, entry.get("what"), field="what"),
            link=self.text(file, key, link, field="link", optional=True),
            plural=flags["plural"],
        )

    def _load_medicine_answers(self, file: str, key: str, value: Any) -> None:
        self._claim(file, "medicine_answers", key)
        entry = self.mapping(file, key, value)
        allowed = {*medicines.KINDS, medicines.BASE_FIELD}
        if extra := set(entry) - allowed:
            raise self.fail(file, key, f"unknown field(s) {sorted(extra)}")
        templates: dict[str, str] = {}
        for kind, text in entry.items():
            if not isinstance(text, str):
                raise self.fail(file, f"{key}.{kind}", "must be text")
            templates[kind] = " ".join(text.split())
        self.medicine_answers[key] = MappingProxyType(templates)
        self.where[f"medicine-answers-file:{key}"] = file

    def _load_routines(self, file: str, key: str, value: Any) -> None:
        self._claim(file, "routine", key)
        entry = self.mapping(file, key, value)
        raw_steps = entry.get("steps")
        if not isinstance(raw_steps, list) or not raw_steps:
            raise self.fail(file, key, "`steps` must be a non-empty list")
        if extra := set(entry) - {"name", "muscle", "intro", "lead_in", "steps"}:
            raise self.fail(file, key, f"unknown field(s) {sorted(extra)}")
        lead_in = self._lead_in(file, key, entry.get("lead_in", 0))
        steps = tuple(
            self._step(file, f"{key}.steps[{index}]", raw)
            for index, raw in enumerate(raw_steps)
        )
        self.routines[key] = Routine(
            id=key,
            name=self.text(file, key, entry.get("name"), field="name"),
            muscle=self.text(file, key, entry.get("muscle"), field="muscle"),
            intro=self.text(file, key, entry.get("intro"), field="intro", optional=True),
            steps=steps,
            lead_in=lead_in,
        )

    def _lead_in(self, file: str, key: str, value: Any) -> int:
        """A lead-in is one spoken pause, so at most one break (10 s)."""
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
            raise self.fail(file, key, "`lead_in` must be a whole number 0 to 10")
        return value

    def _step(self, file: str, key: str, raw: Any) -> Step:
        entry = self.mapping(file, key, raw)
        if extra := set(entry) - {"say", "hold", "holds", "rest", "pause", "lead_in"}:
            raise self.fail(file, key, f"unknown field(s) {sorted(extra)}")
        hold = entry.get("hold")
        if hold is not None and hold != "setting" and not (
            isinstance(hold, int) and MIN_HOLD_SECONDS <= hold <= MAX_HOLD_SECONDS
        ):
            raise self.fail(
                file, key, f"`hold` must be `setting` or {MIN_HOLD_SECONDS} to {MAX_HOLD_SECONDS}"
            )
        numbers = {}
        for name, low, high in (("holds", 1, 5), ("rest", 0, 10), ("pause", 0, 10)):
            number = entry.get(name, 1 if name == "holds" else 0)
            if not isinstance(number, int) or not low <= number <= high:
                raise self.fail(file, key, f"`{name}` must be a whole number {low} to {high}")
            numbers[name] = number
        if hold is None and (numbers["holds"] != 1 or numbers["rest"]):
            raise self.fail(file, key, "`holds` and `rest` need a `hold`")
        if numbers["holds"] > 1 and not numbers["rest"]:
            raise self.fail(file, key, "several holds need a `rest` between them")
        lead_in = entry.get("lead_in")
        if lead_in is not None:
            if hold is None:
                raise self.fail(file, key, "`lead_in` needs a `hold`")
            lead_in = self._lead_in(file, key, lead_in)
        return Step(
            say=self.text(file, key, entry.get("say"), field="say"),
            hold=hold,
            lead_in=lead_in,
            **numbers,
        )

    def check_links(self) -> None:
        for key, answer in self.answers.items():
            target = answer.yes
            if target is None:
                continue
            file = self.where[f"answer-file:{key}"]
            if target.startswith(ROUTINE_TARGET):
                if target.removeprefix(ROUTINE_TARGET) not in self.routines:
                    raise self.fail(file, key, f"`if_yes` names an unknown routine {target!r}")
            elif target not in self.answers:
                raise self.fail(file, key, f"`if_yes` names an unknown answer {target!r}")


# --- Medicines: phrasing by kind of question ----------------------------------------------------


def _medicine_file(where: Mapping[str, str]) -> str:
    """The file that holds the medicine phrasing (for error messages)."""
    prefixes = ("medicine-answers-file:", "medication-file:")
    return next((file for slot, file in where.items() if slot.startswith(prefixes)), "medications")


def finish_medicines(
    medications: Mapping[str, Medication],
    phrasing: Mapping[str, Mapping[str, str]],
    where: Mapping[str, str],
) -> dict[str, Medication]:
    """Check each group's phrasing and render every medicine's "can it cause cramps?" answer.

    Raises :class:`ContentError` naming the file and the group or medicine.
    """
    file = _medicine_file(where)
    for group, templates in phrasing.items():
        base = templates.get(medicines.BASE_FIELD)
        if base is not None and base not in phrasing:
            raise ContentError(f"{file}: {group}: `base` names an unknown group {base!r}")
        for kind, text in templates.items():
            if kind == medicines.BASE_FIELD:
                continue
            try:
                names = {n for _, n, _, _ in string.Formatter().parse(text) if n is not None}
            except ValueError as error:
                raise ContentError(
                    f"{file}: {group}.{kind}: not a valid template: {error}"
                ) from None
            if unknown := names - medicines.TEMPLATE_FIELDS:
                raise ContentError(
                    f"{file}: {group}.{kind}: unknown placeholder(s) {sorted(unknown)}"
                )
    finished: dict[str, Medication] = {}
    for key, entry in medications.items():
        also = {other: _rendered(file, f"{key}.also.{other}", medicine, phrasing)
                for other, medicine in entry.also.items()}
        finished[key] = _rendered(file, key, entry, phrasing)._replace(
            also=MappingProxyType(also)
        )
    return finished


def _rendered(
    file: str, key: str, medicine: Medication, phrasing: Mapping[str, Mapping[str, str]]
) -> Medication:
    if medicine.group not in phrasing:
        raise ContentError(f"{file}: {key}: `group` {medicine.group!r} has no medicine_answers")
    for kind in medicines.KINDS:
        try:
            medicines.template(phrasing, medicine.group, kind)
        except KeyError:
            raise ContentError(
                f"{file}: {medicine.group}: no `{kind}` answer (needed by {key})"
            ) from None
    say = medicines.render(medicines.template(phrasing, medicine.group, medicines.CAUSE), medicine)
    return medicine._replace(say=say)


_YES_NO = re.compile(r"^\W*(yes|no|yeah|nope)\b", re.IGNORECASE)


def check_medicine_answers(content: Content, where: Mapping[str, str]) -> None:
    """Every medicine answers every kind of question within the limits and safely.

    For each medicine (and ``also`` name) and each kind: at most :data:`MAX_ANSWER_WORDS` words
    counting the "don't stop" phrase the caller adds; short lists; no banned phrase; an opening
    "yes" or "no" only to "can it cause cramps?" and only where something links it to cramps;
    "should I stop it?" always, and "I take it" for a prescription, says not to stop it without
    talking to a doctor or pharmacist.
    """
    file = _medicine_file(where)
    dont_stop = content.phrases.get("dont_stop", "")
    for medicine in medicines.every_medicine(content):
        for kind in medicines.KINDS:
            answer = medicines.answer_for(content, medicine.id, kind)
            name = f"{medicine.group}.{kind} for {medicine.id}"
            spoken = f"{answer.say} {dont_stop}" if answer.stop_warning else answer.say
            if word_count(spoken) > MAX_ANSWER_WORDS:
                raise ContentError(
                    f"{file}: {name}: {word_count(spoken)} words, over {MAX_ANSWER_WORDS}"
                    + (" with the don't-stop phrase" if answer.stop_warning else "")
                )
            _check_spoken(file, name, "answer", answer.say)
            if _YES_NO.match(answer.say) and not (kind == medicines.CAUSE and medicine.link):
                raise ContentError(
                    f"{file}: {name}: opens with yes or no, but does not answer "
                    "\"can it cause cramps?\" for a medicine linked to cramps"
                )
            needs_dont_stop = kind == medicines.STOP or (
                kind == medicines.TAKING and medicine.stop_warning
            )
            if needs_dont_stop and medicines.DONT_STOP_WORDS not in answer.say.lower():
                raise ContentError(
                    f"{file}: {name}: must say not to stop it "
                    f"\"{medicines.DONT_STOP_WORDS}\""
                )


# --- What a listener can hold in mind ------------------------------------------------------------

_CLAUSE_END = re.compile(r"[.;:!?]+(?:\s+|$)|\s+-\s+")
_JOINED = re.compile(r"\b(and|or)\b")


def list_lengths(text: str) -> list[int]:
    """How many parts each clause of ``text`` lists.

    A clause ends at ``. ; : ! ?`` or a spaced dash; its parts are what commas separate, and a
    last part that joins two things with "and" or "or" without a comma ("d and e") counts as two.
    So "Bananas, oranges and milk" lists three, "a, b, c, or d" four. A clause without a comma
    lists one thing.
    """
    lengths = []
    for clause in _CLAUSE_END.split(text):
        parts = [part.strip().lower() for part in clause.split(",") if part.strip()]
        count = len(parts)
        if count >= 2 and not parts[-1].startswith(("and ", "or ")) and _JOINED.search(parts[-1]):
            count += 1
        lengths.append(count)
    return lengths


def _check_spoken(file: str, key: str, field_name: str, text: str) -> None:
    if not text:
        return
    longest = max(list_lengths(text))
    if longest > MAX_LIST_ITEMS:
        raise ContentError(
            f"{file}: {key}: `{field_name}` lists {longest} things; at most {MAX_LIST_ITEMS} "
            "(offer the others with a question)"
        )
    lowered = text.lower()
    for phrase in BANNED_PHRASES:
        if phrase in lowered:
            raise ContentError(f"{file}: {key}: `{field_name}` says {phrase!r}")


def check_spoken_limits(content: Content, where: Mapping[str, str]) -> None:
    """Answers list at most :data:`MAX_LIST_ITEMS` things a sentence and say no banned phrase."""
    for key, answer in content.answers.items():
        file = where.get(f"answer-file:{key}", "answers")
        _check_spoken(file, key, "say", answer.say)
        for name, text in (("ask", answer.ask), ("reprompt", answer.reprompt)):
            for phrase in BANNED_PHRASES:
                if text and phrase in text.lower():
                    raise ContentError(f"{file}: {key}: `{name}` says {phrase!r}")
    for key, text in content.phrases.items():
        file = where.get(f"phrase:{key}", "phrases")
        for phrase in BANNED_PHRASES:
            if phrase in text.lower():
                raise ContentError(f"{file}: {key}: says {phrase!r}")


#: How a question gives example words to say ("For example, ...", "Say ...", "like, ...").
_EXAMPLE = re.compile(r"\b(for example|say|saying|like,)", re.IGNORECASE)


def check_examples(content: Content, where: Mapping[str, str]) -> None:
    """No question gives a medicine's name in its example words.

    A question follows an answer, often about that very medicine ("For example, can Lipitor cause
    cramps?" right after Lipitor), so example wordings in answers (``say``, ``ask``,
    ``reprompt``) and in the ``.ask`` / ``.reprompt`` phrases use no medicine's name.
    """
    names = {m.name.lower() for m in medicines.every_medicine(content)}
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in sorted(names)) + r")\b")
    questions = [
        (where.get(f"answer-file:{key}", "answers"), key, name, text)
        for key, answer in content.answers.items()
        for name, text in (("say", answer.say), ("ask", answer.ask), ("reprompt", answer.reprompt))
    ]
    questions += [
        (where.get(f"phrase:{key}", "phrases"), key, "phrase", text)
        for key, text in content.phrases.items()
        if key.endswith((".ask", ".reprompt"))
    ]
    for file, key, name, text in questions:
        if not text or not names or not _EXAMPLE.search(text):
            continue
        if found := pattern.search(text.lower()):
            raise ContentError(
                f"{file}: {key}: `{name}` offers {found.group(1)!r} as an example; "
                "it may be what was just asked"
            )


def locale_folder(root: Path, locale: str) -> Path:
    """The folder for ``locale``, falling back to the same language, then to en-US."""
    candidates = [locale, locale.split("-")[0]]
    for candidate in candidates:
        if (root / candidate).is_dir():
            return root / candidate
    language = locale.split("-")[0].lower()
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        if folder.is_dir() and folder.name.split("-")[0].lower() == language:
            return folder
    return root / DEFAULT_LOCALE


def overlay_folder(root: Path, locale: str) -> Path | None:
    """``content/<locale>/`` when it exists and is not the base locale's own folder."""
    folder = root / locale
    base = locale_folder(root, DEFAULT_LOCALE)
    return folder if folder.is_dir() and folder.resolve() != base.resolve() else None


def content_locales(root: Path | None = None) -> tuple[str, ...]:
    """Every locale with content of its own (the base locale first), e.g. ``("en-US", "en-GB")``."""
    root = root or default_content_root()
    base = locale_folder(root, DEFAULT_LOCALE).name
    others = sorted(
        p.name for p in root.iterdir() if p.is_dir() and p.name != base and "-" in p.name
    ) if root.is_dir() else []
    return (base, *others)


def _fill_locale_placeholders(checker: _Checker, file_of: Mapping[str, str]) -> None:
    """Put the locale's own words (its emergency number, its quinine warning) into every
    answer, phrase and medicine answer."""
    values: dict[str, str] = {}

    def put(text: str) -> str:
        for placeholder, value in values.items():
            text = text.replace(f"{{{placeholder}}}", value)
        return text

    for placeholder, key in LOCALE_PLACEHOLDERS.items():
        if key not in checker.phrases:
            raise ContentError(f"phrases: {key}: missing (answers say it as {{{placeholder}}})")
        # A locale phrase may say the ones listed before it ({get_help} says the number).
        values[placeholder] = put(checker.phrases[key])

    for key, answer in checker.answers.items():
        checker.answers[key] = answer._replace(
            say=put(answer.say),
            ask=put(answer.ask) if answer.ask else answer.ask,
            reprompt=put(answer.reprompt) if answer.reprompt else answer.reprompt,
        )
        if word_count(fill(checker.answers[key].say, PLACEHOLDERS)) > MAX_ANSWER_WORDS:
            raise ContentError(
                f"{file_of.get(f'answer-file:{key}', 'answers')}: {key}: `say` is over "
                f"{MAX_ANSWER_WORDS} words"
            )
    for key, text in checker.phrases.items():
        checker.phrases[key] = put(text)
    for group, templates in checker.medicine_answers.items():
        checker.medicine_answers[group] = MappingProxyType(
            {kind: put(text) for kind, text in templates.items()}
        )


def load_content(
    root: Path | None = None,
    locale: str = DEFAULT_LOCALE,
    *,
    base: list[tuple[str, dict[str, Any]]] | None = None,
    parsed: Parsed | None = None,
    check: bool = True,
) -> Content:
    """Load and check one locale: the base locale's files with ``content/<locale>/`` over them.

    ``base`` is the base locale's files already read (see :func:`load_all_content`); ``parsed``
    the parsed files (:func:`read_parsed`) to take unchanged files from. ``check=False`` leaves
    out the checks after loading (only for content checked already: see the module notes).
    Raises :class:`ContentError` naming file and key.
    """
    root = root or default_content_root()
    folder = locale_folder(root, DEFAULT_LOCALE)
    if not folder.is_dir():
        raise ContentError(f"{folder}: content folder not found")
    overlay = overlay_folder(root, locale)
    checker = _Checker(folder)
    checker.load(overlay, base, parsed)
    checker.check_links()
    _fill_locale_placeholders(checker, checker.where)
    medications = finish_medicines(checker.medications, checker.medicine_answers, checker.where)
    log.debug("loaded %d answers from %s (over it: %s)", len(checker.answers), folder, overlay)
    content = Content(
        locale=overlay.name if overlay is not None else folder.name,
        answers=MappingProxyType(checker.answers),
        phrases=MappingProxyType(checker.phrases),
        medications=MappingProxyType(medications),
        routines=MappingProxyType(checker.routines),
        medicine_answers=MappingProxyType(checker.medicine_answers),
    )
    if check:
        check_spoken_limits(content, checker.where)
        check_medicine_answers(content, checker.where)
        check_examples(content, checker.where)
    return content


def load_all_content(root: Path | None = None) -> dict[str, Content]:
    """Every locale's content (:func:`content_locales`), each loaded and checked."""
    root = root or default_content_root()
    base = read_folder(locale_folder(root, DEFAULT_LOCALE))
    return {locale: load_content(root, locale, base=base) for locale in content_locales(root)}
