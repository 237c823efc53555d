"""community_starts: a data-contract table, imported and validated like the others, synthetic
only when its import manifest says so; community forecasts chosen on every origin and bounded."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from commissioning.assess.demand import community as C
from commissioning.assess.demand.step import community_input
from commissioning.cli.app import _register, app
from commissioning.engine import backend
from commissioning.io.workspace import Workspace
from commissioning.policy.parameters import ParameterSet
from commissioning.schema.contract import TABLES
from commissioning.steps import StepContext
from commissioning.synth.demand_history import community_history, community_starts_table
from commissioning.synth.national import write_national_dataset
from policy_support import POLICY, ROUND_DATE

runner = CliRunner()
_register()


def _context(ws: Workspace, params: ParameterSet) -> StepContext:
    return StepContext(ws, params, dt.date(2012, 4, 1), backend.connect())


def test_the_contract_has_community_starts_and_the_generator_matches_it(
    params: ParameterSet,
) -> None:
    spec = TABLES["community_starts"]
    table = community_starts_table(params.at(ROUND_DATE))
    assert tuple(table.column_names) == spec.column_names
    assert "all" in (spec.column("requirement").values or ())


def test_a_bad_file_is_refused_naming_row_column_and_rule(tmp_path: Path) -> None:
    frame = community_history(POLICY).head(40).copy()
    frame.loc[6, "quarter"] = "2006-Q3"
    frame.loc[9, "starts"] = -4
    bad = tmp_path / "starts.csv"
    frame.to_csv(bad, index=False)
    ws = tmp_path / "ws"
    result = runner.invoke(app, ["import", "community_starts", str(bad), "-w", str(ws)])
    assert result.exit_code == 2, result.output
    assert "row 8" in result.output and "quarter" in result.output
    assert "row 11" in result.output and "starts" in result.output
    assert not Workspace(ws).has("community_starts")  # all or nothing
    dup = pd.concat([community_history(POLICY).head(5), community_history(POLICY).head(1)])
    dup.to_csv(bad, index=False)
    result = runner.invoke(app, ["import", "community_starts", str(bad), "-w", str(ws)])
    assert result.exit_code == 2 and "unique" in result.output
    result = runner.invoke(app, ["demand", "community", "--out", str(tmp_path / "o"),
                                 "--history", str(bad)])
    assert result.exit_code == 2 and "unique" in result.output


def test_synthetic_comes_from_the_manifest_on_every_run(
    tmp_path: Path, params: ParameterSet
) -> None:
    synthetic = tmp_path / "synthetic"
    write_national_dataset(synthetic, POLICY, n=300, seed=5)
    assert (synthetic / "community_starts.parquet").exists()
    ws = Workspace(tmp_path / "demo")
    result = ws.import_table("community_starts", synthetic / "community_starts.parquet", None)
    assert result.synthetic and ws.manifest("community_starts")["synthetic"] is True
    for _ in range(2):  # the second run still says synthetic (it used to stop saying so)
        frame, is_synthetic, source = community_input(_context(ws, params))
        assert is_synthetic and "synthetic" in source and len(frame) == result.rows
    # The same numbers copied to a file of the user's: imported, validated, not synthetic.
    own = tmp_path / "mine" / "starts.csv"
    own.parent.mkdir()
    pd.read_parquet(synthetic / "community_starts.parquet").to_csv(own, index=False)
    real = Workspace(tmp_path / "real")
    assert not real.import_table("community_starts", own, None).synthetic
    frame, is_synthetic, source = community_input(_context(real, params))
    assert not is_synthetic and "starts.csv" in source
    # A workspace with no community_starts uses the synthetic history and says so.
    _, is_synthetic, source = community_input(_context(Workspace(tmp_path / "empty"), params))
    assert is_synthetic and "not imported" in source


def test_selection_uses_every_origin_and_a_break_is_not_carried_to_zero(
    params: ParameterSet,
) -> None:
    history = community_history(params.at(ROUND_DATE))
    result = C.forecast_community(history, params.at(ROUND_DATE))
    n = history["quarter"].nunique()
    assert {c.origins for c in result.choices} == {C.origins_available(n, 4)}
    assert C.origins_available(n, 4) >= 9
    # A one-off break: a steady 1,000 a quarter, then the last year halved.
    y = np.r_[np.full(22, 1_000.0), np.full(4, 500.0)]
    for model in ("seasonal_naive", "damped_seasonal", "seasonal_drift", "arima"):
        with C.quiet():
            f = C.forecast_with(model, y, 18, 0.9, bounds=(0.5, 1.5))
        assert (f.mean >= 250.0 - 1e-9).all(), model  # never below half the last year
        assert (f.lower >= 250.0 - 1e-9).all(), model
    with C.quiet():
        damped = C.forecast_with("damped_seasonal", y, 18, 0.9, damping=0.5)
    # Damped: the -69% log break moves the forecast by at most its own size, however far.
    assert damped.mean[-1] == pytest.approx(500 * np.exp(np.log(0.5) * 0.5 * (1 - 0.5**4.5)
                                                         / 0.5), rel=1e-6)
    assert damped.mean[-1] > 0.25 * 1_000
