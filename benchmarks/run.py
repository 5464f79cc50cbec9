"""``python -m benchmarks``: every figure for Cramp Helper beside the floor skill, in one run.

Prints a Markdown report and writes it to ``benchmarks/RESULTS.md`` (not in ``--quick`` mode
unless ``--results`` is given). Targets are printed as PASS/MISS beside each figure; nothing
is asserted, and the exit status is 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import logging
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import cold, costs, floor_skill, package_size, warm, web
from benchmarks.stats import fmt_mib, fmt_ms, fmt_ratio, fmt_us, ratio, verdict

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
MIB = 1024 * 1024
ZIP_LIMIT_BYTES = 5_000_000

# Targets: the project's figure against the floor skill's.
COLD_RATIO = 1.25
P50_RATIO = 1.2
P99_RATIO = 1.5
MEMORY_MARGIN_KIB = 10 * 1024
THROUGHPUT_RATIO = 0.7

FLOOR_INTENT = floor_skill.INTENT_NAME
WEB_APPS = ["project", "floor", "project-sqlite", "bare"]
WEB_LEVELS = [1, 16, 64]


class Report:
    """Collects lines; prints each section as it is finished."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, *lines: str) -> None:
        for line in lines:
            print(line, flush=True)
            self.lines.append(line)

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        self.add(
            "| " + " | ".join(header) + " |",
            "|" + "|".join("---" for _ in header) + "|",
            *("| " + " | ".join(row) + " |" for row in rows),
            "",
        )

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine_lines() -> list[str]:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        f"- Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Machine: {cores} cores (nproc), CPU: {_cpu_model()}, {platform.platform()}",
        f"- Python {platform.python_version()} ({sys.executable})",
        f"- ask-sdk-core {_version('ask-sdk-core')}, ask-sdk-model {_version('ask-sdk-model')}, "
        f"flask-ask-sdk {_version('flask-ask-sdk')}, Flask {_version('Flask')}, "
        f"Werkzeug {_version('Werkzeug')}, cryptography {_version('cryptography')}",
    ]


def _timed(report: Report, name: str, action: Callable[[], object]) -> object:
    started = time.perf_counter()
    result = action()
    report.add(f"_{name}: measured in {time.perf_counter() - started:.0f} s_", "")
    return result


def section_cold(report: Report, runs: int, state_dir: Path) -> dict[str, dict[str, float]]:
    report.add(
        f"## Cold start and peak memory (fresh `python -c` process, median of {runs} runs each, "
        "alternating)",
        "",
        "Spawn to answer: from starting the interpreter to the answer of one StretchIntent "
        f"(the floor skill: its {FLOOR_INTENT}; bare: `json.loads` + `json.dumps` of the same "
        "StretchIntent). Cramp Helper's Lambda handler uses its default SQLite store here. "
        "Bytecode is cached (after an unmeasured first round), as in an installed package.",
        "",
    )
    results = cold.cold_starts(runs, state_dir)
    summary = {name: runs_of.summary for name, runs_of in results.items()}
    project, floor, bare = summary["project"], summary["floor"], summary["bare"]
    cold_ratio = ratio(project["wall_s"], floor["wall_s"])
    memory_ok = project["maxrss_kib"] <= floor["maxrss_kib"] + MEMORY_MARGIN_KIB
    report.table(
        ["figure", "Cramp Helper", "floor skill", "ratio", "target", "", "bare JSON"],
        [
            [
                "cold start, spawn to answer",
                fmt_ms(project["wall_s"]),
                fmt_ms(floor["wall_s"]),
                fmt_ratio(cold_ratio),
                f"<= {COLD_RATIO}x floor",
                verdict(None if cold_ratio is None else cold_ratio <= COLD_RATIO),
                fmt_ms(bare["wall_s"]),
            ],
            [
                "of which: import the handler",
                fmt_ms(project["import_s"]),
                fmt_ms(floor["import_s"]),
                fmt_ratio(ratio(project["import_s"], floor["import_s"])),
                "",
                "",
                fmt_ms(bare["import_s"]),
            ],
            [
                "of which: first answer",
                fmt_ms(project["answer_s"]),
                fmt_ms(floor["answer_s"]),
                fmt_ratio(ratio(project["answer_s"], floor["answer_s"])),
                "",
                "",
                fmt_ms(bare["answer_s"]),
            ],
            [
                "peak memory (VmHWM after answering)",
                fmt_mib(project["maxrss_kib"]),
                fmt_mib(floor["maxrss_kib"]),
                f"+{(project['maxrss_kib'] - floor['maxrss_kib']) / 1024:.1f} MiB",
                "<= floor + 10 MiB",
                verdict(memory_ok),
                fmt_mib(bare["maxrss_kib"]),
            ],
        ],
    )
    return summary


