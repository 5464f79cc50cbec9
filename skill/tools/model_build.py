"""The voice model, built from sentence templates: ``interaction_model/<locale>/*.yaml`` -> JSON.

The templates are the only place samples are written. Each YAML file may hold any of:

``expansion_rules``
    ``name: template``: a shared piece of wording, used as ``<name>`` in any sentence.
``slot_types``
    ``TypeName: [{id, value, synonyms}, ...]``: the custom slot types and their words.
``intents``
    ``IntentName: {slots: {SlotName: SlotType}, sentences: [template, ...]}``.
``name_free``
    ``{launch: [phrase, ...], intents: {IntentName: [phrase, ...]}}``: the skill and intent
    launch phrases of Alexa's Name-free Interaction Toolkit (see :func:`name_free_container`).

and ``_common.yaml`` also gives the ``invocation`` name and the ``intent_order`` (intents it
does not list follow, in file order). Alexa ignores the order; the local simulator breaks a tie
between equally good samples by it. Templates use hassil's syntax (Home
Assistant's intent template language): alternatives ``(a|b)``, optional words ``[my]``, rules
``<rule>`` and slots ``{Slot}``. Slots are kept as ``{Slot}`` in the samples; their words live in
the slot type's synonyms.

Every other locale (en-GB, en-CA, en-AU, en-IN: :data:`LOCALES`) is built from the SAME
templates, the base locale's (:data:`DEFAULT_LOCALE`), with its own folder
``interaction_model/<locale>/`` holding only how people there speak differently
(:func:`apply_overrides`): ``slot_synonyms`` (``{Type: {value id: [words]}}``, added to a value
the base has), ``sentences`` (``{Intent: [template]}``, added to an intent the base has),
``expansion_rules`` (new rules for those sentences) and ``name_free`` (added phrases).

:func:`build_model` expands the files (in file-name order, intents in file order) into the JSON
Alexa reads; :func:`write_model` writes ``interaction_model/<locale>.json`` (and
:func:`write_models` every locale's) and, through
:func:`skill.tools.manifest.sync_skill_package`, the ``skill-package/`` copy. The output is
byte-for-byte reproducible: the same templates always give the same file.

hassil is a build-time tool (the ``tools`` extra); the skill never imports this module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from skill.tools.packaging import project_root

DEFAULT_LOCALE = "en-US"
#: Every locale the skill is published in; each has ``interaction_model/<locale>.json``.
LOCALES: tuple[str, ...] = ("en-US", "en-GB", "en-CA", "en-AU", "en-IN")
MODEL_DIR = "interaction_model"
COMMON_FILE = "_common.yaml"
SOURCE_KEYS = frozenset(
    {"language", "invocation", "intent_order", "expansion_rules", "slot_types", "intents",
     "name_free"}
)
#: What a locale's own folder may hold (see :func:`apply_overrides`).
OVERRIDE_KEYS = frozenset({"language", "slot_synonyms", "sentences", "expansion_rules",
                           "name_free"})
#: Skill launch phrases allowed by the Name-free Interaction Toolkit (documented limit).
MAX_SKILL_LAUNCH_PHRASES = 5
_SLOT_REF = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*)\}")


class ModelSourceError(ValueError):
    """A template file that cannot be built into a model; the message names the file."""


@dataclass
class ModelSource:
    """All template files of one locale, merged."""

    invocation: str = ""
    intent_order: list[str] = field(default_factory=list)
    rules: dict[str, str] = field(default_factory=dict)
    slot_types: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: Intent name -> {"slots": {name: type}, "sentences": [template, ...]}, in file order.
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Where each rule, type and intent was written (for error messages).
    origin: dict[str, str] = field(default_factory=dict)
    #: Skill launch phrases (Name-free Interaction), in order.
    launch_phrases: list[str] = field(default_factory=list)
    #: Intent name -> intent launch phrases (Name-free Interaction).
    intent_phrases: dict[str, list[str]] = field(default_factory=dict)


def _read_template_file(path: Path, allowed: frozenset[str]) -> dict[str, Any]:
    where = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ModelSourceError(f"{where}: {error}") from error
    if not isinstance(data, dict) or set(data) - allowed:
        raise ModelSourceError(f"{where}: top-level keys must be among {sorted(allowed)}")
    return data


def _add_name_free(source: ModelSource, raw: Any, where: str) -> None:
    """Add a file's ``name_free`` phrases (fixed words only: no slots, no alternatives)."""
    if raw is None:
        return
    if not isinstance(raw, dict) or set(raw) - {"launch", "intents"}:
        raise ModelSourceError(f"{where}: name_free needs `launch` and/or `intents`")
    phrases = [str(p) for p in raw.get("launch") or []]
    intents = raw.get("intents") or {}
    if not isinstance(intents, dict):
        raise ModelSourceError(f"{where}: name_free.intents must map intent names to phrases")
    for phrase in [*phrases, *(str(p) for ps in intents.values() for p in ps or [])]:
        if not re.fullmatch(r"[a-z' ]+", phrase):
            raise ModelSourceError(
                f"{where}: name-free phrase {phrase!r}: plain lower-case words only (no slots)"
            )
    source.launch_phrases.extend(phrases)
    for name, intent_phrases in intents.items():
        source.intent_phrases.setdefault(str(name), []).extend(
            str(p) for p in intent_phrases or []
        )


