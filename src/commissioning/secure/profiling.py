"""A provider's population, profiled from their upload: validate, score, profile, discard.

The provider uploads their ``assessments`` extract (CSV, Excel or Parquet). It is validated
against the data contract (:func:`commissioning.io.readers.read_table`), scored with OGRS3 and
the risk tiers, and profiled into Tables 1-2 (:mod:`commissioning.assess.profiles`) in an
in-memory DuckDB — as ``commission profile`` does. Only the aggregate profile is kept, with the
row count, the file's SHA-256 and its name; the records themselves (and every identifier) are
discarded with the temporary folder: the minimum data set.

The stored profile holds raw counts (the check against the intentions needs them); every page
shows it through :func:`published_tables`, which applies small-cell suppression
(:mod:`commissioning.publish.disclosure`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import math
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from commissioning.assess.profiles import (
    NEED_PROFILE_COLUMNS,
    RISK_PROFILE_COLUMNS,
    compute_profiles,
)
from commissioning.assess.risk import RiskRules, score
from commissioning.engine import backend
from commissioning.io.readers import read_table
from commissioning.io.validation import Problem, ValidationFailed
from commissioning.policy.parameters import ParameterSet
from commissioning.publish.disclosure import (
    small_cell_threshold,
    suppress_need_profile,
    suppress_risk_profile,
)
from commissioning.schema.contract import NEEDS
from commissioning.secure.checks import Population

#: File types a provider may upload (the readers' formats).
ACCEPTED_SUFFIXES: tuple[str, ...] = (".csv", ".xlsx", ".parquet")
#: Version of the stored profile's layout.
PROFILE_FORMAT = 1
#: Shown for a share of nobody (a segment with no offenders), unlike a withheld cell (``*``).
NOT_APPLICABLE = "–"
_NEED_LABELS = {n.code: n.label for n in NEEDS}


class UploadRejected(Exception):
    """The upload breaks the data contract (or cannot be read); nothing was stored. Its
    problems are the data contract's (:class:`~commissioning.io.validation.Problem`), named by
    the uploaded file's name."""

    def __init__(self, problems: Sequence[Problem], total: int) -> None:
        self.problems = list(problems)
        self.total = total
        noun = "problem" if total == 1 else "problems"
        super().__init__(f"{total} {noun} found; nothing was stored")


