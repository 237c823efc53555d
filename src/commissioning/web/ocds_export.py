"""Read the web workspace's rounds, proposals, awards and contracts for open contracting.

A thin reader: it turns Django records into the plain records of
:mod:`commissioning.publish.ocds` (which builds the OCDS 1.1 release package) and serves the
transparency page's downloads (``transparency/ocds.json``, ``transparency/contracts.csv``).

What is published is what the public may see (:func:`commissioning.web.walls.visible` with the
public viewer): rounds once out of draft; contracts their commissioner published, with their
current agreed version and its schedule. One publication rule is added: **after award** (the
round's status is *awarded*), the round's tenderers (organisations with a submitted proposal)
and its awards (supplier, date, the awarded proposal's priced lines) are published, as OCDS
expects — never the proposals' contents, scores, notes, reasons or who decided.

Every export carries the audit chain's head (:func:`commissioning.web.audit.anchor`), so that a
log truncated after publication is detected (``commission audit verify --expect HASH``): the
package in its documented extra field ``auditChainHead`` (``{"sequence", "hash", "verify"}``;
OCDS allows additional fields), the CSV in its first line, a comment.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from commissioning.publish import disclosure, ocds
from commissioning.web import audit, services, walls
from commissioning.web import models as m
from commissioning.web.downloads import CONTENT_TYPES, csv_bytes
from commissioning.web.downloads import Export as Download
from commissioning.web.policy import parameters, reporting_date


def _names() -> dict[str, str]:
    from commissioning.publish.vocabulary import service_labels

    return service_labels()


def _party(org: m.Organisation) -> ocds.Party:
    ident = f"GB-COMMISSIONING-{org.pk}"
    return ocds.Party(ident, org.name, org.region or "")


def _lines(rows: Any, names: dict[str, str], priced: bool) -> tuple[ocds.Line, ...]:
    volume: dict[str, int] = defaultdict(int)
    value: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        volume[row.service_id] += int(row.volume)
        if priced:
            value[row.service_id] += Decimal(row.volume) * Decimal(row.unit_price)
    return tuple(ocds.Line(sid, names.get(sid, sid), volume[sid],
                           float(value[sid]) if priced else None) for sid in sorted(volume))


def publisher(uri: str, when: dt.date, policy_uri: str = "") -> ocds.Publisher:
    """The publisher and the small-cell threshold under the workspace's policy on ``when``."""
    params = parameters()
    settings = params.value("publish.ocds", when)
    threshold = disclosure.small_cell_threshold(params.at(when))
    buyer = ocds.Party(str(settings["buyer_id"]), str(settings["buyer_name"]))
    return ocds.Publisher(name=str(settings["publisher"]), uri=uri,
                          ocid_prefix=str(settings["ocid_prefix"]), buyer=buyer,
                          small_cell=threshold, policy_uri=policy_uri)


def amendments(c: m.Contract) -> tuple[ocds.Amendment, ...]:
    """The contract's variations, oldest first: the date the new version was agreed, the
    reason given, and what changed in the published terms (price and volumes)."""
    out = []
    for v in (c.variations.select_related("from_version", "to_version")
              .order_by("to_version__number")):
        before, after = v.from_version, v.to_version
        changes = [f"version {before.number} to version {after.number}"]
        if before.annual_operating_price != after.annual_operating_price:
            changes.append(f"annual operating price £{before.annual_operating_price:,.2f} to "
                           f"£{after.annual_operating_price:,.2f}")
        old_volume = sum(int(x.volume) for x in before.lines.all())
        new_volume = sum(int(x.volume) for x in after.lines.all())
        if old_volume != new_volume:
            changes.append(f"places in the schedule {old_volume:,} to {new_volume:,}")
        out.append(ocds.Amendment(
            id=f"{c.reference}-v{after.number}",
            date=after.agreed_at or v.agreed_at, rationale=v.reason,
            description="Variation: " + "; ".join(changes)))
    return tuple(out)


def _contract(c: m.Contract, names: dict[str, str]) -> ocds.Contract:
    current = services.current_version(c)
    lines = _lines(current.lines.all(), names, priced=False) if current else ()
    first = (c.versions.filter(status=m.ContractVersion.Status.AGREED)
             .order_by("number").first())
    award_id = None
    proposal = c.proposal
    if proposal is not None and hasattr(proposal, "award"):
        award_id = f"award-{proposal.award.pk}"
    return ocds.Contract(
        id=c.reference, title=f"{c.get_kind_display()}: {c.title}", supplier=_party(c.provider),
        starts=c.starts, ends=c.ends,
        value=float(current.annual_operating_price) if current else None,
        signed=first.agreed_at if first else None, award_id=award_id, lines=lines,
        amendments=amendments(c))


