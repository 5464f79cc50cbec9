"""The Lambda bundle and the deployment descriptions (template.yaml, ask-resources.json).

One real bundle is built for the whole module (pip downloads the Lambda wheels, or takes them
from its cache), then unpacked and run in a fresh virtual environment holding nothing else.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import envelopes as E
import pytest
import yaml

from skill.tools.packaging import (
    BUILD_DIR_NAME,
    CODE_DIR_NAME,
    LAMBDA_PYTHON_VERSION,
    PROVIDED_BY_LAMBDA,
    ZIP_TIMESTAMP,
    PackageReport,
    _prune_provided,
    build_lambda_zip,
    lambda_requirements,
    pip_install_command,
    write_zip,
)

ROOT = Path(__file__).resolve().parent.parent
MAX_ZIP_BYTES = 5 * 1024 * 1024
LAMBDA_RUNTIME = f"python{LAMBDA_PYTHON_VERSION}"


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
    (code / "b.py").write_text("")
    (code / "a.txt").write_text("a")

    first = tmp_path / "one.zip"
    assert write_zip(code, first) == 3
    os.utime(code / "a.txt", (0, 0))
    second = tmp_path / "two.zip"
    write_zip(code, second)

    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        entries = archive.infolist()
    assert [e.filename for e in entries] == ["a.txt", "b.py", "pkg/__init__.py"]
    assert {e.date_time for e in entries} == {ZIP_TIMESTAMP}
    assert {e.external_attr >> 16 for e in entries} == {0o100644}


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


def test_zip_holds_the_runtime_dependencies(names: list[str]) -> None:
    tops = {n.split("/", 1)[0] for n in names}
    for package in ("ask_sdk_core", "ask_sdk_model", "ask_sdk_runtime", "ask_sdk_dynamodb", "yaml"):
        assert package in tops
    assert "tzdata" in tops, "time zones for the night voice: the Lambda runtime has none"
    assert any(n.startswith("_yaml/") or n.startswith("yaml/_yaml") for n in names)


def test_zip_leaves_out_what_lambda_provides_and_dev_tools(names: list[str]) -> None:
    tops = {n.split("/", 1)[0].lower() for n in names}
    for unwanted in ("boto3", "botocore", "s3transfer", "jmespath", "flask", "flask_ask_sdk"):
        assert unwanted not in tops
        assert not any(t.startswith(f"{unwanted}-") for t in tops), unwanted
    for unwanted in ("tests", "pytest", "_pytest", "hypothesis", "moto", "cryptography", "bin"):
        assert unwanted not in tops
    assert "interaction_model" not in tops
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


_RUN_IN_LAMBDA = r"""
import importlib.util, json, sys
bundle = sys.argv[1]
missing = [m for m in ("boto3", "flask", "pytest") if importlib.util.find_spec(m)]
import lambda_handler
assert lambda_handler.__file__.startswith(bundle), lambda_handler.__file__
responses = []
attributes = {}
for event in json.load(sys.stdin):
    event["session"]["attributes"] = attributes
    response = lambda_handler.handler(event, None)
    attributes = response.get("sessionAttributes") or {}
    responses.append(response)
print(json.dumps({"importable": missing, "responses": responses}))
"""


def _lambda_python() -> str:
    """The Lambda runtime's Python version if this machine has it, else the running one."""
    candidate = shutil.which(LAMBDA_RUNTIME)
    if candidate:
        probe = subprocess.run([candidate, "-c", ""], capture_output=True, check=False)
        if probe.returncode == 0:
            return candidate
    return sys.executable


@pytest.fixture(scope="module")
def run_bundle(unpacked: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable:
    """Run events through the unpacked bundle in a fresh venv with nothing installed."""
    work = tmp_path_factory.mktemp("lambda-run")
    venv = work / "venv"
    subprocess.run(
        [_lambda_python(), "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60
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


def test_bundle_answers_launch_and_a_stretch_on_its_own(run_bundle: Callable) -> None:
    muscle = E.resolved("back of my thigh", "hamstring", slot_type="MuscleType")
    events = [
        E.launch(),
        E.intent("StretchIntent", {"Muscle": muscle, "Position": None}, attributes={}),
    ]
    result = run_bundle(events)

    assert result["importable"] == []  # nothing outside the bundle: no boto3, flask or pytest
    launch, hold = (r["response"] for r in result["responses"])
    assert launch["outputSpeech"]["type"] == "SSML"
    assert launch["outputSpeech"]["ssml"].startswith("<speak>")
    assert launch["shouldEndSession"] is False

    ssml = hold["outputSpeech"]["ssml"]
    assert "hamstring" in ssml.lower()
    assert ssml.count("<break time=") >= 2  # a paced hold: breaks with cues between them
    assert hold["shouldEndSession"] is False
    assert hold["reprompt"]["outputSpeech"]["ssml"]
    assert result["db"].is_file()  # the SQLite store worked from the bundle
