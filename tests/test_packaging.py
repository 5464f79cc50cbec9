"""The Lambda bundle and the deployment descriptions (template.yaml, ask-resources.json).

One real bundle is built for the whole module (pip downloads the Lambda wheels, or takes them
from its cache), then unpacked and run in a fresh virtual environment holding nothing else. Its
bytecode is compiled when this machine has the runtime's Python; the compile step is also run
with the running interpreter (its own version passed in), so both paths are tested everywhere.
"""

from __future__ import annotations

import ast
import json
import marshal
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from skill.tools import envelopes as E
from skill.tools.packaging import (
    BUILD_DIR_NAME,
    CODE_DIR_NAME,
    ENV_LAMBDA_PYTHON,
    LAMBDA_PYTHON_VERSION,
    LAMBDA_TASK_ROOT,
    PROVIDED_BY_LAMBDA,
    ZIP_TIMESTAMP,
    PackageReport,
    PackagingError,
    _bytecode_interpreter,
    _copy_project,
    _prune_provided,
    build_lambda_zip,
    bytecode_tag,
    compile_bytecode,
    find_lambda_python,
    imported_modules,
    lambda_requirements,
    pip_install_command,
    strip_debug,
    write_zip,
)
from skill.tools.paths import project_root

ROOT = project_root()
#: With or without bytecode (only what the skill imports is compiled), with or without ``strip``.
MAX_ZIP_BYTES = 5 * 1024 * 1024
LAMBDA_RUNTIME = f"python{LAMBDA_PYTHON_VERSION}"
RUNNING_VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"
#: Top-level parts of the source tree that are tools or the web service, never the runtime.
NOT_RUNTIME_PREFIXES = ("skill/tools/", "skill/web/")


# --- template.yaml ---------------------------------------------------------------------------


class _CloudFormationLoader(yaml.SafeLoader):
    """A safe loader that reads CloudFormation short forms (!Ref X) as {"Ref": X} etc."""


def _short_form(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CloudFormationLoader.add_multi_constructor("!", _short_form)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    with (ROOT / "template.yaml").open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_CloudFormationLoader)


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


@pytest.fixture(scope="module")
def function(template: dict[str, Any]) -> dict[str, Any]:
    functions = _resources(template, "AWS::Serverless::Function")
    assert len(functions) == 1
    return next(iter(functions.values()))["Properties"]


def test_template_is_a_sam_template(template: dict[str, Any]) -> None:
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    assert template["Parameters"]["SkillId"]["Type"] == "String"


