"""Verification of the requests Alexa sends to a skill hosted as a web service.

Amazon requires a web-service skill to check every request before acting on it:

* the ``SignatureCertChainUrl`` header points at Amazon's certificate bucket
  (https, host s3.amazonaws.com, port 443, a path under ``/echo.api/`` once normalised);
* the PEM chain downloaded from there chains to a trusted root, its signing certificate is valid
  now and names ``echo-api.amazon.com`` among its subject alternative names;
* the ``Signature-256`` header is an RSA PKCS#1 v1.5 SHA-256 signature of the raw body made with
  that certificate's key;
* ``request.timestamp`` is within 150 seconds of now;
* the application id is this skill's;
* the ``requestId`` has not been seen within the timestamp window (no replays).

:class:`SignatureVerifier` needs only the headers and the raw body, so it runs before the body
is parsed; the others read the parsed envelope.

The SDK ships verifiers for this, but they need ``certvalidator``, which cannot be imported on
current OpenSSL releases (see :mod:`skill.web.sdk_import`), so these are built on ``cryptography``
alone. Each class here is an ``ask_sdk_webservice_support`` ``AbstractVerifier``, so they also
fit flask-ask-sdk's ``SkillAdapter(verifiers=...)``; the web service runs them itself, because
the adapter parses the whole body before any verifier sees it. A failure raises the SDK's
``VerificationException`` whose message is a short, specific reason.
"""

from __future__ import annotations

import base64
import binascii
import logging
import posixpath
import ssl
import threading
import time
import urllib.request
import warnings
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn
from urllib.parse import quote, unquote, urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from skill.web.sdk_import import AbstractVerifier, VerificationException

logger = logging.getLogger(__name__)

CERT_CHAIN_URL_HEADER = "SignatureCertChainUrl"
SIGNATURE_HEADER = "Signature-256"
CERT_CHAIN_HOST = "s3.amazonaws.com"
CERT_CHAIN_PATH_PREFIX = "/echo.api/"
ECHO_API_DOMAIN = "echo-api.amazon.com"
TIMESTAMP_TOLERANCE = timedelta(seconds=150)
DEFAULT_FETCH_TIMEOUT_SECONDS = 5.0
DEFAULT_MAX_CHAIN_BYTES = 64 * 1024
DEFAULT_MAX_CACHED_CHAINS = 32
#: How long a certificate URL whose chain failed (download or checks) is refused without a fetch.
DEFAULT_FAILED_CHAIN_TTL = timedelta(minutes=5)
DEFAULT_MAX_FAILED_CHAINS = 256
#: Certificate chain downloads started per minute at most (unsigned probes cannot make more).
DEFAULT_MAX_DOWNLOADS_PER_MINUTE = 10
_MINUTE = timedelta(minutes=1)
#: Request ids remembered for replay detection (about 330 requests a second over 150 s).
DEFAULT_MAX_REMEMBERED_REQUESTS = 50_000

#: Returns the current time as an aware UTC datetime.
Clock = Callable[[], datetime]
#: Downloads the PEM certificate chain at a (validated) URL.
CertFetcher = Callable[[str], bytes]

# Used only when certifi is not installed.
_SYSTEM_CA_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
)


def utc_now() -> datetime:
    """The default clock."""
    return datetime.now(UTC)


def _fail(reason: str) -> NoReturn:
    raise VerificationException(reason)


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    """Case-insensitive header lookup that works on plain dicts and werkzeug ``Headers``."""
    value = headers.get(name)
    if value is None:
        wanted = name.lower()
        for key, candidate in headers.items():
            if isinstance(key, str) and key.lower() == wanted:
                value = candidate
                break
    if value is None:
        return None
    return str(value).strip()


