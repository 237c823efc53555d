"""The `commission` command line: thin commands that parse, call the core and render.

Each command group lives in its own module and registers itself on :data:`app`.
Exit codes: 0 ok, 2 bad input (validation), 1 any other failure.
"""

from __future__ import annotations

from commissioning.cli.app import app, main

__all__ = ["app", "main"]
