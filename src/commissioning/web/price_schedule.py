"""A provider's price schedule, the same through the page and the API.

The proposal page (``web.views.proposals.proposal_prices``) and the API
(``POST /api/proposals/{id}/schedule``) both check the file with
:class:`~commissioning.web.forms.proposals.PriceScheduleForm` (size, type, mode), then call
:func:`upload`: the reader (:func:`commissioning.secure.prices.read_upload`, all-or-nothing,
``ValidationFailed`` with every problem) and the service
(:func:`commissioning.web.services.apply_price_schedule`, one transaction, audited line by line
by the model signals). Both serve the template with :func:`template_response`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpResponse

from commissioning.plan.inputs import STATUTORY_SERVICES
from commissioning.schema.contract import OFFENCE_GROUPS, RISK_TIERS
from commissioning.secure import prices
from commissioning.web import models as m
from commissioning.web import services
from commissioning.web.checks import catalogue_by_id
from commissioning.web.forms.proposals import price_offer
from commissioning.web.policy import parameters

#: The example row's volume in the template (an example, replaced by the provider's own).
EXAMPLE_VOLUME = 10
#: The example row's rationale: it says what the row is and where its price comes from.
EXAMPLE_NOTE = ("Example row: replace it with your own services, volumes and prices. Its unit "
                "price is the plan's assumed cost (parameter plan.unit_costs), not a quote.")
#: The template's formats and their content types.
TEMPLATE_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def example_line(proposal: m.Proposal) -> prices.PriceLine:
    """The template's example row: the first catalogue service (strongest evidence first) that
    the plan prices (``plan.unit_costs`` at the round's date) and that is delivered in the
    proposal's lot's setting, for a segment the service is meant for."""
    offer = price_offer()
    costs: dict[str, Any] = parameters().value("plan.unit_costs", proposal.round.starts)
    setting = proposal.lot.setting if proposal.lot is not None else "community"
    catalogue = catalogue_by_id()
    for sid, (_, where) in offer.services.items():
        cost = (costs.get(sid) or {}).get("cost")
        if sid in STATUTORY_SERVICES or cost is None or (where and setting not in where):
            continue
        item = catalogue[sid]
        group = item.offence_groups[0] if item.offence_groups else OFFENCE_GROUPS[1]
        tier = item.min_risk_tier or RISK_TIERS[1]
        return prices.PriceLine(
            row=2, service_id=sid, setting=setting, offence_group=group, risk_tier=tier,
            harm="medium", women_only=False, volume=EXAMPLE_VOLUME,
            unit_price=Decimal(str(cost)).quantize(Decimal("0.01")), rationale=EXAMPLE_NOTE)
    raise Http404("No priced service is delivered in this proposal's setting.")


def line_keys(proposal: m.Proposal) -> list[tuple[str, str, str, str, str, bool]]:
    """What makes each of the proposal's lines the line it is (:data:`prices.KEY`)."""
    return [
        (line.service_id, line.setting, line.offence_group, line.risk_tier, line.harm,
         line.women_only)
        for line in proposal.lines.all()
    ]


def upload(proposal: m.Proposal, file: UploadedFile, *, replace: bool) -> list[m.ProposalLine]:
    """Read a checked upload (the form's ``file``) as a price schedule and store its lines in
    place of the proposal's (``replace``) or added to them; the lines created. Raises
    ``ValidationFailed`` (every problem; nothing changed) or ``ValidationError`` (the proposal
    is no longer a draft in an open round; nothing changed). The caller checked the walls."""
    lines = prices.read_upload(file.chunks(), file.name or "upload", price_offer(),
                               () if replace else line_keys(proposal))
    return services.apply_price_schedule(proposal, lines, replace=replace)


def template_response(proposal: m.Proposal, fmt: str) -> HttpResponse:
    """The price schedule template (header and one example row) as CSV or Excel (``fmt``); the
    Excel workbook adds a sheet of the values the round allows."""
    example = example_line(proposal)
    if fmt == "csv":
        body = prices.template_csv(example)
    else:
        body = prices.template_xlsx(example, price_offer())
    response = HttpResponse(body, content_type=TEMPLATE_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="price-schedule-template.{fmt}"'
    return response
