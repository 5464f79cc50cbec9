"""The voice model is built from its sentence templates (interaction_model/en-US/*.yaml).

The committed JSON and its skill-package copy must be exactly what the templates give, and the
expander must keep slots, share rules and refuse broken templates with the file named.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skill.tools.cli import main
from skill.tools.manifest import package_model_path
from skill.tools.model_build import (
    ModelSourceError,
    build_model,
    generate,
    load_source,
    model_path,
    source_dir,
)

ROOT = Path(__file__).resolve().parents[1]


def test_committed_model_is_what_the_templates_give() -> None:
    committed = model_path(root=ROOT).read_text(encoding="utf-8")
    assert committed == generate(root=ROOT), (
        "interaction_model/en-US.json differs from its templates: run `cramp-helper model`"
    )


def test_skill_package_copy_is_what_the_templates_give() -> None:
    copy = package_model_path("en-US", ROOT).read_text(encoding="utf-8")
    assert copy == generate(root=ROOT)


def test_generation_is_reproducible() -> None:
    assert generate(root=ROOT) == generate(root=ROOT)


def _write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


COMMON = """\
invocation: cramp helper
expansion_rules:
  cramp: "(cramp|charley horse)"
slot_types:
  MuscleType:
    - id: hamstring
      value: hamstring
      synonyms: [back of my thigh]
"""


def test_templates_expand_alternatives_optionals_rules_and_keep_slots(tmp_path: Path) -> None:
    _write(tmp_path, "_common.yaml", COMMON)
    _write(
        tmp_path,
        "stretch.yaml",
        'intents:\n  StretchIntent:\n    slots: {Muscle: MuscleType}\n'
        '    sentences:\n      - "[i have a] <cramp> in my {Muscle}"\n'
        '      - "<cramp> in my {Muscle}"\n',
    )
    model = build_model(load_source(tmp_path))
    language = model["interactionModel"]["languageModel"]
    assert language["invocationName"] == "cramp helper"
    (intent,) = language["intents"]
    assert intent["slots"] == [{"name": "Muscle", "type": "MuscleType", "samples": []}]
    assert intent["samples"] == [
        "i have a cramp in my {Muscle}",
        "i have a charley horse in my {Muscle}",
        "cramp in my {Muscle}",
        "charley horse in my {Muscle}",
    ]
    (muscle,) = language["types"]
    assert muscle["values"][0] == {
        "id": "hamstring",
        "name": {"value": "hamstring", "synonyms": ["back of my thigh"]},
    }


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('intents:\n  X:\n    sentences: ["stretch my {Muscle}"]\n', "Muscle"),
        ('intents:\n  X:\n    sentences: ["<nowhere> help"]\n', "nowhere"),
        ('intents:\n  X:\n    sentences: ["(unclosed help"]\n', "unclosed"),
        ("samples: []\n", "top-level keys"),
    ],
)
def test_broken_templates_are_refused_with_the_file_named(
    tmp_path: Path, text: str, problem: str
) -> None:
    _write(tmp_path, "_common.yaml", COMMON)
    _write(tmp_path, "broken.yaml", text)
    with pytest.raises(ModelSourceError, match="broken.yaml") as caught:
        build_model(load_source(tmp_path))
    assert problem in str(caught.value)


def test_an_intent_in_two_files_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "_common.yaml", COMMON)
    _write(tmp_path, "a.yaml", 'intents:\n  X:\n    sentences: ["help"]\n')
    _write(tmp_path, "b.yaml", 'intents:\n  X:\n    sentences: ["help me"]\n')
    with pytest.raises(ModelSourceError, match="b.yaml: intent 'X' is already in a.yaml"):
        load_source(tmp_path)


def test_model_command_writes_the_model_and_the_skill_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(source_dir(root=tmp_path), "_common.yaml", COMMON)
    _write(
        source_dir(root=tmp_path),
        "stretch.yaml",
        'intents:\n  StretchIntent:\n    slots: {Muscle: MuscleType}\n'
        '    sentences: ["stretch my {Muscle}"]\n',
    )
    monkeypatch.setattr("skill.tools.model_build.project_root", lambda: tmp_path)
    monkeypatch.setattr("skill.tools.manifest.project_root", lambda: tmp_path)
    assert main(["model", "--check"]) == 1
    assert main(["model"]) == 0
    assert "1 samples, rewritten" in capsys.readouterr().out
    written = model_path(root=tmp_path).read_text(encoding="utf-8")
    assert json.loads(written)["interactionModel"]["languageModel"]["intents"][0]["samples"] == [
        "stretch my {Muscle}"
    ]
    assert package_model_path("en-US", tmp_path).read_text(encoding="utf-8") == written
    assert main(["model", "--check"]) == 0
