"""The provenance footer: the data, parameters and software every figure was computed from."""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from typing import Any

import pandas as pd

from commissioning.policy.parameters import InForce, load_parameters
from commissioning.publish.context import InputFile, RoundContext, describe_input
from commissioning.publish.html import Cell, esc, fmt_count, table
from commissioning.publish.sections import Section
from commissioning.publish.tables import tolerance_pp

PUBLISHED_FILES: tuple[tuple[str, str], ...] = (
    ("risk_profile.csv", "Published Tables 1-2: risk tiers (package data)"),
    ("need_prevalence.csv", "Published Tables 1-2: six most common needs (package data)"),
)


def published_inputs() -> list[InputFile]:
    """The package's published tables as inputs, hashed like any other file."""
    root = resources.files("commissioning.data.published")
    out = []
    for name, description in PUBLISHED_FILES:
        with resources.as_file(root.joinpath(name)) as path:
            out.append(describe_input(path, description, name=f"published/{name}"))
    return out


def format_value(value: Any) -> str:
    """A parameter value as compact text: scalars as they are, a mapping one key per line."""
    if isinstance(value, bool | int | float | str):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(format_value(v) for v in value)
    if isinstance(value, dict):
        lines = []
        for key, item in value.items():
            text = (
                json.dumps(item, ensure_ascii=False, default=str)
                if isinstance(item, dict)
                else format_value(item)
            )
            lines.append(f"{key}: {text}")
        return "\n".join(lines)
    return json.dumps(value, ensure_ascii=False, default=str)


def _method_notes(context: RoundContext) -> list[str]:
    params = context.parameters
    notes = []
    if "disclosure.small_cell_threshold" in params:
        threshold = params.value("disclosure.small_cell_threshold", context.when)
        notes.append(
            f"Small-cell suppression: any count of 1 to {int(threshold) - 1} people, and every "
            "percentage that would reveal one, is shown as <code>*</code>; zero counts are shown "
            "(parameter <code>disclosure.small_cell_threshold</code> = "
            f"{esc(threshold)})."
        )
    if "risk.tier_rule" in params and "risk.medium_high_threshold" in params:
        rule = params.value("risk.tier_rule", context.when)
        medium_from = params.value("risk.medium_high_threshold", context.when)
        harm = ", ".join(str(h).replace("_", " ") for h in rule.get("very_high_harm_levels", []))
        notes.append(
            f"Risk tier (Offender Management Model, footnote iii of Tables 1-2): very high when "
            f"the risk of serious harm is {esc(harm)}; otherwise by the OGRS3 two-year score: "
            f"below {esc(medium_from)}% low (parameter <code>risk.medium_high_threshold</code>, "
            "the one definition of medium to high risk of reoffending), below "
            f"{esc(rule.get('high_from_pct'))}% medium, else high (parameter "
            "<code>risk.tier_rule</code>)."
        )
    notes.append(
        "Merged tiers: where the document merges two tiers, offenders are summed, shares of the "
        "offence group summed, and the shares under 25 and female weighted by offenders; a merged "
        "figure is suppressed when any part is."
    )
    notes.append(
        f"Differences are recomputed minus published, in percentage points; published figures "
        f"are whole percentages, so differences up to 0.5 pp can be rounding alone. Differences "
        f"over {tolerance_pp(context):g} pp are marked ▲."
    )
    return notes


#: Parameters the bulletin's decisions depend on most, shown in the report itself.
KEY_PARAMETERS: tuple[str, ...] = (
    "plan.savings_target",
    "plan.savings_outside_portfolio",
    "risk.medium_high_threshold",
    "disclosure.small_cell_threshold",
    "review.equality_adverse_ratio",
)
TABLES_DIR = "tables"


def differing_parameters(context: RoundContext) -> list[tuple[InForce, Any]]:
    """Parameters whose value in force differs from the package default (with the default;
    ``None`` for a parameter the package does not define)."""
    defaults = load_parameters()
    out = []
    for p in context.parameters.in_force(context.when):
        default = defaults.value(p.name, context.when) if p.name in defaults else None
        if p.overridden or default != p.value:
            out.append((p, default))
    return out


