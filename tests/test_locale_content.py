"""Each English locale's content: en-US with the locale's own folder over it.

A locale folder holds only what differs (its emergency number, medicine names sold there), so
a locale says everything en-US says, in its own words where they differ, and never another
country's emergency number.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from skill.content import (
    Content,
    ContentError,
    content_locales,
    load_all_content,
    load_content,
)
from skill.medicines import find
from skill.tools.paths import project_root

CONTENT_ROOT = project_root() / "content"

#: The emergency number each market's listeners must hear (medical-facts.md), as spoken.
EMERGENCY_NUMBERS = {
    "en-US": "nine one one",
    "en-CA": "nine one one",
    "en-GB": "nine nine nine",
    "en-AU": "triple zero",
    "en-IN": "one one two",
}
#: Every way a number might be said or written, to catch one in the wrong country.
SPOKEN_NUMBERS = {
    "nine one one": r"\bnine one one\b|\b911\b",
    "nine nine nine": r"\bnine nine nine\b|\b999\b",
    "triple zero": r"\btriple zero\b|\bzero zero zero\b|\b000\b",
    "one one two": r"\bone one two\b|\b112\b",
}


@pytest.fixture(scope="module")
def contents() -> dict[str, Content]:
    return load_all_content()


def everything_said(content: Content) -> str:
    texts = [*content.phrases.values()]
    for answer in content.answers.values():
        texts += [answer.say, answer.ask or "", answer.reprompt or ""]
    for medicine in content.medications.values():
        texts += [medicine.say, *(m.say for m in medicine.also.values())]
    return " ".join(texts).lower()


def test_every_published_locale_has_content() -> None:
    assert set(content_locales()) == set(EMERGENCY_NUMBERS)


@pytest.mark.parametrize("locale", sorted(EMERGENCY_NUMBERS))
def test_red_flag_answers_name_the_locales_own_number(
    contents: dict[str, Content], locale: str
) -> None:
    content = contents[locale]
    number = EMERGENCY_NUMBERS[locale]
    for key in ("clot", "emergency"):
        assert f"call {number} now" in content.answer(key).say, (locale, key)


@pytest.mark.parametrize("locale", sorted(EMERGENCY_NUMBERS))
def test_no_locale_says_another_countrys_number(
    contents: dict[str, Content], locale: str
) -> None:
    said = everything_said(contents[locale])
    own = EMERGENCY_NUMBERS[locale]
    for number, pattern in SPOKEN_NUMBERS.items():
        if number != own:
            assert not re.search(pattern, said), f"{locale} says {number}"
    assert re.search(SPOKEN_NUMBERS[own], said)


def test_a_locale_says_all_that_en_us_says(contents: dict[str, Content]) -> None:
    base = contents["en-US"]
    for locale, content in contents.items():
        assert content.answers.keys() == base.answers.keys(), locale
        assert content.phrases.keys() == base.phrases.keys(), locale
        assert content.routines == base.routines, locale


def test_medicine_names_sold_there(contents: dict[str, Content]) -> None:
    uk = find(contents["en-GB"], "nurofen")
    assert uk is not None and "ibuprofen" in uk.say.lower()
    assert find(contents["en-US"], "nurofen") is None
    paracetamol = find(contents["en-GB"], "acetaminophen")
    assert paracetamol is not None and paracetamol.name == "paracetamol"
    assert find(contents["en-IN"], "brufen") is not None
    # Everything not given by a locale is en-US's.
    assert contents["en-GB"].answer("heat") == contents["en-US"].answer("heat")


def test_an_unknown_locale_is_spoken_from_en_us() -> None:
    content = load_content(locale="en-NZ")
    assert content.locale == "en-US"
    assert "call nine one one now" in content.answer("emergency").say


def _with_overlay(tmp_path: Path, text: str, locale: str = "en-GB") -> Path:
    root = tmp_path / "content"
    shutil.copytree(CONTENT_ROOT / "en-US", root / "en-US")
    (root / locale).mkdir()
    (root / locale / "x.yaml").write_text(text, encoding="utf-8")
    return root


def test_an_overlay_entry_the_base_lacks_is_an_error(tmp_path: Path) -> None:
    root = _with_overlay(tmp_path, "answers:\n  no_such_answer:\n    say: Hello.\n")
    with pytest.raises(ContentError, match=r"en-GB/x.yaml: answers: no_such_answer"):
        load_content(root, "en-GB")


def test_an_overlay_changes_only_the_fields_it_gives(tmp_path: Path) -> None:
    root = _with_overlay(tmp_path, "answers:\n  heat:\n    say: Warmth can help.\n")
    base, local = load_content(root), load_content(root, "en-GB")
    assert local.answer("heat").say == "Warmth can help."
    assert local.answer("heat").ask == base.answer("heat").ask


def test_an_overlay_is_checked_like_the_base(tmp_path: Path) -> None:
    root = _with_overlay(tmp_path, "answers:\n  heat:\n    say: {long}\n".format(
        long=" ".join(["word"] * 60)
    ))
    with pytest.raises(ContentError, match=r"answers.yaml with en-GB/x.yaml: heat"):
        load_content(root, "en-GB")


def test_an_emergency_number_that_makes_an_answer_too_long_is_an_error(tmp_path: Path) -> None:
    root = _with_overlay(
        tmp_path, "phrases:\n  emergency.number: {n}\n".format(n=" ".join(["one"] * 40))
    )
    with pytest.raises(ContentError, match="over 50 words"):
        load_content(root, "en-GB")


def test_an_answer_needs_the_emergency_phrase(tmp_path: Path) -> None:
    root = _with_overlay(tmp_path, "")
    prompts = root / "en-US" / "prompts.yaml"
    prompts.write_text(
        "\n".join(
            line for line in prompts.read_text(encoding="utf-8").splitlines()
            if not line.strip().startswith("emergency.number:")
        ) + "\n",
        encoding="utf-8",
    )
    with pytest.raises(ContentError, match="emergency.number"):
        load_content(root, "en-GB")
