"""Policy overrides are checked: an unknown name (with the closest names), a value of the wrong
kind or unit, or out of range is refused naming the file and the key (exit code 2 from every
command); a disclosure threshold under the convention warns."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from commissioning.cli.app import _register, app
from commissioning.policy.parameters import ParameterError, ParameterWarning, load_parameters
from io_support import records, write

runner = CliRunner()


@pytest.fixture(autouse=True)
def _registered(monkeypatch: pytest.MonkeyPatch) -> None:
    _register()  # every command, guarded (bad input is exit code 2)
    monkeypatch.setenv("COLUMNS", "200")


def _policy(tmp_path: Path, text: str, name: str = "local.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text,expected", [
    ("disclosure.small_cel_threshold:\n  2012-04-01: 10\n",
     ["no parameter named 'disclosure.small_cel_threshold'", "disclosure.small_cell_threshold"]),
    ("disclosure.small_cell_threshold:\n  2012-04-01: ten\n",
     ["disclosure.small_cell_threshold on 2012-04-01", "expects a number", "'ten'"]),
    ("disclosure.small_cell_threshold:\n  2012-04-01: 0\n",
     ["disclosure.small_cell_threshold", "out of range", "at least 1"]),
    ("disclosure.small_cell_threshold:\n  2012-04-01: 7.5\n",
     ["7.5 must be a whole number of people"]),
    ("risk.medium_high_threshold:\n  2012-04-01: 150\n",
     ["risk.medium_high_threshold", "out of range", "from 2 to 98"]),
    ("risk.medium_high_threshold:\n  2012-04-01: 0.45\n",
     ["risk.medium_high_threshold", "0.45 is out of range", "from 2 to 98"]),
    ("risk.medium_high_threshold:\n  2012-04-01: '45%'\n",
     ["'45%' is a percentage", "write e.g. 45"]),
    ("risk.tier_rule:\n  2012-04-01:\n    high_from_pcnt: 70\n",
     ["risk.tier_rule on 2012-04-01", "unknown key 'high_from_pcnt'", "high_from_pct"]),
    ("disclosure.small_cell_threshold:\n  April 2012: 10\n", ["is not an ISO date"]),
    ("disclosure.small_cell_threshold: 10\n", ["maps dates to values"]),
    ("disclosure.small_cell_threshold:\n  2012-04-01: [10\n", ["not valid YAML", "line"]),
])
def test_a_bad_override_names_the_file_and_the_key(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    path = _policy(tmp_path, text)
    with pytest.raises(ParameterError) as info:
        load_parameters([path])
    message = str(info.value)
    assert str(path) in message
    for part in expected:
        assert part in message


def test_good_overrides_still_apply(tmp_path: Path) -> None:
    path = _policy(tmp_path, "disclosure.small_cell_threshold:\n  2012-04-01: 10\n"
                             "risk.tier_rule:\n  2012-04-01:\n    high_from_pct: 70\n")
    params = load_parameters([path])
    assert params.value("disclosure.small_cell_threshold", dt.date(2012, 4, 1)) == 10
    assert params.value("risk.tier_rule", dt.date(2012, 4, 1))["high_from_pct"] == 70
    assert params.get("disclosure.small_cell_threshold").overridden


def test_a_threshold_under_the_convention_warns(tmp_path: Path) -> None:
    path = _policy(tmp_path, "disclosure.small_cell_threshold:\n  2012-04-01: 3\n")
    with pytest.warns(ParameterWarning, match="below the convention of 5 people"):
        params = load_parameters([path])
    assert params.value("disclosure.small_cell_threshold", dt.date(2012, 4, 1)) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error", ParameterWarning)
        load_parameters([_policy(tmp_path, "disclosure.small_cell_threshold:\n"
                                           "  2012-04-01: 10\n", "ok.yaml")])


def test_every_command_exits_2_on_a_bad_override(tmp_path: Path) -> None:
    bad = _policy(tmp_path, "disclosure.small_cel_threshold:\n  2012-04-01: 10\n")
    data = write(records("assessments", 3), tmp_path / "a.csv")
    result = runner.invoke(app, ["profile", str(data), "--out", str(tmp_path / "p"),
                                 "--policy", str(bad)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "small_cel_threshold" in result.output and "small_cell_threshold" in result.output


def test_a_bad_workspace_policy_exits_2(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "policy").mkdir(parents=True)
    _policy(ws / "policy", "disclosure.small_cell_threshold:\n  2012-04-01: many\n")
    result = runner.invoke(app, ["report", "--workspace", str(ws)])
    assert result.exit_code == 2, result.output
    flat = " ".join(result.output.split())
    assert "local.yaml" in flat and "expects a number" in flat


def test_the_cli_shows_the_warning_as_one_line(tmp_path: Path) -> None:
    weak = _policy(tmp_path, "disclosure.small_cell_threshold:\n  2012-04-01: 2\n")
    data = write(records("assessments", 3), tmp_path / "a.csv")
    result = runner.invoke(app, ["profile", str(data), "--out", str(tmp_path / "p"),
                                 "--policy", str(weak)])
    assert result.exit_code == 0, result.output
    assert "warning:" in result.output and "below the convention" in result.output
