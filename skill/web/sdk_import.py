"""Import flask-ask-sdk even where its certificate-validation dependency cannot load.

Why this module exists
----------------------
``flask_ask_sdk.skill_adapter`` imports ``ask_sdk_webservice_support.verifier``, which imports
``certvalidator`` 0.11.1, which imports ``oscrypto`` 1.3.0. At import time oscrypto parses the
OpenSSL version string with a regular expression that cannot read a two-digit patch number
("OpenSSL 3.0.19", as shipped by Debian 12), and raises
``oscrypto.errors.LibraryNotFoundError``. The fix exists only in oscrypto's unreleased source, so
a plain ``pip install`` of the published packages cannot import the adapter at all.

``certvalidator`` is used in exactly one place: inside the SDK's own ``RequestVerifier``. This
project never uses that class: the web service runs its own verifiers (see
:mod:`skill.web.verification`), built on the SDK's ``AbstractVerifier`` interface.

So :func:`import_sdk` tries the normal import first. Only if that fails with oscrypto's
``LibraryNotFoundError`` does it remove the modules the failed attempt left half-registered,
install a minimal ``certvalidator`` (and ``certvalidator.errors``) stand-in in ``sys.modules`` and
import again. The stand-in defines the names the SDK imports; constructing its
``CertificateValidator`` raises :class:`CertValidatorUnavailableError` with an explanation, so any
accidental use of the SDK's verifier fails loudly instead of silently accepting requests.

Where oscrypto loads correctly (another OpenSSL, or a fixed oscrypto release) the real packages are
used and nothing is replaced. Nothing in site-packages is modified.

Importing anything from ``flask_ask_sdk`` or ``ask_sdk_webservice_support`` in this project should
go through this module.
"""

from __future__ import annotations

import importlib
import logging
import sys
import types
from dataclasses import dataclass
from typing import Any, NoReturn

logger = logging.getLogger(__name__)

_STAND_IN_MARKER = "__cramp_helper_stand_in__"

# Top-level packages whose modules a failed first import may leave half-registered.
_RETRY_PACKAGES = ("certvalidator", "ask_sdk_webservice_support", "flask_ask_sdk")


class CertValidatorUnavailableError(RuntimeError):
    """Raised when the SDK's own certvalidator-based request verifier is used.

    It cannot work on this machine (see the module docstring); use
    :mod:`skill.web.verification` instead.
    """


@dataclass(frozen=True)
class SdkNames:
    """The SDK names this project uses, resolved once by :func:`import_sdk`."""

    skill_adapter_class: type
    abstract_verifier_class: type
    verification_exception_class: type[Exception]
    verify_signature_config_key: str
    verify_timestamp_config_key: str
    certvalidator_stand_in: bool


def _unavailable(*_args: Any, **_kwargs: Any) -> NoReturn:
    raise CertValidatorUnavailableError(
        "certvalidator could not be imported on this machine (oscrypto 1.3.0 cannot parse this "
        "OpenSSL version), so the ASK SDK's RequestVerifier is unavailable; use "
        "skill.web.verification instead"
    )


