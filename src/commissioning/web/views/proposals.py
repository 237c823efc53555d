"""Pages: proposals — a provider answers an open round; commissioners read submitted ones.

Every record is fetched through the ethical walls (:func:`walls.visible`,
:func:`walls.get_visible_or_404`) and every change is checked with :func:`walls.require`.
The automatic check against the intentions runs after every change to lines, the upload, and
on submission, replacing the proposal's flags.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import DecimalField, ExpressionWrapper, F, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import URLPattern, URLResolver, path, reverse
from django.views.decorators.http import require_http_methods

from commissioning.io.validation import ValidationFailed
from commissioning.secure import prices
from commissioning.secure.profiling import UploadRejected, published_tables
from commissioning.web import models as m
from commissioning.web import price_schedule, services, walls
from commissioning.web.forms.proposals import (
    PriceScheduleForm,
    ProposalCreateForm,
    ProposalEditForm,
    ProposalLineForm,
    SubcontractForm,
    UploadForm,
    price_offer,
    service_name,
)
from commissioning.web.policy import parameters

PAGE_SIZE = 50
GET_POST = require_http_methods(["GET", "POST"])


def _price(prefix: str = "lines__") -> ExpressionWrapper:  # type: ignore[type-arg]
    """A line's price (unit price × volume), from a proposal (``lines__``) or a line ("")."""
    return ExpressionWrapper(
        F(f"{prefix}unit_price") * F(f"{prefix}volume"),
        output_field=DecimalField(max_digits=18, decimal_places=2),
    )


def _proposal(request: HttpRequest, pk: int) -> m.Proposal:
    return walls.get_visible_or_404(request, m.Proposal, pk=pk)


def _detail(proposal: m.Proposal) -> HttpResponseRedirect:
    return redirect("proposal-detail", pk=proposal.pk)


@login_required
@require_http_methods(["GET"])
def proposal_list(request: HttpRequest) -> HttpResponse:
    """Providers: their own proposals (drafts too). Commissioning side: submitted proposals."""
    viewer = walls.viewer_of(request.user)
    proposals = (
        walls.visible(viewer, m.Proposal)
        .select_related("round", "provider")
        .order_by("-updated_at", "pk")
    )
    status = request.GET.get("status", "")
    if status in m.Proposal.Status.values:
        proposals = proposals.filter(status=status)
    page = Paginator(proposals, PAGE_SIZE).get_page(request.GET.get("page"))
    # Prices for this page only (grouping every visible proposal made the list slow).
    on_page = list(page.object_list)
    prices = dict(
        m.ProposalLine.objects.filter(proposal__in=[p.pk for p in on_page])
        .order_by()
        .values_list("proposal")
        .annotate(total=Sum(_price("")))
        .values_list("proposal", "total")
    )
    for proposal in on_page:
        proposal.price = prices.get(proposal.pk)
    page.object_list = on_page
    open_rounds = walls.visible(viewer, m.CommissioningRound).filter(
        status=m.CommissioningRound.Status.OPEN
    )
    return render(
        request,
        "web/proposals/list.html",
        {
            "page": page,
            "status": status,
            "statuses": m.Proposal.Status.choices,
            "may_create": walls.can(viewer, "create", m.Proposal) and open_rounds.exists(),
        },
    )


@login_required
@GET_POST
def proposal_create(request: HttpRequest) -> HttpResponse:
    viewer = walls.require(request, "create", m.Proposal)
    rounds = walls.visible(viewer, m.CommissioningRound).filter(
        status=m.CommissioningRound.Status.OPEN
    )
    form = ProposalCreateForm(request.POST or None, rounds=rounds)
    if request.method == "POST" and form.is_valid():
        # require() admitted a provider, who always belongs to an organisation
        assert viewer.organisation is not None
        proposal = services.start_proposal(
            form.cleaned_data["round"], viewer.organisation, form.cleaned_data["title"],
            viewer.user,
        )
        messages.success(request, "Proposal started. Add the services you will deliver.")
        return _detail(proposal)
    return render(request, "web/proposals/create.html", {"form": form, "rounds": rounds})


@login_required
@require_http_methods(["GET"])
def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = walls.viewer_of(request.user)
    proposal = _proposal(request, pk)
    lines = walls.visible(viewer, m.ProposalLine).filter(proposal=proposal).order_by("pk")
    subcontracts = walls.visible(viewer, m.Subcontract).filter(proposal=proposal).order_by("pk")
    flags = (
        walls.visible(viewer, m.ProposalFlag)
        .filter(proposal=proposal)
        .select_related("line")
        .order_by("pk")
    )
    line_rows = [(line, service_name(line.service_id)) for line in lines]
    tables = published_tables(proposal.profile, parameters()) if proposal.profile else None
    return render(
        request,
        "web/proposals/detail.html",
        {
            "proposal": proposal,
            "line_rows": line_rows,
            "subcontracts": subcontracts,
            "flags": flags,
            "annual_price": sum((line.price for line in lines), Decimal(0)),
            "tables": tables,
            "may_change": walls.can(viewer, "change", proposal),
            "may_submit": walls.can(viewer, "submit", proposal),
            "may_withdraw": walls.can(viewer, "withdraw", proposal),
            "may_evaluate": walls.can(viewer, "evaluate", m.Score)
            and proposal.status == m.Proposal.Status.SUBMITTED,
        },
    )


