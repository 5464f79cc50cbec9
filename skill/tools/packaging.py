"""The AWS Lambda bundle: the code folder ``ask deploy`` and ``sam deploy`` upload, and its zip.

The bundle holds ``lambda_handler.py``, the ``skill`` package, ``content/`` and the runtime
dependencies (``[project].dependencies`` without the web-service ones, plus the ``aws`` extra
from ``pyproject.toml``),
installed by pip for the Lambda platform (manylinux x86_64, CPython 3.12) whatever machine builds
it. boto3 and what only boto3 needs are left out: the Lambda Python runtime provides them.

Everything is written under ``build/`` (git-ignored): ``build/lambda/`` is the unpacked code
folder (``code.default.src`` in ``ask-resources.json``, ``CodeUri`` in ``template.yaml``) and
``build/cramp-helper-lambda.zip`` the zip. The zip is reproducible: entries in sorted order,
with a fixed timestamp and permissions.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

#: Matches ``Runtime`` in template.yaml and ``userConfig.runtime`` in ask-resources.json.
LAMBDA_PYTHON_VERSION = "3.12"
LAMBDA_PLATFORM = "manylinux2014_x86_64"
#: The optional-dependency group (pyproject extra) that Lambda needs besides the core ones.
LAMBDA_EXTRA = "aws"
#: Core requirements only the web service runs (Flask, request verification, the WSGI server):
#: Lambda never imports ``skill.web``, so they stay out of the bundle.
WEB_SERVICE_ONLY: tuple[str, ...] = ("flask-ask-sdk", "cryptography", "certifi", "waitress")
#: Distributions the Lambda Python runtime already provides (boto3 and its own dependencies).
PROVIDED_BY_LAMBDA: tuple[str, ...] = ("boto3", "botocore", "s3transfer", "jmespath")

BUILD_DIR_NAME = "build"
CODE_DIR_NAME = "lambda"
ZIP_NAME = "cramp-helper-lambda.zip"

#: What the project contributes to the bundle, relative to the project root.
PROJECT_FILES: tuple[str, ...] = ("lambda_handler.py",)
PROJECT_DIRS: tuple[str, ...] = ("skill", "content")

#: The earliest time a zip entry can carry; used for every entry so builds are reproducible.
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
_FILE_MODE = 0o100644  # regular file, rw-r--r--: Lambda only needs to read.
_SKIPPED_DIRS = frozenset({"__pycache__"})
_SKIPPED_SUFFIXES = (".pyc", ".pyo")
_PIP_TIMEOUT_SECONDS = 600


class PackagingError(RuntimeError):
    """The bundle could not be built; the message says why."""


@dataclass(frozen=True)
class PackageReport:
    """What :func:`build_lambda_zip` wrote."""

    path: Path
    size_bytes: int
    files: int
    #: The unpacked code folder, as uploaded by ``ask deploy`` / ``sam deploy``.
    code_dir: Path


def project_root() -> Path:
    """The source tree this package was loaded from (``skill/``'s parent)."""
    return Path(__file__).resolve().parents[2]


def _distribution_key(name: str) -> str:
    """A distribution name normalised as in PEP 503 (``Foo_Bar.baz`` -> ``foo-bar-baz``)."""
    key = name.strip().lower()
    for sep in ("_", "."):
        key = key.replace(sep, "-")
    return key


def lambda_requirements(root: Path | None = None) -> list[str]:
    """The requirement strings to install for Lambda, read from ``pyproject.toml``."""
    root = root or project_root()
    pyproject = root / "pyproject.toml"
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    except (OSError, tomllib.TOMLDecodeError, KeyError) as exc:
        raise PackagingError(f"cannot read [project] from {pyproject}: {exc}") from exc
    extras = project.get("optional-dependencies", {})
    if LAMBDA_EXTRA not in extras:
        raise PackagingError(f"{pyproject} has no [{LAMBDA_EXTRA}] optional dependencies")
    core = [
        requirement
        for requirement in project.get("dependencies", [])
        if _distribution_key(re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0])
        not in WEB_SERVICE_ONLY
    ]
    return [*core, *extras[LAMBDA_EXTRA]]


def pip_install_command(target: Path, requirements: Sequence[str]) -> list[str]:
    """The pip command that installs ``requirements`` into ``target`` for the Lambda runtime."""
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--target",
        str(target),
        "--platform",
        LAMBDA_PLATFORM,
        "--implementation",
        "cp",
        "--python-version",
        LAMBDA_PYTHON_VERSION,
        "--only-binary=:all:",
        "--no-compile",
        "--disable-pip-version-check",
        "--no-input",
        "--quiet",
        *requirements,
    ]


def _install_dependencies(target: Path, requirements: Sequence[str]) -> None:
    command = pip_install_command(target, requirements)
    log.info("installing %s for Lambda", ", ".join(requirements))
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=_PIP_TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PackagingError(f"pip could not be run: {exc}") from exc
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise PackagingError(f"pip install failed (exit {done.returncode}):\n{tail}")


def _dist_info_dirs(site: Path) -> dict[str, Path]:
    """Installed distributions in ``site``: normalised name -> its ``.dist-info`` folder."""
    found: dict[str, Path] = {}
    for info in site.glob("*.dist-info"):
        name = info.name[: -len(".dist-info")].rsplit("-", 1)[0]
        found[_distribution_key(name)] = info
    return found


