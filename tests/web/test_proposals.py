"""Proposal pages: a provider answers an open round behind the ethical walls."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from tests.io_support import records, write
from tests.web.world import World, build_world

from commissioning.web import models as m

pytestmark = pytest.mark.django_db

NON_CORE_LOW_LOW = {
    "service_id": "mentoring",
    "setting": "community",
    "offence_group": "acquisitive",
    "risk_tier": "low",
    "harm": "low",
    "volume": "40",
    "unit_price": "380",
    "rationale": "",
}


@pytest.fixture
def world() -> World:
    return build_world()


def signed_in(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def draft(world: World, provider: str = "trust_b") -> m.Proposal:
    return m.Proposal.objects.create(
        round=world.round, provider=world.orgs[provider], title="Trust B's draft"
    )


def upload(client: Client, proposal: m.Proposal, path: Path) -> Any:
    with path.open("rb") as fh:
        content = fh.read()
    return client.post(
        reverse("proposal-upload", args=[proposal.pk]),
        {"file": SimpleUploadedFile(path.name, content)},
    )


def test_a_provider_starts_a_proposal_for_the_open_round(client: Client, world: World) -> None:
    signed_in(client, world.users["provider_b"])
    response = client.post(
        reverse("proposal-create"), {"round": world.round.pk, "title": "Trust B 2012-13"}
    )
    proposal = m.Proposal.objects.get(title="Trust B 2012-13")
    assert response.status_code == 302
    assert response["Location"] == reverse("proposal-detail", args=[proposal.pk])
    assert proposal.provider == world.orgs["trust_b"]
    assert proposal.status == "draft"


def test_commissioners_cannot_start_proposals(client: Client, world: World) -> None:
    signed_in(client, world.users["commissioner"])
    response = client.post(reverse("proposal-create"), {"round": world.round.pk, "title": "x"})
    assert response.status_code == 403
    assert not m.Proposal.objects.filter(title="x").exists()
    assert m.AccessDenial.objects.filter(username="commissioner", action="create").exists()


def test_providers_list_their_own_proposals_only(client: Client, world: World) -> None:
    page = signed_in(client, world.users["provider_a"]).get(reverse("proposal-list")).content
    assert b"A&#x27;s bid" in page and b"A&#x27;s draft" in page
    assert b"B&#x27;s bid" not in page


def test_commissioners_list_submitted_proposals_but_not_drafts(
    client: Client, world: World
) -> None:
    page = signed_in(client, world.users["commissioner"]).get(reverse("proposal-list")).content
    assert b"A&#x27;s bid" in page and b"B&#x27;s bid" in page
    assert b"A&#x27;s draft" not in page


def test_commissioners_get_404_on_a_draft(client: Client, world: World) -> None:
    signed_in(client, world.users["commissioner"])
    response = client.get(reverse("proposal-detail", args=[world.proposals["a_draft"].pk]))
    assert response.status_code == 404
    assert m.AccessDenial.objects.filter(username="commissioner").count() == 1


def test_another_providers_proposal_is_404_and_the_attempt_is_recorded(
    client: Client, world: World
) -> None:
    signed_in(client, world.users["provider_b"])
    target = world.proposals["a_submitted"]
    response = client.get(reverse("proposal-detail", args=[target.pk]))
    assert response.status_code == 404
    denial = m.AccessDenial.objects.get()
    assert denial.username == "provider_b"
    assert denial.organisation == "Trust B"
    assert denial.path == reverse("proposal-detail", args=[target.pk])
    assert denial.reason == "behind the ethical wall"
    # writing to it is refused the same way
    response = client.post(reverse("proposal-line-add", args=[target.pk]), NON_CORE_LOW_LOW)
    assert response.status_code == 404
    assert target.lines.count() == 1


def test_adding_a_non_core_service_for_low_risk_low_harm_raises_a_flag(
    client: Client, world: World
) -> None:
    proposal = draft(world)
    signed_in(client, world.users["provider_b"])
    response = client.post(reverse("proposal-line-add", args=[proposal.pk]), NON_CORE_LOW_LOW)
    assert response.status_code == 302
    line = proposal.lines.get()
    assert (line.service_id, line.volume, line.unit_price) == ("mentoring", 40, Decimal("380"))
    flag = proposal.flags.get()
    assert (flag.intention, flag.rule, flag.line_id) == (
        "community 3",
        "no_non_core_low_risk",
        line.pk,
    )
    assert flag.rationale_given is False
    page = client.get(reverse("proposal-detail", args=[proposal.pk])).content.decode()
    assert "Community 3" in page and "not in the core rehabilitation offer" in page
    # giving a rationale is recorded on the flag; changing the segment removes it
    edit = reverse("proposal-line-edit", args=[proposal.pk, line.pk])
    client.post(edit, {**NON_CORE_LOW_LOW, "rationale": "Volunteers recruited"})
    assert proposal.flags.get().rationale_given is True
    client.post(edit, {**NON_CORE_LOW_LOW, "risk_tier": "medium"})
    assert proposal.flags.count() == 0


def test_a_line_with_a_service_outside_its_setting_is_refused(client: Client, world: World) -> None:
    proposal = draft(world)
    signed_in(client, world.users["provider_b"])
    response = client.post(
        reverse("proposal-line-add", args=[proposal.pk]),
        {**NON_CORE_LOW_LOW, "service_id": "prison_place"},
    )
    assert response.status_code == 200
    assert "Prison places are delivered in custody only" in response.content.decode()
    assert proposal.lines.count() == 0


def test_a_bad_upload_shows_row_column_and_rule_and_changes_nothing(
    client: Client, world: World, tmp_path: Path
) -> None:
    proposal = draft(world)
    before = m.Proposal.objects.values().get(pk=proposal.pk)
    rows = records("assessments", 4)
    rows[2]["sex"] = "unknown"
    signed_in(client, world.users["provider_b"])
    response = upload(client, proposal, write(rows, tmp_path / "extract.csv"))
    page = response.content.decode()
    assert response.status_code == 400
    assert "govuk-error-summary" in page
    assert "extract.csv, row 4, column sex" in page
    assert "[rule " in page
    assert m.Proposal.objects.values().get(pk=proposal.pk) == before
    assert proposal.flags.count() == 0


def test_an_upload_of_an_unsupported_type_is_refused(client: Client, world: World) -> None:
    proposal = draft(world)
    signed_in(client, world.users["provider_b"])
    response = client.post(
        reverse("proposal-upload", args=[proposal.pk]),
        {"file": SimpleUploadedFile("extract.txt", b"offender_id\nA1\n")},
    )
    assert "must be a CSV, Excel (.xlsx) or Parquet" in response.content.decode()
    assert m.Proposal.objects.get(pk=proposal.pk).profile is None


def test_a_good_upload_stores_only_the_profile_whose_counts_match(
    client: Client, world: World, tmp_path: Path
) -> None:
    proposal = draft(world)
    men = records("assessments", 14)
    women = records("assessments", 6, sex="female", rosh="high")
    for i, rec in enumerate(women):
        rec["offender_id"] = f"W{i}"
    path = write(men + women, tmp_path / "extract.parquet")
    signed_in(client, world.users["provider_b"])
    response = upload(client, proposal, path)
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.profile_rows == 20
    assert proposal.profile_source == "extract.parquet"
    assert len(proposal.profile_sha256) == 64
    risk = proposal.profile["risk"]
    # independent count: every record is community, acquisitive (burglary); RoSH high → very high
    assert sum(r["offenders"] for r in risk) == 20
    assert sum(r["female"] for r in risk) == 6
    very_high = [r for r in risk if r["risk_tier"] == "very_high"]
    assert [r["offenders"] for r in very_high] == [6]
    assert {r["setting"] for r in risk if r["offenders"]} == {"community"}
    # no identifier is kept
    assert "A0001" not in str(proposal.profile) and "W0" not in str(proposal.profile)
    # women in the population and no women-only line: a flag for community 7
    assert list(proposal.flags.values_list("intention", flat=True)) == [
        "community 7",
        "community 4",
    ]
    page = client.get(reverse("proposal-detail", args=[proposal.pk])).content.decode()
    assert "Table 1: risk profile" in page and "20 assessments" in page


def test_submitting_needs_a_service_line_then_records_the_time(
    client: Client, world: World
) -> None:
    proposal = draft(world)
    signed_in(client, world.users["provider_b"])
    submit = reverse("proposal-submit", args=[proposal.pk])
    response = client.post(submit)
    assert response.status_code == 400
    assert "Add at least one service" in response.content.decode()
    assert m.Proposal.objects.get(pk=proposal.pk).status == "draft"
    client.post(reverse("proposal-line-add", args=[proposal.pk]), NON_CORE_LOW_LOW)
    assert client.post(submit).status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "submitted" and proposal.submitted_at is not None
    # a submitted proposal cannot be changed any more, but can be withdrawn while the round is open
    response = client.post(reverse("proposal-line-add", args=[proposal.pk]), NON_CORE_LOW_LOW)
    assert response.status_code == 403
    assert client.post(reverse("proposal-withdraw", args=[proposal.pk])).status_code == 302
    assert m.Proposal.objects.get(pk=proposal.pk).status == "withdrawn"


def test_subcontracts_are_added_and_removed(client: Client, world: World) -> None:
    proposal = draft(world)
    signed_in(client, world.users["provider_b"])
    client.post(
        reverse("proposal-subcontract-add", args=[proposal.pk]),
        {
            "subcontractor": "Homes First",
            "services": "Accommodation advice",
            "annual_value": "250000",
        },
    )
    sub = proposal.subcontracts.get()
    assert (sub.subcontractor, sub.annual_value) == ("Homes First", Decimal("250000"))
    client.post(reverse("proposal-subcontract-delete", args=[proposal.pk, sub.pk]))
    assert proposal.subcontracts.count() == 0


def test_the_provider_sees_its_own_flags(client: Client, world: World) -> None:
    proposal = draft(world)
    signed_in(client, world.users["provider_b"])
    client.post(reverse("proposal-line-add", args=[proposal.pk]), NON_CORE_LOW_LOW)
    page = client.get(reverse("proposal-submit", args=[proposal.pk])).content.decode()
    assert "Community 3" in page
