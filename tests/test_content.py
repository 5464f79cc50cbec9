"""Loading content: the shipped files load, and a broken file fails naming the file and the key.

Broken content is made by copying ``content/en-US`` to a temporary folder and editing one file.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from skill.builder import content_on_demand
from skill.content import (
    CONTENT_DIR_ENV,
    MAX_ANSWER_WORDS,
    MAX_LIST_ITEMS,
    PARSED_FILE,
    Content,
    ContentError,
    ParsedContent,
    default_content_root,
    list_lengths,
    load_content,
    read_parsed,
    word_count,
)
from skill.tools.packaging import PackagingError, write_parsed_content
from skill.tools.paths import project_root

CONTENT_ROOT = project_root() / "content"

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
    assert load_content(locale="fr-FR").locale == "en-US"
    assert load_content(locale="en-GB").locale == "en-GB"
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


# --- Parsed content (the Lambda bundle's) --------------------------------------------------------


def test_parsed_files_are_what_the_yaml_says(tmp_path: Path) -> None:
    root = tmp_path / "content"
    shutil.copytree(CONTENT_ROOT, root)
    (root / PARSED_FILE).unlink()
    assert write_parsed_content(root) == (len(list(root.glob("*/*.yaml"))), True)
    assert write_parsed_content(root, check=True) == (len(list(root.glob("*/*.yaml"))), False)
    parsed = read_parsed(root)
    assert parsed.checked and parsed.unchanged(root)
    for locale in ("en-US", "en-GB"):
        assert load_content(root, locale, parsed=parsed.files) == load_content(root, locale)


def test_committed_parsed_content_is_what_the_yaml_gives() -> None:
    # A checkout then starts as the bundle does: no YAML parser, no checks at a cold start.
    count, changed = write_parsed_content(CONTENT_ROOT, check=True)
    assert not changed, f"{PARSED_FILE} differs from the YAML: run `cramp-helper content`"
    assert count == len(list(CONTENT_ROOT.glob("*/*.yaml")))
    assert read_parsed(CONTENT_ROOT).unchanged(CONTENT_ROOT)


def test_a_file_changed_after_parsing_is_read_from_its_yaml(tmp_path: Path) -> None:
    root = copy_content(tmp_path)
    write_parsed_content(root)
    path = root / "en-US" / "answers.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["answers"]["heat"]["say"] = "Warmth can help a tight muscle relax."
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    assert not read_parsed(root).unchanged(root)  # so everything is checked again
    content = load_content(root, parsed=read_parsed(root).files)
    assert content.answer("heat").say == "Warmth can help a tight muscle relax."


def test_unreadable_parsed_files_fall_back_to_the_yaml(tmp_path: Path) -> None:
    root = copy_content(tmp_path)
    (root / PARSED_FILE).write_text("{not json", encoding="utf-8")
    assert read_parsed(root) == ParsedContent()
    assert load_content(root, parsed=read_parsed(root).files) == load_content(root)


def test_broken_content_is_never_packaged(tmp_path: Path) -> None:
    root = broken(tmp_path, "answers.yaml", lambda d: d["answers"]["heat"].update(say="x " * 60))
    with pytest.raises(PackagingError, match="content for en-US is broken"):
        write_parsed_content(root)
    assert not (root / PARSED_FILE).exists()


def test_checked_parsed_content_is_not_checked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_content(tmp_path)
    write_parsed_content(root)
    # Stand-in for the checks: words the packaging's checks would have refused.
    stored = json.loads((root / PARSED_FILE).read_text(encoding="utf-8"))
    answers = json.loads(stored["files"]["en-US/answers.yaml"]["json"])
    answers["answers"]["heat"]["say"] = "Warmth helps, says the guide."
    stored["files"]["en-US/answers.yaml"]["json"] = json.dumps(answers)
    (root / PARSED_FILE).write_text(json.dumps(stored), encoding="utf-8")
    monkeypatch.setenv(CONTENT_DIR_ENV, str(root))
    assert content_on_demand()["en-US"].answer("heat").say == "Warmth helps, says the guide."

    stored["checked"] = False
    (root / PARSED_FILE).write_text(json.dumps(stored), encoding="utf-8")
    with pytest.raises(ContentError, match="the guide"):
        content_on_demand()["en-US"]


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
    too_long = "rub " * (MAX_ANSWER_WORDS + 1)
    root = broken(tmp_path, "answers.yaml", _set("answers", "massage", "say", too_long))
    assert load_error(root) == "answers.yaml: massage: `say` is over 50 words"


def test_too_many_words_in_a_medicine_answer(tmp_path: Path) -> None:
    """Long facts make every answer about that medicine too long; the error names one."""
    what = "Lasix " + "really " * 40 + "is a water pill."
    root = broken(tmp_path, "medications.yaml", _set("medications", "lasix", "what", what))
    message = load_error(root)
    assert message.startswith("medications.yaml: linked.cause for lasix: ")
    assert "over 50" in message


def test_the_dont_stop_phrase_counts_towards_the_limit(tmp_path: Path) -> None:
    """"Should I take Lasix?" is said with the don't-stop phrase: together, 50 words at most."""
    link = "Diuretics " + "very " * 12 + "often make you more prone to thigh cramps."
    root = broken(tmp_path, "medications.yaml", _set("medications", "lasix", "link", link))
    assert "with the don't-stop phrase" in load_error(root)


