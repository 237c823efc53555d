"""Pages: commissioning rounds — the commissioner starts a round, sets its budget envelope and
publishes its intentions; everyone sees a published round and the 38 intentions it carries.

Publishing opens the round to proposals (status *open*); closing it ends submissions and
freezes drafts (the walls refuse changes to a proposal once its round is not open).
"""

from __future__ import annotations

from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, URLResolver, path
from django.views.decorators.http import require_http_methods, require_POST

from commissioning.plan.intentions import load_intentions
from commissioning.web import models as m
from commissioning.web import services, walls
from commissioning.web.forms.rounds import EnvelopeForm, LotForm, RoundForm

GET_POST = require_http_methods(["GET", "POST"])
Status = m.CommissioningRound.Status
#: What each move a commissioner may make (:data:`services.NEXT_STATUS`) is called on the page.
MOVE_LABELS: dict[str, str] = {
    Status.OPEN: "Publish and open for proposals",
    Status.CLOSED: "Close for proposals",
    Status.AWARDED: "Mark as awarded",
}
#: From each status: the next status and its button.
TRANSITIONS: dict[str, tuple[str, str]] = {
    here: (there, MOVE_LABELS[there]) for here, there in services.NEXT_STATUS.items()
}
GROUP_TITLES = {
    "co_commissioning": "Co-commissioned services",
    "community": "Community services",
    "custody": "Custodial services",
}


def round_list(request: HttpRequest) -> HttpResponse:
    rounds = walls.visible(request.user, m.CommissioningRound).order_by("-year")
    return render(
        request,
        "web/rounds/list.html",
        {
            "rounds": rounds,
            "may_create": walls.can(request.user, "create", m.CommissioningRound),
        },
    )


def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = walls.get_visible_or_404(request, m.CommissioningRound, pk=pk)
    viewer = walls.viewer_of(request.user)
    intentions = load_intentions()
    groups = [
        (GROUP_TITLES.get(group, group), list(items))
        for group, items in groupby(intentions, key=lambda i: i.group)
    ]
    envelope = walls.visible(viewer, m.RoundEnvelope).filter(round=rnd).first()
    criteria = walls.visible(viewer, m.Criterion).filter(round=rnd).order_by("pk")
    lots = walls.visible(viewer, m.Lot).filter(round=rnd).order_by("number")
    budgets = {b.lot_id: b.amount
               for b in walls.visible(viewer, m.LotBudget).filter(lot__round=rnd)}
    proposals = walls.visible(viewer, m.Proposal).filter(round=rnd)
    transition = TRANSITIONS.get(rnd.status)
    return render(
        request,
        "web/rounds/detail.html",
        {
            "round": rnd,
            "groups": groups,
            "intention_count": len(intentions),
            "envelope": envelope,
            "criteria": criteria,
            "lots": [(lot, budgets.get(lot.pk)) for lot in lots],
            "may_add_lot": walls.can(viewer, "create", m.Lot) and rnd.status == Status.DRAFT,
            "proposal_count": proposals.count(),
            "may_change": walls.can(viewer, "change", rnd),
            "may_propose": (rnd.status == Status.OPEN and walls.can(viewer, "create", m.Proposal)),
            "transition": transition,
        },
    )


@login_required
@GET_POST
def round_create(request: HttpRequest) -> HttpResponse:
    walls.require(request, "create", m.CommissioningRound)
    form = RoundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        rnd = services.start_round(form.save(commit=False))
        messages.success(
            request,
            f"Round {rnd.year} started as a draft. Set its budget envelope "
            "and criteria, then publish it.",
        )
        return redirect("round-detail", pk=rnd.pk)
    return render(
        request, "web/rounds/form.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
@GET_POST
def round_envelope(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = walls.get_visible_or_404(request, m.CommissioningRound, pk=pk)
    envelope = walls.visible(request.user, m.RoundEnvelope).filter(round=rnd).first()
    target = envelope if envelope is not None else m.RoundEnvelope(round=rnd)
    walls.require(request, "change", target)
    form = EnvelopeForm(request.POST or None, instance=target)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Budget envelope saved.")
        return redirect("round-detail", pk=rnd.pk)
    return render(
        request,
        "web/rounds/envelope.html",
        {"form": form, "round": rnd},
        status=400 if form.errors else 200,
    )


@login_required
@GET_POST
def round_lot_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a lot (service group × region × setting, with its budget) to a draft round."""
    rnd = walls.get_visible_or_404(request, m.CommissioningRound, pk=pk)
    walls.require(request, "create", m.Lot)
    if rnd.status != Status.DRAFT:
        messages.error(request, "Lots are set before the round is published.")
        return redirect("round-detail", pk=rnd.pk)
    form = LotForm(request.POST or None, round=rnd)
    if request.method == "POST" and form.is_valid():
        lot = rnd.add_lot(form.cleaned_data["service_group"], form.cleaned_data["region"],
                          form.cleaned_data["setting"], form.cleaned_data["budget"])
        messages.success(request, f"{lot} added.")
        return redirect("round-detail", pk=rnd.pk)
    return render(request, "web/rounds/lot.html", {"form": form, "round": rnd},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def round_advance(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = walls.get_visible_or_404(request, m.CommissioningRound, pk=pk)
    walls.require(request, "change", rnd)
    try:
        services.advance_round(rnd, request.POST.get("to", ""))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("round-detail", pk=rnd.pk)
    messages.success(request, f"Round {rnd.year} is now '{rnd.get_status_display()}'.")
    return redirect("round-detail", pk=rnd.pk)


urlpatterns: list[URLPattern | URLResolver] = [
    path("rounds/", round_list, name="round-list"),
    path("rounds/new/", round_create, name="round-create"),
    path("rounds/<int:pk>/", round_detail, name="round-detail"),
    path("rounds/<int:pk>/envelope/", round_envelope, name="round-envelope"),
    path("rounds/<int:pk>/status/", round_advance, name="round-advance"),
    path("rounds/<int:pk>/lots/new/", round_lot_add, name="round-lot-add"),
]
