"""What each person has to do, by when: the dashboard's task lists (GOV.UK task list pattern).

Every task is read through the ethical walls (:func:`walls.visible`), so a provider's list
names only its own proposals and contracts and a commissioner's never shows what a provider
keeps to itself. Dates are judged as at the workspace's reporting date
(:func:`commissioning.web.policy.reporting_date`), as the assurance pages and the round's
report are, never today's date; a task without a date says so.

Statuses follow the pattern: ``Completed`` (plain text), ``Incomplete``, ``Due`` and
``Overdue`` (tags), and ``Cannot start yet`` (grey text, for a task that waits on someone
else).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Sum
from django.urls import reverse

from commissioning.secure.assurance import ReturnState, return_status
from commissioning.web import audit, walls
from commissioning.web import models as m
from commissioning.web.roles import Role


class Status(StrEnum):
    COMPLETED = "Completed"
    INCOMPLETE = "Incomplete"
    DUE = "Due"
    OVERDUE = "Overdue"
    CANNOT_START = "Cannot start yet"
    SHARED = "Shared with you"
    PUBLISHED = "Published"


#: The GOV.UK tag colour of each status shown as a tag (the others are plain text).
TAG_CLASSES = {
    Status.INCOMPLETE: "govuk-tag--blue",
    Status.DUE: "govuk-tag--yellow",
    Status.OVERDUE: "govuk-tag--red",
}


@dataclass(frozen=True)
class Task:
    """One thing to do: what, where (a link), for whom and by when, and how far it is."""

    title: str
    href: str
    status: Status
    hint: str = ""
    due: dt.date | None = None

    @property
    def tag_class(self) -> str:
        return TAG_CLASSES.get(self.status, "")

    @property
    def open(self) -> bool:
        return self.status in (Status.INCOMPLETE, Status.DUE, Status.OVERDUE)


@dataclass(frozen=True)
class TaskGroup:
    """A heading and its tasks (one round, the contracts, the audit trail)."""

    title: str
    tasks: tuple[Task, ...]
    intro: str = ""

    @property
    def to_do(self) -> int:
        return sum(t.open for t in self.tasks)


@dataclass(frozen=True)
class LotMoney:
    """A lot's budget (None when not set), the value awarded in it, and what remains."""

    lot: m.Lot
    budget: Decimal | None
    awarded: Decimal

    @property
    def remaining(self) -> Decimal | None:
        return None if self.budget is None else self.budget - self.awarded


@dataclass(frozen=True)
class Dashboard:
    groups: tuple[TaskGroup, ...]
    #: Per round (year, title) the commissioner's lots with their money; empty for others.
    budgets: tuple[tuple[m.CommissioningRound, tuple[LotMoney, ...]], ...] = field(default=())

    @property
    def to_do(self) -> int:
        return sum(g.to_do for g in self.groups)


def long_date(day: dt.date) -> str:
    """``9 December 2011`` (GOV.UK style: no leading zero, month in full)."""
    return f"{day.day} {day:%B %Y}"


def _by(day: dt.date | None) -> str:
    return f"by {long_date(day)}" if day is not None else "no date set"


def _closing(rnd: m.CommissioningRound, on: dt.date | None) -> str:
    if rnd.closes is None:
        return "The round has no closing date set."
    verb = "closed" if on is not None and on > rnd.closes else "close"
    return f"Proposals {verb} on {long_date(rnd.closes)}."


def proposal_value(proposals: Iterable[int]) -> dict[int, Decimal]:
    """Each proposal's annual value: the sum of its lines' volume × unit price."""
    value = ExpressionWrapper(F("unit_price") * F("volume"),
                              output_field=DecimalField(max_digits=18, decimal_places=2))
    rows = (m.ProposalLine.objects.filter(proposal__in=list(proposals)).order_by()
            .values_list("proposal").annotate(v=Sum(value)).values_list("proposal", "v"))
    return {pk: Decimal(v or 0) for pk, v in rows}


def lot_money(viewer: walls.Viewer, rnd: m.CommissioningRound) -> tuple[LotMoney, ...]:
    """The round's lots with their budgets and the value of the proposals awarded in each, as
    the commissioner sees them (budgets are commissioning information: a provider gets none)."""
    lots = list(walls.visible(viewer, m.Lot).filter(round=rnd).order_by("number"))
    budgets = {b.lot_id: b.amount
               for b in walls.visible(viewer, m.LotBudget).filter(lot__in=lots)}
    awarded_ids = list(walls.visible(viewer, m.Proposal)
                       .filter(round=rnd, status=m.Proposal.Status.AWARDED)
                       .values_list("pk", "lot_id"))
    values = proposal_value(pk for pk, _ in awarded_ids)
    awarded: dict[int | None, Decimal] = defaultdict(Decimal)
    for pk, lot_id in awarded_ids:
        awarded[lot_id] += values.get(pk, Decimal(0))
    return tuple(LotMoney(lot, budgets.get(lot.pk), awarded[lot.pk]) for lot in lots)