# --- What a listener can hold in mind ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "longest"),
    [
        ("Bananas and oranges give you potassium.", 1),
        ("Brown rice, almonds and avocados give you magnesium.", 3),
        ("Say next, repeat, go back, or pause.", 4),
        ("Pregnancy, alcoholism, dehydration, Parkinson's disease, or diabetes.", 5),
        ("Eat this: rice, almonds, avocados, beans and nuts. Then sleep.", 5),
        ("Statins for cholesterol, such as Crestor and Lipitor, may cause cramps.", 3),
    ],
)
def test_how_lists_are_counted(text: str, longest: int) -> None:
    assert max(list_lengths(text)) == longest


def test_shipped_lists_are_short(content: Content) -> None:
    for key, answer in content.answers.items():
        assert max(list_lengths(answer.say), default=0) <= MAX_LIST_ITEMS, key


def test_a_long_list_is_refused(tmp_path: Path) -> None:
    causes = (
        "Cramps come from overwork, fatigue, dehydration, low magnesium, or a pinched nerve."
    )
    root = broken(tmp_path, "answers.yaml", _set("answers", "causes", "say", causes))
    assert load_error(root) == (
        "answers.yaml: causes: `say` lists 5 things; at most 4 (offer the others with a question)"
    )


def test_the_guide_is_never_mentioned(tmp_path: Path) -> None:
    say = "The guide says heat helps."
    root = broken(tmp_path, "answers.yaml", _set("answers", "heat", "say", say))
    assert load_error(root) == "answers.yaml: heat: `say` says 'the guide'"
    ask = "Would you like to hear what the guide says about massage?"
    root = broken(tmp_path / "ask", "answers.yaml", _set("answers", "heat", "ask", ask))
    assert load_error(root) == "answers.yaml: heat: `ask` says 'the guide'"


def test_a_question_never_suggests_a_medicine_by_name(tmp_path: Path) -> None:
    """"For example, can Lipitor cause cramps?" may come right after a question about Lipitor."""
    ask = "Which medicine? For example, can Lipitor cause cramps?"
    root = broken(tmp_path, "prompts.yaml", _set("prompts", "ask_medicine", "ask", ask))
    assert load_error(root) == (
        "prompts.yaml: ask_medicine: `ask` offers 'lipitor' as an example; "
        "it may be what was just asked"
    )
    say = "Sorry, I didn't catch that. You can say, can Lasix cause cramps?"
    root = broken(tmp_path / "say", "prompts.yaml", _set("prompts", "fallback", "say", say))
    assert load_error(root).startswith("prompts.yaml: fallback: `say` offers 'lasix'")


def test_the_rest_of_a_list_is_offered(content: Content) -> None:
    """Where a list goes on after four, "yes" to "Want the others?" says the rest."""
    offering = [a for a in content.answers.values() if a.ask == "Want the others?"]
    assert len(offering) >= 4
    for answer in offering:
        assert answer.yes == f"{answer.key}.more", answer.key
        assert content.answer(f"{answer.key}.more").say


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


