"""The ``cramp-helper`` command: talk to the skill locally, serve it, package it.

    cramp-helper say "how do I stretch my hamstring"
    cramp-helper say --locale en-GB "ask cramp helper should I ring nine nine nine"
    cramp-helper chat
    cramp-helper chat --replay conversation.json
    cramp-helper serve --port 8000
    cramp-helper package
    cramp-helper model
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TextIO

from .local.device import LOCAL_USER_ID, LocalDevice, Turn
from .local.model import InteractionModel, default_model_path
from .model_build import DEFAULT_LOCALE, LOCALES

PROMPT = "you> "
QUIT_WORDS = frozenset({".quit", ".exit"})


def _device(args: argparse.Namespace) -> LocalDevice:
    """A local device wired to the same Lambda handler function that runs in AWS."""
    from skill.builder import build_lambda_handler
    from skill.persistence.factory import adapter_from_environment

    from .local.device_time import device_time

    environ = dict(os.environ)
    if args.db:
        environ["CRAMP_HELPER_DB"] = str(args.db)
        environ.pop("CRAMP_HELPER_DYNAMODB_TABLE", None)
    try:
        when = device_time(args.now, args.timezone)
    except ValueError as error:
        raise SystemExit(f"cramp-helper: {error}") from error
    handler = build_lambda_handler(
        adapter_from_environment(environ), clock=when.clock, api_client=when.api_client
    )
    return LocalDevice(
        handler, InteractionModel.load(default_model_path(args.locale)), user_id=args.user,
        api_endpoint=when.api_endpoint, strict=args.strict, locale=args.locale,
    )


def _show(turn: Turn, out: TextIO, *, ssml: bool) -> None:
    if turn.approximate:
        out.write(f"  [approximate: {turn.approximate}]\n")
    if turn.intent:
        out.write(f"  [{turn.intent}]\n")
    spoken = turn.ssml if ssml else turn.text
    out.write(f"alexa> {spoken or '(nothing)'}\n")
    out.write("  [listening]\n" if turn.session_open else "  [session closed]\n")
    out.flush()


class _AudioWriter:
    """Writes each response to a WAV file, if asked to; reports a missing espeak-ng once."""

    def __init__(self, target: Path | None, *, folder: bool, err: TextIO) -> None:
        self.target = target
        self.folder = folder
        self.err = err
        self.count = 0
        self.disabled = target is None

    def write(self, turn: Turn) -> None:
        if self.disabled or not turn.ssml or self.target is None:
            return
        from .audio import AudioUnavailable, render_wav

        self.count += 1
        path = self.target / f"turn-{self.count:03d}.wav" if self.folder else self.target
        try:
            if self.folder:
                path.parent.mkdir(parents=True, exist_ok=True)
            report = render_wav(turn.ssml, path)
        except AudioUnavailable as error:
            self.err.write(f"cramp-helper: no audio: {error}\n")
            self.disabled = True
            return
        except OSError as error:
            self.err.write(f"cramp-helper: cannot write {path}: {error}\n")
            self.disabled = True
            return
        self.err.write(f"  [audio {report.path}: {report.seconds:.1f} s]\n")


def run_say(
    args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    device = _device(args)
    words = " ".join(args.words)
    turn = device.hear(words)
    if args.json:
        out.write(json.dumps(turn.response, indent=2) + "\n")
    else:
        _show(turn, out, ssml=args.ssml)
    _AudioWriter(args.audio, folder=False, err=err).write(turn)
    return 0


def converse(
    device: LocalDevice,
    lines: Iterable[str],
    out: TextIO,
    *,
    ssml: bool = False,
    audio: _AudioWriter | None = None,
    echo: bool = False,
) -> int:
    """Feed ``lines`` to the device one by one, printing what Alexa says."""
    for line in lines:
        words = line.strip()
        if not words:
            continue
        if words.lower() in QUIT_WORDS:
            break
        if echo:
            out.write(f"{PROMPT}{words}\n")
        turn = device.hear(words)
        _show(turn, out, ssml=ssml)
        if audio is not None:
            audio.write(turn)
    device.end_session("USER_INITIATED")
    return 0


def _typed_lines(out: TextIO) -> Iterable[str]:
    while True:
        out.write(PROMPT)
        out.flush()
        line = sys.stdin.readline()
        if not line:
            out.write("\n")
            return
        yield line


def read_replay(path: Path) -> list[str]:
    """The ``userInput`` of an ``ask dialog --replay`` file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SystemExit(f"cramp-helper: cannot read replay file {path}: {error}") from error
    inputs = data.get("userInput") if isinstance(data, dict) else None
    if not isinstance(inputs, list) or not all(isinstance(item, str) for item in inputs):
        raise SystemExit(f"cramp-helper: {path}: `userInput` must be a list of strings")
    return inputs