# ---------------------------------------------------------------------------------------------
# Providers
# ---------------------------------------------------------------------------------------------


def _proposal_tasks(viewer: walls.Viewer, on: dt.date | None) -> list[TaskGroup]:
    groups = []
    rounds = (walls.visible(viewer, m.CommissioningRound)
              .exclude(status=m.CommissioningRound.Status.DRAFT).order_by("-year"))
    mine = (walls.visible(viewer, m.Proposal).select_related("lot", "round")
            .annotate(n_lines=Count("lines", distinct=True)).order_by("pk"))
    by_round: dict[int, list[m.Proposal]] = defaultdict(list)
    lines: dict[int, int] = {}
    for proposal in mine:
        by_round[proposal.round_id].append(proposal)
        lines[proposal.pk] = proposal.n_lines
    for rnd in rounds:
        is_open = rnd.status == m.CommissioningRound.Status.OPEN
        proposals = by_round.get(rnd.pk, [])
        if not proposals and not is_open:
            continue
        late = is_open and on is not None and rnd.closes is not None and on > rnd.closes
        tasks = []
        for p in proposals:
            lot = f"lot {p.lot.number}: {p.lot.name}" if p.lot else "no lot"
            href = reverse("proposal-detail", args=[p.pk])
            if p.status == m.Proposal.Status.DRAFT:
                if not is_open:
                    tasks.append(Task(f"Submit '{p.title}'", href, Status.CANNOT_START,
                                      f"{lot}; the round is {rnd.get_status_display().lower()}"))
                    continue
                missing = []
                if not lines[p.pk]:
                    missing.append("no price schedule lines")
                if p.profile_rows is None:
                    missing.append("no population profile")
                need = f"; {' and '.join(missing)} yet" if missing else "; ready to submit"
                tasks.append(Task(f"Complete and submit '{p.title}'", href,
                                  Status.OVERDUE if late else Status.INCOMPLETE,
                                  f"{lot}{need}; {_by(rnd.closes)}", rnd.closes))
            else:
                tasks.append(Task(f"'{p.title}'", href, Status.COMPLETED,
                                  f"{lot}; {p.get_status_display().lower()}"))
        if is_open and not proposals:
            tasks.append(Task("Start a proposal", reverse("proposal-create"),
                              Status.OVERDUE if late else Status.INCOMPLETE,
                              f"answer one of the round's lots {_by(rnd.closes)}", rnd.closes))
        groups.append(TaskGroup(f"Proposals for {rnd}", tuple(tasks), _closing(rnd, on)
                                if is_open else ""))
    return groups


def _return_tasks(viewer: walls.Viewer, contracts: list[m.Contract], on: dt.date | None,
                  *, provider: bool) -> list[Task]:
    if on is None:
        return []
    received: dict[int, set[str]] = defaultdict(set)
    for contract_id, period in (walls.visible(viewer, m.AssuranceReturn)
                                .filter(kind=m.AssuranceReturn.Kind.SELF_AUDIT)
                                .values_list("contract_id", "period")):
        received[contract_id].add(period)
    tasks = []
    for c in contracts:
        state = return_status(c.starts, c.ends, received[c.pk], on)
        if state.quarter is None:
            continue
        status = {ReturnState.RECEIVED: Status.COMPLETED, ReturnState.DUE: Status.DUE,
                  ReturnState.OVERDUE: Status.OVERDUE}[state.state]
        verb = "Send" if provider else "Chase"
        title = (f"{verb} the self-audit return for {state.quarter}, {c.reference}"
                 if status != Status.COMPLETED else
                 f"Self-audit return for {state.quarter}, {c.reference}")
        href = (reverse("assurance-return", args=[c.pk]) if provider and status != Status.COMPLETED
                else reverse("assurance-contract", args=[c.pk]))
        who = "" if provider else f"from {c.provider.name}; "
        tasks.append(Task(title, href, status, f"{who}{_by(state.due)}", state.due))
    return tasks


def _action_plan_tasks(viewer: walls.Viewer, on: dt.date | None) -> list[Task]:
    tasks = []
    for plan in (walls.visible(viewer, m.ActionPlan).filter(status=m.ActionPlan.Status.OPEN)
                 .select_related("contract__provider").order_by("due", "pk")):
        late = on is not None and plan.due < on
        tasks.append(Task(
            f"Action plan: {plan.requirement}", reverse("assurance-contract",
                                                        args=[plan.contract_id]),
            Status.OVERDUE if late else Status.DUE,
            f"{plan.contract.reference}, {plan.contract.provider.name}; {_by(plan.due)}",
            plan.due))
    return tasks


