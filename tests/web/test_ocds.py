"""Open contracting data: the OCDS 1.1 release package of rounds, awards and contracts, and the
transparency page's downloads (issue 13)."""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.test import Client
from world import World, build_world

from commissioning.web import models as m
from commissioning.web.ocds_export import package

#: Closed codelists of OCDS 1.1 (the standard's schema/codelists) for the fields we publish.
TENDER_STATUS = {"planning", "planned", "active", "cancelled", "unsuccessful", "complete",
                 "withdrawn"}
AWARD_STATUS = {"pending", "active", "cancelled", "unsuccessful"}
CONTRACT_STATUS = {"pending", "active", "cancelled", "terminated"}
RELEASE_TAG = {"planning", "planningUpdate", "tender", "tenderAmendment", "tenderUpdate",
               "tenderCancellation", "award", "awardUpdate", "awardCancellation", "contract",
               "contractUpdate", "contractAmendment", "implementation", "implementationUpdate",
               "contractTermination", "compiled"}
METHOD = {"open", "selective", "limited", "direct"}


def awarded_world() -> World:
    """The small world with its round awarded to A, A's contract from the award, and a
    schedule with one small (3 places) and one large (40 places) line."""
    world = build_world()
    rnd = world.round
    rnd.status = m.CommissioningRound.Status.AWARDED
    rnd.opens, rnd.closes = dt.date(2011, 11, 1), dt.date(2011, 12, 9)
    rnd.save()
    winner = world.proposals["a_submitted"]
    winner.status = m.Proposal.Status.AWARDED
    winner.save()
    m.Award.objects.create(proposal=winner, reasons="Best value; spoke to j.bloggs@example.org",
                           total_score=Decimal("71.5"), decided_by=world.users["commissioner"])
    contract = world.contracts["a_published"]
    contract.round, contract.proposal = rnd, winner
    contract.save()
    version = contract.versions.get(number=1)
    version.agreed_at = dt.datetime(2012, 2, 28, 17, 0, tzinfo=dt.UTC)
    version.save()
    for service, volume in (("mentoring", 3), ("thinking_skills_programme", 40)):
        m.ScheduleLine.objects.create(version=version, service_id=service, setting="custody",
                                      offence_group="violence", risk_tier="high", volume=volume,
                                      price=Decimal("1000"))
    return world


def check_structure(data: dict[str, Any]) -> None:
    """The package's required fields and closed codelists (OCDS 1.1), checked here so a
    failure names the field."""
    for key in ("uri", "version", "publishedDate", "publisher", "releases"):
        assert key in data, key
    assert data["version"] == "1.1" and data["publisher"]["name"]
    for rel in data["releases"]:
        for key in ("ocid", "id", "date", "tag", "initiationType"):
            assert key in rel, key
        assert rel["ocid"].startswith("ocds-") and len(rel["ocid"].split("-")[1]) == 6
        assert rel["initiationType"] == "tender" and set(rel["tag"]) <= RELEASE_TAG
        assert rel["tender"]["status"] in TENDER_STATUS
        assert rel["tender"]["procurementMethod"] in METHOD
        award_ids = {a["id"] for a in rel.get("awards", [])}
        for a in rel.get("awards", []):
            assert a["status"] in AWARD_STATUS
            assert all(s["id"] in {p["id"] for p in rel["parties"]} for s in a["suppliers"])
        for c in rel.get("contracts", []):
            assert c["status"] in CONTRACT_STATUS and c["awardID"] in award_ids
        dt.datetime.fromisoformat(rel["date"].replace("Z", "+00:00"))


def test_an_awarded_round_publishes_tenderers_awards_and_contracts(db: None) -> None:
    world = awarded_world()
    data = package("https://example.org/transparency/ocds.json")
    check_structure(data)
    rnd = next(r for r in data["releases"] if r["ocid"].endswith("-2012-13"))
    assert rnd["tag"] == ["tender", "award", "contract"]
    # tenderers: organisations that submitted, not A's draft twice, not the public's business
    assert sorted(t["name"] for t in rnd["tender"]["tenderers"]) == ["HMP A", "Trust B"]
    assert rnd["tender"]["numberOfTenderers"] == 2
    assert rnd["tender"]["tenderPeriod"]["endDate"] == "2011-12-09T00:00:00Z"
    (award,) = [a for a in rnd["awards"] if a["title"].startswith("Award to")]
    assert award["suppliers"][0]["name"] == "HMP A"
    assert award["value"] == {"amount": 10000.0, "currency": "GBP"}  # 10 places × £1,000
    (contract,) = rnd["contracts"]
    assert contract["awardID"] == award["id"]
    assert contract["value"]["amount"] == 1_000_000.0  # the agreed version, not the draft
    assert contract["dateSigned"] == "2012-02-28T17:00:00Z"
    items = {i["classification"]["id"]: i for i in contract["items"]}
    assert items["thinking_skills_programme"]["quantity"] == 40
    assert "quantity" not in items["mentoring"]  # 3 places: a small cell, withheld
    assert items["mentoring"]["description"] == "Mentoring"
    # unpublished contracts never appear; no person, score or reasons
    text = json.dumps(data)
    assert "CON-B" not in text
    values: list[str] = []

    def strings(node: Any) -> None:
        if isinstance(node, dict):
            for v in node.values():
                strings(v)
        elif isinstance(node, list):
            for v in node:
                strings(v)
        elif isinstance(node, str):
            values.append(node)

    strings(data)
    for user in world.users.values():
        assert not any(user.username in v.split() for v in values), user.username
    assert "@" not in text and "71.5" not in text and "Best value" not in text
    parties = {p["name"]: set(p["roles"]) for p in rnd["parties"]}
    assert parties["HMP A"] == {"tenderer", "supplier"}
    assert parties["Trust B"] == {"tenderer"}


