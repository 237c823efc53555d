"""One commissioning round over a workspace: the foundation, the capabilities and the report.

The foundation (score, segment, profile) is the round's first step, :data:`FOUNDATION`: its
:class:`Foundation` result is in ``StepContext.results`` (and the report's extras) under
:data:`FOUNDATION_ID`, and later steps read it there (:func:`foundation`) instead of scoring or
profiling again. Then the capabilities the caller gives (the product's are
:data:`commissioning.capabilities.CAPABILITIES`) run in order. Every step reads the workspace's
inputs and the parameters in force, and writes only inside the workspace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import ibis.expr.types as ir
import pandas as pd
from ibis.backends import BaseBackend

from commissioning.assess.profiles import (
    NEED_PROFILE_COLUMNS,
    RISK_PROFILE_COLUMNS,
    Profiles,
    compute_profiles,
)
from commissioning.assess.risk import RiskRules, score
from commissioning.engine import backend
from commissioning.io.exports import write_csv, write_xlsx
from commissioning.io.workspace import Workspace
from commissioning.policy.parameters import ParameterSet, Policy, load_parameters
from commissioning.publish.context import InputFile, RoundContext
from commissioning.publish.disclosure import (
    small_cell_threshold as disclosure_threshold,
)
from commissioning.publish.disclosure import (
    suppress_need_profile,
    suppress_risk_profile,
)
from commissioning.steps import Capability, StepContext, run_steps

#: Name of the scored assessments in the workspace database.
SCORED_TABLE = "assessments_scored"
REPORT_NAME = "commissioning-round.html"
#: The foundation's id in the round's results.
FOUNDATION_ID = "foundation"


class RoundError(RuntimeError):
    """A round step cannot run on this workspace (e.g. no assessments imported)."""


def workspace_parameters(ws: Workspace, extra: Sequence[Path] = ()) -> ParameterSet:
    """The built-in parameters with the workspace's policy overrides, then ``extra`` files."""
    return load_parameters([*ws.policy_override_files(), *extra])


def small_cell_threshold(policy: Policy) -> int:
    """The small-cell threshold in force (:func:`commissioning.publish.disclosure`)."""
    return disclosure_threshold(policy)


def open_assessments(con: BaseBackend, ws: Workspace) -> ir.Table:
    """The workspace's imported (validated, pseudonymised) assessments as a table expression."""
    if not ws.has("assessments"):
        raise RoundError(
            f"the workspace {ws.path} has no assessments: run `commission import assessments "
            "FILE` (or `commission demo`) first"
        )
    return backend.read_parquet(con, ws.input_path("assessments"), table_name="assessments")


def score_workspace(
    con: BaseBackend, ws: Workspace, policy: Policy
) -> ir.Table:
    """Score the workspace's assessments and keep the result as a derived table."""
    scored = score(open_assessments(con, ws), RiskRules.from_policy(policy))
    return backend.persist(con, scored, SCORED_TABLE)


@dataclass(frozen=True)
class PublishedProfiles:
    """Profiles after small-cell suppression, ready to write or show."""

    by: tuple[str, ...]
    risk: pd.DataFrame
    need: pd.DataFrame
    threshold: int


def publishable(profiles: Profiles, threshold: int) -> PublishedProfiles:
    """Apply disclosure control to raw profiles."""
    return PublishedProfiles(
        by=profiles.by,
        risk=suppress_risk_profile(profiles.risk, profiles.by, threshold),
        need=suppress_need_profile(profiles.need, profiles.by, threshold),
        threshold=threshold,
    )


def tier_counts(risk: pd.DataFrame) -> pd.DataFrame:
    """Unsuppressed counts of people per setting, offence group and risk tier (national)."""
    keys = ["setting", "offence_group", "risk_tier"]
    counts = risk.groupby(keys, sort=False)["offenders"].sum().reset_index()
    counts["offenders"] = counts["offenders"].astype("int64")
    return counts


def profile_workspace(
    con: BaseBackend, ws: Workspace, policy: Policy
) -> tuple[PublishedProfiles, pd.DataFrame]:
    """Score and profile the workspace: the national profiles after disclosure control, and the
    unsuppressed counts per tier that headlines and totals are computed from."""
    found = _foundation(con, ws, policy)
    return found.published, found.totals


@dataclass(frozen=True)
class Foundation:
    """The foundation's result: the scored assessments (kept in the workspace database as
    :data:`SCORED_TABLE`), their raw national profiles, those profiles after disclosure control
    and the unsuppressed counts per tier that headlines and totals are computed from."""

    scored: ir.Table
    profiles: Profiles
    published: PublishedProfiles
    totals: pd.DataFrame


def _foundation(con: BaseBackend, ws: Workspace, policy: Policy) -> Foundation:
    scored = score_workspace(con, ws, policy)
    profiles = compute_profiles(con, scored)
    return Foundation(scored, profiles, publishable(profiles, small_cell_threshold(policy)),
                      tier_counts(profiles.risk))


