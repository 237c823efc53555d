"""`commission plan` end to end on a small synthetic workspace: the interface of issue 5
(portfolio.csv columns, summary.json keys), scenario files, and an infeasible target explained.

A 3,000-assessment sample weighted up to the national prison population cannot meet the
document's £120M with every intention kept (its noisy segments make the spend floors and the
core offer collide), so the default run is the infeasibility test and the interface is checked
on a scenario with no savings target."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from commissioning.cli.app import _register, app
from commissioning.synth.national import write_national_dataset
from policy_support import POLICY

runner = CliRunner()
_register()

#: The issue's interface, in its order (extra columns may follow).
PORTFOLIO_COLUMNS = [
    "service_id", "evidence_category", "core", "setting", "offence_group", "risk_tier", "harm",
    "region", "baseline_volume", "planned_volume", "baseline_spend", "planned_spend", "reason",
]
SUMMARY_KEYS = {
    "status", "objective", "objective_kind", "budget", "baseline_spend", "planned_spend",
    "savings", "ranking_objective", "mip_gap", "intentions",
}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace holding synthetic assessments and the services they started."""
    root = tmp_path_factory.mktemp("plan-cli")
    synthetic = root / "synthetic"
    write_national_dataset(synthetic, POLICY, n=3_000, seed=11)
    ws = root / "ws"
    assert runner.invoke(app, ["init", "--workspace", str(ws)]).exit_code == 0
    for table in ("assessments", "cohort", "reoffences", "interventions"):
        result = runner.invoke(app, ["import", table, str(synthetic / f"{table}.parquet"),
                                     "--workspace", str(ws), "--synthetic-demo-key"])
        assert result.exit_code == 0, result.output
    return ws


NO_SAVINGS = ("parameters:\n"
              "  plan.savings_target: {2012-04-01: 0}\n"
              "  plan.savings_outside_portfolio: {2012-04-01: 0}\n")


