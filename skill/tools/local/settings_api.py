"""A stand-in for the Alexa Settings API on 127.0.0.1: the device's time zone, for local use.

It answers ``GET /v2/devices/{deviceId}/settings/System.timeZone`` as Alexa's API does, with a
JSON string such as ``"Europe/London"``, so the skill's own lookup (the SDK's service client) runs
unchanged against it. The SDK's client refuses plain HTTP, so the stand-in speaks HTTPS with a
certificate made when it starts; :attr:`SettingsApiStandIn.ca_file` is the root to trust.

It can also answer slowly (until released), fail with a status code, or answer with any body,
for tests of how the skill copes. Needs ``cryptography`` (the ``web`` extra).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import ssl
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

_PATH = re.compile(r"^/v2/devices/(?P<device>[^/]+)/settings/System\.timeZone$")
_HOST = "127.0.0.1"


def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway root and a server certificate for 127.0.0.1: (root, server cert, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)
    valid = (now - dt.timedelta(minutes=5), now + dt.timedelta(days=1))
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Local Settings API root")])
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name).issuer_name(root_name)
        .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(valid[0]).not_valid_after(valid[1])
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), False)
        .sign(root_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, _HOST)]))
        .issuer_name(root_name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(valid[0]).not_valid_after(valid[1])
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(_HOST))]), False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), False
        )
        .sign(root_key, hashes.SHA256())
    )
    paths = (folder / "root.pem", folder / "server.pem", folder / "server.key")
    paths[0].write_bytes(root.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


class SettingsApiStandIn:
    """The Settings API's time-zone call on ``https://127.0.0.1:<port>``.

    ``time_zone`` is the answer; ``status`` other than 200 answers with that error instead;
    ``body`` replaces the JSON answer entirely; ``hold=True`` keeps every request waiting until
    :meth:`release` (or :meth:`stop`). :attr:`requests` lists ``(path, authorization)`` of each
    request received. Use as a context manager.
    """

    def __init__(
        self,
        time_zone: str = "UTC",
        *,
        status: int = 200,
        body: str | None = None,
        hold: bool = False,
    ) -> None:
        self.time_zone = time_zone
        self.status = status
        self.body = body
        self.requests: list[tuple[str, str | None]] = []
        #: Whether every request waits for :meth:`release` (a slow API).
        self.holds = hold
        self._released = threading.Event()
        if not hold:
            self._released.set()
        self._folder = tempfile.TemporaryDirectory(prefix="settings-api-")
        self.ca_file, cert, key = (str(p) for p in _certificates(Path(self._folder.name)))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self._server = ThreadingHTTPServer((_HOST, 0), self._handler())
        self._server.daemon_threads = True
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
            name="settings-api", daemon=True,
        )
        self._thread.start()

    @property
    def endpoint(self) -> str:
        """What a request envelope names as ``context.System.apiEndpoint``."""
        return f"https://{_HOST}:{self._server.server_address[1]}"

    def release(self) -> None:
        """Let held requests be answered."""
        self._released.set()

    def stop(self) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()
        self._folder.cleanup()

    def __enter__(self) -> SettingsApiStandIn:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def _answer(self, path: str) -> tuple[int, str]:
        if not _PATH.match(path):
            return 404, json.dumps({"type": "NOT_FOUND", "message": "no such setting"})
        if self.status != 200:
            return self.status, json.dumps({"type": "INTERNAL_ERROR", "message": "failed"})
        return 200, self.body if self.body is not None else json.dumps(self.time_zone)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stand_in.requests.append((self.path, self.headers.get("Authorization")))
                stand_in._released.wait()
                status, body = stand_in._answer(self.path)
                data = body.encode("utf-8")
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up waiting
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