def run_foundation(ctx: StepContext) -> Foundation:
    """The foundation step: score the workspace's assessments once and profile them."""
    return _foundation(ctx.con, ctx.workspace, ctx.policy)


#: The round's first step (no report section of its own: publish's need sections show it).
FOUNDATION = Capability(FOUNDATION_ID, "Foundation: risk, segments and need profiles", 0,
                        run_foundation)


def foundation(ctx: StepContext) -> Foundation:
    """The foundation's result in this round (a step after the foundation reads it here)."""
    found = ctx.results.get(FOUNDATION_ID)
    if not isinstance(found, Foundation):
        raise RoundError("the foundation (risk, segments, profiles) has not run in this round")
    return found


def internal_profiles(profiles: Profiles) -> PublishedProfiles:
    """Raw profiles for internal analysis (``--internal``): nothing withheld, threshold 0."""
    return PublishedProfiles(by=profiles.by, risk=profiles.risk, need=profiles.need, threshold=0)


def write_profiles(
    published: PublishedProfiles, out_dir: Path, xlsx: bool = False, internal: bool = False
) -> list[Path]:
    """Write ``risk_profile.csv`` and ``need_profile.csv`` (and optionally ``profiles.xlsx``)
    through the one writer (:mod:`commissioning.io.exports`); ``internal`` output is marked
    not for publication in its file names and first line."""
    risk_cols = [*published.by, *RISK_PROFILE_COLUMNS]
    need_cols = [*published.by, *NEED_PROFILE_COLUMNS]
    tables = (("risk_profile", published.risk[risk_cols]),
              ("need_profile", published.need[need_cols]))
    written = [write_csv(frame, out_dir / f"{name}.csv", internal=internal, float_format=None)
               for name, frame in tables]
    if xlsx:
        written.append(write_xlsx(tables, out_dir / "profiles.xlsx", internal=internal,
                                  threshold=published.threshold))
    return written


def workspace_inputs(ws: Workspace) -> list[InputFile]:
    """The workspace's imported tables, for provenance: source file, rows and hash."""
    inputs = []
    for table in ws.tables():
        manifest = ws.manifest(table)
        inputs.append(
            InputFile(
                name=f"{table} (from {manifest.get('source_file', '?')})",
                rows=manifest.get("rows"),
                sha256=str(manifest.get("source_sha256", "")),
                description=(
                    "pseudonymised with the synthetic demo key"
                    if manifest.get("demo_key")
                    else "synthetic (written by the generator), imported and validated"
                    if manifest.get("synthetic")
                    else "imported and validated"
                ),
            )
        )
    return inputs


def round_context(
    ws: Workspace,
    policy: Policy,
    capabilities: Iterable[Capability],
    con: BaseBackend | None = None,
    seed: int = 2012,
    log: Callable[[str], None] = print,
    done: Foundation | None = None,
) -> RoundContext:
    """Compute everything the report needs from the workspace.

    The foundation first (unless ``done`` is its result, already computed on ``con`` in this
    round), then the ``capabilities``' steps in order; their results reach the report as
    ``extras`` and their sections as ``sections``.
    """
    chosen = list(capabilities)
    own = con is None
    if own and not ws.path.is_dir():
        # DuckDB would fail to create derived.duckdb in a folder that is not there
        raise RoundError(
            f"there is no workspace at {ws.path}: import your data into it first (`commission "
            f"import assessments FILE --workspace {ws.path}` creates it) or run `commission demo "
            f"--workspace {ws.path}`; or pass --workspace with an existing one"
        )
    con = con or backend.connect(ws.database_path)
    try:
        step_context = StepContext(
            workspace=ws, parameters=policy.parameters, when=policy.when, con=con, seed=seed,
            log=log,
        )
        step_context.results[FOUNDATION_ID] = done or FOUNDATION.run(step_context)
        results = run_steps(step_context, chosen)
    finally:
        if own:
            con.disconnect()
    base: Foundation = results[FOUNDATION_ID]
    return RoundContext(
        risk_profile=base.published.risk,
        need_profile=base.published.need,
        workspace=ws.path,
        parameters=policy.parameters,
        when=policy.when,
        inputs=workspace_inputs(ws),
        extras=results,
        totals=base.totals,
        sections=tuple(c.section for c in chosen if c.section is not None),
        skipped={c.section.id: step_context.skipped[c.id] for c in chosen
                 if c.section is not None and c.id in step_context.skipped},
    )


def build_round_report(context: RoundContext, ws: Workspace) -> Path:
    """Write the HTML report into the workspace's reports folder."""
    from commissioning.publish.report import build_report

    return build_report(context, ws.reports_dir / REPORT_NAME)
