"""Generate the command reference (docs/cli.md) from the CLI itself.

    .venv/bin/python -m commissioning.cli.reference > docs/cli.md

A test fails when docs/cli.md differs from what this prints, so the reference never drifts
from the commands. It reads Typer's registry of commands and their parameter declarations.
"""

from __future__ import annotations

import inspect
from typing import Any

from typer.models import ArgumentInfo, CommandInfo, OptionInfo

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
        lines += _command("commission", info, "##")
    for group in app.registered_groups:
        sub = group.typer_instance
        assert sub is not None
        name = group.name or sub.info.name
        help_text = group.help or sub.info.help or ""
        lines += [f"## `commission {name}`", "", inspect.cleandoc(str(help_text)), ""]
        for info in sub.registered_commands:
            lines += _command(f"commission {name}", info, "###")
    return "\n".join(lines).rstrip() + "\n"


def _command(prefix: str, info: CommandInfo, heading: str) -> list[str]:
    callback = info.callback
    assert callback is not None
    name = info.name or callback.__name__.replace("_", "-")
    usage, rows = _rows(callback)
    synopsis = f"    {prefix} {name} {' '.join(usage)}".rstrip()
    lines = [f"{heading} `{prefix} {name}`", "", synopsis]
    lines += ["", inspect.cleandoc(callback.__doc__ or "(undocumented)"), ""]
    if rows:
        lines += ["| parameter | kind | meaning |", "|---|---|---|", *rows, ""]
    return lines


if __name__ == "__main__":
    print(reference(), end="")
