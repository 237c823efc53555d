"""Pages: SLAs and contracts — schedules of service volumes by segment, target levels for impact
measures and the annual operating price, in numbered versions; variations; action plans where a
minimum requirement is not met; publishing and sharing with co-commissioning partners.

Contract managers and commissioners write; providers read their own; partners read what is
shared with them; the public reads what is published. Every record comes through
:mod:`commissioning.web.walls`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import URLPattern, URLResolver, path, reverse
from django.views.decorators.http import require_POST

from commissioning.web import models as m
from commissioning.web import services
from commissioning.web.forms.contracts import (
    ActionPlanForm,
    AgreeVersionForm,
    ContractForm,
    ScheduleLineForm,
    ShareForm,
    TargetLevelForm,
    VersionPriceForm,
)
from commissioning.web.forms.proposals import service_name
from commissioning.web.policy import reporting_date, small_cell_threshold
from commissioning.web.roles import OrganisationKind, Role
from commissioning.web.views.assurance import performance_lines
from commissioning.web.walls import can, get_visible_or_404, require, viewer_of, visible


def _signed_in(request: HttpRequest) -> User:
    """The signed-in user (the views that write are behind ``login_required``)."""
    if not isinstance(request.user, User):
        raise PermissionDenied("sign in first")
    return request.user


def _contract(request: HttpRequest, pk: int) -> m.Contract:
    return get_visible_or_404(request, m.Contract, pk=pk)


def _version(request: HttpRequest, contract: m.Contract, number: int) -> m.ContractVersion:
    return get_visible_or_404(request, m.ContractVersion, contract=contract, number=number)


def _named(lines: Iterable[m.ScheduleLine]) -> list[tuple[m.ScheduleLine, str]]:
    """Schedule lines with their service's name from the catalogue (its id if unknown)."""
    return [(line, service_name(line.service_id)) for line in lines]


def contract_list(request: HttpRequest) -> HttpResponse:
    contracts = visible(request.user, m.Contract).select_related("provider", "round")
    return render(
        request,
        "web/contracts/list.html",
        {"contracts": contracts, "may_create": can(request.user, "create", m.Contract)},
    )


def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _contract(request, pk)
    viewer = viewer_of(request.user)
    current = services.current_version(contract, request.user)
    versions = visible(request.user, m.ContractVersion).filter(contract=contract)
    lines = _named(visible(request.user, m.ScheduleLine).filter(version=current)) if current else []
    targets = visible(request.user, m.TargetLevel).filter(version=current) if current else None
    draft = versions.filter(status=m.ContractVersion.Status.DRAFT).first()
    records = visible(request.user, m.PerformanceRecord).filter(contract=contract)
    shared_with = contract.shared_with.all() if can(request.user, "share", contract) else None
    performance = performance_lines(viewer, contract, records, list(targets or []))
    context: dict[str, Any] = {
        "contract": contract,
        "current": current,
        "lines": lines,
        "targets": targets,
        "versions": versions,
        "draft": draft,
        "variations": visible(request.user, m.Variation)
        .filter(contract=contract)
        .select_related("from_version", "to_version", "agreed_by"),
        "action_plans": visible(request.user, m.ActionPlan).filter(contract=contract),
        "performance": performance,
        "withheld": any(line.withheld for line in performance),
        "threshold": small_cell_threshold(reporting_date() or contract.starts),
        "shared_with": shared_with,
        "sees_management": viewer.commissioning_side or viewer.role == Role.PROVIDER,
        "may_change": can(request.user, "change", contract),
        "may_publish": can(request.user, "publish", contract),
        "may_share": can(request.user, "share", contract),
        "may_plan": can(request.user, "create", m.ActionPlan),
    }
    return render(request, "web/contracts/detail.html", context)


