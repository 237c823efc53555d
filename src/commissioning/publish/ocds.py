"""Open contracting: a round's tender, awards and contracts as OCDS 1.1 release packages.

Pure: it takes plain records (:class:`Round`, :class:`Party`, :class:`Award`,
:class:`Contract`) and returns the JSON-ready release package; reading the web workspace's
database is ``commissioning.web.ocds_export`` (the core never imports the web).

One contracting process per commissioning round (``ocid`` = prefix + round year). Its release
carries the tender (the round, its period and status), and — only after award — the tenderers
(the organisations that submitted proposals, by name: organisations, not people), the awards
(supplier, value from the awarded proposal's priced lines, date) and the contracts (period,
annual value of the current agreed version, items: volumes per service). Personal data is left
out: no person's name, account or e-mail, no evaluator, score or free-text reasons, and any
volume of 1 to ``threshold - 1`` places is withheld (``publish.disclosure``).

Schema: OCDS 1.1 release package (``uri``, ``version``, ``publishedDate``, ``publisher``,
``releases``); each release has ``ocid``, ``id``, ``date``, ``tag``, ``initiationType`` and
uses only core fields and closed codelists (``tenderStatus``, ``awardStatus``,
``contractStatus``, ``partyRole``, ``releaseTag``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

OCDS_VERSION = "1.1"
CURRENCY = "GBP"
#: Round statuses (web) → OCDS tender status (closed codelist tenderStatus).
TENDER_STATUS = {"open": "active", "closed": "complete", "awarded": "complete",
                 "draft": "planning"}
#: Contract kinds of the web → OCDS: both are contracts, told apart by title.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


@dataclass(frozen=True)
class Party:
    """An organisation (never a person)."""

    id: str
    name: str
    region: str = ""
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Line:
    """A volume of one service (places), priced or not."""

    service_id: str
    service: str
    volume: int
    value: float | None = None


@dataclass(frozen=True)
class Award:
    id: str
    supplier: Party
    date: dt.datetime
    value: float
    lines: tuple[Line, ...] = ()


@dataclass(frozen=True)
class Amendment:
    """A variation of an agreed contract: when it was agreed, why, and what it changed (never
    who agreed it)."""

    id: str
    date: dt.datetime
    rationale: str
    description: str


@dataclass(frozen=True)
class Contract:
    id: str
    title: str
    supplier: Party
    starts: dt.date
    ends: dt.date
    value: float | None
    #: When the first version was agreed (a variation does not re-sign the contract).
    signed: dt.datetime | None
    award_id: str | None = None
    lines: tuple[Line, ...] = ()
    amendments: tuple[Amendment, ...] = ()


@dataclass(frozen=True)
class Round:
    year: str
    title: str
    summary: str
    status: str
    opens: dt.date | None
    closes: dt.date | None
    updated: dt.datetime
    #: "selective" for a round's competition; "direct" for an agreement outside any round.
    method: str = "selective"
    tenderers: tuple[Party, ...] = ()
    awards: tuple[Award, ...] = ()
    contracts: tuple[Contract, ...] = ()


@dataclass(frozen=True)
class Publisher:
    name: str
    uri: str
    ocid_prefix: str
    buyer: Party
    small_cell: int = 5
    notes: list[str] = field(default_factory=list)
    #: Where the publication policy (:data:`PUBLICATION_POLICY`) is published: OCDS wants a
    #: URI here, not the text.
    policy_uri: str = ""


#: What the package withholds and when it is published (served at the publisher's
#: ``policy_uri``).
PUBLICATION_POLICY = (
    "Personal data is not published: organisations only, no person's name, account or contact "
    "details, no evaluation scores or notes; volumes of fewer places than the small-cell "
    "threshold are withheld. Tenderers and awards are published after award.")


def _iso(value: dt.date | dt.datetime) -> str:
    if isinstance(value, dt.datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return stamp.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC).isoformat().replace(
        "+00:00", "Z")


def scrub(text: str) -> str:
    """Text with e-mail addresses removed (free text never carries contact details)."""
    return _EMAIL.sub("[withheld]", " ".join(str(text).split()))


def _value(amount: float | None) -> dict[str, Any] | None:
    return None if amount is None else {"amount": round(float(amount), 2), "currency": CURRENCY}


def _items(lines: Sequence[Line], threshold: int, prefix: str) -> list[dict[str, Any]]:
    from commissioning.publish.disclosure import is_small

    if not lines:
        return []
    volumes = pd.Series([ln.volume for ln in lines], dtype="int64")
    small = is_small(volumes, threshold)
    items = []
    for i, (ln, withheld) in enumerate(zip(lines, small, strict=True)):
        item: dict[str, Any] = {
            "id": f"{prefix}-{i + 1}",
            "description": ln.service,
            "classification": {"scheme": "x_commissioning_catalogue", "id": ln.service_id,
                               "description": ln.service},
            "unit": {"name": "place"},
        }
        if not withheld:
            item["quantity"] = int(ln.volume)
        items.append(item)
    return items


def _party(p: Party, roles: Iterable[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": p.id, "name": p.name, "roles": sorted(set(roles))}
    if p.region:
        out["address"] = {"region": p.region, "countryName": "United Kingdom"}
    return out


def release(rnd: Round, publisher: Publisher) -> dict[str, Any]:
    """The release of one round: tender, and after award its tenderers, awards and contracts."""
    ocid = f"{publisher.ocid_prefix}-{rnd.year}"
    awarded = rnd.status == "awarded"
    roles: dict[str, tuple[Party, set[str]]] = {publisher.buyer.id: (publisher.buyer,
                                                                      {"buyer", "procuringEntity"})}
    tender: dict[str, Any] = {
        "id": f"{ocid}-tender",
        "title": scrub(rnd.title),
        "description": scrub(rnd.summary) or scrub(rnd.title),
        "status": TENDER_STATUS.get(rnd.status, "planning"),
        "procuringEntity": {"id": publisher.buyer.id, "name": publisher.buyer.name},
        "procurementMethod": rnd.method,
        "procurementMethodDetails": (
            "Strategic Commissioning Round: proposals from providers answering the published "
            "commissioning intentions" if rnd.method != "direct" else
            "Agreement with an existing provider outside a commissioning round"),
        "mainProcurementCategory": "services",
    }
    if rnd.opens or rnd.closes:
        period: dict[str, str] = {}
        if rnd.opens:
            period["startDate"] = _iso(rnd.opens)
        if rnd.closes:
            period["endDate"] = _iso(rnd.closes)
        tender["tenderPeriod"] = period
    tags = ["tender"]
    out: dict[str, Any] = {
        "ocid": ocid,
        "id": f"{ocid}-{_iso(rnd.updated)}",
        "date": _iso(rnd.updated),
        "tag": tags,
        "initiationType": "tender",
        "language": "en",
        "buyer": {"id": publisher.buyer.id, "name": publisher.buyer.name},
        "tender": tender,
    }
    if awarded:
        tender["numberOfTenderers"] = len(rnd.tenderers)
        tender["tenderers"] = [{"id": p.id, "name": p.name} for p in rnd.tenderers]
        for p in rnd.tenderers:
            roles.setdefault(p.id, (p, set()))[1].add("tenderer")
        awards = []
        for a in rnd.awards:
            roles.setdefault(a.supplier.id, (a.supplier, set()))[1].add("supplier")
            award: dict[str, Any] = {
                "id": a.id, "title": f"Award to {a.supplier.name}", "status": "active",
                "date": _iso(a.date), "value": _value(a.value),
                "suppliers": [{"id": a.supplier.id, "name": a.supplier.name}],
            }
            items = _items(a.lines, publisher.small_cell, a.id)
            if items:
                award["items"] = items
            awards.append(award)
        if awards:
            out["awards"] = awards
            tags.append("award")
    contracts = []
    for c in rnd.contracts:
        roles.setdefault(c.supplier.id, (c.supplier, set()))[1].add("supplier")
        contract: dict[str, Any] = {
            "id": c.id, "awardID": c.award_id or f"{ocid}-direct-{c.id}",
            "title": scrub(c.title), "status": "active",
            "period": {"startDate": _iso(c.starts), "endDate": _iso(c.ends)},
        }
        if c.value is not None:
            contract["value"] = _value(c.value)
        if c.signed is not None:
            contract["dateSigned"] = _iso(c.signed)
        items = _items(c.lines, publisher.small_cell, c.id)
        if items:
            contract["items"] = items
        if c.amendments:
            contract["amendments"] = [
                {"id": a.id, "date": _iso(a.date), "rationale": scrub(a.rationale),
                 "description": scrub(a.description)} for a in c.amendments]
        contracts.append(contract)
        if c.award_id is None:
            # A contract or SLA with no competitive award in the data (an existing provider's
            # refreshed agreement): a direct award, so awardID points at a real award.
            out.setdefault("awards", []).append({
                "id": contract["awardID"], "title": f"Agreement with {c.supplier.name}",
                "status": "active", "suppliers": [{"id": c.supplier.id,
                                                   "name": c.supplier.name}],
                **({"value": _value(c.value)} if c.value is not None else {}),
            })
            if "award" not in tags:
                tags.append("award")
    if contracts:
        out["contracts"] = contracts
        tags.append("contract")
        if any("amendments" in c for c in contracts):
            tags.append("contractAmendment")
    out["parties"] = [_party(p, r) for p, r in roles.values()]
    return out


def release_package(rounds: Sequence[Round], publisher: Publisher,
                    published: dt.datetime) -> dict[str, Any]:
    """An OCDS 1.1 release package of every round (releases sorted by ocid)."""
    releases = sorted((release(r, publisher) for r in rounds), key=lambda r: str(r["ocid"]))
    return {
        "uri": publisher.uri,
        "version": OCDS_VERSION,
        "publishedDate": _iso(published),
        "publisher": {"name": publisher.name},
        "license": "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
        **({"publicationPolicy": publisher.policy_uri} if publisher.policy_uri else {}),
        "releases": releases,
    }


def contracts_table(package: dict[str, Any]) -> pd.DataFrame:
    """One row per contract of the package (the transparency page's CSV)."""
    rows = []
    for rel in package.get("releases", []):
        suppliers = {a["id"]: a.get("suppliers", []) for a in rel.get("awards", [])}
        for c in rel.get("contracts", []):
            sup = suppliers.get(c.get("awardID"), [])
            rows.append({
                "ocid": rel["ocid"], "contract_id": c["id"], "title": c.get("title", ""),
                "supplier": "; ".join(s["name"] for s in sup),
                "start": c.get("period", {}).get("startDate", "")[:10],
                "end": c.get("period", {}).get("endDate", "")[:10],
                "annual_value_gbp": c.get("value", {}).get("amount"),
                "date_signed": (c.get("dateSigned") or "")[:10],
                "variations": len(c.get("amendments", [])),
                "last_varied": max((a["date"] for a in c.get("amendments", [])),
                                   default="")[:10],
            })
    return pd.DataFrame(rows, columns=["ocid", "contract_id", "title", "supplier", "start", "end",
                                       "annual_value_gbp", "date_signed", "variations",
                                       "last_varied"])
