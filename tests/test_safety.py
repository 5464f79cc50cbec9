"""The safety suite (tests/safety/*.yaml): red flags, quinine and medicine questions.

Each wording is heard strict (exact samples of the committed model, no approximate match) by the
whole skill in three places: one-shot ("ask cramp helper <words>"), right after "open cramp
helper", and in the middle of a hamstring stretch. Each must reach its intent and its answer
(the content key said), and that answer must be safe for its kind:

- a red-flag answer (``clot``, ``emergency``, ``red_flag.*``) names the emergency number, says
  the skill cannot call, and leaves no routine place, in the session or stored;
- a quinine or tonic-water answer carries the FDA warning; to one who takes it, "talk to your
  doctor" and "don't stop it on your own";
- a medicine answer opens with "yes" or "no" only for "can it cause cramps?", and to "should I
  stop it?" about a prescription says not to stop without a doctor or pharmacist.

All failures are listed at once, by words and place.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import FixedClock

from skill import medicines
from skill.builder import build_lambda_handler
from skill.content import Content
from skill.persistence.memory_store import InMemoryPersistenceAdapter
from skill.tools.local.device import LocalDevice, Turn
from skill.tools.local.model import InteractionModel

SAFETY_DIR = Path(__file__).resolve().parent / "safety"
MIN_WORDINGS = 150
RED_FLAG_ANSWERS = (
    "clot", "emergency", "red_flag.long", "red_flag.numb", "red_flag.weak", "red_flag.unclear"
)
QUININE_IDS = ("quinine", "qualaquin", "tonic_water")
CONTEXTS = ("one-shot", "after launch", "mid-routine")
_OPENER = re.compile(r"^(yes|no)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Wording:
    source: str
    intent: str
    say: str
    answer: str


def load_wordings() -> list[Wording]:
    found = []
    for path in sorted(SAFETY_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for intent, items in data.items():
            for item in items:
                found.append(Wording(path.name, intent, str(item["say"]), str(item["answer"])))
    return found


WORDINGS = load_wordings()


def _said(turn: Turn) -> str:
    return " ".join(turn.text.split())


def problems_with(
    wording: Wording,
    turn: Turn,
    device: LocalDevice,
    stored: dict[str, Any] | None,
    content: Content,
) -> list[str]:
    """What the skill's answer to ``wording`` gets wrong (empty when it is right and safe)."""
    body = turn.request["request"]
    intent = body.get("intent", {}).get("name")
    if intent != wording.intent:
        return [f"heard as {intent or body.get('type')}, expected {wording.intent}"]
    last = device.attributes.get("last") or {}
    keys = list(last.get("keys") or [])
    if wording.answer not in keys:
        return [f"answered {keys}, expected {wording.answer}"]
    said = _said(turn)
    lowered = said.lower()
    problems = []
    if wording.answer in RED_FLAG_ANSWERS:
        number = content.phrase("emergency.number")
        if number not in lowered:
            problems.append(f"does not say the emergency number {number!r}")
        if "can't make the call" not in lowered:
            problems.append("does not say it cannot call")
        if device.attributes.get("routine") is not None:
            problems.append("keeps the routine place in the session")
        if stored and stored.get("routine") is not None:
            problems.append("keeps the routine place stored")
    elif wording.answer.startswith("medication."):
        _, medicine_id, kind = wording.answer.split(".")
        answer = medicines.answer_for(content, medicine_id, kind)
        if kind != medicines.CAUSE and _OPENER.match(answer.say):
            problems.append(f"a {kind} answer opens with yes or no: {answer.say[:40]!r}")
        if medicine_id in QUININE_IDS and "fda" not in lowered:
            problems.append("no quinine warning")
        takes_quinine = medicine_id in {"quinine", "qualaquin"} and kind == medicines.TAKING
        if takes_quinine and not (
            "talk to your doctor" in lowered and "don't stop it on your own" in lowered
        ):
            problems.append("does not say to talk to the doctor and not stop on their own")
        entry = medicines.find(content, medicine_id)
        prescribed = entry is not None and entry.stop_warning
        if kind == medicines.STOP and prescribed and medicines.DONT_STOP_WORDS not in lowered:
            problems.append("a prescription's stop answer without the don't-stop warning")
    return problems


