"""What a report is built from: the round's profiles, parameters and input files.

`RoundContext` crosses the boundary between the commands that compute a round (risk, profile)
and the report builder, so every figure in the report can be traced to its data, parameters
and software version (STYLE.md, "Every figure in a report can be traced back").
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from commissioning import __version__
from commissioning.policy.parameters import ParameterSet, Policy

if TYPE_CHECKING:
    from commissioning.publish.sections import ReportSection


@dataclass(frozen=True)
class InputFile:
    """One file the round read, for the provenance footer."""

    name: str
    rows: int | None
    sha256: str
    description: str = ""


def _count_rows(path: Path) -> int | None:
    """Data rows in a CSV/TSV (lines after the header) or Parquet file; None when unknown."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    if suffix in {".csv", ".tsv", ".txt"}:
        with path.open("rb") as fh:
            lines = sum(1 for line in fh if line.strip())
        return max(lines - 1, 0)
    return None


def describe_input(path: Path, description: str = "", name: str | None = None) -> InputFile:
    """Hash and count one input file so the report can name exactly what it was built from."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return InputFile(
        name=name or path.name,
        rows=_count_rows(path),
        sha256=digest.hexdigest(),
        description=description,
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


@dataclass
class RoundContext:
    """Everything one commissioning-round report is built from.

    ``risk_profile`` and ``need_profile`` are national profiles in the layout of
    ``commission profile`` (suppressed cells are missing values). ``totals`` holds the
    unsuppressed counts of people per setting, offence group and risk tier (columns
    ``setting``, ``offence_group``, ``risk_tier``, ``offenders``): headlines and totals are
    computed from them (:meth:`people`), so suppression blanks a cell and never changes a
    total; they are never shown cell by cell. Without ``totals`` (a context built from
    published profiles) they are taken from ``risk_profile``, which must then withhold no
    count. ``extras`` is where later capabilities (evidence, demand, plans) put what their own
    report sections need, and ``sections`` holds those sections (the round puts its
    capabilities' there; the report adds publish's own).
    """

    risk_profile: pd.DataFrame
    need_profile: pd.DataFrame
    #: The parameters in use (built-in plus the workspace's overrides) and the round's date.
    parameters: ParameterSet
    when: dt.date
    title: str = "Commissioning round 2012-13"
    workspace: Path | None = None
    inputs: list[InputFile] = field(default_factory=list)
    software_version: str = __version__
    generated_at: dt.datetime = field(default_factory=_now)
    extras: dict[str, Any] = field(default_factory=dict)
    totals: pd.DataFrame | None = None
    sections: tuple[ReportSection, ...] = ()
    #: Sections (by id) whose step did not run in this round, with why.
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def policy(self) -> Policy:
        """The parameters bound to the round's date."""
        return self.parameters.at(self.when)

    def _counts(self) -> pd.DataFrame:
        if self.totals is not None:
            return self.totals
        counts = self.risk_profile[["setting", "offence_group", "risk_tier", "offenders"]]
        if counts["offenders"].isna().any():
            raise ValueError(
                "the risk profile withholds counts, so totals cannot be computed from it; "
                "give the round's unsuppressed counts as RoundContext(totals=...)"
            )
        return counts

    def people(
        self,
        setting: str | None = None,
        offence_group: str | None = None,
        risk_tiers: Sequence[str] | None = None,
    ) -> int:
        """The number of people assessed (optionally in one setting, group or tiers), from
        unsuppressed counts."""
        counts = self._counts()
        mask = pd.Series(True, index=counts.index)
        if setting is not None:
            mask &= counts["setting"] == setting
        if offence_group is not None:
            mask &= counts["offence_group"] == offence_group
        if risk_tiers is not None:
            mask &= counts["risk_tier"].isin(list(risk_tiers))
        return int(pd.to_numeric(counts.loc[mask, "offenders"]).sum())

    def settings(self) -> list[str]:
        """The settings present in the round's counts."""
        return [str(s) for s in dict.fromkeys(self._counts()["setting"])]