def section_warm(report: Report, iterations: int, state_dir: Path) -> None:
    report.add(
        f"## Warm latency per request (in-process, {iterations} interleaved samples each)",
        "",
        "`time.perf_counter_ns` around one Lambda handler call. Cramp Helper uses its "
        "**default on-disk store** (SQLite in a file on the state folder's disk) for the "
        "judged figures; the in-memory row shows what the store costs. Launch is compared with "
        f"the floor skill's Launch, every intent with its {FLOOR_INTENT}.",
        "",
    )
    results = warm.warm_latencies(iterations, state_dir)
    floor_launch = results[("floor", "Launch")]
    floor_intent = results[("floor", FLOOR_INTENT)]
    bare = results[("bare", "JSON parse + dump")]
    rows: list[list[str]] = []
    for (skill, request), latency in results.items():
        if skill not in {"project", "project-memory"}:
            continue
        floor = floor_launch if request == "Launch" else floor_intent
        p50 = ratio(latency.p50_ns, floor.p50_ns)
        p99 = ratio(latency.p99_ns, floor.p99_ns)
        judged = skill == "project"
        label = request if judged else f"{request} (in-memory store)"
        rows.append([
            label,
            f"{fmt_us(latency.p50_ns)} / {fmt_us(latency.p99_ns)}",
            f"{fmt_us(floor.p50_ns)} / {fmt_us(floor.p99_ns)}",
            f"{fmt_ratio(p50)} / {fmt_ratio(p99)}",
            f"{verdict(None if p50 is None else p50 <= P50_RATIO)} / "
            f"{verdict(None if p99 is None else p99 <= P99_RATIO)}"
            if judged
            else "(not judged)",
        ])
    sdk_project = results[("sdk", "deserialize StretchIntent")]
    sdk_floor = results[("sdk", f"deserialize {FLOOR_INTENT}")]
    rows.append([
        "SDK deserialization alone (StretchIntent / floor intent envelope)",
        f"{fmt_us(sdk_project.p50_ns)} / {fmt_us(sdk_project.p99_ns)}",
        f"{fmt_us(sdk_floor.p50_ns)} / {fmt_us(sdk_floor.p99_ns)}",
        f"{fmt_ratio(ratio(sdk_project.p50_ns, sdk_floor.p50_ns))} / "
        f"{fmt_ratio(ratio(sdk_project.p99_ns, sdk_floor.p99_ns))}",
        "(not judged)",
    ])
    rows.append([
        "bare JSON parse + dump (StretchIntent)",
        "",
        "",
        "",
        f"{fmt_us(bare.p50_ns)} / {fmt_us(bare.p99_ns)}",
    ])
    report.table(
        [
            "request",
            "Cramp Helper p50 / p99",
            "floor p50 / p99",
            "ratio p50 / p99",
            f"target p50 <= {P50_RATIO}x, p99 <= {P99_RATIO}x",
        ],
        rows,
    )


