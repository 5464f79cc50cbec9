"""Checks on the Alexa interaction models (interaction_model/<locale>.json, every locale).

The model is only data, so these tests apply Alexa's rules for samples and slot types, and pin
the intent, slot and slot-value-id names that the handlers and content rely on.
"""

import itertools
import json
import re
from collections import defaultdict

import pytest
from contract import CUSTOM_INTENT_SLOTS, INTENT_SLOTS, SLOT_TYPE_IDS

from skill.tools.model_build import LOCALES
from skill.tools.paths import interaction_model_path

MAIN_INTENTS = (
    "StretchIntent",
    "IdentifyMuscleIntent",
    "CauseIntent",
    "MedicationIntent",
    "ReliefIntent",
    "ExerciseIntent",
    "MassageIntent",
    "HeatIntent",
    "NutritionIntent",
    "HydrationIntent",
    "SleepIntent",
    "DoctorIntent",
)
MIN_MAIN_SAMPLES = 20

# Smaller intents: a command or two phrased several ways.
MIN_OTHER_SAMPLES = {
    "BedtimeRoutineIntent": 15,
    "HoldTimeIntent": 15,
    "NightModeIntent": 12,
    "NormalVoiceIntent": 10,
    "ForgetMeIntent": 10,
}

# Intent -> {slot name: slot type}, and slot type -> value ids: the contract the code reads.
CONTRACT_SLOTS = CUSTOM_INTENT_SLOTS

BUILT_IN_INTENTS = (
    "AMAZON.HelpIntent",
    "AMAZON.StopIntent",
    "AMAZON.CancelIntent",
    "AMAZON.FallbackIntent",
    "AMAZON.NavigateHomeIntent",
    "AMAZON.RepeatIntent",
    "AMAZON.YesIntent",
    "AMAZON.NoIntent",
    "AMAZON.NextIntent",
    "AMAZON.PreviousIntent",
    "AMAZON.StartOverIntent",
    "AMAZON.PauseIntent",
    "AMAZON.ResumeIntent",
)

# Bare words a local sample-matching simulator relies on, one intent each.
BUILT_IN_WORDS = {
    "AMAZON.HelpIntent": ("help", "what can i say"),
    "AMAZON.StopIntent": ("stop", "quit", "exit", "goodbye"),
    "AMAZON.CancelIntent": ("cancel", "never mind"),
    "AMAZON.RepeatIntent": ("repeat", "again", "say that again"),
    "AMAZON.YesIntent": ("sure", "okay", "ready"),
    "AMAZON.NoIntent": ("nope", "no thanks"),
    "AMAZON.NextIntent": ("next", "continue", "keep going"),
    "AMAZON.PreviousIntent": ("go back", "previous"),
    "AMAZON.StartOverIntent": ("start over", "restart"),
    "AMAZON.PauseIntent": ("pause", "hold on"),
    "AMAZON.ResumeIntent": ("resume", "carry on"),
}

CONTRACT_IDS = SLOT_TYPE_IDS

# Words people use for a value, which must resolve to that id.
EXPECTED_SYNONYMS = {
    "MuscleType": {
        "hamstring": ("hamstrings", "back of my thigh", "back", "ham string"),
        "quadriceps": ("quad", "quads", "front of my thigh", "front"),
    },
    "MedicationType": {
        "lipitor": ("atorvastatin",),
        "albuterol": ("ventolin", "proventil"),
        "nsaids": ("an nsaid", "anti inflammatories"),
        "advil": ("an advil",),
        "naproxen": ("naproxen sodium",),
        "quinine": ("quinine pills",),
        "tonic_water": ("tonic",),
        "lasix": ("furosemide",),
        "flexeril": ("cyclobenzaprine",),
    },
    "ConditionType": {
        "parkinsons": ("parkinson's",),
        "thyroid": ("hypothyroidism",),
        "pinched_nerve": ("pinched nerve",),
    },
}

SLOT_REF = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*)\}")
# One word of a sample: letters with inner hyphens, a possessive or contraction apostrophe, or
# an abbreviation spelled as letters with periods ("d. v. t.").
WORD = re.compile(r"^(?:[a-z]+(?:-[a-z]+)*(?:'[a-z]*)?|[a-z]'[a-z]+|[a-z]\.)$")
SLOT_VALUE = re.compile(r"^[a-z][a-z' .-]*[a-z'.]$|^[a-z]$")
INVOCATION = re.compile(r"^[a-z]+(?: [a-z]+)+$")
FORBIDDEN_INVOCATION_WORDS = {
    "alexa",
    "amazon",
    "echo",
    "computer",
    "skill",
    "app",
    "launch",
    "ask",
    "tell",
    "open",
    "start",
    "ziggy",
}