@login_required
@GET_POST
def proposal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _proposal(request, pk)
    walls.require(request, "change", proposal)
    form = ProposalEditForm(request.POST or None, instance=proposal)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Proposal updated.")
        return _detail(proposal)
    return render(request, "web/proposals/edit.html", {"form": form, "proposal": proposal})


@login_required
@GET_POST
def line_add(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _proposal(request, pk)
    walls.require(request, "change", proposal)
    form = ProposalLineForm(request.POST or None, instance=m.ProposalLine(proposal=proposal))
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            services.recheck(proposal)
        messages.success(request, "Service added.")
        return _detail(proposal)
    return render(
        request, "web/proposals/line.html", {"form": form, "proposal": proposal, "line": None}
    )


@login_required
@GET_POST
def line_edit(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    proposal = _proposal(request, pk)
    line = walls.get_visible_or_404(request, m.ProposalLine, pk=line_pk, proposal=proposal)
    walls.require(request, "change", line)
    form = ProposalLineForm(request.POST or None, instance=line)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            services.recheck(proposal)
        messages.success(request, "Service updated.")
        return _detail(proposal)
    return render(
        request, "web/proposals/line.html", {"form": form, "proposal": proposal, "line": line}
    )


def _confirm(
    request: HttpRequest, proposal: m.Proposal, heading: str, body: str, button: str
) -> HttpResponse:
    return render(
        request,
        "web/proposals/confirm.html",
        {"proposal": proposal, "heading": heading, "body": body, "button": button},
    )


@login_required
@GET_POST
def line_delete(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    proposal = _proposal(request, pk)
    line = walls.get_visible_or_404(request, m.ProposalLine, pk=line_pk, proposal=proposal)
    walls.require(request, "delete", line)
    if request.method == "POST":
        with transaction.atomic():
            line.delete()
            services.recheck(proposal)
        messages.success(request, "Service removed.")
        return _detail(proposal)
    return _confirm(
        request,
        proposal,
        f"Remove {service_name(line.service_id)}?",
        f"{line.volume:,} a year for {line.offence_group} offenders, {line.setting}.",
        "Remove service",
    )


@login_required
@GET_POST
def subcontract_add(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _proposal(request, pk)
    walls.require(request, "change", proposal)
    form = SubcontractForm(request.POST or None, instance=m.Subcontract(proposal=proposal))
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Subcontract added.")
        return _detail(proposal)
    return render(request, "web/proposals/subcontract.html", {"form": form, "proposal": proposal})


@login_required
@GET_POST
def subcontract_delete(request: HttpRequest, pk: int, sub_pk: int) -> HttpResponse:
    proposal = _proposal(request, pk)
    sub = walls.get_visible_or_404(request, m.Subcontract, pk=sub_pk, proposal=proposal)
    walls.require(request, "delete", sub)
    if request.method == "POST":
        sub.delete()
        messages.success(request, "Subcontract removed.")
        return _detail(proposal)
    return _confirm(
        request,
        proposal,
        f"Remove the subcontract with {sub.subcontractor}?",
        sub.services,
        "Remove subcontract",
    )


@login_required
@GET_POST
def proposal_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload → validate → profile → keep the aggregates; on any problem change nothing."""
    proposal = _proposal(request, pk)
    walls.require(request, "change", proposal)
    form = UploadForm(request.POST or None, request.FILES or None)
    rejected: UploadRejected | None = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            kept = services.upload_profile(proposal, upload.chunks(), upload.name or "upload")
        except UploadRejected as exc:
            rejected = exc
        except ValidationError as exc:
            form.add_error("file", "; ".join(exc.messages))
        else:
            messages.success(
                request,
                f"{kept.filename}: {kept.rows:,} assessments profiled. The records were "
                "discarded; only the counts below are kept.",
            )
            return _detail(proposal)
    return render(
        request,
        "web/proposals/upload.html",
        {"form": form, "proposal": proposal, "rejected": rejected},
        status=400 if rejected is not None or form.errors else 200,
    )


@login_required
@GET_POST
def proposal_prices(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload a whole price schedule: validated all-or-nothing, then every line stored (in
    place of the proposal's lines or added to them, as the provider chose)."""
    proposal = _proposal(request, pk)
    walls.require(request, "change", proposal)
    form = PriceScheduleForm(request.POST or None, request.FILES or None)
    rejected: ValidationFailed | None = None
    offer = price_offer()
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        replace = form.cleaned_data["mode"] == "replace"
        try:
            lines = price_schedule.upload(proposal, upload, replace=replace)
        except ValidationFailed as exc:
            rejected = exc
        except ValidationError as exc:
            form.add_error("file", "; ".join(exc.messages))
        else:
            verb = "in place of the services listed before" if replace else "added"
            plural = "s" if len(lines) != 1 else ""
            messages.success(request, f"{upload.name}: {len(lines):,} service line{plural} {verb}.")
            return _detail(proposal)
    return render(
        request,
        "web/proposals/prices.html",
        {
            "form": form,
            "proposal": proposal,
            "rejected": rejected,
            "allowed": prices.allowed_values(offer),
            "column_rows": list(zip(
                prices.COLUMNS, prices.example_row(price_schedule.example_line(proposal)),
                strict=True)),
        },
        status=400 if rejected is not None or form.errors else 200,
    )


@login_required
@require_http_methods(["GET"])
def price_template(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The price schedule template (header and one example row) as CSV or Excel; the Excel
    workbook adds a sheet of the values the round allows."""
    return price_schedule.template_response(_proposal(request, pk), fmt)


@login_required
@require_http_methods(["GET"])
def price_values(request: HttpRequest, pk: int) -> HttpResponse:
    """The values a price schedule may use in its coded columns, as CSV."""
    _proposal(request, pk)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["column", "value", "meaning"])
    writer.writerows(prices.allowed_values(price_offer()))
    response = HttpResponse(out.getvalue().encode("utf-8-sig"),
                            content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="price-schedule-allowed-values.csv"'
    return response


@login_required
@GET_POST
def proposal_submit(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _proposal(request, pk)
    walls.require(request, "submit", proposal)
    errors: list[tuple[str, str]] = []
    if request.method == "POST":
        try:
            services.submit_proposal(proposal)
        except ValidationError as exc:
            where = {"lines": reverse("proposal-line-add", args=[proposal.pk]),
                     "lot": reverse("proposal-edit", args=[proposal.pk]) + "#id_lot"}
            errors = [(message, where.get(field, "#"))
                      for field, messages_ in exc.message_dict.items() for message in messages_]
        else:
            messages.success(request, "Proposal submitted to the commissioner.")
            return _detail(proposal)
    flags = walls.visible(request.user, m.ProposalFlag).filter(proposal=proposal)
    return render(
        request,
        "web/proposals/submit.html",
        {"proposal": proposal, "flags": flags, "errors": errors},
        status=400 if errors else 200,
    )


@login_required
@GET_POST
def proposal_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _proposal(request, pk)
    walls.require(request, "withdraw", proposal)
    if request.method == "POST":
        proposal.status = m.Proposal.Status.WITHDRAWN
        proposal.save()
        messages.success(request, "Proposal withdrawn.")
        return _detail(proposal)
    return _confirm(
        request,
        proposal,
        f"Withdraw '{proposal.title}'?",
        "The commissioner will no longer consider it. You cannot submit it again.",
        "Withdraw proposal",
    )


urlpatterns: list[URLPattern | URLResolver] = [
    path("proposals/", proposal_list, name="proposal-list"),
    path("proposals/new/", proposal_create, name="proposal-create"),
    path("proposals/<int:pk>/", proposal_detail, name="proposal-detail"),
    path("proposals/<int:pk>/edit/", proposal_edit, name="proposal-edit"),
    path("proposals/<int:pk>/lines/new/", line_add, name="proposal-line-add"),
    path("proposals/<int:pk>/lines/<int:line_pk>/", line_edit, name="proposal-line-edit"),
    path(
        "proposals/<int:pk>/lines/<int:line_pk>/delete/", line_delete, name="proposal-line-delete"
    ),
    path("proposals/<int:pk>/subcontracts/new/", subcontract_add, name="proposal-subcontract-add"),
    path(
        "proposals/<int:pk>/subcontracts/<int:sub_pk>/delete/",
        subcontract_delete,
        name="proposal-subcontract-delete",
    ),
    path("proposals/<int:pk>/upload/", proposal_upload, name="proposal-upload"),
    path("proposals/<int:pk>/prices/", proposal_prices, name="proposal-prices"),
    path("proposals/<int:pk>/prices/template.csv", price_template, {"fmt": "csv"},
         name="proposal-price-template-csv"),
    path("proposals/<int:pk>/prices/template.xlsx", price_template, {"fmt": "xlsx"},
         name="proposal-price-template-xlsx"),
    path("proposals/<int:pk>/prices/allowed-values.csv", price_values,
         name="proposal-price-values"),
    path("proposals/<int:pk>/submit/", proposal_submit, name="proposal-submit"),
    path("proposals/<int:pk>/withdraw/", proposal_withdraw, name="proposal-withdraw"),
]
