"""The ethical walls, in one place: what each person may see and do.

Every view and API operation gets its records through :func:`visible` (a queryset filter) and
its permission from :func:`can` / :func:`require` — never from a template. The rules:

- **Commissioning information** (budget envelopes and lot budgets, criteria scores,
  evaluators' notes, moderation, award reasons, the audit log, denied accesses) is visible only
  on the commissioning side: commissioners, contract managers and auditors.
- **Providers** see only their own organisation's proposals, contracts, assurance, ratings and
  data — never another provider's; the public prison provider is a provider like any other.
- **Co-commissioning partners** see only contracts shared with them, and what is published.
- **The public** sees published rounds, published contracts' schedules and performance, and
  published ratings.
- **Auditors** read everything on the commissioning side and change nothing.

Every refusal is recorded (:class:`~commissioning.web.models.AccessDenial`) and logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest

from commissioning.web import models as m
from commissioning.web.roles import COMMISSIONING_SIDE, Role

log = logging.getLogger(__name__)
M = TypeVar("M", bound=Model)

NOTHING = Q(pk__in=[])
EVERYTHING = Q()


@dataclass(frozen=True)
class Viewer:
    """The person asking, with their role and organisation (the public when signed out)."""

    user: Any
    role: str
    organisation: m.Organisation | None

    @property
    def commissioning_side(self) -> bool:
        return self.role in COMMISSIONING_SIDE

    @property
    def signed_in(self) -> bool:
        return self.role != Role.PUBLIC

    def owns(self, organisation_id: int | None) -> bool:
        return self.organisation is not None and organisation_id == self.organisation.pk


def viewer_of(user: Any) -> Viewer:
    """The viewer for a user: their membership's role, or the public."""
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return Viewer(user=None, role=Role.PUBLIC, organisation=None)
    if not user.is_active:
        return Viewer(user=None, role=Role.PUBLIC, organisation=None)
    membership = getattr(user, "_walls_membership", None)
    if membership is None:
        membership = m.Membership.objects.select_related("organisation").filter(user=user).first()
        user._walls_membership = membership
    if membership is None:
        # Signed in but belonging to no organisation: sees only what the public sees.
        return Viewer(user=user, role=Role.PUBLIC, organisation=None)
    return Viewer(user=user, role=membership.role, organisation=membership.organisation)


# ---------------------------------------------------------------------------------------------
# Reading: one rule per model, returning the filter of the records the viewer may see.
# ---------------------------------------------------------------------------------------------

ReadRule = Callable[[Viewer], Q]


def _commissioning_only(v: Viewer) -> Q:
    return EVERYTHING if v.commissioning_side else NOTHING


def _everyone(v: Viewer) -> Q:
    return EVERYTHING


def _round(v: Viewer) -> Q:
    if v.commissioning_side:
        return EVERYTHING
    return ~Q(status=m.CommissioningRound.Status.DRAFT)


def _criterion(v: Viewer) -> Q:
    # Criteria and weights are published with the round so that bidders know how they are judged.
    if v.commissioning_side:
        return EVERYTHING
    return ~Q(round__status=m.CommissioningRound.Status.DRAFT)


def _proposals(path: str) -> ReadRule:
    owner = f"{path}provider" if path else "provider"
    status = f"{path}status" if path else "status"

    def rule(v: Viewer) -> Q:
        if v.commissioning_side:
            # Commissioners see a proposal once it is submitted, never the provider's drafts.
            return ~Q(**{status: m.Proposal.Status.DRAFT})
        if v.role == Role.PROVIDER and v.organisation is not None:
            return Q(**{owner: v.organisation})
        return NOTHING

    return rule


def _contracts(path: str, *, partner: bool, public: bool) -> ReadRule:
    """Contract-owned records: ``partner`` — shared ones are visible to partners they are shared
    with; ``public`` — published contracts' records are visible to everyone."""
    owner = f"{path}provider"

    def rule(v: Viewer) -> Q:
        if v.commissioning_side:
            return EVERYTHING
        published = Q(**{f"{path}published": True}) if public else NOTHING
        if v.role == Role.PROVIDER and v.organisation is not None:
            # Their own, and — like everyone — what is published.
            return Q(**{owner: v.organisation}) | published
        if v.role == Role.PARTNER and partner and v.organisation is not None:
            # Partners see what is shared with them and, like everyone, what is published.
            return Q(**{f"{path}shared_with": v.organisation}) | published
        return published

    return rule


