"""API: a provider's proposals, their service lines, and the automatic check's flags.

Providers create and change only their own drafts in an open round; the commissioning side reads
submitted proposals. The check against the intentions runs after every change to the lines and
on submission, as on the pages. A whole price schedule (CSV or Excel) is uploaded, and its
template downloaded, through the same form checks, reader and service as the proposal's price
schedule page (:mod:`commissioning.web.price_schedule`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.datastructures import MultiValueDict
from ninja import File, Form, Router, Schema, Status, UploadedFile
from ninja.security import django_auth
from pydantic import Field

from commissioning.io.validation import ValidationFailed
from commissioning.plan.inputs import STATUTORY_SERVICES
from commissioning.web import models as m
from commissioning.web import price_schedule, services
from commissioning.web.api.common import (
    ERRORS,
    MAX_ID,
    Harm,
    Id,
    Invalid,
    Limit,
    LongText,
    OffenceGroup,
    Offset,
    RiskTier,
    ScheduleMode,
    ServiceId,
    Setting,
    Title,
    UnitPrice,
    download,
    responses,
)
from commissioning.web.checks import catalogue_by_id
from commissioning.web.forms.proposals import PriceScheduleForm
from commissioning.web.walls import get_visible_or_404, require, visible

router = Router(tags=["proposals"], auth=django_auth)


class LineIn(Schema):
    service_id: ServiceId
    setting: Setting
    offence_group: OffenceGroup
    risk_tier: RiskTier
    harm: Harm = "low"
    women_only: bool = False
    volume: Annotated[int, Field(ge=1, le=MAX_ID)]
    unit_price: UnitPrice
    rationale: LongText = ""


class LineOut(Schema):
    id: int
    service_id: str
    setting: str
    offence_group: str
    risk_tier: str
    harm: str
    women_only: bool
    volume: int
    unit_price: Decimal
    price: Decimal
    rationale: str


class SubcontractOut(Schema):
    subcontractor: str
    services: str
    annual_value: Decimal


class FlagOut(Schema):
    id: int
    line_id: int | None
    intention: str
    rule: str
    detail: str
    rationale_given: bool


class ProposalIn(Schema):
    round_id: Annotated[int, Field(ge=1, le=MAX_ID)]
    title: Title
    lot_id: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None
    delivery_approach: LongText = ""
    subcontracting_plan: LongText = ""


class ProposalPatch(Schema):
    title: Title | None = None
    lot_id: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None
    delivery_approach: LongText | None = None
    subcontracting_plan: LongText | None = None


class ProposalOut(Schema):
    id: int
    round_id: int
    round_year: str
    lot_id: int | None
    lot: str | None
    provider: str
    title: str
    status: str
    delivery_approach: str
    subcontracting_plan: str
    annual_price: Decimal
    profile_rows: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    submitted_at: dt.datetime | None


class ProposalDetailOut(ProposalOut):
    lines: list[LineOut]
    subcontracts: list[SubcontractOut]
    flags: list[FlagOut]


class ProposalPage(Schema):
    count: int
    items: list[ProposalOut]


def _line_out(line: m.ProposalLine) -> LineOut:
    return LineOut(
        id=line.pk,
        service_id=line.service_id,
        setting=line.setting,
        offence_group=line.offence_group,
        risk_tier=line.risk_tier,
        harm=line.harm,
        women_only=line.women_only,
        volume=line.volume,
        unit_price=line.unit_price,
        price=line.price,
        rationale=line.rationale,
    )


def _out(p: m.Proposal) -> ProposalOut:
    return ProposalOut(
        id=p.pk,
        round_id=p.round_id,
        round_year=p.round.year,
        lot_id=p.lot_id,
        lot=str(p.lot) if p.lot is not None else None,
        provider=p.provider.name,
        title=p.title,
        status=p.status,
        delivery_approach=p.delivery_approach,
        subcontracting_plan=p.subcontracting_plan,
        annual_price=p.annual_price,
        profile_rows=p.profile_rows,
        created_at=p.created_at,
        updated_at=p.updated_at,
        submitted_at=p.submitted_at,
    )


def _detail(request: HttpRequest, p: m.Proposal) -> ProposalDetailOut:
    lines = visible(request.user, m.ProposalLine).filter(proposal=p)
    subs = visible(request.user, m.Subcontract).filter(proposal=p)
    flags = visible(request.user, m.ProposalFlag).filter(proposal=p)
    return ProposalDetailOut.model_validate(
        {
            **_out(p).model_dump(),
            "lines": [_line_out(line) for line in lines],
            "subcontracts": [
                SubcontractOut(
                    subcontractor=s.subcontractor, services=s.services, annual_value=s.annual_value
                )
                for s in subs
            ],
            "flags": [_flag_out(f) for f in flags],
        }
    )


def _flag_out(f: m.ProposalFlag) -> FlagOut:
    return FlagOut(
        id=f.pk,
        line_id=f.line_id,
        intention=f.intention,
        rule=f.rule,
        detail=f.detail,
        rationale_given=f.rationale_given,
    )


def _proposal(request: HttpRequest, proposal_id: int) -> m.Proposal:
    return get_visible_or_404(request, m.Proposal, pk=proposal_id)


def _lot(rnd: m.CommissioningRound, lot_id: int | None) -> m.Lot | None:
    if lot_id is None:
        return None
    lot = m.Lot.objects.filter(round=rnd, pk=lot_id).first()
    if lot is None:
        raise ValidationError({"lot_id": "this round has no lot with this id"})
    return lot


def _check_service(service_id: str) -> None:
    if service_id not in STATUTORY_SERVICES and service_id not in catalogue_by_id():
        raise ValidationError(
            {"service_id": f"{service_id!r} is not a service in the intervention catalogue"}
        )


@router.get("/proposals", response=responses(ProposalPage))
def list_proposals(request: HttpRequest, limit: Limit = 100, offset: Offset = 0) -> ProposalPage:
    """Your organisation's proposals (providers) or the submitted ones (commissioning side)."""
    qs = visible(request.user, m.Proposal).select_related("round", "provider", "lot").order_by("pk")
    page = qs.prefetch_related("lines")[offset : offset + limit]
    return ProposalPage(count=qs.count(), items=[_out(p) for p in page])


