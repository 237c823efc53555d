"""Pages: competition — the commissioner's criteria, scores, moderation, ranking and award.

Commissioning information: only the commissioning side reads these pages (auditors read, only
commissioners act), through the walls' rules for Criterion, Score, ModeratedScore and Award.
Providers never see scores, notes or award reasons: a provider asking for any page here gets a
404 and the refusal is recorded.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, URLResolver, path
from django.views.decorators.http import require_http_methods

from commissioning.secure.evaluation import (
    Bid,
    Result,
    WeightedCriterion,
    evaluate,
    weight_problems,
)
from commissioning.web import models as m
from commissioning.web import walls
from commissioning.web.forms.competition import AwardForm, CriterionFormSet, ScoreForm

GET_POST = require_http_methods(["GET", "POST"])
#: Proposals that take part in the evaluation (submitted, and those already decided).
EVALUATED = (
    m.Proposal.Status.SUBMITTED,
    m.Proposal.Status.AWARDED,
    m.Proposal.Status.NOT_AWARDED,
)


def _commissioning_side(request: HttpRequest) -> walls.Viewer:
    return walls.require_commissioning_side(request, "competition")


def _round(request: HttpRequest, pk: int) -> m.CommissioningRound:
    return walls.get_visible_or_404(request, m.CommissioningRound, pk=pk)


def _criteria(viewer: walls.Viewer, rnd: m.CommissioningRound) -> list[m.Criterion]:
    return list(walls.visible(viewer, m.Criterion).filter(round=rnd).order_by("pk"))


def _weighted(criteria: list[m.Criterion]) -> list[WeightedCriterion]:
    return [WeightedCriterion(c.pk, c.name, c.kind, c.weight) for c in criteria]


def _evaluated(viewer: walls.Viewer, rnd: m.CommissioningRound) -> list[m.Proposal]:
    price = ExpressionWrapper(
        F("lines__unit_price") * F("lines__volume"),
        output_field=DecimalField(max_digits=18, decimal_places=2),
    )
    return list(
        walls.visible(viewer, m.Proposal)
        .filter(round=rnd, status__in=EVALUATED)
        .select_related("provider", "lot")
        .annotate(price=Sum(price))
        .order_by("pk")
    )


def _results(
    viewer: walls.Viewer, criteria: list[m.Criterion], proposals: list[m.Proposal]
) -> dict[int, Result]:
    moderated: dict[int, dict[int, int]] = defaultdict(dict)
    for row in walls.visible(viewer, m.ModeratedScore).filter(
        proposal__in=[p.pk for p in proposals]
    ):
        moderated[row.proposal_id][row.criterion_id] = row.score
    bids = [
        Bid(
            p.pk,
            Decimal(getattr(p, "price", None) or 0),
            {c.pk: moderated[p.pk].get(c.pk) for c in criteria if c.kind == c.Kind.QUALITY},
            p.lot_id,
        )
        for p in proposals
    ]
    return {r.proposal_id: r for r in evaluate(_weighted(criteria), bids)}


@login_required
@require_http_methods(["GET"])
def competition_list(request: HttpRequest) -> HttpResponse:
    viewer = _commissioning_side(request)
    rounds = (
        walls.visible(viewer, m.CommissioningRound)
        .exclude(status=m.CommissioningRound.Status.DRAFT)
        .order_by("-year")
    )
    counts = dict(
        walls.visible(viewer, m.Proposal)
        .filter(status__in=EVALUATED)
        .values_list("round")
        .annotate(n=Count("pk"))
        .values_list("round", "n")
    )
    rows = [(r, counts.get(r.pk, 0)) for r in rounds]
    return render(request, "web/competition/list.html", {"rows": rows})


@login_required
@require_http_methods(["GET"])
def competition_round(request: HttpRequest, pk: int) -> HttpResponse:
    """Criteria, the ranking table (points by the formulas of :mod:`evaluation`) and awards."""
    viewer = _commissioning_side(request)
    rnd = _round(request, pk)
    criteria = _criteria(viewer, rnd)
    proposals = _evaluated(viewer, rnd)
    results = _results(viewer, criteria, proposals)
    by_id = {p.pk: p for p in proposals}
    scored = dict(
        walls.visible(viewer, m.Score)
        .filter(proposal__in=list(by_id))
        .order_by()  # no default ordering in the GROUP BY
        .values_list("proposal")
        .annotate(n=Count("evaluator", distinct=True))
        .values_list("proposal", "n")
    )
    flagged = dict(
        walls.visible(viewer, m.ProposalFlag)
        .filter(proposal__in=list(by_id))
        .order_by()  # the default ordering by pk would split the groups
        .values_list("proposal")
        .annotate(n=Count("pk"))
        .values_list("proposal", "n")
    )
    ranking = [
        {
            "proposal": by_id[r.proposal_id],
            "result": r,
            "evaluators": scored.get(r.proposal_id, 0),
            "flags": flagged.get(r.proposal_id, 0),
        }
        for r in results.values()
    ]
    awards = (
        walls.visible(viewer, m.Award)
        .filter(proposal__round=rnd)
        .select_related("proposal__provider", "decided_by")
        .order_by("decided_at")
    )
    return render(
        request,
        "web/competition/round.html",
        {
            "round": rnd,
            "criteria": criteria,
            "weight_problems": weight_problems(_weighted(criteria)),
            "ranking": ranking,
            "lots": _by_lot(viewer, rnd, ranking),
            "awards": awards,
            "may_act": walls.can(viewer, "evaluate", m.Score),
        },
    )


def _by_lot(
    viewer: walls.Viewer, rnd: m.CommissioningRound, ranking: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The ranking split by lot (each lot ranked on its own), with each lot's budget, awarded
    value and what remains; proposals that answer no lot come last, as their own group."""
    lots = list(walls.visible(viewer, m.Lot).filter(round=rnd).order_by("number"))
    budgets = {
        b.lot_id: b.amount for b in walls.visible(viewer, m.LotBudget).filter(lot__in=lots)
    }
    groups: list[dict[str, Any]] = []
    for lot in [*lots, None]:
        rows = [r for r in ranking if r["result"].lot == (lot.pk if lot else None)]
        if lot is None and not rows:
            continue
        awarded = sum(
            (Decimal(r["proposal"].price or 0) for r in rows
             if r["proposal"].status == m.Proposal.Status.AWARDED),
            Decimal(0),
        )
        budget = budgets.get(lot.pk) if lot is not None else None
        groups.append({
            "lot": lot, "rows": rows, "budget": budget, "awarded": awarded,
            "remaining": None if budget is None else budget - awarded,
            "decided": any(r["proposal"].status == m.Proposal.Status.AWARDED for r in rows),
        })
    return groups