def parameter_table(context: RoundContext) -> pd.DataFrame:
    """Every parameter in force, for the downloadable ``parameters.csv``."""
    changed = {p.name for p, _ in differing_parameters(context)}
    return pd.DataFrame(
        [
            {
                "name": p.name,
                "value": json.dumps(p.value, ensure_ascii=False, default=str),
                "since": p.since.isoformat(),
                "unit": p.unit,
                "differs_from_default": p.name in changed,
                "description": p.description,
                "reference": p.reference,
            }
            for p in context.parameters.in_force(context.when)
        ],
        columns=["name", "value", "since", "unit", "differs_from_default", "description",
                 "reference"],
    )


def render_provenance(context: RoundContext) -> str:
    """Every input with rows and sha256, the parameters in force, software and method notes."""
    inputs = [*context.inputs, *published_inputs()]
    input_rows = [
        [
            Cell(f.name, header=True),
            Cell(f.description),
            Cell(fmt_count(f.rows) if f.rows is not None else "–", numeric=True),
            Cell(f'<code class="hash">{esc(f.sha256)}</code>', raw=True),
        ]
        for f in inputs
    ]
    in_force = context.parameters.in_force(context.when)
    changed = differing_parameters(context)
    param_rows = [
        [
            Cell(f"<code>{esc(p.name)}</code>", header=True, raw=True),
            Cell(f'<code class="value">{esc(format_value(p.value))}</code>', raw=True),
            Cell(f'<code class="value">{esc(format_value(default))}</code>', raw=True),
            Cell(p.since.isoformat(), css="nowrap"),
            Cell(p.unit),
        ]
        for p, default in changed
    ]
    key_rows = [
        [
            Cell(f"<code>{esc(p.name)}</code>", header=True, raw=True),
            Cell(p.description),
            Cell(f'<code class="value">{esc(format_value(p.value))}</code>', raw=True),
            Cell(p.unit),
        ]
        for p in in_force
        if p.name in KEY_PARAMETERS
    ]
    if changed:
        params_html = table(
            ["Parameter", "In force", "Default", "Since", "Unit"], param_rows, css="params",
            caption=f"The {len(changed)} parameters that differ from the defaults",
        )
    else:
        params_html = (
            f"<p>All {len(in_force)} parameters in force are the package's defaults (no "
            "workspace override or scenario changed any).</p>"
        )
    params_html += (
        table(["Parameter", "What it is", "Value", "Unit"], key_rows, css="params",
              caption="The parameters behind the headline decisions")
        + f'<p>Every parameter in force ({len(in_force)}), with its value, date, unit and '
        f'reference: <a href="{TABLES_DIR}/parameters.csv">parameters.csv</a>.</p>'
    )
    workspace = (
        f"<div><dt>Workspace</dt><dd><code>{esc(context.workspace)}</code></dd></div>"
        if context.workspace
        else ""
    )
    notes = "".join(f"<li>{n}</li>" for n in _method_notes(context))
    return (
        '<dl class="facts">'
        f"<div><dt>Software</dt><dd>commissioning {esc(context.software_version)}</dd></div>"
        f"<div><dt>Generated</dt><dd>{esc(context.generated_at.isoformat())}</dd></div>"
        f"<div><dt>Parameters in force on</dt><dd>{esc(context.when.isoformat())}</dd></div>"
        f"{workspace}</dl>"
        "<h3>Input files</h3>"
        + table(["File", "Description", ("Rows", True), "SHA-256"], input_rows, css="inputs")
        + "<h3>Parameters</h3>"
        + params_html
        + f'<h3>Method notes</h3><ul class="notes">{notes}</ul>'
    )


PROVENANCE_SECTION = Section("provenance", "Provenance", 1000, render_provenance,
                             "Inputs, parameters, software and method")