def _remove_distribution(site: Path, info: Path) -> None:
    """Delete every file ``info/RECORD`` lists inside ``site``, then the emptied folders."""
    site = site.resolve()
    record = info / "RECORD"
    listed = record.read_text(encoding="utf-8").splitlines() if record.is_file() else []
    parents: set[Path] = set()
    for line in listed:
        relative = line.rsplit(",", 2)[0]
        path = (site / relative).resolve()
        if not path.is_relative_to(site) or path == site:
            continue  # e.g. ../../bin/script: outside the bundle
        if path.is_file() or path.is_symlink():
            path.unlink()
            parents.update(p for p in path.parents if p != site and p.is_relative_to(site))
    for folder in sorted(parents, key=lambda p: len(p.parts), reverse=True):
        pycache = folder / "__pycache__"
        if pycache.is_dir():
            shutil.rmtree(pycache)
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    if info.exists():
        shutil.rmtree(info)


def _prune_provided(site: Path, provided: Iterable[str] = PROVIDED_BY_LAMBDA) -> list[str]:
    """Remove the distributions the Lambda runtime provides; returns the names removed."""
    installed = _dist_info_dirs(site)
    removed = []
    for name in provided:
        info = installed.get(_distribution_key(name))
        if info is not None:
            _remove_distribution(site, info)
            removed.append(name)
    # Console scripts pip wrote (their shebang names the building machine's Python).
    scripts = site / "bin"
    if scripts.is_dir():
        shutil.rmtree(scripts)
    return removed


def _skipped(relative: Path) -> bool:
    """Bytecode and caches never go into the zip (Lambda's code folder is read-only anyway)."""
    in_cache = any(part in _SKIPPED_DIRS for part in relative.parts)
    return in_cache or relative.suffix in _SKIPPED_SUFFIXES


def _project_ignore(directory: str, names: list[str]) -> set[str]:
    """``shutil.copytree`` filter: caches, hidden files (editor swap files) and backups stay out."""
    return {
        name
        for name in names
        if name in _SKIPPED_DIRS or name.startswith(".") or name.endswith(("~", *_SKIPPED_SUFFIXES))
    }


def _copy_project(root: Path, dest: Path) -> None:
    for name in PROJECT_FILES:
        source = root / name
        if not source.is_file():
            raise PackagingError(f"{source} is missing: build from a source checkout")
        shutil.copyfile(source, dest / name)
    for name in PROJECT_DIRS:
        source = root / name
        if not source.is_dir():
            raise PackagingError(f"{source} is missing: build from a source checkout")
        shutil.copytree(source, dest / name, ignore=_project_ignore)


def bundle_files(code_dir: Path) -> list[Path]:
    """The files a zip of ``code_dir`` holds, relative and in archive order."""
    files = [
        path.relative_to(code_dir)
        for path in code_dir.rglob("*")
        if path.is_file() and not _skipped(path.relative_to(code_dir))
    ]
    return sorted(files, key=lambda p: p.as_posix())


def write_zip(code_dir: Path, output: Path) -> int:
    """Zip ``code_dir`` reproducibly into ``output`` (atomically); returns the file count."""
    files = bundle_files(code_dir)
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    os.close(handle)
    try:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for relative in files:
                entry = zipfile.ZipInfo(relative.as_posix(), date_time=ZIP_TIMESTAMP)
                entry.create_system = 3  # Unix, so the permission bits below are honoured
                entry.external_attr = _FILE_MODE << 16
                entry.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(entry, (code_dir / relative).read_bytes(), compresslevel=9)
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return len(files)


def build_code_dir(
    root: Path | None = None, build_dir: Path | None = None, *, requirements: Sequence[str] = ()
) -> Path:
    """Assemble the Lambda code folder (``<build_dir>/lambda``) from scratch and return it.

    It is built in a sibling temporary folder and swapped in at the end, so a failed build
    leaves the previous folder alone. ``requirements`` defaults to :func:`lambda_requirements`.
    """
    root = (root or project_root()).resolve()
    build_dir = (build_dir or root / BUILD_DIR_NAME).resolve()
    build_dir.mkdir(parents=True, exist_ok=True)
    code_dir = build_dir / CODE_DIR_NAME
    staging = Path(tempfile.mkdtemp(prefix=f".{CODE_DIR_NAME}.", dir=build_dir))
    staging.chmod(0o755)  # mkdtemp makes it private; the deployers zip what is on disk
    try:
        _install_dependencies(staging, list(requirements) or lambda_requirements(root))
        removed = _prune_provided(staging)
        log.info("left out (provided by Lambda): %s", ", ".join(removed) or "nothing")
        _copy_project(root, staging)
        if code_dir.exists():
            shutil.rmtree(code_dir)
        staging.rename(code_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return code_dir


def build_lambda_zip(
    output: Path | None = None,
    *,
    root: Path | None = None,
    build_dir: Path | None = None,
) -> PackageReport:
    """Build the Lambda code folder and zip it.

    ``output`` defaults to ``<build_dir>/cramp-helper-lambda.zip``; the code folder is
    always ``<build_dir>/lambda`` (``build_dir`` defaults to the project's ``build``). Needs pip
    and access to the package index (or pip's cache). Raises :class:`PackagingError`.
    """
    root = (root or project_root()).resolve()
    build_dir = (build_dir or root / BUILD_DIR_NAME).resolve()
    output = (output or build_dir / ZIP_NAME).resolve()
    code_dir = build_code_dir(root, build_dir)
    files = write_zip(code_dir, output)
    size = output.stat().st_size
    log.info("wrote %s: %d files, %d bytes", output, files, size)
    return PackageReport(path=output, size_bytes=size, files=files, code_dir=code_dir)


__all__ = [
    "LAMBDA_PYTHON_VERSION",
    "PROVIDED_BY_LAMBDA",
    "PackageReport",
    "PackagingError",
    "build_code_dir",
    "build_lambda_zip",
    "bundle_files",
    "lambda_requirements",
    "pip_install_command",
    "project_root",
    "write_zip",
]
