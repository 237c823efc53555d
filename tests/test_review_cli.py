"""The review commands' interfaces on a small synthetic dataset (issue 6, "Interface")."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from commissioning.cli.app import _register, app
from commissioning.review.proven import SUMMARY_COLUMNS
from policy_support import POLICY

runner = CliRunner()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from commissioning.synth.national import write_national_dataset

    out = tmp_path_factory.mktemp("synth")
    write_national_dataset(out, POLICY, n=4000, seed=3)
    _register()
    return out


def test_outcomes_writes_the_interface_columns_by_provider(data: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["outcomes", "--cohort", str(data / "cohort.parquet"),
                                 "--reoffences", str(data / "reoffences.parquet"),
                                 "--out", str(tmp_path), "--by", "cohort_year"])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(tmp_path / "proven_reoffending.csv")
    assert list(frame.columns[:8]) == ["cohort_year", *SUMMARY_COLUMNS]
    assert frame["cohort_size"].sum() > 1000
    assert ((frame["binary_rate"] > 0.2) & (frame["binary_rate"] < 0.7)).all()


def test_outcomes_rejects_an_unknown_by_column(data: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["outcomes", "--cohort", str(data / "cohort.parquet"),
                                 "--reoffences", str(data / "reoffences.parquet"),
                                 "--out", str(tmp_path), "--by", "shoe_size"])
    assert result.exit_code == 2 and "shoe_size" in result.output


def test_evaluate_writes_the_interface_json_and_refuses_under_60(data: Path,
                                                                 tmp_path: Path) -> None:
    interventions = pd.read_parquet(data / "interventions.parquet")
    cohort_ids = set(pd.read_parquet(data / "cohort.parquet")["offender_id"])
    ids = interventions.loc[interventions["intervention_id"] == "thinking_skills_programme",
                            "offender_id"]
    ids = sorted(set(ids) & cohort_ids)
    treated = tmp_path / "treated.csv"
    pd.DataFrame({"offender_id": ids}).to_csv(treated, index=False)
    args = ["evaluate", "--cohort", str(data / "cohort.parquet"),
            "--reoffences", str(data / "reoffences.parquet"), "--treated", str(treated)]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "ev")])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "ev" / "evaluation.json").read_text())
    assert report["treated_n"] == len(ids) and report["matched_n"] <= report["treated_n"]
    for measure in ("binary", "frequency"):
        assert set(report[measure]) == {"treated", "comparison", "difference", "ci_lower",
                                        "ci_upper", "p_value"}
        assert report[measure]["ci_lower"] <= report[measure]["difference"]
    assert {"variable", "smd_before", "smd_after"} == set(report["balance"][0])
    small = tmp_path / "small.csv"
    pd.DataFrame({"offender_id": ids[:59]}).to_csv(small, index=False)
    refused = runner.invoke(app, [*args[:-1], str(small), "--out", str(tmp_path / "no")])
    assert refused.exit_code == 2 and "at least 60" in refused.output


def test_pbr_reproduces_the_published_doncaster_decisions(tmp_path: Path) -> None:
    _register()
    result = runner.invoke(app, ["pbr", "doncaster", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(tmp_path / "pbr_decisions.csv")
    assert frame["decision"].tolist() == ["paid", "repaid"]
    assert runner.invoke(app, ["pbr", "nowhere", "--out", str(tmp_path)]).exit_code == 2


def test_performance_writes_adjusted_rates_and_bands(data: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["performance", "--cohort", str(data / "cohort.parquet"),
                                 "--reoffences", str(data / "reoffences.parquet"),
                                 "--interventions", str(data / "interventions.parquet"),
                                 "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    rated = pd.read_csv(tmp_path / "performance.csv")
    assert set(rated["band"].dropna().astype(int)) <= {1, 2, 3, 4} and len(rated) > 0
    assert "national rate" in (tmp_path / "method.txt").read_text()