def section_zip(report: Report, state_dir: Path) -> package_size.Bundle:
    report.add("## Lambda deployment zip", "")
    bundle = package_size.lambda_bundle(state_dir)
    if bundle.size_bytes is None:
        report.table(
            ["figure", "value", "target", ""], [["zip size", bundle.note, "<= 5 MB", "n/a"]]
        )
        return bundle
    size = bundle.size_bytes
    report.table(
        ["figure", "value", "target", ""],
        [[
            "zip size",
            f"{size / 1e6:.2f} MB ({size:,} bytes)",
            "<= 5 MB",
            verdict(size <= ZIP_LIMIT_BYTES),
        ]],
    )
    return bundle


def bundle_copy(
    code_dir: Path, state_dir: Path, name: str, compile_with: str | None = None
) -> Path:
    """A copy of the bundle's code folder (``state_dir/name``) without its bytecode; with
    ``compile_with`` (an interpreter), with bytecode for every module compiled by it.

    Without a Python of the Lambda runtime's version, the bundle is compiled for the
    interpreter that measures it, so the figure shows what shipping bytecode saves, not this
    machine's exact Lambda figure. With one, the floor skill runs from a copy compiled by it,
    so that none of the SDK modules it imports is compiled at its cold start.
    """
    import shutil
    import subprocess

    target = state_dir / name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(code_dir, target, ignore=shutil.ignore_patterns("__pycache__"))
    if compile_with is not None:
        subprocess.run(
            [compile_with, "-I", "-m", "compileall", "-q", str(target)],
            check=False,
            capture_output=True,
        )
    return target


def _runtime_python() -> str | None:
    """An interpreter of the Lambda runtime's version on this machine, if there is one."""
    try:
        from skill.tools.packaging import find_lambda_python  # type: ignore[import-not-found]
    except ImportError:
        return None
    python, _why_not = find_lambda_python()
    return python


def section_bundle_cold(report: Report, runs: int, state_dir: Path, code_dir: Path) -> None:
    runtime = _runtime_python()
    shipped = bool(sorted(code_dir.rglob("*.pyc")))
    report.add(
        f"### Cold start from the Lambda bundle, with and without bytecode (median of {runs} "
        "runs each)",
        "",
        "Lambda's `/var/task` is read-only, so a bundle without `.pyc` files is compiled from "
        "source on every cold start. Here Cramp Helper runs from the unpacked bundle and the "
        "floor skill imports the bundle's SDK, both with `PYTHONDONTWRITEBYTECODE=1`.",
        "",
    )
    floors: dict[str, Path] = {}
    if runtime is not None and shipped:
        report.add(
            f"Both run on Python {_bundle_python()} ({runtime}), the Lambda runtime's version: "
            "once from the bundle as built (with the bytecode it ships for what Cramp Helper "
            "imports; the floor skill from a copy with bytecode for every module, so it never "
            "compiles an SDK module Cramp Helper does not need), once both from a copy without "
            "any bytecode.",
            "",
        )
        source_only = bundle_copy(code_dir, state_dir, "bundle-source-only")
        variants = [("as built (with bytecode)", code_dir), ("without bytecode", source_only)]
        floors = {
            "as built (with bytecode)": bundle_copy(
                code_dir, state_dir, "bundle-all-compiled", compile_with=runtime
            ),
            "without bytecode": source_only,
        }
        python = runtime
    else:
        report.add(
            f"This machine has no Python {_bundle_python()} to run the bundle's bytecode, so "
            f"both run on Python {platform.python_version()}: once as built, and once from a "
            "copy compiled with `compileall` by that interpreter.",
            "",
        )
        label = "as built" + (" (has bytecode)" if shipped else " (no bytecode)")
        compiled = bundle_copy(code_dir, state_dir, "bundle-compiled", compile_with=sys.executable)
        variants = [(label, code_dir), ("compiled copy", compiled)]
        python = sys.executable
    rows: list[list[str]] = []
    for label, folder in variants:
        results = cold.cold_starts(
            runs,
            state_dir,
            ("project", "floor"),
            code_dir=folder,
            python=python,
            floor_code_dir=floors.get(label),
        )
        project, floor = results["project"].summary, results["floor"].summary
        cold_ratio = ratio(project["wall_s"], floor["wall_s"])
        rows.append([
            f"{label}: spawn to answer",
            fmt_ms(project["wall_s"]),
            fmt_ms(floor["wall_s"]),
            fmt_ratio(cold_ratio),
            f"<= {COLD_RATIO}x floor",
            verdict(None if cold_ratio is None else cold_ratio <= COLD_RATIO),
        ])
        rows.append([
            f"{label}: of which import the handler",
            fmt_ms(project["import_s"]),
            fmt_ms(floor["import_s"]),
            fmt_ratio(ratio(project["import_s"], floor["import_s"])),
            "",
            "",
        ])
    report.table(["figure", "Cramp Helper", "floor skill", "ratio", "target", ""], rows)


