"""Options and helpers shared by the commands."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from commissioning.cli.app import BadInput, console
from commissioning.io.readers import read_table
from commissioning.io.validation import ValidationFailed, ValidTable

#: The date a command binds the parameters to when ``--date`` is not given: the start of the
#: commissioning year the document plans (2012-13). The only default date in the product:
#: everything below the CLI receives a :class:`~commissioning.policy.parameters.Policy`
#: already bound (``ParameterSet.at``).
DEFAULT_DATE = dt.date(2012, 4, 1)

DateOption = typer.Option(
    None,
    "--date",
    help=f"Date whose parameters are in force (YYYY-MM-DD; default {DEFAULT_DATE.isoformat()}).",
)
PolicyOption = typer.Option(
    [],
    "--policy",
    help="A YAML file of parameter overrides {name: {date: value}} (repeatable).",
)
InternalOption = typer.Option(
    False,
    "--internal",
    "--raw",
    help="Internal analysis: write the figures WITHOUT small-cell suppression, into files "
    "whose name and first line say NOT FOR PUBLICATION (--raw is the old name).",
)
XlsxOption = typer.Option(False, "--xlsx", help="Also write each table as an Excel workbook.")
WorkspaceOption = typer.Option(
    Path("workspace"), "--workspace", "-w", help="The workspace folder."
)


def parse_date(text: str | None) -> dt.date:
    if text is None:
        return DEFAULT_DATE
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"--date {text!r}: use an ISO date, YYYY-MM-DD") from None


def read_assessments(path: Path) -> ValidTable:
    """Read and validate an assessments file; bad input becomes exit code 2."""
    try:
        valid = read_table(path, "assessments")
    except ValidationFailed as exc:
        raise BadInput(str(exc)) from None
    if valid.dropped_columns:
        console.print(
            f"[yellow]notice:[/] {len(valid.dropped_columns)} column(s) outside the data contract "
            f"were dropped (minimum data set): {', '.join(valid.dropped_columns)}"
        )
    return valid


@contextmanager
def step(label: str) -> Iterator[None]:
    """Show a spinner while a step runs, then how long it took."""
    start = time.perf_counter()
    with console.status(f"{label}…"):
        yield
    console.print(f"[dim]{label}: {time.perf_counter() - start:.1f} s[/]")