def source_dir(locale: str = DEFAULT_LOCALE, root: Path | None = None) -> Path:
    return (root or project_root()) / MODEL_DIR / locale


def model_path(locale: str = DEFAULT_LOCALE, root: Path | None = None) -> Path:
    return (root or project_root()) / MODEL_DIR / f"{locale}.json"


def _merge(source: ModelSource, section: str, name: str, where: str) -> None:
    key = f"{section}:{name}"
    if key in source.origin:
        raise ModelSourceError(f"{where}: {section} {name!r} is already in {source.origin[key]}")
    source.origin[key] = where


def load_source(folder: Path) -> ModelSource:
    """Read every ``*.yaml`` in ``folder`` (sorted by name) into one :class:`ModelSource`.

    Raises :class:`ModelSourceError` for an unknown key, a name given twice, or a bad shape.
    """
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise ModelSourceError(f"no template files in {folder}")
    source = ModelSource()
    for path in files:
        where = path.name
        data = _read_template_file(path, SOURCE_KEYS)
        _add_name_free(source, data.get("name_free"), where)
        if "invocation" in data:
            if source.invocation:
                raise ModelSourceError(f"{where}: the invocation name is given twice")
            source.invocation = str(data["invocation"])
        source.intent_order.extend(str(name) for name in data.get("intent_order") or [])
        for name, template in (data.get("expansion_rules") or {}).items():
            _merge(source, "rule", name, where)
            source.rules[name] = str(template)
        for name, values in (data.get("slot_types") or {}).items():
            _merge(source, "slot type", name, where)
            if not isinstance(values, list) or not all(
                isinstance(v, dict) and v.get("id") and v.get("value") for v in values
            ):
                raise ModelSourceError(f"{where}: slot type {name}: values need id and value")
            source.slot_types[name] = values
        for name, intent in (data.get("intents") or {}).items():
            _merge(source, "intent", name, where)
            intent = intent or {}
            sentences = intent.get("sentences") or []
            if not isinstance(sentences, list):
                raise ModelSourceError(f"{where}: {name}: sentences must be a list")
            source.intents[name] = {
                "slots": dict(intent.get("slots") or {}),
                "sentences": [str(s) for s in sentences],
            }
    if not source.invocation:
        raise ModelSourceError(f"{folder}: no invocation name (put it in {COMMON_FILE})")
    unknown = [name for name in source.intent_order if name not in source.intents]
    if unknown:
        raise ModelSourceError(f"{folder}: intent_order names unknown intents {unknown}")
    rank = {name: index for index, name in enumerate(source.intent_order)}
    order = sorted(source.intents, key=lambda name: rank.get(name, len(rank)))
    source.intents = {name: source.intents[name] for name in order}
    return source


def apply_overrides(source: ModelSource, folder: Path) -> ModelSource:
    """``source`` (the base locale's) with a locale's own words from ``folder`` added.

    Only additions: synonyms for slot values the base has, sentences for intents it has, new
    rules for them, and name-free phrases. Nothing is removed, so every locale understands at
    least what the base does. Raises :class:`ModelSourceError` naming the file.
    """
    for path in sorted(folder.glob("*.yaml")):
        where = f"{folder.name}/{path.name}"
        data = _read_template_file(path, OVERRIDE_KEYS)
        for name, template in (data.get("expansion_rules") or {}).items():
            _merge(source, "rule", name, where)
            source.rules[name] = str(template)
        for type_name, values in (data.get("slot_synonyms") or {}).items():
            if type_name not in source.slot_types or not isinstance(values, dict):
                raise ModelSourceError(f"{where}: slot_synonyms: no slot type {type_name!r}")
            by_id = {str(v["id"]): v for v in source.slot_types[type_name]}
            for value_id, words in values.items():
                if value_id not in by_id:
                    raise ModelSourceError(f"{where}: {type_name} has no value {value_id!r}")
                entry = by_id[value_id] = dict(by_id[value_id])
                known = [str(w) for w in entry.get("synonyms") or []]
                entry["synonyms"] = known + [str(w) for w in words or [] if str(w) not in known]
            source.slot_types[type_name] = [
                by_id[str(v["id"])] for v in source.slot_types[type_name]
            ]
        for intent, sentences in (data.get("sentences") or {}).items():
            if intent not in source.intents:
                raise ModelSourceError(f"{where}: sentences: no intent {intent!r}")
            base = source.intents[intent]
            source.intents[intent] = {
                "slots": base["slots"],
                "sentences": [*base["sentences"], *(str(s) for s in sentences or [])],
            }
        _add_name_free(source, data.get("name_free"), where)
    return source


