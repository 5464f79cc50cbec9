"""The ASK CLI skill package: the manifest's listing and answers, its example phrases, and the
interaction model copy that must not drift from ``interaction_model/``."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from skill.tools.manifest import (
    DISCLAIMER,
    PRIVACY_ANSWERS,
    check_skill_package,
    load_manifest,
    load_model,
    manifest_problems,
    match_example_phrase,
    match_utterance,
    normalise,
    package_model_path,
    split_example_phrase,
    sync_skill_package,
)
from skill.tools.paths import project_root

ROOT = project_root()
LOCALE = "en-US"
#: Per locale, what each example phrase must do, in order: launch, then one-shot requests to
#: these intents (each checked against that locale's own model).
EXPECTED_PHRASE_TARGETS = {
    "en-US": (None, "StretchIntent", "MedicationIntent"),
    "en-CA": (None, "StretchIntent", "CauseIntent"),
    "en-GB": (None, "StretchIntent", "MedicationIntent"),
    "en-AU": (None, "StretchIntent", "DoctorIntent"),
    "en-IN": (None, "StretchIntent", "MedicationIntent"),
}


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return load_manifest(ROOT)["manifest"]


@pytest.fixture(scope="module", params=sorted(EXPECTED_PHRASE_TARGETS))
def locale(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def listing(manifest: dict[str, Any], locale: str) -> dict[str, Any]:
    return manifest["publishingInformation"]["locales"][locale]


@pytest.fixture(scope="module")
def model(locale: str) -> dict[str, Any]:
    return load_model(locale, ROOT)


# --- the listing -----------------------------------------------------------------------------


def test_listing_names_the_skill_and_says_what_it_does(listing: dict[str, Any]) -> None:
    assert listing["name"] == "Cramp Helper"
    assert 20 <= len(listing["summary"]) <= 160
    assert 200 <= len(listing["description"]) <= 4000
    assert "thigh cramp" in listing["description"].lower()


def test_description_carries_the_medical_disclaimer(listing: dict[str, Any]) -> None:
    description = normalise(listing["description"])
    assert normalise(DISCLAIMER) in description
    assert "not a substitute for professional medical advice" in description


def test_listing_makes_no_life_saving_claim(listing: dict[str, Any]) -> None:
    text = json.dumps(listing).lower()
    for claim in ("life-saving", "lifesaving", "life saving", "saves lives", "emergency service"):
        assert claim not in text


def test_keywords_are_a_short_list_of_words(listing: dict[str, Any]) -> None:
    keywords = listing["keywords"]
    assert 3 <= len(keywords) <= 30
    assert all(isinstance(k, str) and k.strip() == k and k for k in keywords)
    assert len(set(keywords)) == len(keywords)


def test_distribution_and_category(manifest: dict[str, Any]) -> None:
    publishing = manifest["publishingInformation"]
    assert publishing["category"] == "HEALTH_AND_FITNESS"
    assert publishing["isAvailableWorldwide"] is False
    assert publishing["distributionCountries"] == ["US", "CA", "GB", "AU", "IN"]
    assert set(publishing["locales"]) == set(EXPECTED_PHRASE_TARGETS)
    assert publishing["testingInstructions"].strip()
    assert manifest["manifestVersion"] == "1.0"


def test_privacy_and_compliance_answers(manifest: dict[str, Any]) -> None:
    privacy = manifest["privacyAndCompliance"]
    for key, answer in PRIVACY_ANSWERS.items():
        assert privacy[key] is answer, key
    assert privacy["usesHealthInfo"] is False
    assert privacy["usesPersonalInfo"] is False


def test_custom_api_is_declared_for_the_deployer_to_fill(manifest: dict[str, Any]) -> None:
    # `ask deploy` writes the Lambda ARN into apis.custom.endpoint after deploying.
    custom = manifest["apis"]["custom"]
    assert isinstance(custom, dict)
    endpoint = custom.get("endpoint", {})
    assert set(endpoint) <= {"uri", "sourceDir", "sslCertificateType"}


def test_can_fulfill_intent_request_is_declared(manifest: dict[str, Any]) -> None:
    assert {"type": "CAN_FULFILL_INTENT_REQUEST"} in manifest["apis"]["custom"]["interfaces"]


@pytest.mark.parametrize(
    ("locale_name", "number"),
    [("en-US", "911"), ("en-CA", "911"), ("en-GB", "999"), ("en-AU", "000"), ("en-IN", "112")],
)
def test_each_description_names_its_own_emergency_number(
    manifest: dict[str, Any], locale_name: str, number: str
) -> None:
    description = manifest["publishingInformation"]["locales"][locale_name]["description"]
    assert f"call {number}" in description
    others = {"911", "999", "000", "112"} - {number}
    assert not any(other in description for other in others)


# --- example phrases -------------------------------------------------------------------------


def test_three_example_phrases_starting_with_alexa(listing: dict[str, Any]) -> None:
    phrases = listing["examplePhrases"]
    assert len(phrases) == 3
    assert len(set(phrases)) == 3
    assert all(p.startswith("Alexa, ") for p in phrases)


def test_first_example_phrase_opens_the_skill(listing: dict[str, Any], model: dict) -> None:
    phrase = listing["examplePhrases"][0]
    invocation = model["interactionModel"]["languageModel"]["invocationName"]
    assert normalise(phrase) == f"alexa open {invocation}"
    assert match_example_phrase(phrase, model) == [
        match_example_phrase("Alexa, open cramp helper", model)[0]
    ]
    assert match_example_phrase(phrase, model)[0].intent is None


@pytest.mark.parametrize("index", [1, 2])
def test_one_shot_example_phrases_reach_their_intent(
    listing: dict[str, Any], model: dict, locale: str, index: int
) -> None:
    phrase = listing["examplePhrases"][index]
    invocation = model["interactionModel"]["languageModel"]["invocationName"]
    assert normalise(phrase).startswith(f"alexa ask {invocation} ")
    matches = match_example_phrase(phrase, model)
    assert matches, f"{phrase!r} matches no sample"
    target = EXPECTED_PHRASE_TARGETS[locale][index]
    assert {m.intent for m in matches} == {target}
    # The sample really is in the model, slot and all.
    intents = model["interactionModel"]["languageModel"]["intents"]
    samples = next(i["samples"] for i in intents if i["name"] == target)
    assert all(m.sample in samples for m in matches)


def test_the_skill_package_passes_its_own_checks() -> None:
    assert check_skill_package(ROOT) == []


# --- the matcher itself ----------------------------------------------------------------------


def test_slot_values_come_from_the_slot_type(model: dict) -> None:
    assert match_utterance("how do i stretch my hamstring", model) == [
        ("StretchIntent", "how do i stretch my {Muscle}")
    ]
    # A synonym counts; a word that is no value of the type does not.
    assert ("StretchIntent", "how do i stretch my {Muscle}") in match_utterance(
        "how do i stretch my back of my thigh", model
    )
    assert match_utterance("how do i stretch my elbow", model) == []


def test_same_shape_samples_are_told_apart_by_slot_type(model: dict) -> None:
    assert {i for i, _ in match_utterance("can lipitor cause cramps", model)} == {
        "MedicationIntent"
    }
    assert {i for i, _ in match_utterance("can pregnancy cause cramps", model)} == {"CauseIntent"}


def test_built_in_slot_types_take_any_words(model: dict) -> None:
    intents = {i for i, _ in match_utterance("hold each stretch for 45 seconds", model)}
    assert intents == {"HoldTimeIntent"}


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("Alexa, open cramp helper", ("launch", "")),
        ("alexa launch Cramp Helper.", ("launch", "")),
        ("Alexa, ask cramp helper what causes cramps?", ("one-shot", "what causes cramps")),
        ("Alexa, ask cramp helper", ("launch", "")),
        ("Alexa, talk to cramp helper", ("launch", "")),
        ("Alexa, load the cramp helper", ("launch", "")),
        ("Alexa, talk to cramp helper about leg cramps", ("one-shot", "about leg cramps")),
        ("Alexa, open cramp helper what causes cramps", None),
        ("open cramp helper", None),
        ("Alexa, open cramp", None),
    ],
)
def test_split_example_phrase(phrase: str, expected: tuple[str, str] | None) -> None:
    assert split_example_phrase(phrase, "cramp helper") == expected


def test_a_connecting_word_after_the_name_is_optional(model: dict) -> None:
    matches = match_example_phrase("Alexa, ask cramp helper for a hamstring stretch", model)
    assert {m.intent for m in matches} == {"StretchIntent"}
    assert match_example_phrase("Alexa, ask cramp helper to dance", model) == []


def test_manifest_problems_are_reported() -> None:
    model = load_model(LOCALE, ROOT)
    data = copy.deepcopy(load_manifest(ROOT))
    manifest = data["manifest"]
    listing = manifest["publishingInformation"]["locales"][LOCALE]
    listing["description"] = "A life-saving guide to cramps."
    listing["examplePhrases"] = [
        "Alexa, ask cramp helper to juggle",
        "Alexa, ask cramp helper to juggle knives",
    ]
    manifest["publishingInformation"]["category"] = "NOVELTY"
    manifest["privacyAndCompliance"]["usesHealthInfo"] = True
    del manifest["apis"]["custom"]
    manifest["publishingInformation"]["distributionCountries"] = ["GB"]
    gb = manifest["publishingInformation"]["locales"]["en-GB"]
    gb["description"] = gb["description"].replace("call 999", "call 911")
    problems = "\n".join(manifest_problems(data, {LOCALE: model, "en-GB": model}))
    for expected in (
        "category",
        "disclaimer",
        "life-saving",
        "2 example phrases",
        "first example phrase",
        "matches no sample",
        "usesHealthInfo",
        "apis.custom",
        "en-US: US is not in distributionCountries",
        "en-GB: the description names 911",
        "en-AU: listed, but there is no interaction model",
    ):
        assert expected in problems
    del data["manifest"]["publishingInformation"]["locales"]["en-AU"]
    data["manifest"]["apis"] = {"custom": {}}
    problems = "\n".join(manifest_problems(data, {LOCALE: model}))
    assert "does not declare CAN_FULFILL_INTENT_REQUEST" in problems


# --- the interaction model copy --------------------------------------------------------------


def test_skill_package_model_is_the_source_model() -> None:
    report = sync_skill_package(ROOT, check=True)
    assert report.in_sync, (
        "skill-package/interactionModels/custom differs from interaction_model/: "
        "run `cramp-helper skill-package` (skill.tools.manifest.sync_skill_package) "
        "and commit the copy"
    )
    copied = json.loads(package_model_path(LOCALE, ROOT).read_text(encoding="utf-8"))
    assert copied == load_model(LOCALE, ROOT)


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """A minimal project tree: the source model and a skill package."""
    (tmp_path / "interaction_model").mkdir()
    shutil.copy(ROOT / "interaction_model" / f"{LOCALE}.json", tmp_path / "interaction_model")
    shutil.copytree(ROOT / "skill-package", tmp_path / "skill-package")
    return tmp_path


def test_sync_rewrites_a_drifted_copy_and_check_only_reports(project: Path) -> None:
    copy_path = package_model_path(LOCALE, project)
    copy_path.write_text('{"interactionModel": {}}', encoding="utf-8")

    checked = sync_skill_package(project, check=True)
    assert not checked.in_sync
    assert checked.updated == (copy_path,)
    assert copy_path.read_text(encoding="utf-8") == '{"interactionModel": {}}'
    assert any("differs" in p for p in check_skill_package(project))

    synced = sync_skill_package(project)
    assert synced.updated == (copy_path,)
    assert copy_path.read_bytes() == (project / "interaction_model" / f"{LOCALE}.json").read_bytes()
    again = sync_skill_package(project)
    assert again.in_sync
    assert again.current == (copy_path,)


def test_sync_creates_a_missing_copy_and_removes_orphans(project: Path) -> None:
    models = project / "skill-package" / "interactionModels" / "custom"
    shutil.rmtree(models)
    models.mkdir(parents=True)
    orphan = models / "de-DE.json"
    orphan.write_text("{}", encoding="utf-8")

    report = sync_skill_package(project)
    assert not report.in_sync
    assert report.extra == (orphan,)
    assert not orphan.exists()
    assert package_model_path(LOCALE, project).is_file()
    assert sync_skill_package(project, check=True).in_sync
