"""Evidence commands: `commission evidence list | show ID | rate | meta FILE | bca`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import typer
from rich.table import Table

from commissioning.cli.app import BadInput, _guard, app, out
from commissioning.cli.common import (
    DEFAULT_DATE,
    DateOption,
    PolicyOption,
    WorkspaceOption,
    XlsxOption,
    parse_date,
)
from commissioning.evidence.catalogue import (
    CATEGORY_LABELS,
    Catalogue,
    CatalogueError,
    load_catalogue,
)
from commissioning.evidence.effect_sizes import MEASURES, EffectSizeError, escalc
from commissioning.evidence.meta import METHODS, MetaAnalysisError, meta_analyse
from commissioning.policy.parameters import ParameterError, ParameterSet, load_parameters

evidence_app = typer.Typer(
    name="evidence",
    help="The intervention catalogue, evidence ratings, meta-analysis and benefit–cost.",
    no_args_is_help=True,
)
app.add_typer(evidence_app, name="evidence")

CatalogueOption = typer.Option(
    [], "--catalogue", help="A folder of extra or replacement catalogue YAML files (repeatable)."
)
FormatOption = typer.Option("table", "--format", help="table, csv or json.")
OutOption = typer.Option(None, "--out", help="Write to this file (CSV or JSON by --format).")


F = TypeVar("F", bound=Callable[..., Any])


def _command(name: str) -> Callable[[F], F]:
    """Register a sub-command whose BadInput becomes exit code 2 (as for top-level commands)."""

    def wrap(func: F) -> F:
        evidence_app.command(name)(_guard(func))
        return func

    return wrap


def _catalogue(folders: list[Path]) -> Catalogue:
    try:
        return load_catalogue(folders)
    except CatalogueError as exc:
        raise BadInput(str(exc)) from None


def _parameters(policy: list[Path]) -> ParameterSet:
    try:
        return load_parameters(policy)
    except ParameterError as exc:
        raise BadInput(str(exc)) from None


def _emit(
    frame: pd.DataFrame, fmt: str, out_path: Path | None, title: str, xlsx: bool = False
) -> None:
    """Show ``frame`` as a table, or write it as CSV/JSON to ``--out`` (CSV with a BOM, for
    Excel, through :mod:`commissioning.io.exports`) or to standard output; ``--xlsx`` also
    writes the table as an Excel workbook beside ``--out``."""
    if fmt not in ("table", "csv", "json"):
        raise BadInput(f"--format {fmt}: use table, csv or json")
    if xlsx and out_path is None:
        raise BadInput("--xlsx needs --out (the workbook is written beside it)")
    if fmt == "csv" and out_path is not None:
        from commissioning.io.exports import write_table

        for path in write_table(frame, out_path, xlsx=xlsx, float_format=None, missing=""):
            out.print(f"[green]Wrote[/] {path} ({len(frame)} rows)")
        return
    if fmt == "csv":
        text = frame.to_csv(index=False)
    elif fmt == "json":
        text = frame.to_json(orient="records", indent=2, force_ascii=False) + "\n"
    else:
        if out_path is not None:
            raise BadInput("--out needs --format csv or json")
        view = Table(title=title)
        for col in frame.columns:
            view.add_column(str(col))
        for row in frame.astype(str).itertuples(index=False):
            view.add_row(*row)
        out.print(view)
        return
    if out_path is not None:
        out_path.write_text(text, encoding="utf-8")
        out.print(f"[green]Wrote[/] {out_path} ({len(frame)} rows)")
        if xlsx:
            from commissioning.io.exports import write_xlsx

            path = write_xlsx([(out_path.stem, frame)], out_path.with_suffix(".xlsx"))
            out.print(f"[green]Wrote[/] {path} ({len(frame)} rows)")
    else:
        typer.echo(text, nl=False)


@_command("list")
def list_(
    catalogue: list[Path] = CatalogueOption,
    fmt: str = FormatOption,
    out_path: Path | None = OutOption,
    xlsx: bool = XlsxOption,
) -> None:
    """List the catalogue: id, name, the document's category, core offer, studies entered."""
    cat = _catalogue(catalogue)
    frame = pd.DataFrame([
        {"id": i.id, "name": i.name, "category": i.category, "core": i.core,
         "settings": " ".join(i.settings), "studies": len(i.studies)}
        for i in cat
    ])
    _emit(frame, fmt, out_path, f"Intervention catalogue ({len(cat)} services)", xlsx)


