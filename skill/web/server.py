"""The skill as an HTTPS web service: a Flask app around flask-ask-sdk's ``SkillAdapter``.

One endpoint, ``POST /``, takes Alexa's requests; ``GET /health`` answers 200 for load balancers.
Every request is verified (see :mod:`skill.web.verification`) before the skill sees it.

Anything a client can send is answered with a 4xx and a short JSON reason ``{"error": "..."}``:
400 for a malformed body or a failed verification, 405 for a method other than POST, 413 for a
body over the limit. A 500 means a fault in the server or the skill itself, and is logged.

The app speaks plain HTTP: Alexa only calls HTTPS endpoints on port 443, so put it behind a
TLS-terminating reverse proxy (or a tunnel while developing).
"""

from __future__ import annotations

import io
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ask_sdk_model import RequestEnvelope
from cryptography import x509
from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import BadRequest, HTTPException, RequestEntityTooLarge

from skill.web.sdk_import import (
    VERIFY_SIGNATURE_CONFIG,
    VERIFY_TIMESTAMP_CONFIG,
    AbstractVerifier,
    SkillAdapter,
    VerificationException,
)
from skill.web.verification import (
    ApplicationIdVerifier,
    CertFetcher,
    Clock,
    build_verifiers,
)

if TYPE_CHECKING:
    from ask_sdk_core.skill import CustomSkill

logger = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 128 * 1024
SKILL_ID_ENV = "CRAMP_HELPER_SKILL_ID"
NO_VERIFY_ENV = "CRAMP_HELPER_NO_VERIFY"

_ADAPTER_KEY = "cramp-helper"
_FAILURE_ATTR = "cramp_helper_verification_failure"
_SHORT_REASONS = {
    400: "bad request",
    404: "not found",
    405: "method not allowed",
    413: "request body too large",
    500: "internal server error",
}
_NO_VERIFY_BANNER = """
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
!!  REQUEST VERIFICATION IS OFF.                                              !!
!!  Any client can call this skill: signatures and timestamps are NOT checked. !!
!!  For local testing only. Never expose this server to the internet.          !!
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
"""


class _ReasonRecorder(AbstractVerifier):  # type: ignore[misc, valid-type]
    """Wrap a verifier so the view can answer with its specific reason.

    ``SkillAdapter`` turns every ``VerificationException`` into the same generic 400; the reason
    is kept on ``flask.g`` for the view. An unexpected error inside a verifier is treated as a
    failed verification (fail closed, and no 500 for a client's request).
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def verify(
        self, headers: Any, serialized_request_env: Any, deserialized_request_env: Any
    ) -> None:
        try:
            self._inner.verify(
                headers=headers,
                serialized_request_env=serialized_request_env,
                deserialized_request_env=deserialized_request_env,
            )
        except VerificationException as exc:
            setattr(g, _FAILURE_ATTR, str(exc) or "request failed verification")
            raise
        except Exception as exc:
            logger.exception("verifier %r raised unexpectedly", self._inner)
            setattr(g, _FAILURE_ATTR, "request could not be verified")
            raise VerificationException("request could not be verified") from exc


class _ConciseVerificationLog(logging.Filter):
    """Turn SkillAdapter's ERROR-with-traceback for a rejected request into a one-line WARNING.

    Every unsigned probe from the internet is rejected; a traceback for each would bury real
    faults. The adapter logs through ``app.logger``, where this filter is installed.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == "Request verification failed" and record.exc_info:
            exc = record.exc_info[1]
            if isinstance(exc, VerificationException):
                record.msg = "request rejected: %s"
                record.args = (str(exc),)
                record.levelno = logging.WARNING
                record.levelname = logging.getLevelName(logging.WARNING)
                record.exc_info = None
                record.exc_text = None
        return True


def _install_concise_verification_log(app: Flask) -> None:
    if not any(isinstance(f, _ConciseVerificationLog) for f in app.logger.filters):
        app.logger.addFilter(_ConciseVerificationLog())


def _error(status: int, reason: str, headers: Sequence[tuple[str, str]] = ()) -> Response:
    response = jsonify(error=reason)
    response.status_code = status
    for name, value in headers:
        response.headers[name] = value
    return response