def _plan(workspace: Path, out: Path, scenario: str | None = None,
          *extra: str) -> dict[str, Any]:
    args = ["plan", "--workspace", str(workspace), "--out", str(out), *extra]
    if scenario is not None:
        path = out.parent / f"{out.name}-scenario.yaml"
        path.write_text(scenario, encoding="utf-8")
        args += ["--scenario", str(path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return summary


@pytest.fixture(scope="module")
def planned(workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plan-out") / "plan"
    _plan(workspace, out, "name: no savings\n" + NO_SAVINGS, "--xlsx")
    return out


def test_every_plan_table_is_excel_csv_with_a_workbook_of_numbers(planned: Path) -> None:
    from test_exports_everywhere import assert_excel_csv, assert_numbers_in_xlsx

    assert_excel_csv(planned / "portfolio.csv", PORTFOLIO_COLUMNS)
    for name in ("portfolio.csv", "changes.csv", "baseline_by_provider.csv"):
        assert_excel_csv(planned / name)
        assert_numbers_in_xlsx(planned / name)


def test_portfolio_csv_has_the_issues_columns_in_order(planned: Path) -> None:
    portfolio = pd.read_csv(planned / "portfolio.csv")
    assert list(portfolio.columns[:len(PORTFOLIO_COLUMNS)]) == PORTFOLIO_COLUMNS
    assert set(portfolio["harm"]) <= {"low", "medium", "high"}
    assert set(portfolio["setting"]) == {"community", "custody"}
    assert (portfolio["planned_volume"] >= 0).all()
    assert portfolio["reason"].notna().all()
    assert portfolio["baseline_spend"].sum() > 0


def test_summary_json_has_the_issues_keys_and_is_consistent(planned: Path) -> None:
    summary = json.loads((planned / "summary.json").read_text(encoding="utf-8"))
    assert set(summary) >= SUMMARY_KEYS
    assert summary["status"] == "optimal"
    assert summary["scenario"] == "no savings"
    assert summary["objective_kind"] == "reoffences"
    assert summary["budget"] == pytest.approx(summary["baseline_spend"])
    assert summary["objective"] >= summary["ranking_objective"] - 1e-6
    assert summary["planned_spend"] <= summary["budget"] * (1 + 1e-9) + 1e-3
    assert summary["savings"] == pytest.approx(
        summary["baseline_spend"] - summary["planned_spend"])
    assert summary["mip_gap"] == 0.0  # no integer contracts: an LP, solved exactly
    ids = [v["id"] for v in summary["intentions"]]
    assert len(ids) == 38 and len(set(ids)) == 38
    for verdict in summary["intentions"]:
        assert set(verdict) == {"id", "holds", "detail"}
        assert verdict["holds"] in (True, False, None)
    checked = {v["id"]: v["holds"] for v in summary["intentions"] if v["holds"] is not None}
    assert checked and all(checked.values()), checked  # the optimum keeps every rule it applies
    portfolio = pd.read_csv(planned / "portfolio.csv")
    assert portfolio["planned_spend"].sum() == pytest.approx(summary["planned_spend"], rel=1e-6)
    assert [c["portfolio"] for c in summary["comparison"]] == [
        "2011-12 baseline", "fair ranking", "optimum without intentions",
        "optimum with intentions"]
    assert summary["ranking_breaks"] == []
    bridge = {b["line"]: b["amount"] for b in summary["savings_bridge"]}
    assert bridge["total savings"] == pytest.approx(
        summary["savings"] + bridge["outside the portfolio (NOMS headquarters)"], abs=1.0)
    assert all(c["explanation"] for c in summary["intention_costs"])
    for col in ("binding", "court_ordered_volume", "upper_volume", "unit_cost",
                "value_per_start"):
        assert portfolio[col].notna().all(), col
    assert not portfolio["reason"].str.startswith("invest").any()
    drawn = summary["uncertainty"]
    assert drawn["parameter"] == "plan.uncertainty" and drawn["draws"] >= 1
    assert 0.0 <= drawn["p_beats_baseline"] <= 1.0 and 0.0 <= drawn["p_beats_ranking"] <= 1.0
    assert drawn["plan"]["p5"] <= drawn["plan"]["p50"] <= drawn["plan"]["p95"]
    assert portfolio["flip_share"].between(0.0, 1.0).all()


def test_a_scenario_file_sets_the_objective_and_sets_intentions_aside(
        workspace: Path, planned: Path, tmp_path: Path) -> None:
    summary = _plan(workspace, tmp_path / "out", "name: net benefit, women's floor aside\n"
                    "objective: net_benefit\n" + NO_SAVINGS + "drop_intentions: [custody 5]\n")
    default = json.loads((planned / "summary.json").read_text(encoding="utf-8"))
    assert summary["scenario"] == "net benefit, women's floor aside"
    assert summary["objective_kind"] == "net_benefit"
    assert summary["status"] == "optimal"
    assert summary["budget"] == pytest.approx(default["budget"])
    assert summary["objective"] >= summary["ranking_objective"] - 1e-6
    dropped = next(v for v in summary["intentions"] if v["id"] == "custody 5")
    assert dropped["detail"].startswith("not applied in this scenario")
    kept = next(v for v in summary["intentions"] if v["id"] == "custody 6")
    assert kept["holds"] is True


def test_the_national_target_on_a_small_sample_is_infeasible_and_explained(
        workspace: Path, tmp_path: Path) -> None:
    summary = _plan(workspace, tmp_path / "out")
    assert set(summary) >= SUMMARY_KEYS
    assert summary["status"] == "infeasible"
    assert summary["objective"] is None and summary["planned_spend"] is None
    assert summary["savings_target"] == 120e6
    assert summary["conflicts"], "an infeasible plan names the constraints that conflict"
    assert all("must give by" in c for c in summary["conflicts"])
    portfolio = pd.read_csv(tmp_path / "out" / "portfolio.csv")
    assert list(portfolio.columns[:len(PORTFOLIO_COLUMNS)]) == PORTFOLIO_COLUMNS


def test_a_bad_scenario_file_is_an_error_that_says_what_to_fix(
        workspace: Path, tmp_path: Path) -> None:
    scenario = tmp_path / "bad.yaml"
    scenario.write_text("objective: happiness\n", encoding="utf-8")
    result = runner.invoke(app, ["plan", "--workspace", str(workspace), "--out",
                                 str(tmp_path / "o"), "--scenario", str(scenario)])
    assert result.exit_code != 0
    assert "happiness" in result.output and "net_benefit" in result.output
