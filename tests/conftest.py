"""Shared fixtures: the default policy parameters and an in-memory DuckDB backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ibis.backends import BaseBackend

from commissioning.engine import backend
from commissioning.policy.parameters import ParameterSet, load_parameters


@pytest.fixture(scope="session")
def params() -> ParameterSet:
    return load_parameters()


@pytest.fixture()
def con() -> Iterator[BaseBackend]:
    connection = backend.connect()
    yield connection
    connection.disconnect()