def load_locale_source(locale: str = DEFAULT_LOCALE, root: Path | None = None) -> ModelSource:
    """The templates of ``locale``: the base locale's, with the locale's own folder added."""
    source = load_source(source_dir(DEFAULT_LOCALE, root))
    if locale == DEFAULT_LOCALE:
        return source
    folder = source_dir(locale, root)
    if not folder.is_dir():
        raise ModelSourceError(f"{folder}: no folder for {locale} (it may be empty of files)")
    return apply_overrides(source, folder)


class _Expander:
    """hassil's parser and sampler, with slots kept as ``{Slot}`` and rules shared."""

    def __init__(self, rules: Mapping[str, str]) -> None:
        try:
            from hassil.parse_expression import parse_sentence
            from hassil.sample import sample_expression
        except ImportError as error:  # pragma: no cover - depends on the install
            raise ModelSourceError(
                "building the model needs hassil: pip install -e '.[tools]'"
            ) from error
        self._parse = parse_sentence
        self._sample = sample_expression
        self._rules = {name: self._parse_checked(text, f"rule <{name}>") for name, text in
                       rules.items()}

    def _parse_checked(self, template: str, where: str) -> Any:
        try:
            return self._parse(template)
        except Exception as error:  # hassil raises several parse error types
            raise ModelSourceError(f"{where}: cannot parse {template!r}: {error}") from error

    def expand(self, template: str, where: str) -> Iterator[str]:
        sentence = self._parse_checked(template, where)
        try:
            for text in self._sample(
                sentence.expression, expansion_rules=self._rules, expand_lists=False
            ):
                yield " ".join(text.split())
        except Exception as error:  # a missing rule, mostly
            raise ModelSourceError(f"{where}: cannot expand {template!r}: {error}") from error


def _slot_type_json(name: str, values: list[dict[str, Any]]) -> dict[str, Any]:
    out = []
    for value in values:
        entry: dict[str, Any] = {"value": str(value["value"])}
        synonyms = [str(s) for s in value.get("synonyms") or []]
        if synonyms:
            entry["synonyms"] = synonyms
        out.append({"id": str(value["id"]), "name": entry})
    return {"name": name, "values": out}


def build_model(source: ModelSource) -> dict[str, Any]:
    """The interaction model JSON (as a dict) that ``source`` describes.

    Samples are the templates' expansions, whitespace folded, each kept once per intent in the
    order first produced. A sentence naming an undeclared slot raises :class:`ModelSourceError`.
    """
    expander = _Expander(source.rules)
    intents: list[dict[str, Any]] = []
    for name, intent in source.intents.items():
        where = source.origin[f"intent:{name}"] + f": {name}"
        slots = intent["slots"]
        samples: list[str] = []
        seen: set[str] = set()
        for template in intent["sentences"]:
            for sample in expander.expand(template, where):
                undeclared = set(_SLOT_REF.findall(sample)) - set(slots)
                if undeclared:
                    raise ModelSourceError(f"{where}: {template!r} uses {sorted(undeclared)}")
                if sample and sample not in seen:
                    seen.add(sample)
                    samples.append(sample)
        entry: dict[str, Any] = {"name": name}
        if slots:
            entry["slots"] = [
                {"name": slot, "type": slot_type, "samples": []}
                for slot, slot_type in slots.items()
            ]
        entry["samples"] = samples
        intents.append(entry)
    types = [_slot_type_json(name, values) for name, values in source.slot_types.items()]
    model: dict[str, Any] = {
        "interactionModel": {
            "languageModel": {
                "invocationName": source.invocation,
                "intents": intents,
                "types": types,
            }
        }
    }
    container = name_free_container(source)
    if container is not None:
        model["interactionModel"]["_nameFreeInteraction"] = container
    return model


