"""`--internal` (alias `--raw`) on every command that publishes counts: unsuppressed output
marked not for publication in its file name and first line; published output withholds by the
one rule, at the threshold of the policy in force; ratings only from the rating minimum."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from commissioning.cli.app import _register, app
from commissioning.io.exports import INTERNAL_MARK
from io_support import records, write
from policy_support import POLICY

runner = CliRunner()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from commissioning.synth.national import write_national_dataset

    out = tmp_path_factory.mktemp("synth")
    write_national_dataset(out, POLICY, n=3000, seed=5)
    _register()
    return out


def _review(data: Path) -> list[str]:
    return ["--cohort", str(data / "cohort.parquet"), "--reoffences",
            str(data / "reoffences.parquet")]


@pytest.mark.parametrize("flag", ["--internal", "--raw"])
def test_profile_internal_writes_every_count_marked(tmp_path: Path, flag: str) -> None:
    _register()
    rows = records("assessments", 7)
    for row in rows[:3]:
        row["rosh"] = "very_high"  # 3 very high, 4 in another tier: small cells
    source = write(rows, tmp_path / "a.csv")
    published = runner.invoke(app, ["profile", str(source), "--out", str(tmp_path / "pub")])
    assert published.exit_code == 0, published.output
    shown = pd.read_csv(tmp_path / "pub" / "risk_profile.csv", dtype=str)
    assert (shown["offenders"] == "*").any()
    result = runner.invoke(app, ["profile", str(source), "--out", str(tmp_path / "int"), flag,
                                 "--xlsx"])
    assert result.exit_code == 0, result.output
    assert "NOT FOR PUBLICATION" in result.output
    path = tmp_path / "int" / "risk_profile.not-for-publication.csv"
    assert not (tmp_path / "int" / "risk_profile.csv").exists()
    assert path.read_text(encoding="utf-8-sig").startswith(f"# {INTERNAL_MARK}")
    frame = pd.read_csv(path, comment="#")
    assert frame["offenders"].sum() == 7
    assert (tmp_path / "int" / "profiles.not-for-publication.xlsx").is_file()


def test_outcomes_internal_and_published(data: Path, tmp_path: Path) -> None:
    pub = runner.invoke(app, ["outcomes", *_review(data), "--out", str(tmp_path),
                              "--by", "provider_id", "--xlsx"])
    assert pub.exit_code == 0, pub.output
    shown = pd.read_csv(tmp_path / "proven_reoffending.csv", dtype=str)
    assert (tmp_path / "proven_reoffending.xlsx").is_file()
    internal = runner.invoke(app, ["outcomes", *_review(data), "--out", str(tmp_path),
                                   "--by", "provider_id", "--internal"])
    assert internal.exit_code == 0, internal.output
    raw = pd.read_csv(tmp_path / "proven_reoffending.not-for-publication.csv", comment="#")
    assert len(raw) == len(shown)
    n, r = raw["cohort_size"], raw["reoffenders"]
    small = ((n > 0) & (n < 5)) | ((r > 0) & (r < 5)) | ((n - r > 0) & (n - r < 5))
    assert (shown.loc[small.to_numpy(), "binary_rate"] == "*").all()
    assert (shown.loc[~small.to_numpy(), "binary_rate"] != "*").all()


def test_performance_follows_the_policy_threshold_and_rating_minimum(
    data: Path, tmp_path: Path
) -> None:
    policy = tmp_path / "local.yaml"
    policy.write_text("disclosure.small_cell_threshold:\n  2012-04-01: 10\n", encoding="utf-8")
    result = runner.invoke(app, ["performance", *_review(data), "--out", str(tmp_path / "p"),
                                 "--policy", str(policy)])
    assert result.exit_code == 0, result.output
    rates = pd.read_csv(tmp_path / "p" / "adjusted_rates.csv", dtype=str)
    sizes = pd.to_numeric(rates["cohort_size"], errors="coerce")
    assert not ((sizes > 0) & (sizes < 10)).any()  # nothing of 1-9 people is shown
    rated = pd.read_csv(tmp_path / "p" / "performance.csv")
    assert (rated["cohort_size"] >= 30).all()
    internal = runner.invoke(app, ["performance", *_review(data), "--out", str(tmp_path / "i"),
                                   "--internal"])
    assert internal.exit_code == 0, internal.output
    raw = pd.read_csv(tmp_path / "i" / "adjusted_rates.not-for-publication.csv", comment="#")
    assert raw["cohort_size"].notna().all()


def test_evaluate_writes_its_tables_as_csv_and_xlsx(data: Path, tmp_path: Path) -> None:
    interventions = pd.read_parquet(data / "interventions.parquet")
    cohort_ids = set(pd.read_parquet(data / "cohort.parquet")["offender_id"])
    ids = interventions.loc[interventions["intervention_id"] == "thinking_skills_programme",
                            "offender_id"]
    treated = tmp_path / "treated.csv"
    pd.DataFrame({"offender_id": sorted(set(ids) & cohort_ids)}).to_csv(treated, index=False)
    result = runner.invoke(app, ["evaluate", *_review(data), "--treated", str(treated),
                                 "--out", str(tmp_path / "ev"), "--xlsx"])
    assert result.exit_code == 0, result.output
    outcomes = pd.read_csv(tmp_path / "ev" / "evaluation_outcomes.csv")
    assert outcomes["measure"].tolist() == ["binary", "frequency"]
    assert outcomes["unit"].str.contains("proportion").iloc[0]
    assert (tmp_path / "ev" / "evaluation_outcomes.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    balance = pd.read_csv(tmp_path / "ev" / "evaluation_balance.csv")
    assert {"variable", "smd_before", "smd_after"} == set(balance.columns)
    assert (tmp_path / "ev" / "evaluation_balance.xlsx").is_file()