@_command("show")
def show(
    intervention_id: str = typer.Argument(..., help="The intervention id (see `evidence list`)."),
    catalogue: list[Path] = CatalogueOption,
    json_out: bool = typer.Option(False, "--json", help="Print the entry and its rating as JSON."),
) -> None:
    """Show one catalogue entry with its rating and the reasons for it."""
    from dataclasses import asdict

    from commissioning.evidence.rating import rate_all

    cat = _catalogue(catalogue)
    try:
        item = cat.get(intervention_id)
    except KeyError as exc:
        raise BadInput(str(exc.args[0])) from None
    rating = rate_all([item], load_parameters().at(DEFAULT_DATE))[0]
    if json_out:
        data = asdict(item)
        data["rating"] = {
            "category": rating.category, "rules_category": rating.rules_category,
            "reasons": list(rating.reasons), "what_works_score": rating.what_works_score,
            "minimum_conditions_missing": (
                list(rating.gate.missing) if rating.gate.applies else []
            ),
            "disinvest": list(rating.disinvest_reasons),
            "pooled_odds_ratio": rating.pooled.odds_ratio if rating.pooled else None,
        }
        typer.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))
        return
    out.print(f"[bold]{item.name}[/] ({item.id})")
    out.print(item.description)
    out.print(f"Document's category: {CATEGORY_LABELS[item.category]} — {item.category_source}")
    out.print(f"Rated: {rating.category_label}; why: {'; '.join(rating.reasons)}")
    if rating.pooled:
        out.print(f"Pooled odds ratio {rating.pooled.odds_ratio:.3f} ({rating.pooled.source})")
    met = rating.what_works_score * 8
    out.print(f"What works: {met:.0f}/8 met, {rating.what_works_known} known")
    if rating.gate.applies:
        out.print("Minimum conditions missing: " + ("; ".join(rating.gate.missing) or "none"))
    for study in item.studies:
        out.print(f"• {study.citation} [SMS {study.sms_level}, {study.kind}]")
    if not item.studies:
        out.print(item.study_data or "No study data entered.")


@_command("rate")
def rate_cmd(
    catalogue: list[Path] = CatalogueOption,
    date: str | None = DateOption,
    policy: list[Path] = PolicyOption,
    fmt: str = FormatOption,
    out_path: Path | None = OutOption,
    xlsx: bool = XlsxOption,
) -> None:
    """Rate every service with the rules engine: category, why, gate, disinvestment reasons."""
    from commissioning.evidence.rating import rate_all
    from commissioning.evidence.step import ratings_frame

    cat = _catalogue(catalogue)
    ratings = tuple(rate_all(cat.interventions, _parameters(policy).at(parse_date(date))))
    frame = ratings_frame(cat, ratings)
    if fmt == "table":
        frame = frame[["intervention_id", "document_category", "rules_category", "category",
                       "disinvest"]]
    _emit(frame, fmt, out_path, "Evidence ratings", xlsx)