def _bundle_python() -> str:
    try:
        from skill.tools.packaging import LAMBDA_PYTHON_VERSION  # type: ignore[import-not-found]
    except ImportError:
        return "?"
    return str(LAMBDA_PYTHON_VERSION)


def section_web(report: Report, seconds: float, warmup: float, state_dir: Path) -> None:
    report.add(
        "## Web service over loopback (server in its own process, verification ON)",
        "",
        f"Concurrent clients POST signed StretchIntents ({FLOOR_INTENT} for the floor skill) "
        f"for {seconds:g} s per level after a {warmup:g} s warm-up. Both skills verify the "
        "signature (test chain, cached after the first fetch), the timestamp and the "
        "application id with the project's verifiers; werkzeug's threaded server, which closes "
        "each connection after its response. Cramp "
        "Helper: in-memory store; the SQLite column uses the SQLite store; bare: a WSGI app "
        "that only parses and dumps the JSON (no verification, no SDK).",
        "",
    )
    results = web.throughputs(WEB_APPS, WEB_LEVELS, seconds, warmup, state_dir)
    rows: list[list[str]] = []
    for index, clients in enumerate(WEB_LEVELS):
        project = results["project"][index]
        floor = results["floor"][index]
        sqlite = results["project-sqlite"][index]
        bare = results["bare"][index]
        share = ratio(project.per_second, floor.per_second)
        errors = project.errors + floor.errors + sqlite.errors + bare.errors
        rows.append([
            str(clients),
            f"{project.per_second:.0f} rps, p99 {fmt_ms(project.p99_ns / 1e9)}",
            f"{floor.per_second:.0f} rps, p99 {fmt_ms(floor.p99_ns / 1e9)}",
            fmt_ratio(share),
            verdict(None if share is None else share >= THROUGHPUT_RATIO),
            f"{sqlite.per_second:.0f} rps, p99 {fmt_ms(sqlite.p99_ns / 1e9)}",
            f"{bare.per_second:.0f} rps, p99 {fmt_ms(bare.p99_ns / 1e9)}",
            str(errors),
        ])
    report.table(
        [
            "clients",
            "Cramp Helper",
            "floor skill",
            "ratio",
            f">= {THROUGHPUT_RATIO}x floor",
            "Cramp Helper, SQLite",
            "bare WSGI + JSON",
            "errors",
        ],
        rows,
    )


