"""Cold start and peak memory: a fresh ``python -c`` process answers one request.

Each run spawns a new interpreter that imports a Lambda handler, reads one request envelope
from standard input, answers it and prints a line of JSON. The figure is the wall time from
spawning the process to that line (interpreter start, imports, building the skill, the first
answer); the child also reports its own import and first-answer times and its ``ru_maxrss``.
Runs alternate project / floor skill / bare JSON so drift on the machine hits all three alike.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import workload
from benchmarks.stats import median

# Peak memory: VmHWM, the high-water mark of this process's own memory. ru_maxrss is not used:
# Linux carries it over from the parent across fork and exec, so a child spawned by a larger
# parent reports the parent's peak.
_REPORT = (
    "import json, resource\n"
    "assert response['response'].get('outputSpeech'), response\n"
    "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "try:\n"
    "    with open('/proc/self/status') as status:\n"
    "        peak = next(int(l.split()[1]) for l in status if l.startswith('VmHWM:'))\n"
    "except (OSError, StopIteration):\n"
    "    pass\n"
    "print(json.dumps({'import_s': t1 - t0, 'answer_s': t2 - t1, 'maxrss_kib': peak}),"
    " flush=True)\n"
)

#: The child programs, by name. Each sets t0, t1 (imported), t2 (answered) and ``response``.
PROGRAMS: dict[str, str] = {
    "project": (
        "import sys, time\n"
        "t0 = time.perf_counter()\n"
        "from lambda_handler import handler\n"
        "t1 = time.perf_counter()\n"
        "import json\n"
        "response = handler(json.loads(sys.stdin.readline()), None)\n"
        "t2 = time.perf_counter()\n" + _REPORT
    ),
    "floor": (
        "import sys, time\n"
        "t0 = time.perf_counter()\n"
        "from benchmarks.floor_skill import handler\n"
        "t1 = time.perf_counter()\n"
        "import json\n"
        "response = handler(json.loads(sys.stdin.readline()), None)\n"
        "t2 = time.perf_counter()\n" + _REPORT
    ),
    "bare": (
        "import sys, time\n"
        "t0 = time.perf_counter()\n"
        "import json\n"
        "t1 = time.perf_counter()\n"
        "out = json.dumps(json.loads(sys.stdin.readline()))\n"
        "response = {'response': {'outputSpeech': out}}\n"
        "t2 = time.perf_counter()\n" + _REPORT
    ),
}


@dataclass
class ColdRuns:
    """Every run of one program."""

    wall_s: list[float] = field(default_factory=list)
    import_s: list[float] = field(default_factory=list)
    answer_s: list[float] = field(default_factory=list)
    maxrss_kib: list[float] = field(default_factory=list)

    @property
    def summary(self) -> dict[str, float]:
        return {
            "wall_s": median(self.wall_s),
            "import_s": median(self.import_s),
            "answer_s": median(self.answer_s),
            "maxrss_kib": median(self.maxrss_kib),
        }


def child_environment(state_dir: Path) -> dict[str, str]:
    """The environment of every measured child: bytecode cached (under ``state_dir``, not in
    the source tree), the project's SQLite store in ``state_dir``, quiet logging."""
    env = dict(os.environ)
    env.pop("CRAMP_HELPER_DYNAMODB_TABLE", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(state_dir / "pycache")
    env["CRAMP_HELPER_DB"] = str(state_dir / "cold.sqlite3")
    env["CRAMP_HELPER_LOG_LEVEL"] = "WARNING"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(workload.ROOT), env.get("PYTHONPATH")]))
    return env


def bundle_environment(state_dir: Path, code_dir: Path) -> dict[str, str]:
    """As on Lambda: the bundle's modules first on the path, and no bytecode written for them
    (/var/task is read-only: only what the bundle ships is used). The interpreter's own
    standard library keeps its caches, as the Lambda runtime's does."""
    env = child_environment(state_dir)
    env.pop("PYTHONPYCACHEPREFIX", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONPATH"] = os.pathsep.join([str(code_dir), str(workload.ROOT)])
    return env


def run_once(
    program: str,
    event: dict[str, Any],
    env: dict[str, str],
    cwd: Path = workload.ROOT,
    python: str = sys.executable,
) -> dict[str, float]:
    """Spawn one fresh ``python``; its figures plus ``wall_s`` (spawn to answer)."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        child = subprocess.Popen(
            [python, "-c", PROGRAMS[program]],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            cwd=cwd,
            env=env,
            text=True,
        )
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write(json.dumps(event) + "\n")
        child.stdin.flush()
        line = child.stdout.readline()
        wall = time.perf_counter() - start
        child.stdin.close()
        code = child.wait(timeout=30)
        child.stdout.close()
        if code != 0 or not line:
            errors.seek(0)
            raise RuntimeError(
                f"cold start of {program} failed ({code}): {errors.read().decode()[-2000:]}"
            )
    figures: dict[str, float] = json.loads(line)
    figures["wall_s"] = wall
    return figures


def cold_starts(
    runs: int,
    state_dir: Path,
    programs: tuple[str, ...] = tuple(PROGRAMS),
    code_dir: Path | None = None,
    python: str = sys.executable,
    floor_code_dir: Path | None = None,
) -> dict[str, ColdRuns]:
    """``runs`` measured rounds (after one unmeasured warm-up round), alternating programs,
    each a fresh ``python``.

    With ``code_dir`` (the unpacked Lambda bundle), Cramp Helper runs from the bundle and the
    floor skill uses the bundle's SDK (from ``floor_code_dir`` when given: a copy of the bundle
    with bytecode for every module, so the floor never pays for compiling what Cramp Helper
    does not import), both without writing bytecode caches.
    """
    envs: dict[str, dict[str, str]]
    if code_dir is None:
        env = child_environment(state_dir)
        envs = {name: env for name in programs}
        cwd = {name: workload.ROOT for name in programs}
    else:
        floor_dir = floor_code_dir or code_dir
        envs = {
            name: bundle_environment(state_dir, code_dir if name == "project" else floor_dir)
            for name in programs
        }
        cwd = {name: code_dir if name == "project" else workload.ROOT for name in programs}
    results = {name: ColdRuns() for name in programs}
    for index in range(runs + 1):
        events = {
            # A new user each time: the answer a first-time user gets, from an existing store.
            "project": workload.stretch(user_id=f"amzn1.ask.account.COLD-{index}"),
            "floor": workload.floor_intent(),
            "bare": workload.stretch(),
        }
        order = list(programs) if index % 2 == 0 else list(reversed(programs))
        for name in order:
            figures = run_once(name, events[name], envs[name], cwd[name], python)
            if index == 0:
                continue  # warm-up: bytecode caches and the page cache
            runs_of = results[name]
            runs_of.wall_s.append(figures["wall_s"])
            runs_of.import_s.append(figures["import_s"])
            runs_of.answer_s.append(figures["answer_s"])
            runs_of.maxrss_kib.append(figures["maxrss_kib"])
    return results