@router.post("/proposals", response=responses(ProposalDetailOut, 201))
def create_proposal(request: HttpRequest, payload: ProposalIn) -> Status[ProposalDetailOut]:
    """Start a draft proposal for an open round (providers)."""
    viewer = require(request, "create", m.Proposal)
    if viewer.organisation is None:
        raise PermissionDenied("only a provider's members write proposals")
    rnd = (
        visible(request.user, m.CommissioningRound)
        .filter(pk=payload.round_id, status=m.CommissioningRound.Status.OPEN)
        .first()
    )
    if rnd is None:
        raise ValidationError({"round_id": "no round open for proposals has this id"})
    proposal = services.start_proposal(
        rnd, viewer.organisation, payload.title,
        request.user if isinstance(request.user, User) else None,
        lot=_lot(rnd, payload.lot_id),
        delivery_approach=payload.delivery_approach,
        subcontracting_plan=payload.subcontracting_plan,
    )
    return Status(201, _detail(request, proposal))


@router.get("/proposals/{proposal_id}", response=responses(ProposalDetailOut))
def get_proposal(request: HttpRequest, proposal_id: Id) -> ProposalDetailOut:
    return _detail(request, _proposal(request, proposal_id))


@router.patch("/proposals/{proposal_id}", response=responses(ProposalDetailOut))
def update_proposal(
    request: HttpRequest, proposal_id: Id, payload: ProposalPatch
) -> ProposalDetailOut:
    """Change a draft's title, delivery approach or subcontracting plan."""
    proposal = _proposal(request, proposal_id)
    require(request, "change", proposal)
    for field, value in payload.dict(exclude_unset=True).items():
        if value is None:
            raise ValidationError({field: "must not be null"})
        if field == "lot_id":
            proposal.lot = _lot(proposal.round, value)
        else:
            setattr(proposal, field, value)
    proposal.save()
    return _detail(request, proposal)


@router.post("/proposals/{proposal_id}/submit", response=responses(ProposalDetailOut))
def submit_proposal(request: HttpRequest, proposal_id: Id) -> ProposalDetailOut:
    """Send a draft to the commissioner; it needs at least one service line."""
    proposal = _proposal(request, proposal_id)
    require(request, "submit", proposal)
    services.submit_proposal(proposal)  # raises ValidationError (422) naming what is missing
    return _detail(request, proposal)


@router.get("/proposals/{proposal_id}/lines", response=responses(list[LineOut]))
def list_lines(request: HttpRequest, proposal_id: Id) -> list[LineOut]:
    proposal = _proposal(request, proposal_id)
    return [_line_out(x) for x in visible(request.user, m.ProposalLine).filter(proposal=proposal)]


@router.post("/proposals/{proposal_id}/lines", response=responses(LineOut, 201))
def add_line(request: HttpRequest, proposal_id: Id, payload: LineIn) -> Status[LineOut]:
    proposal = _proposal(request, proposal_id)
    require(request, "change", proposal)
    _check_service(payload.service_id)
    with transaction.atomic():
        line = m.ProposalLine.objects.create(proposal=proposal, **payload.dict())
        services.recheck(proposal)
    return Status(201, _line_out(line))


