"""The ASK CLI skill package (``skill-package/``): keeping it in step with the source, checking it.

``interaction_model/<locale>.json`` is the one interaction model that is edited; the copy at
``skill-package/interactionModels/custom/<locale>.json`` (which ``ask deploy`` uploads) is written
by :func:`sync_skill_package` and committed, and a test fails when it has drifted.

:func:`check_skill_package` applies the certification checks that can be made offline: the
manifest's required answers, the medical disclaimer, and that every example phrase is a launch
phrase or an utterance the model really understands. Example phrases are read with the same
invocation grammar as the local simulator (:mod:`skill.tools.invocation`).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skill.tools.invocation import parse_invocation, strip_wake_word
from skill.tools.local.model import InteractionModel
from skill.tools.paths import INTERACTION_MODEL_DIR, interaction_model_path, project_root

log = logging.getLogger(__name__)

DEFAULT_LOCALE = "en-US"
MODEL_DIR = INTERACTION_MODEL_DIR
SKILL_PACKAGE_DIR = "skill-package"
SKILL_MANIFEST = "skill.json"
PACKAGE_MODELS_DIR = Path("interactionModels") / "custom"

REQUIRED_CATEGORY = "HEALTH_AND_FITNESS"
DISCLAIMER = "not a substitute for professional medical advice, diagnosis or treatment"
#: Words a health skill's listing must not use about itself.
FORBIDDEN_CLAIMS: tuple[str, ...] = ("life-saving", "lifesaving", "life saving", "saves lives")
#: privacyAndCompliance answers this skill gives (see docs: Deployment conventions).
PRIVACY_ANSWERS: Mapping[str, bool] = {
    "allowsPurchases": False,
    "usesPersonalInfo": False,
    "isChildDirected": False,
    "isExportCompliant": True,
    "containsAds": False,
    "usesHealthInfo": False,
}
EXAMPLE_PHRASE_COUNT = 3
#: The country each published locale is distributed in (``distributionCountries``).
LOCALE_COUNTRIES: Mapping[str, str] = {
    "en-US": "US", "en-CA": "CA", "en-GB": "GB", "en-AU": "AU", "en-IN": "IN",
}
#: Each country's emergency number (medical-facts.md): a listing names its own, never another's.
EMERGENCY_NUMBERS: Mapping[str, str] = {
    "en-US": "911", "en-CA": "911", "en-GB": "999", "en-AU": "000", "en-IN": "112",
}
#: The interface a skill declares to be asked whether it can answer a request (name-free).
CAN_FULFILL_INTERFACE = "CAN_FULFILL_INTENT_REQUEST"

_PUNCTUATION = re.compile(r"[,.?!;:\"]")


@dataclass(frozen=True)
class SyncReport:
    """What :func:`sync_skill_package` found (and, unless only checking, fixed)."""

    #: Copies that were missing or differed from their source: rewritten unless ``checked_only``.
    updated: tuple[Path, ...]
    #: Copies already identical to their source.
    current: tuple[Path, ...]
    #: Models in the skill package with no source model: removed unless ``checked_only``.
    extra: tuple[Path, ...]
    checked_only: bool

    @property
    def in_sync(self) -> bool:
        """True when the skill package held exactly the source models before this call."""
        return not self.updated and not self.extra


@dataclass(frozen=True)
class PhraseMatch:
    """An example phrase understood: a launch (``intent`` None) or an intent via ``sample``."""

    intent: str | None
    sample: str | None
    #: The words after the invocation name (empty for a launch).
    utterance: str


def skill_package_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / SKILL_PACKAGE_DIR


def source_models(root: Path | None = None) -> dict[str, Path]:
    """The edited interaction models, by locale (``interaction_model/<locale>.json``)."""
    folder = (root or project_root()) / MODEL_DIR
    return {path.stem: path for path in sorted(folder.glob("*.json"))}


def package_model_path(locale: str, root: Path | None = None) -> Path:
    return skill_package_dir(root) / PACKAGE_MODELS_DIR / f"{locale}.json"


def sync_skill_package(root: Path | None = None, *, check: bool = False) -> SyncReport:
    """Copy each ``interaction_model/<locale>.json`` into the skill package, byte for byte.

    With ``check``, nothing is written: the report says whether the package is in step.
    """
    root = root or project_root()
    sources = source_models(root)
    if not sources:
        raise FileNotFoundError(f"no interaction models in {root / MODEL_DIR}")
    updated: list[Path] = []
    current: list[Path] = []
    for locale, source in sources.items():
        target = package_model_path(locale, root)
        wanted = source.read_bytes()
        if target.is_file() and target.read_bytes() == wanted:
            current.append(target)
            continue
        updated.append(target)
        if not check:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(wanted)
            log.info("wrote %s from %s", target, source)
    models_dir = skill_package_dir(root) / PACKAGE_MODELS_DIR
    extra = [p for p in sorted(models_dir.glob("*.json")) if p.stem not in sources]
    if not check:
        for path in extra:
            path.unlink()
            log.info("removed %s: no %s/%s", path, MODEL_DIR, path.name)
    return SyncReport(tuple(updated), tuple(current), tuple(extra), checked_only=check)


def load_manifest(root: Path | None = None) -> dict[str, Any]:
    """``skill-package/skill.json`` as a dict (the whole file, ``{"manifest": ...}``)."""
    path = skill_package_dir(root) / SKILL_MANIFEST
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def load_model(locale: str = DEFAULT_LOCALE, root: Path | None = None) -> dict[str, Any]:
    """The source interaction model for ``locale``."""
    path = interaction_model_path(locale, root)
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def normalise(words: str) -> str:
    """Lower case, punctuation other than apostrophes and hyphens dropped, single spaces."""
    return " ".join(_PUNCTUATION.sub(" ", words.lower()).split())


def match_utterance(utterance: str, model: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every (intent, sample) of ``model`` that ``utterance`` fits with its slots resolved.

    Uses the local simulator's matcher, so an example phrase is checked the same way
    ``cramp-helper chat`` understands it.
    """
    return [
        (match.intent, match.sample or "")
        for match in InteractionModel(model).matches(utterance)
    ]


