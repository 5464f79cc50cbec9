"""Loading content: the shipped files load, and a broken file fails naming the file and the key.

Broken content is made by copying ``content/en-US`` to a temporary folder and editing one file.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from skill.content import (
    CONTENT_DIR_ENV,
    MAX_ANSWER_WORDS,
    Content,
    ContentError,
    default_content_root,
    load_content,
    word_count,
)

CONTENT_ROOT = Path(__file__).resolve().parent.parent / "content"

Edit = Callable[[dict[str, Any]], None]


def copy_content(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(CONTENT_ROOT / "en-US", root / "en-US")
    return root


def broken(tmp_path: Path, file: str, edit: Edit) -> Path:
    """A copy of the content with ``edit`` applied to ``file``'s data."""
    root = copy_content(tmp_path)
    path = root / "en-US" / file
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return root


def load_error(root: Path) -> str:
    with pytest.raises(ContentError) as error:
        load_content(root)
    return str(error.value)


# --- The shipped content -------------------------------------------------------------------------


def test_shipped_content_loads(content: Content) -> None:
    assert content.locale == "en-US"
    assert {"launch.first", "help", "fallback", "goodbye", "error"} <= set(content.answers)
    assert {"hamstring_lying", "hamstring_seated", "quadriceps_standing", "bedtime"} <= set(
        content.routines
    )
    assert "lipitor" in content.medications


def test_shipped_answers_are_short(content: Content) -> None:
    for key, answer in content.answers.items():
        assert word_count(answer.say) <= MAX_ANSWER_WORDS, key


def test_text_is_folded_onto_one_line(content: Content) -> None:
    for answer in content.answers.values():
        assert "\n" not in answer.say and "  " not in answer.say


def test_reprompt_defaults_to_the_question(content: Content) -> None:
    massage = content.answer("massage")
    assert massage.ask and massage.reprompt == massage.ask


def test_content_cannot_be_changed(content: Content) -> None:
    with pytest.raises(TypeError):
        content.answers["heat"] = content.answers["massage"]  # type: ignore[index]


def test_unknown_keys_and_missing_values_are_errors(content: Content) -> None:
    with pytest.raises(KeyError, match="no_such_answer"):
        content.answer("no_such_answer")
    with pytest.raises(KeyError, match="no_such_phrase"):
        content.phrase("no_such_phrase")
    with pytest.raises(KeyError):
        content.phrase("cue.left")  # {seconds} without a value is an error, not silence
    assert content.phrase("cue.left", seconds=20) == "20 seconds left."


def test_locale_falls_back_to_en_us(tmp_path: Path) -> None:
    assert load_content(locale="en-GB").locale == "en-US"
    root = copy_content(tmp_path)
    (root / "en-US").rename(root / "en")
    assert load_content(root, "en-AU").locale == "en"


def test_content_folder_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_content(tmp_path)
    monkeypatch.setenv(CONTENT_DIR_ENV, str(root))
    assert default_content_root() == root
    assert load_content().answers.keys() == load_content(CONTENT_ROOT).answers.keys()


# --- Broken content ------------------------------------------------------------------------------


def test_bad_yaml(tmp_path: Path) -> None:
    root = copy_content(tmp_path)
    (root / "en-US" / "answers.yaml").write_text("answers:\n  heat: [unclosed\n", "utf-8")
    message = load_error(root)
    assert message.startswith("answers.yaml: cannot read")


def test_top_level_not_a_mapping(tmp_path: Path) -> None:
    root = copy_content(tmp_path)
    (root / "en-US" / "answers.yaml").write_text("- just\n- a list\n", "utf-8")
    assert "answers.yaml: the top level must be a mapping" in load_error(root)


def test_unknown_section(tmp_path: Path) -> None:
    root = broken(tmp_path, "answers.yaml", lambda d: d.update(jokes={"one": "x"}))
    assert load_error(root) == "answers.yaml: unknown section 'jokes'"


def _set(section: str, key: str, field: str, value: Any) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        data[section][key][field] = value

    return edit


def test_unknown_field(tmp_path: Path) -> None:
    root = broken(tmp_path, "answers.yaml", _set("answers", "heat", "colour", "red"))
    assert load_error(root) == "answers.yaml: heat: unknown field(s) ['colour']"


def test_too_many_words(tmp_path: Path) -> None:
    root = broken(tmp_path, "answers.yaml", _set("answers", "massage", "say", "rub " * 76))
    assert load_error(root) == "answers.yaml: massage: `say` is over 75 words"


