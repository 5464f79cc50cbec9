"""The skill as an HTTPS web service: a Flask app, served by waitress in production.

One endpoint, ``POST /``, takes Alexa's requests; ``GET /health`` answers 200 for load balancers.
Every request is verified (see :mod:`skill.web.verification`) before the skill sees it, the
signature over the raw bytes before anything is parsed. A verified request is answered by the
same :class:`~skill.envelope.EnvelopeAnswerer` as on Lambda, so both answer alike.

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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography import x509
from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from skill.envelope import EnvelopeAnswerer, read_envelope
from skill.web.sdk_import import VerificationException
from skill.web.verification import (
    ApplicationIdVerifier,
    CertFetcher,
    Clock,
    build_verifiers,
)

if TYPE_CHECKING:
    from ask_sdk_core.api_client import ApiClient
    from ask_sdk_core.skill import CustomSkill

logger = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 128 * 1024
SKILL_ID_ENV = "CRAMP_HELPER_SKILL_ID"
NO_VERIFY_ENV = "CRAMP_HELPER_NO_VERIFY"

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


def _error(status: int, reason: str, headers: Sequence[tuple[str, str]] = ()) -> Response:
    response = jsonify(error=reason)
    response.status_code = status
    for name, value in headers:
        response.headers[name] = value
    return response


def _envelope_problem(event: Any) -> str | None:
    """A short reason why ``event`` is not an Alexa request envelope at all, or None.

    Only the outline is checked (a request object with a type; context and session objects
    where present); everything inside is read tolerantly.
    """
    if not isinstance(event, dict):
        return "body is not a JSON object"
    inner = event.get("request")
    if not isinstance(inner, dict):
        return "missing request object"
    if not isinstance(inner.get("type"), str) or not inner["type"]:
        return "missing request type"
    for key in ("context", "session"):
        if event.get(key) is not None and not isinstance(event[key], dict):
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


def _split(verifiers: Sequence[Any]) -> tuple[list[Any], list[Any]]:
    """Verifiers that read only the raw body (run before parsing), and the rest, in order."""
    before = [v for v in verifiers if getattr(v, "reads_body_only", False)]
    return before, [v for v in verifiers if not getattr(v, "reads_body_only", False)]


def _verify(verifiers: Sequence[Any], headers: Any, body: bytes, envelope: Any) -> str | None:
    """Run ``verifiers``; the reason the first one refused, or None when all passed.

    An unexpected error inside a verifier counts as a refusal (fail closed).
    """
    for verifier in verifiers:
        try:
            verifier.verify(
                headers=headers, serialized_request_env=body, deserialized_request_env=envelope
            )
        except VerificationException as exc:
            return str(exc) or "request failed verification"
        except Exception:
            logger.exception("verifier %r raised unexpectedly", verifier)
            return "request could not be verified"
    return None


def create_app(
    skill: CustomSkill | EnvelopeAnswerer,
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

    ``skill`` is best the :class:`~skill.envelope.EnvelopeAnswerer` the Lambda handler uses
    (:func:`skill.builder.build_answerer`), so both answer alike; a bare ``CustomSkill`` is
    wrapped in one without a spoken apology.

    Order of work: the body is read within ``max_body_bytes``, its signature checked over the
    raw bytes, and only then parsed and checked for timestamp, skill id and replay. With
    ``verify`` (the default) every check runs; ``cert_fetcher``, ``trusted_roots`` and ``clock``
    tune them (tests inject all three), or ``verifiers`` replaces them entirely. ``skill_id``,
    when given, is also checked against the request's applicationId, even with ``verify=False``
    (which is for local testing only and says so loudly on stderr).
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
    before_parsing, after_parsing = _split(chosen)
    answerer = skill if isinstance(skill, EnvelopeAnswerer) else EnvelopeAnswerer(skill)

    app = Flask(__name__)
    app.wsgi_app = _BodyLimit(app.wsgi_app, max_body_bytes)  # type: ignore[method-assign]
    app.config["MAX_CONTENT_LENGTH"] = max_body_bytes  # a second line of defence

    def rejected(reason: str) -> Response:
        logger.warning("request rejected: %s", reason)
        return _error(400, reason)

    def invoke_skill() -> Any:
        # _BodyLimit has already read the body (within the limit).
        body = request.get_data(cache=True)
        reason = _verify(before_parsing, request.headers, body, None)
        if reason is not None:
            return rejected(reason)
        try:
            event = json.loads(body.decode("utf-8"))
        except UnicodeDecodeError:
            return rejected("body is not UTF-8")
        except (ValueError, RecursionError):
            return rejected("body is not valid JSON")
        problem = _envelope_problem(event)
        if problem is not None:
            return rejected(problem)
        reason = _verify(after_parsing, request.headers, body, read_envelope(event))
        if reason is not None:
            return rejected(reason)
        return jsonify(answerer.answer(event, None))

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
            # Unhandled exceptions were already logged by Flask; only note the status here.
            logger.error("answered %s for %s %s", status, request.method, request.path)
        if isinstance(exc, RequestEntityTooLarge):
            reason = f"request body larger than {max_body_bytes} bytes"
        else:
            reason = _SHORT_REASONS.get(status, exc.name.lower())
        allow = exc.get_response().headers.get("Allow")
        return _error(status, reason, [("Allow", allow)] if allow else [])

    app.register_error_handler(HTTPException, http_error)
    return app


def build_project_skill(
    skill_id: str | None = None, api_client: ApiClient | None = None
) -> EnvelopeAnswerer:
    """The Cramp Helper skill as Lambda runs it, with the store chosen by the environment.

    ``api_client`` reaches the Alexa Settings API for the device's time zone (the night voice
    at night); by default the same timed client as the Lambda entry (``lambda_handler.py``).
    """
    from skill.alexa_time import TimedApiClient
    from skill.builder import build_answerer
    from skill.persistence.factory import adapter_from_environment

    return build_answerer(
        persistence_adapter=adapter_from_environment(),
        skill_id=skill_id,
        api_client=api_client if api_client is not None else TimedApiClient(),
    )


_WAITRESS_OWN_CHANNELS = 2


@dataclass(frozen=True)
class ServerLimits:
    """What one client may hold of the production server (waitress); times in whole seconds.

    ``channel_timeout``: a connection that sends nothing for this long is closed, so half-sent
    requests are shed. ``connection_limit``: client connections accepted at once; more wait in
    the kernel's backlog until one closes. ``threads``: requests worked on at once.
    ``cleanup_interval`` and ``poll_seconds``: how often idle connections are looked for (at
    worst a half-sent request is shed after the sum of the three times). ``max_body_bytes``:
    a larger declared body is refused with 413 before it is read.
    """

    channel_timeout: int = 10
    connection_limit: int = 100
    threads: int = 4
    cleanup_interval: int = 2
    poll_seconds: int = 1
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES

    def __post_init__(self) -> None:
        for name in ("channel_timeout", "connection_limit", "threads", "cleanup_interval"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.poll_seconds < 1 or self.max_body_bytes < 1:
            raise ValueError("poll_seconds and max_body_bytes must be at least 1")


def make_server(app: Any, host: str, port: int, limits: ServerLimits | None = None) -> Any:
    """A waitress server for ``app`` on ``host:port`` (port 0: any free port), not yet running.

    Call ``.run()`` to serve and :func:`stop_server` to stop; ``.effective_port`` is the bound
    port.
    Waitress refuses a request with two ``Content-Length`` headers (400), answers an oversized
    declared body with 413 without reading it, and closes idle or half-sent connections.
    """
    from waitress.server import create_server

    limits = limits or ServerLimits()
    return create_server(
        app,
        host=host,
        port=port,
        threads=limits.threads,
        # waitress counts its listening socket and its wake-up pipe among the connections.
        connection_limit=limits.connection_limit + _WAITRESS_OWN_CHANNELS,
        channel_timeout=limits.channel_timeout,
        cleanup_interval=limits.cleanup_interval,
        asyncore_loop_timeout=limits.poll_seconds,
        max_request_body_size=limits.max_body_bytes,
        ident="cramp-helper",
        clear_untrusted_proxy_headers=True,
    )


def stop_server(server: Any) -> None:
    """Stop a server made by :func:`make_server` that runs in another thread; ``.run()`` returns.

    The server is closed from its own loop, through its wake-up pipe: closing its sockets from
    another thread while the loop waits on them makes the loop fail with "bad file descriptor".
    """
    server.trigger.pull_trigger(server.close)


def run_server(
    host: str,
    port: int,
    *,
    verify: bool = True,
    skill_id: str | None = None,
    limits: ServerLimits | None = None,
) -> None:
    """Serve the skill with waitress, a production WSGI server, until interrupted."""
    app = create_app(build_project_skill(skill_id), verify=verify, skill_id=skill_id)
    server = make_server(app, host, port, limits)
    logger.info("serving Cramp Helper on http://%s:%s/", host, server.effective_port)
    try:
        server.run()
    except KeyboardInterrupt:
        logger.info("stopped")
    finally:
        server.close()


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def create_default_app() -> Flask:
    """App factory for a production WSGI server.

    Reads the skill id from ``CRAMP_HELPER_SKILL_ID``; ``CRAMP_HELPER_NO_VERIFY=1`` turns
    verification off, for local testing only. Example::

        waitress-serve --call 'skill.web.server:create_default_app'
    """
    skill_id = os.environ.get(SKILL_ID_ENV, "").strip() or None
    verify = not _env_flag(NO_VERIFY_ENV)
    return create_app(build_project_skill(skill_id), verify=verify, skill_id=skill_id)


__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "NO_VERIFY_ENV",
    "SKILL_ID_ENV",
    "ServerLimits",
    "build_project_skill",
    "create_app",
    "create_default_app",
    "make_server",
    "run_server",
]
