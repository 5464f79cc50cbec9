"""Shared fixtures: the content, the interaction model, and local devices with a fixed clock.

``CRAMP_HELPER_DB`` is pointed at a temporary file here, at import time, before any test module
imports ``lambda_handler`` (which builds its store from the environment), so the tests never
read or write the user's own settings; a DynamoDB table or skill id set in the shell is ignored.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

_STATE_DIR = Path(tempfile.mkdtemp(prefix="cramp-helper-tests-"))
os.environ["CRAMP_HELPER_DB"] = str(_STATE_DIR / "state.sqlite3")
os.environ.pop("CRAMP_HELPER_DYNAMODB_TABLE", None)
os.environ.pop("CRAMP_HELPER_SKILL_ID", None)

from skill.builder import build_lambda_handler  # noqa: E402
from skill.content import Content, load_all_content, load_content  # noqa: E402
from skill.persistence.memory_store import InMemoryPersistenceAdapter  # noqa: E402
from skill.tools.local.device import LOCAL_USER_ID, LocalDevice  # noqa: E402
from skill.tools.local.model import InteractionModel, default_model_path  # noqa: E402

#: 2023-11-14 22:13:20 UTC: a fixed "now" for every device, moved only by the tests.
START_TIME = 1_700_000_000.0


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_STATE_DIR, ignore_errors=True)


class FixedClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, now: float = START_TIME) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


DeviceFactory = Callable[..., LocalDevice]


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content()


@pytest.fixture(scope="session")
def contents() -> dict[str, Content]:
    """Every locale's content, by locale (``en-US`` is the same as ``content``)."""
    return load_all_content()


@pytest.fixture(scope="session")
def model() -> InteractionModel:
    return InteractionModel.load()


@pytest.fixture(scope="session")
def models(model: InteractionModel) -> Callable[[str], InteractionModel]:
    """``models(locale)``: that locale's interaction model, loaded once."""
    loaded = {"en-US": model}

    def get(locale: str) -> InteractionModel:
        if locale not in loaded:
            loaded[locale] = InteractionModel.load(default_model_path(locale))
        return loaded[locale]

    return get


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def store() -> InMemoryPersistenceAdapter:
    return InMemoryPersistenceAdapter()


@pytest.fixture
def device(
    contents: dict[str, Content],
    models: Callable[[str], InteractionModel],
    clock: FixedClock,
    store: InMemoryPersistenceAdapter,
) -> DeviceFactory:
    """``device(user_id=..., locale=...)``: a LocalDevice in that locale (default en-US), with
    its model; all devices of one test share skill, store and clock."""
    handler = build_lambda_handler(store, contents=contents, clock=clock)

    def make(user_id: str = LOCAL_USER_ID, locale: str = "en-US") -> LocalDevice:
        return LocalDevice(handler, models(locale), user_id=user_id, locale=locale)

    return make
