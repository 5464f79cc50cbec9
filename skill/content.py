"""Loading and checking what the skill says (``content/<locale>/*.yaml``).

Content is read once, when the skill is built, and checked thoroughly then: a broken file stops
start-up with an error naming the file and the key, instead of surprising a user at 3 a.m.
"""

from __future__ import annotations

import logging
import os
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from .conversation import ROUTINE_TARGET, Context, read_context

log = logging.getLogger(__name__)

DEFAULT_LOCALE = "en-US"
CONTENT_DIR_ENV = "CRAMP_HELPER_CONTENT"

#: An answer's words, not counting its follow-up question.
MAX_ANSWER_WORDS = 75
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
        "direction": "long",
        "topic": "swimming",
    }
)
_WORD = re.compile(r"[\w']+")
#: libyaml's safe loader where PyYAML was built with it (ten times faster at start-up).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ContentError(ValueError):
    """A content file is missing, unreadable or wrong. The message names file and key."""


@dataclass(frozen=True)
class Answer:
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


@dataclass(frozen=True)
class Medication:
    id: str
    name: str
    say: str
    #: Add "don't stop a prescribed medicine without talking to your doctor or pharmacist".
    stop_warning: bool


@dataclass(frozen=True)
class Step:
    say: str
    #: ``None`` for no hold, ``"setting"`` for the user's hold length, or fixed seconds.
    hold: int | str | None = None
    holds: int = 1
    rest: int = 0
    pause: int = 0
    #: Seconds to get into position before the first hold; ``None`` for the routine's own.
    lead_in: int | None = None


@dataclass(frozen=True)
class Routine:
    id: str
    name: str
    muscle: str
    intro: str
    steps: tuple[Step, ...]
    #: Seconds to get into position between a step's words and its first hold (0 for none).
    lead_in: int = 0


@dataclass(frozen=True)
class Content:
    """Everything the skill says in one locale. Immutable once loaded."""

    locale: str
    answers: Mapping[str, Answer]
    phrases: Mapping[str, str]
    medications: Mapping[str, Medication]
    routines: Mapping[str, Routine]

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


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=_SAFE_LOADER)
    except (OSError, yaml.YAMLError) as error:
        raise ContentError(f"{path.name}: cannot read: {error}") from error
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ContentError(f"{path.name}: the top level must be a mapping")
    return data


class _Checker:
    """Reads one locale's files into :class:`Content`, naming file and key in every error."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.answers: dict[str, Answer] = {}
        self.phrases: dict[str, str] = {}
        self.medications: dict[str, Medication] = {}
        self.routines: dict[str, Routine] = {}
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

    def load(self) -> None:
        files = sorted(self.folder.glob("*.yaml"))
        if not files:
            raise ContentError(f"{self.folder}: no content files")
        for path in files:
            data = _read_yaml(path)
            for section, entries in data.items():
                loader = getattr(self, f"_load_{section}", None)
                if loader is None:
                    raise ContentError(f"{path.name}: unknown section {section!r}")
                for key, value in self.mapping(path.name, section, entries).items():
                    if not isinstance(key, str):
                        raise self.fail(path.name, str(key), "keys must be text")
                    loader(path.name, key, value)

    def _claim(self, file: str, kind: str, key: str) -> None:
        slot = f"{kind}:{key}"
        if slot in self.where:
            raise self.fail(file, key, f"already defined in {self.where[slot]}")
        self.where[slot] = file

    def _load_answers(self, file: str, key: str, value: Any) -> None:
        self._claim(file, "answer", key)
        entry = self.mapping(file, key, value)
        allowed = {"say", "ask", "reprompt", "if_yes", "end", "context"}
        if extra := set(entry) - allowed:
            raise self.fail(file, key, f"unknown field(s) {sorted(extra)}")
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
        )
        self.where[f"answer-file:{key}"] = file

    _load_prompts = _load_answers

    def _load_phrases(self, file: str, key: str, value: Any) -> None:
        self._claim(file, "phrase", key)
        self.phrases[key] = self.text(file, key, value, field="phrase")

    def _load_medications(self, file: str, key: str, value: Any) -> None:
        self._claim(file, "medication", key)
        entry = self.mapping(file, key, value)
        if extra := set(entry) - {"name", "say", "stop_warning"}:
            raise self.fail(file, key, f"unknown field(s) {sorted(extra)}")
        say = self.text(file, key, entry.get("say"), field="say")
        if word_count(say) > MAX_ANSWER_WORDS:
            raise self.fail(file, key, f"`say` is over {MAX_ANSWER_WORDS} words")
        stop_warning = entry.get("stop_warning")
        if not isinstance(stop_warning, bool):
            raise self.fail(file, key, "`stop_warning` must be true or false")
        self.medications[key] = Medication(
            id=key,
            name=self.text(file, key, entry.get("name"), field="name"),
            say=say,
            stop_warning=stop_warning,
        )

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


def load_content(root: Path | None = None, locale: str = DEFAULT_LOCALE) -> Content:
    """Load and check one locale. Raises :class:`ContentError` naming file and key."""
    root = root or default_content_root()
    folder = locale_folder(root, locale)
    if not folder.is_dir():
        raise ContentError(f"{folder}: content folder not found")
    checker = _Checker(folder)
    checker.load()
    checker.check_links()
    log.debug("loaded %d answers from %s", len(checker.answers), folder)
    return Content(
        locale=folder.name,
        answers=MappingProxyType(checker.answers),
        phrases=MappingProxyType(checker.phrases),
        medications=MappingProxyType(checker.medications),
        routines=MappingProxyType(checker.routines),
    )
