"""The JSON API under the same walls as the pages: what each caller gets, what is refused (403
with a detail), what is hidden (404), and what is invalid (422)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from tests.web.conftest import People
from tests.web.contract_world import Contracts, build_contracts

from commissioning.web import models as m

pytestmark = pytest.mark.django_db

SignIn = Callable[[str], Client]
LINE = {
    "service_id": "thinking_skills_programme",
    "setting": "custody",
    "offence_group": "violence",
    "risk_tier": "high",
    "harm": "medium",
    "volume": 20,
    "unit_price": "1500.00",
}


@pytest.fixture
def contracts(people: People) -> Contracts:
    return build_contracts(people.orgs)


@pytest.fixture
def open_round(db: None) -> m.CommissioningRound:
    return m.CommissioningRound.objects.create(year="2013-14", title="Round", status="open")


def post(client: Client, url: str, body: dict[str, Any], method: str = "post") -> Any:
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def test_the_public_reads_published_contracts_without_signing_in(contracts: Contracts) -> None:
    listing = Client().get("/api/contracts").json()
    assert [c["reference"] for c in listing["items"]] == ["SLA-EXA"]
    assert Client().get(f"/api/contracts/{contracts.contract.pk}").status_code == 404
    assert Client().get("/api/proposals").status_code == 401


def test_published_performance_withholds_small_cells_for_everyone_but_insiders(
    contracts: Contracts, signed_in: SignIn
) -> None:
    public = Client().get(f"/api/transparency/contracts/{contracts.sla.pk}").json()
    shown = {p["period"]: (p["actual"], p["people"], p["standing"]) for p in public["performance"]}
    assert shown == {
        "2012-Q1": ("0.361", "200", "Target not met"),
        "2012-Q2": ("*", "*", "Withheld"),
    }
    # The transparency endpoint answers as the public whoever asks.
    same = signed_in("commissioner").get(f"/api/transparency/contracts/{contracts.sla.pk}")
    assert same.json()["performance"] == public["performance"]
    own = signed_in("provider").get(f"/api/contracts/{contracts.sla.pk}").json()
    assert {p["actual"] for p in own["performance"]} == {"0.361", "0.352"}
    assert own["schedule"][0]["volume"] == 300
    assert own["annual_operating_price"] == "1000000.00"


def test_a_provider_writes_its_own_proposal_and_lines_then_submits_it(
    people: People, open_round: m.CommissioningRound, signed_in: SignIn
) -> None:
    client = signed_in("provider")
    created = post(client, "/api/proposals", {"round_id": open_round.pk, "title": "Our bid"})
    assert created.status_code == 201
    pk = created.json()["id"]
    proposal = m.Proposal.objects.get(pk=pk)
    assert (proposal.provider, proposal.status) == (people.orgs["prison"], "draft")

    empty = client.post(f"/api/proposals/{pk}/submit")
    assert empty.status_code == 422
    assert empty.json()["detail"][0]["msg"] == (
        "Add at least one service before you submit the proposal"
    )

    line = post(client, f"/api/proposals/{pk}/lines", LINE)
    assert line.status_code == 201
    assert line.json()["price"] == "30000.00"
    patched = post(client, f"/api/proposals/{pk}", {"delivery_approach": "In house"}, "patch")
    assert patched.json()["delivery_approach"] == "In house"
    submitted = client.post(f"/api/proposals/{pk}/submit")
    assert submitted.status_code == 200
    assert submitted.json()["status"] == "submitted"
    assert client.get(f"/api/proposals/{pk}/flags").status_code == 200

    late = post(client, f"/api/proposals/{pk}", {"title": "Changed"}, "patch")
    assert late.status_code == 403
    assert late.json()["detail"] == "the proposal is no longer a draft or the round is not open"
    assert m.Proposal.objects.get(pk=pk).title == "Our bid"


def test_another_providers_proposal_is_404_and_the_refusal_is_recorded(
    people: People, open_round: m.CommissioningRound, signed_in: SignIn
) -> None:
    theirs = m.Proposal.objects.create(
        round=open_round, provider=people.orgs["trust"], title="Trust's draft"
    )
    client = signed_in("provider")
    assert client.get(f"/api/proposals/{theirs.pk}").status_code == 404
    assert post(client, f"/api/proposals/{theirs.pk}/lines", LINE).status_code == 404
    assert m.AccessDenial.objects.filter(username="provider").count() == 2
    assert not theirs.lines.exists()
    assert client.get("/api/proposals").json()["count"] == 0


@pytest.mark.parametrize("name", ["auditor", "commissioner", "partner"])
def test_only_providers_write_proposals(
    open_round: m.CommissioningRound, signed_in: SignIn, name: str
) -> None:
    refused = post(signed_in(name), "/api/proposals", {"round_id": open_round.pk, "title": "X"})
    assert refused.status_code == 403
    assert refused.json()["detail"]
    assert not m.Proposal.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {**LINE, "volume": 0},
        {**LINE, "setting": "moon"},
        {**LINE, "unit_price": "-1"},
        {**LINE, "service_id": "no_such_service"},
        {**LINE, "rationale": "nul\x00byte"},
    ],
)
def test_invalid_lines_are_refused_with_422_and_change_nothing(
    people: People, open_round: m.CommissioningRound, signed_in: SignIn, body: dict[str, Any]
) -> None:
    proposal = m.Proposal.objects.create(
        round=open_round, provider=people.orgs["prison"], title="Draft"
    )
    response = post(signed_in("provider"), f"/api/proposals/{proposal.pk}/lines", body)
    assert response.status_code == 422
    assert not proposal.lines.exists()


def test_ids_too_large_for_the_database_are_invalid_not_errors(signed_in: SignIn) -> None:
    assert signed_in("provider").get(f"/api/proposals/{2**63}").status_code == 422


def test_unsafe_methods_need_the_csrf_token(
    people: People, open_round: m.CommissioningRound
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.users["provider"])
    refused = post(client, "/api/proposals", {"round_id": open_round.pk, "title": "X"})
    assert refused.status_code == 403
    assert refused.json() == {"detail": "CSRF check Failed"}


def test_a_provider_submits_an_assurance_return_for_its_own_contract_only(
    contracts: Contracts, signed_in: SignIn
) -> None:
    body = {"kind": "self_audit", "period": "2012-q2", "statement": "Checked", "compliant": True}
    own = post(signed_in("provider"), f"/api/contracts/{contracts.sla.pk}/returns", body)
    assert own.status_code == 201
    assert own.json()["period"] == "2012-Q2"
    other = post(signed_in("provider"), f"/api/contracts/{contracts.contract.pk}/returns", body)
    assert other.status_code == 404
    manager = post(
        signed_in("contract_manager"), f"/api/contracts/{contracts.sla.pk}/returns", body
    )
    assert manager.status_code == 403
    bad = post(
        signed_in("provider"),
        f"/api/contracts/{contracts.sla.pk}/returns",
        {**body, "period": "Q2"},
    )
    assert bad.status_code == 422
    assert m.AssuranceReturn.objects.count() == 1


def test_the_audit_chain_status_is_for_the_commissioning_side(
    contracts: Contracts, signed_in: SignIn
) -> None:
    status = signed_in("auditor").get("/api/audit/status")
    assert status.status_code == 200
    assert status.json()["ok"] is True
    assert status.json()["entries"] == m.AuditEntry.objects.count() > 0
    assert signed_in("provider").get("/api/audit/status").status_code == 403


def test_the_openapi_document_lists_every_operation() -> None:
    paths = Client().get("/api/openapi.json").json()["paths"]
    assert {
        "/api/rounds",
        "/api/proposals",
        "/api/proposals/{proposal_id}/submit",
        "/api/proposals/{proposal_id}/lines",
        "/api/proposals/{proposal_id}/flags",
        "/api/contracts/{contract_id}",
        "/api/contracts/{contract_id}/returns",
        "/api/ratings",
        "/api/transparency/contracts",
        "/api/audit/status",
    } <= set(paths)
