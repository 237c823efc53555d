"""Downloads of every list (issue 15.5) as CSV (UTF-8 with a byte-order mark) and ODS, through
the ethical walls, each carrying the audit chain's head so a truncated log is detected (15.7)."""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from django.test import Client
from django.urls import reverse
from tests.web.conftest import DEMO_PASSWORD, axe_violations, sign_in_page
from tests.web.test_audit import _tamper
from tests.web.world import World, build_world

from commissioning.web import audit, downloads
from commissioning.web import models as m

pytestmark = pytest.mark.django_db

#: Every download (URL name without the format) and who may ask for it.
LISTS = ("proposal-list-download", "contract-list-download", "schedule-lines-download",
         "assurance-returns-download", "performance-download", "rating-list-download",
         "transparency-figures-download")
#: The lot budget planted in the world: commissioning information.
LOT_BUDGET = Decimal("4321987.65")


@pytest.fixture
def world() -> World:
    world = build_world()
    lot = world.round.add_lot("Resettlement £ services", "London", "custody", LOT_BUDGET)
    m.Proposal.objects.filter(round=world.round).update(lot=lot)
    for c in world.contracts.values():
        version = c.versions.get(number=1)
        m.ScheduleLine.objects.create(version=version, service_id="mentoring", setting="custody",
                                      offence_group="violence", risk_tier="high", volume=12,
                                      price=Decimal("9600"))
    return world


