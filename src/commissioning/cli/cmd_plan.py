"""Plan commands: `plan` (the optimal portfolio) and `intentions` (the 38, and which hold)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import typer
from rich.table import Table

from commissioning.cli.app import BadInput, app, out
from commissioning.cli.common import (
    DateOption,
    PolicyOption,
    WorkspaceOption,
    XlsxOption,
    parse_date,
    step,
)
from commissioning.engine import backend
from commissioning.io.workspace import Workspace
from commissioning.policy.parameters import ParameterError
from commissioning.round import RoundError, workspace_parameters


@app.command()
def plan(
    workspace: Path = WorkspaceOption,
    out_dir: Path = typer.Option(..., "--out", help="Folder for portfolio.csv and summary.json."),
    scenario: Path | None = typer.Option(
        None, "--scenario", help="A plan scenario YAML (name, objective, parameters, "
        "drop_intentions)."),
    xlsx: bool = XlsxOption,
    date: str | None = DateOption,
    policy: list[Path] = PolicyOption,
) -> None:
    """Plan the portfolio: the best volumes per service × segment × setting × region under the
    budget after the savings target, statutory demand and the commissioning intentions, beside
    the 2011-12 baseline, the fair ranking (mandatory first, then benefit–cost order under the
    same limits) and the optimum without intentions; the cost of each intention, the savings
    bridge and the savings scenarios £80M/£120M/£160M.

    Writes portfolio.csv (with what set each cell's volume), summary.json, changes.csv and
    baseline_by_provider.csv (each table also as .xlsx with --xlsx).
    """
    from commissioning.plan.baseline import BaselineError
    from commissioning.plan.run import plan_workspace, write_plan
    from commissioning.plan.scenarios import ScenarioError, load_plan_scenario

    when = parse_date(date)
    ws = Workspace(workspace)
    try:
        params = workspace_parameters(ws, policy)
        chosen = load_plan_scenario(scenario) if scenario is not None else None
    except (ParameterError, ScenarioError, OSError) as exc:
        raise BadInput(str(exc)) from None
    con = backend.connect(ws.database_path if ws.database_path.exists() else None)
    try:
        with step("Baseline, optimum, ranking method and scenarios"):
            result, baseline = plan_workspace(con, ws, params.at(when), chosen)
    except (BaselineError, RoundError, KeyError, ParameterError) as exc:
        raise BadInput(str(exc).strip("'\"")) from None
    finally:
        con.disconnect()
    written = write_plan(result, out_dir, baseline, xlsx=xlsx)
    out.print(f"[bold]{result.status}[/]: spend £{result.baseline_spend / 1e6:,.1f}M → "
              + (f"£{result.planned_spend / 1e6:,.1f}M" if result.planned_spend is not None
                 else "no feasible plan"))
    for row in result.comparison:
        if row["objective_reoffences"] is not None:
            out.print(f"{row['portfolio']}: {row['objective_reoffences']:,.1f} reoffences "
                      f"avoided, spend £{row['spend'] / 1e6:,.1f}M")
    if result.uncertainty:
        u = result.uncertainty
        out.print(f"over {u['draws']:,} draws of the effects: P(beats baseline) "
                  f"{u['p_beats_baseline']:.0%}, P(beats fair ranking) {u['p_beats_ranking']:.0%}")
    for conflict in result.conflicts:
        out.print(f"[yellow]conflict:[/] {conflict.sentence()}")
    broken = [v.id for v in result.intentions if v.holds is False]
    if broken:
        out.print(f"[red]intentions broken:[/] {', '.join(broken)}")
    for path in written:
        out.print(f"[green]Wrote[/] {path}")


@app.command()
def intentions(
    workspace: Path | None = typer.Option(
        None, "--workspace", "-w", help="Check the workspace's baseline (or --portfolio) "
        "against the intentions."),
    portfolio: Path | None = typer.Option(
        None, "--portfolio", help="A portfolio.csv written by `commission plan` to check "
        "(its planned_volume column); needs --workspace."),
    date: str | None = DateOption,
    policy: list[Path] = PolicyOption,
) -> None:
    """List the 38 commissioning intentions; with --workspace, say which hold and why."""
    from commissioning.plan.baseline import CELL_KEY, BaselineError, load_baseline
    from commissioning.plan.inputs import PlanSettings, service_specs
    from commissioning.plan.intentions import load_intentions
    from commissioning.plan.rules import check_intentions

    items = load_intentions()
    verdicts = {}
    if portfolio is not None and workspace is None:
        raise BadInput("--portfolio needs --workspace (the cells are rebuilt from it)")
    if workspace is not None:
        when = parse_date(date)
        ws = Workspace(workspace)
        try:
            params = workspace_parameters(ws, policy)
        except (ParameterError, OSError) as exc:
            raise BadInput(str(exc)) from None
        settings = PlanSettings.from_policy(params.at(when))
        con = backend.connect(ws.database_path if ws.database_path.exists() else None)
        try:
            baseline = load_baseline(con, ws, service_specs(params.at(when)), settings,
                                     params.at(when))
        except (BaselineError, RoundError) as exc:
            raise BadInput(str(exc)) from None
        finally:
            con.disconnect()
        cells = baseline.cells
        volume = cells["baseline_volume"].to_numpy(float)
        if portfolio is not None:
            volume = _portfolio_volume(portfolio, cells, list(CELL_KEY))
        verdicts = {v.id: v for v in check_intentions(items, cells, volume, settings)}
    grid = Table(title="Commissioning intentions 2012-13")
    grid.add_column("id")
    grid.add_column("kind")
    grid.add_column("intention")
    if verdicts:
        grid.add_column("holds")
        grid.add_column("why")
    for item in items:
        row = [item.id, item.kind, item.text]
        if verdicts:
            v = verdicts[item.id]
            row += ["–" if v.holds is None else ("yes" if v.holds else "NO"), v.detail]
        grid.add_row(*row)
    out.print(grid)


def _portfolio_volume(path: Path, cells: pd.DataFrame, key: list[str]) -> np.ndarray:
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise BadInput(f"{path}: cannot read the portfolio ({exc})") from None
    missing = [c for c in [*key, "planned_volume"] if c not in frame.columns]
    if missing:
        raise BadInput(f"{path}: missing column(s) {', '.join(missing)}; use a portfolio.csv "
                       "written by `commission plan`")
    left = cells[key].astype(str)
    right = frame[[*key, "planned_volume"]].copy()
    right[key] = right[key].astype(str)
    merged = left.merge(right, on=key, how="left")
    return merged["planned_volume"].fillna(0.0).to_numpy(float)
