"""The ethical walls as a specification: who sees which records, and who may change them."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory
from tests.web.world import World, build_world

from commissioning.web import models as m
from commissioning.web import walls

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return build_world()


def who(world: World, name: str) -> Any:
    return AnonymousUser() if name == "public" else world.users[name]


def titles(world: World, name: str) -> set[str]:
    return {p.title for p in walls.visible(who(world, name), m.Proposal)}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("provider_a", {"A's bid", "A's draft"}),
        ("provider_b", {"B's bid"}),
        ("commissioner", {"A's bid", "B's bid"}),  # never a provider's draft
        ("contracts", {"A's bid", "B's bid"}),
        ("auditor", {"A's bid", "B's bid"}),
        ("partner", set()),
        ("public", set()),
    ],
)
def test_each_role_sees_only_the_proposals_the_walls_allow(
    world: World, name: str, expected: set[str]
) -> None:
    assert titles(world, name) == expected


@pytest.mark.parametrize("name", ["provider_a", "provider_b", "partner", "public"])
@pytest.mark.parametrize(
    "model", [m.RoundEnvelope, m.Score, m.ModeratedScore, m.Award, m.AuditEntry, m.AccessDenial]
)
def test_commissioning_information_is_never_visible_outside_the_commissioning_side(
    world: World, name: str, model: type[Any]
) -> None:
    assert not walls.visible(who(world, name), model).exists()


def test_the_budget_envelope_is_visible_to_the_commissioning_side(world: World) -> None:
    for name in ("commissioner", "contracts", "auditor"):
        assert walls.visible(world.users[name], m.RoundEnvelope).count() == 1


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("provider_a", {"SLA-A"}),
        ("provider_b", {"CON-B", "SLA-A"}),  # its own, and the published one like everyone
        ("partner", {"CON-B", "SLA-A"}),  # shared with them, and the published one
        ("public", {"SLA-A"}),
        ("commissioner", {"SLA-A", "CON-B"}),
        ("auditor", {"SLA-A", "CON-B"}),
    ],
)
def test_contracts_are_visible_to_their_provider_partners_shared_with_and_the_public_if_published(
    world: World, name: str, expected: set[str]
) -> None:
    assert {c.reference for c in walls.visible(who(world, name), m.Contract)} == expected


def test_the_public_and_partners_see_only_agreed_versions(world: World) -> None:
    public = walls.visible(AnonymousUser(), m.ContractVersion)
    assert {(v.contract.reference, v.number) for v in public} == {("SLA-A", 1)}
    partner = walls.visible(world.users["partner"], m.ContractVersion)
    assert {(v.contract.reference, v.number) for v in partner} == {("CON-B", 1), ("SLA-A", 1)}
    provider = walls.visible(world.users["provider_a"], m.ContractVersion)
    assert {(v.contract.reference, v.number) for v in provider} == {("SLA-A", 1), ("SLA-A", 2)}
    other = walls.visible(world.users["provider_b"], m.ContractVersion)
    # its own draft, but of another provider's published contract only the agreed version
    assert {(v.contract.reference, v.number) for v in other} == {
        ("CON-B", 1), ("CON-B", 2), ("SLA-A", 1)}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("provider_a", {"SLA-A"}),
        ("provider_b", {"CON-B"}),
        ("partner", set()),
        ("public", set()),
        ("contracts", {"SLA-A", "CON-B"}),
    ],
)
def test_assurance_returns_stay_between_provider_and_commissioner(
    world: World, name: str, expected: set[str]
) -> None:
    seen = {r.contract.reference for r in walls.visible(who(world, name), m.AssuranceReturn)}
    assert seen == expected


def test_providers_see_their_own_unpublished_rating_but_not_anothers(world: World) -> None:
    a = {r.organisation.name for r in walls.visible(world.users["provider_a"], m.Rating)}
    b = {r.organisation.name for r in walls.visible(world.users["provider_b"], m.Rating)}
    public = {r.organisation.name for r in walls.visible(AnonymousUser(), m.Rating)}
    assert a == {"HMP A"}
    assert b == {"HMP A", "Trust B"}
    assert public == {"HMP A"}


def test_every_model_has_a_wall_rule() -> None:
    from django.apps import apps

    missing = [
        model.__name__
        for model in apps.get_app_config("web").get_models()
        if model not in walls.READ_RULES
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("name", "action", "target", "allowed"),
    [
        ("provider_a", "change", "a_draft", True),
        ("provider_a", "change", "a_submitted", False),  # submitted: no longer editable
        ("provider_b", "change", "a_draft", False),  # another organisation's
        ("commissioner", "change", "a_draft", False),  # commissioners do not write bids
        ("auditor", "change", "a_draft", False),
        ("partner", "change", "a_draft", False),
        ("public", "change", "a_draft", False),
        ("provider_a", "withdraw", "a_submitted", True),
        ("provider_b", "withdraw", "a_submitted", False),
    ],
)
def test_only_the_owning_provider_may_change_a_draft_proposal(
    world: World, name: str, action: str, target: str, allowed: bool
) -> None:
    assert walls.can(who(world, name), action, world.proposals[target]) is allowed


def test_a_closed_round_freezes_drafts(world: World) -> None:
    world.round.status = m.CommissioningRound.Status.CLOSED
    world.round.save()
    draft = m.Proposal.objects.get(pk=world.proposals["a_draft"].pk)
    assert not walls.can(world.users["provider_a"], "change", draft)


@pytest.mark.parametrize(
    ("name", "allowed"),
    [
        ("commissioner", True),
        ("contracts", True),
        ("auditor", False),
        ("provider_a", False),
        ("partner", False),
        ("public", False),
    ],
)
def test_only_the_contract_side_changes_contracts(world: World, name: str, allowed: bool) -> None:
    assert walls.can(who(world, name), "change", world.contracts["a_published"]) is allowed


def test_agreed_versions_cannot_be_changed_only_varied(world: World) -> None:
    agreed = world.contracts["a_published"].versions.get(number=1)
    draft = world.contracts["a_published"].versions.get(number=2)
    assert not walls.can(world.users["contracts"], "change", agreed)
    assert walls.can(world.users["contracts"], "change", draft)


def test_providers_submit_assurance_only_for_their_own_contracts(world: World) -> None:
    own = m.AssuranceReturn(contract=world.contracts["a_published"])
    other = m.AssuranceReturn(contract=world.contracts["b_shared"])
    assert walls.can(world.users["provider_a"], "create", own)
    assert not walls.can(world.users["provider_a"], "create", other)
    assert not walls.can(world.users["contracts"], "create", own)


def test_a_refused_action_is_recorded_and_raises(world: World) -> None:
    request = RequestFactory().post("/proposals/1/edit/")
    request.user = world.users["provider_b"]
    with pytest.raises(PermissionDenied):
        walls.require(request, "change", world.proposals["a_draft"])
    denial = m.AccessDenial.objects.get()
    assert (denial.username, denial.role, denial.organisation) == (
        "provider_b",
        "provider",
        "Trust B",
    )
    assert denial.path == "/proposals/1/edit/"
    assert "another organisation" in denial.reason


def test_a_walled_record_answers_404_like_a_missing_one_and_is_recorded(world: World) -> None:
    request = RequestFactory().get("/proposals/x/")
    request.user = world.users["provider_b"]
    hidden = world.proposals["a_submitted"]
    with pytest.raises(Http404):
        walls.get_visible_or_404(request, m.Proposal, pk=hidden.pk)
    with pytest.raises(Http404):
        walls.get_visible_or_404(request, m.Proposal, pk=10_000)
    # Only the walled record is a denial; a missing one is just missing.
    assert m.AccessDenial.objects.count() == 1
    own = walls.get_visible_or_404(request, m.Proposal, pk=world.proposals["b_submitted"].pk)
    assert own.title == "B's bid"


def test_a_deactivated_user_sees_only_what_the_public_sees(world: World) -> None:
    user = world.users["provider_a"]
    user.is_active = False
    user.save()
    assert titles(world, "provider_a") == set()


def test_a_published_contract_shared_with_several_partners_is_listed_once(world: World) -> None:
    other = m.Organisation.objects.create(name="Another PCC", kind="partner")
    world.contracts["a_published"].shared_with.add(world.orgs["partner"], other)
    seen = list(walls.visible(world.users["partner"], m.Contract))
    assert sorted(c.reference for c in seen) == ["CON-B", "SLA-A"]
    assert walls.visible(AnonymousUser(), m.Contract).count() == 1
