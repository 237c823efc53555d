"""Lots: a round's service group × region × setting; proposals answer one lot and are
evaluated, given price points, ranked and awarded only against the same lot's proposals."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from tests.web.conftest import DEMO_PASSWORD

from commissioning.secure.evaluation import Bid, WeightedCriterion, evaluate
from commissioning.web import models as m

D = Decimal
CRITERIA = [
    WeightedCriterion(1, "Delivery", "quality", D(35)),
    WeightedCriterion(2, "Intentions", "quality", D(25)),
    WeightedCriterion(3, "Price", "price", D(40)),
]


def test_a_small_charity_is_not_scored_against_a_national_trusts_price() -> None:
    # The case: £5.74M and £246,500 on one formula gave 1.72 against 40 price points.
    trust = Bid(1, D(5_740_000), {1: 3, 2: 3}, lot=7)
    charity = Bid(2, D(246_500), {1: 3, 2: 3}, lot=8)
    together = {r.proposal_id: r for r in evaluate(CRITERIA, [Bid(1, trust.price, trust.quality),
                                                              Bid(2, charity.price,
                                                                  charity.quality)])}
    assert together[1].price_points == D("1.72")  # what one formula over both gave
    by_lot = {r.proposal_id: r for r in evaluate(CRITERIA, [trust, charity])}
    assert by_lot[1].price_points == by_lot[2].price_points == D("40.00")
    assert by_lot[1].rank == by_lot[2].rank == 1  # each first in its own lot
    assert (by_lot[1].lot, by_lot[2].lot) == (7, 8)


def test_bids_in_different_lots_are_never_ranked_together() -> None:
    rng = random.Random(15)
    for _ in range(200):
        bids = [
            Bid(i, D(rng.randrange(50_000, 6_000_000)),
                {1: rng.choice([None, 0, 1, 2, 3, 4]), 2: rng.randrange(5)},
                lot=rng.choice([1, 2, 3, None]))
            for i in range(rng.randrange(1, 12))
        ]
        everything = {r.proposal_id: r for r in evaluate(CRITERIA, bids)}
        for lot in {b.lot for b in bids}:
            alone = evaluate(CRITERIA, [b for b in bids if b.lot == lot])
            # a lot's results do not depend on any bid in another lot ...
            assert [everything[r.proposal_id] for r in alone] == alone
            # ... and its ranks run from 1 within the lot
            ranks = sorted(r.rank for r in alone if r.rank is not None)
            assert not ranks or ranks[0] == 1


@pytest.fixture
def commissioner(demo: Any) -> Client:
    client = Client()
    assert client.login(username="commissioner", password=DEMO_PASSWORD)
    return client


def _moderate_everything() -> None:
    who = get_user_model().objects.get(username="commissioner")
    for proposal in m.Proposal.objects.filter(status="submitted"):
        for c in proposal.round.criteria.filter(kind="quality"):
            m.ModeratedScore.objects.create(proposal=proposal, criterion=c, score=3,
                                            moderated_by=who)


@pytest.mark.django_db
def test_the_demo_round_ranks_and_awards_lot_by_lot(demo: Any, commissioner: Client) -> None:
    rnd = m.CommissioningRound.objects.get()
    assert rnd.lots.count() == 4
    assert not m.Proposal.objects.filter(lot__isnull=True).exists()
    _moderate_everything()
    page = commissioner.get(reverse("competition-round", args=[rnd.pk])).content.decode()
    for lot in rnd.lots.all():
        assert escape(str(lot)) in page
    assert "Ranking in lot 1 (ranked only against each other)" in page
    assert "Budget" in page and "£6,500,000" in page and "Remaining" in page

    london = m.Proposal.objects.get(provider__provider_id="LDN")
    leeds = m.Proposal.objects.get(provider__provider_id="LEI")
    url = reverse("competition-award", args=[rnd.pk])
    # without a lot the page asks which one
    assert "Which lot are you awarding?" in commissioner.get(url).content.decode()
    # a proposal of another lot is not a candidate, nor can it be marked not awarded here
    refused = commissioner.post(f"{url}?lot={london.lot_id}",
                                {"lot": london.lot_id, "proposal": leeds.pk,
                                 "reasons": "Best value", "not_awarded": [leeds.pk]})
    assert refused.status_code == 200 and not m.Award.objects.exists()
    done = commissioner.post(url, {"lot": london.lot_id, "proposal": london.pk,
                                   "reasons": "The only and a good proposal for the lot"})
    assert done.status_code == 302
    london.refresh_from_db()
    leeds.refresh_from_db()
    assert (london.status, leeds.status) == ("awarded", "submitted")
    page = commissioner.get(reverse("competition-round", args=[rnd.pk])).content.decode()
    assert "Record the award of lot 1" not in page and "Record the award of lot 2" in page
    # a lot is awarded once
    again = commissioner.get(f"{url}?lot={london.lot_id}").content.decode()
    assert "This lot is already awarded." in again


@pytest.mark.django_db
def test_a_proposal_to_a_round_with_lots_is_submitted_only_with_a_lot(demo: Any) -> None:
    draft = m.Proposal.objects.get(status="draft")
    draft.lot = None
    draft.save()
    provider = Client()
    assert provider.login(username="prison.altcourse", password=DEMO_PASSWORD)
    response = provider.post(reverse("proposal-submit", args=[draft.pk]))
    assert response.status_code == 400
    assert "Choose the lot your proposal answers before you submit it" in response.content.decode()
    edit = provider.post(reverse("proposal-edit", args=[draft.pk]), {"title": draft.title})
    assert "Select the lot your proposal answers" in edit.content.decode()
    lot = draft.round.lots.get(number=4)
    provider.post(reverse("proposal-edit", args=[draft.pk]),
                  {"title": draft.title, "lot": lot.pk})
    assert provider.post(reverse("proposal-submit", args=[draft.pk])).status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.lot_id) == ("submitted", lot.pk)


@pytest.mark.django_db
def test_lot_budgets_stay_behind_the_wall(demo: Any) -> None:
    provider = Client()
    assert provider.login(username="trust.london", password=DEMO_PASSWORD)
    rnd = m.CommissioningRound.objects.get()
    page = provider.get(reverse("round-detail", args=[rnd.pk])).content.decode()
    assert "Lot 1" in page and "Community rehabilitation services" in page
    assert "6,500,000" not in page
    api = provider.get("/api/proposals").json()["items"]
    assert {p["lot"] for p in api} == {
        "Lot 1: Community rehabilitation services, London, community"
    }