@pytest.fixture(scope="module")
def strict_model() -> InteractionModel:
    return InteractionModel.load()


def test_the_suite_is_big_enough() -> None:
    assert len(WORDINGS) >= MIN_WORDINGS
    said = [w.say for w in WORDINGS]
    assert not sorted({s for s in said if said.count(s) > 1}), "wordings written twice"


@pytest.mark.parametrize("context", CONTEXTS)
def test_safety_wordings(strict_model: InteractionModel, content: Content, context: str) -> None:
    """Every wording reaches its safe answer in ``context`` (all failures listed)."""
    failures = []
    for number, wording in enumerate(WORDINGS):
        store = InMemoryPersistenceAdapter()
        handler = build_lambda_handler(store, content=content, clock=FixedClock())
        user = f"amzn1.ask.account.SAFETY{number}"
        device = LocalDevice(handler, strict_model, user_id=user, strict=True)
        say: Callable[[str], Turn] = device.hear
        if context == "one-shot":
            turn = say(f"ask cramp helper {wording.say}")
        else:
            say("open cramp helper")
            if context == "mid-routine":
                say("how do i stretch my hamstring")
                assert device.attributes.get("routine") is not None
            turn = say(wording.say)
        problems = problems_with(wording, turn, device, store.stored(user), content)
        if problems:
            failures.append(f"{wording.source}: {wording.say!r}: " + "; ".join(problems))
    assert not failures, (
        f"{len(failures)} of {len(WORDINGS)} safety wordings ({context}) unsafe:\n  "
        + "\n  ".join(failures)
    )


VIRTUAL_ALEXA = Path(__file__).resolve().parent / "virtual_alexa"
NODE = shutil.which("node")


def virtual_alexa_match(utterances: list[str]) -> list[dict[str, Any]]:
    """Each utterance as virtual-alexa's strict matcher hears it (match_requests.js)."""
    assert NODE is not None
    done = subprocess.run(
        [NODE, str(VIRTUAL_ALEXA / "match_requests.js")],
        input=json.dumps(utterances),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


def expected_slot_id(wording: Wording) -> tuple[str, str] | None:
    """The slot and value id a medicine wording must fill (``None`` for the others)."""
    if wording.answer.startswith("medication."):
        return "Medication", wording.answer.split(".")[1]
    return None


@pytest.mark.skipif(NODE is None, reason="Node.js (node) is not installed")
@pytest.mark.skipif(
    not (VIRTUAL_ALEXA / "node_modules" / "virtual-alexa").is_dir(),
    reason="virtual-alexa is not installed: run `npm ci --prefix tests/virtual_alexa`",
)
def test_safety_wordings_through_virtual_alexa() -> None:
    """virtual-alexa's strict matcher hears every wording, one-shot and in a session, as meant.

    Its matcher is independent of the local one: a wording heard locally but not here means the
    model covers it only by accident of the local matcher.
    """
    utterances = [w.say for w in WORDINGS] + [f"ask cramp helper {w.say}" for w in WORDINGS]
    heard = virtual_alexa_match(utterances)
    failures = []
    for wording, result in zip(WORDINGS + WORDINGS, heard, strict=True):
        if result["intent"] != wording.intent:
            failures.append(f"{result['utterance']!r}: {result['intent']}, not {wording.intent}")
            continue
        slot = expected_slot_id(wording)
        if slot is not None:
            filled = result["slots"].get(slot[0]) or {}
            if filled.get("id") != slot[1]:
                failures.append(f"{result['utterance']!r}: {slot[0]} = {filled}, not {slot[1]}")
    assert not failures, (
        f"{len(failures)} of {len(utterances)} not heard by virtual-alexa:\n  "
        + "\n  ".join(failures)
    )
