"""The `commission` command line: thin commands that parse, call the core and render.

Each command group lives in its own module and registers itself on the Typer application,
``commissioning.cli.app.app``. Exit codes: 0 ok, 2 bad input (validation), 1 any other failure.

`commission --version` alone is answered here without importing Typer or Rich; every other
invocation imports :mod:`commissioning.cli.app` and runs its ``main``.
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main() -> None:
    """Entry point of the `commission` script (see :func:`commissioning.cli.app.main`)."""
    if sys.argv[1:] == ["--version"]:
        from commissioning import __version__

        sys.stdout.write(f"commissioning {__version__}\n")
        return
    from commissioning.cli.app import main as run

    run()