@login_required
def contract_create(request: HttpRequest) -> HttpResponse:
    """A new SLA or contract with a draft version 1; from an awarded proposal, its lines."""
    require(request, "create", m.Contract)
    proposal = _awarded_proposal(request)
    initial: dict[str, Any] = {}
    if proposal is not None:
        kind = (
            m.Contract.Kind.SLA
            if proposal.provider.kind == OrganisationKind.PUBLIC_PRISON
            else m.Contract.Kind.CONTRACT
        )
        initial = {
            "title": proposal.title,
            "provider": proposal.provider_id,
            "round": proposal.round_id,
            "kind": kind,
            "annual_operating_price": proposal.annual_price,
        }
    form = ContractForm(
        request.POST or None,
        initial=initial,
        providers=visible(request.user, m.Organisation),
        rounds=visible(request.user, m.CommissioningRound),
    )
    if request.method == "POST" and form.is_valid():
        contract: m.Contract = form.save(commit=False)
        services.create_contract(contract, form.cleaned_data["annual_operating_price"], proposal)
        messages.success(request, f"{contract.reference} created with a draft version 1.")
        return redirect("contract-version", pk=contract.pk, number=1)
    return render(
        request,
        "web/contracts/create.html",
        {"form": form, "proposal": proposal},
        status=400 if form.errors else 200,
    )


def _awarded_proposal(request: HttpRequest) -> m.Proposal | None:
    raw = request.GET.get("proposal") or request.POST.get("proposal")
    if not raw:
        return None
    if not raw.isdigit():
        raise Http404("No proposal found.")
    proposal = get_visible_or_404(request, m.Proposal, pk=int(raw))
    if proposal.status != m.Proposal.Status.AWARDED:
        raise Http404("Only an awarded proposal becomes a contract.")
    if m.Contract.objects.filter(proposal=proposal).exists():
        raise Http404("This proposal already has a contract.")
    return proposal


def _version_page(
    request: HttpRequest,
    contract: m.Contract,
    version: m.ContractVersion,
    price_form: VersionPriceForm | None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "web/contracts/version.html",
        {
            "contract": contract,
            "version": version,
            "lines": _named(visible(request.user, m.ScheduleLine).filter(version=version)),
            "targets": visible(request.user, m.TargetLevel).filter(version=version),
            "editable": price_form is not None,
            "price_form": price_form,
            "current": services.current_version(contract, request.user),
        },
        status=status,
    )


