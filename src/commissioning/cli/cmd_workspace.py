"""Workspace commands: `init`, `import`, `validate` and `keygen`.

Thin: parse, call :mod:`commissioning.io`, render with Rich. Exit codes: 0 ok, 2 bad input
(validation errors, unknown table, missing key, key inside the workspace), 1 other failure.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from commissioning.cli.app import EXIT_BAD_INPUT, app, console, out
from commissioning.io.pseudonymise import (
    ENV_KEY,
    ENV_KEY_FILE,
    KeyProblem,
    needs_key,
    resolve_key,
    write_key_file,
)
from commissioning.io.readers import read_table
from commissioning.io.validation import ValidationFailed, ValidTable
from commissioning.io.workspace import DEFAULT_WORKSPACE, ImportResult, Workspace
from commissioning.schema.contract import TABLES, table_spec

WORKSPACE_OPTION = typer.Option(
    DEFAULT_WORKSPACE, "--workspace", "-w", help="Workspace folder.", show_default=True
)


def _bad_input(message: str) -> typer.Exit:
    console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    return typer.Exit(EXIT_BAD_INPUT)


def _check_table(table: str) -> None:
    try:
        table_spec(table)
    except KeyError:
        raise _bad_input(
            f"unknown table {table!r}; the contract has: {', '.join(TABLES)}"
        ) from None


def _report_invalid(exc: ValidationFailed) -> typer.Exit:
    console.print(f"[bold red]invalid input:[/] {escape(str(exc))}", soft_wrap=True)
    console.print(
        "Row numbers count the header as row 1 (the first record is row 2). "
        "Fix the file and run the command again; nothing was imported.",
        soft_wrap=True,
    )
    return typer.Exit(EXIT_BAD_INPUT)


def _summary(title: str, rows: list[tuple[str, str]]) -> Table:
    grid = Table(title=title, show_header=False, title_justify="left")
    grid.add_column("what", style="bold")
    grid.add_column("value", overflow="fold")
    for what, value in rows:
        grid.add_row(what, escape(value))
    return grid


def _dropped_text(dropped: tuple[str, ...]) -> str:
    return ", ".join(dropped) if dropped else "none"


@app.command("init")
def init_command(workspace: Path = WORKSPACE_OPTION) -> None:
    """Create a workspace folder (inputs/, policy/, reports/, exports/, workspace.json)."""
    ws = Workspace(workspace)
    created = ws.init()
    verb = "Created" if created else "Already a workspace:"
    out.print(f"{verb} {escape(str(ws.path))}", soft_wrap=True)


@app.command("keygen")
def keygen_command(
    path: Path = typer.Argument(..., help="Where to write the key (outside any workspace)."),
) -> None:
    """Write a new random 32-byte pseudonymisation key (hex), readable by you only (0600)."""
    try:
        written = write_key_file(path)
    except KeyProblem as exc:
        raise _bad_input(str(exc)) from None
    out.print(f"Wrote a new pseudonymisation key to {escape(str(written))} (mode 0600).",
              soft_wrap=True)
    out.print(
        f"Use it with `commission import TABLE FILE --key-file {escape(str(written))}` or "
        f"`export {ENV_KEY_FILE}={escape(str(written))}`. Keep it safe and keep it outside the "
        "workspace: without it later imports will not link to earlier ones.",
        soft_wrap=True,
    )


@app.command("validate")
def validate_command(
    table: str = typer.Argument(..., help=f"Contract table: {', '.join(TABLES)}."),
    file: Path = typer.Argument(..., help="CSV, Parquet or Excel (.xlsx) file."),
) -> None:
    """Check a file against the data contract without importing it."""
    _check_table(table)
    try:
        valid: ValidTable = read_table(file, table)
    except ValidationFailed as exc:
        raise _report_invalid(exc) from None
    out.print(_summary(
        f"{table}: valid",
        [
            ("file", str(file) + (f" [{valid.sheet}]" if valid.sheet else "")),
            ("rows", f"{valid.num_rows:,}"),
            ("columns kept", ", ".join(valid.table.column_names)),
            ("columns dropped (not in the contract)", _dropped_text(valid.dropped_columns)),
        ],
    ))


@app.command("import")
def import_command(
    table: str = typer.Argument(..., help=f"Contract table: {', '.join(TABLES)}."),
    file: Path = typer.Argument(..., help="CSV, Parquet or Excel (.xlsx) file."),
    workspace: Path = WORKSPACE_OPTION,
    key_file: Path | None = typer.Option(
        None, "--key-file", help=f"Pseudonymisation key file outside the workspace (or set "
        f"{ENV_KEY_FILE}, or put the key in {ENV_KEY})."
    ),
    synthetic_demo_key: bool = typer.Option(
        False, "--synthetic-demo-key",
        help="Use the public demo key: for synthetic data only, never for real records.",
    ),
) -> None:
    """Validate a file, pseudonymise offender_id and store it in the workspace as Parquet.

    All-or-nothing: any problem stops the import and leaves the workspace as it was.
    """
    _check_table(table)
    ws = Workspace(workspace)
    key = None
    if needs_key(table_spec(table).column_names):
        try:
            key = resolve_key(ws.path, file, key_file, synthetic_demo_key)
        except KeyProblem as exc:
            raise _bad_input(str(exc)) from None
    try:
        with console.status(f"Importing {escape(str(file))} …"):
            result: ImportResult = ws.import_table(table, file, key)
    except ValidationFailed as exc:
        raise _report_invalid(exc) from None
    except KeyProblem as exc:
        raise _bad_input(str(exc)) from None
    if result.dropped_columns:
        console.print(
            f"[yellow]notice:[/] dropped {len(result.dropped_columns)} column(s) outside the "
            f"data contract (minimum data set): {escape(_dropped_text(result.dropped_columns))}",
            soft_wrap=True,
        )
    if key is not None and result.pseudonymised_columns:
        pseudonyms = f"{', '.join(result.pseudonymised_columns)} with key {key.fingerprint}"
        key_note = f"{pseudonyms} from {key.origin}"
    else:
        key_note = "no person identifiers in this table"
    out.print(_summary(
        f"Imported {table}",
        [
            ("file", f"{file} (sha256 {result.source_sha256[:16]}…)"),
            ("rows", f"{result.rows:,}"),
            ("columns kept", ", ".join(result.columns)),
            ("columns dropped (not in the contract)", _dropped_text(result.dropped_columns)),
            ("pseudonymised", key_note),
            ("stored as", str(ws.path / result.parquet)),
        ],
    ))
    if result.demo_key:
        out.print("[yellow]The synthetic demo key was used: fine for synthetic data, never for "
                  "real offender records.[/]", soft_wrap=True)
