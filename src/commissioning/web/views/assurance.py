"""Pages: assurance through the year (Commissioning Intentions 2012-13, 'Contract and SLA
Assurance') — providers' self-audit returns and assurance statements, external audits with
their opinions, the risk register, performance against targets, and annual ratings.

Assurance is between the commissioner and each provider: partners and the public, who may see
no return, are refused these pages (and the refusal recorded); what they may see is on the
contract and transparency pages. A portfolio view shows, per contract, whether the latest
quarter's return is received, due or overdue, open action plans, audits giving limited or no
assurance, and high risks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, URLResolver, path, reverse
from django.views.decorators.http import require_POST

from commissioning.secure.assurance import (
    PerformanceLine,
    ReturnStatus,
    performance_line,
    return_status,
)
from commissioning.web import models as m
from commissioning.web import services
from commissioning.web.forms.assurance import (
    AsAtForm,
    AssuranceReturnForm,
    AuditOpinionForm,
    ExternalAuditForm,
    PerformanceForm,
    RatingForm,
    RiskEntryForm,
)
from commissioning.web.policy import high_risk_score, reporting_date, small_cell_threshold
from commissioning.web.roles import PROVIDER_KINDS
from commissioning.web.walls import (
    Viewer,
    can,
    get_managed_contract_or_404,
    get_visible_or_404,
    managed_contracts,
    require,
    require_view,
    visible,
)

#: External audit opinions that call for the commissioner's attention.
WEAK_OPINIONS = (m.ExternalAudit.Opinion.LIMITED, m.ExternalAudit.Opinion.NONE)


def _signed_in(request: HttpRequest) -> User:
    """The signed-in user (the views that write are behind ``login_required``)."""
    if not isinstance(request.user, User):
        raise PermissionDenied("sign in first")
    return request.user


def performance_lines(
    viewer: Viewer,
    contract: m.Contract,
    records: Iterable[m.PerformanceRecord],
    targets: Iterable[m.TargetLevel],
) -> list[PerformanceLine]:
    """Results against the current version's targets as ``viewer`` may see them: outside the
    commissioning side and the provider itself, small cells are withheld (``*``)."""
    by_measure = {t.measure: t for t in targets}
    suppress = not (viewer.commissioning_side or viewer.owns(contract.provider_id))
    # the disclosure rule in force on the workspace's reporting date (as the report applies it)
    threshold = small_cell_threshold(reporting_date() or contract.starts)
    out = []
    for r in records:
        target = by_measure.get(r.measure)
        out.append(
            performance_line(
                r.measure,
                r.period,
                r.unit,
                r.actual,
                r.target,
                target.direction if target is not None else None,
                target.get_direction_display() if target is not None else "",
                r.people,
                suppress=suppress,
                threshold=threshold,
            )
        )
    return out


def _as_at_form(request: HttpRequest) -> AsAtForm:
    """The date filter, bound to the query string when it has one (the three GOV.UK boxes)."""
    return AsAtForm(request.GET if any(k.startswith("on_") for k in request.GET) else None)


def _as_at(request: HttpRequest) -> dt.date | None:
    """The date asked for (the ``on`` day, month and year boxes), else the workspace's
    reporting date — the start of its latest round, the date the round's report says what is
    due on — never today's. A date that is not a real one is shown as an error on the form
    and the reporting date is used."""
    iso = request.GET.get("on", "")
    if iso:  # a link that names the date as YYYY-MM-DD (e.g. from a task on the dashboard)
        try:
            return dt.date.fromisoformat(iso)
        except ValueError:
            return reporting_date()
    form = _as_at_form(request)
    if form.is_bound and form.is_valid() and form.cleaned_data.get("on"):
        return form.cleaned_data["on"]  # type: ignore[no-any-return]
    return reporting_date()


@dataclass(frozen=True)
class PortfolioRow:
    contract: m.Contract
    returns: ReturnStatus
    open_action_plans: int
    weak_audits: int
    high_risks: int


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    require_view(request, m.AssuranceReturn)
    on = _as_at(request)
    # the contracts whose assurance this person may open (a provider: its own, not every
    # published contract it can see), so every row links to a page they may follow
    contracts = list(managed_contracts(request.user).select_related("provider"))
    if on is None:  # a workspace with no round and no contract: nothing is due
        contracts = []
    received: dict[int, set[str]] = {}
    for contract_id, period in (
        visible(request.user, m.AssuranceReturn)
        .filter(kind=m.AssuranceReturn.Kind.SELF_AUDIT)
        .values_list("contract_id", "period")
    ):
        received.setdefault(contract_id, set()).add(period)
    plans = visible(request.user, m.ActionPlan).filter(status=m.ActionPlan.Status.OPEN)
    audits = visible(request.user, m.ExternalAudit).filter(opinion__in=WEAK_OPINIONS)
    high = high_risk_score(on) if on is not None else None
    risks = [
        r
        for r in visible(request.user, m.RiskEntry).select_related("contract")
        if high is not None and r.score >= high
    ]
    rows = [
        PortfolioRow(
            contract=c,
            returns=return_status(c.starts, c.ends, received.get(c.pk, set()), c.starts
                                  if on is None else on),
            open_action_plans=sum(1 for p in plans if p.contract_id == c.pk),
            weak_audits=sum(1 for a in audits if a.contract_id == c.pk),
            high_risks=sum(1 for r in risks if r.contract_id == c.pk),
        )
        for c in contracts
    ]
    return render(
        request,
        "web/assurance/overview.html",
        {
            "rows": rows,
            "on": on,
            "as_at_form": _as_at_form(request),
            "open_plans": plans.select_related("contract"),
            "weak_audits": audits.select_related("contract"),
            "high_risks": sorted(risks, key=lambda r: -r.score),
            "high_risk_score": high,
        },
    )


@login_required
def contract_assurance(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = require_view(request, m.AssuranceReturn)
    contract = get_managed_contract_or_404(request, pk)
    on = _as_at(request) or contract.starts
    returns = visible(request.user, m.AssuranceReturn).filter(contract=contract)
    current = services.current_version(contract, viewer)
    targets = list(visible(request.user, m.TargetLevel).filter(version=current)) if current else []
    records = visible(request.user, m.PerformanceRecord).filter(contract=contract)
    risks = sorted(
        visible(request.user, m.RiskEntry).filter(contract=contract),
        key=lambda r: (-r.score, r.pk),
    )
    self_audits = returns.filter(kind=m.AssuranceReturn.Kind.SELF_AUDIT)
    performance = performance_lines(viewer, contract, records, targets)
    context: dict[str, Any] = {
        "contract": contract,
        "on": on,
        "status": return_status(
            contract.starts, contract.ends, self_audits.values_list("period", flat=True), on
        ),
        "returns": returns.select_related("submitted_by"),
        "audits": visible(request.user, m.ExternalAudit).filter(contract=contract),
        "risks": risks,
        "high_risk_score": high_risk_score(on),
        "performance": performance,
        "withheld": any(line.withheld for line in performance),
        "threshold": small_cell_threshold(reporting_date() or contract.starts),
        "targets": targets,
        "action_plans": visible(request.user, m.ActionPlan).filter(contract=contract),
        "ratings": visible(request.user, m.Rating).filter(organisation=contract.provider),
        "may_return": can(request.user, "create", m.AssuranceReturn(contract=contract)),
        "may_manage": can(request.user, "create", m.ExternalAudit),
    }
    return render(request, "web/assurance/contract.html", context)


def _form_page(
    request: HttpRequest, contract: m.Contract, form: Any, heading: str, caption: str = ""
) -> HttpResponse:
    context = {
        "contract": contract,
        "form": form,
        "heading": heading,
        "caption": caption,
        "back": reverse("assurance-contract", args=[contract.pk]),
        "submit": "Save",
    }
    return render(request, "web/contracts/form.html", context, status=400 if form.errors else 200)


@login_required
def return_create(request: HttpRequest, pk: int) -> HttpResponse:
    """A provider's self-audit return or assurance statement for its own contract."""
    contract = get_managed_contract_or_404(request, pk)
    draft = m.AssuranceReturn(contract=contract)
    require(request, "create", draft)
    form = AssuranceReturnForm(request.POST or None, instance=draft)
    if request.method == "POST" and form.is_valid():
        record: m.AssuranceReturn = form.save(commit=False)
        record.submitted_by = _signed_in(request)
        record.save()
        messages.success(request, f"{record.get_kind_display()} for {record.period} submitted.")
        return redirect("assurance-contract", pk=contract.pk)
    return _form_page(request, contract, form, "Submit an assurance return")


