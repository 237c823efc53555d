"""Shared fixtures: the default policy parameters and an in-memory DuckDB backend."""

from __future__ import annotations

from collections.abc import Iterator

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