def normalise(text):
    """Collapse whitespace; slot references such as {Muscle} stay as written."""
    return " ".join(text.split())


@pytest.fixture(scope="module", params=LOCALES)
def model(request):
    with interaction_model_path(request.param).open(encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="module")
def language_model(model):
    return model["interactionModel"]["languageModel"]


@pytest.fixture(scope="module")
def intents(language_model):
    return {intent["name"]: intent for intent in language_model["intents"]}


@pytest.fixture(scope="module")
def types(language_model):
    return {t["name"]: t for t in language_model.get("types", [])}


def phrases_of(slot_type):
    """Every value name and synonym of a custom slot type."""
    out = []
    for value in slot_type["values"]:
        out.append(value["name"]["value"])
        out.extend(value["name"].get("synonyms", []))
    return out


def test_model_loads_with_expected_shape(model):
    assert set(model) == {"interactionModel"}, f"unexpected top-level keys: {sorted(model)}"
    assert set(model["interactionModel"]) <= {"languageModel", "_nameFreeInteraction"}
    language_model = model["interactionModel"]["languageModel"]
    assert isinstance(language_model["intents"], list) and language_model["intents"]
    assert isinstance(language_model["types"], list) and language_model["types"]
    for intent in language_model["intents"]:
        assert isinstance(intent.get("name"), str), f"intent without a name: {intent}"
        assert isinstance(intent.get("samples"), list), f"{intent['name']}: samples not a list"
        for slot in intent.get("slots", []):
            assert {"name", "type"} <= set(slot), f"{intent['name']}: malformed slot {slot}"


def test_invocation_name(language_model):
    name = language_model["invocationName"]
    assert name == "cramp helper"
    assert INVOCATION.match(name), f"invocation name {name!r}: lowercase words and spaces only"
    bad = FORBIDDEN_INVOCATION_WORDS & set(name.split())
    assert not bad, f"invocation name {name!r} contains {sorted(bad)}"


def test_intent_names_unique(language_model):
    names = [intent["name"] for intent in language_model["intents"]]
    dupes = sorted(n for n in set(names) if names.count(n) > 1)
    assert not dupes, f"intents declared twice: {dupes}"


def test_contract_names_every_built_in_intent():
    assert set(BUILT_IN_INTENTS) == {n for n in INTENT_SLOTS if n.startswith("AMAZON.")}


@pytest.mark.parametrize("name", BUILT_IN_INTENTS)
def test_built_in_intent_present(intents, name):
    assert name in intents, f"built-in intent {name} is missing"


@pytest.mark.parametrize(("intent_name", "words"), sorted(BUILT_IN_WORDS.items()))
def test_built_in_bare_words(intents, intent_name, words):
    samples = {normalise(s) for s in intents[intent_name]["samples"]}
    missing = [w for w in words if w not in samples]
    assert not missing, f"{intent_name} lacks samples {missing}"


@pytest.mark.parametrize(("intent_name", "slots"), sorted(CONTRACT_SLOTS.items()))
def test_contract_intent_and_slots(intents, intent_name, slots):
    assert intent_name in intents, f"intent {intent_name} is missing"
    declared = {s["name"]: s["type"] for s in intents[intent_name].get("slots", [])}
    assert declared == slots, f"{intent_name}: slots {declared}, expected {slots}"


def test_no_unexpected_custom_intents(intents):
    extra = sorted(n for n in intents if not n.startswith("AMAZON.") and n not in CONTRACT_SLOTS)
    assert not extra, f"intents no handler knows about: {extra}"


def test_sample_characters(intents):
    bad = []
    for name, intent in intents.items():
        for sample in intent["samples"]:
            if sample != sample.strip() or "  " in sample:
                bad.append((name, sample, "stray whitespace"))
                continue
            for word in sample.split():
                if SLOT_REF.fullmatch(word):
                    continue
                if not WORD.match(word):
                    bad.append((name, sample, f"word {word!r}"))
    assert not bad, "samples breaking Alexa's character rules:\n" + "\n".join(
        f"  {n}: {s!r} ({why})" for n, s, why in bad
    )


@pytest.mark.parametrize("intent_name", CONTRACT_SLOTS)
def test_no_duplicate_sample_within_intent(intents, intent_name):
    seen = defaultdict(int)
    for sample in intents[intent_name]["samples"]:
        seen[normalise(sample)] += 1
    dupes = sorted(s for s, n in seen.items() if n > 1)
    assert not dupes, f"{intent_name}: duplicate samples {dupes}"