@login_required
def audit_create(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_managed_contract_or_404(request, pk)
    require(request, "create", m.ExternalAudit)
    form = ExternalAuditForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        audit: m.ExternalAudit = form.save(commit=False)
        audit.contract = contract
        audit.commissioned_by = _signed_in(request)
        audit.save()
        messages.success(request, f"External audit of {audit.area} commissioned.")
        return redirect("assurance-contract", pk=contract.pk)
    return _form_page(request, contract, form, "Commission an external audit")


@login_required
def audit_opinion(request: HttpRequest, pk: int, audit: int) -> HttpResponse:
    contract = get_managed_contract_or_404(request, pk)
    record = get_visible_or_404(request, m.ExternalAudit, pk=audit, contract=contract)
    require(request, "change", record)
    form = AuditOpinionForm(request.POST or None, instance=record)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Opinion on {record.area} recorded.")
        return redirect("assurance-contract", pk=contract.pk)
    return _form_page(request, contract, form, "Record the audit opinion", record.area)


@login_required
def risk_create(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_managed_contract_or_404(request, pk)
    require(request, "create", m.RiskEntry)
    form = RiskEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        risk: m.RiskEntry = form.save(commit=False)
        risk.contract = contract
        risk.save()
        messages.success(request, f"Risk added (score {risk.score}).")
        return redirect("assurance-contract", pk=contract.pk)
    return _form_page(request, contract, form, "Add a risk")


@login_required
def risk_edit(request: HttpRequest, pk: int, risk: int) -> HttpResponse:
    contract = get_managed_contract_or_404(request, pk)
    record = get_visible_or_404(request, m.RiskEntry, pk=risk, contract=contract)
    require(request, "change", record)
    form = RiskEntryForm(request.POST or None, instance=record)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, f"Risk updated (score {saved.score}).")
        return redirect("assurance-contract", pk=contract.pk)
    return _form_page(request, contract, form, "Update a risk", record.description)


@login_required
def performance_create(request: HttpRequest, pk: int) -> HttpResponse:
    """A result against one of the current agreed version's target levels."""
    contract = get_managed_contract_or_404(request, pk)
    require(request, "create", m.PerformanceRecord)
    current = services.current_version(contract, request.user)
    targets = list(visible(request.user, m.TargetLevel).filter(version=current)) if current else []
    form = PerformanceForm(request.POST or None, targets=targets)
    if request.method == "POST" and form.is_valid():
        record = form.save(commit=False)
        record.contract = contract
        record.save()
        messages.success(request, f"Result for {record.period} recorded.")
        return redirect("assurance-contract", pk=contract.pk)
    caption = "" if targets else "The current agreed version sets no target levels yet."
    return _form_page(request, contract, form, "Record performance against a target", caption)


def rating_list(request: HttpRequest) -> HttpResponse:
    ratings = visible(request.user, m.Rating).select_related("organisation")
    return render(
        request,
        "web/assurance/ratings.html",
        {
            "ratings": ratings,
            "may_rate": can(request.user, "create", m.Rating),
        },
    )


@login_required
def rating_create(request: HttpRequest) -> HttpResponse:
    require(request, "create", m.Rating)
    providers = visible(request.user, m.Organisation).filter(kind__in=PROVIDER_KINDS)
    form = RatingForm(request.POST or None, providers=providers)
    if request.method == "POST" and form.is_valid():
        rating = form.save()
        messages.success(request, f"{rating.organisation} rated {rating.level} for {rating.year}.")
        return redirect("rating-list")
    return render(
        request,
        "web/assurance/rating_form.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def rating_publish(request: HttpRequest, rating: int) -> HttpResponse:
    record = get_visible_or_404(request, m.Rating, pk=rating)
    require(request, "publish", record)
    record.published = request.POST.get("publish") == "1"
    record.save()
    state = "published" if record.published else "withdrawn from publication"
    messages.success(request, f"Rating of {record.organisation} for {record.year} {state}.")
    return redirect("rating-list")


urlpatterns: list[URLPattern | URLResolver] = [
    path("assurance/", overview, name="assurance-overview"),
    path("assurance/contracts/<int:pk>/", contract_assurance, name="assurance-contract"),
    path("assurance/contracts/<int:pk>/returns/new/", return_create, name="assurance-return"),
    path("assurance/contracts/<int:pk>/audits/new/", audit_create, name="assurance-audit"),
    path(
        "assurance/contracts/<int:pk>/audits/<int:audit>/opinion/",
        audit_opinion,
        name="assurance-audit-opinion",
    ),
    path("assurance/contracts/<int:pk>/risks/new/", risk_create, name="assurance-risk"),
    path("assurance/contracts/<int:pk>/risks/<int:risk>/", risk_edit, name="assurance-risk-edit"),
    path(
        "assurance/contracts/<int:pk>/performance/new/",
        performance_create,
        name="assurance-performance",
    ),
    path("ratings/", rating_list, name="rating-list"),
    path("ratings/new/", rating_create, name="rating-create"),
    path("ratings/<int:rating>/publish/", rating_publish, name="rating-publish"),
]
