"""The Typer application and the error handling shared by every command."""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console

from commissioning import __version__

app = typer.Typer(
    name="commission",
    help="Evidence-based commissioning of offender services: assess need, weigh evidence, "
    "plan, secure, review and publish a commissioning round.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

console = Console(stderr=True)
out = Console()

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2


class BadInput(Exception):
    """Input the user can fix (a file, a value, an option): exit code 2."""


def _version(value: bool) -> None:
    if value:
        out.print(f"commissioning {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Evidence-based commissioning of offender services."""


#: The order commands are listed in `--help` and the reference: the order of a round.
COMMAND_ORDER = (
    "demo", "init", "keygen", "schema", "validate", "import", "synth", "risk", "profile",
    "report", "params",
    "serve",
)


def _register() -> None:
    """Import every `cmd_*` module (each registers its commands on `app`), then order them."""
    import importlib
    import pkgutil
    from pathlib import Path

    # the package's folder, not the package (importing it from here would be a cycle)
    here = [str(Path(__file__).resolve().parent)]
    for module in sorted(pkgutil.iter_modules(here), key=lambda m: m.name):
        if module.name.startswith("cmd_"):
            importlib.import_module(f"commissioning.cli.{module.name}")
    _finish_registration()


def _finish_registration() -> None:
    """Order the registered commands as a round runs, and guard every one (exit codes)."""

    def rank(name: str) -> int:
        return COMMAND_ORDER.index(name) if name in COMMAND_ORDER else len(COMMAND_ORDER)

    app.registered_commands.sort(
        key=lambda c: rank(c.name or (c.callback.__name__ if c.callback else ""))
    )
    commands = list(app.registered_commands)
    for group in app.registered_groups:
        if group.typer_instance is not None:
            commands += group.typer_instance.registered_commands
    for command in commands:
        if command.callback is not None and not getattr(command.callback, "_guarded", False):
            command.callback = _guard(command.callback)


def _show_warning(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
    """Print a parameter warning as one line (other warnings as Python shows them)."""
    from commissioning.policy.parameters import ParameterWarning

    if issubclass(category, ParameterWarning):
        console.print(f"[bold yellow]warning:[/] {message}", highlight=False, soft_wrap=True)
    else:
        _python_showwarning(message, category, *args, **kwargs)


_python_showwarning = warnings.showwarning


def _guard(callback: Callable[..., Any]) -> Callable[..., Any]:
    """Turn BadInput, or a policy override the parameters refuse (ParameterError), into its
    message and exit code 2; show parameter warnings as one line each."""

    @functools.wraps(callback)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        from commissioning.policy.parameters import ParameterError, ParameterWarning

        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            warnings.simplefilter("always", ParameterWarning)
            try:
                return callback(*args, **kwargs)
            except (BadInput, ParameterError) as exc:
                console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
                raise typer.Exit(EXIT_BAD_INPUT) from None

    guarded._guarded = True  # type: ignore[attr-defined]
    return guarded


def _register_one(module: str) -> None:
    """Import only the module defining the command being run, then order and guard as usual."""
    import importlib

    importlib.import_module(module)
    _finish_registration()


#: Modules Typer's help formatter imports but the listing never uses: Markdown (our markup mode
#: is "rich", not "markdown") and tracebacks (pretty exceptions are off). Together with what
#: they import (markdown-it, pygments) they are a quarter of the time `commission --help` takes.
_DEFERRED = (("rich.markdown", "Markdown"), ("rich.traceback", "Traceback"))


class _DeferredClass(type):
    """A stand-in for a class of a module not imported yet: any use imports the module."""

    _module: str
    _name: str

    def _real(cls) -> Any:
        import importlib

        if getattr(sys.modules.get(cls._module), "_deferred", False):
            del sys.modules[cls._module]
        return getattr(importlib.import_module(cls._module), cls._name)

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return cls._real()(*args, **kwargs)

    def __getattr__(cls, name: str) -> Any:
        return getattr(cls._real(), name)

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, cls._real())


def _defer_unused_help_modules() -> None:
    """Let Typer's help formatter import ``rich.markdown`` and ``rich.traceback`` without
    loading them: each becomes a module whose class imports the real one on first use."""
    import types

    for module, name in _DEFERRED:
        if module in sys.modules:
            continue
        stand_in = types.ModuleType(module)
        stand_in._deferred = True  # type: ignore[attr-defined]
        setattr(stand_in, name, _DeferredClass(name, (), {"_module": module, "_name": name,
                                                               "__module__": module}))
        sys.modules[module] = stand_in


def _register_listing() -> None:
    """For `--help` and `--version`: the commands from the manifest, without importing them
    (so no pandas, ibis or scipy is loaded just to list them)."""
    from commissioning.cli.manifest import load

    _defer_unused_help_modules()

    for entry in load():
        if entry["kind"] == "group":
            app.add_typer(typer.Typer(help=entry["help"]), name=entry["name"])
        else:
            app.command(name=entry["name"], help=entry["help"])(_listed_only)
    _finish_registration()


def _listed_only() -> None:  # pragma: no cover - a listing entry is never run
    raise BadInput("internal error: a command was run from the help listing")


def main() -> None:
    """Entry point of the `commission` script: imports only the command being run."""
    from commissioning.cli.manifest import module_of

    name = next((a for a in sys.argv[1:] if not a.startswith("-")), None)
    module = module_of(name) if name is not None else None
    if module is not None:
        _register_one(module)
    elif name is None:
        _register_listing()
    else:
        _register()  # an unknown command: Typer names it and lists the real ones
    try:
        app(standalone_mode=True)
    except BadInput as exc:
        console.print(f"[bold red]error:[/] {exc}")
        sys.exit(EXIT_BAD_INPUT)