def _versions(path: str) -> ReadRule:
    """Versions (and their lines/targets): only a contract's provider and the commissioning side
    see drafts; everyone else sees the agreed versions of what they may see."""
    base = _contracts(f"{path}contract__", partner=True, public=True)
    status = f"{path}status"

    agreed = Q(**{status: m.ContractVersion.Status.AGREED})

    def rule(v: Viewer) -> Q:
        if v.commissioning_side:
            return EVERYTHING
        if v.role == Role.PROVIDER and v.organisation is not None:
            # Drafts of their own contracts; of others', only what the public sees.
            own = Q(**{f"{path}contract__provider": v.organisation})
            return own | (Q(**{f"{path}contract__published": True}) & agreed)
        return base(v) & agreed

    return rule


def _rating(v: Viewer) -> Q:
    if v.commissioning_side:
        return EVERYTHING
    published = Q(published=True)
    if v.role == Role.PROVIDER and v.organisation is not None:
        return published | Q(organisation=v.organisation)
    return published


def _membership(v: Viewer) -> Q:
    if v.role in (Role.COMMISSIONER, Role.AUDITOR):
        return EVERYTHING
    if v.user is not None:
        return Q(user=v.user)
    return NOTHING


def _failed_logins(v: Viewer) -> Q:
    return EVERYTHING if v.role in (Role.COMMISSIONER, Role.AUDITOR) else NOTHING


READ_RULES: dict[type[Model], ReadRule] = {
    m.Organisation: _everyone,
    m.Membership: _membership,
    m.CommissioningRound: _round,
    m.RoundEnvelope: _commissioning_only,
    m.Criterion: _criterion,
    m.Lot: _criterion,  # published with the round, so that providers can answer a lot
    m.LotBudget: _commissioning_only,
    m.Proposal: _proposals(""),
    m.ProposalLine: _proposals("proposal__"),
    m.Subcontract: _proposals("proposal__"),
    m.ProposalFlag: _proposals("proposal__"),
    m.Score: _commissioning_only,
    m.ModeratedScore: _commissioning_only,
    m.Award: _commissioning_only,
    m.Contract: _contracts("", partner=True, public=True),
    m.ContractVersion: _versions(""),
    m.ScheduleLine: _versions("version__"),
    m.TargetLevel: _versions("version__"),
    m.Variation: _contracts("contract__", partner=True, public=False),
    m.ActionPlan: _contracts("contract__", partner=False, public=False),
    m.AssuranceReturn: _contracts("contract__", partner=False, public=False),
    m.ExternalAudit: _contracts("contract__", partner=False, public=False),
    m.RiskEntry: _contracts("contract__", partner=False, public=False),
    m.PerformanceRecord: _contracts("contract__", partner=True, public=True),
    m.Rating: _rating,
    m.AuditEntry: _commissioning_only,
    m.AccessDenial: _failed_logins,
    m.FailedLogin: _failed_logins,
}


def visible(who: Any, model: type[M] | QuerySet[M]) -> QuerySet[M]:
    """The records of ``model`` (or of a queryset) that ``who`` (a user or Viewer) may see."""
    v = who if isinstance(who, Viewer) else viewer_of(who)
    qs = model if isinstance(model, QuerySet) else model._default_manager.all()
    rule = READ_RULES.get(qs.model)
    if rule is None:
        raise LookupError(f"no ethical-wall rule for {qs.model.__name__}: add one to READ_RULES")
    condition = rule(v)
    # Only a rule that crosses a to-many relation (sharing) can repeat a row; DISTINCT over
    # every column elsewhere would cost the long lists dearly (benchmarks/web_load.py).
    if _crosses_to_many(condition):
        return qs.filter(pk__in=qs.filter(condition).values("pk"))
    return qs.filter(condition)


#: Lookups through to-many relations used by the rules above.
TO_MANY = ("shared_with",)


def _crosses_to_many(condition: Q) -> bool:
    for child in condition.children:
        if isinstance(child, Q):
            if _crosses_to_many(child):
                return True
        elif isinstance(child, tuple) and any(p in TO_MANY for p in str(child[0]).split("__")):
            return True
    return False


# ---------------------------------------------------------------------------------------------
# Acting: what each role may do, to which record.
# ---------------------------------------------------------------------------------------------


def _proposal_of(obj: Any) -> m.Proposal | None:
    if isinstance(obj, m.Proposal):
        return obj
    return getattr(obj, "proposal", None)


