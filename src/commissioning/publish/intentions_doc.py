"""The Commissioning Intentions document, generated from a round's data and parameters.

The seed document's structure — introduction; need and demand for services with Tables 1 and 2;
the evidence summary; the 38 commissioning intentions (co-commissioned, community, custodial)
each with its rationale; what providers must show; Annex A, equality impact — written from the
workspace's round (:class:`commissioning.publish.context.RoundContext`): the profiles (already
small-cell suppressed), the evidence ratings, the demand projections, the plan and its verdict on
each intention, the co-commissioning partners (``plan/pathways.yaml``) and the equality screen.

HTML is one self-contained file; the PDF is A4, rendered by WeasyPrint from the same HTML with
a print stylesheet (page numbers, running header, no page break inside a table row).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

from commissioning.publish.context import RoundContext
from commissioning.publish.decisions import Decisions, decisions, service_moves
from commissioning.publish.html import SUPPRESSED, is_missing
from commissioning.publish.vocabulary import (
    EVIDENCE,
    INTENTION_GROUPS,
    INTENTION_KINDS,
    OFFENCE_GROUPS,
    RISK_TIERS,
    label,
    need,
    service,
)

HTML_NAME = "commissioning-intentions.html"
PDF_NAME = "commissioning-intentions.pdf"
#: Needs per offence group in Tables 1-2 (the document lists the six most common).
TOP_NEEDS = 6
SETTING_TITLES = {"community": "Table 1 Offenders in the Community",
                  "custody": "Table 2 Offenders in Custody"}


@dataclass
class Document:
    """What the template renders (built by :func:`document`)."""

    title: str
    when: dt.date
    generated_at: str
    software: str
    synthetic: bool
    intro: list[str]
    demand: list[str]
    need_tables: list[dict[str, Any]]
    evidence: list[dict[str, Any]]
    summary: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    providers: list[str]
    pathways: list[dict[str, Any]]
    pathways_note: str
    equality: dict[str, Any] | None
    inputs: list[dict[str, Any]] = field(default_factory=list)
    parameters: list[dict[str, Any]] = field(default_factory=list)


def _pct(value: Any) -> str:
    if is_missing(value):
        return SUPPRESSED
    return f"{float(value):.0f}%"


def _m(value: float | None) -> str:
    if value is None:
        return "–"
    sign = "−" if value < 0 else ""
    return f"{sign}£{abs(value) / 1e6:,.1f}M"


def _people(context: RoundContext, setting: str, group: str | None = None) -> int | None:
    """People assessed, from the round's unsuppressed counts; None when the total is itself
    a small cell (``publish.disclosure``) or cannot be known."""
    from commissioning.publish.disclosure import is_small_count

    try:
        n = context.people(setting=setting, offence_group=group)
    except ValueError:
        return None
    threshold = int(context.parameters.value("disclosure.small_cell_threshold", context.when))
    return None if is_small_count(n, threshold) else n


def need_tables(context: RoundContext) -> list[dict[str, Any]]:
    """Tables 1 and 2 in the document's layout: per offence group its six most common needs,
    then per risk tier the share of the group, the share under 25 and the share female."""
    risk, needs = context.risk_profile, context.need_profile
    out = []
    for setting in ("community", "custody"):
        r = risk[risk["setting"] == setting]
        if not len(r):
            continue
        groups = []
        for group in OFFENCE_GROUPS:
            rg = r[r["offence_group"] == group]
            if not len(rg):
                continue
            ng = needs[(needs["setting"] == setting) & (needs["offence_group"] == group)].copy()
            ng["p"] = pd.to_numeric(ng["prevalence_pct"], errors="coerce")
            ng = ng.sort_values("p", ascending=False, na_position="last").head(TOP_NEEDS)
            tiers = [{"tier": label(str(t["risk_tier"]), "risk_tier"),
                      "share": _pct(t["share_pct"]), "under_25": _pct(t["under_25_pct"]),
                      "female": _pct(t["female_pct"])} for t in rg.to_dict("records")]
            total = _people(context, setting, group)
            groups.append({
                "group": OFFENCE_GROUPS[group],
                "needs": [f"{need(str(n['need']))} ({_pct(n['prevalence_pct'])})"
                          for n in ng.to_dict("records")],
                "tiers": tiers,
                "offenders": "*" if total is None else f"{total:,}",
            })
        out.append({"setting": setting, "title": SETTING_TITLES[setting], "groups": groups})
    return out


def _evidence_lists(context: RoundContext) -> list[dict[str, Any]]:
    ev = context.extras.get("evidence")
    ratings = getattr(ev, "ratings", None)
    catalogue = getattr(ev, "catalogue", None)
    if catalogue is None:
        from commissioning.evidence.catalogue import load_catalogue

        catalogue = load_catalogue()
    category = {i.id: i.category for i in catalogue}
    if ratings:
        category.update({r.intervention_id: r.category for r in ratings})
    out = []
    for code in ("best_evidence", "promising", "no_effect", "not_evaluated"):
        names = sorted(service(s) for s, c in category.items() if c == code)
        out.append({"category": EVIDENCE[code], "code": code, "services": names})
    return out


def _demand(context: RoundContext) -> list[str]:
    from commissioning.plan.inputs import demand_growth_from_forecasts

    demand = context.extras.get("demand")
    community = getattr(demand, "community", None)
    prison = getattr(demand, "prison", None)
    frames = [f for f in (getattr(community, "history", None),
                          getattr(community, "forecast", None)) if f is not None]
    try:
        growth = demand_growth_from_forecasts(
            pd.concat(frames, ignore_index=True) if frames else None,
            getattr(prison, "projection", None))
    except (KeyError, ValueError, TypeError):
        growth = {}
    out = []
    if "community" in growth:
        out.append(f"Community sentence and licence starts are projected to change by "
                   f"{growth['community']:+.1%} from 2011-12 to 2012-13 (central forecast of the "
                   "demand step, chosen by backtest).")
    if "custody" in growth:
        out.append(f"The mean prison population is projected to change by "
                   f"{growth['custody']:+.1%} from 2011-12 to 2012-13 (central projection).")
    if not out:
        out.append("No demand projection ran in this round; the plan used the parameter "
                   "plan.statutory_demand_growth.")
    return out


def _verdicts(context: RoundContext) -> dict[str, Any]:
    plan = getattr(context.extras.get("plan"), "plan", None)
    return {v.id: v for v in (getattr(plan, "intentions", None) or [])}


def _rationale(intention: Any, verdict: Any, moves: pd.DataFrame,
               ratings: dict[str, str]) -> list[str]:
    """Why the intention stands, from the data: its services' evidence and planned change, and
    whether the plan meets it."""
    lines = []
    for sid in intention.services:
        row = moves[moves["service_id"] == sid]
        evidence = EVIDENCE.get(ratings.get(sid, ""), "not rated")
        if len(row):
            r = row.iloc[0]
            lines.append(f"{service(sid)} — evidence: {evidence.lower()}; spend "
                         f"{_m(float(r['baseline_spend']))} in 2011-12, "
                         f"{_m(float(r['planned_spend']))} planned "
                         f"({_m(float(r['spend_change']))}).")
        else:
            lines.append(f"{service(sid)} — evidence: {evidence.lower()}; not in the "
                         "services the plan prices.")
    return lines


def _groups(context: RoundContext, d: Decisions) -> tuple[list[dict[str, Any]],
                                                         list[dict[str, Any]]]:
    from commissioning.plan.intentions import load_intentions
    from commissioning.publish.pathways import load_pathways

    intentions = load_intentions()
    verdicts = _verdicts(context)
    plan = getattr(context.extras.get("plan"), "plan", None)
    moves = service_moves(plan)
    ev = context.extras.get("evidence")
    ratings = {r.intervention_id: r.category for r in (getattr(ev, "ratings", None) or [])}
    if not ratings:
        from commissioning.evidence.catalogue import load_catalogue

        ratings = {i.id: i.category for i in load_catalogue()}
    pathways = load_pathways(partner_names=_partner_names(context))
    threshold = (f"the medium/high threshold of "
                 f"{int(context.policy.value('risk.medium_high_threshold'))}%")
    summary, groups = [], []
    for group, title in INTENTION_GROUPS.items():
        items = []
        for i in [x for x in intentions if x.group == group]:
            v = verdicts.get(i.id)
            status = ("holds" if v.holds else "does not hold") if v is not None and \
                v.holds is not None else "not checked"
            detail = (v.detail if v is not None and v.holds is not None
                      else (i.not_checked or "no machine check"))
            item = {
                "number": i.number, "text": i.text, "kind": INTENTION_KINDS.get(i.kind, i.kind),
                "status": status,
                # a sentence of its own before "Segment: …"; parameter names read as prose
                "detail": detail if detail.rstrip().endswith((".", "!", "?")) else f"{detail}.",
                "segments": (i.segments or "").replace("risk.medium_high_threshold", threshold),
                "rationale": _rationale(i, v, moves, ratings),
                "partners": [], "outcomes": [], "source": None,
            }
            co = pathways.co_commissioning.get(i.number) if group == "co_commissioning" else None
            if co is not None:
                item["partners"] = [{
                    "partner": p.partner, "resource": p.resource,
                    "amount": "not stated in the document" if p.amount is None else
                    (_m(p.amount) + (f" of {_m(p.of_total)}" if p.of_total else "")),
                    "volume": p.volume or ""} for p in co.partners]
                item["outcomes"] = list(co.shared_outcomes)
                item["source"] = co.source
            items.append(item)
            summary.append({"group": title, "number": i.number, "text": i.text,
                            "status": status})
        groups.append({"id": group, "title": title, "intentions": items})
    return summary, groups


def _partner_names(context: RoundContext) -> dict[str, str]:
    if context.workspace is None:
        return {}
    path = Path(context.workspace) / "inputs" / "partners.parquet"
    if not path.exists():
        return {}
    frame = pd.read_parquet(path, columns=["partner_id", "name"])
    return dict(zip(frame["partner_id"].astype(str), frame["name"].astype(str), strict=True))


def _pathways(context: RoundContext) -> tuple[list[dict[str, Any]], str]:
    from commissioning.evidence.catalogue import load_catalogue
    from commissioning.publish.pathways import load_pathways, suggest_pathways

    plan = getattr(context.extras.get("plan"), "plan", None)
    portfolio = getattr(plan, "portfolio", None)
    sentences = getattr(context.extras.get("equality"), "sentences", None)
    if portfolio is None or not len(portfolio):
        return [], "No plan in this round: no pathways suggested."
    durations = {i.id: i.duration_days for i in load_catalogue()}
    frame = suggest_pathways(load_pathways(), portfolio,
                             sentences if isinstance(sentences, pd.DataFrame)
                             else pd.DataFrame(), durations)
    note = ("The services the plan funds for each segment (not those rated no effect), in the "
            "document's sequence — stabilise, motivate, reduce risk, reintegrate (“Intermediate "
            "outcomes”) — with the catalogue's prerequisites. A stage lasts as long as its "
            "longest service (catalogue durations); stages follow one another and a stage that "
            "would end after the segment's median sentence is left out"
            + ("." if isinstance(sentences, pd.DataFrame) else
               " — no sentence lengths in this round, so nothing is left out."))
    rows = []
    for r in frame.sort_values(["setting", "offence_group", "risk_tier"]).to_dict("records"):
        rows.append({
            "segment": f"{label(r['setting'], 'setting')} · "
                       f"{OFFENCE_GROUPS.get(r['offence_group'], r['offence_group'])} · "
                       f"{RISK_TIERS.get(r['risk_tier'], r['risk_tier'])}",
            "bound": "–" if r["median_sentence_days"] is None or pd.isna(r["median_sentence_days"])
            else f"{r['median_sentence_days']:,.0f} days",
            "stages": r["stages"], "days": f"{r['days_counted']:,.0f}",
            "left": r["does_not_fit"] or "–",
        })
    return rows, note


def _equality(context: RoundContext) -> dict[str, Any] | None:
    step = context.extras.get("equality")
    result = getattr(step, "result", None)
    if result is None:
        return None
    rows = []
    for r in result.table.to_dict("records"):
        sup = bool(r["suppressed"])

        def f(key: str, digits: int = 1, rec: dict[str, Any] = r, s: bool = sup) -> str:
            value = rec[key]
            return SUPPRESSED if s or is_missing(value) else f"{float(value):.{digits}f}"

        rows.append({
            "characteristic": label(r["characteristic"], "characteristic"),
            "group": label(r["group"], "value"),
            "population": f("population_share_pct"), "baseline": f("baseline_share_pct"),
            "planned": f("planned_share_pct"), "withdrawn": f("loss_share_pct"),
            "ratio": f"{f('ratio_vs_baseline', 2)} ({f('ratio_vs_baseline_low', 2)}–"
                     f"{f('ratio_vs_baseline_high', 2)})",
            "adverse": "Yes" if r["adverse"] else ("–" if r["group"] == "unknown" or sup
                                                   else "No"),
        })
    return {"threshold": result.threshold, "rows": rows,
            "screening": list(result.screening.values()),
            "adverse": int(result.table["adverse"].sum()), "draws": result.draws,
            "small": result.small_cell}


def document(context: RoundContext) -> Document:
    """Everything the document says, from the round."""
    d = decisions(context)
    community, custody = _people(context, "community"), _people(context, "custody")
    plan = getattr(context.extras.get("plan"), "plan", None)
    synthetic = any("synthetic" in (f.description or "") for f in context.inputs)
    intro = [
        f"This document sets out the commissioning intentions for {context.title.split()[-1]}: "
        "what service outcomes are to be bought in custody, in the community and by aligning "
        "resources with other commissioners, and why. It is generated from the round's data: "
        f"{'*' if community is None else f'{community:,}'} community and "
        f"{'*' if custody is None else f'{custody:,}'} custody assessments, the evidence "
        "ratings of "
        "the intervention catalogue, the demand projections and the plan, with the policy "
        f"parameters in force on {context.when.isoformat()}.",
    ]
    if plan is not None:
        intro.append(
            f"Services in scope cost {_m(float(plan.baseline_spend))} in 2011-12. The savings "
            f"target is {_m(d.savings_target)}, of which {_m(d.savings_outside)} is to come from "
            f"outside the services (NOMS HQ); the plan spends {_m(plan.planned_spend)}, saving "
            f"{_m(d.savings)} in the services.")
    intro.append("Providers and stakeholders are invited to comment on the intentions and on "
                 "the equality questions in Annex A.")
    summary, groups = _groups(context, d)
    pathway_rows, pathway_note = _pathways(context)
    key = ("plan.savings_target", "plan.savings_outside_portfolio", "risk.medium_high_threshold",
           "disclosure.small_cell_threshold", "review.equality_adverse_ratio")
    params = [{"name": p.name, "value": str(p.value), "unit": p.unit, "since": p.since.isoformat()}
              for p in context.parameters.in_force(context.when) if p.name in key]
    return Document(
        title=f"Commissioning Intentions {context.title.split()[-1]}",
        when=context.when, generated_at=context.generated_at.isoformat(),
        software=context.software_version, synthetic=synthetic, intro=intro,
        demand=_demand(context), need_tables=need_tables(context),
        evidence=_evidence_lists(context), summary=summary, groups=groups,
        providers=PROVIDERS_MUST_SHOW, pathways=pathway_rows, pathways_note=pathway_note,
        equality=_equality(context),
        inputs=[{"name": f.name, "rows": f.rows, "sha": f.sha256[:12]} for f in context.inputs],
        parameters=params,
    )


#: What providers set out in their proposals (the document, "Commissioning Intentions
#: 2012-13" and "Evidence Based Commissioning"); checked by the secure step's proposal checks.
PROVIDERS_MUST_SHOW: list[str] = [
    "A profile of their own offender population by the same segmentation (setting, offence "
    "group and risk tier, with needs), uploaded with the proposal.",
    "The services they propose per segment, with volumes and prices.",
    "The rationale for each delivery choice, particularly where it departs from the evidence "
    "summarised here.",
    "Where evidence is lacking: a clear description of the service and who it is for, a "
    "plausible rationale for why it should work, a strategy for gathering evidence, and "
    "particular caution with high risk or high harm offenders.",
    "Proposals for sub-contracting, local commissioning and co-commissioning.",
    "How the proposal meets the planning assumptions: the savings target, the minimum "
    "service specifications, and the performance and assurance regime.",
]


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("commissioning.publish", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
    )


def render_html(context: RoundContext) -> str:
    css = resources.files("commissioning.publish").joinpath(
        "templates", "intentions.css").read_text(encoding="utf-8")
    return _environment().get_template("intentions.html.j2").render(
        doc=document(context), stylesheet=Markup(css))


def render_pdf(html: str) -> Any:
    """Lay the document's HTML out on A4 pages with WeasyPrint (a ``weasyprint.Document``:
    its ``pages`` and ``make_bookmark_tree()`` are what tests and ``write_pdf`` use)."""
    import logging

    from weasyprint import HTML  # type: ignore[import-untyped]

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return HTML(string=html).render()


def write_pdf(html: str, out: Path) -> Path:
    """Render the document's HTML to an A4 PDF with WeasyPrint."""
    render_pdf(html).write_pdf(out)
    return out


def build_intentions(context: RoundContext, folder: Path, pdf: bool = True) -> list[Path]:
    """Write ``commissioning-intentions.html`` (and ``.pdf``) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    html = render_html(context)
    path = folder / HTML_NAME
    path.write_text(html, encoding="utf-8")
    written = [path]
    if pdf:
        written.append(write_pdf(html, folder / PDF_NAME))
    return written
