"""Where the time goes: import cost by package, the cold start's phases, a warm profile.

- ``python -X importtime`` in a fresh process, self time summed per package (the SDK, the
  project's modules one by one, yaml, the standard library's heavier corners);
- the project's cold start split into phases, timed in one fresh process;
- cProfile over many warm StretchIntents (and the floor skill's intent), own time per module.
"""

from __future__ import annotations

import cProfile
import json
import pstats
import re
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks import cold, floor_skill, workload

_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")

# Standard-library modules worth naming on their own in a breakdown.
_STDLIB_NAMED = {"urllib", "http", "email", "xml", "sqlite3", "json", "logging", "typing",
                 "dataclasses", "enum", "datetime", "pathlib", "re", "copy", "uuid", "decimal"}


def _import_group(module: str) -> str:
    parts = module.split(".")
    top = parts[0]
    if top == "skill" and len(parts) > 1:
        return ".".join(parts[:2])
    if top.startswith("ask_sdk") or top in _STDLIB_NAMED or top in {"yaml", "lambda_handler"}:
        return top
    if top.startswith("_") and top not in {"__editable___cramp_helper_0_1_0_finder"}:
        return "(builtin C modules)"
    if top in sys.stdlib_module_names:
        return "(other stdlib)"
    return top


def _one_import_breakdown(statement: str, state_dir: Path) -> tuple[float, dict[str, float]]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        capture_output=True,
        text=True,
        cwd=workload.ROOT,
        env=cold.child_environment(state_dir),
        timeout=60,
        check=True,
    )
    groups: dict[str, float] = defaultdict(float)
    total = 0.0
    started = False  # lines up to ``site`` belong to the interpreter's own start-up
    for line in result.stderr.splitlines():
        match = _IMPORT_LINE.match(line)
        if not match:
            continue
        self_us, cumulative_us, indent, module = match.groups()
        top_level = len(indent) == 1
        if not started:
            started = top_level and module == "site"
            continue
        groups[_import_group(module)] += int(self_us) / 1e6
        if top_level:
            total += int(cumulative_us) / 1e6
    return total, groups


def import_breakdown(
    program: str, state_dir: Path, runs: int = 5
) -> tuple[float, list[tuple[str, float]]]:
    """Import time (s) of ``program``'s handler, and self time per group; medians of ``runs``."""
    statement = {
        "project": "import lambda_handler",
        "floor": "import benchmarks.floor_skill",
    }[program]
    measured = [_one_import_breakdown(statement, state_dir) for _ in range(runs)]
    names = {name for _total, groups in measured for name in groups}
    medians = {
        name: statistics.median(groups.get(name, 0.0) for _total, groups in measured)
        for name in names
    }
    ranked = sorted(medians.items(), key=lambda item: item[1], reverse=True)
    return statistics.median(total for total, _groups in measured), ranked


_PHASES = r"""
import json, sys, time
def rss():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmRSS:"))
marks = [("start", time.perf_counter(), rss())]
def mark(name): marks.append((name, time.perf_counter(), rss()))
import ask_sdk_core.skill_builder, ask_sdk_core.skill, ask_sdk_model
mark("import ask-sdk-core and ask-sdk-model")
import yaml
mark("import yaml")
import skill.builder, skill.persistence.factory, skill.persistence.sqlite_store
mark("import the project's modules")
from skill.content import load_content
content = load_content()
mark("load_content() (as shipped)")
from skill.routine import check_routines_fit
check_routines_fit(content)
mark("check_routines_fit()")
from skill.builder import build_lambda_handler
from skill.persistence.factory import adapter_from_environment
handler = build_lambda_handler(adapter_from_environment(), content=content)
mark("build the skill (checks routines again) and its store")
handler(json.loads(sys.stdin.readline()), None)
mark("first StretchIntent (opens SQLite, first save)")
handler(json.loads(sys.stdin.readline()), None)
mark("second StretchIntent")
print(json.dumps([[b[0], b[1] - a[1], b[2] - a[2]] for a, b in zip(marks, marks[1:])]))
"""