def _contract_of(obj: Any) -> m.Contract | None:
    if isinstance(obj, m.Contract):
        return obj
    if isinstance(obj, m.ContractVersion):
        return obj.contract
    version = getattr(obj, "version", None)
    if version is not None:
        return version.contract  # type: ignore[no-any-return]
    return getattr(obj, "contract", None)


def _provider_may_edit_proposal(v: Viewer, obj: Any) -> bool:
    proposal = _proposal_of(obj)
    if v.role != Role.PROVIDER or proposal is None:
        return False
    return (
        v.owns(proposal.provider_id)
        and proposal.status == m.Proposal.Status.DRAFT
        and proposal.round.status == m.CommissioningRound.Status.OPEN
    )


#: Models the contract side (commissioners and contract managers) creates and changes.
CONTRACT_SIDE_MODELS: tuple[type[Model], ...] = (
    m.Contract,
    m.ContractVersion,
    m.ScheduleLine,
    m.TargetLevel,
    m.Variation,
    m.ActionPlan,
    m.ExternalAudit,
    m.RiskEntry,
    m.PerformanceRecord,
    m.Rating,
)
#: Models only commissioners create and change.
COMMISSIONER_MODELS: tuple[type[Model], ...] = (
    m.CommissioningRound,
    m.RoundEnvelope,
    m.Lot,
    m.LotBudget,
    m.Criterion,
    m.Score,
    m.ModeratedScore,
    m.Award,
)


def _allowed(v: Viewer, action: str, target: Any) -> tuple[bool, str]:
    model = target if isinstance(target, type) else type(target)
    obj = None if isinstance(target, type) else target
    if not v.signed_in:
        return False, "sign in first"
    if v.role in (Role.AUDITOR, Role.PARTNER):
        return False, f"{Role(v.role).label} access is read only"

    if model in (m.Proposal, m.ProposalLine, m.Subcontract):
        if v.role != Role.PROVIDER:
            return False, "only providers write proposals"
        if obj is None:
            return True, ""
        proposal = _proposal_of(obj)
        if proposal is None or not v.owns(proposal.provider_id):
            return False, "another organisation's proposal"
        if action == "withdraw":
            ok = (
                proposal.status == m.Proposal.Status.SUBMITTED
                and proposal.round.status == m.CommissioningRound.Status.OPEN
            )
            return ok, "" if ok else "only a submitted proposal in an open round can be withdrawn"
        if _provider_may_edit_proposal(v, obj):
            return True, ""
        return False, "the proposal is no longer a draft or the round is not open"

    if model is m.AssuranceReturn:
        if v.role != Role.PROVIDER:
            return False, "assurance returns come from the provider"
        contract = _contract_of(obj) if obj is not None else None
        if obj is not None and (contract is None or not v.owns(contract.provider_id)):
            return False, "another organisation's contract"
        return True, ""

    if model in COMMISSIONER_MODELS:
        ok = v.role == Role.COMMISSIONER
        return ok, "" if ok else "only commissioners may do this"

    if model in CONTRACT_SIDE_MODELS:
        ok = v.role in (Role.COMMISSIONER, Role.CONTRACT_MANAGER)
        version = (
            obj
            if isinstance(obj, m.ContractVersion)
            else obj.version
            if isinstance(obj, m.ScheduleLine | m.TargetLevel)
            else None
        )
        agreed = version is not None and version.status == m.ContractVersion.Status.AGREED
        if ok and agreed and action in ("change", "delete"):
            return False, "an agreed version is changed only by a variation"
        return ok, "" if ok else "only commissioners and contract managers may do this"

    if model in (m.Membership, m.Organisation):
        ok = v.role == Role.COMMISSIONER
        return ok, "" if ok else "only commissioners manage organisations and people"

    return False, f"no rule allows {action} on {model.__name__}"


def can(who: Any, action: str, target: Any) -> bool:
    """Whether ``who`` may do ``action`` (create, change, delete, submit, withdraw, evaluate,
    award, publish, share) to ``target`` (a record, or a model class for creation)."""
    v = who if isinstance(who, Viewer) else viewer_of(who)
    return _allowed(v, action, target)[0]


def refusal(who: Any, action: str, target: Any) -> str:
    """Why ``who`` may not do ``action`` to ``target`` (empty when they may): :func:`can`'s
    reason, for callers that act without a request (the demo data)."""
    v = who if isinstance(who, Viewer) else viewer_of(who)
    ok, reason = _allowed(v, action, target)
    return "" if ok else reason or f"no rule allows {action}"