def _version_tasks(viewer: walls.Viewer, contracts: list[m.Contract]) -> list[Task]:
    drafts = (walls.visible(viewer, m.ContractVersion)
              .filter(contract__in=contracts, status=m.ContractVersion.Status.DRAFT)
              .select_related("contract__provider").annotate(n_lines=Count("lines"))
              .order_by("contract__reference", "number"))
    tasks = []
    for v in drafts:
        ready = "ready to agree" if v.n_lines else "no schedule lines yet"
        first = v.number == 1  # the first version must be agreed before the contract starts
        hint = f"{v.contract.provider.name}; {ready}"
        if first:
            hint += f"; before {long_date(v.contract.starts)}"
        tasks.append(Task(f"Agree version {v.number} of {v.contract.reference}",
                          reverse("contract-version", args=[v.contract_id, v.number]),
                          Status.INCOMPLETE, hint, v.contract.starts if first else None))
    return tasks


# ---------------------------------------------------------------------------------------------
# Commissioners
# ---------------------------------------------------------------------------------------------


def _count_title(verb: str, items: list[m.Proposal], otherwise: str) -> str:
    """``Score 3 proposals``, or ``Score the submitted proposals`` when none is waiting."""
    n = len(items)
    return f"{verb} {n} proposal{'s' if n != 1 else ''}" if n else f"{verb} {otherwise}"


def _competition_tasks(viewer: walls.Viewer, rnd: m.CommissioningRound,
                       on: dt.date | None) -> TaskGroup:
    from commissioning.secure.evaluation import WeightedCriterion, weight_problems

    criteria = list(walls.visible(viewer, m.Criterion).filter(round=rnd).order_by("pk"))
    quality = [c.pk for c in criteria if c.kind == m.Criterion.Kind.QUALITY]
    problems = weight_problems([WeightedCriterion(c.pk, c.name, c.kind, c.weight)
                                for c in criteria])
    evaluated = list(walls.visible(viewer, m.Proposal).filter(
        round=rnd, status__in=(m.Proposal.Status.SUBMITTED, m.Proposal.Status.AWARDED,
                               m.Proposal.Status.NOT_AWARDED)).select_related("lot"))
    ids = [p.pk for p in evaluated]
    mine: dict[int, set[int]] = defaultdict(set)
    anyone: dict[int, set[int]] = defaultdict(set)
    for proposal, criterion, evaluator in (walls.visible(viewer, m.Score)
                                           .filter(proposal__in=ids)
                                           .values_list("proposal", "criterion", "evaluator")):
        anyone[proposal].add(criterion)
        if evaluator == viewer.user.pk:
            mine[proposal].add(criterion)
    agreed: dict[int, set[int]] = defaultdict(set)
    for proposal, criterion in (walls.visible(viewer, m.ModeratedScore)
                                .filter(proposal__in=ids).values_list("proposal", "criterion")):
        agreed[proposal].add(criterion)
    competition = reverse("competition-round", args=[rnd.pk])
    starts = rnd.starts
    tasks = [Task("Set the evaluation criteria",
                  reverse("competition-criteria", args=[rnd.pk]),
                  Status.COMPLETED if criteria and not problems else Status.INCOMPLETE,
                  f"{len(criteria)} criteria" + (f"; {problems[0]}" if problems else "")
                  if criteria else "none yet")]
    open_ = [p for p in evaluated if p.status == m.Proposal.Status.SUBMITTED]
    to_score = [p for p in open_ if not set(quality) <= mine[p.pk]]
    waiting = "no submitted proposal yet" if not evaluated else ""
    if not quality:
        tasks.append(Task("Score the submitted proposals", competition, Status.CANNOT_START,
                          "set the quality criteria first"))
    else:
        tasks.append(Task(
            _count_title("Score", to_score, "the submitted proposals"), competition,
            Status.CANNOT_START if not evaluated else
            Status.INCOMPLETE if to_score else Status.COMPLETED,
            waiting or f"{len(open_) - len(to_score)} of {len(open_)} open proposals scored "
                       "by you"))
        unmoderated = [p for p in open_ if anyone[p.pk] and not set(quality) <= agreed[p.pk]]
        tasks.append(Task(
            _count_title("Moderate", unmoderated, "the evaluators' scores"), competition,
            Status.CANNOT_START if not any(anyone.values()) else
            Status.INCOMPLETE if unmoderated else Status.COMPLETED,
            "no scores yet" if not any(anyone.values()) else
            "agree one score per quality criterion from the evaluators' scores"))
    flagged = (walls.visible(viewer, m.ProposalFlag).filter(proposal__in=[p.pk for p in open_])
               .values("proposal").distinct().count())
    if flagged:
        tasks.append(Task(f"Review {flagged} proposal{'s' if flagged != 1 else ''} with flags",
                          reverse("proposal-list"), Status.INCOMPLETE,
                          "lines the commissioning intentions' checks flagged"))
    money = lot_money(viewer, rnd)
    decided = {p.lot_id for p in evaluated if p.status == m.Proposal.Status.AWARDED}
    award = reverse("competition-award", args=[rnd.pk])
    for lm in money:
        bids = [p for p in open_ if p.lot_id == lm.lot.pk]
        complete = [p for p in bids if set(quality) <= agreed[p.pk]]
        if lm.lot.pk in decided:
            status, hint = Status.COMPLETED, f"awarded £{lm.awarded:,.0f}"
        elif not bids:
            status, hint = Status.CANNOT_START, "no submitted proposal in this lot"
        elif not complete:
            status, hint = Status.CANNOT_START, "moderate the lot's proposals first"
        else:
            status = Status.INCOMPLETE
            hint = f"{len(complete)} of {len(bids)} proposals ready; {_by(starts)}"
        tasks.append(Task(f"Award lot {lm.lot.number}: {lm.lot.name}",
                          f"{award}?lot={lm.lot.pk}", status, hint,
                          starts if status == Status.INCOMPLETE else None))
    return TaskGroup(f"Competition for {rnd}", tuple(tasks),
                     f"{_closing(rnd, on)} Contracts start on {long_date(starts)}.")


