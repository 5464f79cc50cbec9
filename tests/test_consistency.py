"""The interaction model, the handlers and the content agree, and all content fits Alexa's limits.

These fail the suite when one part changes without the others: an intent without a handler, a
slot value without an answer, an answer that no longer renders, a "yes" that leads nowhere.
(The invocation name and the model's own sample rules are checked in test_interaction_model.)
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from contract import INTENT_SLOTS, SLOT_TYPE_IDS

from skill import medicines
from skill.builder import build_lambda_handler
from skill.content import (
    MAX_HOLD_SECONDS,
    MIN_HOLD_SECONDS,
    PLACEHOLDERS,
    Content,
    fill,
)
from skill.conversation import ROUTINE_TARGET
from skill.guide import DEFAULT_ROUTINES, NO_ROUTINE_MUSCLES, SEATED_HAMSTRING
from skill.handlers.routes import ROUTES
from skill.persistence.memory_store import InMemoryPersistenceAdapter
from skill.routine import Settings, step_parts
from skill.speech import (
    MAX_BREAK_SECONDS,
    MAX_RESPONSE_SECONDS,
    MAX_SSML_CHARS,
    Part,
    Pause,
    Speech,
    Voice,
    parse,
    planned_seconds,
)
from skill.tools import envelopes as E
from skill.tools.local.model import InteractionModel, default_model_path
from skill.topics import TOPICS

USER = "amzn1.ask.account.CONSISTENCY"
APP = "amzn1.ask.skill.consistency"


def _envelope(intent: str, slots: dict[str, str] | None = None) -> dict[str, Any]:
    """An IntentRequest with the named slots declared and empty (the values are not sent)."""
    return E.intent(
        intent,
        {name: None for name in (slots or {})},
        user_id=USER,
        application_id=APP,
        attributes={},
        new=False,
        session_id="amzn1.echo-api.session.consistency",
        at=datetime(2024, 1, 1, tzinfo=UTC),
    )

def _type_ids(type_name: str) -> set[str]:
    data = json.loads(default_model_path().read_text(encoding="utf-8"))
    for slot_type in data["interactionModel"]["languageModel"]["types"]:
        if slot_type["name"] == type_name:
            return {value.get("id") or value["name"]["value"] for value in slot_type["values"]}
    raise AssertionError(f"no slot type {type_name} in the model")


# --- Intents and handlers ------------------------------------------------------------------------


def test_every_model_intent_has_its_own_route(model: InteractionModel) -> None:
    unhandled = sorted(intent for intent in model.intent_slots if intent not in ROUTES)
    assert not unhandled, f"intents answered only by the unknown-intent catch-all: {unhandled}"


def test_every_model_intent_is_answered_through_the_lambda_handler(
    model: InteractionModel, content: Content
) -> None:
    handler = build_lambda_handler(InMemoryPersistenceAdapter(), content=content)
    problems = []
    for intent, slots in sorted(model.intent_slots.items()):
        response = handler(_envelope(intent, slots), None)
        body = response.get("response", {})
        keys = response.get("sessionAttributes", {}).get("last", {}).get("keys", [])
        if not (body.get("outputSpeech") or {}).get("ssml"):
            problems.append(f"{intent}: no speech")
        elif keys == ["error"]:
            problems.append(f"{intent}: apologised for an error")
        elif intent != "AMAZON.FallbackIntent" and keys and keys[0].startswith("fallback"):
            problems.append(f"{intent}: answered as a fallback {keys}")
    assert not problems, problems


def test_the_route_table_follows_the_intent_contract() -> None:
    """One route per contract intent; each topic reads a slot its intent has, of its type."""
    assert set(ROUTES) == set(INTENT_SLOTS)
    for intent, topic in TOPICS.items():
        if topic.slot is not None:
            assert topic.slot in INTENT_SLOTS[intent], f"{intent} has no slot {topic.slot}"
    assert set(DEFAULT_ROUTINES) | NO_ROUTINE_MUSCLES == SLOT_TYPE_IDS["MuscleType"]
    assert not set(DEFAULT_ROUTINES) & NO_ROUTINE_MUSCLES


def test_an_intent_without_a_route_is_logged_and_answered_as_a_fallback(
    content: Content, caplog: pytest.LogCaptureFixture
) -> None:
    handler = build_lambda_handler(InMemoryPersistenceAdapter(), content=content)
    with caplog.at_level(logging.WARNING, logger="skill.handlers.routes"):
        response = handler(_envelope("WeatherIntent"), None)
    assert response["sessionAttributes"]["last"]["keys"] == ["fallback"]
    assert "WeatherIntent" in caplog.text


def test_every_handled_intent_is_in_the_model(model: InteractionModel) -> None:
    missing = set(ROUTES) - model.intent_names
    assert not missing, f"handlers for intents the model lacks: {sorted(missing)}"


# --- Slot values and content ---------------------------------------------------------------------


def test_every_medication_slot_value_has_an_answer_and_back(content: Content) -> None:
    ids = _type_ids("MedicationType")
    answered = {medicine.id for medicine in medicines.every_medicine(content)}
    assert ids - answered == set(), "MedicationType ids without an answer"
    assert set(content.medications) - ids == set(), "medications no one can ask about"


def test_every_condition_has_an_answer(content: Content) -> None:
    missing = {i for i in _type_ids("ConditionType") if f"causes.{i}" not in content.answers}
    assert not missing, f"ConditionType ids without causes.<id>: {sorted(missing)}"


def test_every_nutrient_has_an_answer(content: Content) -> None:
    missing = {i for i in _type_ids("NutrientType") if f"nutrition.{i}" not in content.answers}
    assert not missing, f"NutrientType ids without nutrition.<id>: {sorted(missing)}"


def test_every_muscle_has_an_answer_and_a_routine(content: Content) -> None:
    muscles = _type_ids("MuscleType")
    # "My leg muscle" and "the other leg" name no muscle of their own: the general answer.
    named = muscles - {"leg", "other_leg"}
    missing = {i for i in named if f"identify.{i}" not in content.answers}
    assert not missing, f"MuscleType ids without identify.<id>: {sorted(missing)}"
    assert muscles <= set(DEFAULT_ROUTINES) | NO_ROUTINE_MUSCLES, "MuscleType ids without a routine"
    unanswered = {i for i in DEFAULT_ROUTINES if f"identify.{i}" not in content.answers}
    assert not unanswered, f"muscles with a routine but no identify.<id>: {sorted(unanswered)}"
    for routine_id in [*DEFAULT_ROUTINES.values(), SEATED_HAMSTRING]:
        assert routine_id in content.routines


def test_slot_ids_the_guide_reads_by_name(content: Content) -> None:
    """Types the guide routes on by id: every id it knows is in the model, and answered."""
    assert _type_ids("PositionType") == {"lying", "seated", "standing"}
    assert _type_ids("HoldChangeType") == {"longer", "shorter"}
    assert "yoga" in _type_ids("ExerciseType") and "exercise.yoga" in content.answers
    assert "professional" in _type_ids("MassageType")
    assert "massage.professional" in content.answers


def test_every_topic_row_names_content_that_exists(content: Content) -> None:
    """Each key a topic row names is an answer, and its echo fills the unknown answer."""
    problems = []
    for intent, topic in TOPICS.items():
        for key in filter(None, (topic.key, topic.unknown)):
            if key not in content.answers:
                problems.append(f"{intent}: no answer {key!r}")
        if topic.unknown in content.answers:
            words = {topic.echo_as: "xylophone"} if topic.echo_as else {}
            try:
                said = fill(content.answer(topic.unknown).say, words)
            except KeyError as error:
                problems.append(f"{intent}: {topic.unknown!r} needs {error}")
                continue
            if topic.echo_as and "xylophone" not in said:
                problems.append(f"{intent}: {topic.unknown!r} never says the words back")
        if (topic.unknown is None) != (topic.echo_as is None):
            problems.append(f"{intent}: `unknown` and `echo_as` go together")
    assert not problems, problems


def test_every_topic_slot_is_in_the_model(model: InteractionModel) -> None:
    for intent, topic in TOPICS.items():
        assert intent in model.intent_names, intent
        if topic.slot is not None:
            assert topic.slot in model.intent_slots[intent], f"{intent} has no slot {topic.slot}"


def test_every_if_yes_target_exists(content: Content) -> None:
    broken = []
    for key, answer in content.answers.items():
        if answer.yes is None:
            continue
        if answer.yes.startswith(ROUTINE_TARGET):
            if answer.yes.removeprefix(ROUTINE_TARGET) not in content.routines:
                broken.append(f"{key} -> {answer.yes}")
        elif answer.yes not in content.answers:
            broken.append(f"{key} -> {answer.yes}")
    assert not broken, broken


#: Answers whose yes/no question is answered by an action of the skill, not by ``if_yes``.
YES_BY_ACTION = frozenset(
    {
        "launch.resume",  # resume the routine
        "help.resume",  # resume the routine
        "help.routine",  # next step
        "fallback.routine",  # next step
        "routine.next_question",  # next step
        "forget.confirm",  # delete the user's data
    }
)
_YES_NO_QUESTION = re.compile(r"^(Would you like|Shall I|Is there|Ready)\b")


def test_every_yes_no_question_knows_what_yes_does(content: Content) -> None:
    """"Yes" to a yes/no question never gets a generic "what else?" instead of an answer."""
    loose = [
        key
        for key, answer in content.answers.items()
        if answer.ask
        and _YES_NO_QUESTION.match(answer.ask)
        and answer.yes is None
        and key not in YES_BY_ACTION
    ]
    assert not loose, f"yes/no questions without `if_yes`: {loose}"


def test_an_answer_ends_the_session_or_asks(content: Content) -> None:
    """Only goodbyes end the session; every other full answer asks something."""
    for key, answer in content.answers.items():
        if answer.end:
            assert not answer.ask, key
            assert key.startswith("goodbye"), f"{key} ends the session"


def test_medicine_answers_never_say_stop_taking_it(content: Content) -> None:
    """A medicine that can cause cramps always comes with "don't stop it without advice"."""
    dont_stop = content.phrase("dont_stop").lower()
    assert "don't stop a prescribed medicine" in dont_stop
    for medication in content.medications.values():
        if medication.say.startswith("Yes"):
            assert medication.stop_warning, f"{medication.id} can cause cramps but has no warning"


def test_no_promises_that_something_prevents_cramps(content: Content) -> None:
    """Evidence for prevention is limited: "may help", never "will prevent" or "cures"."""
    promise = re.compile(r"\b(will prevent|prevents|guaranteed?|cures?|will stop)\b", re.I)
    texts = [
        (key, text)
        for key, answer in content.answers.items()
        for text in (answer.say, answer.ask or "", answer.reprompt or "")
    ]
    texts += [(f"medications.{m.id}", m.say) for m in content.medications.values()]
    texts += [(f"routines.{r.id}", r.intro) for r in content.routines.values()]
    texts += [
        (f"routines.{r.id}.steps[{i}]", step.say)
        for r in content.routines.values()
        for i, step in enumerate(r.steps)
    ]
    found = [f"{key}: {text!r}" for key, text in texts if promise.search(text)]
    assert not found, found


# --- Everything renders within Alexa's limits ---------------------------------------------------


def _well_formed(ssml: str, where: str) -> None:
    assert len(ssml) < MAX_SSML_CHARS, f"{where}: {len(ssml)} characters"
    segments = parse(ssml)
    for first, second in zip(segments, segments[1:], strict=False):
        assert not (isinstance(first, Pause) and isinstance(second, Pause)), (
            f"{where}: two pauses back to back"
        )
    for segment in segments:
        if isinstance(segment, Pause):
            assert 0 < segment.seconds <= MAX_BREAK_SECONDS, f"{where}: pause {segment.seconds}"
    assert planned_seconds(ssml) <= MAX_RESPONSE_SECONDS, f"{where}: too long"


def _speeches(content: Content) -> Iterator[tuple[str, list[Part]]]:
    """Every response the content can make, as parts, with where it comes from."""
    for key, answer in content.answers.items():
        say = fill(answer.say, PLACEHOLDERS)
        ask = fill(answer.ask, PLACEHOLDERS) if answer.ask else None
        # As said, and after the medicine disclaimer (the longest prefix the guide adds).
        yield f"{key}", [say, *([ask] if ask else [])]
        yield f"{key} (disclaimed)", [content.phrase("disclaimer.medicine"), say, ask or ""]
        if answer.reprompt:
            yield f"{key} reprompt", [fill(answer.reprompt, PLACEHOLDERS)]
    for key in content.phrases:
        yield f"phrase {key}", [content.phrase(key, **PLACEHOLDERS)]
    for medication in content.medications.values():
        parts: list[Part] = [content.phrase("disclaimer.medicine"), medication.say]
        if medication.stop_warning:
            parts.append(content.phrase("dont_stop"))
        yield f"medication {medication.id}", [*parts, content.phrase("medication.ask")]
    question = content.answer("routine.next_question").ask or ""
    for routine in content.routines.values():
        for index in range(len(routine.steps)):
            for hold in (MIN_HOLD_SECONDS, 30, MAX_HOLD_SECONDS):
                for night in (False, True):
                    settings = Settings(hold_seconds=hold, night=night)
                    parts = step_parts(content, routine, index, settings, intro=index == 0)
                    where = f"{routine.id}.steps[{index}] at {hold} s{' night' if night else ''}"
                    yield where, [*parts, question]
                    yield f"{where} resumed", [
                        content.phrase("resume.picking_up"),
                        *step_parts(content, routine, index, settings, intro=False),
                        question,
                    ]


@pytest.mark.parametrize("night", [False, True], ids=["normal", "night"])
def test_all_content_renders_within_limits(content: Content, night: bool) -> None:
    count = 0
    for where, parts in _speeches(content):
        ssml = Speech().extend(parts).ssml(Voice(night=night))
        _well_formed(ssml, where)
        count += 1
    assert count > 200


def test_every_hold_sums_to_the_hold_length(content: Content) -> None:
    for routine in content.routines.values():
        for index, step in enumerate(routine.steps):
            if step.hold is None:
                continue
            for hold in range(MIN_HOLD_SECONDS, MAX_HOLD_SECONDS + 1, 5):
                seconds = hold if step.hold == "setting" else int(step.hold)
                parts = step_parts(content, routine, index, Settings(hold), intro=False)
                pauses = sum(p.seconds for p in parts if isinstance(p, Pause))
                lead_in = routine.lead_in if step.lead_in is None else step.lead_in
                expected = (
                    seconds * step.holds + step.rest * (step.holds - 1) + step.pause + lead_in
                )
                assert pauses == pytest.approx(expected), f"{routine.id}.steps[{index}] at {hold}"
