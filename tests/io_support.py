"""Shared builders for the io tests: a valid record per contract table, written in any format.

(A helper module, not collected: its name does not start with test_.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

VALID_ASSESSMENT: dict[str, str] = {
    "offender_id": "A0001",
    "assessment_date": "2012-06-01",
    "setting": "community",
    "provider_id": "N01",
    "region": "london",
    "sex": "male",
    "date_of_birth": "1985-03-15",
    "conviction_date": "2012-04-20",
    "first_sanction_date": "2001-07-09",
    "previous_sanctions": "4",
    "offence": "burglary_domestic",
    "rosh": "medium",
    "need_drugs": "yes",
    "need_alcohol": "0",
    "sentence_type": "community_order",
    "requirements": "supervision;unpaid_work",
    "extremism": "none",
}

VALID_RECORDS: dict[str, dict[str, str]] = {
    "assessments": VALID_ASSESSMENT,
    "cohort": {
        "offender_id": "A0001",
        "index_date": "2012-01-10",
        "index_type": "release",
        "provider_id": "N01",
        "sex": "female",
        "date_of_birth": "1990-01-01",
        "first_sanction_date": "2005-01-01",
        "conviction_date": "2011-06-01",
    },
    "reoffences": {
        "offender_id": "A0001",
        "offence_date": "2012-03-01",
        "disposal_date": "2012-05-01",
        "disposal_type": "conviction",
        "court_appearance_id": "C1",
        "offence": "violence",
    },
    "interventions": {
        "offender_id": "A0001",
        "intervention_id": "tsp",
        "provider_id": "N01",
        "start_date": "2012-01-01",
        "end_date": "2012-03-01",
        "completed": "true",
    },
    "providers": {"provider_id": "N01", "name": "London", "kind": "probation_trust"},
    "establishments": {
        "provider_id": "BAI",
        "name": "HMP Bure",
        "operator": "public",
        "gender": "male",
        "operational_capacity": "600",
        "open_date": "2010-11-01",
    },
    "partners": {"partner_id": "P1", "name": "A council", "kind": "local_authority"},
    "community_starts": {
        "quarter": "2011Q2",
        "sentence_type": "community_order",
        "requirement": "all",
        "starts": "31000",
    },
}


#: The column that must differ between records (a person, or a reference table's key).
DISTINCT_COLUMN: dict[str, str] = {
    "assessments": "offender_id",
    "cohort": "offender_id",
    "reoffences": "offender_id",
    "interventions": "offender_id",
    "providers": "provider_id",
    "establishments": "provider_id",
    "partners": "partner_id",
    "community_starts": "quarter",
}
#: Tables whose distinct column is a quarter: record i is year 2000 + i's first quarter.
QUARTER_KEYED: frozenset[str] = frozenset({"community_starts"})


def records(table: str, n: int = 3, **changes: Any) -> list[dict[str, Any]]:
    """n valid records of a table (distinct ids), with `changes` applied to every record."""
    out = []
    for i in range(n):
        rec: dict[str, Any] = dict(VALID_RECORDS[table])
        if table in QUARTER_KEYED:
            rec[DISTINCT_COLUMN[table]] = f"{2000 + i}Q1"
        else:
            rec[DISTINCT_COLUMN[table]] = f"{rec[DISTINCT_COLUMN[table]]}_{i}"
        rec.update(changes)
        out.append(rec)
    return out


def as_arrow(rows: list[dict[str, Any]]) -> pa.Table:
    names = list(dict.fromkeys(k for r in rows for k in r))
    return pa.table({k: pa.array([r.get(k) for r in rows], type=pa.string()) for k in names})


def write(rows: list[dict[str, Any]], path: Path, sheet: str = "Sheet1") -> Path:
    """Write records as CSV, Parquet or Excel (by suffix), every value as text."""
    table = as_arrow(rows)
    if path.suffix == ".csv":
        pacsv.write_csv(table, path)
    elif path.suffix == ".parquet":
        pq.write_table(table, path)
    else:
        book = openpyxl.Workbook()
        ws = book.active
        ws.title = sheet
        ws.append(table.column_names)
        for rec in table.to_pylist():
            ws.append([rec[k] for k in table.column_names])
        book.save(path)
    return path
