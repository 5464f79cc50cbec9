"""The ``cramp-helper`` command: say, chat --replay, audio without espeak-ng, errors."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from skill.tools import cli
from skill.tools.paths import project_root

ROOT = project_root()


def run(argv: list[str]) -> tuple[int, str, str]:
    """Run a command's function with its output captured; returns (code, stdout, stderr)."""
    args = cli.parser().parse_args(argv)
    out, err = io.StringIO(), io.StringIO()
    code = args.run(args, out, err)
    return code, out.getvalue(), err.getvalue()


def replay_file(tmp_path: Path, user_input: object) -> Path:
    path = tmp_path / "replay.json"
    path.write_text(
        json.dumps(
            {"skillId": "amzn1.ask.skill.x", "locale": "en-US", "type": "text",
             "userInput": user_input}
        ),
        encoding="utf-8",
    )
    return path


# --- say -----------------------------------------------------------------------------------------


def test_say_prints_what_alexa_says(tmp_path: Path) -> None:
    db = tmp_path / "state.sqlite3"
    code, out, err = run(["say", "how do i stretch my hamstring", "--db", str(db)])
    assert code == 0
    assert "[StretchIntent]" in out
    assert "alexa> That's your hamstring" in out
    assert "Hold. [pause 10 s] 20 seconds left. [pause 10 s]" in out
    assert "[listening]" in out
    assert db.is_file(), "settings go to the --db file"


def test_say_remembers_the_user_in_the_db(tmp_path: Path) -> None:
    db = str(tmp_path / "state.sqlite3")
    _, first, _ = run(["say", "open", "cramp", "helper", "--db", db])
    _, second, _ = run(["say", "open cramp helper", "--db", db])
    _, other, _ = run(["say", "open cramp helper", "--db", db, "--user", "amzn1.ask.account.B"])
    assert "not a doctor" in first
    assert "not a doctor" not in second
    assert "not a doctor" in other


def test_say_ssml_and_json(tmp_path: Path) -> None:
    db = str(tmp_path / "state.sqlite3")
    _, out, _ = run(["say", "stop", "--db", db, "--ssml"])
    assert "alexa> <speak>Take care." in out
    assert "[session closed]" in out
    _, out, _ = run(["say", "what causes cramps", "--db", db, "--json"])
    response = json.loads(out)
    assert response["response"]["shouldEndSession"] is False
    assert response["sessionAttributes"]["last"]["keys"] == ["causes"]


def test_main_returns_zero(tmp_path: Path) -> None:
    assert cli.main(["say", "what should i drink", "--db", str(tmp_path / "db")]) == 0


def test_main_prints_to_the_current_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["say", "how do i stretch my hamstring", "--db", str(tmp_path / "db")]) == 0
    assert "[pause 10 s]" in capsys.readouterr().out


def test_the_command_runs_as_a_program(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "skill.tools.cli", "say", "how do i stretch my hamstring", "--db",
         str(tmp_path / "db")],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "[pause 10 s]" in result.stdout


# --- chat --replay -------------------------------------------------------------------------------


def test_chat_replay(tmp_path: Path) -> None:
    path = replay_file(
        tmp_path, ["open cramp helper", "the back", "next", ".quit", "never reached"]
    )
    code, out, _ = run(["chat", "--replay", str(path), "--db", str(tmp_path / "db")])
    assert code == 0
    assert "you> open cramp helper" in out
    assert "alexa> Hi, I'm Cramp Helper" in out
    assert "you> the back" in out
    assert "[pause 10 s]" in out
    assert "Again, gently pull your leg back" in out
    assert "never reached" not in out


def test_chat_replay_keeps_the_place_for_next_time(tmp_path: Path) -> None:
    db = str(tmp_path / "db")
    run(["chat", "--replay", str(replay_file(tmp_path, ["stretch my quad", "next"])), "--db", db])
    _, out, _ = run(["say", "open cramp helper", "--db", db])
    assert "middle of the quad stretch" in out


def test_a_place_kept_at_a_set_clock_is_offered_at_the_same_clock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The README's night clock: every run starts again at 03:00, a moment before the save.
    night = ["--now", "03:00", "--timezone", "Europe/London", "--db", str(tmp_path / "db")]
    assert cli.main(["say", "stretch my hamstring", *night]) == 0
    capsys.readouterr()
    assert cli.main(["say", "open cramp helper", *night]) == 0
    assert "where you left off" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cannot read replay file"),
        ('{"userInput": "open cramp helper"}', "`userInput` must be a list of strings"),
        ('{"userInput": ["open cramp helper", 3]}', "`userInput` must be a list of strings"),
        ('["open cramp helper"]', "`userInput` must be a list of strings"),
    ],
)
def test_bad_replay_file_is_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["chat", "--replay", str(path), "--db", str(tmp_path / "db")])
    assert message in str(exit_info.value.code)
    assert str(path) in str(exit_info.value.code)