def test_too_many_words_in_a_medication(tmp_path: Path) -> None:
    root = broken(tmp_path, "medications.yaml", _set("medications", "lasix", "say", "x " * 80))
    assert load_error(root) == "medications.yaml: lasix: `say` is over 75 words"


def test_unknown_placeholder(tmp_path: Path) -> None:
    root = broken(tmp_path, "prompts.yaml", _set("prompts", "launch", "say", "Hi {name}."))
    message = load_error(root)
    assert message.startswith("prompts.yaml: launch: `say` has unknown placeholder")
    assert "'name'" in message


@pytest.mark.parametrize("text", ["What {now?", "What now}?"])
def test_broken_template(tmp_path: Path, text: str) -> None:
    root = broken(tmp_path, "prompts.yaml", _set("prompts", "help", "ask", text))
    assert load_error(root).startswith("prompts.yaml: help: `ask` is not a valid template")


def test_if_yes_to_nowhere(tmp_path: Path) -> None:
    root = broken(tmp_path, "answers.yaml", _set("answers", "heat", "if_yes", "nowhere"))
    assert load_error(root) == "answers.yaml: heat: `if_yes` names an unknown answer 'nowhere'"


def test_if_yes_to_an_unknown_routine(tmp_path: Path) -> None:
    root = broken(tmp_path, "answers.yaml", _set("answers", "sleep", "if_yes", "routine:nap"))
    assert load_error(root) == (
        "answers.yaml: sleep: `if_yes` names an unknown routine 'routine:nap'"
    )


def test_if_yes_without_a_question(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        del data["answers"]["heat"]["ask"]

    root = broken(tmp_path, "answers.yaml", edit)
    assert load_error(root) == "answers.yaml: heat: `if_yes` needs a question (`ask`) to answer"


def test_a_goodbye_cannot_ask(tmp_path: Path) -> None:
    root = broken(tmp_path, "prompts.yaml", _set("prompts", "goodbye", "ask", "Sure?"))
    assert "prompts.yaml: goodbye: an answer that ends the session cannot ask" in load_error(root)


def test_a_key_defined_twice(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["answers"]["help"] = {"say": "Again.", "ask": "Well?"}

    root = broken(tmp_path, "answers.yaml", edit)
    assert load_error(root) == "prompts.yaml: help: already defined in answers.yaml"


def test_medication_without_stop_warning(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        del data["medications"]["aricept"]["stop_warning"]

    root = broken(tmp_path, "medications.yaml", edit)
    assert load_error(root) == "medications.yaml: aricept: `stop_warning` must be true or false"


def _step(routine: str, index: int, **fields: Any) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        data["routines"][routine]["steps"][index].update(fields)

    return edit


@pytest.mark.parametrize("hold", [5, 9, 61, 90, "long", 12.5])
def test_routine_hold_out_of_range(tmp_path: Path, hold: Any) -> None:
    root = broken(tmp_path, "routines.yaml", _step("hamstring_lying", 0, hold=hold))
    assert load_error(root) == (
        "routines.yaml: hamstring_lying.steps[0]: `hold` must be `setting` or 10 to 60"
    )


def test_routine_holds_need_a_rest(tmp_path: Path) -> None:
    root = broken(tmp_path, "routines.yaml", _step("quadriceps_standing", 1, holds=2))
    assert load_error(root) == (
        "routines.yaml: quadriceps_standing.steps[1]: several holds need a `rest` between them"
    )


def test_routine_pause_too_long(tmp_path: Path) -> None:
    root = broken(tmp_path, "routines.yaml", _step("bedtime", 2, pause=11))
    assert load_error(root) == (
        "routines.yaml: bedtime.steps[2]: `pause` must be a whole number 0 to 10"
    )


def test_routine_step_unknown_field(tmp_path: Path) -> None:
    root = broken(tmp_path, "routines.yaml", _step("bedtime", 0, music="calm"))
    assert load_error(root) == "routines.yaml: bedtime.steps[0]: unknown field(s) ['music']"


def test_routine_without_steps(tmp_path: Path) -> None:
    root = broken(tmp_path, "routines.yaml", _set("routines", "bedtime", "steps", []))
    assert load_error(root) == "routines.yaml: bedtime: `steps` must be a non-empty list"


def test_missing_and_empty_folders(tmp_path: Path) -> None:
    assert "content folder not found" in load_error(tmp_path / "nowhere")
    (tmp_path / "empty" / "en-US").mkdir(parents=True)
    assert "no content files" in load_error(tmp_path / "empty")