def version_detail(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    contract = _contract(request, pk)
    version = _version(request, contract, number)
    editable = can(request.user, "change", version)
    return _version_page(
        request, contract, version, VersionPriceForm(instance=version) if editable else None
    )


@login_required
@require_POST
def version_draft(request: HttpRequest, pk: int) -> HttpResponse:
    """A new draft version, copying the lines and targets of the current agreed version."""
    contract = _contract(request, pk)
    require(request, "create", m.ContractVersion)
    require(request, "change", contract)
    try:
        draft, created = services.draft_variation(contract, request.user)
    except ValidationError:
        raise Http404("There is no agreed version to vary.") from None
    if not created:
        messages.info(request, f"Version {draft.number} is already in draft.")
        return redirect("contract-version", pk=contract.pk, number=draft.number)
    # no draft was open, so the version before the new one is the current agreed one
    messages.success(request, f"Version {draft.number} drafted from version {draft.number - 1}.")
    return redirect("contract-version", pk=contract.pk, number=draft.number)


@login_required
@require_POST
def version_price(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    contract = _contract(request, pk)
    version = _version(request, contract, number)
    require(request, "change", version)
    form = VersionPriceForm(request.POST, instance=version)
    if form.is_valid():
        form.save()
        messages.success(request, "Annual operating price saved.")
        return redirect("contract-version", pk=pk, number=number)
    return _version_page(request, contract, version, form, status=400)


def _form_page(
    request: HttpRequest,
    contract: m.Contract,
    form: Any,
    heading: str,
    back: str,
    *,
    version: m.ContractVersion | None = None,
    caption: str = "",
    submit: str = "Save",
) -> HttpResponse:
    context = {
        "contract": contract,
        "version": version,
        "form": form,
        "heading": heading,
        "back": back,
        "caption": caption,
        "submit": submit,
    }
    return render(request, "web/contracts/form.html", context, status=400 if form.errors else 200)


def _edit_child(
    request: HttpRequest,
    pk: int,
    number: int,
    form_class: type[ScheduleLineForm] | type[TargetLevelForm],
    heading: str,
) -> HttpResponse:
    contract = _contract(request, pk)
    version = _version(request, contract, number)
    require(request, "change", version)
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        child = form.save(commit=False)
        child.version = version
        child.save()
        messages.success(request, f"{heading} added to version {version.number}.")
        return redirect("contract-version", pk=pk, number=number)
    back = reverse("contract-version", args=[pk, number])
    return _form_page(request, contract, form, f"Add a {heading.lower()}", back, version=version)


@login_required
def line_add(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    return _edit_child(request, pk, number, ScheduleLineForm, "Schedule line")


@login_required
def target_add(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    return _edit_child(request, pk, number, TargetLevelForm, "Target level")


@login_required
@require_POST
def line_delete(request: HttpRequest, pk: int, number: int, line: int) -> HttpResponse:
    contract = _contract(request, pk)
    version = _version(request, contract, number)
    record = get_visible_or_404(request, m.ScheduleLine, pk=line, version=version)
    require(request, "delete", record)
    record.delete()
    messages.success(request, "Schedule line removed.")
    return redirect("contract-version", pk=pk, number=number)


@login_required
@require_POST
def target_delete(request: HttpRequest, pk: int, number: int, target: int) -> HttpResponse:
    contract = _contract(request, pk)
    version = _version(request, contract, number)
    record = get_visible_or_404(request, m.TargetLevel, pk=target, version=version)
    require(request, "delete", record)
    record.delete()
    messages.success(request, "Target level removed.")
    return redirect("contract-version", pk=pk, number=number)


@login_required
def version_agree(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """Agree a draft version. When an agreed version exists this is a variation from it, with
    its reason; the agreed version is never changed again."""
    contract = _contract(request, pk)
    version = _version(request, contract, number)
    require(request, "change", version)
    current = services.current_version(contract, request.user)
    lines = visible(request.user, m.ScheduleLine).filter(version=version)
    form = AgreeVersionForm(request.POST or None, variation=current is not None)
    if not lines.exists():
        messages.error(request, "Add at least one schedule line before agreeing the version.")
        return redirect("contract-version", pk=contract.pk, number=version.number)
    if request.method == "POST" and form.is_valid():
        try:
            services.agree_version(version, _signed_in(request), form.cleaned_data["reason"])
        except ValidationError as exc:
            for messages_ in exc.message_dict.values():
                for message in messages_:
                    messages.error(request, message)
            return redirect("contract-version", pk=contract.pk, number=version.number)
        messages.success(request, f"Version {version.number} agreed.")
        return redirect("contract-detail", pk=contract.pk)
    return render(
        request,
        "web/contracts/agree.html",
        {"contract": contract, "version": version, "current": current, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def action_plan_create(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _contract(request, pk)
    require(request, "create", m.ActionPlan)
    form = ActionPlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        plan: m.ActionPlan = form.save(commit=False)
        plan.contract = contract
        plan.save()
        messages.success(request, "Action plan recorded.")
        return redirect("contract-detail", pk=contract.pk)
    back = reverse("contract-detail", args=[contract.pk])
    return _form_page(
        request,
        contract,
        form,
        "Agree an action plan",
        back,
        caption="Where the provider exceptionally cannot deliver a minimum requirement of the "
        "service specifications (custodial intention 2).",
    )


@login_required
@require_POST
def action_plan_close(request: HttpRequest, pk: int, plan: int) -> HttpResponse:
    contract = _contract(request, pk)
    record = get_visible_or_404(request, m.ActionPlan, pk=plan, contract=contract)
    require(request, "change", record)
    record.status = m.ActionPlan.Status.CLOSED
    record.save()
    messages.success(request, "Action plan closed.")
    return redirect("contract-detail", pk=contract.pk)


@login_required
@require_POST
def contract_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish (or withdraw from publication) the contract's summary, schedule and performance."""
    contract = _contract(request, pk)
    require(request, "publish", contract)
    publish = request.POST.get("publish") == "1"
    try:
        services.publish_contract(contract, publish)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("contract-detail", pk=contract.pk)
    messages.success(
        request, "Published on the transparency page." if publish else "Withdrawn from publication."
    )
    return redirect("contract-detail", pk=contract.pk)


@login_required
def contract_share(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _contract(request, pk)
    require(request, "share", contract)
    form = ShareForm(request.POST or None, partners=visible(request.user, m.Organisation))
    if request.method == "POST" and form.is_valid():
        partner = form.cleaned_data["partner"]
        contract.shared_with.add(partner)
        messages.success(request, f"Shared with {partner}.")
        return redirect("contract-detail", pk=contract.pk)
    back = reverse("contract-detail", args=[contract.pk])
    return _form_page(
        request,
        contract,
        form,
        "Share with a co-commissioning partner",
        back,
        caption="The partner will see the agreed schedule, targets, variations and performance.",
        submit="Share",
    )


@login_required
@require_POST
def contract_unshare(request: HttpRequest, pk: int, organisation: int) -> HttpResponseRedirect:
    contract = _contract(request, pk)
    require(request, "share", contract)
    partner = contract.shared_with.filter(pk=organisation).first()
    if partner is None:
        raise Http404("The contract is not shared with that organisation.")
    contract.shared_with.remove(partner)
    messages.success(request, f"No longer shared with {partner}.")
    return HttpResponseRedirect(reverse("contract-detail", args=[contract.pk]))


urlpatterns: list[URLPattern | URLResolver] = [
    path("contracts/", contract_list, name="contract-list"),
    path("contracts/new/", contract_create, name="contract-create"),
    path("contracts/<int:pk>/", contract_detail, name="contract-detail"),
    path("contracts/<int:pk>/versions/new/", version_draft, name="contract-version-draft"),
    path("contracts/<int:pk>/versions/<int:number>/", version_detail, name="contract-version"),
    path(
        "contracts/<int:pk>/versions/<int:number>/price/",
        version_price,
        name="contract-version-price",
    ),
    path("contracts/<int:pk>/versions/<int:number>/lines/new/", line_add, name="contract-line-add"),
    path(
        "contracts/<int:pk>/versions/<int:number>/lines/<int:line>/delete/",
        line_delete,
        name="contract-line-delete",
    ),
    path(
        "contracts/<int:pk>/versions/<int:number>/targets/new/",
        target_add,
        name="contract-target-add",
    ),
    path(
        "contracts/<int:pk>/versions/<int:number>/targets/<int:target>/delete/",
        target_delete,
        name="contract-target-delete",
    ),
    path(
        "contracts/<int:pk>/versions/<int:number>/agree/",
        version_agree,
        name="contract-version-agree",
    ),
    path(
        "contracts/<int:pk>/action-plans/new/",
        action_plan_create,
        name="contract-action-plan-create",
    ),
    path(
        "contracts/<int:pk>/action-plans/<int:plan>/close/",
        action_plan_close,
        name="contract-action-plan-close",
    ),
    path("contracts/<int:pk>/publish/", contract_publish, name="contract-publish"),
    path("contracts/<int:pk>/share/", contract_share, name="contract-share"),
    path(
        "contracts/<int:pk>/share/<int:organisation>/remove/",
        contract_unshare,
        name="contract-unshare",
    ),
]