@router.put("/proposals/{proposal_id}/lines/{line_id}", response=responses(LineOut))
def replace_line(request: HttpRequest, proposal_id: Id, line_id: Id, payload: LineIn) -> LineOut:
    proposal = _proposal(request, proposal_id)
    line = get_visible_or_404(request, m.ProposalLine, pk=line_id, proposal=proposal)
    require(request, "change", line)
    _check_service(payload.service_id)
    with transaction.atomic():
        for field, value in payload.dict().items():
            setattr(line, field, value)
        line.save()
        services.recheck(proposal)
    return _line_out(line)


@router.delete("/proposals/{proposal_id}/lines/{line_id}", response=responses(None, 204))
def delete_line(request: HttpRequest, proposal_id: Id, line_id: Id) -> Status[None]:
    proposal = _proposal(request, proposal_id)
    line = get_visible_or_404(request, m.ProposalLine, pk=line_id, proposal=proposal)
    require(request, "delete", line)
    with transaction.atomic():
        line.delete()
        services.recheck(proposal)
    return Status(204, None)


@router.get("/proposals/{proposal_id}/flags", response=responses(list[FlagOut]))
def list_flags(request: HttpRequest, proposal_id: Id) -> list[FlagOut]:
    """Departures from the intentions found by the automatic check."""
    proposal = _proposal(request, proposal_id)
    return [_flag_out(f) for f in visible(request.user, m.ProposalFlag).filter(proposal=proposal)]


class ScheduleInvalid(Invalid):
    """A refused price schedule: ``detail`` has one entry per problem (up to 1,000) with the
    ``file``, ``row`` (the header is row 1), ``column``, ``value``, ``rule`` and ``message``
    the page lists, and ``total`` counts every problem. Other refusals (a missing field, a
    file too big or of the wrong type, a proposal no longer a draft) have ``detail`` only."""

    total: int | None = None


def _schedule_problems(exc: ValidationFailed) -> ScheduleInvalid:
    return ScheduleInvalid(
        detail=[
            {
                "loc": ["body", "file"],
                "msg": p.describe(),
                "type": p.rule,
                "file": p.file,
                "row": p.row,
                "column": p.column,
                "value": p.value,
                "rule": p.rule,
                "message": p.message,
            }
            for p in exc.problems
        ],
        total=exc.total,
    )


@router.post(
    "/proposals/{proposal_id}/schedule",
    response={**responses(list[LineOut], 201), 422: ScheduleInvalid},
)
def upload_schedule(
    request: HttpRequest,
    proposal_id: Id,
    file: File[UploadedFile],
    mode: Form[ScheduleMode],
) -> Status[list[LineOut]] | Status[ScheduleInvalid]:
    """Upload a whole price schedule (CSV or Excel .xlsx, in the template's columns) to a draft,
    as on the proposal's price schedule page: ``mode`` ``replace`` (its lines take the place of
    every line the proposal has) or ``append`` (added to them; a row repeating a line already
    there is a problem). All or nothing: 201 with every line now on the proposal (oldest first,
    so the created lines are the last ones), or 422 with every problem and nothing changed."""
    proposal = _proposal(request, proposal_id)
    require(request, "change", proposal)
    form = PriceScheduleForm({"mode": mode}, MultiValueDict({"file": [file]}))
    if not form.is_valid():  # the page's checks: size limit, file type, mode
        raise ValidationError({name: list(errors) for name, errors in form.errors.items()})
    try:
        price_schedule.upload(proposal, form.cleaned_data["file"],
                              replace=form.cleaned_data["mode"] == "replace")
    except ValidationFailed as exc:
        return Status(422, _schedule_problems(exc))
    lines = visible(request.user, m.ProposalLine).filter(proposal=proposal).order_by("pk")
    return Status(201, [_line_out(line) for line in lines])


def _template(fmt: str) -> dict[str, object]:
    return download(price_schedule.TEMPLATE_TYPES[fmt].split(";")[0],
                    f"The price schedule template ({fmt.upper()}) as the page downloads it.")


@router.get("/proposals/{proposal_id}/schedule/template.csv", response=ERRORS,
            openapi_extra=_template("csv"))
def schedule_template_csv(request: HttpRequest, proposal_id: Id) -> HttpResponse:
    """The price schedule template as CSV (UTF-8 with a byte-order mark): the header and one
    example row priced at the plan's assumed unit cost."""
    return price_schedule.template_response(_proposal(request, proposal_id), "csv")


@router.get("/proposals/{proposal_id}/schedule/template.xlsx", response=ERRORS,
            openapi_extra=_template("xlsx"))
def schedule_template_xlsx(request: HttpRequest, proposal_id: Id) -> HttpResponse:
    """The price schedule template as an Excel workbook: sheet ``price_schedule`` (header and
    one example row) and sheet ``allowed_values`` (the codes each column may hold)."""
    return price_schedule.template_response(_proposal(request, proposal_id), "xlsx")
