"""Generate the command reference (docs/cli.md) from the CLI itself.

    .venv/bin/python -m commissioning.cli.reference > docs/cli.md

A test fails when docs/cli.md differs from what this prints, so the reference never drifts
from the commands. It reads Typer's registry of commands and their parameter declarations.
"""

from __future__ import annotations

import inspect
from typing import Any

from typer.models import ArgumentInfo, OptionInfo

from commissioning.cli.app import _register, app


def _default_text(default: Any) -> str:
    if default in (None, ..., (), [], False) or callable(default):
        return ""
    return f" (default: `{default}`)"


def _rows(callback: Any) -> tuple[list[str], list[str]]:
    usage: list[str] = []
    rows: list[str] = []
    for name, param in inspect.signature(callback).parameters.items():
        info = param.default
        if isinstance(info, ArgumentInfo):
            label = (info.metavar or name).upper()
            usage.append(label if info.default is ... else f"[{label}]")
            rows.append(f"| `{label}` | argument | {(info.help or '').replace('|', '/')} |")
        elif isinstance(info, OptionInfo):
            decls = list(info.param_decls or [f"--{name.replace('_', '-')}"])
            flags = ", ".join(f"`{d}`" for d in decls)
            help_text = (info.help or "").replace("|", "/")
            required = info.default is ...
            if required:
                usage.append(f"{decls[0]} VALUE")
            rows.append(
                f"| {flags} | option{' (required)' if required else ''} | "
                f"{help_text}{_default_text(info.default)} |"
            )
    return usage, rows


def reference() -> str:
    """The Markdown reference of every command, in registration order."""
    _register()
    lines = [
        "# Command reference",
        "",
        "Generated from the CLI by `python -m commissioning.cli.reference`; do not edit by hand.",
        "Exit codes everywhere: 0 ok, 2 bad input (the message names file, row, column and",
        "rule), 1 any other failure. `commission COMMAND --help` prints the same.",
        "",
    ]
    for info in app.registered_commands:
        callback = info.callback
        assert callback is not None
        name = info.name or callback.__name__.replace("_", "-")
        usage, rows = _rows(callback)
        synopsis = f"    commission {name} {' '.join(usage)}".rstrip()
        lines += [f"## `commission {name}`", "", synopsis]
        lines += ["", inspect.cleandoc(callback.__doc__ or "(undocumented)"), ""]
        if rows:
            lines += ["| parameter | kind | meaning |", "|---|---|---|", *rows, ""]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(reference(), end="")
