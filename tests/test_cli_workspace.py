"""`commission init`, `import`, `validate` and `keygen`: output and exit codes (0 ok, 2 bad
input), through Typer's CliRunner and once through the installed script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from commissioning.cli.app import _register, app
from commissioning.io.pseudonymise import ENV_KEY, ENV_KEY_FILE
from io_support import records, write

runner = CliRunner()
_register()
SCRIPT = Path(sys.executable).parent / "commission"


@pytest.fixture(autouse=True)
def _registered_and_keyless(monkeypatch: pytest.MonkeyPatch) -> None:
    import commissioning.cli.cmd_workspace  # noqa: F401  (registers the commands)

    monkeypatch.delenv(ENV_KEY, raising=False)
    monkeypatch.delenv(ENV_KEY_FILE, raising=False)
    monkeypatch.setenv("COLUMNS", "200")


def test_init_creates_a_workspace(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", "--workspace", str(tmp_path / "ws")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "ws" / "workspace.json").is_file()
    again = runner.invoke(app, ["init", "--workspace", str(tmp_path / "ws")])
    assert again.exit_code == 0 and "Already a workspace" in again.output


def test_keygen_then_import_with_the_key_file(tmp_path: Path) -> None:
    key = tmp_path / "secret" / "k.key"
    made = runner.invoke(app, ["keygen", str(key)])
    assert made.exit_code == 0, made.output
    assert runner.invoke(app, ["keygen", str(key)]).exit_code == 2
    source = write(records("assessments", 4, nhs_number="943 476 5919"), tmp_path / "a.csv")
    ws = tmp_path / "ws"
    result = runner.invoke(app, ["import", "assessments", str(source), "-w", str(ws),
                                 "--key-file", str(key)])
    assert result.exit_code == 0, result.output
    assert "Imported assessments" in result.output
    assert "nhs_number" in result.output and "dropped 1 column" in result.output
    assert pq.read_table(ws / "inputs" / "assessments.parquet").num_rows == 4


def test_import_without_a_key_exits_2_and_says_how_to_make_one(tmp_path: Path) -> None:
    source = write(records("assessments", 2), tmp_path / "a.csv")
    result = runner.invoke(app, ["import", "assessments", str(source), "-w", str(tmp_path / "w")])
    assert result.exit_code == 2
    assert "commission keygen PATH" in result.output
    assert not (tmp_path / "w").exists()


def test_key_file_inside_the_workspace_exits_2(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    runner.invoke(app, ["keygen", str(ws / "k.key")])
    source = write(records("assessments", 2), tmp_path / "a.csv")
    result = runner.invoke(app, ["import", "assessments", str(source), "-w", str(ws),
                                 "--key-file", str(ws / "k.key")])
    assert result.exit_code == 2 and "inside the workspace" in result.output


def test_synthetic_data_uses_the_demo_key_and_says_so(tmp_path: Path) -> None:
    synth = tmp_path / "synth"
    synth.mkdir()
    (synth / "synthetic.json").write_text(json.dumps({"synthetic": True}))
    source = write(records("cohort", 3), synth / "cohort.parquet")
    result = runner.invoke(app, ["import", "cohort", str(source), "-w", str(tmp_path / "ws")])
    assert result.exit_code == 0, result.output
    assert "demo key was used" in result.output
    manifest = json.loads((tmp_path / "ws" / "inputs" / "cohort.manifest.json").read_text())
    assert manifest["demo_key"] is True


def test_unknown_table_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", "offenders", str(tmp_path / "x.csv")])
    assert result.exit_code == 2 and "assessments" in result.output


def test_validate_reports_ok_and_problems(tmp_path: Path) -> None:
    good = write(records("interventions", 2), tmp_path / "i.xlsx")
    ok = runner.invoke(app, ["validate", "interventions", str(good)])
    assert ok.exit_code == 0, ok.output
    assert "interventions: valid" in ok.output
    bad = write(records("interventions", 2, completed="maybe"), tmp_path / "bad.csv")
    result = runner.invoke(app, ["validate", "interventions", str(bad)])
    assert result.exit_code == 2
    assert "bad.csv, row 3, column completed, value 'maybe'" in result.output
    assert "[rule bool_not_recognised]" in result.output


def test_installed_script_lists_file_row_column_value_and_rule(tmp_path: Path) -> None:
    rows = records("assessments", 3)
    rows[2]["sex"] = "unknown"
    source = write(rows, tmp_path / "people.csv")
    env = {k: v for k, v in os.environ.items() if k not in (ENV_KEY, ENV_KEY_FILE)}
    env["COMMISSIONING_PSEUDONYM_KEY"] = "0123456789abcdef0123456789abcdef"
    done = subprocess.run(
        [str(SCRIPT), "import", "assessments", str(source), "--workspace", str(tmp_path / "ws")],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert ("people.csv, row 4, column sex, value 'unknown': not one of: male, female"
            in done.stderr)
    assert "[rule enum_value_unknown]" in done.stderr
    assert not (tmp_path / "ws").exists()


@pytest.mark.parametrize("command", [["report"], ["publish", "intentions"]])
def test_a_workspace_that_is_not_there_is_bad_input_and_is_not_created(
    tmp_path: Path, command: list[str]
) -> None:
    missing = tmp_path / "no-such-workspace"
    result = runner.invoke(app, [*command, "--workspace", str(missing)])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert f"there is no workspace at {missing}" in text
    assert "commission import assessments FILE" in text
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not missing.exists()
