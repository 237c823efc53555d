"""The state rules of the service functions the pages, the API and the demo data share
(:mod:`commissioning.web.services`): each refuses a change its record's state does not allow,
by field, and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from tests.io_support import records, write
from tests.web.conftest import People

from commissioning.web import models as m
from commissioning.web import services

pytestmark = pytest.mark.django_db
SignIn = Callable[[str], Client]


def _round(status: str = "draft") -> m.CommissioningRound:
    return m.CommissioningRound.objects.create(year="2012-13", title="Round", status=status)


def test_a_round_is_published_only_with_its_envelope_and_one_step_at_a_time(
    people: People, signed_in: SignIn,
) -> None:
    rnd = _round()
    client = signed_in("commissioner")
    page = client.post(f"/rounds/{rnd.pk}/status/", {"to": "open"}, follow=True)
    assert "Set the budget envelope before publishing the round." in page.content.decode()
    rnd.refresh_from_db()
    assert rnd.status == "draft"
    started = services.start_round(m.CommissioningRound(year="2013-14", title="Next"))
    assert started.status == "draft" and started.envelope.budget > 0
    page = client.post(f"/rounds/{started.pk}/status/", {"to": "closed"}, follow=True)
    assert "That change of status is not possible from &#x27;Draft&#x27;." in (
        page.content.decode())
    client.post(f"/rounds/{started.pk}/status/", {"to": "open"})
    started.refresh_from_db()
    assert started.status == "open"


def test_a_proposal_is_started_only_for_an_open_round_and_one_of_its_lots(
    people: People,
) -> None:
    closed, other = _round("closed"), m.CommissioningRound.objects.create(
        year="2013-14", title="Open", status="open")
    with pytest.raises(ValidationError) as caught:
        services.start_proposal(closed, people.orgs["prison"], "Late")
    assert "round" in caught.value.message_dict
    lot = closed.add_lot("Reducing reoffending services", "London", "custody", Decimal(1))
    with pytest.raises(ValidationError) as caught:
        services.start_proposal(other, people.orgs["prison"], "Wrong lot", lot=lot)
    assert "lot" in caught.value.message_dict
    assert not m.Proposal.objects.exists()


def test_a_profile_is_uploaded_only_to_a_draft_in_an_open_round(
    people: People, tmp_path: Path,
) -> None:
    content = write(records("assessments", 6), tmp_path / "extract.csv").read_bytes()
    rnd = _round("open")
    proposal = services.start_proposal(rnd, people.orgs["prison"], "Mine")
    kept = services.upload_profile(proposal, [content], "extract.csv")
    proposal.refresh_from_db()
    assert (proposal.profile_rows, proposal.profile_source) == (kept.rows, "extract.csv") == (
        6, "extract.csv")
    m.Proposal.objects.filter(pk=proposal.pk).update(status="submitted")
    with pytest.raises(ValidationError) as caught:
        services.upload_profile(proposal, [content], "again.csv")
    assert "file" in caught.value.message_dict
    proposal.refresh_from_db()
    assert proposal.profile_source == "extract.csv"


def test_a_contract_is_made_only_from_an_awarded_proposal_without_one(people: People) -> None:
    rnd = _round("open")
    proposal = services.start_proposal(rnd, people.orgs["trust"], "Bid")

    def contract(reference: str) -> m.Contract:
        return m.Contract(reference=reference, title="C", kind="contract",
                          provider=people.orgs["trust"], starts=rnd.starts,
                          ends=rnd.starts.replace(year=2013))

    with pytest.raises(ValidationError):
        services.create_contract(contract("C-1"), Decimal(10), proposal)
    assert not m.Contract.objects.exists()
    version = services.create_contract(contract("C-2"), Decimal(10))
    assert (version.number, version.status, version.contract.reference) == (1, "draft", "C-2")
    with pytest.raises(ValidationError):
        services.publish_contract(version.contract, True)
    assert not m.Contract.objects.get(reference="C-2").published