@dataclass(frozen=True)
class ProfiledUpload:
    """What is kept of an upload."""

    profile: dict[str, Any]
    rows: int
    sha256: str
    filename: str


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-safe rows: missing values become null (PostgreSQL's jsonb refuses NaN)."""
    out: list[dict[str, Any]] = []
    for row in frame.to_dict(orient="records"):
        clean: dict[str, Any] = {}
        for key, value in row.items():
            if value is None or (isinstance(value, float) and math.isnan(value)):
                clean[str(key)] = None
            elif hasattr(value, "item"):
                clean[str(key)] = value.item()
            else:
                clean[str(key)] = value
        out.append(clean)
    return out


def profile_file(path: Path, params: ParameterSet, when: dt.date) -> tuple[dict[str, Any], int]:
    """Validate, score and profile one assessments file; the profile JSON and the row count.

    Raises :class:`ValidationFailed` when the file breaks the data contract.
    """
    valid = read_table(path, "assessments")
    con = backend.connect()
    table = backend.from_arrow(con, valid.table, "assessments")
    scored = score(table, RiskRules.from_policy(params.at(when)))
    profiles = compute_profiles(con, scored)
    harm = scored.rosh.cases(("high", "high"), ("very_high", "high"), else_=scored.rosh)
    banded = scored.mutate(harm=harm)
    by_harm = backend.execute(
        con, banded.group_by(["setting", "harm"]).aggregate(offenders=banded.count())
    ).sort_values(["setting", "harm"], kind="stable")
    profile = {
        "format": PROFILE_FORMAT,
        "parameters_date": when.isoformat(),
        "risk": _records(profiles.risk),
        "need": _records(profiles.need),
        "harm": _records(by_harm),
    }
    return profile, valid.num_rows


def _problems(exc: ValidationFailed, filename: str) -> UploadRejected:
    return UploadRejected(
        [
            dataclasses.replace(p, file=filename) for p in exc.problems
        ],
        exc.total,
    )


def profile_upload(
    chunks: Iterable[bytes], filename: str, params: ParameterSet, when: dt.date
) -> ProfiledUpload:
    """Profile an uploaded file (its content as chunks) in a temporary folder that is removed
    afterwards. Raises :class:`UploadRejected` with every problem found."""
    name = Path(filename).name or "upload"
    suffix = Path(name).suffix.lower()
    if suffix not in ACCEPTED_SUFFIXES:
        raise UploadRejected(
            [
                Problem(
                    name,
                    None,
                    None,
                    None,
                    "file_type_unsupported",
                    f"The file must be a CSV, Excel (.xlsx) or Parquet file, not "
                    f"{suffix or 'a file without an extension'}.",
                )
            ],
            1,
        )
    digest = hashlib.sha256()
    with tempfile.TemporaryDirectory(prefix="commissioning-upload-") as folder:
        path = Path(folder) / f"assessments{suffix}"
        with path.open("wb") as out:
            for chunk in chunks:
                digest.update(chunk)
                out.write(chunk)
        try:
            profile, rows = profile_file(path, params, when)
        except ValidationFailed as exc:
            raise _problems(exc, name) from None
    if rows == 0:
        raise UploadRejected(
            [
                Problem(
                    name, None, None, None, "no_records", "The file has no assessments in it."
                )
            ],
            1,
        )
    return ProfiledUpload(profile, rows, digest.hexdigest(), name)


def population(profile: Mapping[str, Any] | None) -> Population | None:
    """Women and harm bands per setting, for the check against the intentions."""
    if not profile:
        return None
    women: dict[str, int] = {}
    for row in profile.get("risk", []):
        women[row["setting"]] = women.get(row["setting"], 0) + int(row.get("female") or 0)
    by_harm = {
        (row["setting"], row["harm"]): int(row["offenders"] or 0) for row in profile.get("harm", [])
    }
    return Population(women=women, by_harm=by_harm)


@dataclass(frozen=True)
class ProfileTables:
    """Tables 1-2 for display: each cell already formatted, withheld cells as ``*``."""

    risk_columns: tuple[str, ...]
    risk: list[dict[str, str]]
    need_columns: tuple[str, ...]
    need: list[dict[str, str]]
    threshold: int
    withheld: int


def _cell(value: Any, column: str) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "*"
    if column.endswith("_pct"):
        return f"{float(value):.1f}"
    if column == "need":
        return _NEED_LABELS.get(str(value), str(value))
    if isinstance(value, str):
        return value.replace("_", " ").capitalize()
    return f"{int(value):,}"


def published_tables(profile: Mapping[str, Any], params: ParameterSet) -> ProfileTables:
    """The stored profile with small cells withheld, formatted for a page."""
    # the date the upload was profiled at: its round's (every stored profile records it)
    when = dt.date.fromisoformat(str(profile["parameters_date"]))
    threshold = small_cell_threshold(params.at(when))
    risk = suppress_risk_profile(pd.DataFrame(profile["risk"]), (), threshold)
    need_raw = pd.DataFrame(profile["need"])
    need = suppress_need_profile(need_raw, (), threshold) if not need_raw.empty else need_raw
    withheld = int(risk["offenders"].isna().sum())
    empty = pd.DataFrame(profile["risk"])["offenders"].eq(0).tolist()
    risk_rows = [
        {
            c: NOT_APPLICABLE if none and c in ("under_25_pct", "female_pct") else _cell(row[c], c)
            for c in RISK_PROFILE_COLUMNS
        }
        for row, none in zip(risk.astype(object).to_dict(orient="records"), empty, strict=True)
    ]
    need_rows = [
        {c: _cell(row[c], c) for c in NEED_PROFILE_COLUMNS}
        for row in need.astype(object).to_dict(orient="records")
    ]
    return ProfileTables(
        RISK_PROFILE_COLUMNS, risk_rows, NEED_PROFILE_COLUMNS, need_rows, threshold, withheld
    )
