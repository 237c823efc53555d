"""Demand commands: `commission demand backtest | community | prison | capacity | services`."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import pandas as pd
import typer

from commissioning.assess.demand import pipeline
from commissioning.assess.demand.backtest import (
    COVERAGE_CAVEAT,
    METHOD_LABELS,
    METHODS,
    PrisonBacktest,
    prison_backtest,
    selection_summary,
)
from commissioning.assess.demand.prison import DemandError
from commissioning.assess.demand.scenarios import Scenario, built_in_scenario, load_scenario
from commissioning.cli.app import BadInput, _guard, app, out
from commissioning.cli.common import DateOption, PolicyOption, XlsxOption, parse_date, step
from commissioning.io.exports import write_tables
from commissioning.policy.parameters import ParameterError, Policy, load_parameters

demand_app = typer.Typer(
    help="Demand: community starts forecasts, prison population scenarios, capacity and "
    "service demand.",
    no_args_is_help=True,
)
app.add_typer(demand_app, name="demand")


def _command(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a sub-command whose BadInput exits 2 with its message (also under CliRunner:
    the app guards only its own top-level commands)."""

    def wrap(fn: Callable[..., None]) -> Callable[..., None]:
        demand_app.command(name)(_guard(fn))
        return fn

    return wrap

ScenarioOption = typer.Option(
    [],
    "--scenario",
    help="A scenario YAML file of parameter overrides (repeatable), or the name of a built-in "
    "scenario: public_disorder, sentencing_reform, indeterminate_17.",
)
RunsOption = typer.Option(None, "--runs", help="Monte Carlo runs (default: the parameter).")
SeedOption = typer.Option(2012, "--seed", help="Random seed (same seed, same projection).")


def _parameters(policy: list[Path], date: str | None) -> Policy:
    """The built-in parameters with the ``--policy`` overrides, bound to ``--date``."""
    try:
        return load_parameters(policy).at(parse_date(date))
    except (ParameterError, OSError) as exc:
        raise BadInput(str(exc)) from None


def _scenarios(items: list[str]) -> list[Scenario]:
    out_list = []
    for item in items:
        path = Path(item)
        try:
            out_list.append(load_scenario(path) if path.exists() else built_in_scenario(item))
        except DemandError as exc:
            raise BadInput(f"--scenario {item}: {exc}") from None
    return out_list


def _prison(
    params: Policy, scenario: list[str], runs: int | None, seed: int
) -> pipeline.PrisonResult:
    n = runs if runs is not None else int(params.mapping("demand.prison_projection")["runs"])
    if n < 1:
        raise BadInput(f"--runs {n}: give at least 1 Monte Carlo run")
    scenarios = _scenarios(scenario)
    try:
        with step(f"Projecting the prison population ({len(scenarios) + 1} scenario(s), "
                  f"{n} runs)"):
            return pipeline.prison(params, scenarios, n, seed)
    except DemandError as exc:
        raise BadInput(str(exc)) from None