def cold_phases(state_dir: Path, runs: int = 5) -> list[tuple[str, float, float]]:
    """Each phase's time (s) and resident-memory growth (KiB) in a fresh process; medians of
    ``runs`` processes."""
    measured: list[list[tuple[str, float, float]]] = []
    for index in range(runs):
        events = [
            workload.stretch(user_id=f"amzn1.ask.account.PHASES-{index}"),
            workload.stretch(user_id=f"amzn1.ask.account.PHASES-{index}"),
        ]
        result = subprocess.run(
            [sys.executable, "-c", _PHASES],
            input="".join(json.dumps(event) + "\n" for event in events),
            capture_output=True,
            text=True,
            cwd=workload.ROOT,
            env=cold.child_environment(state_dir),
            timeout=60,
            check=True,
        )
        measured.append([(name, secs, kib) for name, secs, kib in json.loads(result.stdout)])
    return [
        (
            name,
            statistics.median(run[position][1] for run in measured),
            statistics.median(run[position][2] for run in measured),
        )
        for position, (name, _seconds, _kib) in enumerate(measured[0])
    ]


def _module_of(filename: str) -> str:
    if filename.startswith("~") or filename.startswith("<"):
        return "(builtins)"
    path = Path(filename)
    parts = path.with_suffix("").parts
    for anchor in ("site-packages", "dist-packages"):
        if anchor in parts:
            parts = parts[parts.index(anchor) + 1 :]
            break
    else:
        try:
            parts = path.resolve().relative_to(workload.ROOT).with_suffix("").parts
        except ValueError:
            parts = parts[-2:]  # the standard library: package/module
            parts = parts[-1:] if parts[0].startswith("python3") else parts
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    top = parts[0] if parts else "?"
    if top == "ask_sdk_model":
        return "ask_sdk_model"
    if top.startswith("ask_sdk") or top == "skill":
        return ".".join(parts[:2])
    return top


def warm_profile(
    iterations: int, state_dir: Path
) -> dict[str, tuple[float, list[tuple[str, float]]]]:
    """Per request: total profiled time (s) and own time per module, project and floor.

    The project runs on its default on-disk store (SQLite under ``state_dir``).
    """
    from benchmarks.warm import project_handler
    from skill.persistence.sqlite_store import SqlitePersistenceAdapter

    project = project_handler(SqlitePersistenceAdapter(state_dir / "profile.sqlite3"))
    calls: dict[str, tuple[Any, dict[str, Any]]] = {
        "project StretchIntent": (project, workload.stretch()),
        f"floor {floor_skill.INTENT_NAME}": (floor_skill.handler, workload.floor_intent()),
    }
    results: dict[str, tuple[float, list[tuple[str, float]]]] = {}
    for name, (handler, event) in calls.items():
        for _ in range(20):
            handler(event, None)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(iterations):
            handler(event, None)
        profiler.disable()
        stats = pstats.Stats(profiler)
        groups: dict[str, float] = defaultdict(float)
        for (filename, _line, _function), row in stats.stats.items():  # type: ignore[attr-defined]
            groups[_module_of(filename)] += row[2] / iterations
        total = sum(groups.values())
        ranked = sorted(groups.items(), key=lambda item: item[1], reverse=True)
        results[name] = (total, ranked)
    return results


BUCKETS = (
    "the SDK (ask_sdk_*, dateutil, six)",
    "Cramp Helper (skill.*)",
    "standard library (Python code)",
    "built-ins (C: json, copy, str, dict...)",
)


def buckets(groups: list[tuple[str, float]]) -> dict[str, float]:
    """Own time per module summed into: the SDK, the project, the stdlib, C built-ins."""
    totals: dict[str, float] = defaultdict(float)
    for module, seconds in groups:
        if module.startswith(("ask_sdk", "dateutil", "six")):
            totals[BUCKETS[0]] += seconds
        elif module.startswith("skill"):
            totals[BUCKETS[1]] += seconds
        elif module == "(builtins)":
            totals[BUCKETS[3]] += seconds
        else:
            totals[BUCKETS[2]] += seconds
    return dict(totals)
