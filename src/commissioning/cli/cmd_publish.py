"""Publish commands: ``publish report``, ``publish intentions``, ``publish ocds`` and
``equality``.

``publish report`` and ``publish intentions`` run the round's steps over the workspace and write
the decision bulletin with its annex (``reports/commissioning-round.html`` and its
``reports/tables/``) or the Commissioning Intentions document (``reports/
commissioning-intentions.html`` and ``.pdf``). ``publish ocds`` exports the web workspace's
rounds, proposals after award, awards and contracts as an OCDS 1.1 release package (and CSV).
``equality`` screens the plan already in the workspace (``exports/plan/portfolio.csv``) for
equality impact without running the round again.
"""

from __future__ import annotations

from pathlib import Path

import typer

from commissioning.cli.app import BadInput, app, out
from commissioning.cli.common import DateOption, PolicyOption, WorkspaceOption, parse_date, step
from commissioning.io.workspace import Workspace

publish_app = typer.Typer(
    name="publish",
    help="Publish the round: the decision bulletin, the intentions document, open contracting "
    "data.",
    no_args_is_help=True,
)
app.add_typer(publish_app, name="publish")


@publish_app.command("report")
def publish_report(
    workspace: Path = WorkspaceOption,
    date: str | None = DateOption,
    policy: list[Path] = PolicyOption,
) -> None:
    """The decision bulletin (first screen) and its annex, with downloadable tables."""
    from commissioning.cli.cmd_round import _report

    path = _report(Workspace(workspace), parse_date(date), policy)
    out.print(f"[green]Report:[/] {path}")


@publish_app.command("intentions")
def publish_intentions(
    workspace: Path = WorkspaceOption,
    date: str | None = DateOption,
    policy: list[Path] = PolicyOption,
    pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Also write the A4 PDF."),
) -> None:
    """The Commissioning Intentions document (HTML and A4 PDF) from the workspace's round."""
    from commissioning.cli.cmd_round import round_of
    from commissioning.publish.intentions_doc import build_intentions

    ws = Workspace(workspace)
    context = round_of(ws, parse_date(date), policy)
    with step("Writing the commissioning intentions document"):
        written = build_intentions(context, ws.reports_dir, pdf=pdf)
    for path in written:
        out.print(f"[green]Written:[/] {path}")


@publish_app.command("ocds")
def publish_ocds(
    workspace: Path = WorkspaceOption,
    out_dir: Path | None = typer.Option(
        None, "--out", help="Folder for the files (default WORKSPACE/exports/ocds)."
    ),
    database_url: str | None = typer.Option(
        None, "--database-url", help="postgresql://... (default: SQLite in WORKSPACE/web/)."
    ),
) -> None:
    """Rounds, proposals after award, awards and contracts as an OCDS 1.1 release package
    (``release-package.json``) and a flat ``contracts.csv``; personal data left out."""
    from commissioning.web.setup import DatabaseUrlError, setup_django

    ws = Workspace(workspace)
    web = ws.path / "web"
    if database_url is None and not (web / "db.sqlite3").exists():
        raise BadInput(f"{web / 'db.sqlite3'}: the workspace has no web database; run "
                       "`commission demo` or `commission serve` first")
    try:
        setup_django(ws.path, database_url)
    except DatabaseUrlError as exc:
        raise BadInput(str(exc)) from None
    from commissioning.web.ocds_export import write_export

    folder = out_dir or ws.exports_dir / "ocds"
    with step("Exporting open contracting data"):
        written = write_export(folder)
    for path in written:
        out.print(f"[green]Written:[/] {path}")


@app.command("equality")
def equality_command(
    workspace: Path = WorkspaceOption,
    date: str | None = DateOption,
    policy: list[Path] = PolicyOption,
    draws: int = typer.Option(100, "--draws", min=0, help="Bootstrap draws for the intervals."),
    seed: int = typer.Option(2012, "--seed", help="Random seed of the bootstrap."),
) -> None:
    """Equality impact of the workspace's plan (Annex A): who gains and who loses services, by
    protected characteristic, against the population and the 2011-12 baseline."""
    import pandas as pd

    from commissioning.engine import backend
    from commissioning.policy.parameters import ParameterError
    from commissioning.review.equality import (
        EqualityError,
        equality_impact,
        people_for_equality,
    )
    from commissioning.round import SCORED_TABLE, workspace_parameters

    ws = Workspace(workspace)
    when = parse_date(date)
    portfolio_file = ws.exports_dir / "plan" / "portfolio.csv"
    if not portfolio_file.exists():
        raise BadInput(f"{portfolio_file}: no plan in the workspace; run `commission plan` or "
                       "`commission demo` first")
    try:
        params = workspace_parameters(ws, policy)
    except (ParameterError, OSError) as exc:
        raise BadInput(str(exc)) from None
    if not ws.database_path.exists():
        raise BadInput(f"{ws.database_path}: no scored assessments; run `commission demo` or "
                       "`commission report` first")
    con = backend.connect(ws.database_path)
    try:
        try:
            con.table(SCORED_TABLE)
        except Exception:  # ibis raises its own TableNotFound per backend
            raise BadInput(f"{ws.database_path}: no scored assessments ({SCORED_TABLE}); run "
                           "`commission demo` or `commission report` first") from None
        with step("Screening the plan for equality impact"):
            people = people_for_equality(con, params.at(when))
            portfolio = pd.read_csv(portfolio_file)
            try:
                result = equality_impact(people, portfolio, params.at(when), draws=draws, seed=seed)
            except (EqualityError, KeyError) as exc:
                raise BadInput(f"{portfolio_file}: {exc}") from None
    finally:
        con.disconnect()
    written = result.write(ws.exports_dir / "equality")
    for text in result.screening.values():
        out.print(f"  {text}", highlight=False)
    out.print(f"{int(result.table['adverse'].sum())} adverse impacts flagged "
              f"(threshold {result.threshold:g}). Written: " + ", ".join(str(w) for w in written))