def test_before_award_only_the_tender_is_published(db: None) -> None:
    world = build_world()
    data = package("https://example.org/transparency/ocds.json")
    check_structure(data)
    rnd = next(r for r in data["releases"] if r["ocid"].endswith("-2012-13"))
    assert rnd["tender"]["status"] == "active"
    assert "tenderers" not in rnd["tender"]
    assert not [a for a in rnd.get("awards", []) if a["title"].startswith("Award to")]
    # the published SLA outside any round is a direct agreement of its own
    direct = [r for r in data["releases"] if r["tender"]["procurementMethod"] == "direct"]
    assert [r["contracts"][0]["id"] for r in direct] == ["SLA-A"]
    assert world.contracts["b_shared"].reference not in json.dumps(data)


def test_the_transparency_page_offers_csv_and_ocds_downloads(db: None) -> None:
    awarded_world()
    client = Client()
    page = client.get("/transparency/").content.decode()
    assert 'href="/transparency/ocds.json"' in page and 'href="/transparency/contracts.csv"' in page
    ocds = client.get("/transparency/ocds.json")
    assert ocds.status_code == 200 and ocds["Content-Type"].startswith("application/json")
    data = ocds.json()
    check_structure(data)
    assert data["uri"] == "http://testserver/transparency/ocds.json"
    # the policy is a page (OCDS: publicationPolicy is a URI), linked from the transparency page
    assert data["publicationPolicy"] == "http://testserver/transparency/publication-policy/"
    assert 'href="/transparency/publication-policy/"' in page
    policy = client.get("/transparency/publication-policy/").content.decode()
    assert "Personal data is not published" in policy
    csv = client.get("/transparency/contracts.csv")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    assert csv.content.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads UTF-8 (£)
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("# audit chain head: entry ")  # the anchor, then the table
    assert lines[1].startswith("ocid,contract_id,title,supplier")
    assert any("SLA-A" in line and "HMP A" in line for line in lines[1:])
    assert not any("CON-B" in line for line in lines)


def test_the_transparency_page_shows_variations_and_withholds_what_ocds_withholds(
    db: None,
) -> None:
    from html import unescape

    world = varied_world()
    page = unescape(Client().get("/transparency/").content.decode())
    text = " ".join(page.split())
    # the variation, as the package publishes it: date, what changed, the reason (no e-mail)
    assert "SLA-A, agreed 20 March 2012" in text
    assert ("Variation: version 1 to version 2; annual operating price £1,000,000.00 to "
            "£1,012,000.00; places in the schedule 43 to 55.") in text
    assert "Reason: Twelve more places for medium risk; agreed with [withheld]" in text
    assert "@" not in text and world.users["commissioner"].username not in text.split()
    # version 2's volumes: mentoring 3 places is withheld there as in the package's items
    assert "Mentoring: *" in text and "Thinking skills" in text
    assert "Mentoring: 3" not in text
    assert "* withheld: a volume of fewer than 5 places" in text
    # the CSV download says how often and when each contract was varied
    rows = Client().get("/transparency/contracts.csv").content.decode("utf-8-sig").splitlines()
    header = rows[1].split(",")
    assert header[-2:] == ["variations", "last_varied"]
    (varied,) = [r for r in rows[2:] if ",SLA-A," in r]
    assert varied.endswith(",1,2012-03-20")
    assert "is shown as <strong>*</strong>" in page
    assert "Some figures below are withheld" in text


