"""The decision bulletin: the first screen of the report (GSS bulletin style).

Main points first — invest, disinvest, the savings bridge, the risks and what changed since the
last round — each linked to the annex section with its evidence and to a downloadable table.
The figures come from :mod:`commissioning.publish.decisions` (the steps' results); nothing is
computed here that a step did not compute.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from commissioning.publish.decisions import (
    TOP,
    Decisions,
    Move,
    changes_since,
    decisions,
    previous,
)
from commissioning.publish.html import Cell, esc, table
from commissioning.publish.sections import Section

if TYPE_CHECKING:
    import altair as alt

    from commissioning.publish.context import RoundContext

#: Where the bulletin's own tables are written, relative to the report (see ``report.py``).
TABLES_DIR = "tables"
RISK_KINDS = {
    "capacity": "Capacity",
    "evidence": "Evidence gap",
    "intention": "Intention at risk",
    "scenario": "Savings scenario",
}


def m(value: float | None, signed: bool = False) -> str:
    """Money in £ million, one decimal; a proper minus sign."""
    if value is None:
        return "–"
    text = f"£{abs(value) / 1e6:,.1f}M"
    if signed:
        return ("+" if value > 0 else "−" if value < 0 else "") + text
    return ("−" if value < 0 else "") + text


def bridge_chart(d: Decisions) -> alt.TopLevelMixin:
    """The savings bridge as a waterfall: 2011-12 spend, each step, planned spend, target."""
    import altair as alt

    rows, level = [], 0.0
    for i, b in enumerate(d.bridge):
        if b.kind in ("start", "end"):
            start, end = 0.0, b.amount
            level = b.amount
        else:
            start, end = level, level + b.amount
            level = end
        rows.append({"order": i, "step": b.label, "start": start / 1e6, "end": end / 1e6,
                     "kind": "Total" if b.kind in ("start", "end") else
                     ("Saving" if b.amount < 0 else "Added spend")})
    data = pd.DataFrame(rows)
    steps = data[data["kind"] != "Total"]
    low = float(min(steps["start"].min(), steps["end"].min())) if len(steps) else 0.0
    high = float(max(data["start"].max(), data["end"].max()))
    span = max(high - low, 1.0)
    lo, hi = max(0.0, low - span), high + span * 0.1
    data["start"] = data["start"].clip(lower=lo)
    kinds = ["Total", "Saving", "Added spend"]
    chart: alt.TopLevelMixin = alt.Chart(data).mark_bar().encode(
        y=alt.Y("step:N", sort=alt.EncodingSortField("order"), title=None,
                axis=alt.Axis(labelLimit=0)),
        x=alt.X("start:Q", title=f"£ million a year (axis from £{lo:,.0f}M)",
                scale=alt.Scale(domain=[lo, hi], zero=False, clamp=True)),
        x2="end:Q",
        color=alt.Color("kind:N", scale=alt.Scale(
            domain=kinds, range=["#505a5f", "#0072B2", "#E69F00"]),
            legend=alt.Legend(title=None, orient="bottom")),
    ).properties(width=300, height=28 * len(rows),
                 description="Waterfall from 2011-12 spend to planned 2012-13 spend.")
    return chart


def _moves_table(moves: list[Move], caption: str, link: str) -> str:
    rows = [[Cell(mv.service, header=True), Cell(mv.evidence),
             Cell(m(mv.baseline), True), Cell(m(mv.planned), True),
             Cell(m(mv.change, signed=True), True)] for mv in moves[:TOP]]
    more = len(moves) - TOP
    note = (f'<p class="note">{more} more in <a href="{link}">the full table</a>.</p>'
            if more > 0 else "")
    return table(["Service", "Evidence", ("2011-12", True), ("2012-13", True),
                  ("Change", True)], rows, caption=caption, css="bulletin") + note


def _not_run_point(skipped: dict[str, str]) -> str | None:
    """One main point naming the report's sections whose step did not run (a workspace of
    one's own data that holds only some tables), linked to each section's reason."""
    if not skipped:
        return None
    links = ", ".join(f'<a href="#{esc(sid)}-not-run">{esc(sid)}</a>' for sid in skipped)
    return (f"<strong>{len(skipped)} step{'s' if len(skipped) > 1 else ''} did not run</strong> "
            f"for want of data, so nothing here decides them: {links}. Each section says "
            "which table to import.")


def _main_points(d: Decisions, prev: dict[str, Any] | None, changes: list[str],
                 skipped: dict[str, str] | None = None) -> list[str]:
    points = []
    not_run = _not_run_point(skipped or {})
    if not_run:
        points.append(not_run)
    if d.status is not None and not d.bridge:
        conflicts = [r for r in d.risks if r.text.startswith("No feasible plan")]
        points.append(
            f"<strong>No feasible plan</strong> (solver status: {esc(d.status)}): the savings "
            f"target of {m(d.savings_target)} cannot be met together with the commissioning "
            f"intentions; {len(conflicts)} constraints conflict. Nothing is decided until the "
            "target or an intention changes. <a href=\"#plan\">Why</a>")
    if d.bridge:
        end = next(b.amount for b in d.bridge if b.kind == "end")
        start = d.bridge[0].amount
        outside = (f" and {m(d.savings_outside)} outside the services (NOMS HQ), "
                   f"{m(d.total_savings)} in all" if d.savings_outside else "")
        verdict = {True: "met", False: "<strong>not met</strong>", None: "not known"}[
            d.target_met]
        points.append(
            f"The plan spends {m(end)} in 2012-13 against {m(start)} in 2011-12: it saves "
            f"<strong>{m(d.savings)}</strong> in the services{outside}. The savings target of "
            f"{m(d.savings_target)} is {verdict}. <a href=\"#bulletin-bridge\">Savings bridge</a>")
    if d.invest:
        top = d.invest[0]
        points.append(
            f"<strong>Invest</strong> in {len(d.invest)} services, most in {esc(top.service)} "
            f"({m(top.change, True)}; evidence: {esc(top.evidence.lower())}). "
            "<a href=\"#bulletin-invest\">Investment</a>")
    if d.disinvest:
        top = d.disinvest[0]
        points.append(
            f"<strong>Disinvest</strong> from {len(d.disinvest)} services, most from "
            f"{esc(top.service)} ({m(top.change, True)}; evidence: {esc(top.evidence.lower())})."
            " <a href=\"#bulletin-disinvest\">Disinvestment</a>")
    if d.intentions_total:
        points.append(
            f"Of the {d.intentions_total} commissioning intentions, {d.intentions_hold} hold in "
            f"the plan, {len(d.intentions_broken)} do not and {d.intentions_unchecked} cannot be "
            "checked from the portfolio (partnerships and standards). "
            "<a href=\"#plan\">Intentions</a>")
    if d.risks:
        kinds = sorted({RISK_KINDS[r.kind].lower() for r in d.risks})
        points.append(f"{len(d.risks)} risks to the decisions: {esc(', '.join(kinds))}. "
                      "<a href=\"#bulletin-risks\">Risks</a>")
    if prev is None:
        points.append("This is the first publication from this workspace: the next one will "
                      "say what changed against it.")
    elif changes:
        points.append(f"{len(changes)} figures changed since the previous publication "
                      f"({esc(str(prev.get('generated_at', ''))[:10])}). "
                      "<a href=\"#bulletin-changes\">What changed</a>")
    else:
        points.append("No decision changed since the previous publication "
                      f"({esc(str(prev.get('generated_at', ''))[:10])}).")
    return points


def render_bulletin(context: RoundContext) -> str:
    """Main points, then invest, disinvest, the savings bridge, risks and changes."""
    from commissioning.publish.charts import to_svg

    d = decisions(context)
    prev = previous(context)
    changes = changes_since(prev, d)
    parts = [
        '<div class="main-points"><h3 id="bulletin-main-points">Main points</h3><ul>'
        + "".join(f"<li>{p}</li>" for p in _main_points(d, prev, changes, context.skipped))
        + "</ul></div>"
    ]
    for missing in d.missing:
        if any(missing.startswith(f"{sid}:") for sid in context.skipped):
            continue  # the main point and the section say why
        parts.append(f'<p class="note">Not available: {esc(missing)}.</p>')
    if d.invest or d.disinvest:
        parts.append('<div class="two-up">')
        parts.append('<div id="bulletin-invest">' + _moves_table(
            d.invest, "Invest: the largest increases against 2011-12",
            f"{TABLES_DIR}/invest_disinvest.csv") + "</div>")
        parts.append('<div id="bulletin-disinvest">' + _moves_table(
            d.disinvest, "Disinvest: the largest reductions against 2011-12",
            f"{TABLES_DIR}/invest_disinvest.csv") + "</div>")
        parts.append("</div>")
        parts.append(
            f'<p class="note">Every service: <a href="{TABLES_DIR}/invest_disinvest.csv">'
            "invest_disinvest.csv</a>. Evidence ratings and benefit–cost: "
            '<a href="#evidence">Evidence</a>; by setting and segment: <a href="#plan">Plan</a>.'
            "</p>")
    if d.bridge:
        rows = [[Cell(b.label, header=True),
                 Cell(m(b.amount, signed=b.kind == "step"), True)] for b in d.bridge]
        if d.savings is not None:
            rows.append([Cell("Savings in the services", header=True), Cell(m(d.savings), True)])
            if d.savings_outside:
                rows.append([Cell("Savings outside the services (NOMS HQ restructuring)",
                                  header=True), Cell(m(d.savings_outside), True)])
            rows.append([Cell("Savings target 2012-13", header=True),
                         Cell(m(d.savings_target), True)])
        parts.append(
            '<div class="chart-beside" id="bulletin-bridge"><div>'
            + table(["Step", ("£ a year", True)], rows, caption="Savings bridge", css="bulletin")
            + f'<p class="note">Download: <a href="{TABLES_DIR}/savings_bridge.csv">'
            "savings_bridge.csv</a>. The plan's own figures: <a href=\"#plan\">Plan</a>.</p>"
            '</div><figure class="chart" id="chart-bridge"><figcaption id="chart-bridge-caption">'
            "From 2011-12 spend to the 2012-13 plan</figcaption>"
            + to_svg(bridge_chart(d), "chart-bridge") + "</figure></div>")
    if d.risks:
        rows = [[Cell(RISK_KINDS[r.kind], header=True), Cell(r.text),
                 Cell(f'<a href="{r.link}">evidence</a>', raw=True)] for r in d.risks[:12]]
        more = len(d.risks) - 12
        parts.append('<div id="bulletin-risks">' + table(
            ["Risk", "What", "See"], rows, caption="Risks to the decisions", css="bulletin")
            + (f'<p class="note">{more} more in <a href="{TABLES_DIR}/risks.csv">risks.csv'
               "</a>.</p>" if more > 0 else
               f'<p class="note">Download: <a href="{TABLES_DIR}/risks.csv">risks.csv</a>.</p>')
            + "</div>")
    parts.append('<div id="bulletin-changes"><h3>What changed since the last round</h3>')
    if prev is None:
        parts.append("<p>No earlier publication from this workspace."
                     + (" Against the 2011-12 portfolio, the changes are the investment and "
                        "disinvestment above." if d.invest or d.disinvest else "") + "</p>")
    elif changes:
        parts.append("<ul>" + "".join(f"<li>{esc(c)}</li>" for c in changes[:10]) + "</ul>")
    else:
        parts.append("<p>The decisions are the same as in the previous publication.</p>")
    parts.append("</div>")
    return "\n".join(parts)


BULLETIN_SECTION = Section("bulletin", "Decisions", 5, render_bulletin,
                           "What the round decided, the risks and what changed")


def tables(context: RoundContext) -> dict[str, pd.DataFrame]:
    """The bulletin's downloadable tables (file name → table)."""
    d = decisions(context)
    moves = [*d.invest, *d.disinvest]
    return {
        "invest_disinvest.csv": pd.DataFrame(
            [{"service_id": mv.service_id, "service": mv.service, "evidence": mv.evidence,
              "spend_2011_12": round(mv.baseline, 2), "spend_2012_13": round(mv.planned, 2),
              "change": round(mv.change, 2),
              "reoffences_avoided": round(mv.reoffences_avoided, 1)} for mv in moves],
            columns=["service_id", "service", "evidence", "spend_2011_12", "spend_2012_13",
                     "change", "reoffences_avoided"]),
        "savings_bridge.csv": pd.DataFrame(
            [{"step": b.label, "kind": b.kind, "amount": round(b.amount, 2)} for b in d.bridge]
            + ([{"step": "Savings in the services", "kind": "savings",
                 "amount": round(d.savings, 2)},
                {"step": "Savings outside the services (NOMS HQ restructuring)",
                 "kind": "savings", "amount": round(d.savings_outside, 2)},
                {"step": "Savings target 2012-13", "kind": "target",
                 "amount": round(d.savings_target or 0.0, 2)}] if d.savings is not None else []),
            columns=["step", "kind", "amount"]),
        "risks.csv": pd.DataFrame([{"kind": r.kind, "risk": r.text, "section": r.link}
                                   for r in d.risks], columns=["kind", "risk", "section"]),
    }