def rounds() -> list[ocds.Round]:
    """Every publishable round (and every published contract outside a round) as plain
    records."""
    public = walls.viewer_of(None)
    names = _names()
    contracts = list(walls.visible(public, m.Contract).select_related("provider", "proposal"))
    out = []
    for rnd in walls.visible(public, m.CommissioningRound):
        tenderers: list[ocds.Party] = []
        awards: list[ocds.Award] = []
        if rnd.status == m.CommissioningRound.Status.AWARDED:
            submitted = (m.Proposal.objects.filter(round=rnd)
                         .exclude(status__in=[m.Proposal.Status.DRAFT,
                                              m.Proposal.Status.WITHDRAWN])
                         .select_related("provider"))
            seen: set[int] = set()
            for p in submitted:
                if p.provider_id not in seen:
                    seen.add(p.provider_id)
                    tenderers.append(_party(p.provider))
            for award in m.Award.objects.filter(proposal__round=rnd).select_related(
                    "proposal", "proposal__provider"):
                lines = _lines(award.proposal.lines.all(), names, priced=True)
                awards.append(ocds.Award(
                    id=f"award-{award.pk}", supplier=_party(award.proposal.provider),
                    date=award.decided_at, value=sum(ln.value or 0.0 for ln in lines),
                    lines=lines))
        mine = [_contract(c, names) for c in contracts if c.round_id == rnd.pk]
        stamps = ([a.date for a in awards] + [c.signed for c in mine if c.signed]
                  + [a.date for c in mine for a in c.amendments])
        updated = max(stamps) if stamps else dt.datetime.combine(
            rnd.opens or rnd.starts, dt.time(), tzinfo=dt.UTC)
        out.append(ocds.Round(
            year=rnd.year, title=rnd.title, summary=rnd.summary, status=rnd.status,
            opens=rnd.opens, closes=rnd.closes, updated=updated,
            tenderers=tuple(tenderers), awards=tuple(awards), contracts=tuple(mine)))
    for c in contracts:
        if c.round_id is None:
            record = _contract(c, names)
            out.append(ocds.Round(
                year=f"agreement-{c.reference}", title=c.title,
                summary="Agreement outside a commissioning round", status="awarded",
                opens=None, closes=None,
                updated=max([record.signed, *(a.date for a in record.amendments)])
                if record.signed else dt.datetime.combine(c.starts, dt.time(), tzinfo=dt.UTC),
                method="direct", contracts=(record,)))
    return out


def package(uri: str, now: dt.datetime | None = None,
            policy_uri: str | None = None) -> dict[str, Any]:
    """The OCDS 1.1 release package of everything publishable in the workspace; ``uri`` is
    where the package is published, ``policy_uri`` where its publication policy is (default:
    the transparency pages' ``publication-policy/`` beside the package)."""
    now = now or timezone.now()
    # as at the workspace's reporting date, as every page and the report; a workspace with no
    # round and no contract has no figure to withhold, only the publisher's name to read
    when = reporting_date() or now.date()
    policy = policy_uri if policy_uri is not None else urljoin(uri, "publication-policy/")
    data = ocds.release_package(rounds(), publisher(uri, when, policy), now)
    data[HEAD_FIELD] = audit_head()
    return data


#: The package's field holding the audit chain's head when it was published.
HEAD_FIELD = "auditChainHead"


def audit_head() -> dict[str, Any]:
    """The audit head as the package publishes it: ``sequence``, ``hash`` and the command that
    checks the workspace's log still holds it."""
    head = audit.anchor()
    return {"sequence": head["audit_head_seq"], "hash": head["audit_head_hash"],
            "verify": f"commission audit verify --expect {head['audit_head_hash']}"}


def contracts_csv_bytes(data: dict[str, Any]) -> bytes:
    """The package's contracts as CSV (UTF-8 with a byte-order mark, so Excel shows £ and
    accented names as they are), its first line the audit head the package carries."""
    table = ocds.contracts_table(data)
    rows = [[None if _missing(v) else v for v in row]
            for row in table.itertuples(index=False, name=None)]
    head = data[HEAD_FIELD]
    meta = [("audit_head_seq", str(head["sequence"])), ("audit_head_hash", str(head["hash"])),
            ("verify_with", str(head["verify"])), ("exported_at", str(data["publishedDate"])),
            ("exported_for", "public")]
    return csv_bytes(Download("contracts", [str(c) for c in table.columns], rows, meta))


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def write_export(folder: Path) -> list[Path]:
    """``release-package.json``, ``contracts.csv`` and the ``publication-policy.txt`` the
    package points at, into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "release-package.json"
    policy = folder / "publication-policy.txt"
    policy.write_text(ocds.PUBLICATION_POLICY + "\n", encoding="utf-8")
    data = package(path.resolve().as_uri(), policy_uri=policy.resolve().as_uri())
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    table = folder / "contracts.csv"
    table.write_bytes(contracts_csv_bytes(data))
    return [path, table, policy]


@require_http_methods(["GET"])
def publication_policy(request: HttpRequest) -> HttpResponse:
    """The page the OCDS package's ``publicationPolicy`` points at."""
    return render(request, "web/public/publication_policy.html",
                  {"policy": ocds.PUBLICATION_POLICY})


@require_http_methods(["GET"])
def ocds_json(request: HttpRequest) -> HttpResponse:
    """The transparency page's OCDS download."""
    response = JsonResponse(package(request.build_absolute_uri()),
                            json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = 'attachment; filename="release-package.json"'
    return response


@require_http_methods(["GET"])
def contracts_csv(request: HttpRequest) -> HttpResponse:
    """The transparency page's CSV download: one row per published contract (UTF-8 with a
    byte-order mark; the first line the audit head)."""
    data = package(request.build_absolute_uri())
    response = HttpResponse(contracts_csv_bytes(data), content_type=CONTENT_TYPES["csv"])
    response["Content-Disposition"] = 'attachment; filename="contracts.csv"'
    return response