@_command("prison")
def prison_cmd(
    out_dir: Path = typer.Option(..., "--out", help="Folder for prison_projection.csv etc."),
    scenario: list[str] = ScenarioOption,
    runs: int | None = RunsOption,
    seed: int = SeedOption,
    xlsx: bool = XlsxOption,
    date: str | None = DateOption,
    policy: list[Path] = PolicyOption,
) -> None:
    """Project the prison population month by month (stock–flow Monte Carlo), per scenario.

    Writes prison_projection.csv (month, scenario, population_mean, population_p05,
    population_p95; `baseline` always present), the projection by band and by function, and
    the hold-out backtest; prints the backtest error.
    """
    params = _parameters(policy, date)
    result = _prison(params, scenario, runs, seed)
    for path in result.write(out_dir, xlsx=xlsx):
        out.print(f"[green]Wrote[/] {path}")
    _print_backtest(result.backtest, result.origin // 12)
    out.print(f"Intervals of the projection: {result.interval_source}")


def _mape_at(bt: PrisonBacktest, horizon: int, method: str) -> float:
    return bt.mape(method, horizon)


def _print_backtest(bt: PrisonBacktest, origin: int | None = None) -> None:
    """The backtest as two narrow tables (methods × horizons, then interval coverage) that fit
    an 80-column terminal, and what they mean; ``origin``: the June the round projects from."""
    from rich.table import Table

    tab = bt.table()
    hs = [int(h) for h in tab["horizon_years"]]
    grid = Table(title=f"Prison population backtest: MAPE % by years ahead, June origins "
                       f"{int(bt.errors['origin'].min())}-{int(bt.errors['origin'].max())}")
    grid.add_column("Forecast")
    for h in hs:
        grid.add_column(f"{h}y", justify="right")
    grid.add_column("mean", justify="right")
    lowest = {h: min(METHODS, key=partial(_mape_at, bt, h)) for h in hs}
    for m in METHODS:
        values = [float(r[f"mape_{m}_pct"]) for r in tab.to_dict("records")]
        cells = [f"[bold]{v:.2f}[/]" if lowest[h] == m else f"{v:.2f}"
                 for h, v in zip(hs, values, strict=True)]
        label = METHOD_LABELS[m].split(" (")[0] + (" *" if m == bt.headline else "")
        grid.add_row(label, *cells, f"{sum(values) / len(values):.2f}")
    grid.add_row("origins scored", *(str(int(n)) for n in tab["origins"]), "")
    out.print(grid)
    cover = Table(title="Empirical interval coverage % (nominal ±"
                        f"{bt.settings.coverage_tolerance_pp:g} points)")
    cover.add_column("Interval")
    for h in hs:
        cover.add_column(f"{h}y", justify="right")
    for level in bt.settings.levels:
        tag = round(level * 100)
        cover.add_row(f"{tag}%", *(
            f"{r[f'coverage_{tag}_pct']:.1f}" if r[f"coverage_{tag}_within_tolerance"]
            else f"[yellow]{r[f'coverage_{tag}_pct']:.1f}[/]" for r in tab.to_dict("records")))
    out.print(cover)
    out.print("* the headline forecast; bold: the lowest error at that horizon; yellow: "
              "coverage outside the tolerance. "
              + "; ".join(f"{METHOD_LABELS[m].split(' (')[0]}: "
                          f"{METHOD_LABELS[m].split(' (')[1].rstrip(')')}"
                          for m in METHODS if " (" in METHOD_LABELS[m]) + ".")
    if origin is not None and bt.headline == "selected":
        out.print(f"The round's projection (origin June {origin}) follows the forecast "
                  f"selected there: [bold]{METHOD_LABELS[bt.choice(origin)]}[/].")
    beaten = bt.beaten_at()
    if beaten:
        for h, method, theirs, ours in beaten:
            out.print(f"[yellow]At {h} year(s) ahead the {bt.headline} forecast is NOT better "
                      f"than the best naive benchmark[/]: {METHOD_LABELS[method]} "
                      f"{theirs:.2f}% against {ours:.2f}%.")
    else:
        out.print(f"The {bt.headline} forecast is at least as good as every naive benchmark at "
                  "every horizon.")
    if bt.headline == "selected":
        out.print(selection_summary(bt))
    misses = bt.coverage_misses()
    tol = bt.settings.coverage_tolerance_pp
    if misses:
        out.print(f"[yellow]Interval coverage is outside nominal ±{tol:g} points in "
                  f"{len(misses)} of {len(bt.settings.levels) * len(hs)} cells[/] (yellow "
                  f"above). {COVERAGE_CAVEAT}")
    else:
        out.print(f"Interval coverage is within ±{tol:g} points of nominal at every horizon.")
    out.print(bt.coverage_test_sentence())
    means = {m: sum(bt.mape(m, h) for h in range(1, bt.settings.horizon_years + 1))
             / bt.settings.horizon_years for m in METHODS}
    best = min(means, key=lambda m: means[m])
    out.print(f"Mean MAPE over horizons 1-{bt.settings.horizon_years}: "
              + ", ".join(f"{m} {v:.2f}%" for m, v in means.items())
              + f"; lowest: {best}"
              + (f" (on the scored years themselves: choosing {best} for it would be choosing "
                 "on the test set)" if best != bt.headline else "")
              + f". Headline figure: the {bt.headline} forecast's MAPE one year "
              f"ahead, {bt.mape(None, 1):.2f}%.")


@_command("backtest")
def backtest_cmd(
    out_dir: Path = typer.Option(..., "--out", help="Folder for the backtest CSV files."),
    xlsx: bool = XlsxOption,
    date: str | None = DateOption,
    policy: list[Path] = PolicyOption,
) -> None:
    """Backtest the prison population forecast on every June origin and 1-5 years ahead.

    Compares the headline forecast (demand.prison_backtest.headline) and the stock–flow model
    with the naive benchmarks (last value, drift, log-linear trend, damped trend) computed in
    the same run, and the coverage of the 80% and 90% empirical intervals. Writes
    prison_backtest.csv (every origin, year and method), prison_backtest_table.csv (MAPE by
    horizon) and prison_backtest_intervals.csv; prints the table.
    """
    params = _parameters(policy, date)
    try:
        with step("Backtesting the prison population forecasts"):
            bt = prison_backtest(params)
    except DemandError as exc:
        raise BadInput(str(exc)) from None
    files = {
        "prison_backtest.csv": bt.errors,
        "prison_backtest_table.csv": bt.table(),
        "prison_backtest_intervals.csv": bt.intervals,
        "prison_backtest_choices.csv": bt.choices,
    }
    for path in write_tables(files, out_dir, xlsx=xlsx):
        out.print(f"[green]Wrote[/] {path}")
    origin = str(params.value("demand.prison_projection")["origin"])
    _print_backtest(bt, int(origin[:4]))


def _community_history(history: Path | None, params: Policy) -> pd.DataFrame:
    """A community_starts file validated by the data contract, or the synthetic history."""
    if history is None:
        from commissioning.synth.demand_history import community_history

        out.print("[yellow]No --history: the SYNTHETIC community history is used.[/]")
        return community_history(params)
    from commissioning.io.readers import read_table
    from commissioning.io.validation import ValidationFailed

    try:
        frame: pd.DataFrame = read_table(history, "community_starts").table.to_pandas()
        return frame
    except ValidationFailed as exc:
        raise BadInput(str(exc)) from None
    except (OSError, ValueError) as exc:
        raise BadInput(f"--history {history}: {exc}") from None


@_command("community")
def community_cmd(
    out_dir: Path = typer.Option(..., "--out", help="Folder for the forecast CSV files."),
    history: Path | None = typer.Option(
        None, "--history", help="Quarterly starts: the contract table community_starts (CSV, "
        "Parquet or xlsx with quarter, sentence_type, requirement, starts), validated like an "
        "import; default: the SYNTHETIC 2005-2011 history."
    ),
    xlsx: bool = XlsxOption,
    date: str | None = DateOption,
    policy: list[Path] = PolicyOption,
) -> None:
    """Forecast quarterly starts by sentence type and requirement, with scenarios.

    Writes community_series.csv, community_forecast.csv (baseline and scenarios, with
    prediction intervals) and community_models.csv (backtest errors and the chosen model).
    """
    params = _parameters(policy, date)
    frame = _community_history(history, params)
    try:
        with step("Forecasting community starts"):
            result = pipeline.community(frame, params)
    except DemandError as exc:
        raise BadInput(f"--history {history}: {exc}" if history else str(exc)) from None
    for path in pipeline.write_community(result, out_dir, xlsx=xlsx):
        out.print(f"[green]Wrote[/] {path}")
    for c in result.choices:
        errors = ", ".join(f"{m} {v:.1f}%" for m, v in c.mape_pct.items())
        out.print(f"  {c.series}: {c.chosen} ({errors})")


@_command("capacity")
def capacity_cmd(
    out_dir: Path = typer.Option(..., "--out", help="Folder for the capacity CSV files."),
    capacity: Path | None = typer.Option(
        None, "--capacity", help="Your capacities: CSV with provider_id, operational_capacity."
    ),
    scenario: list[str] = ScenarioOption,
    runs: int | None = RunsOption,
    seed: int = SeedOption,
    xlsx: bool = XlsxOption,
    date: str | None = DateOption,
    policy: list[Path] = PolicyOption,
) -> None:
    """Places by establishment, function and sex against the projected population.

    Writes estate_capacity.csv, capacity_by_function.csv, capacity_headroom.csv (by month,
    scenario, function and sex, with flags) and capacity_flags.csv.
    """
    from commissioning.assess.demand.capacity import read_capacities
    params = _parameters(policy, date)
    capacities = None
    if capacity is not None:
        try:
            capacities = read_capacities(pd.read_csv(capacity), str(capacity))
        except (OSError, ValueError) as exc:
            raise BadInput(f"--capacity {capacity}: {exc}") from None
    result = _prison(params, scenario, runs, seed)
    cap = pipeline.capacity(params, result, capacities=capacities)
    for path in cap.write(out_dir, xlsx=xlsx):
        out.print(f"[green]Wrote[/] {path}")
    out.print(f"{int(cap.places['places'].sum()):,} places; "
              f"{len(cap.flags)} function/scenario combination(s) flagged")


@_command("services")
def services_cmd(
    workspace: Path = typer.Argument(..., help="A workspace folder with imported assessments."),
    out_dir: Path = typer.Option(..., "--out", help="Folder for service_demand.csv."),
    runs: int | None = RunsOption,
    seed: int = SeedOption,
    xlsx: bool = XlsxOption,
    date: str | None = DateOption,
    policy: list[Path] = PolicyOption,
) -> None:
    """Expected demand for each service by segment and setting in the planning year.

    Segments and needs come from the workspace's assessments; people per segment from the
    community forecast and the prison projection.
    """
    from commissioning.assess.demand.services import (
        planning_flows,
        service_demand,
        service_totals,
    )
    from commissioning.assess.profiles import compute_profiles
    from commissioning.assess.risk import RiskRules, score
    from commissioning.engine import backend
    from commissioning.io.workspace import Workspace
    from commissioning.round import RoundError, open_assessments, workspace_parameters
    when = parse_date(date)
    ws = Workspace(workspace)
    params = workspace_parameters(ws, policy)
    con = backend.connect()
    try:
        scored = score(open_assessments(con, ws), RiskRules.from_policy(params.at(when)))
    except RoundError as exc:
        raise BadInput(str(exc)) from None
    with step("Projecting demand for services"):
        profiles = compute_profiles(con, scored)
        if ws.has("community_starts"):
            starts = pd.read_parquet(ws.input_path("community_starts"))
        else:
            starts = _community_history(None, params.at(when))
        community = pipeline.community(starts, params.at(when))
        n = runs if runs is not None else int(
            params.value("demand.prison_projection", when)["runs"])
        prison = pipeline.prison(params.at(when), [], n, seed)
        flows = planning_flows(community.forecast, prison.adjusted[0].simulation)
        demand = service_demand(profiles.risk, profiles.need, flows, params.at(when))
    written = write_tables({"service_demand.csv": demand,
                            "service_demand_totals.csv": service_totals(demand)},
                           out_dir, xlsx=xlsx)
    for path in written:
        out.print(f"[green]Wrote[/] {path}")
    out.print(f"{len(demand):,} rows of service demand for {flows.period}")
