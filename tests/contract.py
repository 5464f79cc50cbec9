"""The intent contract (``interaction_model/intents.yaml``), read once for the tests.

``INTENT_SLOTS``: intent name -> {slot name: slot type}, built-in intents included.
``CUSTOM_INTENT_SLOTS``: the same without Alexa's built-ins. ``SLOT_TYPE_IDS``: custom slot
type -> the exact set of value ids the code and content key on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

CONTRACT_PATH = Path(__file__).resolve().parent.parent / "interaction_model" / "intents.yaml"


def _load(path: Path = CONTRACT_PATH) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and set(data) == {"intents", "slot_types"}, path
    return data


_DATA = _load()
INTENT_SLOTS: dict[str, dict[str, str]] = {
    name: dict(slots or {}) for name, slots in _DATA["intents"].items()
}
CUSTOM_INTENT_SLOTS: dict[str, dict[str, str]] = {
    name: slots for name, slots in INTENT_SLOTS.items() if not name.startswith("AMAZON.")
}
SLOT_TYPE_IDS: dict[str, set[str]] = {
    name: set(ids) for name, ids in _DATA["slot_types"].items()
}