@_command("meta")
def meta(
    input: Path = typer.Argument(
        ..., help="CSV with study, yi, vi (measure GEN) or study, ai, bi, ci, di."
    ),
    method: str = typer.Option("REML", "--method", help="FE, DL, REML, PM or ML."),
    measure: str = typer.Option(
        "GEN", "--measure", help="GEN (yi, vi given), OR, RR, RD or DCOX (from ai, bi, ci, di)."
    ),
    knha: bool = typer.Option(False, "--knha", help="Knapp–Hartung standard error and t test."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
    forest: Path | None = typer.Option(None, "--forest", help="Write a forest plot (.png/.svg)."),
) -> None:
    """Meta-analyse the studies in a CSV (results agree with R's metafor `rma`).

    JSON keys: k, method, measure, estimate, se, ci_lower, ci_upper, tau2, i2 (percent; the
    τ²-based I² for random effects, as metafor), h2, q, q_df, q_p.
    """
    method = method.upper()
    measure = measure.upper()
    if method not in METHODS:
        raise BadInput(f"--method {method}: use one of {', '.join(METHODS)}")
    if measure not in ("GEN", *MEASURES):
        raise BadInput(f"--measure {measure}: use GEN, {', '.join(MEASURES)}")
    try:
        frame = pd.read_csv(input)
    except (OSError, ValueError) as exc:
        raise BadInput(f"{input}: cannot read the CSV ({exc})") from None
    if "study" not in frame.columns:
        raise BadInput(f"{input}: needs a 'study' column")
    studies = [str(s) for s in frame["study"]]
    try:
        if measure == "GEN":
            missing = {"yi", "vi"} - set(frame.columns)
            if missing:
                raise BadInput(
                    f"{input}: measure GEN needs columns yi and vi (missing: "
                    f"{', '.join(sorted(missing))}); for counts give ai, bi, ci, di and --measure"
                )
            yi = pd.to_numeric(frame["yi"], errors="coerce").to_numpy(float)
            vi = pd.to_numeric(frame["vi"], errors="coerce").to_numpy(float)
        else:
            missing = {"ai", "bi", "ci", "di"} - set(frame.columns)
            if missing:
                raise BadInput(
                    f"{input}: measure {measure} needs columns ai, bi, ci, di (missing: "
                    f"{', '.join(sorted(missing))})"
                )
            cells = [pd.to_numeric(frame[c], errors="coerce").to_numpy(float)
                     for c in ("ai", "bi", "ci", "di")]
            yi, vi = escalc(measure, *cells)
        for name, values in (("yi", yi), ("vi", vi)):
            bad = [i for i, v in enumerate(values) if not pd.notna(v)]
            if bad:
                raise BadInput(f"{input}: row {bad[0] + 2}: {name} is not a number")
        result = meta_analyse(yi, vi, method, knha, measure, studies)
    except (MetaAnalysisError, EffectSizeError) as exc:
        raise BadInput(f"{input}: {exc}") from None
    if forest is not None:
        from commissioning.evidence.forest import save_forest

        try:
            save_forest(result, forest, exponentiate=measure in ("OR", "RR"))
        except ValueError as exc:
            raise BadInput(str(exc)) from None
    if json_out:
        typer.echo(json.dumps(result.interface()))
        return
    out.print(
        f"{result.method} (k = {result.k}, {result.measure}): estimate {result.estimate:.4f} "
        f"(SE {result.se:.4f}, {result.level:.0%} CI {result.ci_lower:.4f} to "
        f"{result.ci_upper:.4f}, p = {result.p_value:.4g})\n"
        f"τ² = {result.tau2:.4f} (CI {result.tau2_ci_lower:.4f} to {result.tau2_ci_upper:.4f}), "
        f"I² = {result.i2:.2f}%, H² = {result.h2:.3f}, Q({result.q_df}) = {result.q:.4f}, "
        f"p = {result.q_p:.4g}; prediction interval {result.pi_lower:.4f} to {result.pi_upper:.4f}"
    )


@_command("bca")
def bca(
    workspace: Path = WorkspaceOption,
    intervention: list[str] = typer.Option(
        [], "--intervention", help="Only these intervention ids (repeatable)."
    ),
    catalogue: list[Path] = CatalogueOption,
    draws: int | None = typer.Option(
        None, "--draws", help="Monte Carlo draws (default: the parameter)."
    ),
    seed: int = typer.Option(2012, "--seed", help="Random seed of the Monte Carlo."),
    date: str | None = DateOption,
    policy: list[Path] = PolicyOption,
    fmt: str = typer.Option("csv", "--format", help="table, csv or json."),
    out_path: Path | None = OutOption,
    xlsx: bool = XlsxOption,
) -> None:
    """Benefit–cost per intervention × segment on a workspace's scored assessments."""
    from commissioning.engine import backend
    from commissioning.evidence.outcome import OutcomeError
    from commissioning.evidence.step import evaluate, segments_from_workspace
    from commissioning.io.workspace import Workspace
    from commissioning.round import score_workspace, workspace_parameters

    when = parse_date(date)
    cat = _catalogue(catalogue)
    if intervention:
        try:
            cat = Catalogue(tuple(cat.get(i) for i in intervention), cat.folder)
        except KeyError as exc:
            raise BadInput(str(exc.args[0])) from None
    if not workspace.is_dir():
        raise BadInput(f"--workspace {workspace}: no such folder; run `commission demo` first")
    ws = Workspace(workspace)
    if not ws.has("assessments"):
        raise BadInput(f"{workspace}: no assessments imported; run `commission import` first")
    try:
        params = workspace_parameters(ws, policy)
    except ParameterError as exc:
        raise BadInput(str(exc)) from None
    con = backend.connect(ws.database_path)
    try:
        score_workspace(con, ws, params.at(when))
        segments = segments_from_workspace(con, ws, params.at(when))
    except OutcomeError as exc:
        raise BadInput(str(exc)) from None
    finally:
        con.disconnect()
    result = evaluate(segments, params.at(when), seed, cat, draws)
    _emit(result.benefit_cost, fmt, out_path, "Benefit–cost per intervention × segment", xlsx)
