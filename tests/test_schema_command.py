"""`commission schema`, its templates and docs/data-contract.md come from one source
(schema/contract.py): every template validates, and the document is up to date."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from commissioning.cli.app import _register, app
from commissioning.io.readers import read_table
from commissioning.schema.contract import TABLES
from commissioning.schema.document import markdown, update, write_template

runner = CliRunner()
DOC = Path(__file__).resolve().parents[1] / "docs" / "data-contract.md"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("table", sorted(TABLES))
def test_every_template_is_a_valid_one_row_table(tmp_path: Path, table: str, fmt: str) -> None:
    path = write_template(table, fmt, tmp_path / f"{table}.{fmt}")
    valid = read_table(path, table)
    assert valid.num_rows == 1
    assert valid.dropped_columns == ()
    assert set(TABLES[table].required_columns) <= set(valid.table.column_names)


def test_the_data_contract_document_is_generated_and_up_to_date() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert update(text) == text, (
        "docs/data-contract.md is out of date: run "
        "`python -m commissioning.schema.document --write docs/data-contract.md`"
    )
    generated = markdown()
    for spec in TABLES.values():
        assert f"### `{spec.name}`" in generated
        for column in spec.columns:
            assert f"| `{column.name}` |" in generated


def test_schema_lists_tables_and_columns(tmp_path: Path) -> None:
    _register()
    listing = runner.invoke(app, ["schema"], env={"COLUMNS": "200"})
    assert listing.exit_code == 0, listing.output
    for name in TABLES:
        assert name in listing.output
    one = runner.invoke(app, ["schema", "assessments"], env={"COLUMNS": "200"})
    assert one.exit_code == 0, one.output
    assert "offender_id" in one.output and "conviction_not_after_assessment" in one.output
    assert "sentence_type" in one.output


def test_schema_writes_a_template_and_refuses_bad_input(tmp_path: Path) -> None:
    _register()
    out = tmp_path / "a.xlsx"
    made = runner.invoke(app, ["schema", "assessments", "--template", "xlsx", "--out", str(out)])
    assert made.exit_code == 0, made.output
    assert read_table(out, "assessments").num_rows == 1
    assert runner.invoke(app, ["schema", "offenders"]).exit_code == 2
    assert runner.invoke(app, ["schema", "assessments", "--template", "ods"]).exit_code == 2
