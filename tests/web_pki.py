"""A throwaway PKI and signed Alexa requests for the web-service tests (no network).

A root CA, an intermediate CA and an RSA signing certificate for echo-api.amazon.com, shaped like
Amazon's real chain, plus variants that each break one rule. All validity periods are relative to
the fixed ``NOW`` that the tests inject as the verifiers' clock.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from skill.tools import envelopes as E

NOW = datetime(2030, 6, 1, 12, 0, 0, tzinfo=UTC)
CHAIN_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-99.pem"
SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000001"

CaKey = ec.EllipticCurvePrivateKey


def fixed_clock() -> datetime:
    return NOW


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Cramp Helper Test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _ca_cert(
    subject: str,
    key: CaKey,
    issuer: x509.Certificate | None,
    issuer_key: CaKey,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer.subject if issuer else _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=3650))
        .not_valid_after(NOW + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None if not issuer else 0), True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
    )
    return builder.sign(issuer_key, hashes.SHA256())


def _signing_cert(
    key: rsa.RSAPrivateKey,
    issuer: x509.Certificate,
    issuer_key: CaKey,
    *,
    dns_names: tuple[str, ...] = ("echo-api.amazon.com",),
    not_before: datetime = NOW - timedelta(days=30),
    not_after: datetime = NOW + timedelta(days=300),
) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(_name(dns_names[0]))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]), False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
        .sign(issuer_key, hashes.SHA256())
    )


def pem_chain(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


@dataclass(frozen=True)
class Pki:
    """The test PKI. ``chain`` is the good PEM file; the ``*_chain`` fields each break one rule."""

    root: x509.Certificate
    intermediate: x509.Certificate
    signing: x509.Certificate
    signing_key: rsa.RSAPrivateKey
    other_key: rsa.RSAPrivateKey
    chain: bytes
    expired_chain: bytes
    not_yet_valid_chain: bytes
    wrong_san_chain: bytes
    untrusted_chain: bytes

    def sign(self, body: bytes, key: rsa.RSAPrivateKey | None = None) -> str:
        """Base64 RSA PKCS#1 v1.5 SHA-256 signature of ``body``, as in ``Signature-256``."""
        signature = (key or self.signing_key).sign(body, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode("ascii")

    def headers(self, body: bytes, url: str = CHAIN_URL) -> dict[str, str]:
        return {
            "SignatureCertChainUrl": url,
            "Signature-256": self.sign(body),
            "Content-Type": "application/json",
        }


def make_pki() -> Pki:
    """Generate the whole PKI (a couple of hundred milliseconds: do it once per session)."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = _ca_cert("Test Root CA", root_key, None, root_key)
    intermediate_key = ec.generate_private_key(ec.SECP256R1())
    intermediate = _ca_cert("Test Intermediate CA", intermediate_key, root, root_key)
    signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signing = _signing_cert(signing_key, intermediate, intermediate_key)

    expired = _signing_cert(
        signing_key,
        intermediate,
        intermediate_key,
        not_before=NOW - timedelta(days=400),
        not_after=NOW - timedelta(days=1),
    )
    not_yet_valid = _signing_cert(
        signing_key,
        intermediate,
        intermediate_key,
        not_before=NOW + timedelta(days=1),
        not_after=NOW + timedelta(days=400),
    )
    wrong_san = _signing_cert(
        signing_key, intermediate, intermediate_key, dns_names=("echo-api.example.com",)
    )
    rogue_root_key = ec.generate_private_key(ec.SECP256R1())
    rogue_root = _ca_cert("Test Root CA", rogue_root_key, None, rogue_root_key)
    rogue_intermediate_key = ec.generate_private_key(ec.SECP256R1())
    rogue_intermediate = _ca_cert(
        "Test Intermediate CA", rogue_intermediate_key, rogue_root, rogue_root_key
    )
    rogue_signing = _signing_cert(signing_key, rogue_intermediate, rogue_intermediate_key)

    return Pki(
        root=root,
        intermediate=intermediate,
        signing=signing,
        signing_key=signing_key,
        other_key=other_key,
        chain=pem_chain(signing, intermediate),
        expired_chain=pem_chain(expired, intermediate),
        not_yet_valid_chain=pem_chain(not_yet_valid, intermediate),
        wrong_san_chain=pem_chain(wrong_san, intermediate),
        untrusted_chain=pem_chain(rogue_signing, rogue_intermediate),
    )


@dataclass
class CountingFetcher:
    """A certificate fetcher serving fixed PEM files by URL, counting its calls."""

    files: dict[str, bytes]
    calls: list[str] = field(default_factory=list)

    def __call__(self, url: str) -> bytes:
        self.calls.append(url)
        try:
            return self.files[url]
        except KeyError:
            raise OSError(f"404 for {url}") from None


def envelope(
    *,
    timestamp: datetime = NOW,
    application_id: str = SKILL_ID,
    request_type: str = "LaunchRequest",
    in_session: bool = True,
) -> dict:
    """A minimal Alexa request envelope."""
    return E.envelope(
        E.request(request_type, at=timestamp),
        user_id="amzn1.ask.account.TEST",
        application_id=application_id,
        new=True,
        session_id="amzn1.echo-api.session.TEST",
        in_session=in_session,
    )

def encode(body: dict) -> bytes:
    return json.dumps(body).encode("utf-8")
