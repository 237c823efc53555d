"""Rounds: the commissioner starts a round, sets the envelope, publishes; everyone else sees
only a published round, and never the envelope."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from tests.web.conftest import People, date_input

from commissioning.web import models as m

pytestmark = pytest.mark.django_db


def start(client: Client, **overrides: str) -> Client:
    data = {
        "year": "2013-14",
        "title": "Strategic Commissioning Round 2013-14",
        "summary": "Intentions for 2013-14",
        **date_input("opens", "2012-11-01"),
        **date_input("closes", "2012-12-09"),
    }
    data.update(overrides)
    client.post("/rounds/new/", data)
    return client


def test_a_commissioner_starts_a_draft_round_with_the_envelope_from_the_parameters(
    signed_in: Callable[[str], Client], people: People
) -> None:
    client = start(signed_in("commissioner"))
    rnd = m.CommissioningRound.objects.get(year="2013-14")
    assert rnd.status == "draft"
    # secure.agency_budget and plan.savings_target in force on 1 April 2013
    assert (rnd.envelope.budget, rnd.envelope.savings_target) == (
        Decimal("3700000000.00"),
        Decimal("120000000.00"),
    )
    page = client.get(f"/rounds/{rnd.pk}/").content.decode()
    assert "3,700,000,000" in page
    assert "The 38 commissioning intentions" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("year", "2013", "Enter the year as a financial year, like 2013-14"),
        ("year", "2013-15", "Enter the year as a financial year, like 2013-14"),
        ("closes", "2012-10-01", "The closing date must be after the opening date"),
    ],
)
def test_a_bad_round_is_refused_with_the_reason(
    signed_in: Callable[[str], Client], field: str, value: str, message: str
) -> None:
    client = signed_in("commissioner")
    data = {
        "year": "2013-14",
        "title": "T",
        **date_input("opens", "2012-11-01"),
        **date_input("closes", "2012-12-09"),
        **(date_input(field, value) if field == "closes" else {field: value}),
    }
    response = client.post("/rounds/new/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not m.CommissioningRound.objects.exists()


def test_drafts_are_invisible_outside_the_commissioning_side_until_published(
    signed_in: Callable[[str], Client], people: People
) -> None:
    commissioner = start(signed_in("commissioner"))
    rnd = m.CommissioningRound.objects.get()
    provider = signed_in("provider")
    assert provider.get(f"/rounds/{rnd.pk}/").status_code == 404
    assert Client().get(f"/rounds/{rnd.pk}/").status_code == 404
    assert m.AccessDenial.objects.count() == 2

    commissioner.post(f"/rounds/{rnd.pk}/status/", {"to": "open"})
    rnd.refresh_from_db()
    assert rnd.status == "open"
    page = provider.get(f"/rounds/{rnd.pk}/").content.decode()
    assert "Strategic Commissioning Round 2013-14" in page
    assert "3,700,000,000" not in page and "Budget envelope" not in page
    assert "Start a proposal" in page
    public = Client().get(f"/rounds/{rnd.pk}/").content.decode()
    assert "Budget envelope" not in public and "Start a proposal" not in public


@pytest.mark.parametrize("name", ["provider", "contract_manager", "auditor", "partner"])
def test_only_a_commissioner_changes_a_round_or_its_envelope(
    signed_in: Callable[[str], Client], people: People, name: str
) -> None:
    start(signed_in("commissioner"))
    rnd = m.CommissioningRound.objects.get()
    rnd.status = "open"
    rnd.save()
    client = signed_in(name)
    assert client.post(f"/rounds/{rnd.pk}/status/", {"to": "closed"}).status_code in (403, 404)
    assert client.post(
        f"/rounds/{rnd.pk}/envelope/", {"budget": "1", "savings_target": "0"}
    ).status_code in (403, 404)
    rnd.refresh_from_db()
    assert rnd.status == "open"
    assert rnd.envelope.budget == Decimal("3700000000.00")


def test_a_round_moves_only_forward_one_step(
    signed_in: Callable[[str], Client], people: People
) -> None:
    client = start(signed_in("commissioner"))
    rnd = m.CommissioningRound.objects.get()
    client.post(f"/rounds/{rnd.pk}/status/", {"to": "closed"})  # skipping 'open': refused
    rnd.refresh_from_db()
    assert rnd.status == "draft"
    for step in ("open", "closed", "awarded"):
        client.post(f"/rounds/{rnd.pk}/status/", {"to": step})
        rnd.refresh_from_db()
        assert rnd.status == step


def test_the_envelope_rejects_a_savings_target_above_the_budget(
    signed_in: Callable[[str], Client], people: People
) -> None:
    client = start(signed_in("commissioner"))
    rnd = m.CommissioningRound.objects.get()
    response = client.post(
        f"/rounds/{rnd.pk}/envelope/", {"budget": "100", "savings_target": "200"}
    )
    assert response.status_code == 400
    assert "The savings target must be less than the budget" in response.content.decode()
    rnd.envelope.refresh_from_db()
    assert rnd.envelope.budget == Decimal("3700000000.00")