def _envelope_problem(payload: Any) -> str | None:
    """A short reason why ``payload`` is not an Alexa request envelope, or None."""
    if not isinstance(payload, dict):
        return "body is not a JSON object"
    inner = payload.get("request")
    if not isinstance(inner, dict):
        return "missing request object"
    if not isinstance(inner.get("type"), str) or not inner["type"]:
        return "missing request type"
    for key in ("context", "session"):
        if key in payload and payload[key] is not None and not isinstance(payload[key], dict):
            return f"{key} is not an object"
    return None


class _BodyLimit:
    """WSGI middleware: read the whole body once, refusing more than ``max_bytes``.

    Werkzeug enforces ``MAX_CONTENT_LENGTH`` on a declared Content-Length, but silently
    truncates a chunked body at the limit; reading here (one byte past the limit) makes both
    cases a 413. The app then sees an ordinary in-memory body with a Content-Length.
    """

    def __init__(self, app: Any, max_bytes: int) -> None:
        self._app = app
        self._max_bytes = max_bytes

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        try:
            body = self._read(environ)
        except _BodyProblem as problem:
            response = Response(
                json.dumps({"error": problem.reason}), problem.status, mimetype="application/json"
            )
            # The unread rest of the body makes the connection unusable: close it.
            response.headers["Connection"] = "close"
            return response(environ, start_response)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ.pop("wsgi.input_terminated", None)
        return self._app(environ, start_response)

    def _read(self, environ: dict[str, Any]) -> bytes:
        stream = environ.get("wsgi.input")
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked:
            if stream is None or not environ.get("wsgi.input_terminated"):
                return b""  # the server cannot delimit this body; nothing is safe to read
            return self._read_up_to(stream, self._max_bytes + 1, exact=False)
        declared = environ.get("CONTENT_LENGTH", "").strip()
        if not declared:
            return b""
        if not declared.isdigit():
            raise _BodyProblem(400, "invalid Content-Length")
        length = int(declared)
        if length > self._max_bytes:
            raise _BodyProblem(413, self._too_large)
        if length == 0 or stream is None:
            return b""
        return self._read_up_to(stream, length, exact=True)

    def _read_up_to(self, stream: Any, limit: int, *, exact: bool) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while size < limit:
            try:
                chunk = stream.read(min(64 * 1024, limit - size))
            except OSError as exc:
                raise _BodyProblem(400, "request body incomplete") from exc
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if exact and size < limit:
            raise _BodyProblem(400, "request body incomplete")
        if size > self._max_bytes:
            raise _BodyProblem(413, self._too_large)
        return b"".join(chunks)

    @property
    def _too_large(self) -> str:
        return f"request body larger than {self._max_bytes} bytes"


