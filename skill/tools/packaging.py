"""The AWS Lambda bundle: the code folder ``ask deploy`` and ``sam deploy`` upload, and its zip.

The bundle holds ``lambda_handler.py``, the runtime of the ``skill`` package (not the tools in
``skill/tools/`` nor the web service in ``skill/web/``: Lambda never imports them), ``content/``,
the generated voice models ``interaction_model/<locale>.json`` (for their slot values) and the
runtime dependencies (``[project].dependencies`` without the web-service ones, plus the ``aws``
extra from ``pyproject.toml``), installed by pip for the Lambda platform (manylinux x86_64,
CPython 3.12) whatever machine builds it. boto3 and what only boto3 needs are left out: the Lambda
Python runtime provides them.

Everything is written under ``build/`` (git-ignored): ``build/lambda/`` is the unpacked code
folder (``code.default.src`` in ``ask-resources.json``, ``CodeUri`` in ``template.yaml``) and
``build/cramp-helper-lambda.zip`` the zip. The zip is reproducible: entries in sorted order,
with a fixed timestamp and permissions.

Bytecode: Lambda's code folder is read-only, so a bundle without ``.pyc`` files makes every cold
start compile every module it imports. When the build machine has an interpreter of exactly the
runtime's version (``CRAMP_HELPER_LAMBDA_PYTHON``, else ``python3.12`` on ``PATH``), the bundle is
compiled with it: ``unchecked-hash`` pycs (no timestamps, so the zip stays reproducible, and
Python trusts them without reading the source again: they are built from the very files beside
them), file names as Lambda sees them (``/var/task/...``) and a fixed hash seed (set literals
marshal in hash order). Without such an interpreter the bundle is built without bytecode and the
report says why; bytecode from another Python version would be ignored by Lambda.

Shared libraries: the dependencies' compiled extensions (libyaml's binding above all, 2.8 MB of
which 2.4 MB are debugging symbols) are stripped of their debugging sections with ``strip
--strip-debug`` where binutils' ``strip`` is on ``PATH``; what the code does is unchanged, and the
zip is 0.6 MB smaller. Without ``strip`` they go in as pip installed them.

Which modules get bytecode: every module of the skill's own, and every dependency module that the
skill imports while it answers (found by running the bundle with that interpreter on a launch,
every intent and a session end, see :func:`imported_modules`), plus the ones it imports only on
some requests (:data:`LATER_IMPORTS`). The SDK's model package has over a thousand modules for
Alexa features the skill never uses; compiling them all would take the zip over 5 MB for no
gain, and any of them that is ever imported still works from its source.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skill.content import (
    PARSED_FILE,
    ContentError,
    content_locales,
    load_content,
    parse_yaml,
    parsed_entry,
)
from skill.routine import check_routines_fit
from skill.tools.paths import project_root

log = logging.getLogger(__name__)

#: Matches ``Runtime`` in template.yaml and ``userConfig.runtime`` in ask-resources.json.
LAMBDA_PYTHON_VERSION = "3.12"
#: Where Lambda unpacks the code (``LAMBDA_TASK_ROOT``): the file names compiled into bytecode.
LAMBDA_TASK_ROOT = "/var/task"
#: An interpreter of the runtime's version to compile the bundle's bytecode with.
ENV_LAMBDA_PYTHON = "CRAMP_HELPER_LAMBDA_PYTHON"
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
#: The generated voice models, one per locale: the skill reads their slot values and synonyms at
#: start-up (``skill/slots.py``). Their template sources stay out.
PROJECT_GLOBS: tuple[str, ...] = ("interaction_model/*.json",)
#: Parts of those folders that are not the runtime (tools, the web service): left out.
NOT_RUNTIME: tuple[str, ...] = ("skill/tools", "skill/web")

#: The earliest time a zip entry can carry; used for every entry so builds are reproducible.
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
_FILE_MODE = 0o100644  # regular file, rw-r--r--: Lambda only needs to read.
_SKIPPED_DIRS = frozenset({"__pycache__"})
_SKIPPED_SUFFIXES = (".pyc", ".pyo")
_PIP_TIMEOUT_SECONDS = 600
_COMPILE_TIMEOUT_SECONDS = 600
#: Modules the skill imports only on some requests: the Alexa Settings API client (the device's
#: time zone) and the DynamoDB adapter. Imported where they can be (boto3 is Lambda's own, not
#: the bundle's), so their modules in the bundle get bytecode too.
LATER_IMPORTS: tuple[str, ...] = ("ask_sdk_core.api_client", "ask_sdk_dynamodb.adapter")
#: Run by the runtime's interpreter inside the code folder (its cwd): answers the events on
#: standard input, then prints the bundle's ``.py`` files that are loaded, relative, as JSON.
_IMPORT_PROBE = """
import importlib, json, os, sys
root = os.getcwd()
sys.path.insert(0, root)
request = json.load(sys.stdin)
import lambda_handler
for event in request["events"]:
    lambda_handler.handler(event, None)
