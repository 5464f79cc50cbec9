"""Warm latency: one process, the skill built once, the same request answered many times.

Each sample is ``time.perf_counter_ns`` around one Lambda handler call (the SDK's JSON
deserialisation, the handlers and interceptors, the store, serialisation back to a dict).
Kinds are interleaved sample by sample, project and floor alike, so both see the same machine.
Cramp Helper runs with its default on-disk store (SQLite in a file); StretchIntent is measured
again with the in-memory store on its own afterwards, to show what the store costs.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import floor_skill, workload
from benchmarks.stats import median, percentile

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass(frozen=True)
class Kind:
    skill: str  # "project" (SQLite store), "project-memory", "floor", "sdk" or "bare"
    request: str
    call: Callable[[], Any]


@dataclass(frozen=True)
class Latency:
    p50_ns: float
    p99_ns: float
    samples: int


def project_handler(store: Any) -> Handler:
    from skill.builder import build_lambda_handler

    return build_lambda_handler(store)


def _lambda_call(handler: Handler, event: dict[str, Any]) -> Callable[[], Any]:
    workload.check_answered(handler(event, None))
    return lambda: handler(event, None)


def project_kinds(handler: Handler, skill: str = "project") -> list[Kind]:
    # The returning user of the Launch figure has been welcomed once already.
    handler(workload.launch(), None)
    return [
        Kind(skill, "Launch", _lambda_call(handler, workload.launch())),
        Kind(skill, "StretchIntent", _lambda_call(handler, workload.stretch())),
        Kind(
            skill,
            "Next in a routine",
            _lambda_call(handler, workload.next_in_routine(saved_at=time.time())),
        ),
        Kind(skill, "MedicationIntent", _lambda_call(handler, workload.medication())),
    ]


def floor_kinds() -> list[Kind]:
    return [
        Kind("floor", "Launch", _lambda_call(floor_skill.handler, workload.floor_launch())),
        Kind(
            "floor",
            floor_skill.INTENT_NAME,
            _lambda_call(floor_skill.handler, workload.floor_intent()),
        ),
    ]


def sdk_kinds() -> list[Kind]:
    """The SDK's deserialisation alone (``json.dumps`` + ``deserialize``, as every Lambda
    handler call starts), for the project's StretchIntent and the floor skill's intent: how
    much of the gap is only the bigger envelope (a slot with entity resolution)."""
    from ask_sdk_core.serialize import DefaultSerializer
    from ask_sdk_model import RequestEnvelope

    serializer = DefaultSerializer()

    def deserialize(event: dict[str, Any]) -> Callable[[], Any]:
        return lambda: serializer.deserialize(json.dumps(event), RequestEnvelope)

    return [
        Kind("sdk", "deserialize StretchIntent", deserialize(workload.stretch())),
        Kind("sdk", f"deserialize {floor_skill.INTENT_NAME}", deserialize(workload.floor_intent())),
    ]


def bare_kind() -> Kind:
    body = json.dumps(workload.stretch()).encode()
    return Kind("bare", "JSON parse + dump", lambda: json.dumps(json.loads(body)))


def sample(kinds: list[Kind], iterations: int, warmup: int) -> dict[tuple[str, str], Latency]:
    """Interleave the kinds: one call of each, ``iterations`` times over (after ``warmup``)."""
    clock = time.perf_counter_ns
    for _ in range(warmup):
        for kind in kinds:
            kind.call()
    samples: list[list[int]] = [[] for _ in kinds]
    gc.collect()
    for _ in range(iterations):
        for index, kind in enumerate(kinds):
            start = clock()
            kind.call()
            samples[index].append(clock() - start)
    return {
        (kind.skill, kind.request): Latency(
            median(times), percentile(times, 99), len(times)
        )
        for kind, times in zip(kinds, samples, strict=True)
    }


def warm_latencies(iterations: int, state_dir: Path) -> dict[tuple[str, str], Latency]:
    from skill.persistence.memory_store import InMemoryPersistenceAdapter
    from skill.persistence.sqlite_store import SqlitePersistenceAdapter

    sqlite = SqlitePersistenceAdapter(state_dir / "warm.sqlite3")
    try:
        kinds = [
            *project_kinds(project_handler(sqlite)),
            *floor_kinds(),
            *sdk_kinds(),
            bare_kind(),
        ]
        results = sample(kinds, iterations, warmup=max(50, iterations // 20))
    finally:
        sqlite.close()
    memory_handler = project_handler(InMemoryPersistenceAdapter())
    stretch = Kind(
        "project-memory", "StretchIntent", _lambda_call(memory_handler, workload.stretch())
    )
    results.update(sample([stretch], max(200, iterations // 2), warmup=50))
    return results
