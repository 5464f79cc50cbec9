"""Unit tests for skill.web.verification: every rule, the chain cache and the fetcher's limits."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope
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

from skill.web.verification import (
    DEFAULT_FAILED_CHAIN_TTL,
    ApplicationIdVerifier,
    CertFetchError,
    ReplayVerifier,
    SignatureVerifier,
    TimestampVerifier,
    UrlCertFetcher,
    VerificationException,
    application_id_of,
    build_verifiers,
    load_default_roots,
    validate_cert_chain_url,
)


@pytest.fixture(scope="session")
def pki() -> Pki:
    return make_pki()


def _deserialize(body: bytes) -> RequestEnvelope:
    return DefaultSerializer().deserialize(body.decode("utf-8"), RequestEnvelope)


def _signature_verifier(pki: Pki, chain: bytes | None = None, **kwargs: Any) -> SignatureVerifier:
    fetcher = kwargs.pop("cert_fetcher", None) or CountingFetcher({CHAIN_URL: chain or pki.chain})
    return SignatureVerifier(
        cert_fetcher=fetcher,
        trusted_roots=[pki.root],
        clock=kwargs.pop("clock", fixed_clock),
        **kwargs,
    )


def _reason(verifier: Any, headers: dict[str, str], body: bytes) -> str:
    with pytest.raises(VerificationException) as caught:
        verifier.verify(
            headers=headers,
            serialized_request_env=body.decode("utf-8"),
            deserialized_request_env=_deserialize(body),
        )
    return str(caught.value)


# --- SignatureCertChainUrl -------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://s3.amazonaws.com/echo.api/echo-api-cert-99.pem",
        "HTTPS://S3.AMAZONAWS.COM/echo.api/echo-api-cert-99.pem",
        "https://s3.amazonaws.com:443/echo.api/echo-api-cert-99.pem",
        "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert-99.pem",
        "https://s3.amazonaws.com/echo.api/./echo-api-cert-99.pem",
    ],
)
def test_accepted_chain_urls_are_canonicalised(url: str) -> None:
    assert validate_cert_chain_url(url) == CHAIN_URL


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://s3.amazonaws.com/echo.api/echo-api-cert.pem", "https"),
        ("ftp://s3.amazonaws.com/echo.api/echo-api-cert.pem", "https"),
        ("https://notamazon.com/echo.api/echo-api-cert.pem", "host"),
        ("https://s3.amazonaws.com.evil.example/echo.api/echo-api-cert.pem", "host"),
        ("https://s3.amazonaws.com:8443/echo.api/echo-api-cert.pem", "port"),
        ("https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem", "port"),
        ("https://s3.amazonaws.com:notaport/echo.api/echo-api-cert.pem", "malformed"),
        ("https://user@s3.amazonaws.com/echo.api/echo-api-cert.pem", "credentials"),
        ("https://s3.amazonaws.com/echo.api/../invalid.pem", "path"),
        ("https://s3.amazonaws.com/echo.api/%2e%2e/invalid.pem", "path"),
        ("https://s3.amazonaws.com/echo.api%2F..%2Finvalid.pem", "path"),
        ("https://s3.amazonaws.com/invalid.path/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com/echo.api", "path"),
        ("https://s3.amazonaws.com//echo.api/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com", "path"),
    ],
)
def test_rejected_chain_urls(url: str, reason: str) -> None:
    with pytest.raises(VerificationException, match=reason):
        validate_cert_chain_url(url)


def test_query_and_fragment_are_not_fetched() -> None:
    assert validate_cert_chain_url(CHAIN_URL + "?versionId=1#x") == CHAIN_URL


# --- Signature and chain -----------------------------------------------------------------------


def test_valid_signature_passes(pki: Pki) -> None:
    body = encode(envelope())
    _signature_verifier(pki).verify(
        headers=pki.headers(body),
        serialized_request_env=body.decode("utf-8"),
        deserialized_request_env=_deserialize(body),
    )


def test_raw_bytes_body_is_accepted(pki: Pki) -> None:
    body = encode(envelope())
    _signature_verifier(pki).verify(pki.headers(body), body, None)


def test_headers_are_case_insensitive(pki: Pki) -> None:
    body = encode(envelope())
    headers = {k.lower(): v for k, v in pki.headers(body).items()}
    _signature_verifier(pki).verify(headers, body, None)


@pytest.mark.parametrize(
    ("chain_name", "reason"),
    [
        ("expired_chain", "signing certificate has expired"),
        ("not_yet_valid_chain", "signing certificate is not yet valid"),
        ("wrong_san_chain", "not issued for echo-api.amazon.com"),
        ("untrusted_chain", "certificate chain is not trusted"),
    ],
)
def test_bad_chains_are_rejected(pki: Pki, chain_name: str, reason: str) -> None:
    body = encode(envelope())
    verifier = _signature_verifier(pki, getattr(pki, chain_name))
    assert reason in _reason(verifier, pki.headers(body), body)


def test_chain_without_intermediate_is_not_trusted(pki: Pki) -> None:
    body = encode(envelope())
    verifier = _signature_verifier(
        pki, pki.chain.split(b"-----END CERTIFICATE-----")[0] + b"-----END CERTIFICATE-----\n"
    )
    assert _reason(verifier, pki.headers(body), body) == "certificate chain is not trusted"


@pytest.mark.parametrize(
    ("pem", "reason"),
    [(b"not a pem file", "not valid PEM"), (b"", "not valid PEM")],
)
def test_unreadable_chain(pki: Pki, pem: bytes, reason: str) -> None:
    body = encode(envelope())
    verifier = _signature_verifier(pki, cert_fetcher=lambda url: pem)
    assert reason in _reason(verifier, pki.headers(body), body)


def test_tampered_body_is_rejected(pki: Pki) -> None:
    body = encode(envelope())
    headers = pki.headers(body)
    tampered = body.replace(b"LaunchRequest", b"SessionEndedRequest")
    assert "signature does not match" in _reason(_signature_verifier(pki), headers, tampered)


def test_signature_by_another_key_is_rejected(pki: Pki) -> None:
    body = encode(envelope())
    headers = pki.headers(body) | {"Signature-256": pki.sign(body, pki.other_key)}
    assert "signature does not match" in _reason(_signature_verifier(pki), headers, body)


@pytest.mark.parametrize("header", ["Signature-256", "SignatureCertChainUrl"])
def test_missing_header_is_rejected(pki: Pki, header: str) -> None:
    body = encode(envelope())
    headers = pki.headers(body)
    del headers[header]
    assert _reason(_signature_verifier(pki), headers, body) == f"missing {header} header"


def test_signature_that_is_not_base64_is_rejected(pki: Pki) -> None:
    body = encode(envelope())
    headers = pki.headers(body) | {"Signature-256": "not*base64!"}
    assert "not valid base64" in _reason(_signature_verifier(pki), headers, body)


def test_fetch_failure_is_a_verification_failure(pki: Pki) -> None:
    body = encode(envelope())

    def broken(url: str) -> bytes:
        raise TimeoutError("timed out")

    verifier = _signature_verifier(pki, cert_fetcher=broken)
    assert _reason(verifier, pki.headers(body), body) == "certificate chain download failed"


BASE = "https://s3.amazonaws.com/echo.api/"


# --- Cache ------------------------------------------------------------------------------------


def test_chain_is_fetched_once_and_then_cached(pki: Pki) -> None:
    fetcher = CountingFetcher({CHAIN_URL: pki.chain})
    verifier = _signature_verifier(pki, cert_fetcher=fetcher)
    for n in range(3):
        body = encode(envelope() | {"n": n})
        verifier.verify(pki.headers(body), body, None)
    # Different spellings of the same URL share one cache entry.
    body = encode(envelope())
    verifier.verify(pki.headers(body, url=CHAIN_URL.replace("https", "HTTPS")), body, None)
    assert fetcher.calls == [CHAIN_URL]
    assert verifier.cached_urls() == [CHAIN_URL]


def test_failed_chain_is_not_cached_but_remembered_for_a_while(pki: Pki) -> None:
    now = [NOW]
    fetcher = CountingFetcher({CHAIN_URL: pki.untrusted_chain})
    verifier = _signature_verifier(pki, cert_fetcher=fetcher, clock=lambda: now[0])
    body = encode(envelope())
    assert _reason(verifier, pki.headers(body), body) == "certificate chain is not trusted"
    assert _reason(verifier, pki.headers(body), body) == "certificate chain failed recently"
    assert len(fetcher.calls) == 1, "a failed URL is not fetched again at once"
    assert verifier.cached_urls() == []
    now[0] += DEFAULT_FAILED_CHAIN_TTL
    assert _reason(verifier, pki.headers(body), body) == "certificate chain is not trusted"
    assert len(fetcher.calls) == 2, "after a while the URL is tried again"


def test_downloads_of_new_chains_are_limited_per_minute(pki: Pki) -> None:
    now = [NOW]
    calls: list[str] = []

    def fetch(url: str) -> bytes:
        calls.append(url)
        return pki.chain if url == CHAIN_URL else b"not pem"

    verifier = SignatureVerifier(
        cert_fetcher=fetch,
        trusted_roots=[pki.root],
        clock=lambda: now[0],
        max_downloads_per_minute=3,
    )
    body = encode(envelope())
    for n in range(3):
        _reason(verifier, pki.headers(body, url=f"{BASE}probe-{n}.pem"), body)
    assert _reason(verifier, pki.headers(body, url=f"{BASE}probe-3.pem"), body) == (
        "too many certificate chain downloads; try again later"
    )
    assert len(calls) == 3
    now[0] += timedelta(minutes=1)
    verifier.verify(pki.headers(body), body, None)
    assert calls[-1] == CHAIN_URL


def test_failed_downloads_are_remembered_per_url_within_a_bound(pki: Pki) -> None:
    calls: list[str] = []

    def broken(url: str) -> bytes:
        calls.append(url)
        raise TimeoutError("timed out")

    verifier = SignatureVerifier(
        cert_fetcher=broken, trusted_roots=[pki.root], clock=fixed_clock, max_failed_chains=2
    )
    body = encode(envelope())
    urls = [f"{BASE}cert-{n}.pem" for n in range(3)]
    for url in urls:
        _reason(verifier, pki.headers(body, url=url), body)
    assert calls == urls
    # The last two are refused without a fetch; the first was forgotten to bound the memory.
    for url in urls[1:]:
        assert _reason(verifier, pki.headers(body, url=url), body) == (
            "certificate chain failed recently"
        )
    assert calls == urls
    _reason(verifier, pki.headers(body, url=urls[0]), body)
    assert calls == [*urls, urls[0]]


def test_cache_entry_expires_with_the_signing_certificate(pki: Pki) -> None:
    now = [NOW]
    fetcher = CountingFetcher({CHAIN_URL: pki.chain})
    verifier = _signature_verifier(pki, cert_fetcher=fetcher, clock=lambda: now[0])
    body = encode(envelope())
    verifier.verify(pki.headers(body), body, None)
    now[0] = pki.signing.not_valid_after_utc + timedelta(seconds=1)
    assert _reason(verifier, pki.headers(body), body) == "signing certificate has expired"
    assert len(fetcher.calls) == 2  # the stale entry was dropped and the URL fetched again


def test_cache_is_safe_under_concurrency(pki: Pki) -> None:
    fetcher = CountingFetcher({CHAIN_URL: pki.chain})
    verifier = _signature_verifier(pki, cert_fetcher=fetcher)
    body = encode(envelope())
    headers = pki.headers(body)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(5):
                verifier.verify(headers, body, None)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert verifier.cached_urls() == [CHAIN_URL]
    assert 1 <= len(fetcher.calls) <= 8


def test_cache_is_per_verifier_instance(pki: Pki) -> None:
    fetcher = CountingFetcher({CHAIN_URL: pki.chain})
    body = encode(envelope())
    for _ in range(2):
        _signature_verifier(pki, cert_fetcher=fetcher).verify(pki.headers(body), body, None)
    assert len(fetcher.calls) == 2


# --- Timestamp and application id -------------------------------------------------------------


@pytest.mark.parametrize("offset", [-150, -10, 0, 10, 150])
def test_timestamp_within_tolerance_passes(offset: int) -> None:
    body = encode(envelope(timestamp=NOW + timedelta(seconds=offset)))
    TimestampVerifier(clock=fixed_clock).verify({}, body, _deserialize(body))


@pytest.mark.parametrize(
    ("offset", "reason"),
    [
        (-151, "request timestamp is too old"),
        (-3600, "request timestamp is too old"),
        (151, "request timestamp is in the future"),
    ],
)
def test_timestamp_outside_tolerance_fails(offset: int, reason: str) -> None:
    body = encode(envelope(timestamp=NOW + timedelta(seconds=offset)))
    assert _reason(TimestampVerifier(clock=fixed_clock), {}, body) == reason


def test_timestamp_without_zone_is_read_as_utc() -> None:
    data = envelope()
    data["request"]["timestamp"] = (NOW - timedelta(seconds=100)).strftime("%Y-%m-%dT%H:%M:%S")
    body = encode(data)
    TimestampVerifier(clock=fixed_clock).verify({}, body, _deserialize(body))


def test_missing_timestamp_fails() -> None:
    data = envelope()
    del data["request"]["timestamp"]
    assert _reason(TimestampVerifier(clock=fixed_clock), {}, encode(data)) == (
        "missing request timestamp"
    )


def test_application_id_must_match() -> None:
    verifier = ApplicationIdVerifier(SKILL_ID)
    body = encode(envelope())
    verifier.verify({}, body, _deserialize(body))
    other = encode(envelope(application_id="amzn1.ask.skill.someone-else"))
    assert _reason(verifier, {}, other) == "applicationId does not match this skill"


def test_application_id_falls_back_to_the_session() -> None:
    data = envelope()
    del data["context"]["System"]["application"]
    assert application_id_of(_deserialize(encode(data))) == SKILL_ID
    data["session"]["application"]["applicationId"] = "amzn1.ask.skill.someone-else"
    assert _reason(ApplicationIdVerifier(SKILL_ID), {}, encode(data)) == (
        "applicationId does not match this skill"
    )


def test_missing_application_id_fails() -> None:
    data = envelope(in_session=False)
    del data["context"]["System"]["application"]
    assert _reason(ApplicationIdVerifier(SKILL_ID), {}, encode(data)) == "missing applicationId"


def test_build_verifiers_checks_the_application_id_only_when_configured() -> None:
    kinds = [type(v) for v in build_verifiers(trusted_roots=[])]
    assert kinds == [SignatureVerifier, TimestampVerifier, ReplayVerifier]
    with_id = [type(v) for v in build_verifiers(skill_id=SKILL_ID, trusted_roots=[])]
    assert with_id == [SignatureVerifier, TimestampVerifier, ApplicationIdVerifier, ReplayVerifier]


# --- Replays ----------------------------------------------------------------------------------


def _request(request_id: str, timestamp: Any = NOW) -> bytes:
    data = envelope(timestamp=timestamp)
    data["request"]["requestId"] = request_id
    return encode(data)


def test_a_request_id_is_refused_while_its_timestamp_is_fresh() -> None:
    now = [NOW]
    verifier = ReplayVerifier(clock=lambda: now[0])
    body = _request("amzn1.echo-api.request.1")
    verifier.verify({}, body, _deserialize(body))
    now[0] += timedelta(seconds=149)
    assert _reason(verifier, {}, body) == "request already received"
    other = _request("amzn1.echo-api.request.2")
    verifier.verify({}, other, _deserialize(other))
    # Once the timestamp is out of the window the timestamp check refuses it, not this one.
    now[0] = NOW + timedelta(seconds=151)
    verifier.verify({}, body, _deserialize(body))


def test_a_request_stamped_in_the_future_is_remembered_longer() -> None:
    now = [NOW]
    verifier = ReplayVerifier(clock=lambda: now[0])
    body = _request("amzn1.echo-api.request.f", timestamp=NOW + timedelta(seconds=140))
    verifier.verify({}, body, _deserialize(body))
    now[0] += timedelta(seconds=280)
    assert _reason(verifier, {}, body) == "request already received"


def test_replay_memory_is_bounded() -> None:
    verifier = ReplayVerifier(clock=fixed_clock, max_entries=3)
    bodies = [_request(f"amzn1.echo-api.request.{n}") for n in range(5)]
    for body in bodies:
        verifier.verify({}, body, _deserialize(body))
    assert verifier.remembered() == 3
    assert _reason(verifier, {}, bodies[-1]) == "request already received"


def test_expired_request_ids_are_forgotten() -> None:
    now = [NOW]
    verifier = ReplayVerifier(clock=lambda: now[0])
    for n in range(10):
        body = _request(f"amzn1.echo-api.request.{n}")
        verifier.verify({}, body, _deserialize(body))
    now[0] += timedelta(seconds=151)
    body = _request("amzn1.echo-api.request.new", timestamp=now[0])
    verifier.verify({}, body, _deserialize(body))
    assert verifier.remembered() == 1


def test_a_request_without_an_id_is_refused() -> None:
    data = envelope()
    del data["request"]["requestId"]
    assert _reason(ReplayVerifier(clock=fixed_clock), {}, encode(data)) == "missing requestId"


# --- Default fetcher --------------------------------------------------------------------------


class _FakeResponse:
    def __init__(self, data: bytes, status: int = 200, length: str | None = None) -> None:
        self._data = data
        self.status = status
        self.headers = {"Content-Length": length} if length is not None else {}
        self.closed = False

    def read(self, size: int = -1) -> bytes:
        chunk, self._data = self._data[:size], self._data[size:]
        return chunk

    def close(self) -> None:
        self.closed = True


def test_fetcher_returns_body_and_passes_its_timeout() -> None:
    seen: list[tuple[str, float]] = []
    response = _FakeResponse(b"x" * 1000)

    def opener(url: str, timeout: float) -> _FakeResponse:
        seen.append((url, timeout))
        return response

    fetcher = UrlCertFetcher(timeout=2.5, max_bytes=1000, opener=opener)
    assert fetcher(CHAIN_URL) == b"x" * 1000
    assert seen == [(CHAIN_URL, 2.5)]
    assert response.closed


def test_fetcher_enforces_the_size_cap_while_reading() -> None:
    response = _FakeResponse(b"x" * 1001)
    fetcher = UrlCertFetcher(max_bytes=1000, opener=lambda url, timeout: response)
    with pytest.raises(CertFetchError, match="larger than 1000"):
        fetcher(CHAIN_URL)
    assert response.closed


def test_fetcher_rejects_a_declared_oversized_body_before_reading() -> None:
    response = _FakeResponse(b"", length="999999")
    fetcher = UrlCertFetcher(max_bytes=1000, opener=lambda url, timeout: response)
    with pytest.raises(CertFetchError, match="larger than 1000"):
        fetcher(CHAIN_URL)


def test_fetcher_rejects_non_200() -> None:
    fetcher = UrlCertFetcher(opener=lambda url, timeout: _FakeResponse(b"", status=204))
    with pytest.raises(CertFetchError, match="204"):
        fetcher(CHAIN_URL)


def test_default_size_cap_is_64_kib() -> None:
    assert UrlCertFetcher().max_bytes == 64 * 1024


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves /big (too large), /slow (stalls), /dribble (slow trickle), /redirect."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/big")
            self.end_headers()
            return
        self.send_response(200)
        self.end_headers()
        if self.path == "/big":
            self.wfile.write(b"x" * (100 * 1024))
        elif self.path == "/slow":
            time.sleep(0.6)
        elif self.path == "/dribble":
            for _ in range(12):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.05)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the client hanging up on /big, /slow and /dribble is the point of those tests


@pytest.fixture(scope="module")
def local_server() -> Iterator[str]:
    server = _QuietServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_fetcher_size_cap_over_real_http(local_server: str) -> None:
    with pytest.raises(CertFetchError, match="larger than 65536"):
        UrlCertFetcher(timeout=2.0)(local_server + "/big")


def test_fetcher_timeout_over_real_http(local_server: str) -> None:
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        UrlCertFetcher(timeout=0.2)(local_server + "/slow")
    assert time.monotonic() - started < 0.5


def test_fetcher_total_deadline_over_real_http(local_server: str) -> None:
    started = time.monotonic()
    with pytest.raises(CertFetchError, match="longer than"):
        UrlCertFetcher(timeout=0.2)(local_server + "/dribble")
    assert time.monotonic() - started < 0.5


def test_fetcher_refuses_redirects(local_server: str) -> None:
    with pytest.raises(CertFetchError, match="redirect"):
        UrlCertFetcher(timeout=2.0)(local_server + "/redirect")


def test_default_roots_load_without_network() -> None:
    roots = load_default_roots()
    assert len(roots) > 10