def test_no_duplicate_sample_within_built_ins(intents):
    problems = []
    for name in BUILT_IN_INTENTS:
        samples = [normalise(s) for s in intents[name]["samples"]]
        problems += [(name, s) for s in sorted(set(samples)) if samples.count(s) > 1]
    assert not problems, f"duplicate samples: {problems}"


def test_no_sample_in_two_intents(intents):
    owners = defaultdict(set)
    for name, intent in intents.items():
        for sample in intent["samples"]:
            owners[normalise(sample)].add(name)
    conflicts = {s: sorted(n) for s, n in owners.items() if len(n) > 1}
    assert not conflicts, "utterance conflicts:\n" + "\n".join(
        f"  {s!r} in {n}" for s, n in sorted(conflicts.items())
    )


def expansions(sample, slot_types, types):
    """The sample with each custom slot replaced by each of its type's phrases."""
    parts = SLOT_REF.split(sample)
    choices = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            choices.append([part])
        elif slot_types.get(part) in types:
            choices.append(phrases_of(types[slot_types[part]]))
        else:  # built-in slot type: keep the reference
            choices.append(["{" + part + "}"])
    for combo in itertools.product(*choices):
        yield normalise("".join(combo))


def test_no_conflict_once_slots_are_filled(intents, types):
    """A sample with its slot filled must not equal what another intent says.

    Catches, for example, "back" as a muscle for "{Muscle}" against "back" for going back, or
    a word that is both a medication and a condition in "can {X} cause cramps".
    """
    owners = defaultdict(set)
    examples = {}
    for name, intent in intents.items():
        slot_types = {s["name"]: s["type"] for s in intent.get("slots", [])}
        for sample in intent["samples"]:
            for phrase in expansions(sample, slot_types, types):
                owners[phrase].add(name)
                examples.setdefault((phrase, name), sample)
    conflicts = {p: sorted(n) for p, n in owners.items() if len(n) > 1}
    assert not conflicts, "phrases two intents claim:\n" + "\n".join(
        f"  {p!r}: " + ", ".join(f"{n} via {examples[(p, n)]!r}" for n in names)
        for p, names in sorted(conflicts.items())
    )


def test_sample_slots_are_declared(intents):
    bad = []
    for name, intent in intents.items():
        declared = {s["name"] for s in intent.get("slots", [])}
        for sample in intent["samples"]:
            refs = SLOT_REF.findall(sample)
            bad += [(name, sample, r) for r in refs if r not in declared]
            if len(refs) != len(set(refs)):
                bad.append((name, sample, "slot used twice"))
            if sample.count("{") != len(refs) or sample.count("}") != len(refs):
                bad.append((name, sample, "malformed braces"))
    assert not bad, "undeclared or malformed slot references:\n" + "\n".join(
        f"  {n}: {s!r} -> {r}" for n, s, r in bad
    )


def test_declared_slots_are_used(intents):
    unused = []
    for name, intent in intents.items():
        used = {r for s in intent["samples"] for r in SLOT_REF.findall(s)}
        unused += [(name, s["name"]) for s in intent.get("slots", []) if s["name"] not in used]
    assert not unused, f"slots declared but in no sample: {unused}"


def test_slot_types_exist(intents, types):
    missing = [
        (name, slot["name"], slot["type"])
        for name, intent in intents.items()
        for slot in intent.get("slots", [])
        if not slot["type"].startswith("AMAZON.") and slot["type"] not in types
    ]
    assert not missing, f"slots of undefined types: {missing}"


def test_custom_types_are_used(intents, types):
    used = {slot["type"] for intent in intents.values() for slot in intent.get("slots", [])}
    unused = sorted(set(types) - used)
    assert not unused, f"slot types no slot uses: {unused}"


@pytest.mark.parametrize("type_name", sorted(CONTRACT_IDS))
def test_slot_type_ids_match_contract(types, type_name):
    assert type_name in types, f"slot type {type_name} is missing"
    ids = [v["id"] for v in types[type_name]["values"]]
    assert len(ids) == len(set(ids)), f"{type_name}: repeated ids {ids}"
    assert set(ids) == CONTRACT_IDS[type_name], (
        f"{type_name}: missing {sorted(CONTRACT_IDS[type_name] - set(ids))}, "
        f"unexpected {sorted(set(ids) - CONTRACT_IDS[type_name])}"
    )


