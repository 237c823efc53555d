"""Round commands: `synth` (the synthetic national dataset), `report`, and `demo`."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from ibis.backends import BaseBackend
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from commissioning.assess.profiles import compute_profiles
from commissioning.capabilities import CAPABILITIES
from commissioning.cli.app import BadInput, app, console, out
from commissioning.cli.common import DateOption, PolicyOption, WorkspaceOption, parse_date, step
from commissioning.engine import backend
from commissioning.io.pseudonymise import KeyProblem, resolve_key
from commissioning.io.validation import ValidationFailed
from commissioning.io.workspace import Workspace
from commissioning.policy.parameters import ParameterError
from commissioning.publish.context import RoundContext
from commissioning.round import (
    Foundation,
    RoundError,
    build_round_report,
    publishable,
    round_context,
    run_foundation,
    small_cell_threshold,
    workspace_parameters,
    write_profiles,
)
from commissioning.schema.contract import TABLES
from commissioning.steps import StepContext

DEFAULT_SEED = 2012


@contextmanager
def _progress() -> Iterator[Callable[[str, int, int], None]]:
    """A Rich progress display fed by a (label, done, total) callback."""
    columns = (
        TextColumn("{task.description:<16}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        tasks: dict[str, TaskID] = {}

        def update(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(label, total=total)
            bar.update(tasks[label], completed=done, total=total)

        yield update


def _synthesise(out_dir: Path, n: int | None, seed: int) -> dict[str, int]:
    from commissioning.policy.parameters import load_parameters
    from commissioning.synth.national import write_national_dataset

    # the synthetic data follow the built-in parameters (a workspace's overrides are policy
    # for its round, not properties of the synthetic population)
    policy = load_parameters().at(parse_date(None))
    with _progress() as update:
        result = write_national_dataset(out_dir, policy, n=n, seed=seed, progress=update)
    return dict(result.rows)


@app.command()
def synth(
    out_dir: Path = typer.Option(..., "--out", help="Folder for one Parquet file per table."),
    assessments: int | None = typer.Option(
        None, "--assessments", help="Assessments to generate (default 217,496, as the document)."
    ),
    seed: int = typer.Option(DEFAULT_SEED, "--seed", help="Random seed (deterministic)."),
) -> None:
    """Generate the calibrated synthetic national dataset (every table of the data contract)."""
    if assessments is not None and assessments < 1:
        raise BadInput("--assessments must be at least 1")
    start = time.perf_counter()
    rows = _synthesise(out_dir, assessments, seed)
    grid = Table(title=f"Synthetic national dataset in {out_dir}")
    grid.add_column("table")
    grid.add_column("rows", justify="right")
    for table, count in rows.items():
        grid.add_row(table, f"{count:,}")
    out.print(grid)
    out.print(f"Done in {time.perf_counter() - start:.1f} s (seed {seed}).")


@app.command()
def report(
    workspace: Path = WorkspaceOption,
    date: str | None = DateOption,
    policy: list[Path] = PolicyOption,
) -> None:
    """Build the HTML commissioning-round report from the workspace's data."""
    ws = Workspace(workspace)
    path = _report(ws, parse_date(date), policy)
    out.print(f"[green]Report:[/] {path}")


def _report(ws: Workspace, when: dt.date, policy: list[Path], seed: int = DEFAULT_SEED,
            intentions: bool = False, pdf: bool = False, con: BaseBackend | None = None,
            done: Foundation | None = None) -> Path:
    """The round's report (and, with ``intentions``, the Commissioning Intentions document:
    HTML, and PDF with ``pdf``) from the workspace (``con`` and ``done``: the foundation
    already run on that connection in this round, see :func:`round_of`)."""
    context = round_of(ws, when, policy, seed, con, done)
    with step("Writing the report"):
        path = build_round_report(context, ws)
    if intentions:
        from commissioning.publish.intentions_doc import build_intentions

        with step("Writing the commissioning intentions document" + (" (HTML, PDF)" if pdf
                                                                        else " (HTML)")):
            written = build_intentions(context, ws.reports_dir, pdf=pdf)
        out.print("  " + ", ".join(str(w) for w in written))
    return path


def round_of(ws: Workspace, when: dt.date, policy: list[Path], seed: int = DEFAULT_SEED,
             con: BaseBackend | None = None, done: Foundation | None = None) -> RoundContext:
    """Run the round's steps (the foundation, unless ``done`` is its result on ``con``, then
    every capability of :data:`commissioning.capabilities.CAPABILITIES`) over the workspace
    (bad input exits with code 2)."""
    try:
        params = workspace_parameters(ws, policy)
    except (ParameterError, OSError) as exc:
        raise BadInput(str(exc)) from None
    try:
        with step("The round's steps" if done else
                  "Scoring, segmenting, profiling and the round's steps"):
            context = round_context(
                ws, params.at(when), CAPABILITIES, con=con, seed=seed,
                log=lambda msg: console.print(f"  {msg}"), done=done,
            )
    except RoundError as exc:
        raise BadInput(str(exc)) from None
    return context


@app.command()
def demo(
    workspace: Path = WorkspaceOption,
    assessments: int | None = typer.Option(
        None, "--assessments", help="Assessments to generate (default 217,496, as the document)."
    ),
    seed: int = typer.Option(DEFAULT_SEED, "--seed", help="Random seed (deterministic)."),
    pdf: bool = typer.Option(
        True, "--pdf/--no-pdf", help="Also write the intentions document as an A4 PDF."
    ),
) -> None:
    """Run a whole round on synthetic national data: synth → import → risk → profile → report
    and the commissioning intentions document."""
    start = time.perf_counter()
    ws = Workspace(workspace)
    ws.init()
    synthetic_dir = ws.path / "synthetic"
    out.rule("[bold]1. Synthetic national dataset")
    _synthesise(synthetic_dir, assessments, seed)

    out.rule("[bold]2. Import (validate and pseudonymise)")
    for table in TABLES:
        source = synthetic_dir / f"{table}.parquet"
        if not source.exists():
            continue
        try:
            key = resolve_key(ws.path, source)
            with step(f"Importing {table}"):
                result = ws.import_table(table, source, key)
        except (ValidationFailed, KeyProblem) as exc:
            raise BadInput(str(exc)) from None
        out.print(f"  {table}: {result.rows:,} rows")

    out.rule("[bold]3. Risk and segments")
    params = workspace_parameters(ws)
    when = parse_date(None)
    con = backend.connect(ws.database_path)
    try:
        # The foundation runs once: the round below reads its result instead of scoring again.
        with step("Scoring OGRS3 and risk tiers"):
            done = run_foundation(StepContext(ws, params, when, con, seed))
        out.rule("[bold]4. Need profiles")
        with step("Profiling national, by region and by provider"):
            for by, folder in (((), "national"), (("region",), "by-region"),
                               (("provider_id",), "by-provider")):
                published = done.published if not by else publishable(
                    compute_profiles(con, done.scored, by), small_cell_threshold(params.at(when)))
                write_profiles(published, ws.exports_dir / "profiles" / folder)
        out.print(f"  profiles in {ws.exports_dir / 'profiles'}")

        out.rule("[bold]5. Evidence, demand, plan and review; the report")
        path = _report(ws, when, [], seed, intentions=True, pdf=pdf, con=con, done=done)
    finally:
        con.disconnect()
    out.print(f"[green]Report:[/] {path}")
    out.print(f"Round complete in {time.perf_counter() - start:.1f} s.")
