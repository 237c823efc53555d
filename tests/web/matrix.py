"""The world of the authorisation matrix: one person per role and, for every kind of record a URL
names, an instance that is the provider's *own*, one that is *another* provider's, and (for
contracts) one that is published — each carrying secret words whose audience is declared here.

Provider A ("Alpha") is the public-sector prison: it sits in the same agency as the commissioner
and must still see nothing of the commissioning side or of provider B ("Bravo"). The partner
sees Alpha's contract (shared with it); Bravo's is shared with another partner.

(A helper module, not collected: its name does not start with test_.)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model

from commissioning.web import models as m
from commissioning.web.roles import OrganisationKind, Role

#: The roles of the matrix, in the order of the policy table's columns.
ROLES: tuple[str, ...] = (
    "public",
    "provider",
    "commissioner",
    "contract_manager",
    "auditor",
    "partner",
)
COMMISSIONING = frozenset({"commissioner", "contract_manager", "auditor"})
EVERYONE = frozenset(ROLES)

#: The instances of each kind of record a URL may name, in the order of the policy table.
SUBJECTS: dict[str, tuple[str, ...]] = {
    "none": ("-",),
    "round": ("open", "draft"),
    "proposal": ("own draft", "own submitted", "other draft", "other submitted"),
    "contract": ("own", "other", "published"),
    "rating": ("own", "other"),
}

#: Secret words planted in the records, with the roles that may see each. Any response (page or
#: JSON, whatever its status) that shows a word to a role outside its audience is a leak.
AUDIENCE: dict[str, frozenset[str]] = {
    # Proposals: a draft is its provider's alone; a submitted one also the commissioning side's.
    "AlphaDraftBid": frozenset({"provider"}),
    "AlphaDraftRationale": frozenset({"provider"}),
    "AlphaDraftSubcontractor": frozenset({"provider"}),
    "AlphaSubmittedBid": frozenset({"provider"}) | COMMISSIONING,
    "AlphaSubmittedRationale": frozenset({"provider"}) | COMMISSIONING,
    "AlphaSubmittedSubcontractor": frozenset({"provider"}) | COMMISSIONING,
    "BravoDraftBid": frozenset(),
    "BravoDraftRationale": frozenset(),
    "BravoDraftSubcontractor": frozenset(),
    "BravoSubmittedBid": COMMISSIONING,
    "BravoSubmittedRationale": COMMISSIONING,
    "BravoSubmittedSubcontractor": COMMISSIONING,
    "BravoAwardedBid": COMMISSIONING,
    # Commissioning information: never outside the commissioning side.
    "AwardReasonsSecret": COMMISSIONING,
    "EvaluatorNoteSecret": COMMISSIONING,
    "ModerationNoteSecret": COMMISSIONING,
    "3712345678": COMMISSIONING,  # the open round's budget envelope
    "3,712,345,678": COMMISSIONING,
    "EnvelopeNotesSecret": COMMISSIONING,
    "DraftRoundTitle": COMMISSIONING,
    "DraftRoundCriterion": COMMISSIONING,
    # Alpha's contract: its provider, the commissioning side and the partner it is shared with;
    # draft versions and assurance stay between provider and commissioner.
    "AlphaContractTitle": frozenset({"provider", "partner"}) | COMMISSIONING,
    "AlphaVariationReason": frozenset({"provider", "partner"}) | COMMISSIONING,
    "7654321": frozenset({"provider"}) | COMMISSIONING,  # Alpha's draft version's price
    "7,654,321": frozenset({"provider"}) | COMMISSIONING,
    "AlphaReturnStatement": frozenset({"provider"}) | COMMISSIONING,
    "AlphaRiskDescription": frozenset({"provider"}) | COMMISSIONING,
    "AlphaAuditArea": frozenset({"provider"}) | COMMISSIONING,
    "AlphaActionPlan": frozenset({"provider"}) | COMMISSIONING,
    "AlphaRatingRationale": frozenset({"provider"}) | COMMISSIONING,
    # Bravo's unpublished contract (shared with another partner) and unpublished rating.
    "CON-BRAVO": COMMISSIONING,
    "BravoContractTitle": COMMISSIONING,
    "BravoVariationReason": COMMISSIONING,
    "8765432": COMMISSIONING,
    "8,765,432": COMMISSIONING,
    "BravoReturnStatement": COMMISSIONING,
    "BravoRiskDescription": COMMISSIONING,
    "BravoAuditArea": COMMISSIONING,
    "BravoActionPlan": COMMISSIONING,
    "BravoRatingRationale": COMMISSIONING,
    # Bravo's published contract: its summary is public, its draft and assurance are not.
    "BravoPublishedTitle": EVERYONE,
    "6543210": COMMISSIONING,
    "6,543,210": COMMISSIONING,
    "BravoPublishedReturn": COMMISSIONING,
    "BravoPublishedRisk": COMMISSIONING,
    "BravoPublishedAudit": COMMISSIONING,
    "BravoPublishedPlan": COMMISSIONING,
}


def forbidden(role: str) -> tuple[str, ...]:
    """The secret words ``role`` must never be shown."""
    return tuple(word for word, audience in AUDIENCE.items() if role not in audience)


@dataclass
class MatrixWorld:
    users: dict[str, Any]  # role -> user (no user for the public)
    #: subject -> instance -> URL parameter values naming it (and its child records)
    params: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    open_round: int = 0


def _user(name: str, org: m.Organisation, role: str) -> Any:
    # No usable password: the matrix signs people in with force_login (no hashing cost).
    user = get_user_model().objects.create_user(username=name, password=None)
    m.Membership.objects.create(user=user, organisation=org, role=role)
    return user


def _proposal(
    rnd: m.CommissioningRound, org: m.Organisation, name: str, status: str
) -> dict[str, int]:
    proposal = m.Proposal.objects.create(round=rnd, provider=org, title=f"{name}Bid", status=status)
    line = m.ProposalLine.objects.create(
        proposal=proposal,
        service_id="thinking_skills_programme",
        setting="custody",
        offence_group="violence",
        risk_tier="high",
        harm="medium",
        volume=10,
        unit_price=Decimal("1000"),
        rationale=f"{name}Rationale",
    )
    sub = m.Subcontract.objects.create(
        proposal=proposal,
        subcontractor=f"{name}Subcontractor",
        services="Mentoring",
        annual_value=Decimal("5000"),
    )
    m.ProposalFlag.objects.create(
        proposal=proposal, line=line, intention="custody-1", rule="test", detail=f"{name}Rationale"
    )
    return {
        "pk": proposal.pk,
        "proposal_id": proposal.pk,
        "line_pk": line.pk,
        "line_id": line.pk,
        "sub_pk": sub.pk,
    }


def _evaluate(proposal_pk: int, criterion: m.Criterion, commissioner: Any) -> None:
    m.Score.objects.create(
        proposal_id=proposal_pk,
        criterion=criterion,
        evaluator=commissioner,
        score=3,
        note="EvaluatorNoteSecret",
    )
    m.ModeratedScore.objects.create(
        proposal_id=proposal_pk,
        criterion=criterion,
        score=3,
        note="ModerationNoteSecret",
        moderated_by=commissioner,
    )


def _version(contract: m.Contract, number: int, status: str, price: str) -> m.ContractVersion:
    version = m.ContractVersion.objects.create(
        contract=contract,
        number=number,
        status=status,
        annual_operating_price=Decimal(price),
        agreed_at=dt.datetime(2012, 3, 1, tzinfo=dt.UTC) if status == "agreed" else None,
    )
    m.ScheduleLine.objects.create(
        version=version,
        service_id="thinking_skills_programme",
        setting="custody",
        offence_group="violence",
        risk_tier="medium",
        harm="medium",
        volume=300,
        price=Decimal("450000"),
    )
    m.TargetLevel.objects.create(
        version=version,
        measure="Proven reoffending rate",
        target=Decimal("0.34"),
        unit="proportion",
        direction=m.TargetLevel.Direction.AT_MOST,
    )
    return version


def _contract(
    reference: str,
    provider: m.Organisation,
    names: dict[str, str],
    draft_price: str,
    *,
    shared_with: m.Organisation,
    published: bool,
    users: dict[str, Any],
) -> dict[str, int]:
    contract = m.Contract.objects.create(
        reference=reference,
        title=names["title"],
        kind=m.Contract.Kind.CONTRACT,
        provider=provider,
        starts=dt.date(2012, 4, 1),
        ends=dt.date(2013, 3, 31),
        published=published,
    )
    contract.shared_with.add(shared_with)
    first = _version(contract, 1, "agreed", "1000000")
    second = _version(contract, 2, "agreed", "1100000")
    if "variation" in names:
        m.Variation.objects.create(
            contract=contract,
            from_version=first,
            to_version=second,
            reason=names["variation"],
            agreed_by=users["contract_manager"],
        )
    draft = _version(contract, 3, "draft", draft_price)
    m.AssuranceReturn.objects.create(
        contract=contract,
        kind=m.AssuranceReturn.Kind.SELF_AUDIT,
        period="2012-Q1",
        statement=names["return"],
        compliant=True,
        submitted_by=users["contract_manager"],
    )
    risk = m.RiskEntry.objects.create(
        contract=contract, description=names["risk"], likelihood=4, impact=4
    )
    audit = m.ExternalAudit.objects.create(
        contract=contract, area=names["audit"], commissioned_by=users["contract_manager"]
    )
    plan = m.ActionPlan.objects.create(
        contract=contract, requirement=names["plan"], actions="Recruit", due=dt.date(2012, 9, 30)
    )
    m.PerformanceRecord.objects.create(
        contract=contract,
        measure="Proven reoffending rate",
        period="2012-Q1",
        actual=Decimal("0.35"),
        target=Decimal("0.34"),
        unit="proportion",
        people=200,
    )
    return {
        "pk": contract.pk,
        "contract_id": contract.pk,
        "number": draft.number,
        "line": draft.lines.get().pk,
        "target": draft.targets.get().pk,
        "plan": plan.pk,
        "organisation": shared_with.pk,
        "audit": audit.pk,
        "risk": risk.pk,
    }


def build_matrix_world() -> MatrixWorld:
    orgs = {
        "noms": m.Organisation.objects.create(
            name="NOMS Commissioning", kind=OrganisationKind.COMMISSIONER
        ),
        "assurance": m.Organisation.objects.create(
            name="Audit and Assurance", kind=OrganisationKind.ASSURANCE
        ),
        "alpha": m.Organisation.objects.create(
            name="HMP Alpha", kind=OrganisationKind.PUBLIC_PRISON, provider_id="ALP"
        ),
        "bravo": m.Organisation.objects.create(
            name="Bravo Probation Trust", kind=OrganisationKind.PROBATION_TRUST, provider_id="BRV"
        ),
        "partner": m.Organisation.objects.create(name="Partner One", kind=OrganisationKind.PARTNER),
        "other_partner": m.Organisation.objects.create(
            name="Partner Two", kind=OrganisationKind.PARTNER
        ),
    }
    users = {
        "provider": _user("alpha", orgs["alpha"], Role.PROVIDER),
        "commissioner": _user("commissioner", orgs["noms"], Role.COMMISSIONER),
        "contract_manager": _user("contracts", orgs["noms"], Role.CONTRACT_MANAGER),
        "auditor": _user("auditor", orgs["assurance"], Role.AUDITOR),
        "partner": _user("partner", orgs["partner"], Role.PARTNER),
    }
    _user("bravo", orgs["bravo"], Role.PROVIDER)

    rounds = {
        "open": m.CommissioningRound.objects.create(
            year="2012-13", title="Round 2012-13", status=m.CommissioningRound.Status.OPEN
        ),
        "draft": m.CommissioningRound.objects.create(
            year="2013-14", title="DraftRoundTitle", status=m.CommissioningRound.Status.DRAFT
        ),
    }
    m.RoundEnvelope.objects.create(
        round=rounds["open"],
        budget=Decimal("3712345678"),
        savings_target=Decimal("120000000"),
        notes="EnvelopeNotesSecret",
    )
    m.RoundEnvelope.objects.create(
        round=rounds["draft"], budget=Decimal("3712345678"), savings_target=Decimal("1")
    )
    quality = m.Criterion.objects.create(
        round=rounds["open"], name="Delivery", kind="quality", weight=Decimal("60")
    )
    m.Criterion.objects.create(
        round=rounds["open"], name="Price", kind="price", weight=Decimal("40")
    )
    m.Criterion.objects.create(
        round=rounds["draft"], name="DraftRoundCriterion", kind="quality", weight=Decimal("100")
    )

    rnd = rounds["open"]
    proposals = {
        "own draft": _proposal(rnd, orgs["alpha"], "AlphaDraft", "draft"),
        "own submitted": _proposal(rnd, orgs["alpha"], "AlphaSubmitted", "submitted"),
        "other draft": _proposal(rnd, orgs["bravo"], "BravoDraft", "draft"),
        "other submitted": _proposal(rnd, orgs["bravo"], "BravoSubmitted", "submitted"),
    }
    for name in ("own submitted", "other submitted"):
        _evaluate(proposals[name]["pk"], quality, users["commissioner"])
    awarded = m.Proposal.objects.create(
        round=rnd, provider=orgs["bravo"], title="BravoAwardedBid", status="awarded"
    )
    m.Award.objects.create(
        proposal=awarded,
        reasons="AwardReasonsSecret",
        total_score=Decimal("80"),
        decided_by=users["commissioner"],
    )

    contracts = {
        "own": _contract(
            "SLA-ALPHA",
            orgs["alpha"],
            {
                "title": "AlphaContractTitle",
                "variation": "AlphaVariationReason",
                "return": "AlphaReturnStatement",
                "risk": "AlphaRiskDescription",
                "audit": "AlphaAuditArea",
                "plan": "AlphaActionPlan",
            },
            "7654321",
            shared_with=orgs["partner"],
            published=False,
            users=users,
        ),
        "other": _contract(
            "CON-BRAVO",
            orgs["bravo"],
            {
                "title": "BravoContractTitle",
                "variation": "BravoVariationReason",
                "return": "BravoReturnStatement",
                "risk": "BravoRiskDescription",
                "audit": "BravoAuditArea",
                "plan": "BravoActionPlan",
            },
            "8765432",
            shared_with=orgs["other_partner"],
            published=False,
            users=users,
        ),
        "published": _contract(
            "PUB-BRAVO",
            orgs["bravo"],
            {
                "title": "BravoPublishedTitle",
                "return": "BravoPublishedReturn",
                "risk": "BravoPublishedRisk",
                "audit": "BravoPublishedAudit",
                "plan": "BravoPublishedPlan",
            },
            "6543210",
            shared_with=orgs["other_partner"],
            published=True,
            users=users,
        ),
    }
    ratings = {
        "own": m.Rating.objects.create(
            organisation=orgs["alpha"], year="2011-12", level=3, rationale="AlphaRatingRationale"
        ),
        "other": m.Rating.objects.create(
            organisation=orgs["bravo"], year="2011-12", level=2, rationale="BravoRatingRationale"
        ),
    }
    params = {
        "none": {"-": {}},
        "round": {name: {"pk": r.pk, "round_id": r.pk} for name, r in rounds.items()},
        "proposal": proposals,
        "contract": contracts,
        "rating": {name: {"rating": r.pk} for name, r in ratings.items()},
    }
    return MatrixWorld(users=users, params=params, open_round=rnd.pk)
