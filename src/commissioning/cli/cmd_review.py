"""Review commands: `outcomes`, `evaluate`, `pbr` and `performance` (issue 6)."""

from __future__ import annotations

import json
from pathlib import Path

import ibis.expr.types as ir
import pandas as pd
import typer
from ibis.backends import BaseBackend

from commissioning.cli.app import BadInput, app, out
from commissioning.cli.common import (
    DateOption,
    InternalOption,
    PolicyOption,
    XlsxOption,
    parse_date,
    step,
)
from commissioning.engine import backend
from commissioning.io.exports import write_table, write_tables
from commissioning.io.readers import read_table
from commissioning.io.validation import ValidationFailed
from commissioning.policy.parameters import ParameterError, ParameterSet, load_parameters
from commissioning.publish.disclosure import rating_minimum, small_cell_threshold

CohortOption = typer.Option(..., "--cohort", help="The cohort file (CSV, Parquet or Excel).")
ReoffencesOption = typer.Option(..., "--reoffences", help="The reoffences file.")
OutOption = typer.Option(..., "--out", help="Output folder.")


def _parameters(policy: list[Path]) -> ParameterSet:
    try:
        return load_parameters(policy)
    except (ParameterError, OSError) as exc:
        raise BadInput(str(exc)) from None


def _open(con: BaseBackend, path: Path, table: str) -> ir.Table:
    try:
        valid = read_table(path, table)
    except ValidationFailed as exc:
        raise BadInput(str(exc)) from None
    return backend.from_arrow(con, valid.table, f"review_{table}")


@app.command()
def outcomes(
    cohort: Path = CohortOption,
    reoffences: Path = ReoffencesOption,
    out_dir: Path = OutOption,
    by: list[str] = typer.Option(
        [], "--by", help="Grouping column of the cohort, or cohort_year / cohort_quarter, "
        "offence_group, risk_tier (repeatable)."
    ),
    internal: bool = InternalOption,
    xlsx: bool = XlsxOption,
    date: str | None = DateOption,
    policy: list[Path] = PolicyOption,
) -> None:
    """Proven reoffending (12 months + 6 to dispose): rates, frequencies, reconviction events.

    Writes proven_reoffending.csv with the --by columns, cohort_size, reoffenders, binary_rate,
    reoffences, frequency_per_offender, frequency_per_reoffender, reconviction_events, then
    mean_days_to_first and 95% intervals. Every figure of a row whose people, reoffenders or
    non-reoffenders number fewer than the small-cell threshold (5) is withheld (*); with
    --internal nothing is withheld and the file is proven_reoffending.not-for-publication.csv.
    """
    from commissioning.review.cohort import cohort_outcomes
    from commissioning.review.proven import summarise, with_intervals
    from commissioning.review.step import publishable_summary

    params = _parameters(policy)
    when = parse_date(date)
    con = backend.connect()
    c = _open(con, cohort, "cohort")
    r = _open(con, reoffences, "reoffences")
    with step("Measuring proven reoffending"):
        people = cohort_outcomes(c, r, params.at(when))
        unknown = [b for b in by if b not in people.columns]
        if unknown:
            raise BadInput(
                f"--by {', '.join(unknown)}: not a column of {cohort} nor a derived column; use "
                f"one of {', '.join(sorted(people.columns))}"
            )
        summary = with_intervals(backend.execute(con, summarise(people, by)))
    threshold = small_cell_threshold(params.at(when))
    if not internal:
        summary = publishable_summary(summary, threshold)
    paths = write_table(summary, out_dir / "proven_reoffending.csv", internal=internal,
                        xlsx=xlsx, threshold=threshold)
    for path in paths:
        out.print(f"[green]Wrote[/] {path} ({len(summary):,} rows)")
    if internal:
        out.print("[bold red]NOT FOR PUBLICATION:[/] small cells are not withheld (--internal).")


