"""A whole conversation driven by virtual-alexa (npm), as Alexa would send it.

virtual-alexa matches each utterance to a sample of ``interaction_model/<locale>.json``, fills
in slots with entity resolution from the model's slot types, and POSTs the request envelope to a
URL. Two endpoints are tried with the same conversation (``tests/virtual_alexa/conversation.js``):

- ``cramp-helper serve --no-verify``, the web service, started as a separate process;
- the Lambda entry point (``build_lambda_handler``) behind a small HTTP bridge in this process.

Each English locale's model is also driven through the Lambda entry point, in its own locale,
down to the emergency number it answers with.

Needs Node.js and ``npm ci --prefix tests/virtual_alexa``; skipped without them.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from skill.builder import LambdaHandler, build_lambda_handler
from skill.persistence.memory_store import InMemoryPersistenceAdapter
from skill.tools.paths import project_root

ROOT = project_root()
PROJECT = ROOT / "tests" / "virtual_alexa"
SCRIPT = PROJECT / "conversation.js"
NODE = shutil.which("node")
SERVER_START_SECONDS = 30
CONVERSATION_SECONDS = 60

pytestmark = [
    pytest.mark.skipif(NODE is None, reason="Node.js (node) is not installed"),
    pytest.mark.skipif(
        not (PROJECT / "node_modules" / "virtual-alexa").is_dir(),
        reason="virtual-alexa is not installed: run `npm ci --prefix tests/virtual_alexa`",
    ),
]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve_command(port: int) -> list[str]:
    """``cramp-helper serve`` from this environment (the console script, else the module)."""
    arguments = ["serve", "--host", "127.0.0.1", "--port", str(port), "--no-verify"]
    script = shutil.which("cramp-helper", path=str(Path(sys.executable).parent))
    if script:
        return [script, *arguments]
    launcher = "import sys; from skill.tools.cli import main; sys.exit(main(sys.argv[1:]))"
    return [sys.executable, "-c", launcher, *arguments]


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"cramp-helper serve exited ({process.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}health", timeout=2) as response:
                if response.status == HTTPStatus.OK:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    pytest.fail(f"cramp-helper serve did not answer in {SERVER_START_SECONDS}s:\n{log.read_text()}")


def _web_service(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    log = tmp_path / "serve.log"
    environment = {**os.environ, "CRAMP_HELPER_DB": str(tmp_path / "state.sqlite3")}
    environment.pop("CRAMP_HELPER_SKILL_ID", None)
    with log.open("wb") as output:
        process = subprocess.Popen(
            _serve_command(port), stdout=output, stderr=subprocess.STDOUT, env=environment
        )
    try:
        _wait_until_up(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _bridge_handler(handler: LambdaHandler) -> type[BaseHTTPRequestHandler]:
    class LambdaBridge(BaseHTTPRequestHandler):
        """POST / -> ``handler(event, None)``, as the Lambda runtime calls it."""

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            event = json.loads(self.rfile.read(length))
            body = json.dumps(handler(event, None)).encode("utf-8")
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return LambdaBridge


def _lambda_bridge() -> Iterator[str]:
    handler = build_lambda_handler(InMemoryPersistenceAdapter())
    server = ThreadingHTTPServer(("127.0.0.1", 0), _bridge_handler(handler))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(params=["web-service", "lambda-handler"])
def skill_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "web-service":
        yield from _web_service(tmp_path)
    else:
        yield from _lambda_bridge()


def _converse(
    url: str, locale: str = "en-US", utterances: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    assert NODE is not None
    environment = {**os.environ, "AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE": "1"}
    done = subprocess.run(
        [NODE, str(SCRIPT), "--locale", locale, url, *utterances],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        env=environment,
        timeout=CONVERSATION_SECONDS,
        check=False,
    )
    assert done.returncode == 0, f"conversation.js failed:\n{done.stderr}\n{done.stdout}"
    result = json.loads(done.stdout)
    assert result["url"] == url
    assert result["locale"] == locale
    turns: list[dict[str, Any]] = result["turns"]
    return turns


def test_conversation(skill_url: str) -> None:
    launch, stretch, following, medicine, stop = _converse(skill_url)

    assert launch["request"]["type"] == "LaunchRequest"
    assert launch["response"]["ssml"].startswith("<speak>")
    assert launch["response"]["shouldEndSession"] is False
    assert launch["response"]["reprompt"]

    assert stretch["utterance"] == "how do i stretch my hamstring"
    assert stretch["request"]["intent"] == "StretchIntent"
    assert stretch["request"]["slots"]["Muscle"] == {
        "value": "hamstring",
        "status": "ER_SUCCESS_MATCH",
        "id": "hamstring",
    }
    assert "<break" in stretch["response"]["ssml"]
    assert "hamstring" in stretch["response"]["ssml"].lower()
    assert stretch["response"]["shouldEndSession"] is False
    assert stretch["response"]["sessionOpen"] is True

    assert following["request"]["intent"] == "AMAZON.NextIntent"
    assert following["response"]["ssml"]
    assert following["response"]["shouldEndSession"] is False
    assert following["response"]["sessionOpen"] is True

    assert medicine["request"]["intent"] == "MedicationIntent"
    assert medicine["request"]["slots"]["Medication"]["id"] == "lipitor"
    assert "Lipitor" in medicine["response"]["ssml"]
    assert "statin" in medicine["response"]["ssml"].lower()
    assert medicine["response"]["shouldEndSession"] is False

    assert stop["request"]["intent"] == "AMAZON.StopIntent"
    assert stop["response"]["shouldEndSession"] is True
    assert stop["response"]["sessionOpen"] is False
    assert stop["response"]["reprompt"] is None


#: Per locale: how people there ask whether to call for help, and the number the answer names.
LOCALE_EMERGENCY = {
    "en-US": ("should i call nine one one", "nine one one"),
    "en-CA": ("should i go to emerg", "nine one one"),
    "en-GB": ("should i ring nine nine nine", "nine nine nine"),
    "en-AU": ("should i call triple zero", "triple zero"),
    "en-IN": ("should i call one one two", "one one two"),
}


@pytest.fixture(scope="module")
def lambda_url() -> Iterator[str]:
    yield from _lambda_bridge()


@pytest.mark.parametrize("locale", sorted(LOCALE_EMERGENCY))
def test_each_locales_model_in_its_locale(lambda_url: str, locale: str) -> None:
    asked, number = LOCALE_EMERGENCY[locale]
    launch, stretch, emergency, clot = _converse(
        lambda_url,
        locale,
        ("open cramp helper", "how do i stretch my hamstring", asked,
         "ask cramp helper is my swollen leg a blood clot"),
    )
    assert {turn["request"]["locale"] for turn in (launch, stretch, emergency, clot)} == {locale}
    assert stretch["request"]["slots"]["Muscle"]["id"] == "hamstring"
    assert emergency["request"]["intent"] == "EmergencyIntent"
    assert f"call {number} now" in emergency["response"]["ssml"]
    assert clot["request"]["intent"] == "ClotIntent"
    assert f"call {number} now" in clot["response"]["ssml"]
    others = {n for _, n in LOCALE_EMERGENCY.values()} - {number}
    assert not any(other in turn["response"]["ssml"] for turn in (emergency, clot)
                   for other in others)