# ---------------------------------------------------------------------------------------------
# Everyone
# ---------------------------------------------------------------------------------------------


def dashboard(viewer: walls.Viewer, on: dt.date | None) -> Dashboard:
    """The task lists for ``viewer``'s role as at ``on``."""
    contracts = list(walls.visible(viewer, m.Contract).select_related("provider")
                     .order_by("reference"))
    if viewer.role == Role.PROVIDER:
        groups = _proposal_tasks(viewer, on)
        contract_tasks = (_return_tasks(viewer, contracts, on, provider=True)
                          + _action_plan_tasks(viewer, on))
        if contract_tasks:
            groups.append(TaskGroup("Your contracts", tuple(contract_tasks)))
        return Dashboard(tuple(groups))
    if viewer.role == Role.COMMISSIONER:
        rounds = list(walls.visible(viewer, m.CommissioningRound)
                      .exclude(status=m.CommissioningRound.Status.DRAFT).order_by("-year"))
        groups = [_competition_tasks(viewer, r, on) for r in rounds
                  if r.status != m.CommissioningRound.Status.AWARDED]
        versions = _version_tasks(viewer, contracts)
        if versions:
            groups.append(TaskGroup("Contracts", tuple(versions)))
        budgets = tuple((r, lot_money(viewer, r)) for r in rounds)
        return Dashboard(tuple(groups), tuple(b for b in budgets if b[1]))
    if viewer.role == Role.CONTRACT_MANAGER:
        tasks = (_version_tasks(viewer, contracts)
                 + _return_tasks(viewer, contracts, on, provider=False)
                 + _action_plan_tasks(viewer, on))
        return Dashboard((TaskGroup("Contracts and assurance", tuple(tasks)),) if tasks else ())
    if viewer.role == Role.AUDITOR:
        chain = audit.verify()
        denials = walls.visible(viewer, m.AccessDenial).count()
        return Dashboard((TaskGroup("Audit trail", (
            Task("Check the audit chain", reverse("audit-log"),
                 Status.COMPLETED if chain.ok else Status.OVERDUE,
                 f"{chain.entries} entries" if chain.ok else "the chain is broken"),
            Task(f"Review {denials} refused access{'es' if denials != 1 else ''}",
                 reverse("audit-denials"),
                 Status.INCOMPLETE if denials else Status.COMPLETED,
                 "attempts the ethical walls refused"),
        )),))
    if viewer.role == Role.PARTNER:
        tasks = [Task(f"{c.reference}: {c.title}", reverse("contract-detail", args=[c.pk]),
                      Status.PUBLISHED if c.published else Status.SHARED,
                      f"{c.provider.name}; {long_date(c.starts)} to {long_date(c.ends)}")
                 for c in contracts]
        return Dashboard((TaskGroup("Contracts shared with you or published", tuple(tasks)),)
                         if tasks else ())
    return Dashboard(())
