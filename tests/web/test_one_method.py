"""State changes are service functions the pages and the JSON API both call
(:mod:`commissioning.web.services`): one ``submit_proposal``, one ``recheck``, one
``agree_version``, one ``current_version``, one ``apply_price_schedule``. Each path is run
twice over equal records, once by a page and once by the API, and must call the same function
and leave the same state and audit entries."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from tests.web.conftest import People

from commissioning.web import models as m
from commissioning.web import services

pytestmark = pytest.mark.django_db
SignIn = Callable[[str], Client]
LINE = {
    "service_id": "mentoring", "setting": "community", "offence_group": "acquisitive",
    "risk_tier": "low", "harm": "low", "volume": 10, "unit_price": "100.00",
}


def _spy(monkeypatch: pytest.MonkeyPatch, name: str) -> list[Any]:
    """Record the record of every call of ``services.name`` (the original still runs)."""
    calls: list[Any] = []
    original = getattr(services, name)

    def spied(record: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(record.pk)
        return original(record, *args, **kwargs)

    monkeypatch.setattr(services, name, spied)
    return calls


def _audit_since(seq: int) -> Counter[tuple[str, str]]:
    return Counter(m.AuditEntry.objects.filter(seq__gt=seq).values_list("model", "action"))


def _last_seq() -> int:
    last = m.AuditEntry.objects.order_by("-seq").first()
    return last.seq if last is not None else 0


def test_the_page_and_the_api_add_a_line_and_submit_through_the_same_methods(
    people: People, signed_in: SignIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    rnd = m.CommissioningRound.objects.create(year="2012-13", title="Round", status="open")
    submits = _spy(monkeypatch, "submit_proposal")
    rechecks = _spy(monkeypatch, "recheck")
    client = signed_in("provider")
    states = []
    for via in ("page", "api"):
        proposal = m.Proposal.objects.create(round=rnd, provider=people.orgs["prison"],
                                             title=f"By the {via}")
        before = _last_seq()
        if via == "page":
            form = {k: str(v) for k, v in LINE.items()}
            assert client.post(reverse("proposal-line-add", args=[proposal.pk]),
                               form).status_code == 302
            assert client.post(reverse("proposal-submit", args=[proposal.pk])).status_code == 302
        else:
            added = client.post(f"/api/proposals/{proposal.pk}/lines", json.dumps(LINE),
                                content_type="application/json")
            assert added.status_code == 201, added.content
            assert client.post(f"/api/proposals/{proposal.pk}/submit").status_code == 200
        proposal.refresh_from_db()
        flags = sorted(proposal.flags.values_list("intention", "rule", "detail"))
        states.append((proposal.status, flags, _audit_since(before)))
        # one recheck for the line, one inside the one submit
        assert rechecks.count(proposal.pk) == 2 and submits.count(proposal.pk) == 1
    assert states[0] == states[1]
    assert states[0][0] == "submitted" and states[0][1]  # the low-risk mentoring line is flagged


def test_the_page_and_the_api_agree_a_variation_through_the_same_method(
    people: People, signed_in: SignIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    agrees = _spy(monkeypatch, "agree_version")
    client = signed_in("commissioner")
    states = []
    for via in ("page", "api"):
        contract = m.Contract.objects.create(
            reference=f"SLA-{via}", title="SLA", kind="sla", provider=people.orgs["prison"],
            starts=dt.date(2012, 4, 1), ends=dt.date(2013, 3, 31),
        )
        first = m.ContractVersion.objects.create(
            contract=contract, number=1, status="agreed", annual_operating_price=Decimal("10"))
        draft = m.ContractVersion.objects.create(
            contract=contract, number=2, annual_operating_price=Decimal("12"))
        m.ScheduleLine.objects.create(
            version=draft, service_id="mentoring", setting="custody", offence_group="other",
            risk_tier="medium", harm="low", volume=40, price=Decimal("4000"))
        assert services.current_version(contract) == first
        before = _last_seq()
        reason = "More mentoring places"
        if via == "page":
            answer = client.post(reverse("contract-version-agree", args=[contract.pk, 2]),
                                 {"reason": reason})
            assert answer.status_code == 302
        else:
            answer = client.post(f"/api/contracts/{contract.pk}/versions/2/agree",
                                 json.dumps({"reason": reason}),
                                 content_type="application/json")
            assert answer.status_code == 200, answer.content
            assert answer.json()["current_version"] == 2
        assert agrees == [draft.pk]
        agrees.clear()
        assert services.current_version(contract) == draft
        variation = m.Variation.objects.get(contract=contract)
        states.append((variation.reason, variation.agreed_by_id, _audit_since(before)))
    assert states[0] == states[1]


def test_a_variation_needs_its_reason_in_the_api_as_on_the_page(
    people: People, signed_in: SignIn
) -> None:
    contract = m.Contract.objects.create(
        reference="SLA-R", title="SLA", kind="sla", provider=people.orgs["prison"],
        starts=dt.date(2012, 4, 1), ends=dt.date(2013, 3, 31),
    )
    m.ContractVersion.objects.create(
        contract=contract, number=1, status="agreed", annual_operating_price=Decimal("10"))
    draft = m.ContractVersion.objects.create(
        contract=contract, number=2, annual_operating_price=Decimal("12"))
    client = signed_in("commissioner")
    empty = client.post(f"/api/contracts/{contract.pk}/versions/2/agree", "{}",
                        content_type="application/json")
    assert empty.status_code == 422 and "schedule line" in empty.content.decode()
    m.ScheduleLine.objects.create(
        version=draft, service_id="mentoring", setting="custody", offence_group="other",
        risk_tier="medium", harm="low", volume=40, price=Decimal("4000"))
    unexplained = client.post(f"/api/contracts/{contract.pk}/versions/2/agree", "{}",
                              content_type="application/json")
    assert unexplained.status_code == 422 and "reason" in unexplained.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_the_page_and_the_api_upload_a_price_schedule_through_the_same_method(
    people: People, signed_in: SignIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    rnd = m.CommissioningRound.objects.create(year="2012-13", title="Round", status="open")
    applies = _spy(monkeypatch, "apply_price_schedule")
    rechecks = _spy(monkeypatch, "recheck")
    client = signed_in("provider")
    schedule = (b"service_id,setting,offence_group,risk_tier,harm,volume,unit_price\n"
                b"mentoring,community,acquisitive,low,low,10,100\n"
                b"prison_place,custody,violence,high,medium,2,21000\n")
    states = []
    for via in ("page", "api"):
        proposal = m.Proposal.objects.create(round=rnd, provider=people.orgs["prison"],
                                             title=f"By the {via}")
        m.ProposalLine.objects.create(proposal=proposal, **{**LINE, "offence_group": "sex"})
        before = _last_seq()
        data = {"file": SimpleUploadedFile("prices.csv", schedule), "mode": "replace"}
        if via == "page":
            answer = client.post(reverse("proposal-prices", args=[proposal.pk]), data)
            assert answer.status_code == 302
        else:
            answer = client.post(f"/api/proposals/{proposal.pk}/schedule", data)
            assert answer.status_code == 201, answer.content
        lines = list(proposal.lines.values_list("service_id", "offence_group", "volume"))
        flags = sorted(proposal.flags.values_list("intention", "rule", "detail"))
        states.append((lines, flags, _audit_since(before)))
        assert applies.count(proposal.pk) == 1 and rechecks.count(proposal.pk) == 1
    assert states[0] == states[1]
    assert states[0][0] == [("mentoring", "acquisitive", 10), ("prison_place", "violence", 2)]
    assert states[0][2][("web.ProposalLine", "delete")] == 1
    assert states[0][2][("web.ProposalLine", "create")] == 2
