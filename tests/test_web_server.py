"""The web service end to end: Flask test client, a real loopback server, and the SDK import fix."""

from __future__ import annotations

import http.client
import io
import json
import logging
import subprocess
import sys
import textwrap
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import Response
from flask import Flask
from web_pki import (
    CHAIN_URL,
    NOW,
    SKILL_ID,
    CountingFetcher,
    Pki,
    encode,
    envelope,
    fixed_clock,
    make_pki,
)

from skill.web import sdk_import
from skill.web.server import (
    build_project_skill,
    create_app,
    create_default_app,
    make_server,
    stop_server,
)

BASE = "https://s3.amazonaws.com/echo.api/"
EXPIRED_URL = BASE + "expired.pem"
NOT_YET_VALID_URL = BASE + "not-yet-valid.pem"
WRONG_SAN_URL = BASE + "wrong-san.pem"
UNTRUSTED_URL = BASE + "untrusted.pem"
GREETING = "Hello from the test skill."


class _Launch(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("LaunchRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        return handler_input.response_builder.speak(GREETING).response


class _Explode(AbstractRequestHandler):
    """A skill bug: raises on SessionEndedRequest, with no exception handler registered."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("SessionEndedRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        raise RuntimeError("skill bug")


def _tiny_skill() -> CustomSkill:
    builder = SkillBuilder()
    builder.add_request_handler(_Launch())
    builder.add_request_handler(_Explode())
    return builder.create()


@pytest.fixture(scope="session")
def pki() -> Pki:
    return make_pki()


@pytest.fixture()
def fetcher(pki: Pki) -> CountingFetcher:
    return CountingFetcher(
        {
            CHAIN_URL: pki.chain,
            EXPIRED_URL: pki.expired_chain,
            NOT_YET_VALID_URL: pki.not_yet_valid_chain,
            WRONG_SAN_URL: pki.wrong_san_chain,
            UNTRUSTED_URL: pki.untrusted_chain,
        }
    )


@pytest.fixture()
def app(pki: Pki, fetcher: CountingFetcher) -> Flask:
    return create_app(
        _tiny_skill(),
        skill_id=SKILL_ID,
        cert_fetcher=fetcher,
        trusted_roots=[pki.root],
        clock=fixed_clock,
    )


def _post(app: Flask, body: bytes, headers: dict[str, str]) -> Any:
    return app.test_client().post("/", data=body, headers=headers)


def _speech(payload: dict) -> str:
    return payload["response"]["outputSpeech"]["ssml"]


def test_valid_signed_request_is_answered(app: Flask, pki: Pki) -> None:
    body = encode(envelope())
    response = _post(app, body, pki.headers(body))
    assert response.status_code == 200, response.get_json()
    assert GREETING in _speech(response.get_json())


def test_an_unsigned_body_is_refused_before_it_is_parsed(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    import skill.web.server as server

    parsed: list[str] = []
    real_loads, real_read = server.json.loads, server.read_envelope

    def loads(*args: Any, **kwargs: Any) -> Any:
        parsed.append("json")
        return real_loads(*args, **kwargs)

    def read(event: Any) -> Any:
        parsed.append("sdk")
        return real_read(event)

    monkeypatch.setattr(server.json, "loads", loads)
    monkeypatch.setattr(server, "read_envelope", read)
    body = encode(envelope())
    response = _post(app, body, {"Content-Type": "application/json"})
    monkeypatch.undo()
    assert parsed == [], "parsed before the signature was checked"
    assert response.status_code == 400
    assert response.get_json() == {"error": "missing SignatureCertChainUrl header"}


def _broken(pki: Pki, rule: str) -> tuple[bytes, dict[str, str]]:
    """A request that breaks exactly one rule."""
    data = envelope()
    url = CHAIN_URL
    if rule == "stale timestamp":
        data = envelope(timestamp=NOW - timedelta(seconds=151))
    elif rule == "future timestamp":
        data = envelope(timestamp=NOW + timedelta(seconds=151))
    elif rule == "wrong skill id":
        data = envelope(application_id="amzn1.ask.skill.someone-else")
    body = encode(data)
    url = {
        "http scheme": CHAIN_URL.replace("https:", "http:"),
        "wrong host": CHAIN_URL.replace("s3.amazonaws.com", "s3.amazonaws.com.example.net"),
        "port 8443": CHAIN_URL.replace("s3.amazonaws.com", "s3.amazonaws.com:8443"),
        "path traversal": BASE + "../invalid.pem",
        "path outside echo.api": "https://s3.amazonaws.com/invalid.path/echo-api-cert.pem",
        "expired cert": EXPIRED_URL,
        "not-yet-valid cert": NOT_YET_VALID_URL,
        "wrong SAN": WRONG_SAN_URL,
        "untrusted root": UNTRUSTED_URL,
    }.get(rule, url)
    headers = pki.headers(body, url=url)
    if rule == "tampered body":
        body = body.replace(b"LaunchRequest", b"SessionEndedRequest")
    elif rule == "wrong signature":
        headers["Signature-256"] = pki.sign(body, pki.other_key)
    elif rule == "missing signature":
        del headers["Signature-256"]
    elif rule == "missing cert url":
        del headers["SignatureCertChainUrl"]
    return body, headers


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ("http scheme", "cert chain URL must use https"),
        ("wrong host", "cert chain URL host must be s3.amazonaws.com"),
        ("port 8443", "cert chain URL port must be 443"),
        ("path traversal", "cert chain URL path must be under /echo.api/"),
        ("path outside echo.api", "cert chain URL path must be under /echo.api/"),
        ("expired cert", "signing certificate has expired"),
        ("not-yet-valid cert", "signing certificate is not yet valid"),
        ("wrong SAN", "signing certificate is not issued for echo-api.amazon.com"),
        ("untrusted root", "certificate chain is not trusted"),
        ("tampered body", "signature does not match the request body"),
        ("wrong signature", "signature does not match the request body"),
        ("missing signature", "missing Signature-256 header"),
        ("missing cert url", "missing SignatureCertChainUrl header"),
        ("stale timestamp", "request timestamp is too old"),
        ("future timestamp", "request timestamp is in the future"),
        ("wrong skill id", "applicationId does not match this skill"),
    ],
)
def test_each_broken_rule_is_a_400(app: Flask, pki: Pki, rule: str, reason: str) -> None:
    body, headers = _broken(pki, rule)
    response = _post(app, body, headers)
    assert response.status_code == 400
    assert response.get_json() == {"error": reason}


def test_a_rejection_is_logged_in_one_line(
    app: Flask, pki: Pki, caplog: pytest.LogCaptureFixture
) -> None:
    body, headers = _broken(pki, "wrong signature")
    with caplog.at_level(logging.INFO):
        assert _post(app, body, headers).status_code == 400
    rejected = [r for r in caplog.records if "request rejected" in r.getMessage()]
    assert len(rejected) == 1
    assert rejected[0].levelno == logging.WARNING
    assert rejected[0].exc_info is None
    assert not any(r.levelno >= logging.ERROR for r in caplog.records)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
def test_other_methods_are_405(app: Flask, method: str) -> None:
    response = app.test_client().open("/", method=method)
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_oversized_body_is_413_by_content_length(pki: Pki, fetcher: CountingFetcher) -> None:
    app = create_app(
        _tiny_skill(),
        cert_fetcher=fetcher,
        trusted_roots=[pki.root],
        clock=fixed_clock,
        max_body_bytes=1024,
    )
    body = encode(envelope() | {"padding": "x" * 2000})
    response = _post(app, body, pki.headers(body))
    assert response.status_code == 413
    assert response.get_json() == {"error": "request body larger than 1024 bytes"}
    assert fetcher.calls == []


def test_oversized_chunked_body_is_413(app: Flask, pki: Pki) -> None:
    body = encode(envelope() | {"padding": "x" * (200 * 1024)})
    response = app.test_client().post(
        "/",
        input_stream=io.BytesIO(body),
        headers=pki.headers(body) | {"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413


@pytest.mark.parametrize(("extra", "status"), [(0, 200), (1, 413)])
def test_chunked_body_at_the_limit(
    pki: Pki, fetcher: CountingFetcher, extra: int, status: int
) -> None:
    body = encode(envelope())
    app = create_app(
        _tiny_skill(),
        cert_fetcher=fetcher,
        trusted_roots=[pki.root],
        clock=fixed_clock,
        max_body_bytes=len(body) - extra,
    )
    response = app.test_client().post(
        "/",
        input_stream=io.BytesIO(body),
        headers=pki.headers(body) | {"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == status


def test_chunked_body_within_the_limit_is_served(app: Flask, pki: Pki) -> None:
    body = encode(envelope())
    response = app.test_client().post(
        "/",
        input_stream=io.BytesIO(body),
        headers=pki.headers(body) | {"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "body is not valid JSON"),
        (b"{not json", "body is not valid JSON"),
        (b"\xff\xfe\x00", "body is not UTF-8"),
        (b"[1, 2]", "body is not a JSON object"),
        (b'"text"', "body is not a JSON object"),
        (b"{}", "missing request object"),
        (b'{"request": 5}', "missing request object"),
        (b'{"request": {}}', "missing request type"),
        (b'{"request": {"type": "LaunchRequest"}, "context": []}', "context is not an object"),
        (b'{"request": {"type": "NoSuchRequest"}}', "missing request timestamp"),
        (
            b'{"request": {"type": "LaunchRequest", "timestamp": "tomorrow"}}',
            "missing request timestamp",
        ),
        (b"[" * 100000, "body is not valid JSON"),
    ],
)
def test_malformed_bodies_are_400(app: Flask, pki: Pki, body: bytes, reason: str) -> None:
    """Correctly signed, but not an envelope that can be verified."""
    response = _post(app, body, pki.headers(body))
    assert response.status_code == 400
    assert response.get_json() == {"error": reason}


def test_chain_is_fetched_once_across_requests(
    app: Flask, pki: Pki, fetcher: CountingFetcher
) -> None:
    for n in range(3):
        data = envelope()
        data["request"]["requestId"] += f".{n}"
        body = encode(data)
        assert _post(app, body, pki.headers(body)).status_code == 200
    assert fetcher.calls == [CHAIN_URL]


def test_health(app: Flask) -> None:
    response = app.test_client().get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_unknown_path_is_404(app: Flask) -> None:
    assert app.test_client().post("/nope").status_code == 404


def test_a_fault_inside_the_skill_is_a_logged_500(
    app: Flask, pki: Pki, caplog: pytest.LogCaptureFixture
) -> None:
    data = envelope()
    data["request"] = data["request"] | {"type": "SessionEndedRequest", "reason": "USER_INITIATED"}
    body = encode(data)
    with caplog.at_level(logging.ERROR):
        response = _post(app, body, pki.headers(body))
    assert response.status_code == 500
    assert response.get_json() == {"error": "internal server error"}
    assert any(r.levelno >= logging.ERROR for r in caplog.records)


def test_a_verifier_bug_fails_closed_with_400(pki: Pki) -> None:
    class Buggy:
        def verify(self, **kwargs: Any) -> None:
            raise KeyError("bug")

    app = create_app(_tiny_skill(), verifiers=[Buggy()])
    body = encode(envelope())
    response = _post(app, body, pki.headers(body))
    assert response.status_code == 400
    assert response.get_json() == {"error": "request could not be verified"}


def test_no_verify_serves_unsigned_requests_and_warns(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        app = create_app(_tiny_skill(), verify=False)
    assert "REQUEST VERIFICATION IS OFF" in capsys.readouterr().err
    assert any("verification is OFF" in r.getMessage() for r in caplog.records)
    body = encode(envelope(timestamp=NOW - timedelta(days=3)))
    response = _post(app, body, {"Content-Type": "application/json"})
    assert response.status_code == 200
    assert GREETING in _speech(response.get_json())


def test_no_verify_still_checks_a_configured_skill_id() -> None:
    app = create_app(_tiny_skill(), verify=False, skill_id=SKILL_ID)
    body = encode(envelope(application_id="amzn1.ask.skill.someone-else"))
    response = _post(app, body, {"Content-Type": "application/json"})
    assert response.status_code == 400


def test_verifiers_with_verify_off_is_an_error() -> None:
    with pytest.raises(ValueError):
        create_app(_tiny_skill(), verify=False, verifiers=[])


# --- Over real HTTP -----------------------------------------------------------------------------


@pytest.fixture()
def live_url(app: Flask) -> Iterator[str]:
    """The app behind the production server (waitress), as ``cramp-helper serve`` runs it."""
    server = make_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}/"
    finally:
        stop_server(server)
        thread.join(timeout=5)
        assert not thread.is_alive(), "the server did not stop"


def _http_post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def test_signed_request_over_real_http(live_url: str, pki: Pki) -> None:
    body = encode(envelope())
    status, payload = _http_post(live_url, body, pki.headers(body))
    assert status == 200
    assert GREETING in _speech(payload)

    status, payload = _http_post(live_url, body, pki.headers(body) | {"Signature-256": "AAAA"})
    assert status == 400
    assert payload == {"error": "signature does not match the request body"}


def test_chunked_signed_request_over_real_http(live_url: str, pki: Pki) -> None:
    body = encode(envelope())
    parts = urllib.parse.urlsplit(live_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        connection.request(
            "POST",
            "/",
            body=iter([body[:100], body[100:]]),
            headers=pki.headers(body),
            encode_chunked=True,
        )
        response = connection.getresponse()
        assert response.status == 200
        assert GREETING in _speech(json.loads(response.read()))
    finally:
        connection.close()


# --- The SDK import fix ------------------------------------------------------------------------


def test_the_flask_adapter_imports() -> None:
    import flask_ask_sdk.skill_adapter

    assert flask_ask_sdk.skill_adapter.SkillAdapter is sdk_import.SkillAdapter


def test_the_stand_in_refuses_to_validate() -> None:
    if not sdk_import.certvalidator_is_stand_in():
        pytest.skip("certvalidator imports on this machine; no stand-in in use")
    import certvalidator

    with pytest.raises(sdk_import.CertValidatorUnavailableError):
        certvalidator.CertificateValidator(b"")


_SIMULATED_FAILURE = textwrap.dedent(
    """
    import importlib.abc, importlib.machinery, sys
    from oscrypto.errors import LibraryNotFoundError

    class Broken(importlib.abc.MetaPathFinder, importlib.abc.Loader):
        # Make the real certvalidator fail the way it does with oscrypto 1.3.0.
        def find_spec(self, name, path, target=None):
            if name == "certvalidator":
                return importlib.machinery.ModuleSpec(name, self, is_package=True)
            return None
        def create_module(self, spec):
            return None
        def exec_module(self, module):
            raise LibraryNotFoundError("Error detecting the version of libcrypto")

    sys.meta_path.insert(0, Broken())
    from skill.web import sdk_import
    import flask_ask_sdk.skill_adapter as adapter
    assert adapter.SkillAdapter is sdk_import.SkillAdapter
    assert sdk_import.certvalidator_is_stand_in()
    import ask_sdk_webservice_support.verifier as sdk_verifier
    # The name the SDK's RequestVerifier uses is the refusing stand-in.
    try:
        sdk_verifier.CertificateValidator(b"")
    except sdk_import.CertValidatorUnavailableError:
        print("refused")
    """
)


def test_import_fix_in_a_fresh_interpreter() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _SIMULATED_FAILURE],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "refused" in result.stdout


def test_other_import_errors_are_not_hidden() -> None:
    script = textwrap.dedent(
        """
        import sys
        sys.modules["certvalidator"] = None  # an ordinary ImportError
        try:
            from skill.web import sdk_import
        except ImportError:
            print("raised")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert "raised" in result.stdout, result.stderr


# --- The project's own skill ---------------------------------------------------------------


def test_the_project_skill_launches_through_the_web_service(
    pki: Pki,
    fetcher: CountingFetcher,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CRAMP_HELPER_DYNAMODB_TABLE", raising=False)
    monkeypatch.setenv("CRAMP_HELPER_DB", str(tmp_path / "state.sqlite3"))
    app = create_app(
        build_project_skill(SKILL_ID),
        skill_id=SKILL_ID,
        cert_fetcher=fetcher,
        trusted_roots=[pki.root],
        clock=fixed_clock,
    )
    body = encode(envelope())
    response = _post(app, body, pki.headers(body))
    assert response.status_code == 200, response.get_json()
    assert _speech(response.get_json())


def test_create_default_app_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import skill.web.server as server

    seen: dict[str, Any] = {}

    def fake_build(skill_id: str | None = None) -> CustomSkill:
        seen["skill_id"] = skill_id
        return _tiny_skill()

    monkeypatch.setattr(server, "build_project_skill", fake_build)
    monkeypatch.setenv("CRAMP_HELPER_SKILL_ID", SKILL_ID)
    monkeypatch.setenv("CRAMP_HELPER_NO_VERIFY", "1")
    app = create_default_app()
    assert seen == {"skill_id": SKILL_ID}
    body = encode(envelope())
    assert _post(app, body, {"Content-Type": "application/json"}).status_code == 200
    wrong = encode(envelope(application_id="amzn1.ask.skill.someone-else"))
    assert _post(app, wrong, {"Content-Type": "application/json"}).status_code == 400

    monkeypatch.delenv("CRAMP_HELPER_NO_VERIFY")
    verified = create_default_app()
    assert _post(verified, body, {"Content-Type": "application/json"}).status_code == 400
