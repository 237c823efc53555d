"""API: commissioning rounds and their published evaluation criteria."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import HttpRequest
from ninja import Router, Schema

from commissioning.web import models as m
from commissioning.web.api.common import Id, responses
from commissioning.web.walls import get_visible_or_404, visible

router = Router(tags=["rounds"])


class CriterionOut(Schema):
    name: str
    kind: str
    weight: Decimal
    guidance: str


class RoundOut(Schema):
    id: int
    year: str
    title: str
    summary: str
    status: str
    opens: dt.date | None
    closes: dt.date | None
    criteria: list[CriterionOut]


def round_out(request: HttpRequest, rnd: m.CommissioningRound) -> RoundOut:
    criteria = visible(request.user, m.Criterion).filter(round=rnd)
    return RoundOut(
        id=rnd.pk,
        year=rnd.year,
        title=rnd.title,
        summary=rnd.summary,
        status=rnd.status,
        opens=rnd.opens,
        closes=rnd.closes,
        criteria=[
            CriterionOut(name=c.name, kind=c.kind, weight=c.weight, guidance=c.guidance)
            for c in criteria
        ],
    )


@router.get("/rounds", response=responses(list[RoundOut]), auth=None)
def list_rounds(request: HttpRequest) -> list[RoundOut]:
    """Published rounds (and drafts, for the commissioning side)."""
    return [round_out(request, r) for r in visible(request.user, m.CommissioningRound)]


@router.get("/rounds/{round_id}", response=responses(RoundOut), auth=None)
def get_round(request: HttpRequest, round_id: Id) -> RoundOut:
    return round_out(request, get_visible_or_404(request, m.CommissioningRound, pk=round_id))