def test_context_must_be_one_the_skill_knows(tmp_path: Path) -> None:
    root = broken(tmp_path, "answers.yaml", _set("answers", "heat", "context", "medicine"))
    error = load_error(root)
    assert error.startswith("answers.yaml: heat: `context` must be one of muscle, routine")


def test_context_without_a_question(tmp_path: Path) -> None:
    root = broken(tmp_path, "prompts.yaml", _set("prompts", "goodbye", "context", "muscle"))
    expected = "prompts.yaml: goodbye: `context` needs a question (`ask`) it is about"
    assert load_error(root) == expected


def test_a_goodbye_cannot_ask(tmp_path: Path) -> None:
    root = broken(tmp_path, "prompts.yaml", _set("prompts", "goodbye", "ask", "Sure?"))
    assert "prompts.yaml: goodbye: an answer that ends the session cannot ask" in load_error(root)


def test_a_key_defined_twice(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["answers"]["help"] = {"say": "Again.", "ask": "Well?"}

    root = broken(tmp_path, "answers.yaml", edit)
    assert load_error(root) == "prompts.yaml: help: already defined in answers.yaml"


def test_medication_without_prescription(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        del data["medications"]["aricept"]["prescription"]

    root = broken(tmp_path, "medications.yaml", edit)
    assert load_error(root) == "medications.yaml: aricept: `prescription` must be true or false"


def _phrasing(group: str, kind: str, text: str | None) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        if text is None:
            del data["medicine_answers"][group][kind]
        else:
            data["medicine_answers"][group][kind] = text

    return edit


def test_only_can_it_cause_cramps_opens_with_yes(tmp_path: Path) -> None:
    """"Should I stop Lasix?" answered "Yes. ..." is the failure this check exists for."""
    root = broken(tmp_path, "medications.yaml", _phrasing("linked", "stop", "Yes. {link}"))
    message = load_error(root)
    assert message.startswith("medications.yaml: linked.stop for lasix: opens with yes or no")


def test_no_yes_where_nothing_links_a_medicine_to_cramps(tmp_path: Path) -> None:
    root = broken(tmp_path, "medications.yaml", _phrasing("relief", "cause", "Yes. {what}"))
    assert load_error(root).startswith(
        "medications.yaml: relief.cause for nsaids: opens with yes or no"
    )


def test_should_i_stop_always_says_talk_to_your_doctor(tmp_path: Path) -> None:
    root = broken(tmp_path, "medications.yaml", _phrasing("linked", "stop", "Ask later. {link}"))
    assert load_error(root) == (
        "medications.yaml: linked.stop for lasix: must say not to stop it "
        '"without talking to your doctor or pharmacist"'
    )


def test_i_take_a_prescription_says_do_not_stop_it(tmp_path: Path) -> None:
    root = broken(tmp_path, "medications.yaml", _phrasing("linked", "taking", "{link}"))
    assert load_error(root).startswith(
        "medications.yaml: linked.taking for lasix: must say not to stop it"
    )


def test_every_kind_of_question_needs_an_answer(tmp_path: Path) -> None:
    root = broken(tmp_path, "medications.yaml", _phrasing("relaxant", "helps", None))
    assert load_error(root) == (
        "medications.yaml: relaxant: no `helps` answer (needed by flexeril)"
    )


def test_medicine_phrasing_placeholders(tmp_path: Path) -> None:
    root = broken(tmp_path, "medications.yaml", _phrasing("linked", "safe", "{dose} {name}"))
    assert load_error(root) == (
        "medications.yaml: linked.safe: unknown placeholder(s) ['dose']"
    )


def test_medicine_group_must_exist(tmp_path: Path) -> None:
    root = broken(tmp_path, "medications.yaml", _set("medications", "lasix", "group", "pills"))
    assert load_error(root) == (
        "medications.yaml: lasix: `group` 'pills' has no medicine_answers"
    )


def test_a_medicine_name_is_claimed_once(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["medications"]["quinine"]["also"]["lipitor"] = {"name": "x", "what": "X is x."}

    root = broken(tmp_path, "medications.yaml", edit)
    assert load_error(root) == "medications.yaml: lipitor: already defined in medications.yaml"


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
