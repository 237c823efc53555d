"""Assurance through the year as a specification: quarterly returns due and overdue, results
against targets, the risk register, external audits, ratings — and who may do what."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from tests.web.conftest import People, date_input
from tests.web.contract_world import Contracts, build_contracts

from commissioning.secure.assurance import (
    Quarter,
    ReturnState,
    Standing,
    return_status,
    standing,
)
from commissioning.web import models as m

SignIn = Callable[[str], Client]
TERM = (dt.date(2012, 4, 1), dt.date(2013, 3, 31))


def test_quarters_are_of_the_financial_year_and_returns_are_due_a_month_after() -> None:
    assert Quarter.containing(dt.date(2012, 8, 15)) == Quarter(2012, 2)
    assert Quarter.containing(dt.date(2013, 2, 1)) == Quarter(2012, 4)
    assert str(Quarter.parse("2012-Q4")) == "2012-Q4"
    assert (Quarter(2012, 4).starts, Quarter(2012, 4).ends) == (
        dt.date(2013, 1, 1),
        dt.date(2013, 3, 31),
    )
    assert Quarter(2012, 1).return_due == dt.date(2012, 7, 31)
    assert Quarter(2012, 3).return_due == dt.date(2013, 1, 31)


@pytest.mark.parametrize(
    ("on", "received", "quarter", "state"),
    [
        (dt.date(2012, 6, 30), [], None, ReturnState.NOT_YET),
        (dt.date(2012, 7, 15), [], "2012-Q1", ReturnState.DUE),
        (dt.date(2012, 8, 1), [], "2012-Q1", ReturnState.OVERDUE),
        (dt.date(2012, 8, 1), ["2012-Q1"], "2012-Q1", ReturnState.RECEIVED),
        (dt.date(2025, 1, 1), ["2012-Q1"], "2012-Q4", ReturnState.OVERDUE),
    ],
)
def test_the_latest_quarters_return_is_received_due_or_overdue(
    on: dt.date, received: list[str], quarter: str | None, state: ReturnState
) -> None:
    status = return_status(*TERM, received, on)
    assert (str(status.quarter) if status.quarter else None, status.state) == (quarter, state)


def test_a_result_meets_its_target_on_the_right_side_of_it() -> None:
    assert standing(Decimal("0.33"), Decimal("0.34"), "at_most") == Standing.MET
    assert standing(Decimal("0.36"), Decimal("0.34"), "at_most") == Standing.NOT_MET
    assert standing(Decimal("0.40"), Decimal("0.40"), "at_least") == Standing.MET
    assert standing(Decimal("0.40"), None, None) == Standing.NO_TARGET


@pytest.fixture
def contracts(people: People) -> Contracts:
    return build_contracts(people.orgs)


@pytest.mark.django_db
def test_a_provider_submits_returns_for_its_own_contract_only(
    contracts: Contracts, signed_in: SignIn
) -> None:
    form = {
        "kind": "self_audit",
        "period": "2012-q1",
        "statement": "All specifications checked",
        "compliant": "on",
    }
    client = signed_in("provider")
    done = client.post(reverse("assurance-return", args=[contracts.sla.pk]), form)
    assert done.status_code == 302
    record = m.AssuranceReturn.objects.get()
    assert (record.period, record.compliant, record.submitted_by.username) == (
        "2012-Q1",
        True,
        "provider",
    )
    assert (
        client.post(reverse("assurance-return", args=[contracts.contract.pk]), form).status_code
        == 404
    )
    manager = signed_in("contract_manager")
    assert (
        manager.post(reverse("assurance-return", args=[contracts.sla.pk]), form).status_code == 403
    )
    bad = client.post(
        reverse("assurance-return", args=[contracts.sla.pk]), {**form, "period": "Q1"}
    )
    assert bad.status_code == 400
    assert "Enter the quarter of the financial year as YYYY-Qn" in bad.content.decode()
    assert m.AssuranceReturn.objects.count() == 1


@pytest.mark.django_db
def test_the_portfolio_shows_which_returns_are_received_and_which_overdue(
    contracts: Contracts, signed_in: SignIn
) -> None:
    m.AssuranceReturn.objects.create(
        contract=contracts.sla,
        kind="self_audit",
        period="2012-Q1",
        statement="ok",
        compliant=True,
        submitted_by=contracts.sla.provider.members.get().user,
    )
    manager = signed_in("contract_manager")
    # the GOV.UK date input's three boxes, as the page's form sends them
    page = manager.get(reverse("assurance-overview"), date_input("on", "2012-08-15"))
    rows = {r.contract.reference: r.returns.state for r in page.context["rows"]}
    assert rows == {"SLA-EXA": ReturnState.RECEIVED, "CON-EXT": ReturnState.OVERDUE}
    assert "Overdue" in page.content.decode()
    body = page.content.decode()
    assert 'name="on_0" type="text" inputmode="numeric" value="15"' in body
    assert 'type="date"' not in body
    # a link naming the date as YYYY-MM-DD gives the same position
    linked = manager.get(reverse("assurance-overview") + "?on=2012-08-15")
    assert {r.contract.reference: r.returns.state for r in linked.context["rows"]} == rows
    # a day that does not exist is an error on the form, in the error summary
    bad = manager.get(reverse("assurance-overview"), {"on_0": "31", "on_1": "2", "on_2": "2012"})
    assert "govuk-error-summary" in bad.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["partner"])
def test_assurance_is_refused_to_those_outside_it_and_the_refusal_recorded(
    contracts: Contracts, signed_in: SignIn, name: str
) -> None:
    assert signed_in(name).get(reverse("assurance-overview")).status_code == 403
    assert m.AccessDenial.objects.filter(username=name, target="AssuranceReturn").exists()


@pytest.mark.django_db
def test_the_risk_register_is_sorted_by_likelihood_times_impact(
    contracts: Contracts, signed_in: SignIn
) -> None:
    client = signed_in("contract_manager")
    for description, likelihood, impact in (("Low", 2, 2), ("Highest", 5, 4), ("Middle", 3, 3)):
        client.post(
            reverse("assurance-risk", args=[contracts.sla.pk]),
            {"description": description, "likelihood": likelihood, "impact": impact},
        )
    page = client.get(reverse("assurance-contract", args=[contracts.sla.pk]))
    assert [(r.description, r.score) for r in page.context["risks"]] == [
        ("Highest", 20),
        ("Middle", 9),
        ("Low", 4),
    ]
    overview = client.get(reverse("assurance-overview"))
    assert [r.description for r in overview.context["high_risks"]] == ["Highest"]


@pytest.mark.django_db
def test_performance_is_recorded_against_the_current_versions_target(
    contracts: Contracts, signed_in: SignIn
) -> None:
    client = signed_in("contract_manager")
    done = client.post(
        reverse("assurance-performance", args=[contracts.sla.pk]),
        {
            "measure": "Proven reoffending rate",
            "period": "2012-Q3",
            "actual": "0.3300",
            "people": "180",
        },
    )
    assert done.status_code == 302
    record = m.PerformanceRecord.objects.get(period="2012-Q3")
    assert (record.target, record.unit) == (Decimal("0.3400"), "proportion")
    lines = client.get(reverse("assurance-contract", args=[contracts.sla.pk])).context[
        "performance"
    ]
    assert {line.period: line.standing for line in lines} == {
        "2012-Q1": Standing.NOT_MET,
        "2012-Q2": Standing.NOT_MET,
        "2012-Q3": Standing.MET,
    }


@pytest.mark.django_db
def test_audits_are_commissioned_and_given_opinions_by_the_contract_side_only(
    contracts: Contracts, signed_in: SignIn
) -> None:
    manager = signed_in("contract_manager")
    manager.post(
        reverse("assurance-audit", args=[contracts.sla.pk]),
        {"area": "Safer custody", "auditor": "MoJ ACA"},
    )
    audit = m.ExternalAudit.objects.get()
    assert audit.opinion == "pending"
    opinion = {"opinion": "limited", "findings": "Late reviews"}
    assert (
        signed_in("auditor")
        .post(reverse("assurance-audit-opinion", args=[contracts.sla.pk, audit.pk]), opinion)
        .status_code
        == 403
    )
    manager.post(reverse("assurance-audit-opinion", args=[contracts.sla.pk, audit.pk]), opinion)
    audit.refresh_from_db()
    assert audit.opinion == "limited"
    overview = manager.get(reverse("assurance-overview"))
    assert [a.area for a in overview.context["weak_audits"]] == ["Safer custody"]


@pytest.mark.django_db
def test_a_rating_is_seen_by_its_provider_and_by_the_public_once_published(
    people: People, signed_in: SignIn
) -> None:
    manager = signed_in("contract_manager")
    made = manager.post(
        reverse("rating-create"),
        {
            "organisation": people.orgs["prison"].pk,
            "year": "2012-13",
            "level": "3",
            "rationale": "Meets most targets",
        },
    )
    assert made.status_code == 302
    rating = m.Rating.objects.get()

    def seen(client: Client) -> list[str]:
        return [r.year for r in client.get(reverse("rating-list")).context["ratings"]]

    assert seen(signed_in("provider")) == ["2012-13"]
    assert seen(signed_in("other_provider")) == []
    assert seen(Client()) == []
    assert (
        manager.post(
            reverse("rating-create"),
            {
                "organisation": people.orgs["prison"].pk,
                "year": "2012-14",
                "level": "3",
                "rationale": "x",
            },
        ).status_code
        == 400
    )
    assert (
        signed_in("auditor")
        .post(reverse("rating-publish", args=[rating.pk]), {"publish": "1"})
        .status_code
        == 403
    )
    manager.post(reverse("rating-publish", args=[rating.pk]), {"publish": "1"})
    assert seen(Client()) == ["2012-13"]
    assert m.AuditEntry.objects.filter(model="web.Rating", action="update").exists()
