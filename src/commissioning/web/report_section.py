"""Report section 450, "Secure: proposals, contracts and assurance".

Renders the :class:`commissioning.web.step.SecureResult` in ``RoundContext.extras["secure"]``:
what the web workspace holds after the round — proposals and the departures the automatic
check found against each intention, contracts and SLAs with their annual operating prices,
assurance and the audit chain — and how to open it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from commissioning.publish.html import Cell, esc, table
from commissioning.publish.sections import Section

if TYPE_CHECKING:
    from commissioning.publish.context import RoundContext

KIND_LABELS = {
    "commissioner": "Commissioner", "assurance": "Audit and assurance",
    "probation_trust": "Probation trusts", "public_prison": "Public sector prisons",
    "contracted_prison": "Contracted prisons", "voluntary_sector": "Voluntary sector",
    "partner": "Co-commissioning partners",
}


def _money(value: str | None) -> str:
    return "–" if value is None else f"£{Decimal(value) / Decimal(1_000_000):,.1f}M"


def _intention_text(intention_id: str) -> str:
    from commissioning.plan.intentions import load_intentions

    try:
        return load_intentions().get(intention_id).text
    except KeyError:
        return ""


def render_secure(context: RoundContext) -> str:
    result: Any = context.extras.get("secure")
    if result is None:
        return "<p>The secure step did not run in this round.</p>"
    if result.summary is None:
        return f"<p>The web workspace could not be prepared: {esc(result.skipped)}.</p>"
    s = result.summary
    parts = [
        "<p>The round is secured in the web workspace: the commissioner publishes the "
        "intentions, providers answer with proposals, the commissioner evaluates and awards, "
        "and the result becomes an SLA or contract assured through the year — behind ethical "
        "walls, every change in a hash-chained audit log. Open it with "
        f"<code>commission serve --workspace {esc(result.workspace)}</code>.</p>",
        "<p>This is the demonstration workspace: the demo accounts and their password are in "
        "<code>web/demo-accounts.txt</code>, readable by its owner only. Organisations are the "
        "real trusts, prisons and partners; proposals, prices, contracts and assurance are "
        "synthetic.</p>"
        if s.get("demo", True)
        else "<p>The figures below are this workspace's own records: its people are added "
        "with <code>manage.py add_person</code> (see docs/web.md).</p>",
    ]
    parts.append(table(
        ["Organisations", ("Number", True)],
        [[Cell(KIND_LABELS.get(k, k), header=True), Cell(f"{n:,}", True)]
         for k, n in s["organisations"].items()],
        caption="Organisations in the workspace",
    ))
    proposals = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in s["proposals"].items())
    rounds = "; ".join(f"{r['year']}: {r['status']}" for r in s["rounds"])
    parts.append(f"<p>Rounds: {esc(rounds)}. Proposals: {esc(proposals or 'none')}. "
                 f"Awards: {s['awards']}.</p>")
    if s["flags"]:
        parts.append(table(
            ["Intention", "What it asks", ("Proposals", True), ("Departures", True),
             ("With a rationale", True)],
            [[Cell(k.capitalize(), header=True), Cell(_intention_text(k)),
              Cell(str(v["proposals"]), True), Cell(str(v["flags"]), True),
              Cell(str(v["with_rationale"]), True)] for k, v in s["flags"].items()],
            caption="Departures from the intentions found by the automatic check of "
                    "submitted proposals",
        ))
    else:
        parts.append("<p>The automatic check found no departure from the intentions in the "
                     "submitted proposals.</p>")
    parts.append(table(
        ["Reference", "Provider", "Kind", ("Version", True), ("Annual operating price", True),
         "Published"],
        [[Cell(c["reference"], header=True), Cell(c["provider"]), Cell(c["kind"]),
          Cell(str(c["version"] or "–"), True), Cell(_money(c["annual_operating_price"]), True),
          Cell("yes" if c["published"] else "no")] for c in s["contracts"]],
        caption=f"Contracts and SLAs (current agreed versions: "
                f"{_money(s['contracts_total_price'])} a year in all)",
    ))
    a = s["assurance"]
    returns = ", ".join(f"{k.lower()} {v}" for k, v in a["returns"].items() if v)
    parts.append(
        f"<p>Assurance on {esc(s['as_of'])}: quarterly returns — {esc(returns or 'none')}; "
        f"{a['open_action_plans']} open action plan(s); {a['audits_limited_or_none']} external "
        f"audit(s) with limited or no assurance; {a['high_risks']} high risk(s) on the "
        "registers.</p>"
    )
    chain = s["audit"]
    state = "verified" if chain["ok"] else f"BROKEN ({esc(chain['problem'])})"
    parts.append(
        f"<p>Audit trail: {chain['entries']:,} entries, chain {state}; head entry "
        f"{chain['head_seq']} with hash <code>{esc(chain['head_hash'])}"
        "</code>. This report anchors that head: <code>commission audit verify --expect "
        "HASH</code> recomputes the chain and fails if the entry is gone, so removing the "
        "newest entries is detected as well as editing any.</p>"
    )
    return "\n".join(parts)


SECTION = Section("secure", "Secure: proposals, contracts and assurance", 450, render_secure)