def run_chat(
    args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    device = _device(args)
    audio = _AudioWriter(args.audio, folder=True, err=err)
    if args.replay:
        return converse(device, read_replay(args.replay), out, ssml=args.ssml, audio=audio,
                        echo=True)
    out.write(
        'Talk to Cramp Helper. Try "open cramp helper", "ask cramp helper how to stretch my '
        'hamstring", or just "what causes cramps". Type .quit or press Ctrl-D to leave.\n'
    )
    return converse(device, _typed_lines(out), out, ssml=args.ssml, audio=audio)


def run_serve(
    args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    from skill.web.server import run_server

    run_server(args.host, args.port, verify=not args.no_verify, skill_id=args.skill_id)
    return 0


def run_package(
    args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    from .packaging import build_lambda_zip

    report = build_lambda_zip(args.output, python=args.python, bytecode=not args.no_bytecode)
    out.write(report.describe() + "\n")
    return 0


def run_skill_package(
    args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    from .manifest import check_skill_package, sync_skill_package

    report = sync_skill_package(check=args.check)
    for path in getattr(report, "updated", []) or []:
        out.write(f"updated {path}\n")
    problems = check_skill_package()
    for problem in problems:
        err.write(f"cramp-helper: skill package: {problem}\n")
    if not problems:
        out.write("skill package is in sync with interaction_model/\n")
    return 1 if problems else 0


def run_content(
    args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Check every locale's content and write (or, with ``--check``, compare) its parsed form."""
    out, err = out or sys.stdout, err or sys.stderr
    from skill.content import PARSED_FILE, default_content_root

    from .packaging import write_parsed_content

    root = default_content_root()
    count, changed = write_parsed_content(root, check=args.check)
    path = root / PARSED_FILE
    if args.check and changed:
        err.write(f"cramp-helper: {path} differs from the YAML: run `cramp-helper content`\n")
        return 1
    state = "rewritten" if changed else "already current"
    out.write(f"{path}: {count} files parsed, every locale checked, {state}\n")
    return 0


def run_model(
    args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    from .model_build import ModelSourceError, write_models

    try:
        reports = write_models(check=args.check)
    except ModelSourceError as error:
        err.write(f"cramp-helper: model: {error}\n")
        return 2
    stale = [report for report in reports if report.checked_only and report.changed]
    for report in stale:
        err.write(
            f"cramp-helper: {report.path} differs from its templates: run `cramp-helper model`\n"
        )
    if stale:
        return 1
    for report in reports:
        state = "rewritten" if report.changed else "already current"
        out.write(f"{report.path}: {report.samples} samples, {state}\n")
    return 0


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="cramp-helper", description=__doc__.split("\n\n")[0])
    main.add_argument("-v", "--verbose", action="store_true", help="show the skill's logs")
    commands = main.add_subparsers(dest="command", required=True)

    def local(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--db", type=Path, help="SQLite file for settings (default: per user)")
        sub.add_argument("--user", default=LOCAL_USER_ID, help="Alexa user id")
        sub.add_argument("--ssml", action="store_true", help="print the SSML Alexa is sent")
        sub.add_argument(
            "--now", metavar="TIME",
            help="the device's clock: ISO time, e.g. 2026-11-29T03:00 or 03:00 (in --timezone)",
        )
        sub.add_argument(
            "--timezone", metavar="ZONE",
            help="the device's time zone, e.g. Europe/London (default with --now: UTC)",
        )
        sub.add_argument(
            "--strict",
            action="store_true",
            help="exact sample matches only (no approximate match for words near a sample)",
        )
        sub.add_argument(
            "--locale", choices=LOCALES, default=DEFAULT_LOCALE,
            help="the device's locale: its voice model, and the locale in every request",
        )

    say = commands.add_parser("say", help="say one thing, print what Alexa would say")
    say.add_argument("words", nargs="+")
    say.add_argument("--audio", type=Path, metavar="FILE.wav", help="also speak it to a WAV")
    say.add_argument("--json", action="store_true", help="print the whole response JSON")
    local(say)
    say.set_defaults(run=run_say)

    chat = commands.add_parser("chat", help="hold a conversation in the terminal")
    chat.add_argument("--audio", type=Path, metavar="DIR", help="speak each reply to DIR/*.wav")
    chat.add_argument("--replay", type=Path, help="an `ask dialog --replay` file to play")
    local(chat)
    chat.set_defaults(run=run_chat)

    serve = commands.add_parser("serve", help="run as a web service for Alexa")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--skill-id", default=os.environ.get("CRAMP_HELPER_SKILL_ID") or None)
    serve.add_argument(
        "--no-verify", action="store_true", help="skip request verification (local testing only)"
    )
    serve.set_defaults(run=run_serve)

    package = commands.add_parser("package", help="build the AWS Lambda zip")
    package.add_argument("--output", type=Path, help="where to write the zip")
    package.add_argument(
        "--python",
        help="a Python 3.12 to compile the bundle's bytecode with "
        "(default: $CRAMP_HELPER_LAMBDA_PYTHON, else python3.12 on PATH)",
    )
    package.add_argument("--no-bytecode", action="store_true", help="ship no compiled bytecode")
    package.set_defaults(run=run_package)

    skill_package = commands.add_parser(
        "skill-package", help="copy interaction_model/ into skill-package/ for the ASK CLI"
    )
    skill_package.add_argument("--check", action="store_true", help="only check, write nothing")
    skill_package.set_defaults(run=run_skill_package)

    model = commands.add_parser(
        "model", help="build interaction_model/en-US.json (and skill-package/) from the templates"
    )
    model.add_argument("--check", action="store_true", help="only check, write nothing")
    model.set_defaults(run=run_model)

    content = commands.add_parser(
        "content", help="check content/ and write its parsed form (content/parsed-content.json)"
    )
    content.add_argument("--check", action="store_true", help="only check, write nothing")
    content.set_defaults(run=run_content)
    return main


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    from skill.content import ContentError

    from .packaging import PackagingError

    try:
        return int(args.run(args))
    except ContentError as error:
        sys.stderr.write(f"cramp-helper: content error: {error}\n")
        return 2
    except PackagingError as error:
        sys.stderr.write(f"cramp-helper: package: {error}\n")
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into something that stopped reading
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