def test_missing_replay_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["chat", "--replay", str(tmp_path / "nowhere.json")])
    assert "cannot read replay file" in str(exit_info.value.code)


def test_bad_replay_file_prints_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{not json", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "skill.tools.cli", "chat", "--replay", str(path), "--db",
         str(tmp_path / "db")],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 1
    assert "cramp-helper: cannot read replay file" in result.stderr
    assert "Traceback" not in result.stderr


# --- Audio without espeak-ng ---------------------------------------------------------------------


def test_say_audio_without_espeak_prints_the_install_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    wav = tmp_path / "x.wav"
    code, out, err = run(["say", "stretch my quad", "--db", str(tmp_path / "db"), "--audio",
                          str(wav)])
    assert code == 0
    assert "[pause 10 s]" in out, "the words are still printed"
    assert "espeak-ng" in err and "apt-get install espeak-ng" in err
    assert not wav.exists()


def test_chat_audio_without_espeak_says_so_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    path = replay_file(tmp_path, ["open cramp helper", "the back", "next"])
    code, _, err = run(["chat", "--replay", str(path), "--db", str(tmp_path / "db"), "--audio",
                        str(tmp_path / "wavs")])
    assert code == 0
    assert err.count("espeak-ng") >= 1
    assert err.count("no audio") == 1


# --- Content errors ------------------------------------------------------------------------------


def broken_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A content folder, in use, whose en-US answers file is not valid YAML."""
    root = tmp_path / "content"
    shutil.copytree(ROOT / "content" / "en-US", root / "en-US")
    (root / "en-US" / "answers.yaml").write_text("answers: [broken\n", encoding="utf-8")
    monkeypatch.setenv("CRAMP_HELPER_CONTENT", str(root))
    return root


def test_broken_content_is_reported_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken_content(tmp_path, monkeypatch)
    code = cli.main(["say", "hello", "--db", str(tmp_path / "db")])
    assert code == 2
    assert "cramp-helper: content error: answers.yaml" in capsys.readouterr().err


def test_content_check_names_a_stale_parsed_file_and_writing_mends_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "content"
    shutil.copytree(ROOT / "content", root)
    monkeypatch.setenv("CRAMP_HELPER_CONTENT", str(root))
    assert cli.main(["content", "--check"]) == 0
    answers = root / "en-US" / "answers.yaml"
    answers.write_text(answers.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert cli.main(["content", "--check"]) == 1
    assert "differs from the YAML: run `cramp-helper content`" in capsys.readouterr().err
    assert cli.main(["content"]) == 0
    assert "rewritten" in capsys.readouterr().out
    assert cli.main(["content", "--check"]) == 0


def test_content_refuses_broken_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = broken_content(tmp_path, monkeypatch)
    assert cli.main(["content"]) == 2
    assert "content error: answers.yaml" in capsys.readouterr().err
    assert not (root / "parsed-content.json").exists()


# --- package -------------------------------------------------------------------------------------


@pytest.mark.skipif(sys.version_info[:2] == (3, 12), reason="needs a Python other than Lambda's")
def test_package_refuses_an_interpreter_of_another_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "bundle.zip"
    code = cli.main(["package", "--output", str(output), "--python", sys.executable])
    assert code == 1
    error = capsys.readouterr().err
    assert f"is Python {sys.version_info.major}.{sys.version_info.minor}" in error
    assert "the bundle is for 3.12" in error
    assert not output.exists()


@pytest.mark.parametrize(
    ("locale", "number", "said_as"),
    [("en-US", "nine one one", "should i call nine one one"),
     ("en-CA", "nine one one", "should i go to emerg"),
     ("en-GB", "nine nine nine", "should i ring nine nine nine"),
     ("en-AU", "triple zero", "should i call triple zero"),
     ("en-IN", "one one two", "should i call one one two")],
)
def test_say_in_a_locale_names_its_emergency_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], locale: str, number: str, said_as: str
) -> None:
    db = str(tmp_path / "db")
    words = "ask cramp helper i can't breathe"
    assert cli.main(["say", "--locale", locale, "--strict", words, "--db", db]) == 0
    out = capsys.readouterr().out
    assert "[EmergencyIntent]" in out and f"call {number} now" in out
    # The locale's own way of asking reaches the same answer.
    assert cli.main(["say", "--locale", locale, "--strict", f"ask cramp helper {said_as}",
                     "--db", db]) == 0
    assert f"call {number} now" in capsys.readouterr().out


def test_an_unknown_locale_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["say", "--locale", "fr-FR", "hello"])
    assert "invalid choice" in capsys.readouterr().err