@login_required
@GET_POST
def competition_criteria(request: HttpRequest, pk: int) -> HttpResponse:
    """All of a round's criteria in one form, so weights are checked to sum to 100."""
    viewer = _commissioning_side(request)
    rnd = _round(request, pk)
    walls.require(request, "change", m.Criterion)
    queryset = walls.visible(viewer, m.Criterion).filter(round=rnd).order_by("pk")
    locked = walls.visible(viewer, m.Score).filter(criterion__round=rnd).exists()
    formset = CriterionFormSet(
        request.POST if request.method == "POST" and not locked else None,
        queryset=queryset,
    )
    if request.method == "POST" and not locked and formset.is_valid():
        with transaction.atomic():
            for criterion in formset.save(commit=False):
                criterion.round = rnd
                criterion.save()
            for criterion in formset.deleted_objects:
                criterion.delete()
        messages.success(request, "Criteria saved.")
        return redirect("competition-round", pk=rnd.pk)
    return render(
        request,
        "web/competition/criteria.html",
        {"round": rnd, "formset": formset, "locked": locked},
    )


def _submitted(request: HttpRequest, pk: int) -> m.Proposal:
    proposal = walls.get_visible_or_404(request, m.Proposal, pk=pk)
    if proposal.status not in EVALUATED:
        raise Http404("Only submitted proposals are evaluated.")
    return proposal


def _quality(viewer: walls.Viewer, proposal: m.Proposal) -> list[m.Criterion]:
    return [c for c in _criteria(viewer, proposal.round) if c.kind == m.Criterion.Kind.QUALITY]


@login_required
@GET_POST
def competition_score(request: HttpRequest, pk: int) -> HttpResponse:
    """One evaluator scores one proposal on every quality criterion (0-4, with a note)."""
    viewer = _commissioning_side(request)
    proposal = _submitted(request, pk)
    walls.require(request, "evaluate", m.Score)
    criteria = _quality(viewer, proposal)
    mine = {
        s.criterion_id: s
        for s in walls.visible(viewer, m.Score).filter(proposal=proposal, evaluator=viewer.user)
    }
    initial: dict[str, Any] = {}
    for cid, s in mine.items():
        initial[f"score_{cid}"] = str(s.score)
        initial[f"note_{cid}"] = s.note
    form = ScoreForm(request.POST or None, criteria=criteria, initial=initial)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            for cid, (score, note) in form.values().items():
                m.Score.objects.update_or_create(
                    proposal=proposal,
                    criterion_id=cid,
                    evaluator=viewer.user,
                    defaults={"score": score, "note": note},
                )
        messages.success(request, f"Your scores for '{proposal.title}' are saved.")
        return redirect("competition-round", pk=proposal.round_id)
    flags = walls.visible(viewer, m.ProposalFlag).filter(proposal=proposal).select_related("line")
    return render(
        request,
        "web/competition/score.html",
        {"proposal": proposal, "form": form, "flags": flags},
    )