def test_function_handler_exists(function: dict[str, Any]) -> None:
    assert function["Handler"] == "lambda_handler.handler"
    module_name, _, attribute = function["Handler"].rpartition(".")
    source = ROOT / f"{module_name}.py"
    assert source.is_file()
    # Read, not imported: importing builds the skill with the store this environment names.
    # (The bundle test below imports and calls it.)
    tree = ast.parse(source.read_text(encoding="utf-8"))
    assigned = {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert attribute in assigned | defined


def test_function_runtime_and_limits(function: dict[str, Any]) -> None:
    assert function["Runtime"] == LAMBDA_RUNTIME
    assert function["Timeout"] < 8  # Alexa gives up after about 8 seconds
    assert function["MemorySize"] >= 128
    assert function["CodeUri"] == f"{BUILD_DIR_NAME}/{CODE_DIR_NAME}"


def test_function_is_triggered_by_this_skill_only(function: dict[str, Any]) -> None:
    events = list(function["Events"].values())
    assert [e["Type"] for e in events] == ["AlexaSkill"]
    assert events[0]["Properties"]["SkillId"] == {"Ref": "SkillId"}
    assert function["Environment"]["Variables"]["CRAMP_HELPER_SKILL_ID"] == {"Ref": "SkillId"}


def test_table_is_wired_to_the_function(template: dict[str, Any], function: dict) -> None:
    tables = _resources(template, "AWS::DynamoDB::Table")
    assert len(tables) == 1
    ((name, table),) = tables.items()
    properties = table["Properties"]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert properties["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]
    from skill.persistence.dynamodb_store import PARTITION_KEY_NAME
    from skill.persistence.factory import ENV_DYNAMODB_TABLE

    assert PARTITION_KEY_NAME == "id"
    assert function["Environment"]["Variables"][ENV_DYNAMODB_TABLE] == {"Ref": name}
    assert {"DynamoDBCrudPolicy": {"TableName": {"Ref": name}}} in function["Policies"]


# --- ask-resources.json ----------------------------------------------------------------------


def test_ask_resources_point_at_the_skill_package_and_the_bundle() -> None:
    resources = json.loads((ROOT / "ask-resources.json").read_text(encoding="utf-8"))
    profile = resources["profiles"]["default"]
    package = ROOT / profile["skillMetadata"]["src"]
    assert (package / "skill.json").is_file()
    assert (package / "interactionModels" / "custom" / "en-US.json").is_file()
    code = Path(profile["code"]["default"]["src"])
    assert code == Path(BUILD_DIR_NAME) / CODE_DIR_NAME
    infrastructure = profile["skillInfrastructure"]
    assert infrastructure["type"] == "@ask-cli/lambda-deployer"
    config = infrastructure["userConfig"]
    assert config["runtime"] == LAMBDA_RUNTIME
    assert config["handler"] == "lambda_handler.handler"
    assert config["lambda"]["timeout"] < 8


def test_build_folder_is_git_ignored() -> None:
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    probe = f"{BUILD_DIR_NAME}/{CODE_DIR_NAME}/lambda_handler.py"
    done = subprocess.run(
        [git, "check-ignore", "-q", probe], cwd=ROOT, capture_output=True, check=False
    )
    assert done.returncode == 0, f"add {BUILD_DIR_NAME}/ to .gitignore"


# --- the pieces of the build, without the network --------------------------------------------


def test_requirements_are_the_runtime_ones_from_pyproject() -> None:
    names = {
        r.split(">")[0].split("<")[0].split("=")[0].strip().lower() for r in lambda_requirements()
    }
    assert names == {"ask-sdk-core", "pyyaml", "tzdata", "ask-sdk-dynamodb-persistence-adapter"}


def test_pip_installs_wheels_for_the_lambda_platform(tmp_path: Path) -> None:
    command = pip_install_command(tmp_path, ["pyyaml"])
    joined = " ".join(command)
    assert "--only-binary=:all:" in command
    assert "--platform manylinux2014_x86_64" in joined
    assert f"--python-version {LAMBDA_PYTHON_VERSION}" in joined
    assert "--implementation cp" in joined
    assert f"--target {tmp_path}" in joined


def _fake_distribution(site: Path, name: str, files: dict[str, str]) -> None:
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    for relative, text in files.items():
        path = site / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    record = [f"{rel},sha256=x,1" for rel in files]
    record += [f"{info.name}/RECORD,,", f"../../bin/{name}-tool,sha256=x,1"]
    (info / "RECORD").write_text("\n".join(record))


def test_prune_removes_what_lambda_provides_and_nothing_else(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _fake_distribution(site, "boto3", {"boto3/__init__.py": "", "boto3/data/x.json": "{}"})
    _fake_distribution(site, "jmespath", {"jmespath/__init__.py": ""})
    _fake_distribution(site, "requests", {"requests/__init__.py": ""})
    (site / "bin").mkdir()
    (site / "bin" / "normalizer").write_text("#!/usr/bin/python\n")
    outside = tmp_path / "bin" / "boto3-tool"  # listed as ../../bin/...: must survive
    outside.parent.mkdir()
    outside.write_text("keep")

    removed = _prune_provided(site)

    assert set(removed) == {"boto3", "jmespath"} <= set(PROVIDED_BY_LAMBDA)
    assert sorted(p.name for p in site.iterdir()) == ["requests", "requests-1.0.dist-info"]
    assert outside.read_text() == "keep"


def test_zip_is_reproducible_and_skips_caches(tmp_path: Path) -> None:
    code = tmp_path / "code"
    (code / "pkg" / "__pycache__").mkdir(parents=True)
    (code / "pkg" / "__init__.py").write_text("x = 1\n")
    (code / "pkg" / "__pycache__" / "__init__.cpython-311.pyc").write_bytes(b"\0")
    (code / "pkg" / "__pycache__" / "__init__.cpython-312.opt-1.pyc").write_bytes(b"\0")
    (code / "pkg" / "__pycache__" / "__pycache__").mkdir()
    (code / "pkg" / "__pycache__" / "__pycache__" / "x.cpython-312.pyc").write_bytes(b"\0")
    (code / "pkg" / "stray.pyc").write_bytes(b"\0")
    (code / "b.py").write_text("")
    (code / "a.txt").write_text("a")

    first = tmp_path / "one.zip"
    assert write_zip(code, first) == 3  # only the runtime's own bytecode could go in
    os.utime(code / "a.txt", (0, 0))
    second = tmp_path / "two.zip"
    write_zip(code, second)

    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        entries = archive.infolist()
    assert [e.filename for e in entries] == ["a.txt", "b.py", "pkg/__init__.py"]
    assert {e.date_time for e in entries} == {ZIP_TIMESTAMP}
    assert {e.external_attr >> 16 for e in entries} == {0o100644}


def test_zip_carries_the_runtime_bytecode_only(tmp_path: Path) -> None:
    code = tmp_path / "code"
    cache = code / "pkg" / "__pycache__"
    cache.mkdir(parents=True)
    (code / "pkg" / "__init__.py").write_text("x = 1\n")
    for name in ("__init__.cpython-312.pyc", "__init__.cpython-311.pyc",
                 "__init__.cpython-312.opt-1.pyc"):
        (cache / name).write_bytes(b"\0")

    output = tmp_path / "bundle.zip"
    write_zip(code, output, "3.12")
    with zipfile.ZipFile(output) as archive:
        assert archive.namelist() == ["pkg/__init__.py", "pkg/__pycache__/__init__.cpython-312.pyc"]


# --- what goes in: the runtime, not its tools ------------------------------------------------


def test_project_copy_is_the_runtime_only(tmp_path: Path) -> None:
    _copy_project(ROOT, tmp_path)
    copied = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.py")}
    assert "lambda_handler.py" in copied
    assert "skill/builder.py" in copied and "skill/persistence/factory.py" in copied
    assert [c for c in copied if c.startswith(NOT_RUNTIME_PREFIXES)] == []
    assert (ROOT / "skill" / "tools" / "packaging.py").is_file()  # they exist, but stay out


# --- bytecode ----------------------------------------------------------------------------------


def test_without_the_runtime_python_there_is_no_interpreter_and_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_LAMBDA_PYTHON, raising=False)
    python, reason = find_lambda_python(search_path=str(tmp_path))
    assert python is None
    assert LAMBDA_RUNTIME in reason and ENV_LAMBDA_PYTHON in reason

    # A name on PATH that does not run (a version manager's shim, say) is no interpreter either.
    shim = tmp_path / LAMBDA_RUNTIME
    shim.write_text("#!/bin/sh\necho 'python3.12: command not found' >&2\nexit 127\n")
    shim.chmod(0o755)
    python, reason = find_lambda_python(search_path=str(tmp_path))
    assert python is None
    assert str(shim) in reason and ENV_LAMBDA_PYTHON in reason


def test_without_the_runtime_python_the_build_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_LAMBDA_PYTHON, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))  # no interpreter installed there either
    assert _bytecode_interpreter(None, bytecode=True) == (
        None, f"no {LAMBDA_RUNTIME} on PATH and {ENV_LAMBDA_PYTHON} is not set"
    )
    assert _bytecode_interpreter(sys.executable, bytecode=False) == (
        None, "bytecode not asked for"
    )