def name_free_container(source: ModelSource) -> dict[str, Any] | None:
    """The ``_nameFreeInteraction`` container: skill launch phrases, then intent launch phrases.

    As Amazon documents for the Name-free Interaction Toolkit: a skill launch phrase is an
    ingress point of type ``LAUNCH`` with no name, an intent launch phrase one of type
    ``INTENT`` naming an intent of the model; both ``format: RAW_TEXT`` with the phrase as
    ``value``, no slots, at most :data:`MAX_SKILL_LAUNCH_PHRASES` skill launch phrases.
    ``None`` when the templates give no phrases. Raises :class:`ModelSourceError` for too
    many launch phrases or an intent the model lacks.
    """
    if not source.launch_phrases and not source.intent_phrases:
        return None
    launch = list(dict.fromkeys(source.launch_phrases))
    if len(launch) > MAX_SKILL_LAUNCH_PHRASES:
        raise ModelSourceError(
            f"{len(launch)} skill launch phrases; at most {MAX_SKILL_LAUNCH_PHRASES}"
        )
    points: list[dict[str, Any]] = [
        {"type": "LAUNCH", "format": "RAW_TEXT", "value": phrase} for phrase in launch
    ]
    for intent, phrases in source.intent_phrases.items():
        if intent not in source.intents or intent.startswith("AMAZON."):
            raise ModelSourceError(f"name_free: {intent!r} is not a custom intent of the model")
        points.extend(
            {"type": "INTENT", "name": intent, "format": "RAW_TEXT", "value": phrase}
            for phrase in dict.fromkeys(phrases)
        )
    return {"ingressPoints": points}


def render(model: Mapping[str, Any]) -> str:
    """The model as it is committed: two-space JSON, non-ASCII kept, one final newline.

    A list of plain strings (samples, synonyms) stays on one line: the model is uploaded as one
    document of bounded size, and a line per sample would spend a quarter of it on indentation.
    """
    lines: list[str] = []

    def inline(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {key: inline(item) for key, item in value.items()}
        if isinstance(value, list):
            if value and all(isinstance(item, str) for item in value):
                lines.append(json.dumps(value, ensure_ascii=False))
                return f"\0{len(lines) - 1}\0"
            return [inline(item) for item in value]
        return value

    text = json.dumps(inline(model), indent=2, ensure_ascii=False)
    text = re.sub(r'"\\u0000(\d+)\\u0000"', lambda found: lines[int(found[1])], text)
    return text + "\n"


def generate(locale: str = DEFAULT_LOCALE, root: Path | None = None) -> str:
    """The JSON text the templates of ``locale`` give."""
    return render(build_model(load_locale_source(locale, root)))


@dataclass(frozen=True)
class BuildReport:
    path: Path
    #: True when the committed JSON differed from the templates (rewritten unless checking).
    changed: bool
    samples: int
    checked_only: bool


def write_model(
    locale: str = DEFAULT_LOCALE, root: Path | None = None, *, check: bool = False
) -> BuildReport:
    """Write ``interaction_model/<locale>.json`` from the templates, then the skill package.

    With ``check`` nothing is written; the report says whether the committed file is current.
    """
    from skill.tools.manifest import sync_skill_package

    root = root or project_root()
    text = generate(locale, root)
    path = model_path(locale, root)
    changed = not path.is_file() or path.read_text(encoding="utf-8") != text
    if changed and not check:
        path.write_text(text, encoding="utf-8")
    if not check:
        sync_skill_package(root)
    samples = sum(
        len(intent["samples"])
        for intent in json.loads(text)["interactionModel"]["languageModel"]["intents"]
    )
    return BuildReport(path, changed, samples, checked_only=check)


def model_locales(root: Path | None = None) -> tuple[str, ...]:
    """The locales of :data:`LOCALES` that have templates: the base and each with a folder."""
    return tuple(
        locale for locale in LOCALES
        if locale == DEFAULT_LOCALE or source_dir(locale, root).is_dir()
    )


def write_models(
    root: Path | None = None, *, check: bool = False, locales: tuple[str, ...] | None = None
) -> list[BuildReport]:
    """:func:`write_model` for every locale (:func:`model_locales`), then the skill package.

    Every locale is built before anything is written, so a broken template leaves all files
    as they were.
    """
    from skill.tools.manifest import sync_skill_package

    root = root or project_root()
    texts = {locale: generate(locale, root) for locale in locales or model_locales(root)}
    reports = []
    for locale, text in texts.items():
        path = model_path(locale, root)
        changed = not path.is_file() or path.read_text(encoding="utf-8") != text
        if changed and not check:
            path.write_text(text, encoding="utf-8")
        samples = sum(
            len(intent["samples"])
            for intent in json.loads(text)["interactionModel"]["languageModel"]["intents"]
        )
        reports.append(BuildReport(path, changed, samples, checked_only=check))
    if not check:
        sync_skill_package(root)
    return reports


__all__ = [
    "LOCALES",
    "BuildReport",
    "apply_overrides",
    "load_locale_source",
    "model_locales",
    "name_free_container",
    "write_models",
    "ModelSource",
    "ModelSourceError",
    "build_model",
    "generate",
    "load_source",
    "model_path",
    "render",
    "source_dir",
    "write_model",
]