def test_slot_values_well_formed_and_unique(types):
    problems = []
    for type_name, slot_type in types.items():
        owner = {}
        for value in slot_type["values"]:
            name = value.get("name", {})
            if not name.get("value"):
                problems.append(f"{type_name}/{value.get('id')}: no value name")
                continue
            for phrase in [name["value"], *name.get("synonyms", [])]:
                if not SLOT_VALUE.match(phrase) or phrase != normalise(phrase):
                    problems.append(f"{type_name}/{value['id']}: badly formed {phrase!r}")
                key = normalise(phrase).lower()
                if key in owner:
                    problems.append(
                        f"{type_name}: {phrase!r} in both {owner[key]} and {value['id']}"
                    )
                owner[key] = value["id"]
    assert not problems, "slot value problems:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize(
    ("type_name", "value_id", "phrase"),
    [
        (t, i, p)
        for t, by_id in sorted(EXPECTED_SYNONYMS.items())
        for i, phrases in sorted(by_id.items())
        for p in phrases
    ],
)
def test_expected_synonym_resolves(types, type_name, value_id, phrase):
    for value in types[type_name]["values"]:
        if value["id"] == value_id:
            assert phrase in phrases_of({"values": [value]}), (
                f"{type_name}/{value_id} lacks {phrase!r}"
            )
            return
    pytest.fail(f"{type_name} has no value {value_id}")


@pytest.mark.parametrize("intent_name", MAIN_INTENTS)
def test_main_intents_have_enough_samples(intents, intent_name):
    count = len(intents[intent_name]["samples"])
    assert count >= MIN_MAIN_SAMPLES, (
        f"{intent_name} has {count} samples, needs at least {MIN_MAIN_SAMPLES}"
    )


@pytest.mark.parametrize(("intent_name", "minimum"), sorted(MIN_OTHER_SAMPLES.items()))
def test_other_intents_have_enough_samples(intents, intent_name, minimum):
    count = len(intents[intent_name]["samples"])
    assert count >= minimum, f"{intent_name} has {count} samples, needs at least {minimum}"


def test_stretch_accepts_bare_answers(intents):
    """The skill asks "front or back of your thigh?"; a bare answer must reach StretchIntent."""
    samples = {normalise(s) for s in intents["StretchIntent"]["samples"]}
    wanted = ["{Muscle}", "the {Muscle}", "my {Muscle}", "it's my {Muscle}", "in the {Muscle}"]
    missing = [w for w in wanted if normalise(w) not in samples]
    assert not missing, f"StretchIntent lacks bare answers {missing}"


# Alexa's documented bounds on a custom model. Sources:
# - custom slot values: "A skill can have a total of 50,000 custom slot values, totaled across all
#   custom slots used in the interaction model" (Custom Interaction Model Reference,
#   https://developer.amazon.com/docs/custom-skills/custom-interaction-model-reference.html);
# - intents per skill: "Interaction model limits", linked from
#   https://developer.amazon.com/en-US/docs/alexa/custom-skills/create-intents-utterances-and-slots.html
# The characters of one sample or slot value and the size of the whole model are bounded more
# tightly than any figure Amazon gives (Amazon Lex, the same NLU family, allows 500 characters per
# sample and per value: https://docs.aws.amazon.com/lexv2/latest/dg/quotas.html), so a model
# that passes here is not refused for length.
MAX_INTENTS = 250
MAX_SLOT_VALUES_AND_SYNONYMS = 50_000
MAX_SAMPLE_CHARS = 200
MAX_SLOT_VALUE_CHARS = 140
#: The ASK CLI uploads the model as one JSON document; keep it well inside a megabyte.
MAX_MODEL_BYTES = 1_000_000


@pytest.mark.parametrize("locale", LOCALES)
def test_model_file_within_alexa_limits(locale):
    assert interaction_model_path(locale).stat().st_size <= MAX_MODEL_BYTES


def test_model_within_alexa_limits(language_model):
    intents = language_model["intents"]
    assert len(intents) <= MAX_INTENTS
    values = [
        phrase
        for slot_type in language_model.get("types", [])
        for phrase in phrases_of(slot_type)
    ]
    assert len(values) <= MAX_SLOT_VALUES_AND_SYNONYMS
    long_values = [v for v in values if len(v) > MAX_SLOT_VALUE_CHARS]
    assert not long_values, f"slot values over {MAX_SLOT_VALUE_CHARS} characters: {long_values}"
    long_samples = [
        s for intent in intents for s in intent.get("samples", []) if len(s) > MAX_SAMPLE_CHARS
    ]
    assert not long_samples, f"samples over {MAX_SAMPLE_CHARS} characters: {long_samples}"
