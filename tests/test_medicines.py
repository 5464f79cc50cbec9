"""Medicine answers by kind of question (skill/medicines.py over content/en-US/medications.yaml).

"Can Lasix cause cramps?", "should I stop Lasix?" and "I take Lasix" are different questions; each
gets an answer that fits, from the same facts.
"""

from __future__ import annotations

import pytest

from skill import medicines
from skill.content import Content
from skill.medicines import CAUSE, HELPS, KINDS, SAFE, STOP, TAKE, TAKING, answer_for

PRESCRIBED = ["lasix", "diuretics", "aricept", "procardia", "albuterol", "laba", "tasmar",
              "statins", "crestor", "lipitor"]
QUININE = ["quinine", "tonic_water", "qualaquin"]
NSAIDS = ["nsaids", "ibuprofen", "advil", "motrin", "naproxen", "aleve", "aspirin"]
NOT_NSAIDS = ["acetaminophen", "tylenol"]
DONT_STOP = "without talking to your doctor or pharmacist"


def every_id(content: Content) -> list[str]:
    return [medicine.id for medicine in medicines.every_medicine(content)]


def test_every_medicine_answers_every_kind(content: Content) -> None:
    ids = every_id(content)
    assert set(PRESCRIBED + QUININE + NSAIDS + NOT_NSAIDS) <= set(ids)
    for medicine_id in ids:
        for kind in KINDS:
            answer = answer_for(content, medicine_id, kind)
            assert answer.say and answer.key == f"medication.{medicine_id}.{kind}"
            assert "the guide" not in answer.say.lower()


def test_yes_only_answers_can_it_cause_cramps(content: Content) -> None:
    for medicine_id in every_id(content):
        for kind in KINDS:
            opening = answer_for(content, medicine_id, kind).say.split()[0].strip(".,").lower()
            if kind != CAUSE:
                assert opening not in {"yes", "no"}, (medicine_id, kind)
    for medicine_id in ["lasix", "aricept", "tasmar", "lipitor"]:
        assert answer_for(content, medicine_id, CAUSE).say.startswith("Yes.")


@pytest.mark.parametrize("medicine_id", PRESCRIBED)
def test_should_i_stop_a_prescription(content: Content, medicine_id: str) -> None:
    answer = answer_for(content, medicine_id, STOP)
    assert answer.say.startswith("Don't stop")
    assert DONT_STOP in answer.say
    assert not answer.stop_warning  # already said: the caller adds nothing


def test_stop_is_answered_safely_for_everything(content: Content) -> None:
    for medicine_id in every_id(content):
        assert DONT_STOP in answer_for(content, medicine_id, STOP).say, medicine_id


@pytest.mark.parametrize("medicine_id", PRESCRIBED)
def test_i_take_a_prescription(content: Content, medicine_id: str) -> None:
    answer = answer_for(content, medicine_id, TAKING)
    assert DONT_STOP in answer.say and "Tell your doctor" in answer.say


def test_should_i_take_lasix_for_cramps(content: Content) -> None:
    answer = answer_for(content, "lasix", TAKE)
    assert answer.say.startswith("Lasix isn't a treatment for cramps.")
    assert "more prone to thigh cramps" in answer.say
    assert answer.stop_warning  # the caller adds "don't stop a prescribed medicine"


def test_names_agree_with_their_verbs(content: Content) -> None:
    assert answer_for(content, "statins", HELPS).say.startswith("Statins aren't")
    assert answer_for(content, "crestor", HELPS).say.startswith("Crestor isn't")
    assert "prescribed them," in answer_for(content, "nsaids", STOP).say
    assert "prescribed it," in answer_for(content, "advil", STOP).say
    assert "They act too slowly" in answer_for(content, "nsaids", TAKE).say
    assert "It acts too slowly" in answer_for(content, "aspirin", TAKE).say


@pytest.mark.parametrize("medicine_id", QUININE)
def test_quinine_is_warned_against_whatever_the_question(
    content: Content, medicine_id: str
) -> None:
    for kind in KINDS:
        say = answer_for(content, medicine_id, kind).say
        assert "heart rhythm problems" in say, kind
        assert "FDA" in say and "life-threatening" in say, kind
        assert not say.lower().startswith(("yes", "no")), kind


def test_quinine_already_taken_is_not_stopped_alone(content: Content) -> None:
    for medicine_id in ["quinine", "qualaquin"]:
        say = answer_for(content, medicine_id, TAKING).say
        assert say.startswith("Please talk to your doctor")
        assert "don't stop it on your own" in say
        assert DONT_STOP in answer_for(content, medicine_id, STOP).say


def test_tonic_water_is_quinine(content: Content) -> None:
    for kind in [CAUSE, TAKE, SAFE, HELPS]:
        say = answer_for(content, "tonic_water", kind).say
        assert "tonic water" in say.lower() and "quinine" in say.lower()
    # What it is first, then the warning: a drink is not a medicine.
    for kind in [CAUSE, HELPS]:
        assert answer_for(content, "tonic_water", kind).say.startswith("Tonic water has")


@pytest.mark.parametrize("medicine_id", NSAIDS + NOT_NSAIDS)
def test_pain_relievers_get_the_relief_answer(content: Content, medicine_id: str) -> None:
    take = answer_for(content, medicine_id, TAKE).say
    assert "over the counter pain reliever" in take
    assert "too slowly to stop a cramp" in take and "soreness after" in take
    helps = answer_for(content, medicine_id, HELPS).say
    assert "too slowly to stop one" in helps
    cause = answer_for(content, medicine_id, CAUSE).say
    assert "among the medicines known to cause cramps" in cause


def test_nsaids_and_acetaminophen_are_told_apart(content: Content) -> None:
    for medicine_id in NSAIDS:
        assert "not an NSAID" not in answer_for(content, medicine_id, SAFE).say
        assert "inflammation" in answer_for(content, medicine_id, SAFE).say
    for medicine_id in NOT_NSAIDS:
        say = answer_for(content, medicine_id, SAFE).say
        assert "pain reliever, but not an NSAID" in say and "inflammation" not in say


def test_the_existing_answer_is_can_it_cause_cramps(content: Content) -> None:
    """The MedicationIntent answer today (``Medication.say``) is the "cause" answer."""
    for entry in content.medications.values():
        assert entry.say == answer_for(content, entry.id, CAUSE).say


def test_brands_and_generics_are_found(content: Content) -> None:
    advil = medicines.find(content, "advil")
    assert advil is not None and advil.group == "relief" and advil.name == "Advil"
    assert medicines.find(content, "lasix") is content.medications["lasix"]
    assert medicines.find(content, "metformin") is None


def test_unknown_medicine_or_kind(content: Content) -> None:
    with pytest.raises(KeyError, match="metformin"):
        answer_for(content, "metformin", CAUSE)
    with pytest.raises(KeyError, match="dose"):
        answer_for(content, "lasix", "dose")
