"""`commission schema`: the data contract's tables, columns and rules, and templates."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from commissioning.cli.app import BadInput, app, out


@app.command()
def schema(
    table: str | None = typer.Argument(
        None, help="A contract table (assessments, cohort, ...); without it, list the tables."
    ),
    template: str | None = typer.Option(
        None, "--template", help="Write a template file: csv or xlsx (header and one example row)."
    ),
    out_path: Path | None = typer.Option(
        None, "--out", help="Where to write the template (default TABLE_template.csv|xlsx)."
    ),
) -> None:
    """The data contract's tables, columns, allowed values and rules; a template to fill in.

    Without TABLE, lists the tables. With TABLE, prints its columns (type, required, allowed
    values, meaning) and rules, as docs/data-contract.md does. --template csv|xlsx writes a
    file with the header row and one valid example row.
    """
    from commissioning.schema.contract import TABLES
    from commissioning.schema.document import (
        TEMPLATE_FORMATS,
        column_rows,
        table_rules,
        template_path,
        write_template,
    )

    if table is None:
        if template is not None:
            raise BadInput("--template needs a TABLE, e.g. commission schema assessments "
                           "--template csv")
        listing = Table(title="Data contract tables", show_lines=False)
        for heading in ("table", "columns", "required", "meaning"):
            listing.add_column(heading)
        for spec in TABLES.values():
            listing.add_row(spec.name, str(len(spec.columns)), str(len(spec.required_columns)),
                            spec.description)
        out.print(listing)
        out.print("`commission schema TABLE` lists its columns; add --template csv|xlsx for a "
                  "file to fill in.")
        return
    if table not in TABLES:
        raise BadInput(f"unknown table {table!r}; the contract has: {', '.join(TABLES)}")
    spec = TABLES[table]
    if template is not None:
        if template not in TEMPLATE_FORMATS:
            raise BadInput(f"--template {template!r}: use {' or '.join(TEMPLATE_FORMATS)}")
        path = write_template(table, template, out_path or template_path(table, template))
        out.print(f"[green]Wrote[/] {path} (header and one example row of {table})")
        return
    columns = Table(title=f"{spec.name}: {spec.description}")
    # a column name is what the user types into their header row: never broken across lines
    columns.add_column("column", no_wrap=True)
    columns.add_column("type", overflow="fold", max_width=14)
    columns.add_column("required", max_width=8)
    columns.add_column("allowed values", overflow="fold")  # long ids break anywhere
    columns.add_column("meaning")  # prose wraps at words
    for row in column_rows(spec):
        columns.add_row(row["column"], row["type"], row["required"], row["allowed"],
                        row["description"])
    out.print(columns)
    for rule, meaning in table_rules(spec):
        out.print(f"rule [bold]{rule}[/]: {meaning}")