@app.command()
def evaluate(
    cohort: Path = CohortOption,
    reoffences: Path = ReoffencesOption,
    treated: Path = typer.Option(
        ..., "--treated", help="File of the people who received the service (offender_id)."
    ),
    out_dir: Path = OutOption,
    service: str = typer.Option("the service", "--service", help="The service's name."),
    model: str = typer.Option(
        "logistic", "--model", help="Propensity model: logistic or gradient_boosting."
    ),
    neighbours: int | None = typer.Option(None, "--neighbours", help="Matches per person."),
    caliper: float | None = typer.Option(
        None, "--caliper", help="Caliper in SDs of the propensity logit."
    ),
    without_replacement: bool = typer.Option(
        False, "--without-replacement", help="Use each comparison person at most once."
    ),
    xlsx: bool = XlsxOption,
    date: str | None = DateOption,
    policy: list[Path] = PolicyOption,
) -> None:
    """Justice Data Lab-style impact evaluation by propensity score matching.

    Writes evaluation.json: treated_n, matched_n, comparison_n; binary and frequency as
    {treated, comparison, difference, ci_lower, ci_upper, p_value}; balance as
    [{variable, smd_before, smd_after}]; a sensitivity E-value and a plain-English conclusion.
    The same tables as evaluation_outcomes.csv (one row per measure, with its unit) and
    evaluation_balance.csv (and .xlsx with --xlsx). Fewer than 60 treated people in the
    cohort: exit code 2.
    """
    from commissioning.review.cohort import can_score, cohort_outcomes
    from commissioning.review.evaluate import EvaluationOptions, TooFewPeople
    from commissioning.review.evaluate import evaluate as run_evaluation

    if model not in ("logistic", "gradient_boosting"):
        raise BadInput(f"--model {model!r}: use logistic or gradient_boosting")
    params = _parameters(policy)
    when = parse_date(date)
    ids = _treated_ids(treated)
    con = backend.connect()
    c = _open(con, cohort, "cohort")
    r = _open(con, reoffences, "reoffences")
    if not can_score(c):
        raise BadInput(
            f"{cohort}: the cohort needs the matching variables sex, date_of_birth, "
            "conviction_date, first_sanction_date, previous_sanctions and offence"
        )
    options = EvaluationOptions.from_policy(
        params.at(when), model=model, neighbours=neighbours, caliper_sd=caliper,
        replacement=False if without_replacement else None,
    )
    with step(f"Evaluating {service} for {len(ids):,} people"):
        people = backend.execute(con, cohort_outcomes(c, r, params.at(when)))
        try:
            result = run_evaluation(people, ids, service, options)
        except TooFewPeople as exc:
            raise BadInput(str(exc)) from None
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "evaluation.json"
    report = result.to_json()
    path.write_text(json.dumps(report, indent=2), encoding="utf-8")
    units = {"binary": "proportion reoffending (0-1)",
             "frequency": "proven reoffences per person"}
    outcomes_table = pd.DataFrame([
        {"measure": m, "unit": units[m], **{k: report[m].get(k) for k in
         ("treated", "comparison", "difference", "ci_lower", "ci_upper", "p_value")}}
        for m in ("binary", "frequency") if isinstance(report.get(m), dict)
    ])
    balance = pd.DataFrame(report.get("balance") or [],
                           columns=["variable", "smd_before", "smd_after"])
    written = [path,
               *write_table(outcomes_table, out_dir / "evaluation_outcomes.csv", xlsx=xlsx),
               *write_table(balance, out_dir / "evaluation_balance.csv", xlsx=xlsx)]
    out.print(result.conclusion)
    for item in written:
        out.print(f"[green]Wrote[/] {item}")


def _treated_ids(path: Path) -> list[str]:
    try:
        if path.suffix.lower() == ".parquet":
            frame = pd.read_parquet(path)
        elif path.suffix.lower() == ".xlsx":
            frame = pd.read_excel(path, dtype=str)
        else:
            frame = pd.read_csv(path, dtype=str)
    except (OSError, ValueError) as exc:
        raise BadInput(f"{path}: cannot read the treated file ({exc})") from None
    if "offender_id" not in frame:
        raise BadInput(f"{path}: the treated file needs an offender_id column")
    return [str(v) for v in frame["offender_id"].dropna().unique()]


@app.command()
def pbr(
    scheme: str = typer.Argument(
        ..., help="A built-in scheme (peterborough, doncaster, crc_2015, rate_card_example) "
        "or a scheme YAML file."
    ),
    out_dir: Path = OutOption,
    figures: Path | None = typer.Option(
        None, "--figures", help="CSV of figures, one row per cohort (default: the published "
        "figures for peterborough and doncaster)."
    ),
    xlsx: bool = XlsxOption,
) -> None:
    """Payment by results: the decision and amount per cohort under a scheme, with evidence.

    Writes pbr_decisions.csv (and .xlsx with --xlsx) and pbr_decisions.json.
    """
    from commissioning.review.pbr import SchemeError, calculate, find_scheme
    from commissioning.review.step import PUBLISHED_FIGURES

    try:
        chosen = find_scheme(scheme)
        if figures is None:
            if chosen.id not in PUBLISHED_FIGURES:
                raise BadInput(f"scheme {chosen.id} has no published figures: pass --figures")
            rows = list(PUBLISHED_FIGURES[chosen.id])
        else:
            try:
                frame = pd.read_csv(figures, dtype={"cohort": str})
            except (OSError, ValueError) as exc:
                raise BadInput(f"{figures}: cannot read the figures ({exc})") from None
            rows = [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]
        decisions = calculate(chosen, rows)
    except SchemeError as exc:
        raise BadInput(str(exc)) from None
    records = [vars(d) for d in decisions]
    write_tables({"pbr_decisions.csv": pd.DataFrame(records)}, out_dir, xlsx=xlsx)
    (out_dir / "pbr_decisions.json").write_text(
        json.dumps({"scheme": chosen.id, "name": chosen.name, "reference": chosen.reference,
                    "decisions": records}, indent=2, default=str), encoding="utf-8"
    )
    for d in decisions:
        out.print(f"{d.cohort or '-'} · {d.measure}: [bold]{d.decision}[/] — {d.evidence}")
    out.print(f"[green]Wrote[/] {out_dir / 'pbr_decisions.csv'}")


