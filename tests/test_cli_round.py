"""The round from the command line: demo end to end, risk and profile on files, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from commissioning.cli.app import _register, app
from commissioning.synth.assessments import write_assessments
from policy_support import POLICY

runner = CliRunner()
_register()


@pytest.fixture(scope="module")
def assessments_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("input")
    parquet = folder / "assessments.parquet"
    write_assessments(parquet, POLICY, n=3_000, seed=7)
    csv = folder / "assessments.csv"
    frame = pd.read_parquet(parquet)
    frame["national_insurance_number"] = "QQ123456C"  # outside the contract: must be dropped
    frame.to_csv(csv, index=False)
    return csv


def test_demo_runs_the_whole_round(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    result = runner.invoke(app, ["demo", "--workspace", str(ws), "--assessments", "4000"])
    assert result.exit_code == 0, result.output
    report = ws / "reports" / "commissioning-round.html"
    html = report.read_text(encoding="utf-8")
    assert "Need: offenders in the community" in html
    assert "Provenance" in html
    # the secure step prepared the web workspace and reported what it holds
    assert "Secure: proposals, contracts and assurance" in html
    secure = json.loads((ws / "exports" / "secure" / "workspace.json").read_text())
    assert secure["audit"]["ok"] and secure["organisations"]["probation_trust"] == 35
    assert (ws / "web" / "db.sqlite3").exists()
    national = pd.read_csv(ws / "exports" / "profiles" / "national" / "risk_profile.csv")
    assert set(national["setting"]) == {"community", "custody"}
    assert (ws / "exports" / "profiles" / "by-provider" / "need_profile.csv").exists()
    # offender ids were pseudonymised on import
    imported = pd.read_parquet(ws / "inputs" / "assessments.parquet", columns=["offender_id"])
    assert not imported["offender_id"].str.startswith("SYN").any()


def test_risk_keeps_rows_in_order_and_adds_columns(assessments_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "scored.csv"
    result = runner.invoke(app, ["risk", str(assessments_csv), "--out", str(out)])
    assert result.exit_code == 0, result.output
    scored = pd.read_csv(out)
    original = pd.read_csv(assessments_csv)
    assert scored["offender_id"].tolist() == original["offender_id"].tolist()
    assert list(scored.columns[-6:]) == [
        "age_at_assessment", "offence_group", "ogrs3_1y", "ogrs3_2y", "ogrs3_band", "risk_tier",
    ]
    assert "national_insurance_number" not in scored.columns
    assert scored["ogrs3_2y"].between(0, 1).all()


def test_risk_writes_parquet_by_extension(assessments_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "scored.parquet"
    result = runner.invoke(app, ["risk", str(assessments_csv), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(pd.read_parquet(out)) == 3_000


def test_profile_by_provider_writes_both_files(assessments_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "profiles"
    result = runner.invoke(
        app, ["profile", str(assessments_csv), "--out", str(out), "--by", "provider_id", "--xlsx"]
    )
    assert result.exit_code == 0, result.output
    risk = pd.read_csv(out / "risk_profile.csv", dtype=str)
    assert list(risk.columns) == [
        "provider_id", "setting", "offence_group", "risk_tier", "offenders", "share_pct",
        "under_25_pct", "female_pct",
    ]
    need = pd.read_csv(out / "need_profile.csv", dtype=str)
    assert list(need.columns) == [
        "provider_id", "setting", "offence_group", "need", "offenders_with_need",
        "prevalence_pct",
    ]
    # small provider splits must have been suppressed somewhere
    assert (risk["offenders"] == "*").any()
    shown = pd.to_numeric(risk["offenders"], errors="coerce").dropna()
    assert not shown.between(1, 4).any()
    assert (out / "profiles.xlsx").exists()


def test_profile_with_unknown_by_column_is_bad_input(assessments_csv: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["profile", str(assessments_csv), "--out", str(tmp_path), "--by", "postcode"]
    )
    assert result.exit_code == 2
    assert "--by postcode" in result.output


def test_invalid_assessments_exit_2_and_name_file_row_column(
    assessments_csv: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    frame = pd.read_csv(assessments_csv, dtype=str)
    frame.loc[4, "offence"] = "jaywalking"
    frame.to_csv(bad, index=False)
    out = tmp_path / "scored.csv"
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "commission"), "risk", str(bad), "--out", str(out)],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 2, proc.stderr
    message = proc.stdout + proc.stderr
    assert "bad.csv" in message and "offence" in message and "jaywalking" in message
    assert not out.exists()


def test_params_lists_the_threshold_with_its_reference() -> None:
    result = runner.invoke(app, ["params", "--json"])
    assert result.exit_code == 0, result.output
    assert "risk.medium_high_threshold" in result.output
    assert "Custodial Services intention 4" in result.output


def test_params_before_a_parameter_starts_leaves_it_out() -> None:
    result = runner.invoke(app, ["params", "--date", "2008-01-01", "--json"])
    assert result.exit_code == 0
    assert "risk.medium_high_threshold" not in result.output


def test_bad_date_is_bad_input() -> None:
    result = runner.invoke(app, ["params", "--date", "April"])
    assert result.exit_code == 2