def split_example_phrase(phrase: str, invocation_name: str) -> tuple[str, str] | None:
    """``("launch", "")`` or ``("one-shot", request)``; None if not "Alexa, <phrase> <name> ...".

    Read with :func:`skill.tools.invocation.parse_invocation`; the request keeps a leading
    connecting word ("to", "for", ...), see :func:`match_example_phrase`.
    """
    _, woken = strip_wake_word(phrase)
    invocation = parse_invocation(phrase, invocation_name) if woken else None
    if invocation is None:
        return None
    return ("launch", "") if invocation.is_launch else ("one-shot", invocation.request)


def match_example_phrase(phrase: str, model: Mapping[str, Any]) -> list[PhraseMatch]:
    """How Alexa could understand ``phrase``: a launch, or each (intent, sample) it matches."""
    invocation_name = model["interactionModel"]["languageModel"]["invocationName"]
    _, woken = strip_wake_word(phrase)
    invocation = parse_invocation(phrase, invocation_name) if woken else None
    if invocation is None:
        return []
    if invocation.is_launch:
        return [PhraseMatch(intent=None, sample=None, utterance="")]
    matches: list[PhraseMatch] = []
    for reading in invocation.readings:
        for intent, sample in match_utterance(reading, model):
            match = PhraseMatch(intent=intent, sample=sample, utterance=reading)
            if match not in matches:
                matches.append(match)
    return matches


def example_phrase_problems(manifest: Mapping[str, Any], model: Mapping[str, Any]) -> list[str]:
    """What is wrong with a locale's example phrases (an empty list when nothing is)."""
    problems: list[str] = []
    phrases = list(manifest.get("examplePhrases", []))
    if len(phrases) != EXAMPLE_PHRASE_COUNT:
        problems.append(f"{len(phrases)} example phrases, not {EXAMPLE_PHRASE_COUNT}")
    for index, phrase in enumerate(phrases):
        matches = match_example_phrase(phrase, model)
        if index == 0 and not (len(matches) == 1 and matches[0].intent is None):
            problems.append(f"first example phrase {phrase!r} is not 'Alexa, open <name>'")
        elif not matches:
            problems.append(f"example phrase {phrase!r} matches no sample of the model")
        elif len({m.intent for m in matches}) > 1:
            intents = ", ".join(sorted(str(m.intent) for m in matches))
            problems.append(f"example phrase {phrase!r} matches several intents: {intents}")
    return problems


