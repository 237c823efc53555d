"""`commission --help` and `--version` import no command module (so no pandas, ibis, scipy or
pyarrow); `commission COMMAND` imports only the module defining COMMAND. The manifest that
makes this possible is complete and `--help` reads the same as with every command imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import resources

import pytest

from commissioning.cli.manifest import MANIFEST_FILE
from commissioning.cli.manifest_build import render

HEAVY = ("pandas", "ibis", "scipy", "pyarrow", "statsmodels", "linopy", "django")
PROBE = """
import sys
sys.argv = ["commission", *{args!r}]
from commissioning.cli import main
try:
    main()
except SystemExit:
    pass
print("LOADED", sorted({{m.split(".")[0] for m in sys.modules}} & set({heavy!r})))
"""


def _run(code: str) -> str:
    env = {**os.environ, "COLUMNS": "100", "TERM": "dumb"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=True, timeout=300)
    return done.stdout


def test_the_manifest_lists_every_command_where_it_is_defined() -> None:
    stored = resources.files("commissioning.cli").joinpath(MANIFEST_FILE).read_text("utf-8")
    assert json.loads(stored) == json.loads(render()), (
        "src/commissioning/cli/commands.json is out of date: run "
        "`.venv/bin/python -m commissioning.cli.manifest_build > "
        "src/commissioning/cli/commands.json`"
    )


@pytest.mark.parametrize("args", [["--version"], ["--help"], []])
def test_help_and_version_import_no_heavy_library(args: list[str]) -> None:
    output = _run(PROBE.format(args=args, heavy=HEAVY))
    assert "LOADED []" in output


def test_help_reads_the_same_as_with_every_command_imported() -> None:
    listed = _run(PROBE.format(args=["--help"], heavy=HEAVY)).split("LOADED")[0]
    full = _run("from commissioning.cli.app import _register, app\n_register()\n"
                "app(['--help'], prog_name='commission', standalone_mode=False)\n")
    assert listed == full
    assert "schema" in listed and "demand" in listed


def test_a_command_imports_only_its_own_module() -> None:
    output = _run(PROBE.format(args=["schema", "providers"], heavy=HEAVY) +
                  "print('CMD', sorted(m for m in sys.modules if m.startswith("
                  "'commissioning.cli.cmd_')))\n")
    assert "provider_id" in output
    assert "CMD ['commissioning.cli.cmd_schema']" in output


def test_version_alone_imports_neither_typer_nor_rich_and_reads_as_the_apps() -> None:
    output = _run(PROBE.format(args=["--version"], heavy=("typer", "rich", "click")))
    assert "LOADED []" in output
    fast = output.split("LOADED")[0]
    full = _run("from commissioning.cli.app import app\n"
                "app(['--version'], prog_name='commission', standalone_mode=False)\n")
    assert fast == full and fast.startswith("commissioning ")


def test_help_defers_markdown_and_tracebacks_until_used() -> None:
    deferred = ("markdown_it", "pygments")
    output = _run(PROBE.format(args=["--help"], heavy=deferred) +
                  "from rich.markdown import Markdown\n"
                  "from rich.traceback import Traceback\n"
                  "try:\n    1 / 0\nexcept ZeroDivisionError as exc:\n"
                  "    tb = Traceback.from_exception(type(exc), exc, exc.__traceback__)\n"
                  "print('REAL', Markdown('x').markup, type(tb).__module__, "
                  "'markdown_it' in sys.modules, hasattr(sys.modules['rich.traceback'], "
                  "'install'))\n")
    assert "LOADED []" in output  # --help ran without them
    assert "REAL x rich.traceback True True" in output  # and they load on first use