def validate_cert_chain_url(url: str) -> str:
    """Check a ``SignatureCertChainUrl`` value and return the canonical URL to download.

    The canonical form is rebuilt from the checked parts (scheme, host and normalised path;
    no port, credentials, query or fragment), so what is fetched is exactly what was checked.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        _fail("cert chain URL is malformed")
    if parts.scheme.lower() != "https":
        _fail("cert chain URL must use https")
    if (parts.hostname or "").lower() != CERT_CHAIN_HOST:
        _fail(f"cert chain URL host must be {CERT_CHAIN_HOST}")
    if port not in (None, 443):
        _fail("cert chain URL port must be 443")
    if parts.username is not None or parts.password is not None:
        _fail("cert chain URL must not carry credentials")
    path = unquote(parts.path)
    normalised = posixpath.normpath(path) if path else ""
    # normpath drops a trailing slash; the prefix itself is a directory, never a file.
    if not normalised.startswith(CERT_CHAIN_PATH_PREFIX) or "\x00" in normalised:
        _fail(f"cert chain URL path must be under {CERT_CHAIN_PATH_PREFIX}")
    return f"https://{CERT_CHAIN_HOST}{quote(normalised, safe='/')}"


class CertFetchError(Exception):
    """The certificate chain could not be downloaded."""


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """The chain URL has been checked; a redirect would leave the checked location."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[override]
        raise CertFetchError(f"redirect ({code}) refused")


def _default_opener(url: str, timeout: float) -> Any:
    context = ssl.create_default_context()
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=context), _RefuseRedirects()
    )
    return opener.open(url, timeout=timeout)