def manifest_problems(
    data: Mapping[str, Any], models: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """What certification would object to in ``skill.json`` (``data``), given the models."""
    problems: list[str] = []
    manifest = data.get("manifest", {})
    publishing = manifest.get("publishingInformation", {})
    if publishing.get("category") != REQUIRED_CATEGORY:
        problems.append(f"category is {publishing.get('category')!r}, not {REQUIRED_CATEGORY}")
    locales = publishing.get("locales", {})
    problems.extend(
        f"{locale}: listed, but there is no interaction model for it"
        for locale in locales
        if locale not in models
    )
    countries = publishing.get("distributionCountries") or []
    for locale in models:
        country = LOCALE_COUNTRIES.get(locale)
        if country is not None and country not in countries:
            problems.append(f"{locale}: {country} is not in distributionCountries")
    for locale, model in models.items():
        listing = locales.get(locale)
        if listing is None:
            problems.append(f"no publishingInformation for {locale}")
            continue
        for field in ("name", "summary", "description"):
            if not str(listing.get(field, "")).strip():
                problems.append(f"{locale}: {field} is empty")
        if normalise(DISCLAIMER) not in normalise(str(listing.get("description", ""))):
            problems.append(f"{locale}: description lacks the disclaimer {DISCLAIMER!r}")
        listing_text = " ".join(str(v).lower() for v in listing.values())
        problems.extend(
            f"{locale}: the listing says {claim!r}"
            for claim in FORBIDDEN_CLAIMS
            if claim in listing_text
        )
        problems.extend(f"{locale}: {p}" for p in example_phrase_problems(listing, model))
        own = EMERGENCY_NUMBERS.get(locale)
        description = str(listing.get("description", ""))
        problems.extend(
            f"{locale}: the description names {number}, another country's emergency number"
            for number in sorted(set(EMERGENCY_NUMBERS.values()) - {own})
            if re.search(rf"(?<!\d){number}(?!\d)", description)
        )
    privacy = manifest.get("privacyAndCompliance", {})
    for key, answer in PRIVACY_ANSWERS.items():
        if privacy.get(key) is not answer:
            problems.append(f"privacyAndCompliance.{key} is {privacy.get(key)!r}, not {answer}")
    if "custom" not in manifest.get("apis", {}):
        problems.append("apis.custom is missing (the deployer fills in its endpoint)")
    else:
        interfaces = manifest["apis"]["custom"].get("interfaces") or []
        if not any(i.get("type") == CAN_FULFILL_INTERFACE for i in interfaces):
            problems.append(f"apis.custom.interfaces does not declare {CAN_FULFILL_INTERFACE}")
    return problems


def check_skill_package(root: Path | None = None) -> list[str]:
    """Every problem with the skill package: drifted models, then the manifest's."""
    root = root or project_root()
    report = sync_skill_package(root, check=True)
    problems = [
        f"{path} differs from {MODEL_DIR}/{path.name}: run `cramp-helper skill-package`"
        for path in report.updated
    ]
    problems.extend(f"{path} has no source model in {MODEL_DIR}/" for path in report.extra)
    models = {locale: load_model(locale, root) for locale in source_models(root)}
    problems.extend(manifest_problems(load_manifest(root), models))
    return problems


__all__ = [
    "PhraseMatch",
    "SyncReport",
    "check_skill_package",
    "example_phrase_problems",
    "load_manifest",
    "load_model",
    "manifest_problems",
    "match_example_phrase",
    "match_utterance",
    "package_model_path",
    "source_models",
    "split_example_phrase",
    "sync_skill_package",
]
