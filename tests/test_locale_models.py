"""Every English locale's voice model: built from the en-US templates plus the locale's words.

Each locale's folder (interaction_model/<locale>/) only adds how people there speak ("ring
nine nine nine", "my GP", "Nurofen"); so every locale understands all that en-US does, and its
own words go to the same intents. The name-free container is checked against Amazon's rules.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from skill.tools.local.model import InteractionModel
from skill.tools.manifest import package_model_path
from skill.tools.model_build import (
    DEFAULT_LOCALE,
    LOCALES,
    MAX_SKILL_LAUNCH_PHRASES,
    ModelSourceError,
    generate,
    load_locale_source,
    model_locales,
    model_path,
    source_dir,
)
from skill.tools.paths import interaction_model_path, project_root

ROOT = project_root()
OTHER_LOCALES = [locale for locale in LOCALES if locale != DEFAULT_LOCALE]


def _model(locale: str) -> dict[str, Any]:
    with interaction_model_path(locale).open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


@pytest.fixture(scope="module")
def models() -> dict[str, dict[str, Any]]:
    return {locale: _model(locale) for locale in LOCALES}


@pytest.fixture(scope="module")
def matchers(models: dict[str, dict[str, Any]]) -> dict[str, InteractionModel]:
    return {locale: InteractionModel(model) for locale, model in models.items()}


def test_every_locale_is_built_from_the_templates() -> None:
    assert model_locales(ROOT) == LOCALES
    for locale in LOCALES:
        text = generate(locale, ROOT)
        assert model_path(locale, ROOT).read_text(encoding="utf-8") == text, (
            f"interaction_model/{locale}.json differs from its templates: run `cramp-helper model`"
        )
        assert package_model_path(locale, ROOT).read_text(encoding="utf-8") == text


def _samples(model: dict[str, Any]) -> dict[str, set[str]]:
    return {
        intent["name"]: set(intent["samples"])
        for intent in model["interactionModel"]["languageModel"]["intents"]
    }


@pytest.mark.parametrize("locale", OTHER_LOCALES)
def test_a_locale_understands_all_that_en_us_does(
    models: dict[str, dict[str, Any]], locale: str
) -> None:
    base, local = _samples(models[DEFAULT_LOCALE]), _samples(models[locale])
    assert local.keys() == base.keys()
    for intent, samples in base.items():
        assert samples <= local[intent], (locale, intent)
    base_lm = models[DEFAULT_LOCALE]["interactionModel"]["languageModel"]
    local_lm = models[locale]["interactionModel"]["languageModel"]
    assert local_lm["invocationName"] == base_lm["invocationName"]
    base_ids = {t["name"]: [v["id"] for v in t["values"]] for t in base_lm["types"]}
    assert {t["name"]: [v["id"] for v in t["values"]] for t in local_lm["types"]} == base_ids


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(
    "words",
    [
        "should i ring nine nine nine",
        "should i call triple zero",
        "should i call one one two",
        "should i call nine one one",
    ],
)
def test_every_emergency_number_is_an_emergency_everywhere(
    matchers: dict[str, InteractionModel], locale: str, words: str
) -> None:
    match = matchers[locale].match(words)
    assert match is not None and match.intent == "EmergencyIntent"


@pytest.mark.parametrize(
    ("locale", "words", "intent"),
    [
        ("en-GB", "should i go to a and e", "EmergencyIntent"),
        ("en-GB", "should i see my gp about cramps", "DoctorIntent"),
        ("en-CA", "should i go to emerg", "EmergencyIntent"),
    ],
)
def test_a_locales_own_words_reach_the_intent(
    matchers: dict[str, InteractionModel], locale: str, words: str, intent: str
) -> None:
    match = matchers[locale].match(words)
    assert match is not None and match.intent == intent
    assert matchers[DEFAULT_LOCALE].match(words) is None  # said only there


@pytest.mark.parametrize(("locale", "brand"), [("en-GB", "nurofen"), ("en-AU", "nurofen"),
                                               ("en-IN", "brufen")])
def test_brands_sold_there_resolve_to_their_medicine(
    matchers: dict[str, InteractionModel], locale: str, brand: str
) -> None:
    match = matchers[locale].match(f"can {brand} cause cramps")
    assert match is not None and match.intent == "MedicationIntent"
    slot = match.slots["Medication"]
    assert slot.value is not None and slot.value.id == "nsaids"
    elsewhere = matchers[DEFAULT_LOCALE].match(f"can {brand} cause cramps")
    assert elsewhere is None or elsewhere.slots["Medication"].value is None


# --- Locale folders: only additions, checked ---------------------------------------------------


def _project(tmp_path: Path, override: str) -> Path:
    base = source_dir(DEFAULT_LOCALE, tmp_path)
    base.mkdir(parents=True)
    (base / "_common.yaml").write_text(
        "invocation: cramp helper\n"
        "slot_types:\n  MuscleType:\n  - id: hamstring\n    value: hamstring\n"
        "intents:\n  StretchIntent:\n    slots: {Muscle: MuscleType}\n"
        "    sentences: ['stretch my {Muscle}']\n",
        encoding="utf-8",
    )
    folder = source_dir("en-GB", tmp_path)
    folder.mkdir()
    (folder / "locale.yaml").write_text(override, encoding="utf-8")
    return tmp_path


def test_a_locale_adds_synonyms_and_sentences(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        "slot_synonyms:\n  MuscleType:\n    hamstring: [back of me leg]\n"
        "sentences:\n  StretchIntent: ['give my {Muscle} a stretch']\n",
    )
    source = load_locale_source("en-GB", root)
    assert source.intents["StretchIntent"]["sentences"] == [
        "stretch my {Muscle}", "give my {Muscle} a stretch"
    ]
    assert source.slot_types["MuscleType"][0]["synonyms"] == ["back of me leg"]
    # The base locale is untouched.
    assert "synonyms" not in load_locale_source(DEFAULT_LOCALE, root).slot_types["MuscleType"][0]


@pytest.mark.parametrize(
    ("override", "error"),
    [
        ("sentences:\n  NoSuchIntent: ['hello']\n", "no intent 'NoSuchIntent'"),
        ("slot_synonyms:\n  MuscleType:\n    calf: [lower leg]\n", "no value 'calf'"),
        ("slot_synonyms:\n  NoType:\n    x: [y]\n", "no slot type 'NoType'"),
        ("intents:\n  NewIntent: {sentences: [hi]}\n", "top-level keys"),
        ("name_free:\n  launch: ['stretch my {Muscle}']\n", "no slots"),
    ],
)
def test_a_locale_cannot_change_what_the_base_means(
    tmp_path: Path, override: str, error: str
) -> None:
    root = _project(tmp_path, override)
    with pytest.raises(ModelSourceError, match=error):
        generate("en-GB", root)


# --- Name-free interaction ----------------------------------------------------------------------
#
# Rules from Amazon's "Use the Name-free Interaction Toolkit in SMAPI" (and the CLI page):
#   https://developer.amazon.com/en-US/docs/alexa/custom-skills/using-nfi-toolkit-smapi.html
# - the `_nameFreeInteraction` container sits within the interaction model, holding ingressPoints;
# - a skill launch phrase is type LAUNCH with no name field; up to five of them;
# - an intent launch phrase is type INTENT, `name` an existing intent of the language model;
# - both use format RAW_TEXT with the sample utterance as `value`, which must not contain slots
#   and should be a complete phrase; the toolkit is for en-* locales.

#: The main intents a name-free request should reach: stretch, medicines, causes, red flags.
NAME_FREE_INTENTS = {"StretchIntent", "MedicationIntent", "CauseIntent", "DoctorIntent",
                     "EmergencyIntent"}


@pytest.mark.parametrize("locale", LOCALES)
def test_name_free_container_follows_the_documented_rules(
    models: dict[str, dict[str, Any]], locale: str
) -> None:
    assert locale.startswith("en-")
    model = models[locale]["interactionModel"]
    points = model["_nameFreeInteraction"]["ingressPoints"]
    intents = {i["name"] for i in model["languageModel"]["intents"]}
    launches = [p for p in points if p["type"] == "LAUNCH"]
    assert 1 <= len(launches) <= MAX_SKILL_LAUNCH_PHRASES == 5
    for point in points:
        assert point["type"] in {"LAUNCH", "INTENT"}
        assert point["format"] == "RAW_TEXT"
        value = point["value"]
        assert isinstance(value, str) and len(value.split()) >= 3, point
        assert "{" not in value and "}" not in value, point
        if point["type"] == "LAUNCH":
            assert "name" not in point
        else:
            assert point["name"] in intents and not point["name"].startswith("AMAZON.")
    assert len({p["value"] for p in points}) == len(points)  # no phrase given twice
    assert {p["name"] for p in points if p["type"] == "INTENT"} == NAME_FREE_INTENTS


@pytest.mark.parametrize("locale", LOCALES)
def test_intent_launch_phrases_are_understood_as_their_intent(
    models: dict[str, dict[str, Any]], matchers: dict[str, InteractionModel], locale: str
) -> None:
    points = models[locale]["interactionModel"]["_nameFreeInteraction"]["ingressPoints"]
    for point in points:
        if point["type"] != "INTENT":
            continue
        match = matchers[locale].match(point["value"])
        assert match is not None and match.intent == point["name"], point
        assert match.sample == point["value"], "an intent launch phrase fills no slot"


def test_too_many_skill_launch_phrases_is_an_error(tmp_path: Path) -> None:
    phrases = "".join(f"  - open the cramp guide number {n}\n" for n in "abcdef")
    root = _project(tmp_path, f"name_free:\n  launch:\n{phrases}")
    with pytest.raises(ModelSourceError, match="at most 5"):
        generate("en-GB", root)
