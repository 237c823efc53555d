"""What the web workspace holds, summarised for the round's report (the *secure* step).

Run as ``python -m commissioning.web.round_summary WORKSPACE OUT.json``: prepares the
workspace's web database (migrations, demo organisations and people on the first run), then
writes counts — organisations, proposals and the intentions check's flags, competition,
contracts and SLAs, assurance, ratings — and the audit chain's state. Only aggregates leave the
database: no evaluator notes, scores, prices of individual bids or budget envelopes.

It runs in its own process so that the round (which may itself run inside a Django test
process) never shares Django's global settings with the web workspace.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any


def summarise(on: dt.date) -> dict[str, Any]:
    """Aggregates of the workspace's records on ``on`` (Django must be set up)."""
    from django.db.models import Count

    from commissioning.secure.assurance import ReturnState, return_status
    from commissioning.web import audit, services
    from commissioning.web import models as m
    from commissioning.web.policy import high_risk_score

    orgs = Counter(m.Organisation.objects.values_list("kind", flat=True))
    rounds = [
        {"year": r.year, "title": r.title, "status": r.get_status_display(),
         "proposals": r.n}
        for r in m.CommissioningRound.objects.annotate(n=Count("proposals")).order_by("-year")
    ]
    proposals = Counter(m.Proposal.objects.values_list("status", flat=True))
    flags: dict[str, dict[str, int]] = {}
    for f in m.ProposalFlag.objects.exclude(proposal__status=m.Proposal.Status.DRAFT):
        row = flags.setdefault(f.intention, {"flags": 0, "with_rationale": 0, "proposals": 0})
        row["flags"] += 1
        row["with_rationale"] += int(f.rationale_given)
    for intention, n in (
        m.ProposalFlag.objects.exclude(proposal__status=m.Proposal.Status.DRAFT)
        .order_by().values_list("intention").annotate(n=Count("proposal", distinct=True))
    ):
        flags[intention]["proposals"] = n
    contracts: list[dict[str, Any]] = []
    total = Decimal(0)
    returns: Counter[str] = Counter()
    for c in m.Contract.objects.select_related("provider").order_by("reference"):
        current = services.current_version(c)
        contracts.append({
            "reference": c.reference, "kind": c.get_kind_display(), "provider": c.provider.name,
            "published": c.published, "version": current.number if current else None,
            "annual_operating_price": str(current.annual_operating_price) if current else None,
        })
        total += current.annual_operating_price if current else Decimal(0)
        received = c.assurance_returns.values_list("period", flat=True)
        returns[str(return_status(c.starts, c.ends, received, on).state)] += 1
    chain = audit.verify()
    return {
        "as_of": on.isoformat(),
        "organisations": dict(sorted(orgs.items())),
        "people": m.Membership.objects.count(),
        "rounds": rounds,
        "proposals": dict(sorted(proposals.items())),
        "flags": dict(sorted(flags.items())),
        "awards": m.Award.objects.count(),
        "contracts": contracts,
        "contracts_total_price": str(total),
        "assurance": {
            "returns": {str(s): returns.get(str(s), 0) for s in ReturnState},
            "open_action_plans": m.ActionPlan.objects.filter(status="open").count(),
            "audits_limited_or_none": m.ExternalAudit.objects.filter(
                opinion__in=("limited", "none")).count(),
            "high_risks": sum(1 for r in m.RiskEntry.objects.all()
                              if r.score >= high_risk_score(on)),
        },
        "ratings": dict(sorted(Counter(
            m.Rating.objects.values_list("level", flat=True)).items())),
        "audit": {"entries": chain.entries, "ok": chain.ok, "head_seq": chain.head_seq,
                  "head_hash": chain.head_hash, "problem": chain.problem},
    }


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python -m commissioning.web.round_summary WORKSPACE OUT.json "
              "[ON=YYYY-MM-DD]", file=sys.stderr)
        return 2
    workspace, out = Path(argv[0]), Path(argv[1])
    on = dt.date.fromisoformat(argv[2])
    from commissioning.web.setup import holds_real_data, prepare

    accounts = prepare(workspace)
    summary = summarise(on)
    summary["accounts_file"] = str(accounts)
    summary["demo"] = not holds_real_data(workspace)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