for name in request["later"]:
    try:
        importlib.import_module(name)
    except Exception:
        pass
inside = root + os.sep
files = set()
for module in list(sys.modules.values()):
    path = getattr(module, "__file__", None)
    if isinstance(path, str) and path.endswith(".py") and os.path.abspath(path).startswith(inside):
        files.add(os.path.relpath(os.path.abspath(path), root))
print(json.dumps(sorted(files)))
"""


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
    #: The interpreter that compiled the bundle's bytecode; None when the bundle has none.
    compiled_with: str | None = None
    #: Why the bundle has no bytecode ("" when it has).
    no_bytecode_reason: str = ""

    def describe(self) -> str:
        """One line for a person: where, how big, and whether bytecode is in it."""
        bytecode = (
            f"bytecode compiled with {self.compiled_with}"
            if self.compiled_with
            else f"no bytecode ({self.no_bytecode_reason})"
        )
        return (
            f"{self.path}: {self.size_bytes / 1_000_000:.2f} MB, {self.files} files, {bytecode}"
        )


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


def _run(
    command: Sequence[str],
    failure: str,
    *,
    timeout: float,
    input: str | None = None,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` with text in and out and its output captured; the exit status is the
    caller's to read. :class:`PackagingError` ("``failure``: why") when it cannot be run at all
    or takes longer than ``timeout`` seconds."""
    try:
        return subprocess.run(
            list(command),
            input=input,
            cwd=cwd,
            env=None if env is None else dict(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PackagingError(f"{failure}: {exc}") from exc


def _install_dependencies(target: Path, requirements: Sequence[str]) -> None:
    command = pip_install_command(target, requirements)
    log.info("installing %s for Lambda", ", ".join(requirements))
    done = _run(command, "pip could not be run", timeout=_PIP_TIMEOUT_SECONDS)
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


def bytecode_tag(python_version: str = LAMBDA_PYTHON_VERSION) -> str:
    """The cache tag of CPython ``python_version`` ("3.12" -> "cpython-312")."""
    return "cpython-" + python_version.replace(".", "")


def _skipped(relative: Path, python_version: str = LAMBDA_PYTHON_VERSION) -> bool:
    """Whether a file stays out of the zip: caches and bytecode, except the runtime's own pycs.

    Only ``__pycache__/<module>.<tag>.pyc`` for the runtime's version goes in (as compiled by
    :func:`compile_bytecode`); other versions' bytecode, optimised pycs and stray ``.pyc``
    files are never loaded by Lambda.
    """
    if relative.parent.name == "__pycache__" and "__pycache__" not in relative.parent.parent.parts:
        return not relative.name.endswith(f".{bytecode_tag(python_version)}.pyc")
    in_cache = any(part in _SKIPPED_DIRS for part in relative.parts)
    return in_cache or relative.suffix in _SKIPPED_SUFFIXES


def _project_ignore(root: Path) -> Callable[[str, list[str]], set[str]]:
    """A ``shutil.copytree`` filter: what is not the runtime (:data:`NOT_RUNTIME`), caches,
    hidden files (editor swap files) and backups stay out."""
    not_runtime = {root / part for part in NOT_RUNTIME}

    def ignore(directory: str, names: list[str]) -> set[str]:
        return {
            name
            for name in names
            if name in _SKIPPED_DIRS
            or name.startswith(".")
            or name.endswith(("~", *_SKIPPED_SUFFIXES))
            or Path(directory, name) in not_runtime
        }

    return ignore


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
        shutil.copytree(source, dest / name, ignore=_project_ignore(root))
    for pattern in PROJECT_GLOBS:
        matches = sorted(root.glob(pattern))
        if not matches:
            raise PackagingError(f"{root / pattern}: nothing matches: build from a source checkout")
        for source in matches:
            target = dest / source.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    write_parsed_content(dest / "content")


def write_parsed_content(content_dir: Path, *, check: bool = False) -> tuple[int, bool]:
    """Write ``content_dir``'s YAML files already parsed (:data:`skill.content.PARSED_FILE`),
    so a cold start needs no YAML parser; returns how many files it holds and whether the file
    changed (with ``check``, whether it would: nothing is written). Every locale is loaded and
    checked from them first (:class:`PackagingError` if broken).

    A file whose data would not come back the same from JSON (a key that is not text, say) is
    left out: the skill reads that one as YAML.
    """
    files: dict[str, dict[str, object]] = {}
    for path in sorted(content_dir.glob("*/*.yaml")):
        raw = path.read_bytes()
        data = parse_yaml(raw, path.name)
        entry = parsed_entry(raw, data)
        if json.loads(str(entry["json"])) != data:
            log.info("%s/%s stays YAML only: JSON would change it", path.parent.name, path.name)
            continue
        files[f"{path.parent.name}/{path.name}"] = entry
    for locale in content_locales(content_dir):  # broken content stops the build here
        try:
            check_routines_fit(load_content(content_dir, locale, parsed=files))
        except ContentError as error:
            raise PackagingError(f"content for {locale} is broken: {error}") from error
    stored = {"files": files, "checked": True}
    text = json.dumps(stored, sort_keys=True, separators=(",", ":")) + "\n"
    target = content_dir / PARSED_FILE
    try:
        changed = target.read_text(encoding="utf-8") != text
    except FileNotFoundError:
        changed = True
    if changed and not check:
        target.write_text(text, encoding="utf-8")
    return len(files), changed


def strip_debug(folder: Path) -> int:
    """Strip the debugging sections of every shared library (``*.so``) under ``folder``; returns
    how many were stripped (0 without ``strip`` on ``PATH``). A library ``strip`` refuses is left
    as it was, with a log line."""
    strip = shutil.which("strip")
    if strip is None:
        log.info("no strip on PATH: shared libraries keep their debugging sections")
        return 0
    stripped = 0
    for library in sorted(folder.rglob("*.so")):
        try:
            done = _run(
                [strip, "--strip-debug", str(library)],
                f"could not strip {library.name}",
                timeout=_COMPILE_TIMEOUT_SECONDS,
            )
        except PackagingError as exc:
            log.warning("%s", exc)
            continue
        if done.returncode == 0:
            stripped += 1
        else:
            log.warning("could not strip %s: %s", library.name, done.stderr.strip())
    return stripped


def find_lambda_python(
    python_version: str = LAMBDA_PYTHON_VERSION, *, search_path: str | None = None
) -> tuple[str | None, str]:
    """An interpreter to compile the bundle with: ``(path, "")``, or ``(None, why not)``.

    ``CRAMP_HELPER_LAMBDA_PYTHON`` names one explicitly (checked by the caller, where a wrong
    one is an error); otherwise the first ``python<version>`` on ``search_path`` (default
    ``PATH``) that runs and is that version. A name that does not run (a version manager's
    shim for a version that is installed but not selected) is passed over.
    """
    named = os.environ.get(ENV_LAMBDA_PYTHON, "").strip()
    if named:
        return named, ""
    command = f"python{python_version}"
    folders = (os.environ.get("PATH", "") if search_path is None else search_path).split(
        os.pathsep
    )
    if search_path is None:
        folders += _version_manager_folders(python_version)
    tried: list[str] = []
    for folder in folders:
        candidate = shutil.which(command, path=folder) if folder else None
        if candidate is None or candidate in tried:
            continue
        tried.append(candidate)
        try:
            if interpreter_version(candidate) == python_version:
                return candidate, ""
        except PackagingError as error:
            log.info("passed over %s: %s", candidate, error)
    if not tried:
        return None, f"no {command} on PATH and {ENV_LAMBDA_PYTHON} is not set"
    return None, (
        f"{', '.join(tried)} did not run as Python {python_version}; "
        f"set {ENV_LAMBDA_PYTHON} to one that does"
    )


def _version_manager_folders(python_version: str) -> list[str]:
    """pyenv's installed ``python_version.*`` interpreters (newest first): a pyenv shim on
    ``PATH`` does not run a version that is installed but not selected, the real one does."""
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    try:
        installed = [path for path in root.glob(f"{python_version}.*") if path.is_dir()]
    except OSError:
        return []

    def patch(path: Path) -> int:
        tail = path.name[len(python_version) + 1 :]
        return int(tail) if tail.isdigit() else -1

    return [str(path / "bin") for path in sorted(installed, key=patch, reverse=True)]


def interpreter_version(python: str) -> str:
    """``python``'s ``major.minor`` version; :class:`PackagingError` if it cannot be run."""
    probe = "import sys; print('%d.%d' % sys.version_info[:2])"
    done = _run([python, "-I", "-c", probe], f"cannot run {python}", timeout=60)
    if done.returncode != 0:
        raise PackagingError(f"cannot run {python}: {done.stderr.strip()}")
    return done.stdout.strip()


def compile_bytecode(
    code_dir: Path, python: str, python_version: str = LAMBDA_PYTHON_VERSION
) -> int:
    """Compile the skill's modules and what it imports (see the module notes) under
    ``code_dir`` with ``python``; returns the pycs written.

    ``python`` must be CPython ``python_version`` (:class:`PackagingError` otherwise): bytecode
    is specific to one version. The pycs are ``unchecked-hash`` ones named for
    :data:`LAMBDA_TASK_ROOT`, compiled with a fixed hash seed, so the same sources always give the
    same bytes. A file that does not compile for that version (some distributions ship files
    meant for other versions) is logged and left without bytecode.
    """
    found = interpreter_version(python)
    if found != python_version:
        raise PackagingError(f"{python} is Python {found}; the bundle is for {python_version}")
    code_dir = code_dir.resolve()
    own = [
        path.relative_to(code_dir).as_posix()
        for path in [code_dir / "lambda_handler.py", *sorted((code_dir / "skill").rglob("*.py"))]
        if path.is_file()
    ]
    files = sorted({*own, *imported_modules(code_dir, python)})
    command = [
        python,
        "-I",
        "-m",
        "compileall",
        "-q",
        "--invalidation-mode",
        "unchecked-hash",
        "-s",
        str(code_dir),
        "-p",
        LAMBDA_TASK_ROOT,
        "-i",
        "-",
    ]
    environment = {**os.environ, "PYTHONHASHSEED": "0"}
    environment.pop("SOURCE_DATE_EPOCH", None)
    done = _run(
        command,
        "compileall could not be run",
        timeout=_COMPILE_TIMEOUT_SECONDS,
        input="".join(f"{code_dir / name}\n" for name in files),
        env=environment,
    )
    if done.returncode != 0:
        log.warning("some files did not compile for Python %s:\n%s", python_version, done.stdout)
    tag = bytecode_tag(python_version)
    return sum(1 for _ in code_dir.rglob(f"__pycache__/*.{tag}.pyc"))


def probe_events() -> list[dict[str, Any]]:
    """What :func:`imported_modules` sends the bundle: a launch, every routed intent (no slots),
    a CanFulfill request and a session end, in the default locale."""
    from skill.handlers.routes import ROUTES
    from skill.tools import envelopes

    return [
        envelopes.launch(),
        *(envelopes.intent(name) for name in ROUTES),
        envelopes.can_fulfill("StretchIntent"),
        envelopes.session_ended(),
    ]


def imported_modules(code_dir: Path, python: str) -> list[str]:
    """The ``.py`` files of ``code_dir`` (relative, posix) that the bundle loads when ``python``
    runs it on :func:`probe_events` and imports :data:`LATER_IMPORTS`.

    Nothing is written into ``code_dir``: the run keeps its state in a temporary folder and
    writes no bytecode. Raises :class:`PackagingError` when the bundle cannot answer.
    """
    request = json.dumps({"events": probe_events(), "later": list(LATER_IMPORTS)})
    with tempfile.TemporaryDirectory(prefix="cramp-helper-probe-") as state:
        environment = {
            key: value for key, value in os.environ.items() if not key.startswith("CRAMP_HELPER")
        }
        environment["CRAMP_HELPER_DB"] = str(Path(state) / "probe.sqlite3")
        environment["CRAMP_HELPER_LOG_LEVEL"] = "ERROR"
        done = _run(
            [python, "-I", "-B", "-c", _IMPORT_PROBE],
            f"the bundle could not be run with {python}",
            timeout=_COMPILE_TIMEOUT_SECONDS,
            input=request,
            cwd=code_dir,
            env=environment,
        )
    if done.returncode != 0:
        raise PackagingError(f"the bundle does not answer with {python}:\n{done.stderr[-2000:]}")
    try:
        files = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError) as exc:
        unreadable = done.stdout[-500:]
        raise PackagingError(f"the bundle's module list is unreadable: {unreadable}") from exc
    return [str(name) for name in files]


def bundle_files(code_dir: Path, python_version: str = LAMBDA_PYTHON_VERSION) -> list[Path]:
    """The files a zip of ``code_dir`` holds, relative and in archive order."""
    files = [
        path.relative_to(code_dir)
        for path in code_dir.rglob("*")
        if path.is_file() and not _skipped(path.relative_to(code_dir), python_version)
    ]
    return sorted(files, key=lambda p: p.as_posix())


def write_zip(
    code_dir: Path, output: Path, python_version: str = LAMBDA_PYTHON_VERSION
) -> int:
    """Zip ``code_dir`` reproducibly into ``output`` (atomically); returns the file count.

    Bytecode goes in only for ``python_version`` (see :func:`_skipped`).
    """
    files = bundle_files(code_dir, python_version)
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
    root: Path | None = None,
    build_dir: Path | None = None,
    *,
    requirements: Sequence[str] = (),
    compile_with: str | None = None,
) -> Path:
    """Assemble the Lambda code folder (``<build_dir>/lambda``) from scratch and return it.

    It is built in a sibling temporary folder and swapped in at the end, so a failed build
    leaves the previous folder alone. ``requirements`` defaults to :func:`lambda_requirements`.
    With ``compile_with`` (an interpreter of :data:`LAMBDA_PYTHON_VERSION`), the folder gets
    bytecode (:func:`compile_bytecode`).
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
        log.info("stripped the debugging sections of %d shared libraries", strip_debug(staging))
        _copy_project(root, staging)
        if compile_with is not None:
            compiled = compile_bytecode(staging, compile_with)
            log.info("compiled %d modules with %s", compiled, compile_with)
        if code_dir.exists():
            shutil.rmtree(code_dir)
        staging.rename(code_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return code_dir


def _bytecode_interpreter(python: str | None, bytecode: bool) -> tuple[str | None, str]:
    """The interpreter to compile with (checked now, before anything is built), or why none.

    One named by the caller or by ``CRAMP_HELPER_LAMBDA_PYTHON`` must run and be the runtime's
    version (:class:`PackagingError` otherwise); one merely looked for may be missing.
    """
    if not bytecode:
        return None, "bytecode not asked for"
    named = python or os.environ.get(ENV_LAMBDA_PYTHON, "").strip()
    if not named:
        return find_lambda_python()
    found = interpreter_version(named)
    if found != LAMBDA_PYTHON_VERSION:
        raise PackagingError(
            f"{named} is Python {found}; the bundle is for {LAMBDA_PYTHON_VERSION}"
        )
    return named, ""


def build_lambda_zip(
    output: Path | None = None,
    *,
    root: Path | None = None,
    build_dir: Path | None = None,
    python: str | None = None,
    bytecode: bool = True,
) -> PackageReport:
    """Build the Lambda code folder and zip it.

    ``output`` defaults to ``<build_dir>/cramp-helper-lambda.zip``; the code folder is
    always ``<build_dir>/lambda`` (``build_dir`` defaults to the project's ``build``). Needs pip
    and access to the package index (or pip's cache). Bytecode is compiled with ``python``, else
    with the interpreter :func:`find_lambda_python` finds; without one (or with ``bytecode``
    False) the bundle has none and the report and the log say why. Raises
    :class:`PackagingError` (also when ``python`` is not Python :data:`LAMBDA_PYTHON_VERSION`).
    """
    root = (root or project_root()).resolve()
    build_dir = (build_dir or root / BUILD_DIR_NAME).resolve()
    output = (output or build_dir / ZIP_NAME).resolve()
    compile_with, reason = _bytecode_interpreter(python, bytecode)
    if compile_with is None:
        log.warning("building without bytecode: %s", reason)
    code_dir = build_code_dir(root, build_dir, compile_with=compile_with)
    files = write_zip(code_dir, output)
    size = output.stat().st_size
    report = PackageReport(
        path=output,
        size_bytes=size,
        files=files,
        code_dir=code_dir,
        compiled_with=compile_with,
        no_bytecode_reason=reason,
    )
    log.info("wrote %s", report.describe())
    return report


__all__ = [
    "ENV_LAMBDA_PYTHON",
    "LAMBDA_PYTHON_VERSION",
    "LAMBDA_TASK_ROOT",
    "NOT_RUNTIME",
    "PROVIDED_BY_LAMBDA",
    "PackageReport",
    "PackagingError",
    "build_code_dir",
    "build_lambda_zip",
    "bundle_files",
    "bytecode_tag",
    "compile_bytecode",
    "imported_modules",
    "strip_debug",
    "write_parsed_content",
    "find_lambda_python",
    "interpreter_version",
    "lambda_requirements",
    "pip_install_command",
    "write_zip",
]
