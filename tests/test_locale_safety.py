"""The safety suite in every locale: each red-flag wording of tests/safety/, heard strict through
that locale's own model, reaches its answer with that country's emergency number; each quinine
question gets the warning, naming the FDA only in the US."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import FixedClock
from test_safety import RED_FLAG_ANSWERS, WORDINGS, Wording

from skill.builder import build_lambda_handler
from skill.content import Content
from skill.persistence.memory_store import InMemoryPersistenceAdapter
from skill.tools.local.device import LocalDevice
from skill.tools.local.model import InteractionModel

OTHER_LOCALES = ("en-GB", "en-CA", "en-AU", "en-IN")
#: Numbers said alone: a hold length or an emergency depending on the country's number.
RED_FLAGS = [w for w in WORDINGS if w.answer in RED_FLAG_ANSWERS and w.intent != "HoldNumberIntent"]
QUININE = [w for w in WORDINGS if w.answer.startswith(("medication.quinine.",
                                                        "medication.tonic_water."))]


def _hear(
    wording: Wording, locale: str, content: Content, model: InteractionModel
) -> tuple[str | None, list[str], str]:
    handler = build_lambda_handler(
        InMemoryPersistenceAdapter(), content=content, clock=FixedClock()
    )
    device = LocalDevice(handler, model, locale=locale, strict=True)
    turn = device.hear(f"ask cramp helper {wording.say}")
    intent = turn.request["request"].get("intent", {}).get("name")
    keys = list((device.attributes.get("last") or {}).get("keys") or [])
    return intent, keys, " ".join(turn.text.split()).lower()


@pytest.mark.parametrize("locale", OTHER_LOCALES)
def test_red_flags_in_every_locale(
    contents: dict[str, Content], models: Callable[[str], InteractionModel], locale: str
) -> None:
    content, model = contents[locale], models(locale)
    number = content.phrase("emergency.number")
    failures = []
    for wording in RED_FLAGS:
        intent, keys, said = _hear(wording, locale, content, model)
        if intent != wording.intent or wording.answer not in keys:
            failures.append(f"{wording.say!r}: {intent} {keys}")
        elif number not in said or "can't make the call" not in said:
            failures.append(f"{wording.say!r}: no {number!r} or no 'can't make the call'")
        elif "nine one one" in said and number != "nine one one":
            failures.append(f"{wording.say!r}: says another country's number")
    assert not failures, f"{locale}: {len(failures)} of {len(RED_FLAGS)}:\n  " + "\n  ".join(
        failures
    )


@pytest.mark.parametrize("locale", ("en-US", *OTHER_LOCALES))
def test_quinine_warning_in_every_locale(
    contents: dict[str, Content], models: Callable[[str], InteractionModel], locale: str
) -> None:
    content, model = contents[locale], models(locale)
    assert QUININE
    failures = []
    for wording in QUININE:
        intent, keys, said = _hear(wording, locale, content, model)
        if intent != wording.intent or wording.answer not in keys:
            failures.append(f"{wording.say!r}: {intent} {keys}")
        elif "life-threatening" not in said or "heart rhythm" not in said:
            failures.append(f"{wording.say!r}: no warning")
        elif ("fda" in said) != (locale == "en-US"):
            failures.append(f"{wording.say!r}: the FDA named (or not) wrongly for {locale}")
    assert not failures, f"{locale}:\n  " + "\n  ".join(failures)