def client_of(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def get_csv(client: Client, name: str, query: str = "") -> tuple[dict[str, str], list[dict[str,
                                                                                          str]]]:
    response = client.get(reverse(f"{name}-csv") + query)
    assert response.status_code == 200, (name, response.status_code)
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf"), name  # Excel needs the BOM for £
    return downloads.read_csv(response.content)


def get_ods(client: Client, name: str) -> dict[str, pd.DataFrame]:
    response = client.get(reverse(f"{name}-ods"))
    assert response.status_code == 200, (name, response.status_code)
    assert response["Content-Type"] == "application/vnd.oasis.opendocument.spreadsheet"
    return pd.read_excel(io.BytesIO(response.content), sheet_name=None, engine="odf",
                         dtype=str)


def test_a_providers_downloads_hold_only_its_own_rows(world: World) -> None:
    provider = client_of(world.users["provider_a"])
    mine = world.orgs["prison_a"].name
    other = world.orgs["trust_b"].name
    for name in LISTS:
        _, rows = get_csv(provider, name)
        assert rows, name
        for row in rows:
            assert other not in row.values(), (name, row)
            if "provider" in row:
                assert row["provider"] == mine, (name, row)
            if "contract_reference" in row:
                assert row["contract_reference"] == "SLA-A", (name, row)
    proposals = {r["title"] for r in get_csv(provider, "proposal-list-download")[1]}
    assert proposals == {"A's bid", "A's draft"}
    # the same through the ODS sheets
    sheets = get_ods(provider, "proposal-list-download")
    assert set(sheets["proposals"]["provider"]) == {mine}


def test_a_commissioning_only_column_never_reaches_a_provider(world: World) -> None:
    commissioner = get_csv(client_of(world.users["commissioner"]), "proposal-list-download")[1]
    assert {r["lot_budget_gbp"] for r in commissioner} == {f"{LOT_BUDGET:f}"}
    assert "award_total_score" in commissioner[0]
    # drafts are the provider's alone: the commissioner's file has the submitted ones only
    assert {r["title"] for r in commissioner} == {"A's bid", "B's bid"}
    for name in ("provider_a", "provider_b", "partner"):
        client = client_of(world.users[name])
        response = client.get(reverse("proposal-list-download-csv"))
        body = response.content.decode("utf-8-sig")
        assert "lot_budget_gbp" not in body and "award_total_score" not in body, name
        assert "4321987" not in body, name
        ods = client.get(reverse("proposal-list-download-ods")).content
        sheets = pd.read_excel(io.BytesIO(ods), sheet_name=None, engine="odf", dtype=str)
        assert "lot_budget_gbp" not in sheets["proposals"].columns, name
        contracts = get_csv(client, "contract-list-download")[1]
        assert all("shared_with" not in r for r in contracts), name
    shared = get_csv(client_of(world.users["contracts"]), "contract-list-download")[1]
    assert {r["contract_reference"]: r["shared_with"] for r in shared} == {
        "SLA-A": "", "CON-B": world.orgs["partner"].name}


def test_the_pound_sign_survives_in_csv_and_ods(world: World) -> None:
    _, rows = get_csv(client_of(world.users["provider_a"]), "proposal-list-download")
    assert {r["lot"] for r in rows} == {"Lot 1: Resettlement £ services, London, custody"}
    sheets = get_ods(client_of(world.users["provider_a"]), "proposal-list-download")
    assert set(sheets["proposals"]["lot"]) == {"Lot 1: Resettlement £ services, London, custody"}
    # numbers are numbers in the spreadsheet
    raw = pd.read_excel(io.BytesIO(client_of(world.users["provider_a"]).get(
        reverse("proposal-list-download-ods")).content), sheet_name="proposals", engine="odf")
    assert raw["annual_price_gbp"].tolist() == [10000.0, 10000.0]


def test_the_public_and_the_partner_get_what_the_walls_give_them(world: World) -> None:
    public = client_of()
    assert {r["contract_reference"] for r in get_csv(public, "contract-list-download")[1]} == {
        "SLA-A"}
    lines = get_csv(public, "schedule-lines-download")[1]
    assert {(r["contract_reference"], r["version_status"]) for r in lines} == {("SLA-A", "Agreed")}
    partner = client_of(world.users["partner"])
    assert {r["contract_reference"] for r in get_csv(partner, "contract-list-download")[1]} == {
        "SLA-A", "CON-B"}
    # the proposals and assurance downloads are behind sign-in and the assurance wall
    assert public.get(reverse("proposal-list-download-csv")).status_code == 302
    assert partner.get(reverse("assurance-returns-download-csv")).status_code == 403
    assert m.AccessDenial.objects.filter(target="AssuranceReturn").exists()
    # ratings: the unpublished one is the commissioning side's (and its provider's) only
    assert {r["organisation"] for r in get_csv(public, "rating-list-download")[1]} == {"HMP A"}


def test_published_performance_withholds_small_cells(world: World) -> None:
    record = m.PerformanceRecord.objects.get(contract=world.contracts["a_published"])
    record.people = 3
    record.save()
    public = get_csv(client_of(), "transparency-figures-download")[1]
    assert [(r["actual"], r["people"], r["standing"]) for r in public] == [("*", "*", "Withheld")]
    own = get_csv(client_of(world.users["provider_a"]), "performance-download")[1]
    assert [(r["actual"], r["people"]) for r in own] == [("0.3", "3")]
    sheets = get_ods(client_of(), "transparency-figures-download")
    assert list(sheets) == ["performance", "ratings", "metadata"]


@pytest.mark.parametrize("name", LISTS)
def test_every_download_carries_the_audit_head_and_detects_truncation(
    world: World, name: str
) -> None:
    client = client_of(world.users["commissioner"])
    meta, _ = get_csv(client, name)
    head = audit.anchor()
    assert meta == {"audit_head_seq": str(head["audit_head_seq"]),
                    "audit_head_hash": head["audit_head_hash"]}
    ods = get_ods(client, name)["metadata"]
    values = dict(zip(ods["key"], ods["value"], strict=True))
    assert values["audit_head_hash"] == head["audit_head_hash"]
    assert values["verify_with"] == f"commission audit verify --expect {head['audit_head_hash']}"
    exported = meta["audit_head_hash"]
    assert audit.verify(expect=exported).ok
    # the newest entries removed: the chain left is valid, but the exported head is not in it
    _tamper("DELETE FROM web_auditentry WHERE seq >= %s", [int(meta["audit_head_seq"]) - 2])
    assert audit.verify().ok
    report = audit.verify(expect=exported)
    assert not report.ok and "truncated" in report.problem


def test_the_ods_file_carries_the_head_in_its_document_metadata(world: World) -> None:
    content = client_of(world.users["auditor"]).get(
        reverse("contract-list-download-ods")).content
    meta = zipfile.ZipFile(io.BytesIO(content)).read("meta.xml").decode()
    head = audit.anchor()["audit_head_hash"]
    assert re.search(rf'meta:name="audit_head_hash"[^>]*>{head}<', meta), meta


def test_each_list_page_links_to_its_downloads(world: World) -> None:
    pages = {
        "commissioner": ("/proposals/?status=submitted", "/contracts/", "/assurance/",
                         "/ratings/"),
    }
    client = client_of(world.users["commissioner"])
    for url in pages["commissioner"]:
        body = client.get(url).content.decode()
        links = re.findall(r'<a class="govuk-link" href="([^"]+\.(?:csv|ods)[^"]*)" download>',
                           body)
        assert len(links) >= 2 and len(links) % 2 == 0, url
        for link in links:
            assert client.get(link.replace("&amp;", "&")).status_code == 200, link
    listed = client.get("/proposals/?status=submitted").content.decode()
    assert "/proposals/download.csv?status=submitted" in listed
    assert "/transparency/performance.ods" in client_of().get("/transparency/").content.decode()


def test_the_list_pages_with_download_links_meet_wcag_22_aa(page: Any, demo: Any) -> None:
    sign_in_page(page, "commissioner", DEMO_PASSWORD)
    for url in ("/proposals/", "/contracts/", "/assurance/", "/ratings/", "/transparency/"):
        page.goto(url)
        assert page.locator(".app-downloads").count() >= 1, url
        assert axe_violations(page) == [], url
