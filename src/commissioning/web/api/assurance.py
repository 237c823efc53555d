"""API: providers' assurance returns for their own contracts, and ratings."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.security import django_auth

from commissioning.secure.assurance import Quarter
from commissioning.web import models as m
from commissioning.web.api.common import Code, Id, LongText, responses
from commissioning.web.walls import get_managed_contract_or_404, require, visible

router = Router(tags=["assurance"])


class ReturnIn(Schema):
    kind: Code
    period: Code
    statement: LongText
    compliant: bool


class ReturnOut(Schema):
    id: int
    contract_id: int
    kind: str
    period: str
    statement: str
    compliant: bool
    submitted_by: str
    submitted_at: dt.datetime


class RatingOut(Schema):
    organisation: str
    year: str
    level: int
    rationale: str
    published: bool


def _return_out(r: m.AssuranceReturn) -> ReturnOut:
    return ReturnOut(
        id=r.pk,
        contract_id=r.contract_id,
        kind=r.kind,
        period=r.period,
        statement=r.statement,
        compliant=r.compliant,
        submitted_by=r.submitted_by.get_username(),
        submitted_at=r.submitted_at,
    )


@router.get(
    "/contracts/{contract_id}/returns", response=responses(list[ReturnOut]), auth=django_auth
)
def list_returns(request: HttpRequest, contract_id: Id) -> list[ReturnOut]:
    contract = get_managed_contract_or_404(request, contract_id)
    returns = visible(request.user, m.AssuranceReturn).filter(contract=contract)
    return [_return_out(r) for r in returns.select_related("submitted_by")]


@router.post(
    "/contracts/{contract_id}/returns", response=responses(ReturnOut, 201), auth=django_auth
)
def create_return(
    request: HttpRequest, contract_id: Id, payload: ReturnIn
) -> Status[ReturnOut]:
    """A self-audit return or assurance statement for a quarter (the provider, own contracts)."""
    contract = get_managed_contract_or_404(request, contract_id)
    record = m.AssuranceReturn(contract=contract)
    require(request, "create", record)
    if payload.kind not in m.AssuranceReturn.Kind.values:
        kinds = ", ".join(m.AssuranceReturn.Kind.values)
        raise ValidationError({"kind": f"must be one of: {kinds}"})
    try:
        period = str(Quarter.parse(payload.period.upper()))
    except ValueError as exc:
        raise ValidationError({"period": str(exc)}) from None
    record.kind = payload.kind
    record.period = period
    record.statement = payload.statement
    record.compliant = payload.compliant
    if not isinstance(request.user, User):
        raise PermissionDenied("sign in first")
    record.submitted_by = request.user
    record.save()
    return Status(201, _return_out(record))


@router.get("/ratings", response=responses(list[RatingOut]), auth=None)
def list_ratings(request: HttpRequest) -> list[RatingOut]:
    """Published ratings, and your own organisation's (providers), or all (commissioning side)."""
    ratings = visible(request.user, m.Rating).select_related("organisation")
    return [
        RatingOut(
            organisation=r.organisation.name,
            year=r.year,
            level=r.level,
            rationale=r.rationale,
            published=r.published,
        )
        for r in ratings
    ]