class _UnavailableCertificateValidator:
    """Stand-in for ``certvalidator.CertificateValidator`` that refuses to be used."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _unavailable()


def _is_oscrypto_library_error(exc: BaseException) -> bool:
    exc_type = type(exc)
    return exc_type.__name__ == "LibraryNotFoundError" and exc_type.__module__.startswith(
        "oscrypto"
    )


def _make_stand_ins() -> tuple[types.ModuleType, types.ModuleType]:
    """Build the ``certvalidator`` and ``certvalidator.errors`` stand-in modules."""
    errors = types.ModuleType(
        "certvalidator.errors", "Stand-in for certvalidator.errors (see skill.web.sdk_import)."
    )

    # The SDK only names these in ``except`` clauses; they must be exception classes.
    class PathError(Exception):
        pass

    class PathBuildingError(PathError):
        pass

    class ValidationError(Exception):
        pass

    class InvalidCertificateError(ValidationError):
        pass

    for cls in (PathError, PathBuildingError, ValidationError, InvalidCertificateError):
        cls.__module__ = errors.__name__
        setattr(errors, cls.__name__, cls)
    setattr(errors, _STAND_IN_MARKER, True)

    package = types.ModuleType(
        "certvalidator", "Stand-in for certvalidator (see skill.web.sdk_import)."
    )
    package.__path__ = []  # a package, so ``import certvalidator.errors`` resolves
    package.CertificateValidator = _UnavailableCertificateValidator  # type: ignore[attr-defined]
    package.ValidationContext = _UnavailableCertificateValidator  # type: ignore[attr-defined]
    package.errors = errors  # type: ignore[attr-defined]
    setattr(package, _STAND_IN_MARKER, True)
    return package, errors


def _forget_modules_added_since(before: set[str]) -> None:
    """Drop modules the failed import registered under the packages it will retry."""
    for name in set(sys.modules) - before:
        if name.split(".", 1)[0] in _RETRY_PACKAGES:
            del sys.modules[name]


def _import_adapter_module() -> types.ModuleType:
    before = set(sys.modules)
    try:
        return importlib.import_module("flask_ask_sdk.skill_adapter")
    except Exception as exc:
        if not _is_oscrypto_library_error(exc):
            raise
        logger.debug("certvalidator unavailable (%s); installing a stand-in", exc)
        _forget_modules_added_since(before)
        # Also drop a certvalidator imported earlier by someone else, if any got in.
        for name in [n for n in sys.modules if n.split(".", 1)[0] == "certvalidator"]:
            del sys.modules[name]
        package, errors = _make_stand_ins()
        sys.modules["certvalidator"] = package
        sys.modules["certvalidator.errors"] = errors
        return importlib.import_module("flask_ask_sdk.skill_adapter")


def certvalidator_is_stand_in() -> bool:
    """Tell whether ``certvalidator`` in ``sys.modules`` is this module's stand-in."""
    module = sys.modules.get("certvalidator")
    return bool(module is not None and getattr(module, _STAND_IN_MARKER, False))


def import_sdk() -> SdkNames:
    """Import flask-ask-sdk (working around the oscrypto failure) and return its names.

    Safe to call repeatedly: after the first call the modules come from ``sys.modules``.
    """
    adapter_module = _import_adapter_module()
    verifier_module = importlib.import_module("ask_sdk_webservice_support.verifier")
    return SdkNames(
        skill_adapter_class=adapter_module.SkillAdapter,
        abstract_verifier_class=verifier_module.AbstractVerifier,
        verification_exception_class=verifier_module.VerificationException,
        verify_signature_config_key=adapter_module.VERIFY_SIGNATURE_APP_CONFIG,
        verify_timestamp_config_key=adapter_module.VERIFY_TIMESTAMP_APP_CONFIG,
        certvalidator_stand_in=certvalidator_is_stand_in(),
    )


_SDK = import_sdk()

#: ``flask_ask_sdk.skill_adapter.SkillAdapter``
SkillAdapter = _SDK.skill_adapter_class
#: ``ask_sdk_webservice_support.verifier.AbstractVerifier``
AbstractVerifier = _SDK.abstract_verifier_class
#: ``ask_sdk_webservice_support.verifier.VerificationException``
VerificationException = _SDK.verification_exception_class
#: Flask config key that makes SkillAdapter add the SDK's signature verifier (default True).
VERIFY_SIGNATURE_CONFIG = _SDK.verify_signature_config_key
#: Flask config key that makes SkillAdapter add the SDK's timestamp verifier (default True).
VERIFY_TIMESTAMP_CONFIG = _SDK.verify_timestamp_config_key

__all__ = [
    "VERIFY_SIGNATURE_CONFIG",
    "VERIFY_TIMESTAMP_CONFIG",
    "AbstractVerifier",
    "CertValidatorUnavailableError",
    "SdkNames",
    "SkillAdapter",
    "VerificationException",
    "certvalidator_is_stand_in",
    "import_sdk",
]
