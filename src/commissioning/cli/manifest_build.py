"""Write the command manifest (``commands.json``) from the registered commands:
``python -m commissioning.cli.manifest_build > src/commissioning/cli/commands.json``.

It imports every command module (so it is not what `commission` runs); the manifest it writes is
read by :mod:`commissioning.cli.manifest`.
"""

from __future__ import annotations

import json
import sys
from typing import Any


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
    sys.stdout.write(render())
