"""API: SLAs and contracts with their current agreed schedule, targets, versions and performance
(results based on few people withheld as ``*`` outside the commissioning side and the provider).

Also serves the transparency data: exactly what the public may see, whoever asks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.security import django_auth
from pydantic import Field

from commissioning.web import models as m
from commissioning.web import services
from commissioning.web.api.common import Id, Limit, Offset, responses
from commissioning.web.views.assurance import performance_lines
from commissioning.web.walls import Viewer, get_visible_or_404, require, viewer_of, visible

router = Router(tags=["contracts"])
transparency = Router(tags=["transparency"])


class ScheduleLineOut(Schema):
    service_id: str
    setting: str
    offence_group: str
    risk_tier: str
    harm: str
    volume: int
    price: Decimal


class TargetOut(Schema):
    measure: str
    target: Decimal
    unit: str
    direction: str


class VersionOut(Schema):
    number: int
    status: str
    annual_operating_price: Decimal
    agreed_at: dt.datetime | None


class PerformanceOut(Schema):
    """A result as published: ``actual`` and ``people`` are ``*`` when withheld."""

    measure: str
    period: str
    unit: str
    actual: str
    target: str
    direction: str
    people: str
    standing: str


class ContractOut(Schema):
    id: int
    reference: str
    title: str
    kind: str
    provider: str
    provider_kind: str
    round_year: str | None
    starts: dt.date
    ends: dt.date
    published: bool
    current_version: int | None
    annual_operating_price: Decimal | None


class ContractDetailOut(ContractOut):
    schedule: list[ScheduleLineOut]
    targets: list[TargetOut]
    versions: list[VersionOut]
    performance: list[PerformanceOut]


class ContractPage(Schema):
    count: int
    items: list[ContractOut]


def _summary(viewer: Viewer, c: m.Contract) -> ContractOut:
    current = services.current_version(c, viewer)
    return ContractOut(
        id=c.pk,
        reference=c.reference,
        title=c.title,
        kind=c.kind,
        provider=c.provider.name,
        provider_kind=c.provider.kind,
        round_year=c.round.year if c.round is not None else None,
        starts=c.starts,
        ends=c.ends,
        published=c.published,
        current_version=current.number if current is not None else None,
        annual_operating_price=current.annual_operating_price if current else None,
    )


def contract_detail(viewer: Viewer, c: m.Contract) -> ContractDetailOut:
    current = services.current_version(c, viewer)
    lines = visible(viewer, m.ScheduleLine).filter(version=current) if current else []
    targets = list(visible(viewer, m.TargetLevel).filter(version=current)) if current else []
    records = visible(viewer, m.PerformanceRecord).filter(contract=c)
    return ContractDetailOut.model_validate(
        {
            **_summary(viewer, c).model_dump(),
            "schedule": [
                ScheduleLineOut(
                    service_id=x.service_id,
                    setting=x.setting,
                    offence_group=x.offence_group,
                    risk_tier=x.risk_tier,
                    harm=x.harm,
                    volume=x.volume,
                    price=x.price,
                )
                for x in lines
            ],
            "targets": [
                TargetOut(measure=t.measure, target=t.target, unit=t.unit, direction=t.direction)
                for t in targets
            ],
            "versions": [
                VersionOut(
                    number=v.number,
                    status=v.status,
                    annual_operating_price=v.annual_operating_price,
                    agreed_at=v.agreed_at,
                )
                for v in visible(viewer, m.ContractVersion).filter(contract=c)
            ],
            "performance": [
                PerformanceOut(
                    measure=p.measure,
                    period=p.period,
                    unit=p.unit,
                    actual=p.actual,
                    target=p.target,
                    direction=p.direction,
                    people=p.people,
                    standing=str(p.standing),
                )
                for p in performance_lines(viewer, c, records, targets)
            ],
        }
    )


def _page(viewer: Viewer, limit: int, offset: int) -> ContractPage:
    qs = visible(viewer, m.Contract).select_related("provider", "round").order_by("reference")
    items = [_summary(viewer, c) for c in qs[offset : offset + limit]]
    return ContractPage(count=qs.count(), items=items)


@router.get("/contracts", response=responses(ContractPage), auth=None)
def list_contracts(request: HttpRequest, limit: Limit = 100, offset: Offset = 0) -> ContractPage:
    """The contracts you may see: your own (providers), shared (partners), all (commissioning
    side), published (everyone)."""
    return _page(viewer_of(request.user), limit, offset)


@router.get("/contracts/{contract_id}", response=responses(ContractDetailOut), auth=None)
def get_contract(request: HttpRequest, contract_id: Id) -> ContractDetailOut:
    """A contract with its current agreed schedule, targets, versions and performance."""
    contract = get_visible_or_404(request, m.Contract, pk=contract_id)
    return contract_detail(viewer_of(request.user), contract)


class AgreeIn(Schema):
    reason: str = Field(default="", max_length=4000,
                        description="Why the schedule changed (required for a variation).")


@router.post(
    "/contracts/{contract_id}/versions/{number}/agree",
    response=responses(ContractDetailOut),
    auth=django_auth,
)
def agree_version(
    request: HttpRequest, contract_id: Id, number: Id, payload: AgreeIn
) -> ContractDetailOut:
    """Agree a draft version (commissioning side): the method the contract page uses. When an
    agreed version exists this is a variation from it, with its reason."""
    contract = get_visible_or_404(request, m.Contract, pk=contract_id)
    version = get_visible_or_404(request, m.ContractVersion, contract=contract, number=number)
    require(request, "change", version)
    if not isinstance(request.user, User):
        raise PermissionDenied("sign in first")
    # ValidationError (422) names what is missing
    services.agree_version(version, request.user, payload.reason)
    return contract_detail(viewer_of(request.user), contract)


PUBLIC = AnonymousUser()


@transparency.get("/transparency/contracts", response=responses(ContractPage), auth=None)
def published_contracts(
    request: HttpRequest, limit: Limit = 100, offset: Offset = 0
) -> ContractPage:
    """Published SLAs and contracts, exactly as the public sees them."""
    return _page(viewer_of(PUBLIC), limit, offset)


@transparency.get(
    "/transparency/contracts/{contract_id}", response=responses(ContractDetailOut), auth=None
)
def published_contract(request: HttpRequest, contract_id: Id) -> ContractDetailOut:
    """A published contract's schedule, targets and performance (small cells withheld)."""
    contract = get_visible_or_404(request, m.Contract, who=PUBLIC, pk=contract_id)
    return contract_detail(viewer_of(PUBLIC), contract)
