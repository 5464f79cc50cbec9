"""The phrasings of how people ask for a stretch, strict through virtual-alexa's own matcher.

The local device (tests/test_phrasings.py) and virtual-alexa match utterances to samples in
their own ways; the committed model must cover these phrasings for both. virtual-alexa fills a
custom slot only with one of the type's values or synonyms, as a real device's strict matching
would; the words heard are resolved to value ids here from the same model. Phrasings with two
slots are left to the local device: virtual-alexa's matcher cannot split two slots side by side
("stretch my quad standing up"), which Alexa's statistical matching can.

Needs Node.js and ``npm ci --prefix tests/virtual_alexa``; skipped without them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest
from test_phrasings import PHRASINGS, Phrasing

from skill.tools.paths import interaction_model_path, project_root

PROJECT = project_root() / "tests" / "virtual_alexa"
NODE = shutil.which("node")
#: The phrasing files run here: how people with a cramp ask for a stretch, name a muscle, a
#: drink, a food, an inhaler or a cause in their own words, ask about ice, or can't stand.
FILES = (
    "stretch.yaml",
    "stretch_everyday.yaml",
    "muscles_everyday.yaml",
    "ice.yaml",
    "drinks_foods.yaml",
    "hydration.yaml",
    "nutrition.yaml",
    "causes_everyday.yaml",
    "inhalers.yaml",
)
MATCH_SECONDS = 120

pytestmark = [
    pytest.mark.skipif(NODE is None, reason="Node.js (node) is not installed"),
    pytest.mark.skipif(
        not (PROJECT / "node_modules" / "virtual-alexa").is_dir(),
        reason="virtual-alexa is not installed: run `npm ci --prefix tests/virtual_alexa`",
    ),
]


def _value_ids() -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """Slot type -> words -> value id, and intent -> slot -> slot type, from the model."""
    model = json.loads(interaction_model_path().read_text(encoding="utf-8"))
    language = model["interactionModel"]["languageModel"]
    ids: dict[str, dict[str, str]] = {}
    for slot_type in language["types"]:
        table = ids.setdefault(slot_type["name"], {})
        for value in slot_type["values"]:
            for words in [value["name"]["value"], *value["name"].get("synonyms", [])]:
                table[words.lower()] = value.get("id") or value["name"]["value"]
    slots = {
        intent["name"]: {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
        for intent in language["intents"]
    }
    return ids, slots


def _match(utterances: list[str]) -> list[dict[str, Any]]:
    done = subprocess.run(
        [str(NODE), str(PROJECT / "match.js")],
        input=json.dumps(utterances),
        capture_output=True,
        text=True,
        timeout=MATCH_SECONDS,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    matched: list[dict[str, Any]] = json.loads(done.stdout)
    return matched


def test_stretch_phrasings_are_matched_strict_by_virtual_alexa() -> None:
    phrasings: list[Phrasing] = [
        p for p in PHRASINGS if p.source in FILES and len(p.slots) < 2
    ]
    assert len(phrasings) >= 300
    ids, slot_types = _value_ids()
    failures = []
    for phrasing, got in zip(phrasings, _match([p.say for p in phrasings]), strict=True):
        heard = {
            name: ids.get(slot_types.get(got["intent"], {}).get(name, ""), {}).get(
                str(words).lower(), f"unresolved {words!r}"
            )
            for name, words in (got["slots"] or {}).items()
            if words is not None
        }
        if got["intent"] != phrasing.intent or heard != phrasing.slots:
            failures.append(
                f"{phrasing.source}: {phrasing.say!r}: {got['intent']} {heard}, "
                f"expected {phrasing.intent} {phrasing.slots}"
            )
    assert not failures, f"{len(failures)} of {len(phrasings)} not matched:\n  " + "\n  ".join(
        failures
    )