def test_an_interpreter_is_found_on_path_or_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_LAMBDA_PYTHON, raising=False)
    named = f"python{RUNNING_VERSION}"
    (tmp_path / named).symlink_to(sys.executable)
    found = find_lambda_python(RUNNING_VERSION, search_path=str(tmp_path))
    assert found == (str(tmp_path / named), "")
    monkeypatch.setenv(ENV_LAMBDA_PYTHON, "/opt/python/bin/python3.12")
    assert find_lambda_python(search_path=str(tmp_path)) == ("/opt/python/bin/python3.12", "")


@pytest.mark.skipif(RUNNING_VERSION == LAMBDA_PYTHON_VERSION, reason="needs another version")
def test_a_named_interpreter_of_another_version_is_refused_before_building(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(PackagingError, match=f"is Python {RUNNING_VERSION}"):
        build_lambda_zip(tmp_path / "x.zip", build_dir=tmp_path / "build", python=sys.executable)
    assert not (tmp_path / "build").exists()
    monkeypatch.setenv(ENV_LAMBDA_PYTHON, sys.executable)
    with pytest.raises(PackagingError, match=f"is Python {RUNNING_VERSION}"):
        build_lambda_zip(tmp_path / "x.zip", build_dir=tmp_path / "build")
    monkeypatch.setenv(ENV_LAMBDA_PYTHON, str(tmp_path / "no-such-python"))
    with pytest.raises(PackagingError, match="cannot run"):
        build_lambda_zip(tmp_path / "x.zip", build_dir=tmp_path / "build")
    assert not (tmp_path / "build").exists()
    with pytest.raises(PackagingError, match="bundle is for 9.99"):
        compile_bytecode(tmp_path, sys.executable, "9.99")


# --- one real build --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> PackageReport:
    work = tmp_path_factory.mktemp("bundle")
    return build_lambda_zip(work / "cramp-helper-lambda.zip", build_dir=work / "build")


@pytest.fixture(scope="module")
def names(bundle: PackageReport) -> list[str]:
    with zipfile.ZipFile(bundle.path) as archive:
        return archive.namelist()


@pytest.fixture(scope="module")
def unpacked(bundle: PackageReport, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("unpacked")
    with zipfile.ZipFile(bundle.path) as archive:
        archive.extractall(target)
    return target


def test_report_describes_the_zip(bundle: PackageReport, names: list[str]) -> None:
    assert bundle.path.is_file()
    assert bundle.size_bytes == bundle.path.stat().st_size
    assert bundle.files == len(names)
    assert (bundle.code_dir / "lambda_handler.py").is_file()


def test_zip_is_small(bundle: PackageReport) -> None:
    assert bundle.size_bytes < MAX_ZIP_BYTES


def test_zip_holds_the_skill_and_its_content(names: list[str]) -> None:
    assert "lambda_handler.py" in names
    assert "skill/__init__.py" in names
    assert "skill/builder.py" in names
    assert "skill/persistence/factory.py" in names
    content = {n for n in names if n.startswith("content/")}
    local = {
        f"content/{p.relative_to(ROOT / 'content').as_posix()}"
        for p in (ROOT / "content").rglob("*.yaml")
    }
    assert local and local <= content


def test_zip_holds_the_voice_models_the_skill_reads_its_slot_values_from(
    names: list[str],
) -> None:
    models = {
        f"interaction_model/{p.name}" for p in (ROOT / "interaction_model").glob("*.json")
    }
    assert "interaction_model/en-US.json" in models
    assert models == {n for n in names if n.startswith("interaction_model/")}


def test_zip_holds_the_runtime_dependencies(names: list[str]) -> None:
    tops = {n.split("/", 1)[0] for n in names}
    for package in ("ask_sdk_core", "ask_sdk_model", "ask_sdk_runtime", "ask_sdk_dynamodb", "yaml"):
        assert package in tops
    assert "tzdata" in tops, "time zones for the night voice: the Lambda runtime has none"
    assert any(n.startswith("_yaml/") or n.startswith("yaml/_yaml") for n in names)


def test_zip_leaves_out_what_lambda_provides_and_dev_tools(names: list[str]) -> None:
    tops = {n.split("/", 1)[0].lower() for n in names}
    web_only = ("flask", "flask_ask_sdk", "waitress")
    for unwanted in ("boto3", "botocore", "s3transfer", "jmespath", *web_only):
        assert unwanted not in tops
        assert not any(t.startswith(f"{unwanted}-") for t in tops), unwanted
    for unwanted in ("tests", "pytest", "_pytest", "hypothesis", "moto", "cryptography", "bin"):
        assert unwanted not in tops
    templates = [n for n in names if n.startswith("interaction_model/") and n.endswith(".yaml")]
    assert templates == []


def test_zip_holds_no_tool_or_web_module(names: list[str]) -> None:
    assert "skill/builder.py" in names
    assert [n for n in names if n.startswith(NOT_RUNTIME_PREFIXES)] == []


def test_bytecode_in_the_zip_is_what_the_report_says(
    bundle: PackageReport, names: list[str]
) -> None:
    pycs = [n for n in names if n.endswith(".pyc")]
    if bundle.compiled_with is None:
        assert bundle.no_bytecode_reason
        assert "no bytecode" in bundle.describe()
        assert pycs == []
        assert not [n for n in names if "__pycache__" in n]
        return
    tag = bytecode_tag()
    assert {p.rsplit(".", 2)[-2] for p in pycs} == {tag}
    sources = [n for n in names if n.startswith("skill/") and n.endswith(".py")]
    for source in sources:
        folder, _, module = source.rpartition("/")
        assert f"{folder}/__pycache__/{module[:-3]}.{tag}.pyc" in names, source


_RUN_IN_LAMBDA = r"""
import gc, importlib.util, json, sys
bundle = sys.argv[1]
unwanted = ("boto3", "flask", "pytest", "skill.tools", "skill.web")
missing = [m for m in unwanted if importlib.util.find_spec(m)]
import lambda_handler
assert lambda_handler.__file__.startswith(bundle), lambda_handler.__file__
responses = []
attributes = {}
for event in json.load(sys.stdin):
    event["session"]["attributes"] = attributes
    response = lambda_handler.handler(event, None)
    attributes = response.get("sessionAttributes") or {}
    responses.append(response)
parsed_yaml = "yaml" in sys.modules
print(json.dumps({"importable": missing, "responses": responses, "yaml": parsed_yaml,
                  "collecting": gc.isenabled()}))
"""


def _lambda_python() -> str:
    """The Lambda runtime's Python if this machine has one, else the running one."""
    found, _ = find_lambda_python()
    return found or sys.executable


def _bundle_runner(unpacked: Path, base_python: str, work: Path) -> Callable:
    """Run events through ``unpacked`` in a fresh venv of ``base_python`` with nothing installed."""
    venv = work / "venv"
    subprocess.run(
        [base_python, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60
    )
    python = venv / "bin" / "python"

    def run(events: list[dict]) -> dict[str, Any]:
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(work),
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(unpacked),
            "PYTHONDONTWRITEBYTECODE": "1",
            "CRAMP_HELPER_DB": str(work / "state.sqlite3"),
            "CRAMP_HELPER_LOG_LEVEL": "WARNING",
        }
        done = subprocess.run(
            [str(python), "-c", _RUN_IN_LAMBDA, str(unpacked)],
            input=json.dumps(events),
            capture_output=True,
            text=True,
            env=environment,
            cwd=work,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        result: dict[str, Any] = json.loads(done.stdout)
        result["db"] = work / "state.sqlite3"
        return result

    return run


@pytest.fixture(scope="module")
def run_bundle(unpacked: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable:
    """Run events through the unpacked bundle in a fresh venv with nothing installed."""
    return _bundle_runner(unpacked, _lambda_python(), tmp_path_factory.mktemp("lambda-run"))


def _launch_and_stretch() -> list[dict[str, Any]]:
    muscle = E.resolved("back of my thigh", "hamstring", slot_type="MuscleType")
    return [
        E.launch(),
        E.intent("StretchIntent", {"Muscle": muscle, "Position": None}, attributes={}),
        # Words without entity resolution: read against the model shipped in the bundle.
        E.intent("StretchIntent", {"Muscle": "my left quad"}, attributes={}),
    ]


def test_bundle_answers_launch_and_a_stretch_on_its_own(run_bundle: Callable) -> None:
    result = run_bundle(_launch_and_stretch())

    # Nothing outside the bundle (no boto3, flask or pytest), and no tool or web module in it.
    assert result["importable"] == []
    # The content came already parsed: no YAML parser at a cold start.
    assert result["yaml"] is False
    assert result["collecting"] is True  # off only while the skill is built
    launch, hold, unresolved = (r["response"] for r in result["responses"])
    assert launch["outputSpeech"]["type"] == "SSML"
    assert launch["outputSpeech"]["ssml"].startswith("<speak>")
    assert launch["shouldEndSession"] is False

    ssml = hold["outputSpeech"]["ssml"]
    assert "hamstring" in ssml.lower()
    assert ssml.count("<break time=") >= 2  # a paced hold: breaks with cues between them
    assert hold["shouldEndSession"] is False
    assert hold["reprompt"]["outputSpeech"]["ssml"]
    assert result["db"].is_file()  # the SQLite store worked from the bundle
    assert "front of your thigh" in unresolved["outputSpeech"]["ssml"].lower()
    assert "my left quad" not in unresolved["outputSpeech"]["ssml"].lower()


# --- the compile step, with the running interpreter as the "runtime" --------------------------


def _compiled_copy(code_dir: Path, target: Path) -> Path:
    """A copy of the built code folder, compiled for the running interpreter, zipped."""
    shutil.copytree(code_dir, target / "code", ignore=shutil.ignore_patterns("__pycache__"))
    compile_bytecode(target / "code", sys.executable, RUNNING_VERSION)
    output = target / "bundle.zip"
    write_zip(target / "code", output, RUNNING_VERSION)
    return output


@pytest.fixture(scope="module")
def compiled_zip(bundle: PackageReport, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _compiled_copy(bundle.code_dir, tmp_path_factory.mktemp("compiled"))


def test_compiled_bundle_is_reproducible_byte_for_byte(
    bundle: PackageReport, compiled_zip: Path, tmp_path: Path
) -> None:
    again = _compiled_copy(bundle.code_dir, tmp_path)  # another folder, another hash seed
    assert again.read_bytes() == compiled_zip.read_bytes()


def test_compiled_bundle_has_bytecode_for_every_module(compiled_zip: Path) -> None:
    tag = bytecode_tag(RUNNING_VERSION)
    with zipfile.ZipFile(compiled_zip) as archive:
        names = set(archive.namelist())
        sources = [n for n in names if n.endswith(".py") and n.startswith(("skill/", "lambda"))]
        assert len(sources) > 10
        for source in sources:
            folder, _, module = source.rpartition("/")
            cached = f"{folder}/__pycache__/{module[:-3]}.{tag}.pyc".lstrip("/")
            assert cached in names, source
        # Named as Lambda sees the file, whatever folder it was built in.
        code = marshal.loads(archive.read(f"skill/__pycache__/speech.{tag}.pyc")[16:])
    assert code.co_filename == f"{LAMBDA_TASK_ROOT}/skill/speech.py"


def test_bytecode_is_for_what_the_skill_imports_not_every_sdk_model(
    compiled_zip: Path,
) -> None:
    tag = bytecode_tag(RUNNING_VERSION)
    with zipfile.ZipFile(compiled_zip) as archive:
        names = set(archive.namelist())

    def compiled(source: str) -> bool:
        folder, _, module = source.rpartition("/")
        return f"{folder}/__pycache__/{module[:-3]}.{tag}.pyc" in names

    # Imported on every request: the SDK's skill, the envelope model.
    for used in ("ask_sdk_core/skill.py", "ask_sdk_model/request_envelope.py"):
        assert used in names and compiled(used), used
    # The Settings API client is imported only when a request needs the time zone: still compiled.
    assert compiled("ask_sdk_core/api_client.py") and compiled("requests/sessions.py")
    # Models of Alexa features the skill never touches stay source only.
    unused = [n for n in names if n.startswith("ask_sdk_model/interfaces/amazonpay/")]
    assert unused and not any(compiled(n) for n in unused if n.endswith(".py"))


def test_the_bundle_answers_on_the_interpreter_it_is_compiled_for(
    bundle: PackageReport, tmp_path: Path
) -> None:
    before = sorted(bundle.code_dir.rglob("*.pyc"))
    files = imported_modules(bundle.code_dir, sys.executable)
    assert "lambda_handler.py" in files and "skill/guide.py" in files
    assert not any(name.startswith("skill/tools/") for name in files)
    assert sorted(bundle.code_dir.rglob("*.pyc")) == before  # the run wrote nothing there


@pytest.mark.skipif(shutil.which("strip") is None, reason="needs binutils' strip")
def test_shared_libraries_lose_their_debugging_sections(bundle: PackageReport) -> None:
    (library,) = bundle.code_dir.glob("yaml/_yaml.*.so")
    assert library.stat().st_size < 1_000_000  # 2.8 MB as pip installs it
    assert strip_debug(bundle.code_dir) >= 1  # stripping again is harmless


def test_compiled_bundle_answers_from_its_bytecode(
    compiled_zip: Path, tmp_path: Path
) -> None:
    unpacked = tmp_path / "task"
    with zipfile.ZipFile(compiled_zip) as archive:
        archive.extractall(unpacked)
    # The pycs are trusted without reading the source: a broken source file changes nothing.
    (unpacked / "skill" / "speech.py").write_text("raise SystemExit('source was compiled')\n")
    result = _bundle_runner(unpacked, sys.executable, tmp_path / "run")(_launch_and_stretch())
    launch, hold, unresolved = (r["response"] for r in result["responses"])
    assert launch["outputSpeech"]["ssml"].startswith("<speak>")
    assert "hamstring" in hold["outputSpeech"]["ssml"].lower()
