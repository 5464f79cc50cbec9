"""``python -m benchmarks.soak``: the full load run, several times over (not part of CI).

Each run is ``tests/test_load.py`` in a fresh pytest process with
``CRAMP_HELPER_LOAD_REQUESTS`` requests (default 20,000) from 64 concurrent clients against the
verified web service (``--servers`` processes sharing one new SQLite file): every answer is
checked against the user's own settings and routine, and at the end every user's settings must
be in the file, exactly as confirmed. A run passes only with zero errors, nothing logged at
WARNING or above, and no setting lost. Prints one line per run and a summary; exits 1 if any
run failed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOAD_TEST = "tests/test_load.py"


def run_once(requests: int, servers: int) -> tuple[bool, str]:
    """One full load run; (passed, its summary line or the end of its output)."""
    env = {
        **os.environ,
        "CRAMP_HELPER_LOAD_REQUESTS": str(requests),
        "CRAMP_HELPER_LOAD_SERVERS": str(servers),
    }
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", LOAD_TEST],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    summary = next(
        (line for line in completed.stdout.splitlines() if line.startswith("load:")), ""
    )
    if completed.returncode != 0:
        tail = "\n".join(completed.stdout.splitlines()[-15:])
        return False, f"{summary}\n{tail}".strip()
    return True, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="how many full runs (5)")
    parser.add_argument("--requests", type=int, default=20_000, help="requests per run")
    parser.add_argument(
        "--servers", type=int, default=1, help="server processes sharing the database file (1)"
    )
    args = parser.parse_args(argv)
    passed = 0
    started = time.perf_counter()
    for run in range(1, args.runs + 1):
        ok, summary = run_once(args.requests, args.servers)
        passed += ok
        print(f"run {run}/{args.runs}: {'PASS' if ok else 'FAIL'} {summary}", flush=True)
    print(
        f"{passed} of {args.runs} runs of {args.requests:,} requests passed with no setting "
        f"lost ({time.perf_counter() - started:.0f} s)"
    )
    return 0 if passed == args.runs else 1


if __name__ == "__main__":
    raise SystemExit(main())
