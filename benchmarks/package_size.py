"""The Lambda bundle: ``skill.tools.packaging.build_lambda_zip()``'s zip size and code folder."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NOT_AVAILABLE = "n/a (packaging not available)"


@dataclass(frozen=True)
class Bundle:
    size_bytes: int | None
    note: str = ""
    #: The unpacked code folder, when the packaging reports one.
    code_dir: Path | None = None


def _size_of(result: Any, directory: Path) -> int | None:
    if isinstance(result, bytes | bytearray):
        return len(result)
    if isinstance(result, int):
        return result
    size = getattr(result, "size_bytes", None)
    if isinstance(size, int):
        return size
    for candidate in (result, getattr(result, "path", None)):
        if isinstance(candidate, str | Path) and Path(candidate).is_file():
            return Path(candidate).stat().st_size
    zips = list(directory.rglob("*.zip"))
    return zips[0].stat().st_size if len(zips) == 1 else None


def lambda_bundle(directory: Path) -> Bundle:
    """Build the bundle under ``directory`` (not the project's ``build/``) and measure it."""
    try:
        from skill.tools.packaging import build_lambda_zip  # type: ignore[import-not-found]
    except ImportError:
        return Bundle(None, NOT_AVAILABLE)
    parameters = inspect.signature(build_lambda_zip).parameters
    kwargs: dict[str, Any] = {}
    if "build_dir" in parameters:
        kwargs["build_dir"] = directory / "build"
    if "output" in parameters:
        kwargs["output"] = directory / "lambda.zip"
    try:
        result = build_lambda_zip(**kwargs)
    except Exception as exc:  # report, don't fail the whole bench
        return Bundle(None, f"n/a (build_lambda_zip failed: {type(exc).__name__}: {exc})")
    size = _size_of(result, directory)
    if size is None:
        return Bundle(None, f"n/a (build_lambda_zip returned {result!r:.80})")
    code_dir = getattr(result, "code_dir", None)
    return Bundle(size, "", Path(code_dir) if code_dir is not None else None)
