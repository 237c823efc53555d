"""A 40-row, 18-column assessments workbook keeps its 40 rows through every way users bring
data in: `commission validate`, `import`, `risk`, `profile` and the web's upload profiling."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from commissioning.cli.app import app
from commissioning.io.pseudonymise import ENV_KEY, ENV_KEY_FILE
from commissioning.policy.parameters import load_parameters
from io_support import records, write

runner = CliRunner()
ROWS = 40


@pytest.fixture(autouse=True)
def _registered(monkeypatch: pytest.MonkeyPatch) -> None:
    import commissioning.cli.cmd_assess
    import commissioning.cli.cmd_workspace  # noqa: F401

    monkeypatch.delenv(ENV_KEY, raising=False)
    monkeypatch.delenv(ENV_KEY_FILE, raising=False)
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    rows = records("assessments", ROWS, pnc_number="1/2A")
    for i, row in enumerate(rows):
        row["setting"] = "custody" if i % 3 == 0 else "community"
        if row["setting"] == "custody":
            row["sentence_type"] = "determinate_custody"
            row["requirements"] = ""
    return write(rows, tmp_path / "assessments.xlsx", sheet="assessments")


def test_validate_counts_every_row(workbook: Path) -> None:
    result = runner.invoke(app, ["validate", "assessments", str(workbook)])
    assert result.exit_code == 0, result.output
    (line,) = [ln for ln in result.output.splitlines() if "rows" in ln]
    assert line.replace("│", " ").split() == ["rows", str(ROWS)]


def test_import_stores_every_row(workbook: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    result = runner.invoke(app, ["import", "assessments", str(workbook), "-w", str(ws),
                                 "--synthetic-demo-key"])
    assert result.exit_code == 0, result.output
    assert pq.read_table(ws / "inputs" / "assessments.parquet").num_rows == ROWS


def test_risk_scores_every_row(workbook: Path, tmp_path: Path) -> None:
    out = tmp_path / "risk.csv"
    result = runner.invoke(app, ["risk", str(workbook), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out)) == ROWS
    assert f"({ROWS} rows)" in " ".join(result.output.split())


def test_profile_counts_every_row(workbook: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["profile", str(workbook), "--out", str(tmp_path / "p")])
    assert result.exit_code == 0, result.output
    assert f"Profiling {ROWS} assessments" in " ".join(result.output.split())


def test_the_web_upload_profiles_every_row(workbook: Path) -> None:
    from commissioning.secure.profiling import profile_file

    profile, rows = profile_file(workbook, load_parameters(), dt.date(2012, 4, 1))
    assert rows == ROWS
    assert sum(int(r["offenders"]) for r in profile["harm"]) == ROWS


def test_risk_writes_an_excel_workbook_of_every_row(workbook: Path, tmp_path: Path) -> None:
    import openpyxl

    out = tmp_path / "risk.xlsx"
    result = runner.invoke(app, ["risk", str(workbook), "--out", str(out)])
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out)["risk"]
    assert sheet.max_row == ROWS + 1 and sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    score = sheet.cell(2, header.index("ogrs3_2y") + 1).value
    assert isinstance(score, float)  # numbers as numbers
