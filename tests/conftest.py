"""Shared fixtures: the default policy parameters, an in-memory DuckDB backend and one
headless Chromium per test process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from ibis.backends import BaseBackend

from commissioning.engine import backend
from commissioning.policy.parameters import ParameterSet, load_parameters

# No timed assertions in tests: hypothesis's per-example deadline would fail a correct test on
# a loaded machine, so it is off for every property test.
settings.register_profile("commissioning", deadline=None)
settings.load_profile("commissioning")


@pytest.fixture(scope="session")
def params() -> ParameterSet:
    return load_parameters()


@pytest.fixture()
def con() -> Iterator[BaseBackend]:
    connection = backend.connect()
    yield connection
    connection.disconnect()


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One Playwright and one Chromium per test process: Playwright's sync API runs an event
    loop in this thread while it is open, so a second ``sync_playwright()`` in the same worker
    fails ("Sync API inside the asyncio loop"). Every browser test takes this fixture."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()
