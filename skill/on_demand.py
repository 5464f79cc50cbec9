"""A mapping whose values are made on first use: one per locale, for what is costly to build.

The skill speaks five locales, each from its own content and its own interaction model. Loading
all of them before the first answer made a Lambda cold start pay for five locales when the
request needs one (reading and checking one locale's content takes about 10 ms, one locale's
slot vocabulary about 70 ms). The keys (which locales exist) are known at start-up, so a locale
that does not exist still falls back at once, without loading anything.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TypeVar

_V = TypeVar("_V")


class OnDemand(Mapping[str, _V]):
    """``key -> make(key)`` for the given keys, each made once, on first access.

    Thread-safe: concurrent first accesses wait for one ``make``. An exception from ``make``
    reaches the caller and nothing is kept, so the next access tries again.
    """

    def __init__(self, keys: Iterable[str], make: Callable[[str], _V]) -> None:
        self._keys = tuple(dict.fromkeys(keys))
        self._make = make
        self._made: dict[str, _V] = {}
        self._lock = threading.Lock()

    def __getitem__(self, key: str) -> _V:
        try:
            return self._made[key]
        except KeyError:
            pass
        if key not in self._keys:
            raise KeyError(key)
        with self._lock:
            if key not in self._made:
                self._made[key] = self._make(key)
            return self._made[key]

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def made(self) -> tuple[str, ...]:
        """The keys made so far (for tests and logs)."""
        return tuple(key for key in self._keys if key in self._made)
