"""One test per data-contract rule (DATA_MODEL.md): each bad value is reported with its file,
row (header = row 1, first record = row 2), column, value and rule, and nothing is returned."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from commissioning.io.readers import read_table
from commissioning.io.validation import Problem, ValidationFailed
from commissioning.schema.contract import TABLES
from commissioning.schema.validation_rules import CROSS_COLUMN_RULES, TABLE_KEYS
from io_support import records, write


def problems_in(tmp_path: Path, table: str, rows: list[dict[str, Any]]) -> list[Problem]:
    path = write(rows, tmp_path / f"{table}.csv")
    with pytest.raises(ValidationFailed) as info:
        read_table(path, table)
    assert info.value.total == len(info.value.problems)
    return info.value.problems


def only_problem(tmp_path: Path, table: str, rows: list[dict[str, Any]]) -> Problem:
    found = problems_in(tmp_path, table, rows)
    assert len(found) == 1, [p.describe() for p in found]
    return found[0]


def second_record(table: str, **changes: Any) -> list[dict[str, Any]]:
    """Three valid records with `changes` applied to the second (spreadsheet row 3)."""
    rows = records(table, 3)
    rows[1].update(changes)
    return rows


@pytest.mark.parametrize("table", sorted(TABLES))
def test_a_valid_file_of_every_table_passes(tmp_path: Path, table: str) -> None:
    valid = read_table(write(records(table, 3), tmp_path / f"{table}.csv"), table)
    assert valid.num_rows == 3
    assert valid.dropped_columns == ()


def test_every_rule_named_in_the_contract_is_implemented() -> None:
    named = {rule for spec in TABLES.values() for rule in spec.rules}
    assert named <= set(CROSS_COLUMN_RULES)
    assert set(TABLE_KEYS) <= set(TABLES)


def test_missing_required_column_points_at_the_header(tmp_path: Path) -> None:
    rows = records("assessments", 2)
    for r in rows:
        del r["rosh"]
    p = only_problem(tmp_path, "assessments", rows)
    assert (p.row, p.column, p.rule) == (1, "rosh", "required_column_missing")


def test_empty_required_value(tmp_path: Path) -> None:
    p = only_problem(tmp_path, "assessments", second_record("assessments", provider_id="  "))
    assert (p.file, p.row, p.column, p.rule) == (
        "assessments.csv", 3, "provider_id", "required_value_missing")


def test_value_outside_its_enumeration(tmp_path: Path) -> None:
    p = only_problem(tmp_path, "assessments", second_record("assessments", sex="Male"))
    assert (p.row, p.column, p.value, p.rule) == (3, "sex", "Male", "enum_value_unknown")
    assert "male, female" in p.message
    assert p.message.endswith("did you mean 'male'?")


@pytest.mark.parametrize(("wrong", "meant"), [
    ("theft", "theft_non_motor"),  # a shortened name
    ("Burglary Domestic", "burglary_domestic"),  # words and case as a person types them
    ("criminal_damag", "criminal_damage"),  # a misspelling
])
def test_a_wrong_enumeration_value_suggests_the_closest(
    tmp_path: Path, wrong: str, meant: str
) -> None:
    p = only_problem(tmp_path, "assessments", second_record("assessments", offence=wrong))
    assert p.rule == "enum_value_unknown" and p.message.endswith(f"did you mean {meant!r}?")


def test_no_suggestion_when_nothing_is_close(tmp_path: Path) -> None:
    p = only_problem(tmp_path, "assessments", second_record("assessments", offence="xyzzy"))
    assert "did you mean" not in p.message


def test_each_requirement_code_is_checked(tmp_path: Path) -> None:
    rows = second_record("assessments", requirements="supervision; tagging ;curfew")
    p = only_problem(tmp_path, "assessments", rows)
    assert (p.row, p.column, p.rule) == (3, "requirements", "code_value_unknown")
    assert "'tagging'" in p.message


@pytest.mark.parametrize("bad", ["01/06/2012", "2012-6-1", "2012-02-30", "2011-02-29", "soon"])
def test_unparseable_or_impossible_date(tmp_path: Path, bad: str) -> None:
    p = only_problem(tmp_path, "assessments", second_record("assessments", assessment_date=bad))
    assert (p.row, p.column, p.value, p.rule) == (3, "assessment_date", bad, "date_not_iso")


def test_leap_day_is_a_real_date(tmp_path: Path) -> None:
    rows = second_record("assessments", date_of_birth="1984-02-29")
    valid = read_table(write(rows, tmp_path / "a.csv"), "assessments")
    assert str(valid.table.column("date_of_birth")[1].as_py()) == "1984-02-29"


@pytest.mark.parametrize("bad", ["3.5", "three", "1e3"])
def test_non_integer(tmp_path: Path, bad: str) -> None:
    p = only_problem(tmp_path, "assessments", second_record("assessments", previous_sanctions=bad))
    assert (p.row, p.column, p.value, p.rule) == (3, "previous_sanctions", bad,
                                                  "int_not_whole_number")


def test_negative_integer(tmp_path: Path) -> None:
    p = only_problem(tmp_path, "assessments", second_record("assessments", previous_sanctions="-1"))
    assert (p.row, p.column, p.value, p.rule) == (3, "previous_sanctions", "-1",
                                                  "number_below_minimum")


def test_bool_words_are_case_insensitive_and_others_refused(tmp_path: Path) -> None:
    rows = records("assessments", 6)
    for r, word in zip(rows, ["TRUE", "no", "Yes", "0", "1", "perhaps"], strict=True):
        r["need_ete"] = word
    p = only_problem(tmp_path, "assessments", rows)
    assert (p.row, p.column, p.value, p.rule) == (7, "need_ete", "perhaps", "bool_not_recognised")
    valid = read_table(write(rows[:5], tmp_path / "ok.csv"), "assessments")
    assert valid.table.column("need_ete").to_pylist() == [True, False, True, False, True]


def test_first_sanction_after_conviction(tmp_path: Path) -> None:
    rows = second_record("assessments", first_sanction_date="2012-05-01")
    p = only_problem(tmp_path, "assessments", rows)
    assert (p.row, p.column, p.value, p.rule) == (
        3, "first_sanction_date", "2012-05-01", "first_sanction_not_after_conviction")
    assert "conviction_date 2012-04-20" in p.message


def test_conviction_after_assessment(tmp_path: Path) -> None:
    p = only_problem(tmp_path, "assessments",
                     second_record("assessments", conviction_date="2012-06-02"))
    assert (p.row, p.column, p.rule) == (3, "conviction_date", "conviction_not_after_assessment")


def test_date_of_birth_after_first_sanction(tmp_path: Path) -> None:
    p = only_problem(tmp_path, "assessments",
                     second_record("assessments", date_of_birth="2002-01-01"))
    assert (p.row, p.column, p.rule) == (3, "date_of_birth", "born_before_first_sanction")


def test_first_sanction_before_the_tenth_birthday(tmp_path: Path) -> None:
    # Born 1985-03-15: tenth birthday 1995-03-15. The day before is too young; the day is not.
    rows = second_record("assessments", first_sanction_date="1995-03-14")
    p = only_problem(tmp_path, "assessments", rows)
    assert (p.row, p.column, p.rule) == (3, "first_sanction_date",
                                         "age_of_criminal_responsibility")
    ok = second_record("assessments", first_sanction_date="1995-03-15")
    assert read_table(write(ok, tmp_path / "ok.csv"), "assessments").num_rows == 3


def test_requirements_on_a_custodial_sentence(tmp_path: Path) -> None:
    rows = second_record("assessments", sentence_type="licence")
    p = only_problem(tmp_path, "assessments", rows)
    assert (p.row, p.column, p.rule) == (3, "requirements",
                                         "requirements_only_for_community_sentences")
    for sentence in ("suspended_sentence_order", ""):
        fine = second_record("assessments", sentence_type=sentence)
        assert read_table(write(fine, tmp_path / "ok.csv"), "assessments").num_rows == 3


def test_offence_after_its_disposal(tmp_path: Path) -> None:
    p = only_problem(tmp_path, "reoffences", second_record("reoffences", offence_date="2012-05-02"))
    assert (p.row, p.column, p.rule) == (3, "offence_date", "offence_not_after_disposal")


def test_intervention_starting_after_it_ends(tmp_path: Path) -> None:
    p = only_problem(tmp_path, "interventions",
                     second_record("interventions", start_date="2012-04-01"))
    assert (p.row, p.column, p.rule) == (3, "start_date", "start_not_after_end")
    ongoing = second_record("interventions", end_date="")
    assert read_table(write(ongoing, tmp_path / "ok.csv"), "interventions").num_rows == 3


@pytest.mark.parametrize("table,key", [("providers", "provider_id"),
                                       ("establishments", "provider_id"),
                                       ("partners", "partner_id")])
def test_duplicate_keys_in_reference_tables(tmp_path: Path, table: str, key: str) -> None:
    rows = records(table, 4)
    rows[3][key] = rows[1][key]
    p = only_problem(tmp_path, table, rows)
    assert (p.row, p.column, p.value, p.rule) == (5, key, rows[1][key], "duplicate_key")
    assert "row 3" in p.message


def test_cohort_rules_apply_to_cohort(tmp_path: Path) -> None:
    p = only_problem(tmp_path, "cohort", second_record("cohort", first_sanction_date="2011-07-01"))
    assert p.rule == "first_sanction_not_after_conviction"


def test_all_problems_are_counted_and_the_message_shows_twenty(tmp_path: Path) -> None:
    rows = records("assessments", 30, sex="M", rosh="severe")
    path = write(rows, tmp_path / "many.csv")
    with pytest.raises(ValidationFailed) as info:
        read_table(path, "assessments")
    exc = info.value
    assert exc.total == 60
    assert [p.row for p in exc.problems[:4]] == [2, 2, 3, 3]
    text = str(exc)
    assert text.count("[rule ") == 20
    assert text.rstrip().endswith("… and 40 more")
    assert text.startswith("many.csv: 60 problems found; nothing was imported.")