def _describe(target: Any) -> str:
    if isinstance(target, type):
        return target.__name__
    return f"{type(target).__name__} #{getattr(target, 'pk', '?')}"


def record_denial(
    request: HttpRequest | None, who: Any, action: str, target: str, reason: str
) -> None:
    """Record and log a refused access."""
    v = who if isinstance(who, Viewer) else viewer_of(who)
    user = v.user
    m.AccessDenial.objects.create(
        user=user,
        username=getattr(user, "username", "") if user is not None else "",
        role=v.role,
        organisation=v.organisation.name if v.organisation else "",
        method=request.method or "" if request is not None else "",
        path=request.get_full_path()[:500] if request is not None else "",
        target=target[:200],
        action=action,
        reason=reason[:300],
    )
    log.warning(
        "access denied: %s (%s) %s %s — %s",
        getattr(user, "username", "anonymous"),
        v.role,
        action,
        target,
        reason,
    )


def require(request: HttpRequest, action: str, target: Any, *, who: Any = None) -> Viewer:
    """Raise PermissionDenied (and record it) unless the request's user may act on ``target``."""
    v = viewer_of(who if who is not None else request.user)
    ok, reason = _allowed(v, action, target)
    if not ok:
        record_denial(request, v, action, _describe(target), reason)
        raise PermissionDenied(reason)
    return v


def may_view(who: Any, model: type[Model]) -> bool:
    """Whether ``who`` may see any record of ``model`` at all (e.g. to show a link to a page)."""
    v = who if isinstance(who, Viewer) else viewer_of(who)
    rule = READ_RULES.get(model)
    if rule is None:
        raise LookupError(f"no ethical-wall rule for {model.__name__}: add one to READ_RULES")
    return rule(v) is not NOTHING


def require_view(request: HttpRequest, model: type[Model], *, who: Any = None) -> Viewer:
    """Raise PermissionDenied (and record it) when the user may see no record of ``model`` at
    all — for pages that are wholly behind the wall, such as the audit log."""
    v = viewer_of(who if who is not None else request.user)
    if not may_view(v, model):
        reason = "behind the ethical wall"
        record_denial(request, v, "view", model.__name__, reason)
        raise PermissionDenied(reason)
    return v


def get_visible_or_404(
    request: HttpRequest, model: type[M], *, who: Any = None, **lookup: Any
) -> M:
    """The record if the user may see it; otherwise 404 — the same answer whether the record is
    missing or behind the wall, so its existence is not revealed — recording the refusal."""
    v = viewer_of(who if who is not None else request.user)
    try:
        return visible(v, model).get(**lookup)
    except model.DoesNotExist:  # type: ignore[attr-defined]
        if model._default_manager.filter(**lookup).exists():
            record_denial(
                request, v, "view", f"{model.__name__} {lookup}", "behind the ethical wall"
            )
        raise Http404(f"No {model._meta.verbose_name} found.") from None


def require_commissioning_side(request: HttpRequest, what: str) -> Viewer:
    """The viewer, when on the commissioning side of the wall; otherwise 404 — the page's
    existence is not confirmed to a provider — and the refusal is recorded."""
    v = viewer_of(request.user)
    if not v.commissioning_side:
        record_denial(request, v, "view", request.path, f"{what} is commissioning information")
        raise Http404("No such page.")
    return v


def managed_contracts(who: Any) -> QuerySet[m.Contract]:
    """Contracts whose management pages — assurance returns, audits, risks — the viewer may open:
    a provider only its own (another's published contract is visible to it, but its management
    stays between that provider and the commissioner); anyone else, the contracts they see."""
    v = who if isinstance(who, Viewer) else viewer_of(who)
    contracts = visible(v, m.Contract)
    if v.role == Role.PROVIDER and v.organisation is not None:
        return contracts.filter(provider=v.organisation)
    # Others see what they may see; the management records' own rules then refuse (403) or
    # show nothing to partners and the public.
    return contracts


def get_managed_contract_or_404(request: HttpRequest, pk: int) -> m.Contract:
    """A contract from :func:`managed_contracts`, else 404 (recorded when it exists)."""
    v = viewer_of(request.user)
    try:
        return managed_contracts(v).get(pk=pk)
    except m.Contract.DoesNotExist:
        if m.Contract.objects.filter(pk=pk).exists():
            record_denial(request, v, "view", f"Contract {pk} management",
                          "another organisation's contract management")
        raise Http404("No contract found.") from None

