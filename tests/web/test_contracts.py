"""Contracts and SLAs as a specification: who sees which, who may change what, and how an
agreed schedule changes only by a variation."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from tests.web.conftest import People, date_input
from tests.web.contract_world import Contracts, build_contracts

from commissioning.web import models as m
from commissioning.web import services

pytestmark = pytest.mark.django_db

SignIn = Callable[[str], Client]


@pytest.fixture
def contracts(people: People) -> Contracts:
    return build_contracts(people.orgs)


def references(client: Client) -> set[str]:
    response = client.get(reverse("contract-list"))
    assert response.status_code == 200
    return {c.reference for c in response.context["contracts"]}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("provider", {"SLA-EXA"}),
        ("other_provider", {"CON-EXT", "SLA-EXA"}),  # its own, and what is published
        ("partner", {"CON-EXT", "SLA-EXA"}),  # shared with them, and what is published
        ("contract_manager", {"SLA-EXA", "CON-EXT"}),
        ("auditor", {"SLA-EXA", "CON-EXT"}),
    ],
)
def test_each_role_lists_only_the_contracts_the_walls_allow(
    contracts: Contracts, signed_in: SignIn, name: str, expected: set[str]
) -> None:
    assert references(signed_in(name)) == expected


def test_the_public_lists_published_contracts_only(contracts: Contracts) -> None:
    assert references(Client()) == {"SLA-EXA"}


def test_a_provider_gets_404_for_another_providers_contract_and_the_refusal_is_recorded(
    contracts: Contracts, signed_in: SignIn
) -> None:
    before = m.AccessDenial.objects.count()
    response = signed_in("provider").get(reverse("contract-detail", args=[contracts.contract.pk]))
    assert response.status_code == 404
    denial = m.AccessDenial.objects.get(pk__gt=0, username="provider")
    assert m.AccessDenial.objects.count() == before + 1
    assert denial.reason == "behind the ethical wall"


def test_the_schedule_shows_volumes_targets_and_the_annual_operating_price(
    contracts: Contracts, signed_in: SignIn
) -> None:
    page = signed_in("provider").get(reverse("contract-detail", args=[contracts.sla.pk]))
    html = page.content.decode()
    assert "Thinking skills accredited programme (cognitive-behavioural)" in html
    assert "300" in html
    assert "£1,000,000.00" in html
    assert "At most 0.34" in html


def test_a_public_prison_is_held_to_an_sla_and_other_providers_to_contracts(
    people: People, signed_in: SignIn
) -> None:
    client = signed_in("contract_manager")
    form = {
        "reference": "CON-EXA-13",
        "title": "HMP Example 2013-14",
        "kind": "contract",
        "provider": people.orgs["prison"].pk,
        **date_input("starts", "2013-04-01"),
        **date_input("ends", "2014-03-31"),
        "annual_operating_price": "5000000",
    }
    refused = client.post(reverse("contract-create"), form)
    assert refused.status_code == 400
    assert "the Crown cannot contract with itself" in refused.content.decode()
    assert not m.Contract.objects.filter(reference="CON-EXA-13").exists()

    trust_sla = client.post(
        reverse("contract-create"),
        {**form, "reference": "SLA-EXT-13", "kind": "sla", "provider": people.orgs["trust"].pk},
    )
    assert trust_sla.status_code == 400
    assert "Only public sector prisons have service level agreements" in trust_sla.content.decode()

    created = client.post(reverse("contract-create"), {**form, "kind": "sla"})
    contract = m.Contract.objects.get(reference="CON-EXA-13")
    assert created.status_code == 302
    assert contract.kind == "sla"
    version = contract.versions.get()
    assert (version.number, version.status) == (1, "draft")
    assert version.annual_operating_price == Decimal("5000000")


@pytest.mark.parametrize("name", ["auditor", "partner", "provider"])
def test_read_only_roles_cannot_create_or_change_contracts(
    contracts: Contracts, signed_in: SignIn, name: str
) -> None:
    client = signed_in(name)
    pk = contracts.sla.pk
    expected = 403  # the SLA is published, so everyone may see it; no one of these may change it
    assert client.get(reverse("contract-create")).status_code == 403
    assert client.post(reverse("contract-version-draft", args=[pk])).status_code == expected
    assert client.post(reverse("contract-publish", args=[pk]), {"publish": "0"}).status_code == (
        expected
    )
    assert m.ContractVersion.objects.filter(contract=contracts.sla).count() == 1
    assert m.Contract.objects.get(pk=pk).published is True


def test_an_agreed_version_cannot_be_edited(contracts: Contracts, signed_in: SignIn) -> None:
    client = signed_in("contract_manager")
    v1 = contracts.sla.versions.get(number=1)
    line = v1.lines.get()
    target = v1.targets.get()
    args = [contracts.sla.pk, 1]
    new_line = {
        "service_id": "thinking_skills_programme",
        "setting": "custody",
        "offence_group": "sex",
        "risk_tier": "high",
        "harm": "high",
        "volume": "10",
        "price": "1000",
    }
    assert client.post(reverse("contract-line-add", args=args), new_line).status_code == 403
    assert client.post(reverse("contract-line-delete", args=[*args, line.pk])).status_code == 403
    assert (
        client.post(reverse("contract-target-delete", args=[*args, target.pk])).status_code == 403
    )
    price = client.post(reverse("contract-version-price", args=args), {"annual_operating_price": 1})
    assert price.status_code == 403
    v1.refresh_from_db()
    assert v1.annual_operating_price == Decimal("1000000.00")
    assert v1.lines.count() == 1 and v1.targets.count() == 1


def test_a_variation_creates_version_2_from_version_1_with_its_reason_and_an_audit_entry(
    contracts: Contracts, signed_in: SignIn
) -> None:
    client = signed_in("contract_manager")
    pk = contracts.sla.pk
    drafted = client.post(reverse("contract-version-draft", args=[pk]))
    assert drafted.status_code == 302
    v2 = contracts.sla.versions.get(number=2)
    assert v2.status == "draft"
    assert list(v2.lines.values_list("service_id", "volume")) == [
        ("thinking_skills_programme", 300)
    ]
    assert v2.targets.count() == 1

    added = client.post(
        reverse("contract-line-add", args=[pk, 2]),
        {
            "service_id": "thinking_skills_programme",
            "setting": "custody",
            "offence_group": "acquisitive",
            "risk_tier": "high",
            "harm": "low",
            "volume": "120",
            "price": "60000",
        },
    )
    assert added.status_code == 302
    client.post(
        reverse("contract-version-price", args=[pk, 2]), {"annual_operating_price": "1060000"}
    )

    no_reason = client.post(reverse("contract-version-agree", args=[pk, 2]), {"reason": ""})
    assert no_reason.status_code == 400
    assert "Enter the reason for the variation" in no_reason.content.decode()
    v2.refresh_from_db()
    assert v2.status == "draft"

    entries_before = m.AuditEntry.objects.count()
    agreed = client.post(
        reverse("contract-version-agree", args=[pk, 2]),
        {"reason": "Extra places for acquisitive offenders from July"},
    )
    assert agreed.status_code == 302
    v2.refresh_from_db()
    assert v2.status == "agreed" and v2.agreed_at is not None
    variation = m.Variation.objects.get(contract=contracts.sla)
    assert (variation.from_version.number, variation.to_version.number) == (1, 2)
    assert variation.reason == "Extra places for acquisitive offenders from July"
    logged = m.AuditEntry.objects.filter(seq__gt=entries_before)
    assert logged.filter(model="web.Variation", action="create").count() == 1
    assert logged.filter(
        model="web.ContractVersion", action="update", object_pk=str(v2.pk)
    ).exists()
    assert services.current_version(contracts.sla) == v2
    page = client.get(reverse("contract-detail", args=[pk])).content.decode()
    assert "£1,060,000.00" in page
    assert "Extra places for acquisitive offenders from July" in page


def test_performance_based_on_few_people_is_withheld_wherever_the_public_sees_it(
    contracts: Contracts, signed_in: SignIn
) -> None:
    public = Client().get(reverse("contract-detail", args=[contracts.sla.pk])).content.decode()
    assert "0.361" in public  # 200 people: shown
    assert "0.352" not in public  # 3 people: withheld
    assert "*" in public and "fewer than 5 people" in public
    own = signed_in("provider").get(reverse("contract-detail", args=[contracts.sla.pk]))
    assert "0.352" in own.content.decode()


def test_sharing_with_a_partner_is_audited_and_unsharing_removes_their_access(
    people: People, contracts: Contracts, signed_in: SignIn
) -> None:
    manager, partner = signed_in("contract_manager"), signed_in("partner")
    unpublished, pcc = contracts.contract, people.orgs["partner"]
    detail = reverse("contract-detail", args=[unpublished.pk])
    assert partner.get(detail).status_code == 200
    manager.post(reverse("contract-unshare", args=[unpublished.pk, pcc.pk]))
    assert m.AuditEntry.objects.filter(model="web.Contract", action="revoke").exists()
    assert partner.get(detail).status_code == 404
    shared = manager.post(reverse("contract-share", args=[unpublished.pk]), {"partner": pcc.pk})
    assert shared.status_code == 302
    grant = m.AuditEntry.objects.filter(model="web.Contract", action="grant").last()
    assert grant is not None and grant.data["pks"] == [pcc.pk]
    assert partner.get(detail).status_code == 200


def test_publishing_needs_an_agreed_version(people: People, signed_in: SignIn) -> None:
    client = signed_in("commissioner")
    client.post(
        reverse("contract-create"),
        {
            "reference": "CON-NEW",
            "title": "New contract",
            "kind": "contract",
            "provider": people.orgs["trust"].pk,
            **date_input("starts", "2013-04-01"),
            **date_input("ends", "2014-03-31"),
            "annual_operating_price": "100",
        },
    )
    contract = m.Contract.objects.get(reference="CON-NEW")
    client.post(reverse("contract-publish", args=[contract.pk]), {"publish": "1"})
    contract.refresh_from_db()
    assert contract.published is False


def test_an_action_plan_is_agreed_where_a_minimum_requirement_is_not_met_and_closed(
    contracts: Contracts, signed_in: SignIn
) -> None:
    client = signed_in("contract_manager")
    created = client.post(
        reverse("contract-action-plan-create", args=[contracts.sla.pk]),
        {"requirement": "Safer custody: ACCT reviews", "actions": "Recruit",
         **date_input("due", "2012-09-30")},
    )
    assert created.status_code == 302
    plan = m.ActionPlan.objects.get(contract=contracts.sla)
    assert plan.status == "open"
    assert (
        "Safer custody: ACCT reviews"
        in signed_in("provider")
        .get(reverse("contract-detail", args=[contracts.sla.pk]))
        .content.decode()
    )
    client.post(reverse("contract-action-plan-close", args=[contracts.sla.pk, plan.pk]))
    plan.refresh_from_db()
    assert plan.status == "closed"


def test_an_awarded_proposal_becomes_a_contract_with_its_lines(
    people: People, signed_in: SignIn
) -> None:
    rnd = m.CommissioningRound.objects.create(year="2012-13", title="Round", status="awarded")
    proposal = m.Proposal.objects.create(
        round=rnd, provider=people.orgs["trust"], title="Trust bid", status="awarded"
    )
    m.ProposalLine.objects.create(
        proposal=proposal,
        service_id="thinking_skills_programme",
        setting="community",
        offence_group="violence",
        risk_tier="high",
        harm="medium",
        volume=40,
        unit_price=Decimal("1500"),
    )
    client = signed_in("commissioner")
    url = reverse("contract-create") + f"?proposal={proposal.pk}"
    form = client.get(url)
    assert form.context["form"].initial["annual_operating_price"] == Decimal("60000")
    response = client.post(
        url,
        {
            "reference": "CON-EXT-13",
            "title": "Trust bid",
            "kind": "contract",
            "provider": people.orgs["trust"].pk,
            "round": rnd.pk,
            **date_input("starts", "2013-04-01"),
            **date_input("ends", "2014-03-31"),
            "annual_operating_price": "60000",
        },
    )
    assert response.status_code == 302
    contract = m.Contract.objects.get(reference="CON-EXT-13")
    assert contract.proposal == proposal
    line = contract.versions.get().lines.get()
    assert (line.volume, line.price, line.risk_tier) == (40, Decimal("60000.00"), "high")
