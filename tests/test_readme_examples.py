"""Every example the README gives ("Things to say", and the `cramp-helper say` lines) works as
written, matched strict against the committed model and answered by the skill.

"... words" in the README continues the line's "ask cramp helper"; bare words ("the back",
"next") are said inside a session, after "open cramp helper" and "the back" (inside a stretch).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
ONE_SHOT = re.compile(r"^(?:alexa,? )?(?:ask|tell|open) cramp helper\b", re.IGNORECASE)


def readme_examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("### Things to say", 1)[1].split("\n## ", 1)[0]
    examples = re.findall(r'"([^"]+)"', section)
    examples += re.findall(r'cramp-helper say "([^"]+)"', text)
    return [e.replace("... ", "ask cramp helper ") for e in examples]


EXAMPLES = readme_examples()


def test_the_readme_has_examples() -> None:
    assert len(EXAMPLES) >= 20
    assert "ask cramp helper for the bedtime routine" in EXAMPLES


@pytest.mark.parametrize("words", EXAMPLES)
def test_readme_example_is_understood(device: Any, words: str) -> None:
    phone = device()
    phone.strict = True
    if not ONE_SHOT.match(words):
        phone.hear("open cramp helper")
        phone.hear("the back")
    turn = phone.hear(words)
    assert turn.request["request"]["type"] in {"LaunchRequest", "IntentRequest"}
    assert turn.intent != "AMAZON.FallbackIntent", f"{words!r} is not understood"
    assert turn.text, f"{words!r} got no answer"
