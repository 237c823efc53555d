"""Assess commands: `risk` (OGRS3 and tiers), `profile` (segments and needs), `params`."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import typer
from rich.table import Table

from commissioning.assess.profiles import compute_profiles
from commissioning.assess.risk import RiskRules, score
from commissioning.cli.app import BadInput, app, out
from commissioning.cli.common import (
    DateOption,
    InternalOption,
    PolicyOption,
    parse_date,
    read_assessments,
    step,
)
from commissioning.engine import backend
from commissioning.io.exports import write_csv, write_xlsx
from commissioning.io.workspace import Workspace
from commissioning.policy.parameters import ParameterError, ParameterSet, load_parameters
from commissioning.round import (
    internal_profiles,
    open_assessments,
    publishable,
    small_cell_threshold,
    workspace_parameters,
    write_profiles,
)


@app.command()
def risk(
    input: Path = typer.Argument(..., help="An assessments file (CSV, Parquet or Excel)."),
    out_path: Path = typer.Option(
        ..., "--out", help="Output file; CSV, Parquet or Excel (.xlsx) by its extension."
    ),
    date: str | None = DateOption,
    policy: list[Path] = PolicyOption,
) -> None:
    """Score OGRS3 (one- and two-year), band and risk tier for every assessment.

    The output has the input rows in the same order plus age_at_assessment, offence_group,
    ogrs3_1y, ogrs3_2y, ogrs3_band and risk_tier.
    """
    if out_path.suffix.lower() not in (".csv", ".parquet", ".xlsx"):
        raise BadInput(f"--out {out_path}: the output must end in .csv, .parquet or .xlsx")
    when = parse_date(date)
    params = _parameters(policy)
    valid = read_assessments(input)
    con = backend.connect()
    with step(f"Scoring {valid.num_rows:,} assessments"):
        rules = RiskRules.from_policy(params.at(when))
        table = backend.from_arrow(con, valid.table, "assessments")
        scored = score(table, rules)
        suffix = out_path.suffix.lower()
        if suffix == ".xlsx":
            write_xlsx([("risk", backend.execute(con, scored))], out_path)
        elif suffix == ".csv":  # with a BOM, for Excel; empty values blank
            write_csv(_contract_booleans(backend.execute(con, scored)), out_path,
                      float_format=None, missing="")
        else:
            backend.write(con, scored, out_path)
    out.print(f"[green]Wrote[/] {out_path} ({valid.num_rows:,} rows)")


def _contract_booleans(frame: pd.DataFrame) -> pd.DataFrame:
    """Booleans written as the data contract spells them (``true``/``false``), as the input."""
    frame = frame.copy()
    for col in frame.columns:
        if pd.api.types.is_bool_dtype(frame[col]):
            frame[col] = frame[col].map({True: "true", False: "false"})
    return frame


@app.command()
def profile(
    input: Path = typer.Argument(
        ..., help="An assessments file (CSV, Parquet or Excel) or a workspace folder."
    ),
    out_dir: Path = typer.Option(..., "--out", help="Folder for the profile CSV files."),
    by: list[str] = typer.Option(
        [], "--by", help="Extra grouping column, e.g. provider_id or region (repeatable)."
    ),
    xlsx: bool = typer.Option(False, "--xlsx", help="Also write profiles.xlsx."),
    internal: bool = InternalOption,
    date: str | None = DateOption,
    policy: list[Path] = PolicyOption,
) -> None:
    """Profile segments (setting × offence group × risk tier) and needs, as in Tables 1-2.

    Writes risk_profile.csv and need_profile.csv with small cells suppressed ("*"); with
    --internal, unsuppressed into *.not-for-publication.csv.
    """
    when = parse_date(date)
    con = backend.connect()
    if input.is_dir():
        ws = Workspace(input)
        params = workspace_parameters(ws, policy)
        table = open_assessments(con, ws)
        rows = int(backend.execute(con, table.count()))
    else:
        params = _parameters(policy)
        valid = read_assessments(input)
        table = backend.from_arrow(con, valid.table, "assessments")
        rows = valid.num_rows
    with step(f"Profiling {rows:,} assessments"):
        scored = score(table, RiskRules.from_policy(params.at(when)))
        try:
            profiles = compute_profiles(con, scored, by)
        except ValueError as exc:
            raise BadInput(str(exc)) from None
        if internal:
            published = internal_profiles(profiles)
        else:
            published = publishable(profiles, small_cell_threshold(params.at(when)))
        written = write_profiles(published, out_dir, xlsx=xlsx, internal=internal)
    _show_tier_mix(published.risk, by)
    withheld = int(published.risk["offenders"].isna().sum())
    for path in written:
        out.print(f"[green]Wrote[/] {path}")
    if internal:
        out.print("[bold red]NOT FOR PUBLICATION:[/] small cells are not withheld (--internal).")
    elif withheld:
        out.print(
            f"{withheld} cell(s) withheld (*): fewer than {published.threshold} people, or "
            "needed to stop recovery by subtraction."
        )


@app.command()
def params(
    date: str | None = DateOption,
    policy: list[Path] = PolicyOption,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List the policy parameters in force on a date, with their units and references."""
    when = parse_date(date)
    ps = _parameters(policy)
    rows = ps.in_force(when)
    if as_json:
        out.print_json(
            json.dumps(
                [
                    {
                        "name": r.name,
                        "value": r.value,
                        "since": r.since.isoformat(),
                        "unit": r.unit,
                        "reference": r.reference,
                        "description": r.description,
                        "overridden": r.overridden,
                    }
                    for r in rows
                ],
                default=str,
            )
        )
        return
    grid = Table(title=f"Policy parameters in force on {when.isoformat()}", show_lines=True)
    for col in ("name", "value", "since", "unit", "reference"):
        grid.add_column(col, overflow="fold")
    for r in rows:
        name = r.name + (" (overridden)" if r.overridden else "")
        grid.add_row(name, _short(r.value), r.since.isoformat(), r.unit, r.reference)
    out.print(grid)


def _short(value: object, limit: int = 160) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _parameters(policy: list[Path]) -> ParameterSet:
    try:
        return load_parameters(policy)
    except (ParameterError, OSError) as exc:
        raise BadInput(str(exc)) from None


def _show_tier_mix(risk: pd.DataFrame, by: list[str]) -> None:
    if by:
        return
    grid = Table(title="Risk tier mix (% of offence group)")
    for col in ("setting", "offence group", "offenders", "low", "medium", "high", "very high"):
        grid.add_column(col, justify="right" if col not in ("setting", "offence group") else "left")
    for (setting, group), part in risk.groupby(["setting", "offence_group"], sort=False):
        shares = ["*" if pd.isna(v) else f"{v:.1f}" for v in part["share_pct"]]
        total = part["offenders"].sum(skipna=True)
        grid.add_row(str(setting), str(group), f"{int(total):,}", *shares)
    out.print(grid)

