"""Which module defines each command, so `commission` imports only what it runs.

`commission COMMAND ...` imports the one ``cmd_*`` module that defines COMMAND;
`commission --help` and `--version` import none of them (no pandas, ibis or scipy), and list the
commands from ``commands.json`` instead, which is generated from the registered commands by
``python -m commissioning.cli.manifest_build > src/commissioning/cli/commands.json``;
``tests/test_cli_fast.py`` checks it is complete and that `--help` reads the same either way.
(This module imports nothing of the CLI, so the app can read it without an import cycle.)
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

MANIFEST_FILE = "commands.json"


def load() -> list[dict[str, Any]]:
    """The commands and groups in help order: name, module, kind (command/group), help."""
    text = resources.files("commissioning.cli").joinpath(MANIFEST_FILE).read_text("utf-8")
    data: list[dict[str, Any]] = json.loads(text)
    return data


def module_of(name: str) -> str | None:
    """The module that defines command or group ``name`` (None when there is no such one)."""
    for entry in load():
        if entry["name"] == name:
            return str(entry["module"])
    return None