class UrlCertFetcher:
    """Download a certificate chain over HTTPS with a timeout and a size cap.

    ``opener(url, timeout)`` returns a file-like response (with ``read``, and optionally
    ``status``/``headers`` and ``close``); it defaults to urllib with redirects refused and is
    injectable for tests.
    """

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_FETCH_TIMEOUT_SECONDS,
        max_bytes: int = DEFAULT_MAX_CHAIN_BYTES,
        opener: Callable[[str, float], Any] | None = None,
    ) -> None:
        if timeout <= 0 or max_bytes <= 0:
            raise ValueError("timeout and max_bytes must be positive")
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._opener = opener or _default_opener

    def __call__(self, url: str) -> bytes:
        # The socket timeout bounds each read; the deadline bounds a server that dribbles bytes.
        deadline = time.monotonic() + self.timeout
        response = self._opener(url, self.timeout)
        try:
            status = getattr(response, "status", 200)
            if status != 200:
                raise CertFetchError(f"HTTP status {status}")
            declared = _declared_length(response)
            if declared is not None and declared > self.max_bytes:
                raise CertFetchError(f"chain larger than {self.max_bytes} bytes")
            # read1 returns what has arrived, so the deadline is checked while data trickles in.
            read = getattr(response, "read1", None) or response.read
            chunks: list[bytes] = []
            size = 0
            while True:
                chunk = read(min(8192, self.max_bytes + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
                if size > self.max_bytes:
                    raise CertFetchError(f"chain larger than {self.max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise CertFetchError(f"download took longer than {self.timeout} s")
            return b"".join(chunks)
        finally:
            close = getattr(response, "close", None)
            if close is not None:
                close()


def _declared_length(response: Any) -> int | None:
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    value = headers.get("Content-Length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def load_default_roots() -> list[x509.Certificate]:
    """Trusted root certificates: certifi's bundle, or the system bundle without certifi."""
    try:
        import certifi

        paths: Iterable[str] = (certifi.where(),)
    except ImportError:
        paths = _SYSTEM_CA_BUNDLES
    for path in paths:
        try:
            with open(path, "rb") as bundle:
                data = bundle.read()
        except OSError:
            continue
        roots = _load_pem_bundle(data)
        if roots:
            return roots
    raise RuntimeError("no trusted root certificates found (install certifi)")


def _load_pem_bundle(data: bytes) -> list[x509.Certificate]:
    with warnings.catch_warnings():
        # Some long-lived roots have non-positive serial numbers; they are still roots.
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return _parse_pem_bundle(data)


def _parse_pem_bundle(data: bytes) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError:
        pass
    # One malformed entry should not throw away the whole bundle.
    roots = []
    marker = b"-----END CERTIFICATE-----"
    for block in data.split(marker):
        if b"-----BEGIN CERTIFICATE-----" in block:
            try:
                roots.append(x509.load_pem_x509_certificate(block + marker))
            except ValueError:
                logger.debug("skipping an unreadable certificate in the root bundle")
    return roots


def _dns_names(cert: x509.Certificate) -> list[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [name.lower() for name in san.get_values_for_type(x509.DNSName)]


@dataclass(frozen=True)
class _CachedChain:
    signing: x509.Certificate
    intermediates: tuple[x509.Certificate, ...]
    expires: datetime


class SignatureVerifier(AbstractVerifier):  # type: ignore[misc, valid-type]
    """Check the certificate chain URL, the chain itself and the ``Signature-256`` header.

    Downloaded chains are cached per URL until the signing certificate's ``not_valid_after``;
    the chain's validity and trust are still checked against the clock on every request. A URL
    whose chain could not be downloaded or failed its checks is refused without another fetch
    for ``failed_chain_ttl`` (at most ``max_failed_chains`` such URLs are remembered), and at
    most ``max_downloads_per_minute`` downloads start in any minute, so unsigned requests naming
    ever new URLs cannot make the server fetch for each.
    Needs only the headers and the raw body (``deserialized_request_env`` is not read).
    """

    reads_body_only = True

    def __init__(
        self,
        *,
        cert_fetcher: CertFetcher | None = None,
        trusted_roots: Sequence[x509.Certificate] | None = None,
        clock: Clock | None = None,
        max_cached_chains: int = DEFAULT_MAX_CACHED_CHAINS,
        failed_chain_ttl: timedelta = DEFAULT_FAILED_CHAIN_TTL,
        max_failed_chains: int = DEFAULT_MAX_FAILED_CHAINS,
        max_downloads_per_minute: int = DEFAULT_MAX_DOWNLOADS_PER_MINUTE,
    ) -> None:
        self._max_downloads = max(1, max_downloads_per_minute)
        self._downloads: deque[datetime] = deque()
        self._fetch = cert_fetcher or UrlCertFetcher()
        self._failed_ttl = failed_chain_ttl
        self._max_failed = max(1, max_failed_chains)
        self._failed: dict[str, datetime] = {}
        self._clock = clock or utc_now
        self._roots = list(trusted_roots) if trusted_roots is not None else None
        self._store: Store | None = None
        self._max_cached_chains = max(1, max_cached_chains)
        self._cache: dict[str, _CachedChain] = {}
        self._lock = threading.Lock()

    def verify(
        self,
        headers: Mapping[str, Any],
        serialized_request_env: str | bytes,
        deserialized_request_env: Any = None,
    ) -> None:
        """Raise ``VerificationException`` unless the request is signed by Alexa."""
        url = _header(headers, CERT_CHAIN_URL_HEADER)
        if not url:
            _fail(f"missing {CERT_CHAIN_URL_HEADER} header")
        encoded_signature = _header(headers, SIGNATURE_HEADER)
        if not encoded_signature:
            _fail(f"missing {SIGNATURE_HEADER} header")
        canonical_url = validate_cert_chain_url(url)
        try:
            signature = base64.b64decode(encoded_signature, validate=True)
        except (binascii.Error, ValueError):
            _fail(f"{SIGNATURE_HEADER} is not valid base64")

        now = self._now()
        chain = self._chain(canonical_url, now)
        body = (
            serialized_request_env
            if isinstance(serialized_request_env, bytes)
            else serialized_request_env.encode("utf-8")
        )
        public_key = chain.signing.public_key()
        if not isinstance(public_key, RSAPublicKey):
            _fail("signing certificate key is not RSA")
        try:
            public_key.verify(signature, body, PKCS1v15(), SHA256())
        except InvalidSignature:
            _fail("signature does not match the request body")

    def cached_urls(self) -> list[str]:
        """URLs whose chains are currently cached (for diagnostics and tests)."""
        with self._lock:
            return list(self._cache)

    def _now(self) -> datetime:
        now = self._clock()
        return now if now.tzinfo is not None else now.replace(tzinfo=UTC)

    def _chain(self, url: str, now: datetime) -> _CachedChain:
        with self._lock:
            cached = self._cache.get(url)
            if cached is not None and now >= cached.expires:
                del self._cache[url]
                cached = None
        if cached is None:
            with self._lock:
                retry_at = self._failed.get(url)
                if retry_at is not None and now < retry_at:
                    _fail("certificate chain failed recently")
                self._take_download_slot(now)
            try:
                # Downloaded outside the lock: one slow download must not stall every request.
                cached = self._download(url)
                self._check(cached, now)
            except VerificationException:
                self._remember_failure(url, now)
                raise
            with self._lock:
                self._failed.pop(url, None)
                self._evict_expired(now)
                while len(self._cache) >= self._max_cached_chains:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[url] = cached
        else:
            self._check(cached, now)
        return cached

    def _take_download_slot(self, now: datetime) -> None:
        """Allow a download unless ``max_downloads_per_minute`` were started in the last minute.

        Alexa signs with one certificate for months, so a burst of new URLs is not Alexa.
        Called with the lock held.
        """
        while self._downloads and now - self._downloads[0] >= _MINUTE:
            self._downloads.popleft()
        if len(self._downloads) >= self._max_downloads:
            _fail("too many certificate chain downloads; try again later")
        self._downloads.append(now)

    def _remember_failure(self, url: str, now: datetime) -> None:
        with self._lock:
            for key in [k for k, until in self._failed.items() if now >= until]:
                del self._failed[key]
            self._failed.pop(url, None)
            while len(self._failed) >= self._max_failed:
                self._failed.pop(next(iter(self._failed)))
            self._failed[url] = now + self._failed_ttl

    def _evict_expired(self, now: datetime) -> None:
        for key in [k for k, v in self._cache.items() if now >= v.expires]:
            del self._cache[key]

    def _download(self, url: str) -> _CachedChain:
        try:
            pem = self._fetch(url)
        except Exception as exc:  # any failure of the fetcher is a failed verification
            logger.warning("certificate chain download from %s failed: %s", url, exc)
            _fail("certificate chain download failed")
        try:
            certs = x509.load_pem_x509_certificates(pem)
        except ValueError:
            _fail("certificate chain is not valid PEM")
        if not certs:
            _fail("certificate chain is empty")
        signing = certs[0]
        return _CachedChain(
            signing=signing,
            intermediates=tuple(certs[1:]),
            expires=signing.not_valid_after_utc,
        )

    def _check(self, chain: _CachedChain, now: datetime) -> None:
        signing = chain.signing
        if now < signing.not_valid_before_utc:
            _fail("signing certificate is not yet valid")
        if now > signing.not_valid_after_utc:
            _fail("signing certificate has expired")
        if ECHO_API_DOMAIN not in _dns_names(signing):
            _fail(f"signing certificate is not issued for {ECHO_API_DOMAIN}")
        verifier = (
            PolicyBuilder()
            .store(self._trust_store())
            .time(now)
            .build_server_verifier(x509.DNSName(ECHO_API_DOMAIN))
        )
        try:
            verifier.verify(signing, list(chain.intermediates))
        except VerificationError as exc:
            logger.warning("certificate chain rejected: %s", exc)
            _fail("certificate chain is not trusted")

    def _trust_store(self) -> Store:
        with self._lock:
            if self._store is None:
                roots = self._roots if self._roots is not None else load_default_roots()
                self._store = Store(roots)
            return self._store


class TimestampVerifier(AbstractVerifier):  # type: ignore[misc, valid-type]
    """Check that ``request.timestamp`` is within the tolerance (150 s) of now, either way."""

    def __init__(
        self, *, clock: Clock | None = None, tolerance: timedelta = TIMESTAMP_TOLERANCE
    ) -> None:
        self._clock = clock or utc_now
        self._tolerance = tolerance

    def verify(
        self,
        headers: Mapping[str, Any],
        serialized_request_env: str | bytes,
        deserialized_request_env: Any,
    ) -> None:
        """Raise ``VerificationException`` for a missing, stale or future timestamp."""
        request = getattr(deserialized_request_env, "request", None)
        timestamp = getattr(request, "timestamp", None)
        if not isinstance(timestamp, datetime):
            _fail("missing request timestamp")
        if timestamp.tzinfo is None:
            timestamp = timestamp.replace(tzinfo=UTC)
        now = self._clock()
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        if now - timestamp > self._tolerance:
            _fail("request timestamp is too old")
        if timestamp - now > self._tolerance:
            _fail("request timestamp is in the future")


def application_id_of(envelope: Any) -> str | None:
    """``context.System.application.applicationId``, else ``session.application.applicationId``."""
    for holder in (
        getattr(getattr(envelope, "context", None), "system", None),
        getattr(envelope, "session", None),
    ):
        application_id = getattr(getattr(holder, "application", None), "application_id", None)
        if application_id:
            return str(application_id)
    return None


class ApplicationIdVerifier(AbstractVerifier):  # type: ignore[misc, valid-type]
    """Check that the request is addressed to this skill."""

    def __init__(self, skill_id: str) -> None:
        if not skill_id:
            raise ValueError("skill_id must not be empty")
        self._skill_id = skill_id

    def verify(
        self,
        headers: Mapping[str, Any],
        serialized_request_env: str | bytes,
        deserialized_request_env: Any,
    ) -> None:
        """Raise ``VerificationException`` unless the applicationId is this skill's id."""
        application_id = application_id_of(deserialized_request_env)
        if application_id is None:
            _fail("missing applicationId")
        if application_id != self._skill_id:
            _fail("applicationId does not match this skill")


class ReplayVerifier(AbstractVerifier):  # type: ignore[misc, valid-type]
    """Refuse a ``requestId`` already accepted while its timestamp is still within the window.

    A request is remembered until its timestamp (or its arrival, if later) plus the tolerance
    has passed, after which :class:`TimestampVerifier` refuses it anyway. Memory is bounded:
    beyond ``max_entries`` the oldest ids are forgotten (and a warning logged). Put this last,
    so only requests that passed every other check are remembered. Thread-safe.
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        window: timedelta = TIMESTAMP_TOLERANCE,
        max_entries: int = DEFAULT_MAX_REMEMBERED_REQUESTS,
    ) -> None:
        self._clock = clock or utc_now
        self._window = window
        self._max_entries = max(1, max_entries)
        self._seen: OrderedDict[str, datetime] = OrderedDict()
        self._lock = threading.Lock()

    def verify(
        self,
        headers: Mapping[str, Any],
        serialized_request_env: str | bytes,
        deserialized_request_env: Any,
    ) -> None:
        """Raise ``VerificationException`` for a missing or recently seen ``requestId``."""
        request = getattr(deserialized_request_env, "request", None)
        request_id = getattr(request, "request_id", None)
        if not isinstance(request_id, str) or not request_id:
            _fail("missing requestId")
        now = self._clock()
        now = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
        timestamp = getattr(request, "timestamp", None)
        latest = now
        if isinstance(timestamp, datetime):
            aware = timestamp if timestamp.tzinfo is not None else timestamp.replace(tzinfo=UTC)
            latest = max(now, aware)
        with self._lock:
            while self._seen and next(iter(self._seen.values())) <= now:
                self._seen.popitem(last=False)
            forget_at = self._seen.get(request_id)
            if forget_at is not None and now < forget_at:
                _fail("request already received")
            self._seen[request_id] = latest + self._window
            self._seen.move_to_end(request_id)
            if len(self._seen) > self._max_entries:
                self._seen.popitem(last=False)
                logger.warning("replay memory full: forgetting the oldest request id")

    def remembered(self) -> int:
        """How many request ids are remembered now (for diagnostics and tests)."""
        with self._lock:
            return len(self._seen)


def build_verifiers(
    *,
    skill_id: str | None = None,
    cert_fetcher: CertFetcher | None = None,
    trusted_roots: Sequence[x509.Certificate] | None = None,
    clock: Clock | None = None,
) -> list[Any]:
    """All the verifiers Amazon requires, in order: signature, timestamp, skill id, replay.

    The application id is checked only when ``skill_id`` is given.
    """
    verifiers: list[Any] = [
        SignatureVerifier(cert_fetcher=cert_fetcher, trusted_roots=trusted_roots, clock=clock),
        TimestampVerifier(clock=clock),
    ]
    if skill_id:
        verifiers.append(ApplicationIdVerifier(skill_id))
    verifiers.append(ReplayVerifier(clock=clock))
    return verifiers


__all__ = [
    "CERT_CHAIN_URL_HEADER",
    "ECHO_API_DOMAIN",
    "SIGNATURE_HEADER",
    "TIMESTAMP_TOLERANCE",
    "ApplicationIdVerifier",
    "CertFetchError",
    "CertFetcher",
    "Clock",
    "ReplayVerifier",
    "SignatureVerifier",
    "TimestampVerifier",
    "UrlCertFetcher",
    "VerificationException",
    "application_id_of",
    "build_verifiers",
    "load_default_roots",
    "utc_now",
    "validate_cert_chain_url",
]
