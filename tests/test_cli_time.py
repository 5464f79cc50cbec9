"""``--now`` and ``--timezone`` for ``cramp-helper say/chat``: the local device's own clock."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from skill.tools import cli
from skill.tools.local.device_time import device_time, parse_now


def run(argv: list[str]) -> tuple[int, str]:
    args = cli.parser().parse_args(argv)
    out, err = io.StringIO(), io.StringIO()
    code = args.run(args, out, err)
    return code, out.getvalue()


def alexa_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("alexa> ")]


def test_say_at_a_night_time_clock_is_quiet_from_the_first_word(tmp_path: Path) -> None:
    db = str(tmp_path / "state.sqlite3")
    night = ["--now", "2026-11-29T03:00", "--timezone", "Europe/London", "--db", db]
    code, out = run(["say", "open cramp helper", *night])
    assert code == 0
    assert alexa_lines(out)[0].startswith("alexa> [quiet voice] Hi")
    _, day = run(["say", "open cramp helper", "--now", "15:00", "--timezone", "Europe/London",
                  "--db", db])
    assert "[quiet voice]" not in day


def test_the_zone_decides_what_time_it_is_on_the_device(tmp_path: Path) -> None:
    db = str(tmp_path / "state.sqlite3")
    at = ["--now", "2026-11-29T23:30+00:00", "--db", db]
    _, london = run(["say", "open cramp helper", *at, "--timezone", "Europe/London"])
    _, new_york = run(["say", "open cramp helper", *at, "--timezone", "America/New_York"])
    assert "[quiet voice]" in london  # 23:30 there
    assert "[quiet voice]" not in new_york  # 18:30 there


def test_chat_at_night_stays_quiet_until_normal_voice(tmp_path: Path) -> None:
    replay = tmp_path / "night.json"
    replay.write_text(json.dumps({"userInput": [
        "open cramp helper", "the back", "next", "normal voice", "next",
    ]}), encoding="utf-8")
    code, out = run(["chat", "--replay", str(replay), "--now", "02:30", "--timezone",
                     "Australia/Sydney", "--db", str(tmp_path / "state.sqlite3")])
    assert code == 0
    quiet = ["[quiet voice]" in line for line in alexa_lines(out)]
    assert quiet == [True, True, True, False, False]


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--timezone", "Mars/Olympus_Mons"], "unknown time zone 'Mars/Olympus_Mons'"),
        (["--timezone", "../../etc/passwd"], "unknown time zone"),
        (["--now", "soon"], "is not an ISO time"),
        (["--now", "25:00"], "is not an ISO time"),
    ],
)
def test_bad_clock_options_are_refused_clearly(option: list[str], message: str) -> None:
    with pytest.raises(SystemExit) as stopped:
        run(["say", "open cramp helper", *option])
    assert message in str(stopped.value)


def test_now_is_read_in_the_devices_zone() -> None:
    assert parse_now("2026-11-29T03:00", "Europe/Berlin") == datetime(
        2026, 11, 29, 2, 0, tzinfo=UTC
    )
    assert parse_now("2026-11-29T03:00-05:00", "Europe/Berlin") == datetime(
        2026, 11, 29, 8, 0, tzinfo=UTC
    )
    today = datetime(2026, 6, 1, 23, 0, tzinfo=UTC)  # already 2 June in Tokyo
    assert parse_now("03:00", "Asia/Tokyo", today) == datetime(2026, 6, 1, 18, 0, tzinfo=UTC)


def test_without_options_the_device_asks_no_api() -> None:
    when = device_time(None, None)
    assert when.api_client is None and when.api_endpoint is None