class _BodyProblem(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _announce_no_verify() -> None:
    sys.stderr.write(_NO_VERIFY_BANNER)
    sys.stderr.flush()
    logger.warning("request verification is OFF: for local testing only")


def create_app(
    skill: CustomSkill,
    *,
    verify: bool = True,
    skill_id: str | None = None,
    verifiers: Sequence[Any] | None = None,
    cert_fetcher: CertFetcher | None = None,
    trusted_roots: Sequence[x509.Certificate] | None = None,
    clock: Clock | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> Flask:
    """Build the Flask app serving ``skill`` at ``POST /``.

    With ``verify`` (the default) every request must pass the signature and timestamp checks;
    ``cert_fetcher``, ``trusted_roots`` and ``clock`` tune them (tests inject all three), or
    ``verifiers`` replaces them entirely. ``skill_id``, when given, is also checked against the
    request's applicationId, even with ``verify=False`` (which is for local testing only and
    says so loudly on stderr).
    """
    if max_body_bytes <= 0:
        raise ValueError("max_body_bytes must be positive")
    if verifiers is not None and not verify:
        raise ValueError("verifiers given with verify=False")

    if verifiers is not None:
        chosen = list(verifiers)
    elif verify:
        chosen = build_verifiers(
            skill_id=skill_id, cert_fetcher=cert_fetcher, trusted_roots=trusted_roots, clock=clock
        )
    else:
        _announce_no_verify()
        chosen = [ApplicationIdVerifier(skill_id)] if skill_id else []
    if verify and not skill_id:
        logger.warning("no skill id configured: the request's applicationId is not checked")

    app = Flask(__name__)
    app.wsgi_app = _BodyLimit(app.wsgi_app, max_body_bytes)  # type: ignore[method-assign]
    app.config["MAX_CONTENT_LENGTH"] = max_body_bytes  # a second line of defence
    # The SDK's own verifiers need certvalidator, which cannot work here (see sdk_import).
    # SkillAdapter reads these two keys once, in its constructor, so set them first.
    app.config[VERIFY_SIGNATURE_CONFIG] = False
    app.config[VERIFY_TIMESTAMP_CONFIG] = False
    _install_concise_verification_log(app)
    adapter = SkillAdapter(
        skill=skill,
        skill_id=skill_id or _ADAPTER_KEY,
        verifiers=[_ReasonRecorder(v) for v in chosen],
        app=app,
    )

    def invoke_skill() -> Any:
        # _BodyLimit has already read the body (within the limit); cache it for the adapter.
        body = request.get_data(cache=True)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return _error(400, "body is not UTF-8")
        try:
            payload = json.loads(text)
        except (ValueError, RecursionError):
            return _error(400, "body is not valid JSON")
        problem = _envelope_problem(payload)
        if problem is not None:
            return _error(400, problem)
        try:
            skill.serializer.deserialize(payload=text, obj_type=RequestEnvelope)
        except Exception:  # the adapter would turn this into a 500
            return _error(400, "body is not an Alexa request envelope")
        try:
            return adapter.dispatch_request()
        except BadRequest:
            reason = getattr(g, _FAILURE_ATTR, None) or "request failed verification"
            return _error(400, reason)

    app.add_url_rule(
        "/",
        endpoint="invoke_skill",
        view_func=invoke_skill,
        methods=["POST"],
        provide_automatic_options=False,
    )

    def health() -> Response:
        return jsonify(status="ok")

    app.add_url_rule("/health", endpoint="health", view_func=health, methods=["GET"])

    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        if status >= 500:
            # Unhandled exceptions were already logged by Flask, the adapter's own 500 by the
            # adapter; only note the status here.
            logger.error("answered %s for %s %s", status, request.method, request.path)
        if isinstance(exc, RequestEntityTooLarge):
            reason = f"request body larger than {max_body_bytes} bytes"
        else:
            reason = _SHORT_REASONS.get(status, exc.name.lower())
        allow = exc.get_response().headers.get("Allow")
        return _error(status, reason, [("Allow", allow)] if allow else [])

    app.register_error_handler(HTTPException, http_error)
    return app


def build_project_skill(skill_id: str | None = None) -> CustomSkill:
    """The Cramp Helper skill with the persistence store chosen by the environment."""
    from skill.builder import build_skill
    from skill.persistence.factory import adapter_from_environment

    return build_skill(persistence_adapter=adapter_from_environment(), skill_id=skill_id)


def run_server(host: str, port: int, *, verify: bool = True, skill_id: str | None = None) -> None:
    """Serve the skill with werkzeug's threaded server (development and small deployments)."""
    from werkzeug.serving import run_simple

    app = create_app(build_project_skill(skill_id), verify=verify, skill_id=skill_id)
    logger.info("serving Cramp Helper on http://%s:%s/", host, port)
    run_simple(host, port, app, threaded=True)


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def create_default_app() -> Flask:
    """App factory for a production WSGI server.

    Reads the skill id from ``CRAMP_HELPER_SKILL_ID``; ``CRAMP_HELPER_NO_VERIFY=1`` turns
    verification off, for local testing only. Example::

        gunicorn 'skill.web.server:create_default_app()'
    """
    skill_id = os.environ.get(SKILL_ID_ENV, "").strip() or None
    verify = not _env_flag(NO_VERIFY_ENV)
    return create_app(build_project_skill(skill_id), verify=verify, skill_id=skill_id)


__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "NO_VERIFY_ENV",
    "SKILL_ID_ENV",
    "build_project_skill",
    "create_app",
    "create_default_app",
    "run_server",
]
