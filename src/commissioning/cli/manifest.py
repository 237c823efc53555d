"""Which module defines each command, so `commission` imports only what it runs.

`commission COMMAND ...` imports the one ``cmd_*`` module that defines COMMAND;
`commission --help` and `--version` import none of them (no pandas, ibis or scipy), and list the
commands from :data:`COMMANDS` instead. Generated from the registered commands by
``python -m commissioning.cli.manifest > src/commissioning/cli/commands.py``-style output;
``tests/test_cli_fast.py`` checks it is complete and that `--help` reads the same either way.
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


def render() -> str:
    """The manifest of the commands as registered now (imports every command module)."""
    import inspect

    from commissioning.cli.app import _register, app

    _register()
    entries: list[dict[str, Any]] = []
    for command in app.registered_commands:
        callback = command.callback
        assert callback is not None
        entries.append({
            "name": command.name or callback.__name__,
            "module": callback.__module__,
            "kind": "command",
            "help": command.help or inspect.getdoc(callback) or "",
        })
    for group in app.registered_groups:
        sub = group.typer_instance
        assert sub is not None
        module = sub.registered_commands[0].callback.__module__ if sub.registered_commands \
            and sub.registered_commands[0].callback else ""
        entries.append({
            "name": group.name or sub.info.name,
            "module": module,
            "kind": "group",
            "help": group.help or sub.info.help or "",
        })
    return json.dumps(entries, indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(render())
