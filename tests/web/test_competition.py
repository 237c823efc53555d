"""Competition: the weighted evaluation maths, and the commissioner's pages behind the walls."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from tests.web.conftest import DEMO_PASSWORD
from tests.web.world import World, build_world

from commissioning.secure.evaluation import (
    Bid,
    WeightedCriterion,
    evaluate,
    price_points,
    quality_points,
    weight_problems,
)
from commissioning.web import models as m
from commissioning.web.roles import Role

D = Decimal
CRITERIA = [
    WeightedCriterion(1, "Delivery", "quality", D(30)),
    WeightedCriterion(2, "Intentions", "quality", D(30)),
    WeightedCriterion(3, "Price", "price", D(40)),
]


def test_quality_points_are_the_score_out_of_four_times_the_weight() -> None:
    assert quality_points(3, D(30)) == D("22.5")
    assert quality_points(0, D(30)) == D(0)
    assert quality_points(4, D(30)) == D(30)
    with pytest.raises(ValueError, match="0 to 4"):
        quality_points(5, D(30))


def test_price_points_are_lowest_price_over_price_times_the_weight() -> None:
    assert price_points(D(800_000), D(800_000), D(40)) == D(40)
    assert price_points(D(1_000_000), D(800_000), D(40)) == D(32)
    assert price_points(D(0), D(0), D(40)) == D(40)


def test_weighted_totals_and_ranks_equal_the_hand_computed_ones() -> None:
    bids = [
        Bid(10, D(1_000_000), {1: 4, 2: 2}),  # 30 + 15 = 45 quality; 800/1000 × 40 = 32 price
        Bid(11, D(800_000), {1: 3, 2: 4}),  # 22.5 + 30 = 52.5 quality; 40 price
        Bid(12, D(1_200_000), {1: 4, 2: None}),  # not moderated: 800/1200 × 40 = 26.67 price
    ]
    results = evaluate(CRITERIA, bids)
    assert [
        (r.proposal_id, r.quality_points, r.price_points, r.total, r.rank) for r in results
    ] == [
        (11, D("52.50"), D("40.00"), D("92.50"), 1),
        (10, D("45.00"), D("32.00"), D("77.00"), 2),
        (12, None, D("26.67"), None, None),
    ]
    assert results[2].awaiting == ("Intentions",)


def test_equal_totals_share_a_rank() -> None:
    bids = [
        Bid(1, D(100), {1: 2, 2: 2}),
        Bid(2, D(100), {1: 2, 2: 2}),
        Bid(3, D(200), {1: 2, 2: 2}),
    ]
    assert [r.rank for r in evaluate(CRITERIA, bids)] == [1, 1, 3]


def test_weights_must_sum_to_100_with_one_price_criterion() -> None:
    assert weight_problems(CRITERIA) == []
    assert weight_problems(CRITERIA[:2]) == ["The weights add up to 60%; they must add up to 100%."]
    two_prices = [*CRITERIA[:1], *[WeightedCriterion(i, "P", "price", D(35)) for i in (4, 5)]]
    assert "Give price one criterion only" in weight_problems(two_prices)[0]


# ---------------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------------

NOTE = "Evaluator note: weak partnership evidence"
REASONS = "Award reason: best value for the violence segment"


@pytest.fixture
def world(db: None) -> World:
    w = build_world()
    for name, kind, weight in (("Delivery", "quality", 60), ("Price", "price", 40)):
        m.Criterion.objects.create(round=w.round, name=name, kind=kind, weight=D(weight))
    return w


def second_commissioner(world: World) -> Any:
    user = get_user_model().objects.create_user(username="commissioner2", password="x" * 20)
    m.Membership.objects.create(user=user, organisation=world.orgs["noms"], role=Role.COMMISSIONER)
    return user


def delivery(world: World) -> m.Criterion:
    return m.Criterion.objects.get(round=world.round, name="Delivery")


def score(
    client: Client,
    proposal: m.Proposal,
    criterion: m.Criterion,
    value: int,
    note: str,
    view: str = "competition-score",
) -> Any:
    return client.post(
        reverse(view, args=[proposal.pk]),
        {f"score_{criterion.pk}": str(value), f"note_{criterion.pk}": note},
    )


def test_evaluators_score_and_moderation_shows_each_score_beside_the_agreed_one(
    client: Client, world: World
) -> None:
    bid = world.proposals["a_submitted"]
    crit = delivery(world)
    client.force_login(world.users["commissioner"])
    assert score(client, bid, crit, 3, NOTE).status_code == 302
    client.force_login(second_commissioner(world))
    score(client, bid, crit, 1, "Thin on staffing")
    assert sorted(m.Score.objects.filter(proposal=bid).values_list("score", flat=True)) == [1, 3]
    page = client.get(reverse("competition-moderate", args=[bid.pk])).content.decode()
    assert NOTE in page and "Thin on staffing" in page
    assert (
        score(client, bid, crit, 2, "Agreed between the two", "competition-moderate").status_code
        == 302
    )
    agreed = m.ModeratedScore.objects.get(proposal=bid, criterion=crit)
    assert (agreed.score, agreed.note) == (2, "Agreed between the two")


def test_the_ranking_shows_hand_computed_totals(client: Client, world: World) -> None:
    a, b = world.proposals["a_submitted"], world.proposals["b_submitted"]
    a.lines.update(unit_price=D(800))  # A: 10 × £800 = £8,000; B: 10 × £1,000 = £10,000
    crit = delivery(world)
    client.force_login(world.users["commissioner"])
    score(client, a, crit, 2, "", "competition-moderate")
    score(client, b, crit, 4, "", "competition-moderate")
    page = client.get(reverse("competition-round", args=[world.round.pk])).content.decode()
    ranking = page[page.index(">Ranking<") :]
    # A: 60 × 2/4 = 30 + 40 = 70.00; B: 60 + 8000/10000 × 40 = 32 → 92.00
    assert "70.00" in ranking and "92.00" in ranking
    assert ranking.index("B&#x27;s bid") < ranking.index("A&#x27;s bid")


def test_providers_never_reach_competition_pages_and_each_try_is_recorded(
    client: Client, world: World
) -> None:
    bid = world.proposals["a_submitted"]
    client.force_login(world.users["provider_a"])
    urls = [
        reverse("competition-list"),
        reverse("competition-round", args=[world.round.pk]),
        reverse("competition-criteria", args=[world.round.pk]),
        reverse("competition-award", args=[world.round.pk]),
        reverse("competition-score", args=[bid.pk]),
        reverse("competition-moderate", args=[bid.pk]),
    ]
    assert [client.get(u).status_code for u in urls] == [404] * len(urls)
    assert m.AccessDenial.objects.filter(username="provider_a").count() == len(urls)


def test_the_providers_proposal_page_shows_no_scores_notes_or_award_reasons(
    client: Client, world: World
) -> None:
    bid = world.proposals["a_submitted"]
    crit = delivery(world)
    client.force_login(world.users["commissioner"])
    score(client, bid, crit, 3, NOTE)
    score(client, bid, crit, 3, NOTE + " (moderated)", "competition-moderate")
    score(client, world.proposals["b_submitted"], crit, 1, "", "competition-moderate")
    client.post(
        reverse("competition-award", args=[world.round.pk]),
        {"proposal": bid.pk, "reasons": REASONS},
    )
    assert m.Award.objects.filter(proposal=bid).exists()
    client.force_login(world.users["provider_a"])
    page = client.get(reverse("proposal-detail", args=[bid.pk])).content.decode()
    assert bid.title.replace("'", "&#x27;") in page
    assert NOTE not in page and REASONS not in page and "Score this proposal" not in page


def test_auditors_read_the_evaluation_but_cannot_score(client: Client, world: World) -> None:
    client.force_login(world.users["auditor"])
    assert client.get(reverse("competition-round", args=[world.round.pk])).status_code == 200
    response = score(client, world.proposals["a_submitted"], delivery(world), 4, "")
    assert response.status_code == 403
    assert not m.Score.objects.exists()


def test_commissioners_cannot_score_a_draft(client: Client, world: World) -> None:
    client.force_login(world.users["commissioner"])
    response = score(client, world.proposals["a_draft"], delivery(world), 4, "")
    assert response.status_code == 404
    assert not m.Score.objects.exists()


def test_criteria_weights_must_sum_to_100(client: Client, world: World) -> None:
    client.force_login(world.users["commissioner"])
    criteria = list(m.Criterion.objects.filter(round=world.round).order_by("pk"))
    data: dict[str, str] = {
        "form-TOTAL_FORMS": "3",
        "form-INITIAL_FORMS": "2",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
    }
    for i, c in enumerate(criteria):
        data |= {
            f"form-{i}-id": str(c.pk),
            f"form-{i}-name": c.name,
            f"form-{i}-kind": c.kind,
            f"form-{i}-weight": str(c.weight),
            f"form-{i}-guidance": "",
        }
    data |= {"form-2-name": "Partnership", "form-2-kind": "quality", "form-2-weight": "10"}
    response = client.post(reverse("competition-criteria", args=[world.round.pk]), data)
    assert response.status_code == 200
    assert "The weights add up to 110%" in response.content.decode()
    assert m.Criterion.objects.filter(round=world.round).count() == 2
    data |= {"form-0-weight": "50"}
    response = client.post(reverse("competition-criteria", args=[world.round.pk]), data)
    assert response.status_code == 302
    weights = dict(m.Criterion.objects.filter(round=world.round).values_list("name", "weight"))
    assert weights == {"Delivery": D(50), "Price": D(40), "Partnership": D(10)}


def test_the_award_records_reasons_decides_the_lot_and_writes_audit_entries(
    client: Client, world: World
) -> None:
    a, b = world.proposals["a_submitted"], world.proposals["b_submitted"]
    crit = delivery(world)
    client.force_login(world.users["commissioner"])
    score(client, a, crit, 4, "", "competition-moderate")
    score(client, b, crit, 2, "", "competition-moderate")
    before = m.AuditEntry.objects.count()
    response = client.post(
        reverse("competition-award", args=[world.round.pk]),
        {"proposal": a.pk, "reasons": REASONS, "not_awarded": [b.pk]},
    )
    assert response.status_code == 302
    award = m.Award.objects.get()
    # A: 60 + 40 (equal prices) = 100.00
    assert (award.proposal_id, award.reasons, award.total_score) == (a.pk, REASONS, D("100.00"))
    statuses = dict(m.Proposal.objects.filter(pk__in=[a.pk, b.pk]).values_list("pk", "status"))
    assert statuses == {a.pk: "awarded", b.pk: "not_awarded"}
    entries = list(
        m.AuditEntry.objects.filter(seq__gt=before).values_list("action", "model", "actor")
    )
    assert ("create", "web.Award", "commissioner") in entries
    assert entries.count(("update", "web.Proposal", "commissioner")) == 2


@pytest.mark.django_db
def test_the_ranking_counts_every_flag_of_a_proposal(demo: Any) -> None:
    client = Client()
    assert client.login(username="commissioner", password=DEMO_PASSWORD)
    london = m.Proposal.objects.get(provider__provider_id="LDN")
    assert london.flags.count() == 2  # community 3 (mentoring, low/low) and community 5
    page = client.get(f"/competition/rounds/{london.round_id}/").content.decode()
    assert "2 flags" in page
