"""How people talk to the skill (tests/phrasings/*.yaml), run strict through the local device.

Each phrasing is heard twice: in a session ("open cramp helper", then the words) and one-shot
("ask cramp helper <words>", or its own ``one_shot`` words). Matching is exact against the
committed model of every locale (no approximate match), so these measure its coverage. The request
Alexa would send must carry the expected intent, each expected slot resolved to its value id
(with the words heard, where given), and no other slot filled. A failure names the words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from skill.tools.local.device import LocalDevice
from skill.tools.local.model import InteractionModel, default_model_path
from skill.tools.model_build import LOCALES

PHRASINGS_DIR = Path(__file__).resolve().parent / "phrasings"
MIN_PHRASINGS = 400


@dataclass(frozen=True)
class Phrasing:
    source: str
    intent: str
    say: str
    slots: dict[str, str] = field(default_factory=dict)
    heard: dict[str, str] = field(default_factory=dict)
    one_shot: str = ""

    @property
    def one_shot_words(self) -> str:
        return self.one_shot or f"ask cramp helper {self.say}"


def load_phrasings() -> list[Phrasing]:
    found: list[Phrasing] = []
    for path in sorted(PHRASINGS_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for intent, items in data.items():
            for item in items:
                if isinstance(item, str):
                    found.append(Phrasing(path.name, intent, item))
                    continue
                found.append(
                    Phrasing(
                        path.name,
                        intent,
                        str(item["say"]),
                        {k: str(v) for k, v in (item.get("slots") or {}).items()},
                        {k: str(v) for k, v in (item.get("heard") or {}).items()},
                        str(item.get("one_shot") or ""),
                    )
                )
    return found


PHRASINGS = load_phrasings()


def _listening_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Stands in for the skill: keeps the session open, so every turn is heard in session."""
    return {"version": "1.0", "response": {"shouldEndSession": False}}


@pytest.fixture(scope="module", params=LOCALES)
def model(request: pytest.FixtureRequest) -> InteractionModel:
    """Each locale's model: a locale's own words must not take any phrasing elsewhere."""
    return InteractionModel.load(default_model_path(request.param))


def problems_with(request: dict[str, Any], phrasing: Phrasing) -> list[str]:
    """What the request Alexa would send gets wrong for ``phrasing`` (empty when right)."""
    body = request["request"]
    if body.get("type") != "IntentRequest":
        return [f"sent a {body.get('type')}, not an IntentRequest"]
    intent = body["intent"]
    problems = []
    if intent["name"] != phrasing.intent:
        problems.append(f"intent {intent['name']}, expected {phrasing.intent}")
        return problems
    filled: dict[str, tuple[str | None, str]] = {}
    for name, slot in (intent.get("slots") or {}).items():
        if "value" not in slot:
            continue
        authorities = (slot.get("resolutions") or {}).get("resolutionsPerAuthority") or []
        values = authorities[0].get("values") if authorities else None
        value_id = values[0]["value"]["id"] if values else None
        if not authorities:  # a built-in type: the value itself
            value_id = slot["value"]
        filled[name] = (value_id, slot["value"])
    for name, wanted in phrasing.slots.items():
        got = filled.pop(name, None)
        if got is None:
            problems.append(f"slot {name} empty, expected {wanted}")
        elif got[0] != wanted:
            problems.append(f"slot {name} = {got[0]} (heard {got[1]!r}), expected {wanted}")
        elif name in phrasing.heard and got[1] != phrasing.heard[name]:
            problems.append(f"slot {name} heard {got[1]!r}, expected {phrasing.heard[name]!r}")
    problems.extend(
        f"slot {name} filled with {spoken!r} ({value_id})"
        for name, (value_id, spoken) in filled.items()
    )
    return problems


def test_there_are_enough_phrasings() -> None:
    assert len(PHRASINGS) >= MIN_PHRASINGS
    said = [p.say for p in PHRASINGS]
    repeated = sorted({s for s in said if said.count(s) > 1})
    assert not repeated, f"phrasings written twice: {repeated}"


@pytest.mark.parametrize("form", ["in session", "one-shot"])
def test_phrasings(model: InteractionModel, form: str) -> None:
    """Every phrasing reaches its intent and slot values (all failures listed, by words)."""
    failures = []
    for phrasing in PHRASINGS:
        device = LocalDevice(_listening_handler, model, strict=True)
        if form == "in session":
            device.hear("open cramp helper")
            words = phrasing.say
        else:
            words = phrasing.one_shot_words
        turn = device.hear(words)
        problems = problems_with(turn.request, phrasing)
        if problems:
            failures.append(f"{phrasing.source}: {words!r}: " + "; ".join(problems))
    assert not failures, (
        f"{len(failures)} of {len(PHRASINGS)} phrasings ({form}) not understood:\n  "
        + "\n  ".join(failures)
    )
