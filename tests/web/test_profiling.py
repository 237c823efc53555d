"""A provider's upload: validated, profiled into Tables 1-2, and only the counts kept."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from tests.io_support import records, write

from commissioning.secure.profiling import (
    UploadRejected,
    population,
    profile_upload,
    published_tables,
)
from commissioning.secure.rounds import RoundYearError, financial_year_start, reporting_date
from commissioning.web.policy import parameters

#: The round these uploads answer (its parameters are read at its first day).
ROUND_DATE = financial_year_start("2012-13")


def population_rows() -> list[dict[str, str]]:
    men = records("assessments", 9)
    women = records("assessments", 3, sex="female", rosh="very_high")
    for i, rec in enumerate(women):
        rec["offender_id"] = f"W{i}"
    return men + women


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_an_upload_is_profiled_with_counts_matching_an_independent_count(
    tmp_path: Path, suffix: str
) -> None:
    rows = population_rows()
    path = write(rows, tmp_path / f"extract{suffix}")
    content = path.read_bytes()
    kept = profile_upload([content], path.name, parameters(), ROUND_DATE)
    assert kept.rows == len(rows) == 12
    assert kept.sha256 == hashlib.sha256(content).hexdigest()
    assert kept.filename == f"extract{suffix}"
    risk = kept.profile["risk"]
    assert sum(r["offenders"] for r in risk) == 12
    assert sum(r["female"] for r in risk) == sum(r["sex"] == "female" for r in rows) == 3
    # RoSH very high puts a person in the very high tier whatever their OGRS3 score
    assert sum(r["offenders"] for r in risk if r["risk_tier"] == "very_high") == 3
    harm = {(h["setting"], h["harm"]): h["offenders"] for h in kept.profile["harm"]}
    assert harm == {("community", "medium"): 9, ("community", "high"): 3}
    facts = population(kept.profile)
    assert facts is not None and facts.women == {"community": 3}


def test_the_page_tables_withhold_small_cells(tmp_path: Path) -> None:
    path = write(population_rows(), tmp_path / "extract.csv")
    kept = profile_upload([path.read_bytes()], path.name, parameters(), ROUND_DATE)
    tables = published_tables(kept.profile, parameters())
    assert tables.threshold == 5
    very_high = [r for r in tables.risk if r["risk_tier"] == "Very high"]
    # 3 people is fewer than 5: withheld, and so is the shares that would reveal it
    assert very_high[0]["offenders"] == "*" and very_high[0]["female_pct"] == "*"
    assert tables.withheld >= 1


def test_a_file_breaking_the_contract_is_rejected_naming_row_column_and_rule(
    tmp_path: Path,
) -> None:
    rows = records("assessments", 3)
    rows[1]["date_of_birth"] = "not a date"
    path = write(rows, tmp_path / "bad.csv")
    with pytest.raises(UploadRejected) as caught:
        profile_upload([path.read_bytes()], "bad.csv", parameters(), ROUND_DATE)
    problem = caught.value.problems[0]
    assert (problem.file, problem.row, problem.column) == ("bad.csv", 3, "date_of_birth")
    assert problem.rule


def test_an_unsupported_file_type_or_an_empty_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(UploadRejected) as caught:
        profile_upload([b"x"], "extract.json", parameters(), ROUND_DATE)
    assert caught.value.problems[0].rule == "file_type_unsupported"
    header = ",".join(records("assessments", 1)[0]).encode() + b"\n"
    with pytest.raises(UploadRejected) as caught:
        profile_upload([header], "empty.csv", parameters(), ROUND_DATE)
    assert caught.value.problems[0].rule == "no_records"


def test_a_rounds_date_is_the_first_day_of_its_financial_year() -> None:
    assert financial_year_start("2012-13").isoformat() == "2012-04-01"
    assert financial_year_start("1999-00").isoformat() == "1999-04-01"
    for wrong in ("unknown", "2012-14", "2012", "12-13"):
        with pytest.raises(RoundYearError, match="financial year"):
            financial_year_start(wrong)
    assert reporting_date(["2012-13", "2011-12"], ["2013-14"]).isoformat() == "2012-04-01"
    assert reporting_date([], ["2013-14"]).isoformat() == "2013-04-01"
    assert reporting_date([]) is None
