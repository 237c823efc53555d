"""Every CSV a command writes opens in Excel as it is: UTF-8 with a byte-order mark, the
header the command documents, and with ``--xlsx`` a workbook whose numeric columns hold numbers
(issue 11: exports an analyst opens in Excel)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from commissioning.cli.app import _register, app
from commissioning.io.exports import CSV_ENCODING
from commissioning.io.units import PERCENT, PROBABILITY, PROPORTION, unit_of

runner = CliRunner()
_register()
BOM = b"\xef\xbb\xbf"


def assert_excel_csv(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """``path`` starts with the BOM and reads back (as Excel would) with ``columns`` first."""
    assert path.read_bytes().startswith(BOM), f"{path.name}: no byte-order mark"
    frame = pd.read_csv(path, encoding=CSV_ENCODING)
    assert not str(frame.columns[0]).startswith("\ufeff")
    if columns is not None:
        assert list(frame.columns[:len(columns)]) == columns, path.name
    return frame


def assert_numbers_in_xlsx(csv_path: Path) -> None:
    """The workbook beside ``csv_path`` has the CSV's header and rows, numbers as numbers."""
    frame = pd.read_csv(csv_path, encoding=CSV_ENCODING)
    sheet = openpyxl.load_workbook(csv_path.with_suffix(".xlsx")).worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header == [str(c) for c in frame.columns]
    assert sheet.max_row == len(frame) + 1 and sheet.freeze_panes == "A2"
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
               and not pd.api.types.is_bool_dtype(frame[c])]
    assert numeric, f"{csv_path.name}: no numeric column to check"
    for col in numeric:
        j = header.index(str(col)) + 1
        unit = unit_of(str(col), csv_path.name)
        assert unit is not None, f"{csv_path.name}: {col} has no unit in commissioning.io.units"
        note = sheet.cell(1, j).comment
        assert note is not None and note.text == f"Unit: {unit}", col
        values = [sheet.cell(i, j).value for i in range(2, sheet.max_row + 1)]
        assert all(v is None or isinstance(v, int | float) for v in values), col
        assert any(isinstance(v, int | float) for v in values), col


def test_demand_backtest_writes_excel_csv_and_xlsx(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demand", "backtest", "--out", str(tmp_path), "--xlsx"])
    assert result.exit_code == 0, result.output
    table = assert_excel_csv(tmp_path / "prison_backtest_table.csv",
                             ["horizon_years", "origins"])
    assert any(str(c).startswith("mape_") for c in table.columns)
    for name in ("prison_backtest.csv", "prison_backtest_table.csv",
                 "prison_backtest_intervals.csv"):
        assert_excel_csv(tmp_path / name)
        assert_numbers_in_xlsx(tmp_path / name)


def test_demand_community_writes_excel_csv_and_xlsx(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demand", "community", "--out", str(tmp_path), "--xlsx"])
    assert result.exit_code == 0, result.output
    for name in ("community_series.csv", "community_forecast.csv", "community_models.csv"):
        assert_excel_csv(tmp_path / name)
        assert_numbers_in_xlsx(tmp_path / name)
    assert "quarter" in assert_excel_csv(tmp_path / "community_forecast.csv").columns


def test_evidence_rate_to_a_file_is_excel_csv_with_a_workbook(tmp_path: Path) -> None:
    out = tmp_path / "ratings.csv"
    result = runner.invoke(app, ["evidence", "rate", "--format", "csv", "--out", str(out),
                                 "--xlsx"])
    assert result.exit_code == 0, result.output
    frame = assert_excel_csv(out, ["intervention_id"])
    sheet = openpyxl.load_workbook(out.with_suffix(".xlsx")).worksheets[0]
    assert sheet.max_row == len(frame) + 1


def test_evidence_list_csv_to_a_file_has_the_bom_and_xlsx_needs_out(tmp_path: Path) -> None:
    out = tmp_path / "list.csv"
    result = runner.invoke(app, ["evidence", "list", "--format", "csv", "--out", str(out),
                                 "--xlsx"])
    assert result.exit_code == 0, result.output
    assert_excel_csv(out, ["id", "name", "category", "core", "settings", "studies"])
    assert_numbers_in_xlsx(out)
    refused = runner.invoke(app, ["evidence", "list", "--format", "csv", "--xlsx"])
    assert refused.exit_code == 2 and "--xlsx needs --out" in refused.output
    # to standard output (a pipe) there is no byte-order mark
    piped = runner.invoke(app, ["evidence", "list", "--format", "csv"])
    assert piped.exit_code == 0 and piped.output.startswith("id,name")


def test_pbr_decisions_csv_has_the_bom(tmp_path: Path) -> None:
    result = runner.invoke(app, ["pbr", "peterborough", "--out", str(tmp_path), "--xlsx"])
    assert result.exit_code == 0, result.output
    frame = assert_excel_csv(tmp_path / "pbr_decisions.csv", ["scheme", "cohort", "measure"])
    assert "→" in frame["evidence"].iloc[0]  # the arrow Excel showed as "â†’" without the BOM
    assert_numbers_in_xlsx(tmp_path / "pbr_decisions.csv")


@pytest.fixture(scope="module")
def assessments_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from io_support import records, write

    folder = tmp_path_factory.mktemp("risk")
    return write(records("assessments", 12, pnc_number="1/2A"), folder / "assessments.csv")


def test_risk_csv_has_the_bom_and_the_contracts_booleans(
    assessments_csv: Path, tmp_path: Path
) -> None:
    out = tmp_path / "risk.csv"
    result = runner.invoke(app, ["risk", str(assessments_csv), "--out", str(out)])
    assert result.exit_code == 0, result.output
    source = pd.read_csv(assessments_csv, dtype=str, keep_default_na=False)
    scored = assert_excel_csv(out, ["offender_id", "assessment_date"])
    assert list(scored.columns[-6:]) == ["age_at_assessment", "offence_group", "ogrs3_1y",
                                         "ogrs3_2y", "ogrs3_band", "risk_tier"]
    assert len(scored) == len(source)
    text = out.read_text(encoding=CSV_ENCODING)
    # booleans as the input spells them (the file was DuckDB's before: true/false)
    assert "true" in text.lower() and ",True," not in text and ",False," not in text


def test_unit_suffixes_say_percent_or_proportion() -> None:
    assert unit_of("mape_drift_pct") == PERCENT
    assert unit_of("binary_rate") == unit_of("binary_rate_upper") == PROPORTION
    assert unit_of("p_shortfall") == unit_of("max_p_shortfall") == PROBABILITY
    assert unit_of("flip_share") == PROPORTION
    assert unit_of("change", "invest_disinvest.csv") == "£"
    assert unit_of("change") is None  # ambiguous without its table
    assert unit_of("no_such_column") is None