@login_required
@GET_POST
def competition_moderate(request: HttpRequest, pk: int) -> HttpResponse:
    """The agreed score per quality criterion, shown beside each evaluator's score and note."""
    viewer = _commissioning_side(request)
    proposal = _submitted(request, pk)
    walls.require(request, "moderate", m.ModeratedScore)
    criteria = _quality(viewer, proposal)
    scores: dict[int, list[m.Score]] = defaultdict(list)
    for s in (
        walls.visible(viewer, m.Score)
        .filter(proposal=proposal)
        .select_related("evaluator")
        .order_by("evaluator__username")
    ):
        scores[s.criterion_id].append(s)
    agreed = {
        s.criterion_id: s for s in walls.visible(viewer, m.ModeratedScore).filter(proposal=proposal)
    }
    initial: dict[str, Any] = {}
    for cid, a in agreed.items():
        initial[f"score_{cid}"] = str(a.score)
        initial[f"note_{cid}"] = a.note
    form = ScoreForm(request.POST or None, criteria=criteria, label="Agreed score", initial=initial)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            for cid, (score, note) in form.values().items():
                m.ModeratedScore.objects.update_or_create(
                    proposal=proposal,
                    criterion_id=cid,
                    defaults={"score": score, "note": note, "moderated_by": viewer.user},
                )
        messages.success(request, f"Moderated scores for '{proposal.title}' are saved.")
        return redirect("competition-round", pk=proposal.round_id)
    rows = [(c, scores.get(c.pk, []), score, note) for c, score, note in form.rows()]
    return render(
        request,
        "web/competition/moderate.html",
        {"proposal": proposal, "form": form, "rows": rows},
    )


@login_required
@GET_POST
def competition_award(request: HttpRequest, pk: int) -> HttpResponse:
    """Award one proposal of one lot with reasons; mark others of the same lot not awarded.

    A round with lots is awarded lot by lot (``?lot=ID``): only that lot's proposals are
    candidates, ranked among themselves, and a lot is awarded once."""
    viewer = _commissioning_side(request)
    rnd = _round(request, pk)
    walls.require(request, "award", m.Award)
    criteria = _criteria(viewer, rnd)
    lots = list(walls.visible(viewer, m.Lot).filter(round=rnd).order_by("number"))
    lot: m.Lot | None = None
    if lots:
        wanted = request.GET.get("lot") or request.POST.get("lot") or ""
        lot = next((x for x in lots if str(x.pk) == wanted), None)
        if lot is None:
            return render(request, "web/competition/award_lots.html",
                          {"round": rnd, "lots": lots})
    proposals = [p for p in _evaluated(viewer, rnd) if p.lot_id == (lot.pk if lot else None)]
    results = _results(viewer, criteria, proposals)
    decided = any(p.status == m.Proposal.Status.AWARDED for p in proposals) and lot is not None
    open_ids = [p.pk for p in proposals if p.status == m.Proposal.Status.SUBMITTED]
    complete = [] if decided else [pk for pk in open_ids if results[pk].total is not None]
    base = walls.visible(viewer, m.Proposal).select_related("provider").order_by("pk")
    form = AwardForm(
        request.POST or None,
        candidates=base.filter(pk__in=complete),
        others=base.filter(pk__in=open_ids),
    )
    problems = weight_problems(_weighted(criteria))
    if request.method == "POST" and not problems and not decided and form.is_valid():
        chosen: m.Proposal = form.cleaned_data["proposal"]
        total = results[chosen.pk].total
        assert total is not None  # only complete evaluations are candidates
        with transaction.atomic():
            m.Award.objects.create(
                proposal=chosen,
                reasons=form.cleaned_data["reasons"],
                total_score=total,
                decided_by=viewer.user,
            )
            chosen.status = m.Proposal.Status.AWARDED
            chosen.save()
            for other in form.cleaned_data["not_awarded"]:
                other.status = m.Proposal.Status.NOT_AWARDED
                other.save()
        messages.success(request, f"'{chosen.title}' is awarded.")
        return redirect("competition-round", pk=rnd.pk)
    ranking = [results[pk] for pk in open_ids]
    titles = {p.pk: p for p in proposals}
    return render(
        request,
        "web/competition/award.html",
        {
            "round": rnd,
            "lot": lot,
            "decided": decided,
            "form": form,
            "problems": problems,
            "ranking": [(titles[r.proposal_id], r) for r in ranking],
            "awaiting": len(open_ids) - len(complete) if not decided else 0,
        },
    )


urlpatterns: list[URLPattern | URLResolver] = [
    path("competition/", competition_list, name="competition-list"),
    path("competition/rounds/<int:pk>/", competition_round, name="competition-round"),
    path(
        "competition/rounds/<int:pk>/criteria/", competition_criteria, name="competition-criteria"
    ),
    path("competition/rounds/<int:pk>/award/", competition_award, name="competition-award"),
    path("competition/proposals/<int:pk>/score/", competition_score, name="competition-score"),
    path(
        "competition/proposals/<int:pk>/moderate/",
        competition_moderate,
        name="competition-moderate",
    ),
]