def test_ocdskit_reads_the_package(db: None, tmp_path: Path) -> None:
    from ocdskit.combine import combine_release_packages
    from ocdskit.util import detect_format

    awarded_world()
    data = package("https://example.org/transparency/ocds.json")
    path = tmp_path / "package.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert detect_format(str(path))[0] == "release package"
    combined = combine_release_packages([data, data])
    assert len(combined["releases"]) == 2 * len(data["releases"])


#: A copy of the OCDS standard at 1__1__5 (a ZIP of the standard repository): when unset, the
#: test builds one from the schemas in tests/fixtures/ocds (see its README.md).
STANDARD = os.environ.get("OCDS_STANDARD_ZIP", "")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ocds"


def _closed_codelists(schema: Any) -> dict[str, list[str]]:
    """Each closed codelist's codes, as the release schema's own ``enum`` gives them."""
    found: dict[str, list[str]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "codelist" in node and node.get("openCodelist") is False:
                enum = node.get("enum") or (node.get("items") or {}).get("enum") or []
                found[str(node["codelist"])] = [str(c) for c in enum if c is not None]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return found


def standard_zip(folder: Path) -> Path:
    """A ZIP laid out as the standard's repository at 1__1__5 (what libcoveocds reads)."""
    import csv
    import io
    import zipfile

    release = (FIXTURES / "release-schema-1__1__5.json").read_text(encoding="utf-8")
    package_schema = (FIXTURES / "release-package-schema-1__1__5.json").read_text("utf-8")
    path = folder / "standard-1__1__5.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("standard-1__1__5/", "")
        z.writestr("standard-1__1__5/schema/release-schema.json", release)
        z.writestr("standard-1__1__5/schema/release-package-schema.json", package_schema)
        z.writestr("standard-1__1__5/schema/versioned-release-validation-schema.json",
                   (FIXTURES / "versioned-release-validation-schema-1__1__5.json").read_text(
                       "utf-8"))
        for name, codes in _closed_codelists(json.loads(release)).items():
            text = io.StringIO()
            writer = csv.writer(text, lineterminator="\n")
            writer.writerow(["Code", "Title", "Description"])
            writer.writerows([code, code, ""] for code in codes)
            z.writestr(f"standard-1__1__5/schema/codelists/{name}", text.getvalue())
    return path


def test_the_closed_codelists_come_from_the_schema() -> None:
    schema = json.loads((FIXTURES / "release-schema-1__1__5.json").read_text("utf-8"))
    closed = _closed_codelists(schema)
    assert set(closed["awardStatus.csv"]) == AWARD_STATUS
    assert set(closed["contractStatus.csv"]) == CONTRACT_STATUS
    assert set(closed["method.csv"]) == METHOD
    assert set(closed["releaseTag.csv"]) <= RELEASE_TAG
    assert "documentType.csv" not in closed  # open


def varied_world() -> World:
    """The awarded world with A's contract varied once: version 2 agreed on 20 March 2012 at
    a higher price and with 12 more places, for a reason that names a person's e-mail."""
    from commissioning.web import services

    world = awarded_world()
    contract = world.contracts["a_published"]
    open_draft, created = services.draft_variation(contract)
    assert not created and open_draft.number == 2  # the world's own draft is still open
    open_draft.delete()
    draft, created = services.draft_variation(contract)
    assert created and draft.number == 2
    assert draft.lines.count() == 2  # copied from version 1
    draft.annual_operating_price = Decimal("1012000")
    draft.save()
    m.ScheduleLine.objects.create(version=draft, service_id="thinking_skills_programme",
                                  setting="custody", offence_group="violence",
                                  risk_tier="medium", volume=12, price=Decimal("12000"))
    services.agree_version(draft, world.users["commissioner"],
                           "Twelve more places for medium risk; agreed with j.bloggs@example.org",
                           at=dt.datetime(2012, 3, 20, 15, 0, tzinfo=dt.UTC))
    return world


def test_a_variation_is_published_as_a_contract_amendment(db: None) -> None:
    world = varied_world()
    data = package("https://example.org/transparency/ocds.json")
    check_structure(data)
    rnd = next(r for r in data["releases"] if r["ocid"].endswith("-2012-13"))
    assert rnd["tag"] == ["tender", "award", "contract", "contractAmendment"]
    assert rnd["date"] >= "2012-03-20T15:00:00Z"  # never older than its newest change
    (contract,) = rnd["contracts"]
    assert contract["dateSigned"] == "2012-02-28T17:00:00Z"  # signed once, at version 1
    assert contract["value"]["amount"] == 1_012_000.0  # the varied price
    quantities = {i["classification"]["id"]: i.get("quantity") for i in contract["items"]}
    assert quantities["thinking_skills_programme"] == 52
    (amendment,) = contract["amendments"]
    assert amendment["id"] == "SLA-A-v2"
    assert amendment["date"] == "2012-03-20T15:00:00Z"
    assert amendment["rationale"] == (
        "Twelve more places for medium risk; agreed with [withheld]")
    assert amendment["description"] == (
        "Variation: version 1 to version 2; annual operating price £1,000,000.00 to "
        "£1,012,000.00; places in the schedule 43 to 55")
    assert world.users["commissioner"].username not in json.dumps(amendment)


def test_a_varied_agreement_outside_a_round_is_dated_by_its_variation(db: None) -> None:
    from commissioning.web import services

    world = build_world()
    contract = world.contracts["a_published"]
    assert contract.round is None
    contract.versions.get(number=2).delete()  # the world's open draft
    first = contract.versions.get(number=1)
    first.agreed_at = dt.datetime(2012, 2, 28, 17, 0, tzinfo=dt.UTC)
    first.save()
    m.ScheduleLine.objects.create(version=first, service_id="mentoring", setting="community",
                                  offence_group="acquisitive", risk_tier="low", volume=30,
                                  price=Decimal("9000"))
    draft, _ = services.draft_variation(contract)
    services.agree_version(draft, world.users["contracts"], "Price review",
                           at=dt.datetime(2012, 9, 1, 9, 0, tzinfo=dt.UTC))
    data = package("https://example.org/transparency/ocds.json")
    check_structure(data)
    (rel,) = [r for r in data["releases"] if r["ocid"].endswith("-agreement-SLA-A")]
    assert rel["date"] == "2012-09-01T09:00:00Z"
    assert rel["tag"] == ["tender", "award", "contract", "contractAmendment"]
    (c,) = rel["contracts"]
    assert c["dateSigned"] == "2012-02-28T17:00:00Z"
    # nothing changed but the version: the description says only that
    assert c["amendments"][0]["description"] == "Variation: version 1 to version 2"


def test_libcoveocds_finds_no_validation_error(db: None, tmp_path: Path) -> None:
    """The official OCDS validator, with every additional check (on a package with a
    contract amendment too)."""
    from libcoveocds.api import ocds_json_output
    from libcoveocds.config import LibCoveOCDSConfig

    varied_world()
    data = package("https://example.org/transparency/ocds.json")
    assert data["releases"][0]["contracts"][0]["amendments"]
    zipped = Path(STANDARD) if STANDARD else standard_zip(tmp_path)
    config = LibCoveOCDSConfig({"standard_zip": zipped.resolve().as_uri(), "context": "api"})
    result = ocds_json_output(str(tmp_path), json_data=data, schema_version="1.1",
                              lib_cove_ocds_config=config)
    assert result["validation_errors"] == []
    assert not result.get("additional_closed_codelist_values")


def test_every_web_export_carries_the_audit_head_and_a_truncation_is_found(
    db: None, tmp_path: Path
) -> None:
    """The OCDS package (its documented field ``auditChainHead``) and the CSV (its first line)
    carry the audit chain's head; once the newest entries are removed, the exported hash is
    no longer in the chain and ``verify(expect=...)`` fails."""
    from tests.web.test_audit import _tamper

    from commissioning.web import audit, downloads
    from commissioning.web.ocds_export import write_export

    awarded_world()
    client = Client()
    data = client.get("/transparency/ocds.json").json()
    head = audit.anchor()
    assert data["auditChainHead"] == {
        "sequence": head["audit_head_seq"], "hash": head["audit_head_hash"],
        "verify": f"commission audit verify --expect {head['audit_head_hash']}"}
    check_structure(data)
    meta, rows = downloads.read_csv(client.get("/transparency/contracts.csv").content)
    assert meta == {"audit_head_seq": str(head["audit_head_seq"]),
                    "audit_head_hash": head["audit_head_hash"]}
    assert [r["contract_id"] for r in rows] == ["SLA-A"]
    # the files `commission publish ocds` writes carry it too
    package_file, csv_file, policy_file = write_export(tmp_path)
    written = json.loads(package_file.read_text())
    assert written["publicationPolicy"] == policy_file.resolve().as_uri()
    assert "Personal data is not published" in policy_file.read_text()
    published = written["auditChainHead"]["hash"]
    assert published == head["audit_head_hash"]
    assert downloads.read_csv(csv_file.read_bytes())[0]["audit_head_hash"] == published
    exported = data["auditChainHead"]["hash"]
    assert audit.verify(expect=exported).ok
    _tamper("DELETE FROM web_auditentry WHERE seq > %s", [head["audit_head_seq"] - 3])
    assert audit.verify().ok  # a shorter chain is still a valid chain ...
    report = audit.verify(expect=exported)  # ... but not the one that was published
    assert not report.ok and "truncated" in report.problem
    assert f"ends at entry {head['audit_head_seq'] - 3}" in report.problem