@app.command()
def performance(
    cohort: Path = CohortOption,
    reoffences: Path = ReoffencesOption,
    out_dir: Path = OutOption,
    interventions: Path | None = typer.Option(
        None, "--interventions", help="The interventions file (completion indicator)."
    ),
    costs: Path | None = typer.Option(
        None, "--costs", help="CSV of provider_id, cost (unit cost indicator)."
    ),
    indicators: Path | None = typer.Option(
        None, "--indicators", help="An indicators YAML file (default: the built-in one)."
    ),
    method: str = typer.Option("ratio", "--method", help="Adjustment: ratio or difference."),
    internal: bool = InternalOption,
    xlsx: bool = XlsxOption,
    date: str | None = DateOption,
    policy: list[Path] = PolicyOption,
) -> None:
    """Case-mix-adjusted rates and provider ratings in four bands from indicator scores.

    Writes adjusted_rates.csv (actual, expected, adjusted with interval, funnel position) and
    performance.csv (indicator values, scores, mean score, band). A provider is rated with at
    least review.rating_minimum_cohort people (30), as in the report; the adjusted rates of a
    provider whose people, reoffenders or non-reoffenders are fewer than the small-cell
    threshold are withheld (*). --internal writes them unsuppressed, not for publication.
    """
    from commissioning.review.adjusted import adjusted_rates
    from commissioning.review.cohort import can_score, cohort_outcomes
    from commissioning.review.performance import (
        INDICATORS_FILE,
        Bands,
        indicator_values,
        load_indicators,
        rate_providers,
    )
    from commissioning.review.proven import summarise
    from commissioning.review.step import publishable_rates

    if method not in ("ratio", "difference"):
        raise BadInput(f"--method {method!r}: use ratio or difference")
    params = _parameters(policy)
    when = parse_date(date)
    con = backend.connect()
    c = _open(con, cohort, "cohort")
    r = _open(con, reoffences, "reoffences")
    if not can_score(c):
        raise BadInput(f"{cohort}: case-mix adjustment needs the OGRS3 columns in the cohort")
    try:
        chosen = load_indicators(indicators or INDICATORS_FILE)
    except (OSError, ValueError) as exc:
        raise BadInput(str(exc)) from None
    with step("Adjusting and rating providers"):
        expr = cohort_outcomes(c, r, params.at(when))
        people = backend.execute(con, expr)
        rates = adjusted_rates(people, method="ratio" if method == "ratio" else "difference")
        summary = backend.execute(con, summarise(expr, ["provider_id"]))
        iv = None
        if interventions is not None:
            try:
                iv = read_table(interventions, "interventions").table.to_pandas()
            except ValidationFailed as exc:
                raise BadInput(str(exc)) from None
        cost_frame = pd.read_csv(costs, dtype={"provider_id": str}) if costs else None
        values = indicator_values(rates.table, summary, iv, cost_frame)
        ratings = rate_providers(values, chosen, Bands.from_policy(params.at(when)))
    threshold = small_cell_threshold(params.at(when))
    minimum = rating_minimum(params.at(when))
    table = rates.table if internal else publishable_rates(rates.table, threshold)
    rated = ratings.table[ratings.table["cohort_size"] >= minimum]
    written = [
        *write_table(table, out_dir / "adjusted_rates.csv", internal=internal, xlsx=xlsx,
                     threshold=threshold),
        *write_table(rated, out_dir / "performance.csv", internal=internal, xlsx=xlsx,
                     threshold=threshold),
    ]
    (out_dir / "method.txt").write_text(
        rates.statement() + "\n" + ratings.method + "\n"
        + f"Providers are rated with at least {minimum} cohort members "
        f"({len(ratings.table) - len(rated)} of {len(ratings.table)} have fewer and are not "
        "rated).\n", encoding="utf-8"
    )
    out.print(rates.statement())
    out.print(f"Rated {len(rated)} of {len(ratings.table)} providers (those with at least "
              f"{minimum} cohort members).")
    for path in written:
        out.print(f"[green]Wrote[/] {path}")
    if internal:
        out.print("[bold red]NOT FOR PUBLICATION:[/] small cells are not withheld (--internal).")