def section_costs(report: Report, state_dir: Path, profile_iterations: int) -> None:
    report.add("## Where the time goes", "")
    report.add(
        "### Import cost by package (`python -X importtime`, self time, median of 5 runs)", ""
    )
    breakdowns = {name: costs.import_breakdown(name, state_dir) for name in ("project", "floor")}
    project_total, project_groups = breakdowns["project"]
    floor_total, floor_groups = breakdowns["floor"]
    floor_by_group = dict(floor_groups)
    report.add(
        f"Importing the handler: Cramp Helper {fmt_ms(project_total)}, floor skill "
        f"{fmt_ms(floor_total)} (importtime's own overhead inflates both).",
        "",
    )
    report.table(
        ["package", "Cramp Helper", "floor skill"],
        [
            [name, fmt_ms(seconds), fmt_ms(floor_by_group.get(name))]
            for name, seconds in project_groups[:14]
        ],
    )
    report.add(
        "`lambda_handler` itself is the module body: building the skill (content load and "
        "checks) and choosing the store.",
        "",
        "### Cramp Helper's cold start, phase by phase (fresh processes, medians of 5)",
        "",
    )
    report.table(
        ["phase", "time", "resident memory added"],
        [
            [name, fmt_ms(seconds), fmt_mib(kib)]
            for name, seconds, kib in costs.cold_phases(state_dir)
        ],
    )
    report.add(
        f"### Warm profile (cProfile, own time per module per request, {profile_iterations} "
        "requests, default on-disk store; cProfile slows everything down, compare shares "
        "not absolutes)",
        "",
    )
    profiles = costs.warm_profile(profile_iterations, state_dir)
    for name, (total, groups) in profiles.items():
        shown = ", ".join(
            f"{module} {seconds / total:.0%}" for module, seconds in groups[:10] if total
        )
        report.add(f"- **{name}** ({fmt_us(total * 1e9)} profiled): {shown}")
    report.add("", "Grouped (own time per request, profiled):", "")
    buckets = {name: costs.buckets(groups) for name, (_total, groups) in profiles.items()}
    names = list(profiles)
    report.table(
        ["part", *names],
        [
            [bucket, *(fmt_us(buckets[name].get(bucket, 0.0) * 1e9) for name in names)]
            for bucket in costs.BUCKETS
        ],
    )


#: Everything from this line on in the results file is kept when the bench rewrites it (the
#: load and soak runs, which take too long for the bench, are recorded there by hand).
HAND_KEPT_MARKER = "<!-- Recorded by hand, kept by the bench: -->"


def kept_by_hand(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return ""
    index = text.find(HAND_KEPT_MARKER)
    return "" if index < 0 else "\n" + text[index:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a fast smoke run (rough figures)")
    parser.add_argument("--cold-runs", type=int, default=None, help="cold starts per program")
    parser.add_argument("--iterations", type=int, default=None, help="warm samples per request")
    parser.add_argument("--web-seconds", type=float, default=None, help="seconds per web level")
    parser.add_argument("--skip-web", action="store_true", help="leave out the web figures")
    parser.add_argument(
        "--results", type=Path, default=None, help=f"where to write the report ({RESULTS})"
    )
    args = parser.parse_args(argv)
    cold_runs = args.cold_runs or (3 if args.quick else 11)
    iterations = args.iterations or (300 if args.quick else 4000)
    web_seconds = args.web_seconds or (0.5 if args.quick else 3.0)
    warmup = 0.2 if args.quick else 0.5
    results_path = args.results or (None if args.quick else RESULTS)

    logging.basicConfig(level=logging.ERROR)
    logging.getLogger().setLevel(logging.ERROR)
    report = Report()
    started = time.perf_counter()
    report.add("# Cramp Helper benchmarks", "", *machine_lines(), "")
    if args.quick:
        report.add("**Quick run: too few samples for trustworthy figures.**", "")
    with tempfile.TemporaryDirectory(prefix="cramp-helper-bench-") as name:
        state_dir = Path(name)
        bundle = section_zip(report, state_dir)
        _timed(report, "cold start", lambda: section_cold(report, cold_runs, state_dir))
        if bundle.code_dir is not None:
            code_dir = bundle.code_dir
            _timed(
                report,
                "cold start from the bundle",
                lambda: section_bundle_cold(report, max(3, cold_runs // 2), state_dir, code_dir),
            )
        _timed(report, "warm latency", lambda: section_warm(report, iterations, state_dir))
        if not args.skip_web:
            _timed(report, "web", lambda: section_web(report, web_seconds, warmup, state_dir))
        section_costs(report, state_dir, 200 if args.quick else 1000)
    report.add(f"Whole run: {time.perf_counter() - started:.0f} s.")
    if results_path is not None:
        results_path.write_text(report.text + kept_by_hand(results_path), encoding="utf-8")
        print(f"\nwritten to {results_path}")
    return 0
